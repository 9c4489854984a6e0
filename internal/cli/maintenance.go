package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/redwatch/redwatch/internal/engine"
	"github.com/redwatch/redwatch/rules"
)

// runMaintenance is `redwatch maintenance on --for 2h --reason TEXT | off | status`.
func runMaintenance(_ context.Context, e *env, args []string) int {
	sub := "status"
	if len(args) > 0 && (args[0] == "on" || args[0] == "off" || args[0] == "status") {
		sub, args = args[0], args[1:]
	} else if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		return errorf(e, "maintenance: usage: redwatch maintenance on --for 2h --reason TEXT | off | status")
	}
	fs := newFlagSet("maintenance " + sub)
	var cf confFlags
	cf.register(fs, true)
	var dur time.Duration
	var reason string
	if sub == "on" {
		fs.DurationVar(&dur, "for", 0, "how long the window lasts, a `DURATION` such as 2h (required)")
		fs.StringVar(&reason, "reason", "", "why (`TEXT`), shown in the status line")
	}
	if code, ok := fs.parse(e, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return errorf(e, "maintenance: unexpected argument %q", fs.Arg(0))
	}
	cfg, err := cf.load()
	if err != nil {
		return errorf(e, "maintenance: %v", err)
	}
	dir := cf.dir(cfg)
	now := e.now()
	switch sub {
	case "on":
		if dur <= 0 {
			return errorf(e, "maintenance on: --for is required and must be positive, e.g. --for 2h")
		}
		m := &rules.Maintenance{Started: now.UTC(), Until: now.Add(dur).UTC(), Reason: reason}
		if err := engine.UpdateState(dir, now, func(st *engine.State) error { st.Maintenance = m; return nil }); err != nil {
			return errorf(e, "maintenance on: %v", err)
		}
		fmt.Fprintf(e.stdout, "%s (findings are reported, marked maintenance; no notification or action fires)\n", esc(m.String()))
	case "off":
		if err := engine.UpdateState(dir, now, func(st *engine.State) error { st.Maintenance = nil; return nil }); err != nil {
			return errorf(e, "maintenance off: %v", err)
		}
		fmt.Fprintln(e.stdout, "maintenance off")
	default:
		st, err := engine.ReadState(dir)
		if err != nil {
			return errorf(e, "maintenance: %v", err)
		}
		if st.Maintenance.Active(now) {
			fmt.Fprintf(e.stdout, "%s\n", esc(st.Maintenance.String()))
		} else {
			fmt.Fprintln(e.stdout, "no maintenance window is on")
		}
	}
	return exitOK
}
