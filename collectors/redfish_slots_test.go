package collectors

import (
	"strings"
	"testing"

	"github.com/redwatch/redwatch/redfish"
)

// TestRedfishSlotsFromOne: Redfish bays count from 1 as IPMI's do, so that
// the supply both report is one member: a chassis whose supplies count from
// 0 (legacy MemberIds, "Power Supply 0" names) moves up by one, a chassis
// that counts from 1 stays, each chassis on its own.
func TestRedfishSlotsFromOne(t *testing.T) {
	ok := redfish.Status{State: "Enabled", Health: "OK"}
	sup := func(chassis, name, label, member string) redfish.Supply {
		return redfish.Supply{Chassis: chassis, ID: chassis + "/" + member, Name: name, Label: label, MemberID: member, Status: ok}
	}
	tests := []struct {
		name string
		in   []redfish.Supply
		want string // "name=slot ..."
	}{
		{"legacy MemberIds", []redfish.Supply{sup("1U", "Power Supply Bay", "", "0"), sup("1U", "Power Supply Bay", "", "1")},
			"1U/Power Supply Bay=1 1U/Power Supply Bay=2"},
		{"names from 0 (DMTF bladed mockup)", []redfish.Supply{sup("Encl", "Power Supply 0", "", "0"), sup("Encl", "Power Supply 1", "", "1")},
			"Power Supply 0=1 Power Supply 1=2"},
		{"service labels from 1 stay", []redfish.Supply{sup("Tower", "Power Supply Bay 1", "PSU 1", "Bay1"), sup("Tower", "Power Supply Bay 2", "PSU 2", "Bay2")},
			"Power Supply Bay 1=1 Power Supply Bay 2=2"},
		{"each chassis on its own", []redfish.Supply{sup("A", "PSU A0", "", "0"), sup("B", "PSU B1", "", "1")},
			"PSU A0=1 PSU B1=1"},
	}
	for _, tt := range tests {
		var got []string
		for _, p := range redfishFacts(redfish.Facts{Supplies: tt.in}).psus {
			got = append(got, p.Name+"="+p.Slot)
		}
		if strings.Join(got, " ") != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, strings.Join(got, " "), tt.want)
		}
	}
}
