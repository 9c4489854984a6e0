package rules

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/redwatch/redwatch/bonding"
	"github.com/redwatch/redwatch/collectors"
)

// Rule is one built-in check.
type Rule struct {
	// ID is stable: configuration and alerts refer to it.
	ID string
	// Severity is the default severity of its findings; a check may raise or
	// lower it per finding (e.g. a bond with no healthy member at all).
	Severity Severity
	// Checks says in one line what the rule looks for.
	Checks string
	// Remediation is the one-line hint attached to every finding.
	Remediation string
	// check emits the rule's findings for one pass.
	check func(in *input, emit func(f Finding))
}

// input is what the checks read: the snapshot, its groups and indexes.
type input struct {
	snap   *collectors.Snapshot
	groups []Group
	nics   map[string]*collectors.NIC
	bonds  map[string]*bonding.Bond
	// lldp are the configured LLDP settings (Options.LLDP).
	lldp LLDPOptions
}

// Builtin returns the built-in rules in a stable order.
func Builtin() []Rule { return builtin }

// builtin is every built-in rule: bonds, md arrays, host-level single points
// of failure, power, then the host with no group at all.
var builtin = slices.Concat(bondRules, lldpRules, mdRules, hwraidRules, hostRules, powerRules, diskRules, storageRules, sharedRules, []Rule{noGroupsRule})

