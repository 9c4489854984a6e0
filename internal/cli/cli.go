// Package cli is redwatch's command line: Run maps (args, stdout, stderr) to
// an exit code, so every command is tested directly.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/redwatch/redwatch/collectors"
)

// Exit codes outside the audit's Nagios statuses.
const (
	exitOK    = 0
	exitError = 3 // usage and configuration errors are UNKNOWN to a Nagios caller
)

// env is what every command gets: its streams and the clock.
type env struct {
	stdout, stderr io.Writer
	now            func() time.Time
}

// command is one subcommand.
type command struct {
	summary string
	run     func(ctx context.Context, e *env, args []string) int
}

// commands maps each subcommand's name to it; each lives in its own file.
var commands = map[string]command{
	"audit":       {"run one pass and print the verdict (Nagios exit codes)", runAudit},
	"version":     {"print the version", runVersion},
	"daemon":      {"run as a node daemon with the health endpoint", runDaemon},
	"config":      {"check the configuration file (config check [FILE])", runConfig},
	"baseline":    {"show or accept the recorded member sets (baseline show|accept [GROUP])", runBaseline},
	"maintenance": {"start or end a maintenance window (maintenance on --for 2h --reason TEXT | off)", runMaintenance},
	"rules":       {"list every rule with its severity and remediation", runRules},
	"notify":      {"send a test alert through the configured channels (notify test [--channel NAME])", runNotify},
}

// Version is set at build time with -ldflags "-X github.com/redwatch/redwatch/internal/cli.Version=...".
var Version = "dev"

// Run runs the command line args and returns the process exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return run(ctx, args, &env{stdout: stdout, stderr: stderr, now: time.Now})
}

func run(ctx context.Context, args []string, e *env) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(e.stderr)
		if len(args) == 0 {
			return exitError
		}
		return exitOK
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(e.stderr, "redwatch: unknown command %q\n\n", args[0])
		usage(e.stderr)
		return exitError
	}
	return c.run(ctx, e, args[1:])
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: redwatch COMMAND [FLAGS]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-12s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nrun 'redwatch COMMAND -h' for a command's flags")
}

func runVersion(_ context.Context, e *env, _ []string) int {
	fmt.Fprintf(e.stdout, "redwatch %s\n", Version)
	return exitOK
}

// rootFlags are the flags that choose which filesystem roots a pass reads.
type rootFlags struct {
	root, sysfs, procfs, dev string
}

func (r *rootFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&r.root, "root", "", "read a captured tree: `DIR`/sys, DIR/proc and DIR/dev")
	fs.StringVar(&r.sysfs, "sysfs", "", "sysfs mount point (default /sys)")
	fs.StringVar(&r.procfs, "procfs", "", "procfs mount point (default /proc)")
	fs.StringVar(&r.dev, "dev", "", "dev directory (default /dev)")
}

// roots resolves the flags: --root first, then the separate flags over it.
// Only the host's own roots (no flag at all) count as live.
func (r *rootFlags) roots() collectors.Roots {
	roots := collectors.HostRoots()
	if r.root != "" {
		roots = collectors.TreeRoots(r.root)
	}
	if r.sysfs != "" {
		roots.Sys, roots.Live = r.sysfs, false
	}
	if r.procfs != "" {
		roots.Proc, roots.Live = r.procfs, false
	}
	if r.dev != "" {
		roots.Dev = r.dev
	}
	return roots
}

// parseFlags parses args with fs, printing errors to e.stderr. It returns
// false with the exit code when the command should stop.
func parseFlags(fs *flag.FlagSet, e *env, args []string) (int, bool) {
	fs.SetOutput(e.stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK, false
		}
		return exitError, false
	}
	return 0, true
}

// errorf prints a command error to stderr and returns the error exit code.
func errorf(e *env, format string, a ...any) int {
	msg := fmt.Sprintf(format, a...)
	if !strings.HasPrefix(msg, "redwatch") {
		msg = "redwatch: " + msg
	}
	fmt.Fprintln(e.stderr, msg)
	return exitError
}
