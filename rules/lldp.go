package rules

import (
	"fmt"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/redwatch/redwatch/bonding"
	"github.com/redwatch/redwatch/collectors"
)

// Member resources from LLDP (see bondGroup).
const (
	resSwitch     = "switch"
	resSwitchName = "switch_name"
	resSwitchPort = "switch_port"
	// resLLDP says why a member's switch is unknown (markLLDP).
	resLLDP = "lldp"
)

// DefaultLLDPGrace is how long after an interface comes up (or the daemon
// starts, or the receiver starts listening) a missing neighbour is "not yet
// learned" rather than lldp_blind: two of a switch's usual 30 s transmit
// intervals and 5 s for the pass to see it. A switch sends at once when a
// link comes up (802.1AB fast start), so one lost frame is still covered.
const DefaultLLDPGrace = 65 * time.Second

// LLDPOptions are the configured LLDP rules' settings (config lldp:).
type LLDPOptions struct {
	// Grace is how long a live interface may have no neighbour before it is
	// lldp_blind (see DefaultLLDPGrace); it counts only where the daemon
	// knows since when it listens (LLDP.Since).
	Grace time.Duration
	// Accept are the stacks and virtual chassis accepted as one switch under
	// a bond: bond_same_switch is quiet for a bond or chassis they match.
	Accept []AcceptSwitch
}

// AcceptSwitch is one entry of lldp.accept_same_switch: a bond name glob,
// or a chassis (its ID as "subtype:value" or the value alone, or its
// system name).
type AcceptSwitch struct {
	Bond    string
	Chassis string
}

// accepts reports whether the entry matches the bond on the switch.
func (a AcceptSwitch) accepts(bond, chassis, name string) bool {
	if a.Bond != "" {
		ok, _ := path.Match(a.Bond, bond)
		return ok
	}
	c := a.Chassis
	return c != "" && (c == chassis || c == name || strings.HasSuffix(chassis, ":"+c))
}

// LLDP states of a member whose switch is unknown (resource "lldp").
const (
	lldpNotYet   = "not yet learned"
	lldpBlind    = "blind"
	lldpFirmware = "LLDP blind: firmware agent"
)

// markLLDP sets the "lldp" resource of each bond member whose switch is
// unknown: "not yet learned" while nothing could have been heard yet (no
// lldpd and no receiver, the receiver cannot listen, no LLDP heard on any
// interface by the receiver, or the grace period since the interface came
// up), else "blind". Without LLDP data (a tree without neighbors.json) it
// sets nothing.
//
// A member whose NIC's Intel firmware LLDP agent runs is "LLDP blind:
// firmware agent" whatever the source: the host never sees its LLDPDUs.
func markLLDP(in *input) {
	l := in.snap.LLDP
	for gi := range in.groups {
		g := &in.groups[gi]
		if g.Kind != KindBond {
			continue
		}
		for mi := range g.Members {
			m := &g.Members[mi]
			if m.Resources[resSwitch] != "" {
				continue
			}
			st := ""
			if n := in.nics[m.Name]; n != nil && n.FirmwareLLDP != nil && n.FirmwareLLDP.AgentOn {
				st = lldpFirmware
			} else if l != nil {
				st = lldpUnknown(in, m.Name)
			}
			if st == "" {
				continue
			}
			if m.Resources == nil {
				m.Resources = map[string]string{}
			}
			m.Resources[resLLDP] = st
		}
	}
}

// NICNeighbor is the LLDP neighbour of an interface outside every bond.
type NICNeighbor struct {
	Interface string `json:"interface"`
	// Switch is the neighbour's chassis ID as subtype:value.
	Switch     string `json:"switch"`
	SwitchName string `json:"switch_name,omitempty"`
	SwitchPort string `json:"switch_port"`
}

// String is "SWITCH PORT" (the system name, or the chassis ID without one).
func (n NICNeighbor) String() string {
	sw := n.Switch
	if n.SwitchName != "" {
		sw = n.SwitchName
	}
	return sw + " " + n.SwitchPort
}

// nicNeighbors returns the neighbours of the interfaces that are not a
// bond group's member, sorted by interface (as the source listed them).
func nicNeighbors(in *input) []NICNeighbor {
	l := in.snap.LLDP
	if l == nil {
		return nil
	}
	inBond := map[string]bool{}
	for _, g := range in.groups {
		if g.Kind == KindBond {
			for _, m := range g.Members {
				inBond[m.Name] = true
			}
		}
	}
	var out []NICNeighbor
	for _, n := range l.Neighbors {
		if inBond[n.Interface] {
			continue
		}
		out = append(out, NICNeighbor{Interface: n.Interface, Switch: n.Chassis.String(), SwitchName: n.SystemName, SwitchPort: n.Port.Value})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Interface < out[j].Interface })
	return out
}

