package rules

import (
	"testing"
	"time"

	"github.com/redwatch/redwatch/collectors"
)

// TestActionFindings: a finding the actions raise goes through the pass
// like any other (severity and remediation from its rule, rule control,
// maintenance); one that names no action rule is dropped.
func TestActionFindings(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	gaveUp := Finding{Rule: ReenslaveGaveUp, Subject: "bond0/eth1", Message: "bond0: gave up on eth1"}
	snap := &collectors.Snapshot{}
	out := EvaluateWith(snap, Options{Now: now, Actions: []Finding{gaveUp, {Rule: "bond_member_down", Subject: "bond0/eth9"}}})
	if len(out.Result.Findings) != 3 { // reenslave_gave_up + no_redundancy_groups + power_not_observable
		t.Fatalf("findings: %+v", out.Result.Findings)
	}
	f := out.Result.Findings[0]
	if f.Rule != ReenslaveGaveUp || f.Severity != Warning || f.Remediation == "" || out.Result.Status != StatusWarning {
		t.Errorf("finding %+v, status %s", f, out.Result.Status)
	}
	if want := "find why eth1 keeps leaving bond0"; len(f.Remediation) < len(want) || f.Remediation[:len(want)] != want {
		t.Errorf("remediation %q", f.Remediation)
	}
	out = EvaluateWith(snap, Options{Now: now, Actions: []Finding{gaveUp},
		Controls: []Control{{ID: ReenslaveGaveUp, Disabled: true}}})
	for _, f := range out.Result.Findings {
		if f.Rule == ReenslaveGaveUp {
			t.Errorf("disabled rule still reported: %+v", f)
		}
	}
	out = EvaluateWith(snap, Options{Now: now, Actions: []Finding{gaveUp},
		Maintenance: []Maintenance{{Started: now.Add(-time.Minute), Until: now.Add(time.Hour), Subject: "bond0"}}})
	if f := out.Result.Findings[0]; f.Rule != ReenslaveGaveUp || !f.Maintenance {
		t.Errorf("maintenance: %+v", f)
	}
}
