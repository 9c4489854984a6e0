package rules

import (
	"slices"
	"testing"
	"time"

	"github.com/redwatch/redwatch/bonding"
	"github.com/redwatch/redwatch/collectors"
)

// bondSnap is a host with one active-backup bond of two slaves.
func bondSnap(name string, eth1 string) *collectors.Snapshot {
	return &collectors.Snapshot{Bonds: []bonding.Bond{{Name: name, Mode: bonding.ModeActiveBackup, MIIStatus: "up", MIIMon: 100,
		Slaves: []bonding.Slave{{Name: "eth0", MIIStatus: "up"}, {Name: "eth1", MIIStatus: eth1}}}}}
}

// TestBaselineSettles: a group enters the baseline only once it has been
// seen fully healthy, with the same members, for the settle time; a bond
// created and renamed a second later is never recorded (and so never pages
// as baseline_group_missing); an unhealthy pass starts the settling again.
func TestBaselineSettles(t *testing.T) {
	const settle = 5 * time.Minute
	t0 := time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC)
	o := Options{Baseline: Baseline{}, Settle: settle}
	pass := func(s *collectors.Snapshot, at time.Duration) Outcome {
		t.Helper()
		o.Now = t0.Add(at)
		out := EvaluateWith(s, o)
		o.Baseline, o.Settling, o.FirstSeen = out.Baseline, out.Settling, out.FirstSeen
		for _, f := range out.Result.Findings {
			if f.Rule == "baseline_group_missing" || f.Rule == "baseline_member_missing" {
				t.Errorf("at +%s: %s %s: %s", at, f.Rule, f.Subject, f.Message)
			}
		}
		return out
	}
	keys := func(b Baseline) []string { return b.Keys() }

	pass(bondSnap("bondtmp", "up"), 0)
	if len(o.Baseline) != 0 || !slices.Equal(keys(o.Settling), []string{"bond/bondtmp"}) {
		t.Fatalf("first sight: baseline %v, settling %v", keys(o.Baseline), keys(o.Settling))
	}
	// Renamed a second later: bondtmp is gone before it settled.
	pass(bondSnap("bond0", "up"), time.Second)
	if len(o.Baseline) != 0 || !slices.Equal(keys(o.Settling), []string{"bond/bond0"}) {
		t.Fatalf("after the rename: baseline %v, settling %v", keys(o.Baseline), keys(o.Settling))
	}
	pass(bondSnap("bond0", "up"), time.Second+4*time.Minute)
	if len(o.Baseline) != 0 {
		t.Fatalf("recorded before the settle time: %v", keys(o.Baseline))
	}
	// A slave down restarts the settling.
	pass(bondSnap("bond0", "down"), time.Second+4*time.Minute+30*time.Second)
	if len(o.Settling) != 0 {
		t.Fatalf("an unhealthy group still settling: %v", o.Settling)
	}
	pass(bondSnap("bond0", "up"), 5*time.Minute)
	pass(bondSnap("bond0", "up"), 9*time.Minute)
	if len(o.Baseline) != 0 {
		t.Fatalf("recorded though healthy for 4m only: %v", keys(o.Baseline))
	}
	out := pass(bondSnap("bond0", "up"), 10*time.Minute)
	if !out.BaselineChanged || !slices.Equal(keys(o.Baseline), []string{"bond/bond0"}) || len(o.Settling) != 0 {
		t.Fatalf("after settling: baseline %v, settling %v", keys(o.Baseline), keys(o.Settling))
	}
	if g := o.Baseline["bond/bond0"]; !g.Since.Equal(t0.Add(10*time.Minute)) || !slices.Equal(g.Members, []string{"eth0", "eth1"}) {
		t.Errorf("recorded %+v", g)
	}
	// The recorded bond is checked from now on; bondtmp never was.
	o.Now = t0.Add(time.Hour)
	got := EvaluateWith(&collectors.Snapshot{}, o)
	var missing []string
	for _, f := range got.Result.Findings {
		if f.Rule == "baseline_group_missing" {
			missing = append(missing, f.Subject)
		}
	}
	if !slices.Equal(missing, []string{"bond0"}) {
		t.Errorf("baseline_group_missing for %v, want bond0 only", missing)
	}
}

// TestBaselineSettleZero: settle 0 records a group the first time it is
// seen fully healthy.
func TestBaselineSettleZero(t *testing.T) {
	out := EvaluateWith(bondSnap("bond0", "up"), Options{Baseline: Baseline{}, Now: time.Now()})
	if !out.BaselineChanged || len(out.Baseline) != 1 || len(out.Settling) != 0 {
		t.Errorf("baseline %v settling %v", out.Baseline, out.Settling)
	}
}
