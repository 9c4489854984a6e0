package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// TestAuditIdleLACPMember is issue 9 item 6 on the lab's recovering capture:
// bond1's eth3 is up but in aggregator 2 while the active one is 1, so it
// carries no traffic. It is not a healthy member (bond1 is 1 of 2, below
// what it needs), and the finding's facts show eth3's own partner (nobody
// answers: 00:00:00:00:00:00), not the active aggregator's.
func TestAuditIdleLACPMember(t *testing.T) {
	root := filepath.Join(corpusDir, "lab", "kernel61_recovering")
	if _, err := os.Stat(root); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("the corpus must be present in CI: %v", err)
		}
		t.Skipf("no corpus at %s: %v", root, err)
	}
	_, out, stderr := runCLI(t, "audit", "--root", root, "-o", "json")
	var got struct {
		Findings []struct {
			Rule, Subject string
			Facts         map[string]string
		}
		Groups []struct {
			Name                   string
			Needed, Healthy, Total int
			Members                []struct{ Name, State string }
		}
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v\n%s%s", err, out, stderr)
	}
	found := false
	for _, f := range got.Findings {
		if f.Rule == "bond_lacp_aggregator_mismatch" && f.Subject == "bond1/eth3" {
			found = true
			if f.Facts["partner_mac"] != "00:00:00:00:00:00" || f.Facts["aggregator_id"] != "2" || f.Facts["active_aggregator_id"] != "1" {
				t.Errorf("facts %v, want eth3's own partner 00:00:00:00:00:00 in aggregator 2 (active 1)", f.Facts)
			}
		}
	}
	if !found {
		t.Errorf("no bond_lacp_aggregator_mismatch for bond1/eth3: %s", out)
	}
	for _, g := range got.Groups {
		if g.Name != "bond1" {
			continue
		}
		if g.Healthy != 1 || g.Needed != 2 || g.Total != 2 {
			t.Errorf("bond1 %d/%d healthy, %d needed; want 1/2, 2 needed", g.Healthy, g.Total, g.Needed)
		}
		if len(g.Members) != 2 || g.Members[1].Name != "eth3" || g.Members[1].State != "idle" {
			t.Errorf("bond1 members %+v, want eth3 idle", g.Members)
		}
		return
	}
	t.Errorf("no group bond1: %s", out)
}
