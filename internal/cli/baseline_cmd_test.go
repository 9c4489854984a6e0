package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func fixture(name, side string) string { return filepath.Join("..", "..", "testdata", name, side) }

// TestBaselineCommands: audit records the baseline of the healthy tree,
// reports the removed slave on the changed one, baseline show lists it and
// baseline accept clears the finding.
func TestBaselineCommands(t *testing.T) {
	state := t.TempDir()
	before, after := fixture("baseline_bond_member_removed", "before"), fixture("baseline_bond_member_removed", "after")
	// Record at once: how a group settles into the baseline is TestBaselineSettles's.
	conf := filepath.Join(t.TempDir(), "redwatch.yaml")
	if err := os.WriteFile(conf, []byte("baseline: {settle: 0s}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, stderr := runCLI(t, "audit", "--root", before, "--state-dir", state, "--config", conf); code != 0 {
		t.Fatalf("before: exit %d\n%s%s", code, out, stderr)
	}
	code, out, _ := runCLI(t, "baseline", "show", "--state-dir", state)
	if code != 0 || !strings.Contains(out, "bond0") || !strings.Contains(out, "eth0 eth1 eth2") || !strings.Contains(out, "2026-11-27T06:00:00Z") {
		t.Errorf("baseline show: exit %d\n%s", code, out)
	}
	code, out, _ = runCLI(t, "audit", "--root", after, "--state-dir", state, "--config", conf, "-o", "json")
	var res auditJSON
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if code != 1 || len(res.Findings) != 2 || res.Findings[0].Rule != "baseline_member_missing" || res.Findings[1].Rule != "power_not_observable" ||
		res.Findings[0].Message != "bond0: eth2 is no longer a member (was in baseline since 2026-11-27T06:00:00Z)" {
		t.Errorf("after: exit %d findings %+v", code, res.Findings)
	}
	if code, _, stderr := runCLI(t, "baseline", "accept", "bond0", "--root", after); code == 0 || !strings.Contains(stderr, "--state-dir") {
		t.Errorf("accept from a captured tree without --state-dir: exit %d %q", code, stderr)
	}
	if code, _, stderr := runCLI(t, "baseline", "accept", "bond9", "--root", after, "--state-dir", state); code == 0 || !strings.Contains(stderr, `"bond9" is neither a group`) {
		t.Errorf("accept of an unknown group: exit %d %q", code, stderr)
	}
	code, out, stderr := runCLI(t, "baseline", "accept", "bond0", "--root", after, "--state-dir", state)
	if code != 0 || !strings.Contains(out, "recorded bond/bond0: eth0 eth1") {
		t.Fatalf("accept: exit %d %s%s", code, out, stderr)
	}
	if code, out, _ := runCLI(t, "audit", "--root", after, "--state-dir", state); code != 0 {
		t.Errorf("after accept: exit %d\n%s", code, out)
	}
	// A captured tree without --state-dir reads no state: the host's baseline never leaks in.
	if code, _, _ := runCLI(t, "audit", "--root", after); code != 0 {
		t.Errorf("audit --root without --state-dir used a state")
	}
}

func TestBaselineShowBadState(t *testing.T) {
	state := t.TempDir()
	if code, out, _ := runCLI(t, "baseline", "show", "--state-dir", state); code != 0 || !strings.Contains(out, "no baseline recorded") {
		t.Errorf("empty: exit %d %q", code, out)
	}
	if err := os.WriteFile(filepath.Join(state, "state.json"), []byte(`{"version": 9}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runCLI(t, "baseline", "show", "--state-dir", state); code == 0 || !strings.Contains(stderr, "upgrade redwatch") {
		t.Errorf("future version: exit %d %q", code, stderr)
	}
	if err := os.WriteFile(filepath.Join(state, "state.json"), []byte(`{"version": 1, "basel`), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := runCLI(t, "audit", "--root", fixture("bond_ab_healthy", ""), "--state-dir", state, "-o", "nagios")
	if code != 3 || !strings.Contains(out, "state.json is corrupt") {
		t.Errorf("corrupt state: exit %d %q %q", code, out, stderr)
	}
}

func TestMaintenanceCommands(t *testing.T) {
	state := t.TempDir()
	tree := fixture("bond_slave_down", "")
	if code, out, _ := runCLI(t, "maintenance", "--state-dir", state); code != 0 || !strings.Contains(out, "no maintenance") {
		t.Errorf("status: %d %q", code, out)
	}
	if code, _, stderr := runCLI(t, "maintenance", "on", "--state-dir", state); code == 0 || !strings.Contains(stderr, "--for is required") {
		t.Errorf("on without --for: %d %q", code, stderr)
	}
	code, out, _ := runCLI(t, "maintenance", "on", "--for", "2h", "--reason", "swap NIC", "--state-dir", state)
	if code != 0 || !strings.Contains(out, "maintenance until 2026-11-27T08:00:00Z: swap NIC") {
		t.Fatalf("on: %d %q", code, out)
	}
	code, out, _ = runCLI(t, "audit", "--root", tree, "--state-dir", state)
	if code != 1 || !strings.HasPrefix(out, "STATUS WARNING (maintenance until 2026-11-27T08:00:00Z: swap NIC)\n") {
		t.Errorf("table: %d %q", code, out)
	}
	_, out, _ = runCLI(t, "audit", "--root", tree, "--state-dir", state, "-o", "nagios")
	if !strings.HasPrefix(out, "REDWATCH WARNING - [maintenance until 2026-11-27T08:00:00Z: swap NIC] ") {
		t.Errorf("nagios: %q", out)
	}
	_, out, _ = runCLI(t, "audit", "--root", tree, "--state-dir", state, "-o", "json")
	var res struct {
		Findings    []struct{ Maintenance bool }
		Maintenance struct{ Reason string }
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Maintenance.Reason != "swap NIC" || len(res.Findings) == 0 || !res.Findings[0].Maintenance {
		t.Errorf("json: %v %s", err, out)
	}
	if code, _, _ := runCLI(t, "maintenance", "off", "--state-dir", state); code != 0 {
		t.Errorf("off: %d", code)
	}
	if _, out, _ := runCLI(t, "audit", "--root", tree, "--state-dir", state); strings.Contains(out, "maintenance") {
		t.Errorf("after off: %q", out)
	}
}

func TestAuditPending(t *testing.T) {
	state := t.TempDir()
	cfg := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(cfg, []byte("rules:\n  - {id: \"bond_*\", for: 1m}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runCLI(t, "audit", "--root", fixture("bond_slave_down", ""), "--state-dir", state, "--config", cfg)
	if code != 0 || !strings.HasPrefix(out, "STATUS OK (2 pending)") || !strings.Contains(out, "PENDING") || !strings.Contains(out, "counts from 2026-11-27T06:01:00Z") {
		t.Errorf("table: %d %q", code, out)
	}
	_, out, _ = runCLI(t, "audit", "--root", fixture("bond_slave_down", ""), "--state-dir", state, "--config", cfg, "-o", "json")
	var res struct {
		Status  string
		Pending []struct{ Rule, Due string }
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Status != "ok" || len(res.Pending) != 2 || res.Pending[0].Due != "2026-11-27T06:01:00Z" {
		t.Errorf("json: %v %s", err, out)
	}
}

// TestBaselineShowSettling: with the default settle time, one audit leaves
// the healthy bond settling, not recorded; baseline show lists it.
func TestBaselineShowSettling(t *testing.T) {
	state := t.TempDir()
	conf := filepath.Join(t.TempDir(), "redwatch.yaml")
	if err := os.WriteFile(conf, []byte("state_dir: /var/lib/redwatch\n") /* no baseline: key, the default settle */, 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, stderr := runCLI(t, "audit", "--root", fixture("bond_ab_healthy", ""), "--state-dir", state, "--config", conf); code != 0 {
		t.Fatalf("audit: exit %d %s%s", code, out, stderr)
	}
	code, out, _ := runCLI(t, "baseline", "show", "--state-dir", state, "--config", conf)
	want := "no baseline recorded in " + state + " yet: groups are recorded once seen fully healthy for 5m0s (baseline.settle)\n\n" +
		"SETTLING (seen fully healthy since SINCE; recorded once healthy for 5m0s, baseline.settle)\n" +
		"bond  bond0         2026-11-27T06:00:00Z  settling  eth0 eth1\n"
	if code != 0 || out != want {
		t.Errorf("baseline show: exit %d\n%s\nwant:\n%s", code, out, want)
	}
}

// TestMaintenanceWindows: `maintenance on --subject GLOB --rule GLOB`
// silences part of the host; several windows coexist; status lists them, the
// Nagios output says which findings each silences, and off ends one or all.
func TestMaintenanceWindows(t *testing.T) {
	state := t.TempDir()
	tree := fixture("bond_slave_down", "")
	for _, args := range [][]string{
		{"--subject", "bond0/eth1", "--rule", "bond_member_*", "--reason", "recable eth1"},
		{"--subject", "md0", "--reason", "disk swap"},
	} {
		if code, out, stderr := runCLI(t, append([]string{"maintenance", "on", "--for", "1h", "--state-dir", state}, args...)...); code != 0 {
			t.Fatalf("on %v: exit %d %s%s", args, code, out, stderr)
		}
	}
	if code, _, stderr := runCLI(t, "maintenance", "on", "--for", "1h", "--rule", "bond-*", "--state-dir", state); code != exitError || !strings.Contains(stderr, `--rule "bond-*" matches no rule`) {
		t.Errorf("on --rule bond-*: exit %d %q", code, stderr)
	}
	code, out, _ := runCLI(t, "maintenance", "status", "--state-dir", state)
	want := "maintenance of subject bond0/eth1, rule bond_member_* until 2026-11-27T07:00:00Z: recable eth1\n" +
		"maintenance of subject md0 until 2026-11-27T07:00:00Z: disk swap\n"
	if code != 0 || out != want {
		t.Errorf("status: exit %d\n%s\nwant\n%s", code, out, want)
	}
	_, out, _ = runCLI(t, "audit", "--root", tree, "--state-dir", state, "-o", "nagios")
	lines := strings.Split(out, "\n")
	if len(lines) < 3 || !strings.HasPrefix(lines[0], "REDWATCH WARNING - [maintenance of subject bond0/eth1, rule bond_member_* until 2026-11-27T07:00:00Z: recable eth1; maintenance of subject md0 until") ||
		lines[1] != "WARNING bond_below_min_healthy: bond0: 1 of 2 slaves healthy, 2 needed for redundancy" ||
		lines[2] != "WARNING bond_member_down: bond0: slave eth1 is down (link failures: 3) [silenced: maintenance of subject bond0/eth1, rule bond_member_* until 2026-11-27T07:00:00Z: recable eth1]" {
		t.Errorf("nagios:\n%s", out)
	}
	_, out, _ = runCLI(t, "audit", "--root", tree, "--state-dir", state, "-o", "json")
	var res struct {
		Findings []struct {
			Rule        string
			Maintenance bool
		}
		Windows []struct{ Subject, Rule string } `json:"maintenance_windows"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || len(res.Windows) != 2 || len(res.Findings) != 3 || // with power_not_observable (info), last
		res.Findings[0].Maintenance || !res.Findings[1].Maintenance {
		t.Errorf("json: %v %s", err, out)
	}
	if code, out, _ := runCLI(t, "maintenance", "off", "--subject", "md0", "--state-dir", state); code != 0 || out != "ended: maintenance of subject md0 until 2026-11-27T07:00:00Z: disk swap\n" {
		t.Errorf("off --subject md0: exit %d %q", code, out)
	}
	if _, out, _ := runCLI(t, "maintenance", "status", "--state-dir", state); strings.Contains(out, "md0") || !strings.Contains(out, "bond0/eth1") {
		t.Errorf("after off --subject md0: %q", out)
	}
	if code, out, _ := runCLI(t, "maintenance", "off", "--state-dir", state); code != 0 || !strings.HasPrefix(out, "ended: maintenance of subject bond0/eth1") {
		t.Errorf("off: exit %d %q", code, out)
	}
	if _, out, _ := runCLI(t, "maintenance", "status", "--state-dir", state); out != "no maintenance window is on\n" {
		t.Errorf("after off: %q", out)
	}
}