// switchFacts records, for each bond whose live members are on two or
// more known switches, the switches ("switches": "sw-a (mac:...), sw-b
// (mac:...)") and, for 802.3ad with one LACP partner system over them, that
// they are one MLAG/vPC pair ("switch_pair", "lacp_partner"): fine, and
// said so. Different partners under different switches are the aggregator
// findings' to report (bond_lacp_aggregator_mismatch names the switches).
func switchFacts(in *input) {
	for gi := range in.groups {
		g := &in.groups[gi]
		if g.Kind != KindBond {
			continue
		}
		var sws []string
		seen := map[string]bool{}
		for _, m := range g.Members {
			sw := m.Resources[resSwitch]
			if !m.Healthy || sw == "" || seen[sw] {
				continue
			}
			seen[sw] = true
			sws = append(sws, switchText(m.Resources[resSwitchName], sw))
		}
		if len(sws) < 2 {
			continue
		}
		g.Facts = map[string]string{"switches": strings.Join(sws, ", ")}
		b := in.bonds[g.Name]
		if b == nil || b.Mode != bonding.Mode8023AD {
			continue
		}
		partners := map[string]bool{}
		for _, sl := range b.Slaves {
			if sl.MIIStatus == StateUp && sl.PartnerMAC != "" {
				partners[sl.PartnerMAC] = true
			}
		}
		if len(partners) == 1 {
			for mac := range partners {
				g.Facts["lacp_partner"] = mac
			}
			g.Facts["switch_pair"] = "MLAG/vPC: one LACP partner system over two chassis: fine"
		}
	}
}

// switchText is "NAME (CHASSIS)", or the chassis alone without a name.
func switchText(name, chassis string) string {
	if name == "" {
		return chassis
	}
	return name + " (" + chassis + ")"
}

// nameAggregatorSwitches adds to an 802.3ad slave's aggregator finding the
// switch it is cabled to and the switches of the active aggregator's
// slaves, when LLDP knows them.
func nameAggregatorSwitches(f *Finding, l *collectors.LLDP, b *bonding.Bond, sl *bonding.Slave) {
	own := l.NeighborsOf(sl.Name)
	if len(own) != 1 {
		return
	}
	n := own[0]
	f.Facts[resSwitch], f.Facts[resSwitchName], f.Facts[resSwitchPort] = n.Chassis.String(), n.SystemName, n.Port.Value
	f.Message += fmt.Sprintf("; it is cabled to %s port %s", switchText(n.SystemName, n.Chassis.String()), n.Port.Value)
	var active []string
	seen := map[string]bool{}
	for i := range b.Slaves {
		o := &b.Slaves[i]
		if o.Name == sl.Name || !b.CarriesTraffic(o) || o.MIIStatus != StateUp {
			continue
		}
		if ns := l.NeighborsOf(o.Name); len(ns) == 1 && !seen[ns[0].Chassis.String()] {
			seen[ns[0].Chassis.String()] = true
			active = append(active, switchText(ns[0].SystemName, ns[0].Chassis.String()))
		}
	}
	if len(active) > 0 {
		f.Message += ", the active aggregator's slaves to " + strings.Join(active, " and ")
		f.Facts["active_switches"] = strings.Join(active, ", ")
	}
}

// lldpUnknown says why the switch of ifc is unknown (see markLLDP).
func lldpUnknown(in *input, ifc string) string {
	l := in.snap.LLDP
	switch l.Source {
	case collectors.LLDPSourceNone:
		return lldpNotYet + " (no lldpd; the daemon's receiver learns)"
	case collectors.LLDPSourceReceiver:
		if p := l.PortOf(ifc); p != nil && p.Error != "" {
			return lldpNotYet + " (the receiver cannot listen: " + p.Error + ")"
		}
		if len(l.Neighbors) == 0 {
			return lldpNotYet + " (no LLDP heard on any interface)"
		}
	}
	if since, ok := l.HeardSince(ifc); ok && in.snap.Time.Sub(since) < in.lldp.Grace {
		return lldpNotYet + " (within the " + in.lldp.Grace.String() + " grace period)"
	}
	return lldpBlind
}

// addSwitch adds the member's LLDP neighbour as its "switch" resource when
// exactly one neighbour is known on it; with none (or several, a hub) the
// switch is unknown and no resource is set, so that two unknowns are never
// taken for one switch.
func addSwitch(m *Member, l *collectors.LLDP) {
	ns := l.NeighborsOf(m.Name)
	if len(ns) != 1 {
		return
	}
	if m.Resources == nil {
		m.Resources = map[string]string{}
	}
	n := ns[0]
	m.Resources[resSwitch] = n.Chassis.String()
	m.Resources[resSwitchName] = n.SystemName
	m.Resources[resSwitchPort] = n.Port.Value
}

// Switch returns the LLDP neighbour of a bond member as "SWITCH PORT" (the
// system name, or the chassis ID when it announces none), why it is unknown
// ("not yet learned (...)", "no LLDP neighbour"), or "" without LLDP data.
func (m Member) Switch() string {
	sw := m.Resources[resSwitch]
	if sw == "" {
		switch st := m.Resources[resLLDP]; st {
		case "":
			return ""
		case lldpBlind:
			return "no LLDP neighbour"
		default:
			return st
		}
	}
	if n := m.Resources[resSwitchName]; n != "" {
		sw = n
	}
	return sw + " " + m.Resources[resSwitchPort]
}

