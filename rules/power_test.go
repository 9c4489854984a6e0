package rules

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/redwatch/redwatch/collectors"
	"github.com/redwatch/redwatch/internal/clock"
	"github.com/redwatch/redwatch/internal/testtree"
	"github.com/redwatch/redwatch/ipmi"
)

func psuNow() time.Time { return time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC) }

// psuFindings returns the power findings of a result as "rule severity subject".
func psuFindings(res Result) []string { return prefixFindings(res, "psu_") }

// prefixFindings returns the findings of rules whose ID starts with prefix
// as "rule severity subject", sorted.
func prefixFindings(res Result, prefix string) []string {
	var out []string
	for _, f := range res.Findings {
		if strings.HasPrefix(f.Rule, prefix) {
			out = append(out, f.Rule+" "+f.Severity.String()+" "+f.Subject)
		}
	}
	sort.Strings(out)
	return out
}

// psuGroup returns the power group of a result, or nil.
func psuGroup(res Result) *Group {
	for i := range res.Groups {
		if res.Groups[i].Kind == KindPSU {
			return &res.Groups[i]
		}
	}
	return nil
}

// checkFindingShape checks what every power finding must carry.
func checkFindingShape(t *testing.T, res Result) {
	t.Helper()
	for _, f := range res.Findings {
		if !strings.HasPrefix(f.Rule, "psu_") {
			continue
		}
		name := strings.TrimPrefix(f.Subject, PowerGroup+"/")
		if f.Message == "" || f.Remediation == "" || !strings.Contains(f.Message, name) || name == f.Subject {
			t.Errorf("finding %s %s: message %q, remediation %q", f.Rule, f.Subject, f.Message, f.Remediation)
		}
		if f.Facts["type"] != collectors.PSUTypeMains || f.Facts["online"] == "" || f.Facts["source"] == "" {
			t.Errorf("finding %s %s: facts %v", f.Rule, f.Subject, f.Facts)
		}
		if f.Rule == "psu_health" && !strings.Contains(f.Message, f.Facts["reason"]) {
			t.Errorf("finding %s %s: message %q lacks the source's reason %q", f.Rule, f.Subject, f.Message, f.Facts["reason"])
		}
	}
}

// TestPowerFixtures runs collect + evaluate over the fixture trees under
// testdata/psu_* (the same path `redwatch audit --root` takes).
func TestPowerFixtures(t *testing.T) {
	tests := map[string]struct {
		status   Status
		findings []string
		healthy  int
		total    int
		states   []string
	}{
		"psu_two_healthy": {status: StatusOK, healthy: 2, total: 2, states: []string{"online", "online"}},
		"psu_one_offline": {status: StatusWarning, healthy: 1, total: 2, states: []string{"online", "offline"},
			findings: []string{"psu_offline warning power/PS2"}},
		"psu_one_vanished": {status: StatusWarning, healthy: 1, total: 1, states: []string{"online"},
			findings: []string{"psu_single warning power/PS1"}},
		"psu_none_online": {status: StatusCritical, healthy: 0, total: 2, states: []string{"offline", "offline"},
			findings: []string{"psu_offline critical power/PS1", "psu_offline critical power/PS2"}},
		// PMBus supplies (hwmon): a CPU sensor's alarm beside them is no supply's.
		"psu_hwmon_healthy": {status: StatusOK, healthy: 2, total: 2, states: []string{"online", "online"}},
		"psu_hwmon_alarm": {status: StatusWarning, healthy: 1, total: 2, states: []string{"online", "unhealthy"},
			findings: []string{"psu_health warning power/dps800@5-0059"}},
		"psu_hwmon_fault": {status: StatusWarning, healthy: 1, total: 2, states: []string{"online", "unhealthy"},
			findings: []string{"psu_health warning power/dps800@5-0059"}},
		"psu_hwmon_one_gone": {status: StatusWarning, healthy: 1, total: 2, states: []string{"online", "offline"},
			findings: []string{"psu_offline warning power/dps800@5-0059"}},
	}
	for name, want := range tests {
		t.Run(name, func(t *testing.T) {
			root := filepath.Join("..", "testdata", name)
			s := collectors.Collect(context.Background(), collectors.TreeRoots(root), clock.NewFake(psuNow()))
			res := Evaluate(s)
			if len(res.Errors) > 0 {
				t.Fatalf("errors: %v", res.Errors)
			}
			if res.Status != want.status {
				t.Errorf("status = %s, want %s; findings %v", res.Status, want.status, psuFindings(res))
			}
			if got := psuFindings(res); !slices.Equal(got, want.findings) {
				t.Errorf("findings = %v, want %v", got, want.findings)
			}
			g := psuGroup(res)
			if g == nil {
				t.Fatal("no psu group")
			}
			var states []string
			for _, m := range g.Members {
				states = append(states, m.State)
			}
			if g.Name != PowerGroup || g.Needed != 2 || g.Healthy != want.healthy || g.Total != want.total || !slices.Equal(states, want.states) {
				t.Errorf("group = %+v, want healthy %d of %d, states %v", g, want.healthy, want.total, want.states)
			}
			checkFindingShape(t, res)
		})
	}
}