var bondRules = []Rule{
	{
		ID: "bond_member_down", Severity: Warning,
		Checks:      "a bond slave whose MII status is not up",
		Remediation: "check the cable, the switch port and the NIC of {member}; `ip link show {member}` and the switch's port log tell which",
		check: func(in *input, emit func(Finding)) {
			for _, b := range in.snap.Bonds {
				for _, sl := range b.Slaves {
					if sl.MIIStatus == StateUp {
						continue
					}
					emit(Finding{
						Subject: b.Name + "/" + sl.Name,
						Message: fmt.Sprintf("%s: slave %s is %s (link failures: %d)", b.Name, sl.Name, sl.MIIStatus, sl.LinkFailures),
						Facts:   map[string]string{"mii_status": sl.MIIStatus, "link_failure_count": strconv.Itoa(sl.LinkFailures)},
					})
				}
			}
		},
	},
	{
		ID: "bond_below_min_healthy", Severity: Warning,
		Checks:      "a bond with fewer healthy slaves than it needs to survive the next failure (none at all: critical)",
		Remediation: "restore the down slaves before anything else fails: the bond is one failure (or none) away from an outage",
		check: func(in *input, emit func(Finding)) {
			for _, g := range in.groups {
				if g.Kind != KindBond || g.Healthy >= g.Needed || g.Total < 2 && g.Healthy > 0 {
					continue
				}
				f := Finding{
					Subject: g.Name,
					Message: fmt.Sprintf("%s: %d of %d slaves healthy, %d needed for redundancy", g.Name, g.Healthy, g.Total, g.Needed),
					Facts:   map[string]string{"healthy": strconv.Itoa(g.Healthy), "total": strconv.Itoa(g.Total), "needed": strconv.Itoa(g.Needed)},
				}
				if g.Healthy == 0 {
					f.Severity = Critical
					f.Message = fmt.Sprintf("%s: no healthy slave (%d enslaved): the bond is down", g.Name, g.Total)
				}
				emit(f)
			}
		},
	},
	{
		ID: "bond_single_member", Severity: Warning,
		Checks:      "a bond with a single slave: it has no redundancy to lose",
		Remediation: "enslave the second NIC again (`ip link set ethX master {group}`) and fix the network config that dropped it",
		check: func(in *input, emit func(Finding)) {
			for _, b := range in.snap.Bonds {
				if len(b.Slaves) != 1 {
					continue
				}
				emit(Finding{
					Subject: b.Name,
					Message: fmt.Sprintf("%s: only one slave (%s): not redundant", b.Name, b.Slaves[0].Name),
					Facts:   map[string]string{"slaves": b.Slaves[0].Name},
				})
			}
		},
	},
	{
		ID: "bond_lacp_aggregator_mismatch", Severity: Warning,
		Checks:      "an up 802.3ad slave outside the bond's active aggregator (in another one, or in none): its link carries no traffic",
		Remediation: "check that every slave's switch port is in the same LACP port-channel with the same speed and duplex",
		check: func(in *input, emit func(Finding)) {
			for _, b := range in.snap.Bonds {
				if b.Mode != bonding.Mode8023AD || b.LACP == nil || b.LACP.ActiveAggregatorID <= 0 || b.LACP.NoActiveAggregator {
					continue
				}
				for _, sl := range b.Slaves {
					if sl.MIIStatus != StateUp || b.CarriesTraffic(&sl) {
						continue
					}
					agg := "no aggregator"
					if sl.AggregatorID != bonding.Unknown {
						agg = "aggregator " + strconv.Itoa(sl.AggregatorID)
					}
					f := Finding{
						Subject: b.Name + "/" + sl.Name,
						Message: fmt.Sprintf("%s: slave %s is in %s, the active aggregator is %d: its link is idle", b.Name, sl.Name, agg, b.LACP.ActiveAggregatorID),
						Facts:   slaveLACPFacts(&b, &sl),
					}
					nameAggregatorSwitches(&f, in.snap.LLDP, &b, &sl)
					emit(f)
				}
			}
		},
	},
	{
		ID: "bond_lacp_no_active_aggregator", Severity: Critical,
		Checks:      "an 802.3ad bond with no active aggregator (the driver says so, or ad_aggregator is 0): no LACP aggregate carries traffic on any slave",
		Remediation: "bring the bond up and check the slaves' links and speeds and the switch's LACP port-channel (`ip link set {group} up`; `cat /proc/net/bonding/{group}` as root)",
		check: func(in *input, emit func(Finding)) {
			for _, b := range in.snap.Bonds {
				if b.Mode != bonding.Mode8023AD || b.LACP == nil || !b.LACP.NoActiveAggregator {
					continue
				}
				up := 0
				for _, sl := range b.Slaves {
					if sl.MIIStatus == StateUp {
						up++
					}
				}
				emit(Finding{
					Subject: b.Name,
					Message: fmt.Sprintf("%s: 802.3ad bond has no active aggregator (%d of %d slaves up, bond MII %s): no LACP aggregate carries traffic", b.Name, up, len(b.Slaves), b.MIIStatus),
					Facts:   map[string]string{"mii_status": b.MIIStatus, "slaves_up": strconv.Itoa(up), "slaves": strconv.Itoa(len(b.Slaves))},
				})
			}
		},
	},
	{
		ID: "bond_no_link_monitor", Severity: Warning,
		Checks:      "a bond with miimon 0 and no ARP monitor: a dead link is never noticed, so it never fails over",
		Remediation: "set miimon (e.g. 100) or arp_interval with arp_ip_target in the bond's configuration",
		check: func(in *input, emit func(Finding)) {
			for _, b := range in.snap.Bonds {
				if b.Monitored() {
					continue
				}
				emit(Finding{
					Subject: b.Name,
					Message: fmt.Sprintf("%s: no link monitoring (miimon 0, arp_interval %d): failover will never happen", b.Name, max(b.ARPInterval, 0)),
					Facts:   map[string]string{"miimon": strconv.Itoa(b.MIIMon), "arp_interval": strconv.Itoa(b.ARPInterval)},
				})
			}
		},
	},
	{
		ID: "bond_shared_pci_card", Severity: Warning,
		Checks:      "two or more slaves of one bond on one PCI card (same slot, different functions): the card is a single point of failure",
		Remediation: "move one slave to a port on another card so that losing one card leaves a path",
		check: func(in *input, emit func(Finding)) {
			for _, g := range in.groups {
				if g.Kind == KindBond {
					sharedResource(g, "pci_slot", "PCI card", emit)
				}
			}
		},
	},
}

