package rules

import (
	"fmt"

	"github.com/redwatch/redwatch/bonding"
	"github.com/redwatch/redwatch/collectors"
)

// Group kinds.
const (
	KindBond = "bond"
	KindMD   = "md"
)

// Member states that groups add to the collectors' own.
const (
	StateUp      = "up"
	StateDown    = "down"
	StateMissing = "missing"
	// StateIdle is an 802.3ad slave whose link is up but that is not in the
	// bond's active aggregator (or the bond has none): it carries no traffic.
	StateIdle = "idle"
)

// memberStates are the states a member of each kind can be in.
var memberStates = map[string][]string{
	KindBond: {StateUp, StateDown, "going down", "going back", StateIdle},
	KindMD: {collectors.MemberInSync, collectors.MemberRebuilding, collectors.MemberSpare, collectors.MemberFaulty,
		StateMissing, collectors.MemberJournal, collectors.MemberUnknown, StateDiskDown},
	KindPSU: {StateOnline, StateOffline, StateAbsent, StateUnhealthy, StateUnknown},
	KindHWRaid: {collectors.DriveOnline, collectors.DriveRebuilding, collectors.DriveFailed, collectors.DriveDown,
		collectors.DriveMissing, collectors.DriveUnknown},
}

// MemberStates returns every state a member of kind can be in, so that a
// metric can export each one as 0 or 1 (node_md_state style) and an alert
// can match a state that is absent. state, the member's own, is added when
// it is not among them, so no member's state is lost.
func MemberStates(kind, state string) []string {
	known := memberStates[kind]
	for _, s := range known {
		if s == state {
			return known
		}
	}
	return append(append([]string(nil), known...), state)
}

// Groups maps the snapshot's redundant subsystems into groups, bonds first,
// then md arrays, then power supplies, then multipath maps, btrfs
// filesystems and ZFS pools, each in the snapshot's order.
func Groups(s *collectors.Snapshot, nics map[string]*collectors.NIC) []Group {
	groups := make([]Group, 0, len(s.Bonds)+len(s.MD))
	for i := range s.Bonds {
		groups = append(groups, bondGroup(&s.Bonds[i], nics, s.LLDP))
	}
	for i := range s.MD {
		if g, ok := mdGroup(&s.MD[i]); ok {
			for j := range g.Members {
				addBlockResources(&g.Members[j], s, g.Members[j].Name)
			}
			groups = append(groups, g)
		}
	}
	groups = append(groups, hwraidGroups(s)...)
	groups = append(groups, powerGroups(s)...)
	groups = append(groups, storageGroups(s)...)
	markDiskDown(groups, s)
	return groups
}

// bondGroup maps a bond: a slave is healthy when its MII status is up and it
// carries traffic — in 802.3ad, when it is in the bond's active aggregator;
// an up slave outside it is in state StateIdle. A bond needs two healthy
// slaves to survive the next failure.
//
// A slave's LLDP neighbour, when one is known, is a member resource: "switch"
// is its chassis ID (subtype:value), with "switch_name" and "switch_port".
func bondGroup(b *bonding.Bond, nics map[string]*collectors.NIC, l *collectors.LLDP) Group {
	g := Group{Kind: KindBond, Name: b.Name, Needed: 2, Total: len(b.Slaves), Members: make([]Member, 0, len(b.Slaves))}
	for i := range b.Slaves {
		sl := &b.Slaves[i]
		m := Member{Name: sl.Name, State: sl.MIIStatus, Healthy: sl.MIIStatus == StateUp}
		if m.Healthy && !b.CarriesTraffic(sl) {
			m.State, m.Healthy = StateIdle, false
		}
		if n := nics[sl.Name]; n != nil && n.PCISlot != "" {
			m.Resources = map[string]string{"pci_slot": n.PCISlot, "pci_function": n.PCIFunction}
		}
		addSwitch(&m, l)
		if m.Healthy {
			g.Healthy++
		}
		g.Members = append(g.Members, m)
	}
	return g
}

// mdGroup maps an md array with redundancy; raid0, linear and containers are
// not redundancy groups. Missing slots become members in state "missing".
func mdGroup(a *collectors.MDArray) (Group, bool) {
	if !a.Redundant() {
		return Group{}, false
	}
	g := Group{Kind: KindMD, Name: a.Name, Needed: mdNeeded(a)}
	for _, m := range a.Members {
		gm := Member{Name: m.Name, State: m.State, Healthy: m.State == collectors.MemberInSync}
		if m.Disk != "" || m.Controller != "" {
			gm.Resources = map[string]string{}
			if m.Disk != "" {
				gm.Resources["disk"] = m.Disk
			}
			if m.Controller != "" {
				gm.Resources["controller"] = m.Controller
			}
		}
		if gm.Healthy {
			g.Healthy++
		}
		g.Members = append(g.Members, gm)
	}
	// A faulty member already stands for the slot it dropped out of; only
	// slots that no member, faulty or not, accounts for are shown as missing.
	faulty := 0
	for _, m := range a.Members {
		if m.State == collectors.MemberFaulty {
			faulty++
		}
	}
	for i, slot := range a.MissingSlots {
		if i < faulty {
			continue
		}
		g.Members = append(g.Members, Member{Name: fmt.Sprintf("(slot %d)", slot), State: StateMissing})
	}
	g.Total = len(g.Members)
	if a.RaidDisks > 0 && a.Active {
		// The kernel's counters may say more slots are missing than the
		// members show (a member list cut short, views that disagree):
		// an array is never healthier than its worst view.
		g.Healthy = min(g.Healthy, a.RaidDisks-mdMissing(a))
	}
	return g, true
}

// tolerance is how many slots an array can lose and still serve data.
func tolerance(a *collectors.MDArray) int {
	switch a.Level {
	case "raid1":
		return max(a.RaidDisks-1, 0)
	case "raid4", "raid5", "raid10":
		return 1
	case "raid6":
		return 2
	}
	return 0
}

// mdNeeded is how many in-sync slots an array needs to survive one more
// failure: raid_disks minus its tolerance, plus one.
func mdNeeded(a *collectors.MDArray) int {
	if a.RaidDisks <= 0 {
		return 2
	}
	return a.RaidDisks - tolerance(a) + 1
}
