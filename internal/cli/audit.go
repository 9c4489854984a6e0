package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/redwatch/redwatch/collectors"
	"github.com/redwatch/redwatch/internal/clock"
	"github.com/redwatch/redwatch/internal/config"
	"github.com/redwatch/redwatch/internal/engine"
	"github.com/redwatch/redwatch/rules"
)

// runAudit runs one pass and prints it. The exit code is the Nagios status:
// 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
func runAudit(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet("audit")
	var rf rootFlags
	rf.register(fs)
	var cf confFlags
	cf.register(fs, true)
	var output, color string
	var timeout time.Duration
	fs.StringVar(&output, "output", "table", "output `FORMAT`: table, json or nagios")
	fs.alias("output", "o")
	fs.StringVar(&color, "color", "auto", "colour the table: `MODE` auto, always or never")
	fs.DurationVar(&timeout, "timeout", 0, "bound the whole pass: UNKNOWN when it has not finished after `DURATION` (default none; each collector is cut off after 10s)")
	fs.alias("timeout", "t")
	if code, ok := fs.parse(e, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return errorf(e, "audit: unexpected argument %q", fs.Arg(0))
	}
	switch output {
	case "table", "json", "nagios":
	default:
		return errorf(e, "audit: unknown output format %q (want table, json or nagios)", output)
	}
	useColor, err := colorMode(color, e.stdout)
	if err != nil {
		return errorf(e, "audit: %v", err)
	}

	roots, err := rf.roots()
	if err != nil {
		if output == "nagios" { // a Nagios caller shows stdout, not stderr
			fmt.Fprintf(e.stdout, "REDWATCH UNKNOWN - %s\n", nagiosText(err.Error()))
		}
		return errorf(e, "audit: %v", err)
	}
	cfg, err := cf.load()
	if err != nil {
		return errorf(e, "audit: %v", err)
	}
	eng := &engine.Engine{Roots: roots, Clock: e.clock, Config: cfg, StateDir: cf.passDir(cfg, roots)}
	pass := runBounded(ctx, func(ctx context.Context) *engine.Pass {
		eng.Sources = liveSources(ctx, roots, cfg)
		return eng.Run(ctx)
	}, e.clock, timeout)
	for _, n := range pass.Notes {
		fmt.Fprintf(e.stderr, "redwatch: audit: %s\n", esc(n))
	}

	switch output {
	case "json":
		if err := writeAuditJSON(e.stdout, pass); err != nil {
			return errorf(e, "audit: %v", err)
		}
	case "nagios":
		writeNagios(e.stdout, pass)
	default:
		writeTable(e.stdout, pass, useColor)
	}
	return pass.Result.Status.ExitCode()
}

// liveSources are the sources of a one-shot pass (audit, capture): on a
// live host, with a SMART cache read once now (smartctl on every disk,
// disks.smart_timeout each, four at a time) so that the pass has the disks'
// health; nil (collectors.Sources()) in --root mode, which reads the
// captured outputs.
func liveSources(ctx context.Context, roots collectors.Roots, cfg *config.Config) []collectors.Source {
	if !roots.Live {
		return nil
	}
	smart := &collectors.SmartCache{Timeout: cfg.Disks.SmartTimeout}
	smart.Refresh(ctx, roots.Sys)
	raid := &collectors.HWRaidRunner{}
	raid.Configure(cfg.HWRaidOptions())
	return collectors.WithHWRaid(collectors.WithSmart(collectors.Sources(), smart), raid)
}

// runBounded runs one pass bounded by timeout (0: only the collectors' own
// timeouts bound it). When the timeout expires the pass is UNKNOWN, with an
// error saying so: a pass that returned has what it read by then (the
// collectors it cut off are errors), one that has not returned is abandoned
// (audit prints and exits) and has nothing else.
func runBounded(ctx context.Context, run func(context.Context) *engine.Pass, clk clock.Clock, timeout time.Duration) *engine.Pass {
	if timeout <= 0 {
		return run(ctx)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	started := clk.Now()
	done := make(chan *engine.Pass, 1) // buffered: an abandoned pass never blocks on it
	go func() { done <- run(ctx) }()
	var p *engine.Pass
	select {
	case p = <-done:
	case <-ctx.Done():
		p = &engine.Pass{Started: started, Result: rules.Result{Status: rules.StatusUnknown}}
	}
	if ctx.Err() == nil {
		return p
	}
	te := collectors.Error{Collector: "audit", Err: fmt.Errorf("the pass did not finish within --timeout %s", timeout)}
	if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		te.Err = fmt.Errorf("the pass was cancelled: %w", ctx.Err())
	}
	p.Result.Errors = append([]collectors.Error{te}, p.Result.Errors...)
	p.Result.Status = rules.Worse(p.Result.Status, rules.StatusUnknown)
	return p
}

// colorMode decides whether to colour: "auto" colours a terminal unless NO_COLOR is set.
func colorMode(mode string, w any) (bool, error) {
	switch mode {
	case "always":
		return true, nil
	case "never":
		return false, nil
	case "auto":
		if os.Getenv("NO_COLOR") != "" {
			return false, nil
		}
		f, ok := w.(*os.File)
		if !ok {
			return false, nil
		}
		st, err := f.Stat()
		return err == nil && st.Mode()&os.ModeCharDevice != 0, nil
	}
	return false, errorString("unknown --color " + mode + " (want auto, always or never)")
}

type errorString string

func (e errorString) Error() string { return string(e) }