var mdRules = []Rule{
	{
		ID: "md_degraded", Severity: Critical,
		Checks:      "a redundant md array with slots missing or failed (warning while it still tolerates another failure)",
		Remediation: "replace the failed disk and add it back (`mdadm /dev/{group} --add /dev/{member}`); the array has lost redundancy",
		check: func(in *input, emit func(Finding)) {
			for i := range in.snap.MD {
				a := &in.snap.MD[i]
				missing := mdMissing(a)
				if !a.Redundant() || !a.Active || missing <= 0 {
					continue
				}
				f := Finding{
					Subject: a.Name,
					Message: fmt.Sprintf("%s (%s): degraded, %d of %d slots missing or failed", a.Name, a.Level, missing, a.RaidDisks),
					Facts:   map[string]string{"raid_disks": strconv.Itoa(a.RaidDisks), "missing": strconv.Itoa(missing), "status": a.Status},
				}
				for _, m := range a.Members {
					if m.State == collectors.MemberFaulty {
						// The disk to replace: remove it first, then add the new one.
						f.Facts["member"] = m.Name
						f.Remediation = "replace the faulty disk (`mdadm /dev/{group} --remove /dev/{member}`) and add the new one (`mdadm /dev/{group} --add /dev/{member}`); the array has lost redundancy"
						break
					}
				}
				if missing < tolerance(a) {
					f.Severity = Warning
					f.Message += "; it survives one more failure"
				}
				emit(f)
			}
		},
	},
	{
		ID: "md_member_faulty", Severity: Critical,
		Checks:      "an md member marked faulty",
		Remediation: "remove the faulty member (`mdadm /dev/{group} --remove /dev/{member}`), replace the disk and add the new one (`mdadm /dev/{group} --add /dev/{member}`)",
		check: func(in *input, emit func(Finding)) {
			for _, a := range in.snap.MD {
				for _, m := range a.Members {
					if m.State != collectors.MemberFaulty {
						continue
					}
					emit(Finding{
						Subject: a.Name + "/" + m.Name,
						Message: fmt.Sprintf("%s: member %s is faulty", a.Name, m.Name),
						Facts:   map[string]string{"state": m.RawState, "disk": m.Disk},
					})
				}
			}
		},
	},
	{
		ID: "md_rebuilding", Severity: Warning,
		Checks:      "an md array resyncing, recovering or reshaping: redundancy is not whole until it ends",
		Remediation: "let it finish and avoid load on the array's disks; a scrub (check/repair) is not reported",
		check: func(in *input, emit func(Finding)) {
			for _, a := range in.snap.MD {
				switch a.SyncAction {
				case "resync", "recover", "reshape":
				default:
					continue
				}
				progress := "progress unknown"
				switch a.SyncPending {
				case "delayed", "pending":
					progress = a.SyncPending + ", not running yet"
				case "remote":
					progress = "run by another node of the cluster"
				case "frozen":
					progress = "frozen: it does not advance"
				}
				if a.SyncProgress >= 0 {
					progress = strconv.FormatFloat(a.SyncProgress, 'f', 1, 64) + "% done"
				}
				if a.SyncFinish != "" {
					progress += ", finish in " + a.SyncFinish
				}
				emit(Finding{
					Subject: a.Name,
					Message: fmt.Sprintf("%s: %s in progress (%s)", a.Name, a.SyncAction, progress),
					Facts:   map[string]string{"sync_action": a.SyncAction, "progress": strconv.FormatFloat(a.SyncProgress, 'f', 1, 64)},
				})
			}
		},
	},
	{
		ID: "md_inactive", Severity: Critical,
		Checks:      "an md array that is assembled but inactive (not a metadata container)",
		Remediation: "check `mdadm --detail /dev/{group}` and the members' superblocks (`mdadm --examine`), then `mdadm --run /dev/{group}` or reassemble",
		check: func(in *input, emit func(Finding)) {
			for _, a := range in.snap.MD {
				if a.Active || a.Level == "container" {
					continue
				}
				names := make([]string, 0, len(a.Members))
				for _, m := range a.Members {
					names = append(names, m.Name)
				}
				emit(Finding{
					Subject: a.Name,
					Message: fmt.Sprintf("%s: inactive with members %s: the array failed to start", a.Name, strings.Join(names, ", ")),
				})
			}
		},
	},
	{
		ID: "md_members_same_disk", Severity: Warning,
		Checks:      "two members of one redundant md array on one physical disk: the disk is a single point of failure",
		Remediation: "rebuild the array with its members on different disks",
		check: func(in *input, emit func(Finding)) {
			for _, g := range in.groups {
				if g.Kind == KindMD {
					sharedResource(g, "disk", "disk", emit)
				}
			}
		},
	},
}

