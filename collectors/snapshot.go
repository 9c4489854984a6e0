// Package collectors reads the host's redundancy facts (bonds, md arrays, NICs,
// routes, the root filesystem's block stack) from the filesystem roots it is
// given and assembles them into one Snapshot. Every collector takes its roots
// as arguments; nothing reads a global path, so tests point it at fixture trees.
package collectors

import (
	"time"

	"github.com/redwatch/redwatch/internal/hostfs"

	"github.com/redwatch/redwatch/bonding"
)

// Roots are the filesystem roots the collectors read (hostfs.Roots).
type Roots = hostfs.Roots

// HostRoots are the running host's roots.
func HostRoots() Roots { return hostfs.HostRoots() }

// TreeRoots are the roots of a captured tree laid out like a host: dir/sys, dir/proc, dir/dev.
func TreeRoots(dir string) Roots { return hostfs.TreeRoots(dir) }

// Error is one thing a collector could not read or parse (hostfs.Error): it
// makes the pass at least UNKNOWN.
type Error = hostfs.Error

// Stale is one fact (a bond, an md array, a NIC, a power supply, the default
// routes or the root filesystem's stack) that its collector could not read
// in a pass, kept as it was last read: a source that fails does not make
// its findings resolve, and the pass stays UNKNOWN through the collector's
// error until the source reads again.
type Stale struct {
	// Collector is the collector that failed, e.g. "md".
	Collector string `json:"collector"`
	// Name is the bond, array, NIC or supply; "" for the default routes and
	// the root filesystem.
	Name string `json:"name"`
	// Since is when it was last read.
	Since time.Time `json:"since"`
	// Error is the collector's first error of the pass.
	Error string `json:"error"`
}

// Snapshot is everything one pass read from the host, with the time and the host name.
type Snapshot struct {
	Time time.Time `json:"time"`
	Host string    `json:"host"`
	// Bonds are the bonding masters (/proc/net/bonding, /sys/class/net/bonding_masters).
	Bonds []bonding.Bond `json:"bonds"`
	// MD are the md arrays (/proc/mdstat, /sys/block/md*/md).
	MD []MDArray `json:"md"`
	// NICs are the network interfaces (/sys/class/net).
	NICs []NIC `json:"nics"`
	// DefaultRoutes are the IPv4 default routes (/proc/net/route); nil when the file is absent.
	DefaultRoutes []Route `json:"default_routes"`
	// PSUs are the power supplies (/sys/class/power_supply, IPMI, Redfish, hwmon).
	PSUs []PSU `json:"psus"`
	// PowerRedundancy are the power supply redundancy sets a BMC reports
	// (IPMI, Redfish); nil when no source reports one.
	PowerRedundancy []PowerRedundancy `json:"power_redundancy,omitempty"`
	// Disks are the disks with their SMART / NVMe health (ROOT/smartctl/<disk>.json
	// in --root mode, the daemon's smartctl cache on a live host; docs/disks.md).
	Disks []Disk `json:"disks,omitempty"`
	// Smart says where Disks come from (a capture, the live smartctl
	// cache) or why they are not read; nil when nothing is known.
	Smart *SmartStatus `json:"smart,omitempty"`
	// BlockDisks are the whole disks with their identity, transport,
	// controller and state (/sys/block, see BlockDisk).
	BlockDisks []BlockDisk `json:"block_disks,omitempty"`
	// Multipath are the device-mapper multipath maps (/sys/block/dm-*/dm,
	// multipathd show paths).
	Multipath []MultipathMap `json:"multipath,omitempty"`
	// Btrfs are the mounted btrfs filesystems (/sys/fs/btrfs/<uuid>,
	// /proc/self/mountinfo, btrfs device stats).
	Btrfs []Btrfs `json:"btrfs,omitempty"`
	// ZFS are the imported ZFS pools (/proc/spl/kstat/zfs/<pool>/state,
	// zpool status -p -P).
	ZFS []ZPool `json:"zfs,omitempty"`
	// RootFS is the block stack under "/" (/proc/self/mountinfo, /sys/class/block); nil when unknown.
	RootFS *RootFS `json:"rootfs,omitempty"`
	// LLDP are the LLDP neighbours per interface (lldpd's, or lldp/neighbors.json
	// in a tree); nil when a tree holds none.
	LLDP *LLDP `json:"lldp,omitempty"`
	// HWRaid are the hardware RAID controllers (the vendor tools' outputs,
	// T/hwraid/<tool>/* in a tree) and the RAID drivers' sysfs facts; nil
	// when there is none.
	HWRaid *HWRaid `json:"hwraid,omitempty"`
	// Errors are what could not be read or parsed, with the path and why.
	Errors []Error `json:"errors"`
	// Stale are the facts above that a failed collector could not read in
	// this pass and that were kept from the last pass that read them (see
	// Stale); the collectors never fill it, the engine does.
	Stale []Stale `json:"stale,omitempty"`
	// Durations is how long each collector took.
	Durations map[string]time.Duration `json:"-"`
	// ReadAt is when a cached slow source (the BMC: ipmi, redfish) read
	// what the snapshot holds of it, by collector; a source absent here
	// read in this pass (Time).
	ReadAt map[string]time.Time `json:"-"`
}

// setReadAt records when collector read what the snapshot holds of it
// (zero at: read in this pass).
func (s *Snapshot) setReadAt(collector string, at time.Time) {
	if at.IsZero() {
		return
	}
	if s.ReadAt == nil {
		s.ReadAt = map[string]time.Time{}
	}
	s.ReadAt[collector] = at
}
