package server

import (
	"strings"
	"testing"
)

// TestPowerViews shows a BMC's failed supply and lost redundancy in
// /metrics (promtool-clean), /health and the status page.
func TestPowerViews(t *testing.T) {
	h := newTestServer(t, fixtureReport(t, "psu_ipmi_redundancy_lost"), passTime).Handler()
	_, body, _ := get(t, h, "/metrics")
	for _, want := range []string{
		`redwatch_power_supply_state{source="ipmi",state="failed",supply="PS1 Status"} 1`,
		`redwatch_power_supply_state{source="ipmi",state="ok",supply="PS1 Status"} 0`,
		`redwatch_power_supply_state{source="ipmi",state="ok",supply="PS2 Status"} 1`,
		`redwatch_power_redundancy_state{name="PSU Redundancy",source="ipmi",state="lost"} 1`,
		`redwatch_power_redundancy_state{name="PSU Redundancy",source="ipmi",state="full"} 0`,
		`redwatch_member_state{group="power",kind="psu",member="PS1 Status",state="unhealthy"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(body, `supply="AC"`) {
		t.Error("the ACPI adapter has a decoded state")
	}
	promtoolCheck(t, body)

	_, body, _ = get(t, h, "/health")
	for _, want := range []string{`"redundancy":"lost"`, `Power Supply Failure detected`, `"rule":"power_redundancy_lost"`} {
		if !strings.Contains(strings.ReplaceAll(body, `": "`, `":"`), want) {
			t.Errorf("/health lacks %s:\n%s", want, body)
		}
	}
	_, body, _ = get(t, h, "/")
	for _, want := range []string{"needs 2, redundancy lost", "PS1 Status · unhealthy", "Power Supply Failure detected"} {
		if !strings.Contains(body, want) {
			t.Errorf("status page lacks %q", want)
		}
	}
}

// TestPowerNotObservableViews: on a host where no source counts the
// supplies, the power group is listed as not observable in /metrics
// (redwatch_power_observable 0, no member counts to compare), /health and
// the status page, and the pass stays OK; where a source counts them,
// redwatch_power_observable is 1.
func TestPowerNotObservableViews(t *testing.T) {
	h := newTestServer(t, fixtureReport(t, "bond_ab_healthy"), passTime).Handler()
	_, body, _ := get(t, h, "/metrics")
	if !strings.Contains(body, "\nredwatch_power_observable 0\n") || !strings.Contains(body, "redwatch_status 0\n") {
		t.Errorf("metrics lack redwatch_power_observable 0 and status 0")
	}
	if strings.Contains(body, `kind="psu"`) {
		t.Error("a power group nobody can count has member counts in /metrics")
	}
	promtoolCheck(t, body)

	_, body, _ = get(t, h, "/health")
	body = strings.ReplaceAll(body, `": `, `":`)
	for _, want := range []string{`"status":"ok"`, `"not_observable":true`, `"rule":"power_not_observable"`, "power redundancy not observable"} {
		if !strings.Contains(body, want) {
			t.Errorf("/health lacks %s:\n%s", want, body)
		}
	}
	_, body, _ = get(t, h, "/")
	for _, want := range []string{`class="group unobservable"`, "psu power <span class=\"count\">redundancy not observable: no source counts the supplies"} {
		if !strings.Contains(body, want) {
			t.Errorf("status page lacks %q", want)
		}
	}

	h = newTestServer(t, fixtureReport(t, "psu_two_healthy"), passTime).Handler()
	if _, body, _ = get(t, h, "/metrics"); !strings.Contains(body, "\nredwatch_power_observable 1\n") {
		t.Error("metrics lack redwatch_power_observable 1 where two supplies are counted")
	}
}