func TestPowerRules(t *testing.T) {
	const U = collectors.Unknown
	psu := func(name, typ string, online, present int, health string) collectors.PSU {
		return collectors.PSU{Name: name, Type: typ, Online: online, Present: present, Health: health, Source: collectors.PSUSourceSysfs,
			Slot: ipmi.SupplySlot(name)} // as the sysfs collector names the bay
	}
	tests := []struct {
		name     string
		psus     []collectors.PSU
		findings []string
		group    bool // a group with members
		// unobservable: the power group is listed NotObservable and
		// power_not_observable says so (no supply, or ACPI's adapter alone).
		unobservable bool
		healthy      int
	}{
		{name: "no supplies at all", unobservable: true},
		{name: "laptop battery alone is not a PSU", unobservable: true, psus: []collectors.PSU{psu("BAT0", "Battery", U, 1, "Good")}},
		{name: "batteries, USB and UPS offline are not findings", unobservable: true,
			psus: []collectors.PSU{psu("BAT0", "Battery", 0, 0, "Dead"), psu("usb", "USB", 0, 0, ""), psu("ups", "UPS", 0, 1, "Overheat")}},
		{name: "device-scoped Mains is not the system's", unobservable: true,
			psus: []collectors.PSU{{Name: "hid-dock", Type: "Mains", Scope: "Device", Online: 0, Present: 1}}},
		{name: "three healthy Mains", group: true, healthy: 3,
			psus: []collectors.PSU{psu("PS1", "Mains", 1, 1, "Good"), psu("PS2", "Mains", 1, U, ""), psu("PS3", "Mains", 1, 1, "Unknown")}},
		{name: "one of two pulled", group: true, healthy: 1,
			psus:     []collectors.PSU{psu("PS1", "Mains", 1, 1, ""), psu("PS2", "Mains", 0, 0, "")},
			findings: []string{"psu_offline warning power/PS2"}},
		{name: "present 0 wins over a stale online 1", group: true, healthy: 1,
			psus:     []collectors.PSU{psu("PS1", "Mains", 1, 1, ""), psu("PS2", "Mains", 1, 0, "")},
			findings: []string{"psu_offline warning power/PS2"}},
		{name: "overheating supply", group: true, healthy: 1,
			psus:     []collectors.PSU{psu("PS1", "Mains", 1, 1, "Overheat"), psu("PS2", "Mains", 1, 1, "Good")},
			findings: []string{"psu_health warning power/PS1"}},
		{name: "single Mains and a battery", group: true, unobservable: true, healthy: 1,
			psus:     []collectors.PSU{psu("AC", "Mains", 1, U, ""), psu("BAT0", "Battery", U, 1, "")},
			findings: []string{"psu_single warning power/AC"}},
		{name: "single Mains offline: on battery", group: true, unobservable: true, healthy: 0,
			psus:     []collectors.PSU{psu("AC", "Mains", 0, U, ""), psu("BAT0", "Battery", U, 1, "")},
			findings: []string{"psu_offline critical power/AC", "psu_single warning power/AC"}},
		{name: "a supply of unknown type may be the second one: no psu_single", group: true, healthy: 1,
			psus: []collectors.PSU{psu("PS1", "Mains", 1, 1, ""), psu("PS2", "", 1, 1, "")}},
		{name: "online unknown is neither healthy nor offline (the collector reports it)", group: true, healthy: 1,
			psus: []collectors.PSU{psu("PS1", "Mains", 1, 1, ""), psu("PS2", "Mains", U, 1, "")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Evaluate(&collectors.Snapshot{PSUs: tt.psus})
			if got := psuFindings(res); !slices.Equal(got, tt.findings) {
				t.Errorf("findings = %v, want %v", got, tt.findings)
			}
			g := psuGroup(res)
			if g == nil {
				t.Fatal("no power group: it is listed, as not observable, even without a supply")
			}
			if g.NotObservable != tt.unobservable || (len(g.Members) > 0) != tt.group {
				t.Fatalf("group = %+v, want members: %v, not observable: %v", g, tt.group, tt.unobservable)
			}
			if got := slices.Contains(prefixFindings(res, "power_"), "power_not_observable info power"); got != tt.unobservable {
				t.Errorf("power_not_observable: %v, want %v", got, tt.unobservable)
			}
			if g.Healthy != tt.healthy {
				t.Errorf("healthy = %d, want %d (%+v)", g.Healthy, tt.healthy, g.Members)
			}
			checkFindingShape(t, res)
		})
	}
}

