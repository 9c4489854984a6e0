package collectors

import (
	"slices"
)

// Subsystem is a part of the host an event can say changed: the daemon
// re-reads only the sources that read it (SourcesFollowing) and gives the
// others' last facts again (Runner.collectOnly).
type Subsystem string

// The subsystems an event names.
const (
	// SubsystemNet is a link change (rtnetlink RTNLGRP_LINK, a net uevent):
	// a carrier, an operstate, a slave joining or leaving a bond.
	SubsystemNet Subsystem = "net"
	// SubsystemMD is an md array event (a wake-up of poll() on
	// /proc/mdstat): a member failed, removed or added, a resync.
	SubsystemMD Subsystem = "md"
	// SubsystemBlock is a block device that appears, goes or changes (a
	// block uevent): the disks and what is built on them.
	SubsystemBlock Subsystem = "block"
	// SubsystemPower is a power supply that changes (a power_supply uevent).
	SubsystemPower Subsystem = "power_supply"
	// SubsystemHwmon is a hwmon device that appears or goes (a hwmon uevent).
	SubsystemHwmon Subsystem = "hwmon"
)

// subsystemSources are the sources that read each subsystem, and those whose
// facts are built on it:
//   - a link change can change the bonds, the NICs and the default routes
//     (an interface that goes down takes its routes);
//   - an md event can change the arrays (with their members' block
//     resources, which the md source resolves) and the root filesystem's
//     stack (a member removed leaves the array's slaves); the disks'
//     own states are the block subsystem's;
//   - a block device that comes or goes can change the disks, the arrays,
//     the root stack, and the multipath maps, btrfs filesystems and ZFS
//     pools on top of them;
//   - a power supply or hwmon device changes its own source only.
//
// The slow sources (SMART, IPMI, Redfish, the RAID tools, LLDP) are in no
// subsystem: they keep their own caches and the interval's full pass reads
// them.
var subsystemSources = map[Subsystem][]string{
	SubsystemNet:   {"bonding", "net", "route"},
	SubsystemMD:    {"md", "rootfs"},
	SubsystemBlock: {"md", DiskCollector, "rootfs", MultipathCollector, BtrfsCollector, ZFSCollector},
	SubsystemPower: {"power"},
	SubsystemHwmon: {HwmonCollector},
}

// SourcesFollowing are the names of the sources that read the subsystems,
// sorted; an unknown subsystem has none.
func SourcesFollowing(subs ...Subsystem) []string {
	var out []string
	for _, s := range subs {
		for _, name := range subsystemSources[s] {
			if !slices.Contains(out, name) {
				out = append(out, name)
			}
		}
	}
	slices.Sort(out)
	return out
}

// KnownSubsystem reports whether s names a subsystem SourcesFollowing knows.
func KnownSubsystem(s Subsystem) bool {
	_, ok := subsystemSources[s]
	return ok
}

// Events is what the events before an incremental pass said changed.
type Events struct {
	// Subsystems are the subsystems they are about.
	Subsystems []Subsystem
	// Links are the network interfaces the net events named (a link
	// change's interface, a bonding file's bond), sorted; nil when one of
	// them named none, and then any interface may have changed.
	Links []string
}

// netLinks are the interfaces a pass after ev may re-read alone: ev.Links
// when the events were all about net and each named its interface; nil
// (re-read every interface) otherwise.
func (ev Events) netLinks() []string {
	if len(ev.Links) == 0 || !slices.Equal(ev.Subsystems, []Subsystem{SubsystemNet}) {
		return nil
	}
	return ev.Links
}
