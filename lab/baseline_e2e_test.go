//go:build e2e

package lab

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// auditWith is an action that runs `redwatch audit -o json ARGS` in the
// guest (every 0.3 s, at most 30 s) until its verdict meets want: a check of
// an audit other than the step's default one (Guest.Audit runs it with no
// flags), e.g. with its own --state-dir.
func auditWith(args string, want Expect) Action {
	cmd := AuditCommand + " " + args
	return Action{Name: "audit " + args, Run: func(ctx context.Context, g *Guest) error {
		deadline := time.Now().Add(30 * time.Second)
		for n := 1; ; n++ {
			r, err := g.Exec(ctx, cmd)
			if err != nil {
				return err
			}
			v, err := ParseVerdict([]byte(r.Stdout), r.Exit, r.Stderr)
			if err == nil {
				if err = want.Check(v); err == nil {
					g.logf("lab: %s: %s (%d audits)", cmd, v.Summary(), n)
					return nil
				}
				err = fmt.Errorf("%w\nlast JSON (exit %d):\n%s", err, v.Exit, v.Raw)
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("lab: %s: no such verdict within 30s (%d audits): %w", cmd, n, err)
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("lab: %s: %w: %w", cmd, ctx.Err(), err)
			case <-time.After(300 * time.Millisecond):
			}
		}
	}}
}

// baselineScenarios show the baseline on a real kernel: a slave removed from
// a three-slave active-backup bond leaves two healthy slaves, which the
// built-in rules alone call ok; only the baseline remembers the third.
//
// The steps' own (default) audits use the guest's default state directory
// /var/lib/redwatch; the `--state-dir /tmp/bl` audits are the ones under
// test, and `--state-dir /tmp/fresh-N` (an empty state, so no baseline yet)
// stands for the built-in rules alone. Every audit records a group the first
// time it is seen healthy (baseline.settle 0s in the guest's
// /etc/redwatch/redwatch.yaml): this scenario is about what the baseline
// catches on a real kernel; how a group settles into the baseline is
// rules.TestBaselineSettles's, with an injected clock.
var baselineScenarios = []Scenario{{
	Name: "baseline_three_slave_bond",
	Spec: Spec{NICs: []NIC{{Hub: 1}, {Hub: 1}, {Hub: 1}}},
	Setup: []Action{
		Shell(`mkdir -p /etc/redwatch && printf 'baseline: {settle: 0s}\n' > /etc/redwatch/redwatch.yaml`),
		Bond("bond0", "active-backup", "eth0", "eth1", "eth2"),
		SlaveMII("bond0", "eth0", "up"), SlaveMII("bond0", "eth1", "up"), SlaveMII("bond0", "eth2", "up"),
	},
	Steps: []Step{
		{
			Name: "three slaves healthy: baseline recorded",
			Do: []Action{
				auditWith("--state-dir /tmp/bl", OK().Group("bond", "bond0", 3, 3)),
				Shell(`grep -q '"eth2"' /tmp/bl/state.json`),
			},
			Want: OK().Group("bond", "bond0", 3, 3),
		},
		{
			Name: "eth2 removed from the bond",
			Do: []Action{
				Shell("echo -eth2 > /sys/class/net/bond0/bonding/slaves"), Slaves("bond0", "eth0", "eth1"),
				auditWith("--state-dir /tmp/fresh-1", OK().Group("bond", "bond0", 2, 2)),
				auditWith("--state-dir /tmp/bl", Status("warning").Finding("baseline_member_missing", "bond0/eth2").Group("bond", "bond0", 2, 2)),
			},
			Want: Status("warning").Finding("baseline_member_missing", "bond0/eth2").Group("bond", "bond0", 2, 2),
		},
		{
			Name: "change accepted",
			Do: []Action{
				Shell("redwatch baseline accept --state-dir /tmp/bl && redwatch baseline accept bond0"),
				auditWith("--state-dir /tmp/bl", OK().Group("bond", "bond0", 2, 2)),
			},
			Want: OK().Group("bond", "bond0", 2, 2),
		},
	},
}}

// TestLabBaseline runs the baseline scenarios.
// Run: go test -tags e2e -v -run TestLabBaseline ./lab/
func TestLabBaseline(t *testing.T) {
	a := PrepareAssets(t)
	RunScenarios(t, a, baselineScenarios)
}
