package rules

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/redwatch/redwatch/collectors"
)

// KindPSU is the group kind of the power supplies.
const KindPSU = "psu"

// PowerGroup is the name of the one power supply group.
const PowerGroup = "power"

// Power supply member states.
const (
	// StateOnline is a Mains supply with input power.
	StateOnline = "online"
	// StateOffline is a Mains supply present but without input power.
	StateOffline = "offline"
	// StateAbsent is a Mains supply slot whose supply is not present.
	StateAbsent = "absent"
	// StateUnhealthy is a Mains supply online but with a failing health.
	StateUnhealthy = "unhealthy"
	// StateUnknown is a Mains supply whose input state nobody can tell
	// (the collector reports it as an error as well).
	StateUnknown = "unknown"
)

// healthOK reports whether a POWER_SUPPLY_HEALTH value is not a failure:
// "Good", "Unknown", or none at all. Every other value the kernel prints
// ("Overheat", "Dead", "Over voltage", "Unspecified failure", "Over current",
// ...) is.
func healthOK(h string) bool { return h == "" || h == "Good" || h == "Unknown" }

// psuState is a Mains supply's member state.
func psuState(p *collectors.PSU) string {
	if st, ok := decodedState(p); ok {
		return st
	}
	switch {
	case p.Present == 0:
		return StateAbsent
	case p.Online == 0:
		return StateOffline
	case p.Online == collectors.Unknown:
		return StateUnknown
	case !healthOK(p.Health):
		return StateUnhealthy
	}
	return StateOnline
}

// psuOnline reports whether a supply has input power (health aside).
func psuOnline(p *collectors.PSU) bool { return p.Present != 0 && p.Online >= 1 }

// stateRank orders member states from best to worst, to pick the view of a
// supply that two sources see differently.
var stateRank = map[string]int{StateOnline: 0, StateUnknown: 1, StateUnhealthy: 2, StateOffline: 3, StateAbsent: 4}

// worseView reports whether supply p, seen by one source, is worse than q,
// the same supply seen by another: a worse member state, or within
// "unhealthy" a failure over a predicted one (the finding is then critical,
// not a warning).
func worseView(p, q *collectors.PSU) bool {
	rp, rq := stateRank[psuState(p)], stateRank[psuState(q)]
	if rp != rq {
		return rp > rq
	}
	return p.State == collectors.PSUStateFailed && q.State == collectors.PSUStatePredictiveFailure
}

// mainsPSUs are the host's Mains supplies, one per physical supply, in
// order: the supplies of every source (sysfs, IPMI, Redfish, hwmon) merged
// by the rule of docs/power.md:
//
//   - supplies of different sources with the same Slot are one supply; its
//     view is the worst state any source reports (a supply IPMI says failed
//     is failed whatever sysfs says or Redfish predicts), its name the
//     first source's;
//   - a sysfs supply without a Slot (ACPI's "AC" adapter, which stands for
//     all supplies together) is left out when another source counts the
//     supplies one by one;
//   - supplies without a Slot are otherwise kept as they are.
func mainsPSUs(s *collectors.Snapshot) []*collectors.PSU {
	var all []*collectors.PSU
	bmc := false
	for i := range s.PSUs {
		if p := &s.PSUs[i]; p.IsMains() {
			all = append(all, p)
			if p.Source != collectors.PSUSourceSysfs && p.Source != "" {
				bmc = true
			}
		}
	}
	var out []*collectors.PSU
	bySlot := map[string]int{} // slot -> index into out
	for _, p := range all {
		if p.Slot == "" {
			if bmc && (p.Source == collectors.PSUSourceSysfs || p.Source == "") {
				continue
			}
			out = append(out, p)
			continue
		}
		i, seen := bySlot[p.Slot]
		if !seen {
			bySlot[p.Slot] = len(out)
			out = append(out, p)
			continue
		}
		if worseView(p, out[i]) {
			q := *p
			q.Name = out[i].Name
			out[i] = &q
		}
	}
	return out
}

// acpiAdapterOnly reports whether the Mains supplies are a single sysfs
// supply without a bay ("AC", "ACAD", "ADP1": ACPI's adapter, which stands
// for all of a server's supplies together).
func acpiAdapterOnly(mains []*collectors.PSU) bool {
	return len(mains) == 1 && mains[0].Slot == "" && (mains[0].Source == collectors.PSUSourceSysfs || mains[0].Source == "")
}

// powerRedundancy is the worst redundancy state the sources report, with
// the set that reports it; nil when none does.
func powerRedundancy(s *collectors.Snapshot) *collectors.PowerRedundancy {
	var worst *collectors.PowerRedundancy
	for i := range s.PowerRedundancy {
		r := &s.PowerRedundancy[i]
		if worst == nil || redundancyRank[r.State] > redundancyRank[worst.State] {
			worst = r
		}
	}
	return worst
}

