package cli

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/redwatch/redwatch/bonding"
	"github.com/redwatch/redwatch/internal/actions"
	"github.com/redwatch/redwatch/internal/config"
	"github.com/redwatch/redwatch/internal/engine"
	"github.com/redwatch/redwatch/rules"
)

// Exit codes of `bond reenslave`.
const (
	exitReenslaveRefused = 1
	exitReenslaveFailed  = 2
)

// runBond is `redwatch bond reenslave BOND [IFACE] [--dry-run]`.
func runBond(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 || args[0] != "reenslave" {
		return errorf(e, "bond: usage: redwatch bond reenslave BOND [IFACE] [--dry-run] [--root DIR] [--config FILE] [--state-dir DIR]")
	}
	fs := newFlagSet("bond reenslave")
	var cf confFlags
	cf.register(fs, true)
	var rf rootFlags
	rf.register(fs)
	var dryRun bool
	var carrierWait time.Duration
	fs.BoolVar(&dryRun, "dry-run", false, "change nothing; print what would be done")
	fs.DurationVar(&carrierWait, "carrier-wait", config.DefaultReenslaveCarrierWait, "how long a down interface is held up to read its carrier (`DURATION`)")
	pos, code, ok := fs.parseInterleaved(e, args[1:])
	if !ok {
		return code
	}
	if len(pos) == 0 || len(pos) > 2 {
		return errorf(e, "bond reenslave: usage: redwatch bond reenslave BOND [IFACE] [--dry-run]")
	}
	for _, n := range pos {
		if !bonding.ValidName(n) {
			return errorf(e, "bond reenslave: %q is not an interface name", n)
		}
	}
	cfg, err := cf.load()
	if err != nil {
		return errorf(e, "bond reenslave: %v", err)
	}
	roots, err := rf.roots()
	if err != nil {
		return errorf(e, "bond reenslave: %v", err)
	}
	var baseline rules.Baseline
	if dir := cf.passDir(cfg, roots); dir != "" {
		if st, err := engine.ReadState(dir); err == nil {
			baseline = st.Baseline
		} else {
			fmt.Fprintf(e.stderr, "redwatch: bond reenslave: baseline not read (%s): only the configuration's members are declared\n", esc(err.Error()))
		}
	}
	bond := pos[0]
	declared := actions.Declared(cfg, baseline, bond)
	var todo []actions.Member
	if len(pos) == 2 {
		m := actions.Member{Bond: bond, Iface: pos[1]}
		if i := slices.IndexFunc(declared, func(d actions.Member) bool { return d.Iface == pos[1] }); i >= 0 {
			m = declared[i]
		}
		todo = append(todo, m)
	} else {
		b, err := bonding.ReadBond(roots, bond)
		if err != nil {
			return errorf(e, "bond reenslave: %v", err)
		}
		for _, d := range declared {
			if !slices.ContainsFunc(b.Slaves, func(s bonding.Slave) bool { return s.Name == d.Iface }) {
				todo = append(todo, d)
			}
		}
		if len(todo) == 0 {
			fmt.Fprintf(e.stdout, "%s: no declared member is missing (declared: %d, in expect.bonds[].members and the baseline)\n", esc(bond), len(declared))
			return exitOK
		}
	}
	exit := exitOK
	for _, m := range todo {
		res := actions.Reenslave(ctx, actions.Request{Roots: roots, Bond: bond, Iface: m.Iface, ExpectedBy: m.By,
			DryRun: dryRun, CarrierWait: carrierWait, Clock: e.clock})
		fmt.Fprintln(e.stdout, esc(res.String()))
		switch res.Outcome {
		case actions.Failed:
			exit = exitReenslaveFailed
		case actions.Refused:
			exit = max(exit, exitReenslaveRefused)
		}
	}
	return exit
}
