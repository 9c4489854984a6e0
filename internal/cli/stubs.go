package cli

import "context"

// The commands below are being written; each moves to its own file.

func runDaemon(_ context.Context, e *env, _ []string) int {
	return errorf(e, "daemon: not implemented yet")
}

func runConfig(_ context.Context, e *env, _ []string) int {
	return errorf(e, "config: not implemented yet")
}

func runBaseline(_ context.Context, e *env, _ []string) int {
	return errorf(e, "baseline: not implemented yet")
}

func runMaintenance(_ context.Context, e *env, _ []string) int {
	return errorf(e, "maintenance: not implemented yet")
}

func runRules(_ context.Context, e *env, _ []string) int {
	return errorf(e, "rules: not implemented yet")
}

func runNotify(_ context.Context, e *env, _ []string) int {
	return errorf(e, "notify: not implemented yet")
}
