package rules

import (
	"slices"
	"strings"
	"testing"

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
				if strings.HasPrefix(f.Rule, "psu_") && (f.Rule == "psu_health" || f.Rule == "psu_offline") && tt.psus[0].Source == "ipmi" && !strings.Contains(f.Message, "ipmi") {
					t.Errorf("%s message %q does not give the source's reason", f.Rule, f.Message)
				}
			}
		})
	}
}