// redundancyRank orders redundancy states from best to worst.
var redundancyRank = map[string]int{collectors.RedundancyFull: 0, collectors.RedundancyUnknown: 1, collectors.RedundancyDegraded: 2,
	collectors.RedundancyNonRedundantSufficient: 3, collectors.RedundancyLost: 4, collectors.RedundancyNonRedundantInsufficient: 5}

// powerGroups maps the host's Mains supplies (mainsPSUs) into one group
// "power": a member is healthy when it is online (a BMC's standby supply
// included). Two healthy supplies survive one failing. A BMC's redundancy sensor is the group's Redundancy: Redundancy
// Lost with every supply online is still lost (power_redundancy_lost).
// Batteries, USB and UPS supplies are not members. No Mains supply and no
// redundancy sensor means no group.
func powerGroups(s *collectors.Snapshot) []Group {
	mains := mainsPSUs(s)
	red := powerRedundancy(s)
	if len(mains) == 0 && red == nil {
		return nil
	}
	g := Group{Kind: KindPSU, Name: PowerGroup, Needed: 2, Total: len(mains), Members: make([]Member, 0, len(mains))}
	if red != nil {
		g.Redundancy = red.State
	}
	for _, p := range mains {
		st := psuState(p)
		m := Member{Name: p.Name, State: st, Healthy: st == StateOnline}
		if m.Healthy {
			g.Healthy++
		}
		g.Members = append(g.Members, m)
	}
	return []Group{g}
}

// psuFacts are the facts of a finding about one supply.
func psuFacts(p *collectors.PSU) map[string]string {
	f := map[string]string{"type": p.Type, "online": strconv.Itoa(p.Online), "present": strconv.Itoa(p.Present), "source": p.Source}
	if p.Health != "" {
		f["health"] = p.Health
	}
	if p.Status != "" {
		f["status"] = p.Status
	}
	if p.State != "" {
		f["state"] = p.State
	}
	if p.Reason != "" {
		f["reason"] = p.Reason
	}
	return f
}