var hostRules = []Rule{
	{
		ID: "default_route_single_nic", Severity: Warning,
		Checks:      "the default route leaves through one NIC that belongs to no bond",
		Remediation: "put the uplink on a bond of two NICs (on two cards, to two switches)",
		check: func(in *input, emit func(Finding)) {
			routes := in.snap.DefaultRoutes
			if len(routes) == 0 {
				return
			}
			ifaces := map[string]bool{}
			for _, r := range routes {
				if in.redundantIface(r.Iface) {
					return
				}
				ifaces[r.Iface] = true
			}
			if len(ifaces) != 1 {
				return // ECMP or several default routes over different NICs
			}
			iface := routes[0].Iface
			emit(Finding{
				Subject: iface,
				Message: fmt.Sprintf("the default route leaves through %s alone, which belongs to no bond", iface),
			})
		},
	},
	{
		ID: "rootfs_single_disk", Severity: Warning,
		Checks:      "the root filesystem sits on one disk with no RAID under it: no md array, and no hardware RAID virtual drive of a redundant level (for a root on ZFS or btrfs: its pool or filesystem has no redundant profile)",
		Remediation: "put the root filesystem on md RAID1, a ZFS mirror, btrfs raid1 or a hardware RAID1 virtual drive; if it already is a controller's virtual drive, install the controller's tool (storcli/perccli, ssacli, arcconf: docs/hwraid.md) so that redwatch reads its RAID level",
		check: func(in *input, emit func(Finding)) {
			r := in.snap.RootFS
			disks, redundant, known := rootfsPoolVerdict(in.snap)
			switch {
			case known && redundant:
				return // a btrfs raid1 or a ZFS mirror: its own rules watch it
			case known && r.FSType == "zfs" && len(disks) > 0:
				emit(Finding{
					Subject: strings.Join(disks, ","),
					Message: fmt.Sprintf("the root filesystem (zfs %s) sits on ZFS pool %s, on %s with no mirror or raidz", r.Source, r.Pool, strings.Join(disks, ", ")),
					Facts:   map[string]string{"pool": r.Pool, "source": r.Source},
				})
				return
			}
			if r == nil || r.Redundant || len(r.Disks) == 0 {
				return
			}
			facts := map[string]string{"device": r.Device, "stack": strings.Join(r.Stack, " > ")}
			var on []string
			plain := 0
			for _, d := range r.Disks {
				dd := collectors.DiskDevice{Name: d}
				for _, x := range r.DiskDevices {
					if x.Name == d {
						dd = x
					}
				}
				c, v := hwraidRootVD(in.snap, dd)
				switch {
				case v != nil && hwraidVDRedundant(v):
					continue // judged by its VD's own rules
				case v != nil:
					on = append(on, fmt.Sprintf("%s (VD %s/%s, %s, on %s)", d, c.ID, v.ID, v.Level, c.Name()))
					facts["vd"], facts["level"] = c.ID+"/"+v.ID, v.Level
				case hwraidVirtualDisk(dd):
					on = append(on, fmt.Sprintf("%s (a %s %s virtual drive whose RAID level no RAID tool reported)", d, dd.Vendor, dd.Model))
				default:
					on = append(on, d)
				}
				plain++
			}
			if plain == 0 {
				return
			}
			emit(Finding{
				Subject: strings.Join(r.Disks, ","),
				Message: fmt.Sprintf("the root filesystem (%s on %s) sits on %s with no RAID under it", r.FSType, r.Device, strings.Join(on, ", ")),
				Facts:   facts,
			})
		},
	},
}