var lldpRules = []Rule{
	{
		ID: "bond_same_switch", Severity: Warning,
		Checks: "every live slave of a bond (two or more) cabled to one switch: the same LLDP chassis ID (subtype and value); " +
			"the switch is a single point of failure. Slaves on different chassis (an MLAG/vPC pair) are fine; " +
			"a live slave whose neighbour is not known makes the check unknown, not fine",
		Remediation: "cable one slave to a second switch (for 802.3ad, an MLAG/vPC pair), or accept the stack",
		check: func(in *input, emit func(Finding)) {
			for _, g := range in.groups {
				if g.Kind == KindBond {
					sameSwitch(g, in.lldp.Accept, emit)
				}
			}
		},
	},
	{
		ID: "lldp_blind", Severity: Info,
		Checks: "a live bond slave with no LLDP neighbour from lldpd, the daemon's receiver or a captured lldp/neighbors.json, " +
			"past the grace period (lldp.grace_period) since it came up: bond_same_switch cannot judge the bond. " +
			"Not while nothing can be learned yet (no lldpd in a one-shot audit, a receiver without CAP_NET_RAW, " +
			"no LLDP heard on any interface): the member shows \"not yet learned\". " +
			"A slave whose Intel NIC runs its firmware LLDP agent (i40e disable-fw-lldp off, ice fw-lldp-agent on) is " +
			"\"LLDP blind: firmware agent\" whatever the source",
		Remediation: "run lldpd (`apt-get install lldpd`) and check that the switch sends LLDP on the port; " +
			"an Intel NIC's firmware LLDP agent may swallow the frames (see docs/lldp.md)",
		check: func(in *input, emit func(Finding)) {
			for _, g := range in.groups {
				if g.Kind != KindBond {
					continue
				}
				for _, m := range g.Members {
					if m.Healthy && m.Resources[resLLDP] == lldpFirmware {
						emit(firmwareBlind(g.Name, m.Name, in.nics[m.Name].FirmwareLLDP))
					}
					if !m.Healthy || m.Resources[resLLDP] != lldpBlind {
						continue
					}
					src := in.snap.LLDP.Source
					why := "no neighbour heard by lldpd"
					switch src {
					case collectors.LLDPSourceCapture:
						why = "no neighbour in the captured lldp/neighbors.json"
					case collectors.LLDPSourceReceiver:
						why = "no LLDPDU heard by the receiver"
					}
					if since, ok := in.snap.LLDP.HeardSince(m.Name); ok {
						why += " in " + in.snap.Time.Sub(since).Truncate(time.Second).String()
					}
					emit(Finding{
						Subject: g.Name + "/" + m.Name,
						Message: fmt.Sprintf("%s: LLDP blind on %s: %s; the switch it is cabled to is unknown", g.Name, m.Name, why),
						Facts:   map[string]string{"lldp_source": src},
					})
				}
			}
		},
	},
}

// firmwareBlind is the lldp_blind finding of a slave whose Intel firmware
// LLDP agent runs, with the command that stops it.
func firmwareBlind(bond, ifc string, fw *collectors.FirmwareLLDP) Finding {
	return Finding{
		Subject: bond + "/" + ifc,
		Message: fmt.Sprintf("%s: LLDP blind on %s: firmware agent: the NIC's firmware runs its own LLDP agent and consumes the switch's LLDPDUs (private flag %s %s)",
			bond, ifc, fw.Flag, map[bool]string{true: "on", false: "off"}[fw.FlagOn]),
		Remediation: "turn the firmware agent off with `" + fw.Remediation(ifc) + "`; it resets the port, so do one leg at a time " +
			"in a maintenance window, and make it persistent where the interface is configured (redwatch only reads the flag)",
		Facts: map[string]string{"flag": fw.Flag, "lldp_source": "firmware"},
	}
}

// sameSwitch emits a finding when every live member of g is on one known
// switch, naming the switch and its ports.
func sameSwitch(g Group, accept []AcceptSwitch, emit func(Finding)) {
	var live []Member
	for _, m := range g.Members {
		if m.Healthy {
			live = append(live, m)
		}
	}
	if len(live) < 2 {
		return
	}
	sw := live[0].Resources[resSwitch]
	for _, m := range live {
		if m.Resources[resSwitch] == "" || m.Resources[resSwitch] != sw {
			return // unknown, or a second switch
		}
	}
	var names, ports []string
	for _, m := range live {
		names = append(names, m.Name)
		ports = append(ports, m.Name+"="+m.Resources[resSwitchPort])
	}
	sort.Strings(ports)
	swName := live[0].Resources[resSwitchName]
	for _, a := range accept {
		if a.accepts(g.Name, sw, swName) {
			return // a stack or virtual chassis the operator accepts
		}
	}
	emit(Finding{
		Subject: g.Name,
		Message: fmt.Sprintf("%s: members %s are all cabled to one switch %s (chassis %s, ports %s): it is a single point of failure",
			g.Name, strings.Join(names, " and "), swName, sw, strings.Join(ports, ", ")),
		Facts: map[string]string{resSwitch: sw, resSwitchName: swName, "members": strings.Join(names, ","), "ports": strings.Join(ports, ",")},
	})
}
