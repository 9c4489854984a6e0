// Package cli is redwatch's command line: Run maps (args, stdout, stderr) to
// an exit code, so every command is tested directly.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/redwatch/redwatch/collectors"
	"github.com/redwatch/redwatch/internal/buildinfo"
	"github.com/redwatch/redwatch/internal/clock"
	"github.com/redwatch/redwatch/internal/config"
	"github.com/redwatch/redwatch/internal/daemon"
)

// Exit codes outside the audit's Nagios statuses.
const (
	exitOK    = 0
	exitError = 3 // usage and configuration errors are UNKNOWN to a Nagios caller
)

// env is what every command gets: its streams and the clock.
type env struct {
	stdout, stderr io.Writer
	clock          clock.Clock
	// daemonHook, when set (tests), sees the daemon.Service before it runs.
	daemonHook func(*daemon.Service)
	// gomaxprocs sets the Go scheduler's processors for the daemon
	// (--runtime.gomaxprocs) and returns the previous value: Run gives
	// runtime.GOMAXPROCS; nil (tests running the daemon in their own
	// process) leaves the process as it is.
	gomaxprocs func(n int) int
}

// command is one command or subcommand, described as data (name,
// positional arguments, summary, subcommands) so that the help, `help CMD`
// and later a man page and shell completions come from one place. Its flags
// are declared by its run function on a flagSet named for its path.
type command struct {
	name string
	// args are the positional arguments of the synopsis, e.g. "[FILE]".
	args    string
	summary string
	// subs are the subcommands; run gets them as its first argument.
	subs []command
	run  func(ctx context.Context, e *env, args []string) int
}

// stopGrace is how long a command may take to stop after SIGTERM/SIGINT
// before Run gives up on it: whatever it is blocked in (a lock another
// process holds, a file that never answers), the process exits promptly.
// The daemon has its own, longer, clean stop (stopTimeout).
var stopGrace = 2 * time.Second

// stopGraces are the commands whose stop grace is not stopGrace.
var stopGraces = map[string]time.Duration{"daemon": stopTimeout + 2*time.Second}

// commands are redwatch's commands, in the order help lists them; each
// lives in its own file. (Set in init: the run functions refer back to it.)
var commands []command

func init() {
	commands = []command{
		{name: "audit", summary: "Run one pass and print the verdict (Nagios exit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN).", run: runAudit},
		{name: "daemon", summary: "Run as a node daemon: event-driven passes, alerts, /metrics, /health and the status page.", run: runDaemon},
		{name: "config", summary: "Validate the configuration file.", run: runConfig, subs: []command{
			{name: "check", args: "[FILE]", summary: "Validate the configuration file (default " + config.DefaultPath + ") without running anything: exit 0 when valid, 1 when not."},
		}},
		{name: "baseline", summary: "Show or accept the recorded member sets of the redundancy groups.", run: runBaseline, subs: []command{
			{name: "show", summary: "List the recorded member set of every group."},
			{name: "accept", args: "[GROUP]", summary: "Record the current member set of GROUP (default every group) as intended."},
		}},
		{name: "maintenance", summary: "Start, end or show maintenance windows, for the whole host or some subjects and rules: the findings a window covers are reported, marked maintenance, and no notification or action fires.", run: runMaintenance, subs: []command{
			{name: "on", summary: "Start a maintenance window (replacing the one of the same --subject and --rule)."},
			{name: "off", summary: "End the window of --subject and --rule, or every window without them."},
			{name: "status", summary: "List the maintenance windows on (the default subcommand)."},
		}},
		{name: "bond", summary: "Act on a bond by hand, with the checks the daemon's actions use.", run: runBond, subs: []command{
			{name: "reenslave", args: "BOND [IFACE]", summary: "Add IFACE (default: every declared member that is missing) back to BOND if it is safe: declared in expect.bonds[].members or the baseline, with its carrier, LACP-compatible, not changing the active slave. Prints what it did or why not: exit 0 done, 1 refused, 2 failed. --dry-run changes nothing; on a captured tree (--root) the tree's bonding/slaves file is written."},
		}},
		{name: "rules", summary: "List every rule with its severity, what it checks and the remediation.", run: runRules},
		{name: "notify", summary: "Send a test alert through the configured channels.", run: runNotify, subs: []command{
			{name: "test", summary: "Send a test alert through every configured channel, or the one named: exit 0 when all delivered, 1 when one failed."},
		}},
		{name: "capture", summary: "Archive exactly the files one pass reads (sysfs, procfs; symlinks kept; a manifest of what was read and what failed; no state or secrets) as a tar.gz that `redwatch audit --root` reproduces the verdict from: for bug reports and new fixtures.", run: runCapture},
		{name: "version", summary: "Print the version.", run: runVersion},
		{name: "help", args: "[COMMAND [SUBCOMMAND]]", summary: "Print the help of redwatch or of a command.", run: runHelp},
	}
}

// lookupCommand is the command at path (["baseline", "accept"]), nil when
// there is none.
func lookupCommand(path []string) *command {
	list := commands
	var c *command
	for _, name := range path {
		c = nil
		for i := range list {
			if list[i].name == name {
				c = &list[i]
			}
		}
		if c == nil {
			return nil
		}
		list = c.subs
	}
	return c
}

// isHelp reports whether arg asks for help.
func isHelp(arg string) bool { return arg == "-h" || arg == "--help" || arg == "-help" }

// Run runs the command line args and returns the process exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return run(ctx, args, &env{stdout: stdout, stderr: stderr, clock: clock.Real{}, gomaxprocs: runtime.GOMAXPROCS})
}

