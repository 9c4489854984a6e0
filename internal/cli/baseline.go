package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/redwatch/redwatch/collectors"
	"github.com/redwatch/redwatch/internal/engine"
	"github.com/redwatch/redwatch/rules"
)

// runBaseline is `redwatch baseline show|accept [GROUP]`.
func runBaseline(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 || (args[0] != "show" && args[0] != "accept") {
		return errorf(e, "baseline: usage: redwatch baseline show | accept [GROUP] [--state-dir DIR] [--config FILE]")
	}
	sub := args[0]
	fs := newFlagSet("baseline " + sub)
	var cf confFlags
	cf.register(fs, true)
	var rf rootFlags
	var output string
	if sub == "accept" {
		rf.register(fs)
	} else {
		fs.StringVar(&output, "output", "table", "output `FORMAT`: table or json")
		fs.alias("output", "o")
	}
	pos, code, ok := fs.parseInterleaved(e, args[1:])
	if !ok {
		return code
	}
	cfg, err := cf.load()
	if err != nil {
		return errorf(e, "baseline: %v", err)
	}
	dir := cf.dir(cfg)
	if sub == "show" {
		if len(pos) > 0 {
			return errorf(e, "baseline show: unexpected argument %q", pos[0])
		}
		return baselineShow(e, dir, output, cfg.Baseline.Settle)
	}
	if len(pos) > 1 {
		return errorf(e, "baseline accept: unexpected argument %q", pos[1])
	}
	group := ""
	if len(pos) == 1 {
		group = pos[0]
	}
	roots, err := rf.roots()
	if err != nil {
		return errorf(e, "baseline accept: %v", err)
	}
	if !roots.Live && cf.stateDir == "" {
		return errorf(e, "baseline accept: a captured tree (--root, --sysfs, --procfs) is another host: give --state-dir too")
	}
	return baselineAccept(ctx, e, dir, roots, group)
}

// baselineShow prints the recorded groups, then those still settling
// (seen healthy, not for settle yet). -o json prints the recorded ones only.
func baselineShow(e *env, dir, output string, settle time.Duration) int {
	st, err := engine.ReadState(dir)
	if err != nil {
		return errorf(e, "baseline show: %v", err)
	}
	switch output {
	case "json":
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(st.Baseline); err != nil {
			return errorf(e, "baseline show: %v", err)
		}
		return exitOK
	case "table":
	default:
		return errorf(e, "baseline show: unknown output format %q (want table or json)", output)
	}
	row := func(g rules.BaselineGroup, how string) {
		fmt.Fprintf(e.stdout, "%-4s  %-12s  %-20s  %-8s  %s\n", esc(g.Kind), esc(g.Name), g.Since.UTC().Format(time.RFC3339), how, esc(strings.Join(g.Members, " ")))
	}
	if len(st.Baseline) == 0 {
		fmt.Fprintf(e.stdout, "no baseline recorded in %s yet: groups are recorded once seen fully healthy for %s (baseline.settle)\n", esc(dir), settle)
	} else {
		fmt.Fprintf(e.stdout, "%-4s  %-12s  %-20s  %-8s  %s\n", "KIND", "GROUP", "SINCE", "HOW", "MEMBERS")
		for _, k := range st.Baseline.Keys() {
			g := st.Baseline[k]
			how := "healthy"
			if g.Accepted {
				how = "accepted"
			}
			row(g, how)
		}
	}
	if len(st.Settling) > 0 {
		fmt.Fprintf(e.stdout, "\nSETTLING (seen fully healthy since SINCE; recorded once healthy for %s, baseline.settle)\n", settle)
		for _, k := range st.Settling.Keys() {
			row(st.Settling[k], "settling")
		}
	}
	return exitOK
}

func baselineAccept(ctx context.Context, e *env, dir string, roots collectors.Roots, group string) int {
	snap := collectors.Collect(ctx, roots, e.clock)
	if len(snap.Errors) > 0 {
		return errorf(e, "baseline accept: the host could not be read fully (%v): nothing recorded, fix that first", snap.Errors[0])
	}
	groups := rules.Evaluate(snap).Groups
	now := e.clock.Now()
	var done []string
	var matched bool
	err := engine.UpdateState(dir, now, func(st *engine.State) error {
		done, matched = st.Baseline.Accept(groups, group, now)
		if !matched {
			return fmt.Errorf("%q is neither a group on this host nor in the baseline (give a name like bond0 or kind/name like md/md0)", group)
		}
		return nil
	})
	if err != nil && matched {
		fmt.Fprintf(e.stderr, "redwatch: baseline accept: %s\n", esc(err.Error())) // a corrupt file was rebuilt
	} else if err != nil {
		return errorf(e, "baseline accept: %v", err)
	}
	st, _ := engine.ReadState(dir)
	for _, k := range done {
		if g, ok := st.Baseline[k]; ok {
			fmt.Fprintf(e.stdout, "recorded %s: %s\n", esc(k), esc(strings.Join(g.Members, " ")))
		} else {
			fmt.Fprintf(e.stdout, "dropped %s: no longer on this host\n", esc(k))
		}
	}
	return exitOK
}
