package rules

import (
	"fmt"
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

// mainsPSUs are the snapshot's Mains supplies, in order.
func mainsPSUs(s *collectors.Snapshot) []*collectors.PSU {
	var out []*collectors.PSU
	for i := range s.PSUs {
		if s.PSUs[i].IsMains() {
			out = append(out, &s.PSUs[i])
		}
	}
	return out
}

// powerGroups maps the snapshot's Mains supplies into one group "power":
// a member is healthy when it is online, not known absent and its health is
// not a failure. Two healthy supplies survive one failing. Batteries, USB and
// UPS supplies are not members. No Mains supply means no group.
func powerGroups(s *collectors.Snapshot) []Group {
	mains := mainsPSUs(s)
	if len(mains) == 0 {
		return nil
	}
	g := Group{Kind: KindPSU, Name: PowerGroup, Needed: 2, Total: len(mains), Members: make([]Member, 0, len(mains))}
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
				switch {
				case p.Present == 0:
					what = "not present"
				case p.Online == 0:
					what = "offline (no input power)"
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
}
