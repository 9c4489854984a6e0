package rules

import (
	"strings"
	"testing"
	"time"

	"github.com/redwatch/redwatch/bonding"
	"github.com/redwatch/redwatch/collectors"
)

func sevp(s Severity) *Severity { return &s }

func TestControlFirstMatchWins(t *testing.T) {
	now := time.Date(2026, 11, 27, 5, 0, 0, 0, time.UTC)
	fs := []Finding{
		{Rule: "bond_member_down", Subject: "bond0/eth1", Severity: Warning},
		{Rule: "bond_member_down", Subject: "bond1/eth3", Severity: Warning},
		{Rule: "md_degraded", Subject: "md0", Severity: Critical},
	}
	cs := []Control{
		{ID: "bond_member_down", Subjects: []string{"bond0/*"}, Severity: sevp(Critical)},
		{ID: "bond_*", Disabled: true},
		{ID: "md_degraded", For: time.Minute},
		{ID: "*", Severity: sevp(Info)}, // never reached for the above
	}
	active, pending, next := control(fs, cs, now, nil)
	if len(active) != 1 || active[0].Subject != "bond0/eth1" || active[0].Severity != Critical {
		t.Errorf("active = %+v", active)
	}
	if len(pending) != 1 || pending[0].Rule != "md_degraded" || !pending[0].Due.Equal(now.Add(time.Minute)) {
		t.Errorf("pending = %+v", pending)
	}
	if _, ok := next["bond_member_down bond1/eth3"]; ok || len(next) != 2 {
		t.Errorf("first-seen keeps a disabled finding or loses one: %v", next)
	}
	// A first-seen time in the future (clock stepped back) restarts the run.
	_, pending, _ = control(fs[2:], cs, now, map[string]time.Time{"md_degraded md0": now.Add(time.Hour)})
	if len(pending) != 1 || !pending[0].FirstSeen.Equal(now) {
		t.Errorf("future first-seen: %+v", pending)
	}
	eff, notes := describeControl(cs, "bond_member_down", Warning)
	if eff != "disabled" || len(notes) != 1 || notes[0] != "critical for [bond0/*]" {
		t.Errorf("describeControl = %q %q", eff, notes)
	}
}

func TestUserRuleRuntimeErrorIsUnknown(t *testing.T) {
	u, err := CompileUserRule(UserRuleSpec{ID: "div", Expr: "groups[5].healthy > 0", Severity: Warning})
	if err != nil {
		t.Fatal(err)
	}
	s := &collectors.Snapshot{Bonds: []bonding.Bond{{Name: "bond0", Mode: "active-backup", MIIMon: 100,
		Slaves: []bonding.Slave{{Name: "eth0", MIIStatus: "up"}, {Name: "eth1", MIIStatus: "up"}}}}}
	out := EvaluateWith(s, Options{UserRules: []*UserRule{u}})
	if out.Result.Status != StatusUnknown || len(out.Result.Errors) != 1 || out.Result.Errors[0].Path != "user_rules/div" {
		t.Errorf("a failing user rule must not read as OK: %+v", out.Result)
	}
}

func TestUserRuleDefaults(t *testing.T) {
	u, err := CompileUserRule(UserRuleSpec{ID: "short", ForEach: "groups", Expr: ".healthy < .needed", Severity: Info})
	if err != nil {
		t.Fatal(err)
	}
	s := &collectors.Snapshot{Bonds: []bonding.Bond{{Name: "bond0", Mode: "active-backup", MIIMon: 100,
		Slaves: []bonding.Slave{{Name: "eth0", MIIStatus: "up"}}}}}
	out := EvaluateWith(s, Options{UserRules: []*UserRule{u}})
	var got []Finding
	for _, f := range out.Result.Findings {
		if f.Rule == "short" {
			got = append(got, f)
		}
	}
	if len(got) != 1 || got[0].Subject != "bond0" || got[0].Severity != Info || !strings.Contains(got[0].Message, "bond0") {
		t.Errorf("findings = %+v", got)
	}
	if _, err := CompileUserRule(UserRuleSpec{ID: "x", Expr: "  "}); err == nil {
		t.Errorf("an empty expression compiled")
	}
}

func TestCatalogCoversEveryRule(t *testing.T) {
	cat := Catalog(nil, nil)
	if len(cat) != len(RuleIDs()) {
		t.Fatalf("catalog %d rules, RuleIDs %d", len(cat), len(RuleIDs()))
	}
	seen := map[string]bool{}
	for _, r := range cat {
		if seen[r.ID] {
			t.Errorf("duplicate rule ID %s", r.ID)
		}
		seen[r.ID] = true
		if r.Checks == "" || r.Remediation == "" {
			t.Errorf("%s lacks checks or remediation", r.ID)
		}
	}
	if !strings.Contains(Markdown(), "| `baseline_member_missing` | warning |") {
		t.Errorf("Markdown misses the baseline rule")
	}
}

func TestBaselineAccept(t *testing.T) {
	now := time.Date(2026, 11, 27, 5, 0, 0, 0, time.UTC)
	b := Baseline{"bond/bond1": {Kind: "bond", Name: "bond1", Members: []string{"eth2"}}}
	groups := []Group{{Kind: KindBond, Name: "bond0", Members: []Member{{Name: "eth0", State: "down"}, {Name: "eth1", State: "up", Healthy: true}}}}
	if _, ok := b.Accept(groups, "md9", now); ok {
		t.Errorf("accept of an unknown group matched")
	}
	done, ok := b.Accept(groups, "", now)
	if !ok || len(done) != 2 || len(b) != 1 || len(b["bond/bond0"].Members) != 2 || !b["bond/bond0"].Accepted {
		t.Errorf("accept all: %v %+v", done, b)
	}
	if b.RecordHealthy(groups, now) {
		t.Errorf("RecordHealthy overwrote an existing group")
	}
}