var powerRules = []Rule{
	{
		ID: "psu_offline", Severity: Warning,
		Checks:      "a Mains power supply offline (no input power) or not present (critical when no Mains supply is online: the host runs on battery or UPS)",
		Remediation: "check the supply's power cord, its PDU outlet and circuit breaker, and that the supply is seated; replace it if it has input power but reports offline",
		check: func(in *input, emit func(Finding)) {
			mains := mainsPSUs(in.snap)
			var online []string
			for _, p := range mains {
				if psuOnline(p) {
					online = append(online, p.Name)
				}
			}
			for _, p := range mains {
				what := ""
				why := ""
				if p.Reason != "" {
					why = p.Source + ": " + p.Reason
				}
				switch psuState(p) {
				case StateAbsent:
					what = "not present"
					if why != "" {
						what += " (" + why + ")"
					}
				case StateOffline:
					what = "offline (no input power)"
					if why != "" {
						what = "offline (no input power; " + why + ")"
					}
				default:
					continue
				}
				f := Finding{Subject: PowerGroup + "/" + p.Name, Facts: psuFacts(p)}
				f.Facts["online_supplies"] = strconv.Itoa(len(online))
				if len(online) == 0 {
					f.Severity = Critical
					f.Message = fmt.Sprintf("power supply %s is %s and no Mains supply is online: the host is running on battery or UPS", p.Name, what)
				} else {
					f.Message = fmt.Sprintf("power supply %s is %s; %s still online: power redundancy lost", p.Name, what, strings.Join(online, ", "))
				}
				emit(f)
			}
		},
	},
	{
		ID: "psu_single", Severity: Warning,
		Checks:      "a host with a single Mains power supply: it has no power redundancy to lose",
		Remediation: "install and cable a second power supply (on another PDU feed), or disable this rule for hosts built with one supply",
		check: func(in *input, emit func(Finding)) {
			for _, p := range in.snap.PSUs {
				if p.Type == "" {
					return // a supply of unknown type may be the second Mains one
				}
			}
			mains := mainsPSUs(in.snap)
			if len(mains) != 1 {
				return
			}
			p := mains[0]
			emit(Finding{
				Subject: PowerGroup + "/" + p.Name,
				Message: fmt.Sprintf("only one Mains power supply (%s): power is not redundant", p.Name),
				Facts:   psuFacts(p),
			})
		},
	},
	{
		ID: "psu_health", Severity: Warning,
		Checks:      "a Mains power supply whose POWER_SUPPLY_HEALTH is neither Good nor Unknown, or whose source (hwmon, IPMI, Redfish) reports it failed or predicting its failure, with the reason",
		Remediation: "check the supply's fan, airflow and input voltage, then replace the supply before it fails",
		check: func(in *input, emit func(Finding)) {
			for _, p := range mainsPSUs(in.snap) {
				if msg, ok := decodedHealth(p); ok {
					emit(Finding{Subject: PowerGroup + "/" + p.Name, Message: msg, Facts: psuFacts(p)})
					continue
				}
				if healthOK(p.Health) {
					continue
				}
				emit(Finding{
					Subject: PowerGroup + "/" + p.Name,
					Message: fmt.Sprintf("power supply %s reports health %q", p.Name, p.Health),
					Facts:   psuFacts(p),
				})
			}
		},
	},
	{
		ID: "power_redundancy_lost", Severity: Warning,
		Checks:      "a BMC's power redundancy sensor (IPMI Power Unit / reading type 0Bh, Redfish PowerSupplyRedundancy) says redundancy is lost or degraded, whatever the supplies' own states (critical when it says the remaining supplies are insufficient)",
		Remediation: "find the supply the BMC no longer counts (its event log: ipmitool sel elist), restore its input power or replace it",
		check: func(in *input, emit func(Finding)) {
			for _, r := range in.snap.PowerRedundancy {
				sev := Warning
				switch r.State {
				case collectors.RedundancyLost, collectors.RedundancyDegraded, collectors.RedundancyNonRedundantSufficient:
				case collectors.RedundancyNonRedundantInsufficient:
					sev = Critical
				default:
					continue
				}
				f := Finding{Subject: PowerGroup, Severity: sev,
					Message: fmt.Sprintf("power redundancy %s (%s %q: %s)", strings.ReplaceAll(r.State, "_", " "), r.Source, r.Name, r.Message),
					Facts:   map[string]string{"sensor": r.Name, "source": r.Source, "state": r.State}}
				if r.MinNeeded != collectors.Unknown {
					f.Facts["min_needed"] = strconv.Itoa(r.MinNeeded)
				}
				emit(f)
			}
		},
	},
	{
		ID: "power_not_observable", Severity: Info,
		Checks:      "power redundancy cannot be observed: no source counts the supplies one by one (no Mains supply with a bay in /sys/class/power_supply, no PMBus supply in hwmon, no IPMI or Redfish supply or redundancy sensor), or the only Mains supply is ACPI's \"AC\" adapter, which may stand for all supplies together; the power group is listed as not observable. Silent when a power source failed (that pass is UNKNOWN)",
		Remediation: "let redwatch read the BMC: load ipmi_si and ipmi_devintf for in-band IPMI (/dev/ipmi0), or configure power.ipmi.address or power.redfish.endpoint with a user and password_file (docs/power.md); nothing, on a host without redundant supplies (a VM)",
		check: func(in *input, emit func(Finding)) {
			adapter, ok := powerUnobservable(in)
			switch {
			case !ok:
			case adapter != nil:
				emit(Finding{Subject: PowerGroup,
					Message: fmt.Sprintf("power redundancy not observable: the only Mains supply, %s, is an adapter that stands for all supplies; no BMC source counts them", adapter.Name),
					Facts:   psuFacts(adapter)})
			default:
				emit(Finding{Subject: PowerGroup,
					Message: "power redundancy not observable: no source counts the power supplies (no Mains supply in /sys/class/power_supply, no PMBus supply in hwmon, no IPMI or Redfish supply)",
					Facts:   map[string]string{"supplies": "0"}})
			}
		},
	},
}

// powerUnobservable reports whether no source can count the host's power
// supplies in this pass: no power source failed (a failed one makes the
// pass UNKNOWN instead), no BMC reports a redundancy set, and the Mains
// supplies are none at all or a single sysfs adapter without a bay, which
// it returns (ACPI's "AC", standing for every supply together).
func powerUnobservable(in *input) (adapter *collectors.PSU, ok bool) {
	if len(in.snap.PowerRedundancy) > 0 || in.sourceFailed(KindPSU) {
		return nil, false
	}
	switch mains := mainsPSUs(in.snap); {
	case len(mains) == 0:
		return nil, true
	case acpiAdapterOnly(mains):
		return mains[0], true
	}
	return nil, false
}

// listUnobservablePower marks the power group NotObservable when no source
// can count the supplies (powerUnobservable), and lists one without
// members, in the power group's place (before the storage groups), when
// there is none: silence about power must not look like health. It runs
// after the rules, the expectations and the baseline, which judge the
// groups the sources gave and never see a group without members.
func listUnobservablePower(in *input, groups []Group) []Group {
	if _, ok := powerUnobservable(in); !ok {
		return groups
	}
	at := len(groups)
	for i := range groups {
		switch groups[i].Kind {
		case KindPSU:
			groups[i].NotObservable = true
			return groups
		case KindBond, KindMD, KindHWRaid:
		default:
			at = min(at, i)
		}
	}
	g := Group{Kind: KindPSU, Name: PowerGroup, Needed: 2, Members: []Member{}, NotObservable: true}
	return slices.Insert(slices.Clip(groups), at, g)
}
