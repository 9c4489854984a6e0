package server

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/redwatch/redwatch/collectors"
	"github.com/redwatch/redwatch/rules"
)

// Power metrics: the decoded state of each supply a BMC or hwmon source
// reads, and each redundancy set's state. The state is the reason's class
// (failed, input_lost, ...), a closed vocabulary: the reason in words stays
// in the findings, off the labels.
var (
	descPowerSupplyState = prometheus.NewDesc("redwatch_power_supply_state",
		"1 for the decoded state a power supply is in, 0 for every other state (ok, failed, predictive_failure, input_lost, absent, standby, unknown); supplies of sources that decode one (ipmi, redfish, hwmon).",
		[]string{"supply", "source", "state"}, nil)
	descPowerRedundancyState = prometheus.NewDesc("redwatch_power_redundancy_state",
		"1 for the state a BMC's power redundancy set is in, 0 for every other state (full, degraded, lost, non_redundant_sufficient, non_redundant_insufficient, unknown).",
		[]string{"source", "name", "state"}, nil)
)

var descPowerObservable = prometheus.NewDesc("redwatch_power_observable",
	"1 when a source counts the power supplies one by one (sysfs supplies with a bay, PMBus hwmon, IPMI, Redfish), 0 when power redundancy is not observable (power_not_observable: no such source, or ACPI's adapter alone); absent when a power source failed and nothing was kept.",
	nil, nil)

var powerDescs = []*prometheus.Desc{descPowerSupplyState, descPowerRedundancyState, descPowerObservable}

// psuStates and redundancyStates are the vocabularies exported as 0/1.
var (
	psuStates = []string{collectors.PSUStateOK, collectors.PSUStateFailed, collectors.PSUStatePredictiveFailure,
		collectors.PSUStateInputLost, collectors.PSUStateAbsent, collectors.PSUStateStandby, collectors.PSUStateUnknown}
	redundancyStates = []string{collectors.RedundancyFull, collectors.RedundancyDegraded, collectors.RedundancyLost,
		collectors.RedundancyNonRedundantSufficient, collectors.RedundancyNonRedundantInsufficient, collectors.RedundancyUnknown}
)

// powerMetrics exports the snapshot's decoded supplies and redundancy sets.
func powerMetrics(s *collectors.Snapshot, gauge func(d *prometheus.Desc, v float64, labels ...string)) {
	seen := map[[2]string]bool{}
	for _, p := range s.PSUs {
		k := [2]string{p.Name, p.Source}
		if p.State == "" || seen[k] {
			continue
		}
		seen[k] = true
		for _, st := range withState(psuStates, p.State) {
			gauge(descPowerSupplyState, boolFloat(st == p.State), p.Name, p.Source, st)
		}
	}
	seenR := map[[2]string]bool{}
	for _, r := range s.PowerRedundancy {
		k := [2]string{r.Source, r.Name}
		if seenR[k] {
			continue
		}
		seenR[k] = true
		for _, st := range withState(redundancyStates, r.State) {
			gauge(descPowerRedundancyState, boolFloat(st == r.State), r.Source, r.Name, st)
		}
	}
}

// powerObservableMetric exports whether the pass's power group can be
// counted (rules.Group.NotObservable); nothing without a power group.
func powerObservableMetric(groups []rules.Group, gauge func(d *prometheus.Desc, v float64, labels ...string)) {
	for _, g := range groups {
		if g.Kind == rules.KindPSU && g.Name == rules.PowerGroup {
			gauge(descPowerObservable, boolFloat(!g.NotObservable))
			return
		}
	}
}
