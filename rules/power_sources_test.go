package rules

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redwatch/redwatch/bonding"
	"github.com/redwatch/redwatch/collectors"
)

func bmcPSU(name, slot, state, reason string) collectors.PSU {
	p := collectors.PSU{Name: name, Type: collectors.PSUTypeMains, Scope: "System", Source: collectors.PSUSourceIPMI, Slot: slot,
		State: state, Reason: reason, Present: 1, Online: 1}
	switch state {
	case collectors.PSUStateAbsent:
		p.Present, p.Online = 0, 0
	case collectors.PSUStateInputLost:
		p.Online = 0
	}
	return p
}

func hwmonPSU(name, slot, state string) collectors.PSU {
	return collectors.PSU{Name: name, Type: collectors.PSUTypeMains, Scope: "System", Source: collectors.PSUSourceHwmon, Slot: slot,
		State: state, Present: 1, Online: 1}
}

func redfishPSU(name, slot, state string) collectors.PSU {
	return collectors.PSU{Name: name, Type: collectors.PSUTypeMains, Scope: "System", Source: collectors.PSUSourceRedfish, Slot: slot,
		State: state, Present: 1, Online: 1}
}

func sysfsPSU(name, slot string, online int) collectors.PSU {
	return collectors.PSU{Name: name, Type: collectors.PSUTypeMains, Source: collectors.PSUSourceSysfs, Slot: slot, Online: online, Present: collectors.Unknown}
}

