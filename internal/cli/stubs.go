package cli

import "context"

// The commands below are being written; each moves to its own file.

func runNotify(_ context.Context, e *env, _ []string) int {
	return errorf(e, "notify: not implemented yet")
}
