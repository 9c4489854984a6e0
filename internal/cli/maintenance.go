package cli

import (
	"context"
	"fmt"
	"path"
	"slices"
	"time"

	"github.com/redwatch/redwatch/internal/engine"
	"github.com/redwatch/redwatch/rules"
)

// runMaintenance is `redwatch maintenance on --for 2h [--subject GLOB]
// [--rule GLOB] [--reason TEXT] | off [--subject GLOB --rule GLOB] | status`.
// off without flags ends every window; with them, the window of that pair.
// Several windows may be on at once: one per (subject, rule) pair; `on` for
// a pair that has a window replaces it.
func runMaintenance(_ context.Context, e *env, args []string) int {
	sub := "status"
	if len(args) > 0 && (args[0] == "on" || args[0] == "off" || args[0] == "status") {
		sub, args = args[0], args[1:]
	} else if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		return errorf(e, "maintenance: usage: redwatch maintenance on --for 2h [--subject GLOB] [--rule GLOB] --reason TEXT | off | status")
	}
	fs := newFlagSet("maintenance " + sub)
	var cf confFlags
	cf.register(fs, true)
	var dur time.Duration
	var reason, subject, rule string
	if sub != "status" {
		what := "the window"
		if sub == "off" {
			what = "end only the window"
		}
		fs.StringVar(&subject, "subject", "", what+" of the findings whose subject matches the `GLOB` (bond0 covers bond0 and bond0/eth1; default every subject)")
		fs.StringVar(&rule, "rule", "", what+" of the findings whose rule matches the `GLOB` (default every rule)")
	}
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
	if subject != "" {
		if _, err := path.Match(subject, ""); err != nil {
			return errorf(e, "maintenance %s: --subject %q: %v", sub, subject, err)
		}
	}
	if rule != "" {
		known := rules.Catalog(cfg.Controls(), cfg.CompiledUserRules())
		if !slices.ContainsFunc(known, func(r rules.RuleInfo) bool { ok, _ := path.Match(rule, r.ID); return ok }) {
			return errorf(e, "maintenance %s: --rule %q matches no rule; `redwatch rules` lists them", sub, rule)
		}
	}
	dir := cf.dir(cfg)
	now := e.clock.Now()
	same := func(m rules.Maintenance) bool { return m.Subject == subject && m.Rule == rule }
	switch sub {
	case "on":
		if dur <= 0 {
			return errorf(e, "maintenance on: --for is required and must be positive, e.g. --for 2h")
		}
		m := rules.Maintenance{Started: now.UTC(), Until: now.Add(dur).UTC(), Reason: reason, Subject: subject, Rule: rule}
		if err := engine.UpdateState(dir, now, func(st *engine.State) error {
			st.Maintenance = append(slices.DeleteFunc(rules.ActiveWindows(st.Maintenance, now), same), m)
			return nil
		}); err != nil {
			return errorf(e, "maintenance on: %v", err)
		}
		fmt.Fprintf(e.stdout, "%s (findings are reported, marked maintenance; no notification or action fires)\n", esc(m.String()))
	case "off":
		var ended []rules.Maintenance
		if err := engine.UpdateState(dir, now, func(st *engine.State) error {
			on := rules.ActiveWindows(st.Maintenance, now)
			if subject == "" && rule == "" {
				ended, st.Maintenance = on, nil // no flag: end them all
				return nil
			}
			for _, m := range on {
				if same(m) {
					ended = append(ended, m)
				}
			}
			st.Maintenance = slices.DeleteFunc(on, same)
			return nil
		}); err != nil {
			return errorf(e, "maintenance off: %v", err)
		}
		if len(ended) == 0 {
			fmt.Fprintln(e.stdout, "no such maintenance window is on")
		}
		for _, m := range ended {
			fmt.Fprintf(e.stdout, "ended: %s\n", esc(m.String()))
		}
	default:
		st, err := engine.ReadState(dir)
		if err != nil {
			return errorf(e, "maintenance: %v", err)
		}
		on := rules.ActiveWindows(st.Maintenance, now)
		if len(on) == 0 {
			fmt.Fprintln(e.stdout, "no maintenance window is on")
		}
		for _, m := range on {
			fmt.Fprintf(e.stdout, "%s\n", esc(m.String()))
		}
	}
	return exitOK
}