// TestPowerSourcesMerged checks the one power group over several sources:
// de-duplication by slot, the ACPI adapter left out when a BMC counts the
// supplies, the redundancy sensor's state as the group's.
func TestPowerSourcesMerged(t *testing.T) {
	ok := collectors.PSUStateOK
	tests := []struct {
		name     string
		psus     []collectors.PSU
		red      []collectors.PowerRedundancy
		members  string // name=state ...
		healthy  int
		redState string
		findings []string // rule severity subject
		message  string   // in the psu_health finding, if set
	}{
		{name: "acpi adapter and ipmi", psus: []collectors.PSU{sysfsPSU("AC", "", 1), bmcPSU("PS1 Status", "1", ok, "Presence detected"), bmcPSU("PS2 Status", "2", ok, "Presence detected")},
			members: "PS1 Status=online PS2 Status=online", healthy: 2},
		{name: "acpi adapter alone", psus: []collectors.PSU{sysfsPSU("AC", "", 1)},
			members: "AC=online", healthy: 1, findings: []string{"power_not_observable info power", "psu_single warning power/AC"}},
		{name: "single ipmi supply", psus: []collectors.PSU{sysfsPSU("AC", "", 1), bmcPSU("PS1 Status", "1", ok, "")},
			members: "PS1 Status=online", healthy: 1, findings: []string{"psu_single warning power/PS1 Status"}},
		{name: "same supply in sysfs and ipmi", psus: []collectors.PSU{sysfsPSU("PS1", "1", 1), sysfsPSU("PS2", "2", 1),
			bmcPSU("PS1 Status", "1", collectors.PSUStateFailed, "Presence detected; Power Supply Failure detected"), bmcPSU("PS2 Status", "2", ok, "")},
			members: "PS1=unhealthy PS2=online", healthy: 1, findings: []string{"psu_health warning power/PS1"}},
		{name: "one supply in hwmon and ipmi", psus: []collectors.PSU{hwmonPSU("dps800@5-0058", "1", collectors.PSUStateFailed), bmcPSU("PS1 Status", "1", ok, "Presence detected")},
			members: "dps800@5-0058=unhealthy", healthy: 0, findings: []string{"psu_health warning power/dps800@5-0058", "psu_single warning power/dps800@5-0058"}},
		{name: "one supply, redfish predicts, ipmi failed", psus: []collectors.PSU{redfishPSU("PSU1", "1", collectors.PSUStatePredictiveFailure), bmcPSU("PS1 Status", "1", collectors.PSUStateFailed, "Presence detected; Power Supply Failure detected"), bmcPSU("PS2 Status", "2", ok, "")},
			members: "PSU1=unhealthy PS2 Status=online", healthy: 1, findings: []string{"psu_health warning power/PSU1"}, message: "has failed"},
		{name: "hwmon and ipmi, different bays", psus: []collectors.PSU{hwmonPSU("dps800@5-0058", "1", ok), bmcPSU("PS2 Status", "2", ok, "Presence detected")},
			members: "dps800@5-0058=online PS2 Status=online", healthy: 2},
		{name: "ac lost", psus: []collectors.PSU{bmcPSU("PS1 Status", "1", collectors.PSUStateInputLost, "Presence detected; Power Supply input lost (AC/DC)"), bmcPSU("PS2 Status", "2", ok, "")},
			members: "PS1 Status=offline PS2 Status=online", healthy: 1, findings: []string{"psu_offline warning power/PS1 Status"}},
		{name: "absent", psus: []collectors.PSU{bmcPSU("PS1 Status", "1", ok, ""), bmcPSU("PS2 Status", "2", collectors.PSUStateAbsent, "Presence not detected (empty bay)")},
			members: "PS1 Status=online PS2 Status=absent", healthy: 1, findings: []string{"psu_offline warning power/PS2 Status"}},
		{name: "predictive", psus: []collectors.PSU{bmcPSU("PS1 Status", "1", collectors.PSUStatePredictiveFailure, "Presence detected; Predictive Failure"), bmcPSU("PS2 Status", "2", ok, "")},
			members: "PS1 Status=unhealthy PS2 Status=online", healthy: 1, findings: []string{"psu_health warning power/PS1 Status"}},
		{name: "redundancy lost with every supply ok", psus: []collectors.PSU{bmcPSU("PS1 Status", "1", ok, ""), bmcPSU("PS2 Status", "2", ok, "")},
			red:     []collectors.PowerRedundancy{{Source: "ipmi", Name: "PSU Redundancy", State: collectors.RedundancyLost, MinNeeded: collectors.Unknown, Message: "Redundancy Lost"}},
			members: "PS1 Status=online PS2 Status=online", healthy: 2, redState: "lost", findings: []string{"power_redundancy_lost warning power"}},
		{name: "insufficient", psus: []collectors.PSU{bmcPSU("PS1 Status", "1", ok, "")},
			red:     []collectors.PowerRedundancy{{Source: "ipmi", Name: "PSU Redundancy", State: collectors.RedundancyNonRedundantInsufficient, MinNeeded: collectors.Unknown}},
			members: "PS1 Status=online", healthy: 1, redState: "non_redundant_insufficient", findings: []string{"power_redundancy_lost critical power", "psu_single warning power/PS1 Status"}},
		{name: "fully redundant", psus: []collectors.PSU{bmcPSU("PS1 Status", "1", ok, ""), bmcPSU("PS2 Status", "2", ok, "")},
			red:     []collectors.PowerRedundancy{{Source: "ipmi", Name: "PSU Redundancy", State: collectors.RedundancyFull, MinNeeded: collectors.Unknown}},
			members: "PS1 Status=online PS2 Status=online", healthy: 2, redState: "full"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Evaluate(&collectors.Snapshot{PSUs: tt.psus, PowerRedundancy: tt.red})
			g := psuGroup(res)
			if g == nil {
				t.Fatal("no power group")
			}
			var ms []string
			for _, m := range g.Members {
				ms = append(ms, m.Name+"="+m.State)
			}
			if strings.Join(ms, " ") != tt.members || g.Healthy != tt.healthy || g.Redundancy != tt.redState {
				t.Errorf("group %s healthy %d redundancy %q, want %s healthy %d redundancy %q", ms, g.Healthy, g.Redundancy, tt.members, tt.healthy, tt.redState)
			}
			got := slices.Concat(prefixFindings(res, "psu_"), prefixFindings(res, "power_"))
			slices.Sort(got)
			if strings.Join(got, ",") != strings.Join(tt.findings, ",") {
				t.Errorf("findings %v, want %v", got, tt.findings)
			}
			for _, f := range res.Findings {
				if f.Rule == "psu_health" && tt.message != "" && !strings.Contains(f.Message, tt.message) {
					t.Errorf("psu_health message %q, want it to say %q", f.Message, tt.message)
				}
				if strings.HasPrefix(f.Rule, "psu_") && (f.Rule == "psu_health" || f.Rule == "psu_offline") && tt.psus[0].Source == "ipmi" && !strings.Contains(f.Message, "ipmi") {
					t.Errorf("%s message %q does not give the source's reason", f.Rule, f.Message)
				}
			}
		})
	}
}