func TestPowerRulesRegistered(t *testing.T) {
	var ids []string
	for _, r := range Builtin() {
		if strings.HasPrefix(r.ID, "psu_") {
			ids = append(ids, r.ID)
			if r.Checks == "" || r.Remediation == "" || strings.Contains(r.Remediation, "\n") || r.check == nil {
				t.Errorf("rule %s is incomplete", r.ID)
			}
		}
	}
	if want := []string{"psu_offline", "psu_single", "psu_health"}; !slices.Equal(ids, want) {
		t.Errorf("power rules = %v, want %v", ids, want)
	}
}

// TestPowerCorpus runs every power_supply sample of the real-world corpus
// through collect + evaluate and checks the verdict against MANIFEST.tsv and
// the power findings each sample must give.
func TestPowerCorpus(t *testing.T) {
	corpus := testtree.Corpus(t)
	want := map[string][]string{
		// A laptop battery alone: no Mains supply, no group, no finding.
		"power_supply/fastfetch118_BAT0_charging.uevent": nil,
		// The AC (Mains, from the type file) is offline: on battery.
		"power_supply/node_exporter_AC_offline_BAT0_discharging": {"psu_offline critical power/AC", "psu_single warning power/AC"},
		// The vac Mains supply is not present (PRESENT=0, no ONLINE).
		"power_supply/sp_endurance_n9_usb_vac_absent": {"psu_offline critical power/vac", "psu_single warning power/vac"},
	}
	rows := manifestRows(t, corpus, "power_supply/")
	for _, row := range rows {
		sample, place, expect := row.sample, row.place, row.expect
		t.Run(sample, func(t *testing.T) {
			wantFindings, ok := want[sample]
			if !ok {
				t.Fatalf("no expected findings for %s", sample)
			}
			root := filepath.Join(corpus, sample)
			if place != "tree" {
				data, err := os.ReadFile(root)
				if err != nil {
					t.Fatal(err)
				}
				root = t.TempDir()
				dst := filepath.Join(root, place)
				if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(dst, data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			res := Evaluate(collectors.Collect(context.Background(), collectors.TreeRoots(root), clock.NewFake(psuNow())))
			if !slices.Contains(expect, res.Status.String()) {
				t.Errorf("status %s, manifest allows %v (findings %v, errors %v)", res.Status, expect, psuFindings(res), res.Errors)
			}
			if got := psuFindings(res); !slices.Equal(got, wantFindings) {
				t.Errorf("findings = %v, want %v", got, wantFindings)
			}
			checkFindingShape(t, res)
		})
	}
	if len(rows) != len(want) {
		t.Errorf("%d power_supply samples in the manifest, %d expected here", len(rows), len(want))
	}
}