// slaveLACPFacts are the facts of an 802.3ad slave outside the active
// aggregator: its own aggregator and LACP partner (not the bond's: the
// partner of the active aggregator is the one that answers) and port states.
func slaveLACPFacts(b *bonding.Bond, sl *bonding.Slave) map[string]string {
	f := map[string]string{"active_aggregator_id": strconv.Itoa(b.LACP.ActiveAggregatorID), "aggregator_id": "none"}
	if sl.AggregatorID != bonding.Unknown {
		f["aggregator_id"] = strconv.Itoa(sl.AggregatorID)
	}
	if sl.PartnerMAC != "" {
		f["partner_mac"] = sl.PartnerMAC
	}
	if sl.ActorPortState != bonding.Unknown {
		f["actor_port_state"] = strconv.Itoa(sl.ActorPortState)
	}
	if sl.PartnerPortState != bonding.Unknown {
		f["partner_port_state"] = strconv.Itoa(sl.PartnerPortState)
	}
	return f
}

// mdMissing is how many slots of an array are missing or failed: the worst
// of every view the snapshot has — the kernel's counters ("[n/m]",
// md/degraded), the status string or the sysfs slots, and the members
// themselves (slots less the members that hold one in sync; a member whose
// state could not be read is given the benefit of the doubt, its state is
// an error of its own). Views that disagree never make an array look better.
func mdMissing(a *collectors.MDArray) int {
	missing := 0
	if a.RaidDisks > 0 && a.ActiveDisks >= 0 {
		missing = a.RaidDisks - a.ActiveDisks
	}
	missing = max(missing, a.Degraded, len(a.MissingSlots))
	if a.Status != "" {
		missing = max(missing, strings.Count(a.Status, "_"))
	}
	if a.RaidDisks > 0 && len(a.Members) > 0 {
		holding := 0
		for _, m := range a.Members {
			if m.State == collectors.MemberInSync || m.State == collectors.MemberUnknown {
				holding++
			}
		}
		missing = max(missing, a.RaidDisks-holding)
	}
	return min(missing, max(a.RaidDisks, 0))
}

// sharedResource emits one finding per resource value that two or more
// members of g depend on.
func sharedResource(g Group, kind, what string, emit func(Finding)) {
	by := map[string][]string{}
	for _, m := range g.Members {
		if v := m.Resources[kind]; v != "" {
			by[v] = append(by[v], m.Name)
		}
	}
	values := make([]string, 0, len(by))
	for v, members := range by {
		if len(members) > 1 {
			values = append(values, v)
		}
	}
	sort.Strings(values)
	for _, v := range values {
		members := by[v]
		emit(Finding{
			Subject: g.Name,
			Message: fmt.Sprintf("%s: members %s are on one %s (%s): it is a single point of failure", g.Name, strings.Join(members, " and "), what, v),
			Facts:   map[string]string{kind: v, "members": strings.Join(members, ",")},
		})
	}
}

// redundantIface reports whether traffic through iface survives one NIC
// failing: a bond, a VLAN on a bond, or a bridge with a bond port.
func (in *input) redundantIface(iface string) bool {
	if _, ok := in.bonds[iface]; ok {
		return true
	}
	if lower, _, ok := strings.Cut(iface, "."); ok && in.bonds[lower] != nil {
		return true
	}
	for name, n := range in.nics {
		if n.Master == iface && in.bonds[name] != nil {
			return true
		}
	}
	return false
}