// TestPowerNotObservable: when no source can count the supplies, the power
// group is listed as not observable (never as healthy, never degraded) and
// power_not_observable (info) says so; a power source that failed keeps the
// pass UNKNOWN instead, and no_redundancy_groups counts only the groups
// redundancy can be seen in.
func TestPowerNotObservable(t *testing.T) {
	bond := bonding.Bond{Name: "bond0", Mode: bonding.ModeActiveBackup, MIIStatus: "up", MIIMon: 100,
		Slaves: []bonding.Slave{{Name: "eth0", MIIStatus: "up"}, {Name: "eth1", MIIStatus: "up"}}}
	hwmon := collectors.PSU{Name: "dps800@5-0058", Type: collectors.PSUTypeMains, Source: collectors.PSUSourceHwmon, Slot: "1",
		State: collectors.PSUStateOK, Present: 1, Online: 1}
	tests := []struct {
		name   string
		snap   collectors.Snapshot
		status Status
		group  string // "": no power group; else "members not_observable"
		rules  []string
	}{
		{name: "nothing at all", status: StatusOK, group: "0 true",
			rules: []string{"no_redundancy_groups host", "power_not_observable power"}},
		{name: "a bond and no power source", snap: collectors.Snapshot{Bonds: []bonding.Bond{bond}}, status: StatusOK, group: "0 true",
			rules: []string{"power_not_observable power"}},
		{name: "ACPI adapter alone", snap: collectors.Snapshot{Bonds: []bonding.Bond{bond}, PSUs: []collectors.PSU{sysfsPSU("AC", "", 1)}},
			status: StatusWarning, group: "1 true", rules: []string{"power_not_observable power", "psu_single power/AC"}},
		{name: "power collector failed", snap: collectors.Snapshot{Bonds: []bonding.Bond{bond},
			Errors: []collectors.Error{{Collector: "power", Path: "/sys/class/power_supply", Err: errors.New("boom")}}}, status: StatusUnknown},
		{name: "BMC does not answer", snap: collectors.Snapshot{Bonds: []bonding.Bond{bond}, PSUs: []collectors.PSU{sysfsPSU("AC", "", 1)},
			Errors: []collectors.Error{{Collector: collectors.IPMICollector, Path: "/dev/ipmi0", Err: errors.New("timeout")}}},
			status: StatusUnknown, group: "1 false", rules: []string{"psu_single power/AC"}},
		{name: "one hwmon supply is counted", snap: collectors.Snapshot{Bonds: []bonding.Bond{bond}, PSUs: []collectors.PSU{hwmon}},
			status: StatusWarning, group: "1 false", rules: []string{"psu_single power/dps800@5-0058"}},
		{name: "a redundancy sensor without supplies", snap: collectors.Snapshot{Bonds: []bonding.Bond{bond},
			PowerRedundancy: []collectors.PowerRedundancy{{Source: "ipmi", Name: "PS Redundancy", State: collectors.RedundancyFull, MinNeeded: collectors.Unknown}}},
			status: StatusOK, group: "0 false"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Evaluate(&tt.snap)
			if res.Status != tt.status {
				t.Errorf("status %s, want %s", res.Status, tt.status)
			}
			got := ""
			if g := psuGroup(res); g != nil {
				got = fmt.Sprint(len(g.Members), " ", g.NotObservable)
				if g.NotObservable && len(g.Members) == 0 && (g.Healthy != 0 || g.Total != 0) {
					t.Errorf("not observable group %+v counts members", g)
				}
			}
			if got != tt.group {
				t.Errorf("power group %q, want %q", got, tt.group)
			}
			var rs []string
			for _, f := range res.Findings {
				rs = append(rs, f.Rule+" "+f.Subject)
				if f.Rule == "power_not_observable" && (f.Severity != Info || !strings.Contains(f.Message, "power redundancy not observable")) {
					t.Errorf("finding %+v", f)
				}
			}
			slices.Sort(rs)
			if !slices.Equal(rs, tt.rules) {
				t.Errorf("findings %q, want %q", rs, tt.rules)
			}
		})
	}
	// The listing does not depend on the finding: disabled, the group stays.
	out := EvaluateWith(&collectors.Snapshot{}, Options{Controls: []Control{{ID: "power_not_observable", Disabled: true}}})
	if g := psuGroup(out.Result); g == nil || !g.NotObservable {
		t.Errorf("rule disabled: power group %+v, want it listed as not observable", g)
	}
	// The baseline records no member set for a group nobody can count.
	b := Baseline{}
	if done, ok := b.Accept(out.Result.Groups, "", time.Unix(0, 0)); ok || len(b) != 0 {
		t.Errorf("baseline accept recorded %v", done)
	}
}