func run(ctx context.Context, args []string, e *env) int {
	switch {
	case len(args) == 0:
		usage(e.stderr)
		return exitError
	case isHelp(args[0]):
		usage(e.stdout)
		return exitOK
	case args[0] == "--version" || args[0] == "-version":
		return runVersion(ctx, e, args[1:])
	}
	c := lookupCommand(args[:1])
	if c == nil {
		fmt.Fprintf(e.stderr, "redwatch: unknown command %q\n\n", args[0])
		usage(e.stderr)
		return exitError
	}
	if len(c.subs) > 0 && len(args) > 1 && isHelp(args[1]) {
		commandUsage(e.stdout, c)
		return exitOK
	}
	return runCommand(ctx, args[0], *c, e, args[1:])
}

// runCommand runs c and returns its exit code, or exitError when ctx was
// cancelled and c did not return within its stop grace.
func runCommand(ctx context.Context, name string, c command, e *env, args []string) int {
	done := make(chan int, 1)
	go func() { done <- c.run(ctx, e, args) }()
	select {
	case code := <-done:
		return code
	case <-ctx.Done():
	}
	grace, ok := stopGraces[name]
	if !ok {
		grace = stopGrace
	}
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case code := <-done:
		return code
	case <-t.C:
		fmt.Fprintf(e.stderr, "redwatch: %s: interrupted (%v) and still blocked after %s; exiting\n", name, context.Cause(ctx), grace)
		return exitError
	}
}

// runHelp is `redwatch help [COMMAND [SUBCOMMAND]]`.
func runHelp(ctx context.Context, e *env, args []string) int {
	args, code, ok := newFlagSet("help").parseInterleaved(e, args)
	if !ok {
		return code
	}
	if len(args) == 0 {
		usage(e.stdout)
		return exitOK
	}
	c := lookupCommand(args)
	if c == nil {
		return errorf(e, "help: unknown command %q", strings.Join(args, " "))
	}
	if len(c.subs) > 0 {
		commandUsage(e.stdout, c)
		return exitOK
	}
	return run(ctx, append(append([]string(nil), args...), "-h"), e)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: redwatch COMMAND [FLAGS]\n\ncommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nflags:\n  -h, --help   print this help and exit\n  --version    print the version and exit")
	fmt.Fprintln(w, "\nrun 'redwatch help COMMAND' or 'redwatch COMMAND -h' for a command's flags")
}

// commandUsage prints the help of a command that has subcommands.
func commandUsage(w io.Writer, c *command) {
	fmt.Fprintln(w, "usage:")
	for _, s := range c.subs {
		fmt.Fprintf(w, "  redwatch %s %s [FLAGS]%s\n", c.name, s.name, prefixSpace(s.args))
	}
	fmt.Fprintf(w, "\n%s\n\nsubcommands:\n", c.summary)
	for _, s := range c.subs {
		fmt.Fprintf(w, "  %-8s %s\n", s.name, s.summary)
	}
	fmt.Fprintln(w, "\nflags:\n  -h, --help\n        print this help and exit")
	fmt.Fprintf(w, "\nrun 'redwatch help %s SUBCOMMAND' or 'redwatch %s SUBCOMMAND -h' for its flags\n", c.name, c.name)
}

func runVersion(_ context.Context, e *env, args []string) int {
	fs := newFlagSet("version")
	if code, ok := fs.parse(e, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return errorf(e, "version: unexpected argument %q", fs.Arg(0))
	}
	fmt.Fprint(e.stdout, buildinfo.Get())
	return exitOK
}

// rootFlags are the flags that choose which filesystem roots a pass reads.
type rootFlags struct {
	root, sysfs, procfs, dev string
}

func (r *rootFlags) register(fs *flagSet) {
	fs.StringVar(&r.root, "root", "", "read a captured tree: `DIR`/sys, DIR/proc and DIR/dev")
	fs.StringVar(&r.sysfs, "sysfs", "", "sysfs mount `POINT` (default /sys)")
	fs.alias("sysfs", "path.sysfs") // node_exporter's spelling
	fs.StringVar(&r.procfs, "procfs", "", "procfs mount `POINT` (default /proc)")
	fs.alias("procfs", "path.procfs")
	fs.StringVar(&r.dev, "dev", "", "dev `DIR` (default /dev)")
}

// roots resolves the flags: --root first, then the separate flags over it.
// Only the host's own roots (no flag at all) count as live. A root given
// that does not exist or is not a directory is an error: read as an empty
// host it would say OK about nothing.
func (r *rootFlags) roots() (collectors.Roots, error) {
	for _, f := range []struct{ name, dir string }{{"root", r.root}, {"sysfs", r.sysfs}, {"procfs", r.procfs}, {"dev", r.dev}} {
		if f.dir == "" {
			continue
		}
		fi, err := os.Stat(f.dir)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return collectors.Roots{}, fmt.Errorf("--%s %s: no such directory", f.name, f.dir)
		case err != nil:
			return collectors.Roots{}, fmt.Errorf("--%s %s: %w", f.name, f.dir, errors.Unwrap(err))
		case !fi.IsDir():
			return collectors.Roots{}, fmt.Errorf("--%s %s: not a directory", f.name, f.dir)
		}
	}
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
	return roots, nil
}

// errorf prints a command error to stderr, control characters escaped (it
// often names a file or echoes an argument), and returns the error exit
// code.
func errorf(e *env, format string, a ...any) int {
	msg := escLines(fmt.Sprintf(format, a...))
	if !strings.HasPrefix(msg, "redwatch") {
		msg = "redwatch: " + msg
	}
	fmt.Fprintln(e.stderr, msg)
	return exitError
}
