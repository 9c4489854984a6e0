package rules

import (
	"fmt"
	"path"
	"sort"
	"strings"
	"time"

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
	lldpNotYet = "not yet learned"
	lldpBlind  = "blind"
)

// markLLDP sets the "lldp" resource of each bond member whose switch is
// unknown: "not yet learned" while nothing could have been heard yet (no
// lldpd and no receiver, the receiver cannot listen, no LLDP heard on any
// interface by the receiver, or the grace period since the interface came
// up), else "blind". Without LLDP data (a tree without neighbors.json) it
// sets nothing.
func markLLDP(in *input) {
	l := in.snap.LLDP
	if l == nil {
		return
	}
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
			if m.Resources == nil {
				m.Resources = map[string]string{}
			}
			m.Resources[resLLDP] = lldpUnknown(in, m.Name)
		}
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
			"no LLDP heard on any interface): the member shows \"not yet learned\"",
		Remediation: "run lldpd (`apt-get install lldpd`) and check that the switch sends LLDP on the port; " +
			"an Intel NIC's firmware LLDP agent may swallow the frames (see docs/lldp.md)",
		check: func(in *input, emit func(Finding)) {
			for _, g := range in.groups {
				if g.Kind != KindBond {
					continue
				}
				for _, m := range g.Members {
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
