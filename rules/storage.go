package rules

import (
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/redwatch/redwatch/collectors"
)

// Group kinds of the storage stacks beyond md.
const (
	KindMultipath = "multipath"
	KindBtrfs     = "btrfs"
	KindZFS       = "zfs"
)

// Member states of btrfs devices.
const (
	StatePresent = "present"
)

func init() {
	memberStates[KindMultipath] = []string{collectors.PathActive, collectors.PathFailed, collectors.PathFaulty,
		"offline", "blocked", "transport-offline", collectors.PathMissing, collectors.PathUnknown}
	memberStates[KindBtrfs] = []string{StatePresent, StateMissing}
	memberStates[KindZFS] = []string{collectors.ZFSOnline, collectors.ZFSDegraded, collectors.ZFSFaulted,
		collectors.ZFSOffline, collectors.ZFSUnavail, collectors.ZFSRemoved}
	kindCollectors[KindMultipath] = collectors.MultipathCollector
	kindCollectors[KindBtrfs] = collectors.BtrfsCollector
	kindCollectors[KindZFS] = collectors.ZFSCollector
	baselineMemberRemediation[KindMultipath] = "restore the path {member} (cable, HBA port, switch zoning; `multipath -ll {group}`), or record the change with `redwatch baseline accept {group}`"
	baselineMemberRemediation[KindBtrfs] = "put the device back (`btrfs device add`, then `btrfs balance`), or record the change with `redwatch baseline accept {group}`"
	baselineMemberRemediation[KindZFS] = "replace the device (`zpool replace {group} ...`), or record the change with `redwatch baseline accept {group}`"
}

// storageGroups maps the multipath maps, the redundant btrfs filesystems
// and the redundant ZFS pools into groups, each member's Resources from the
// disk inventory (Snapshot.BlockResources) so that the shared-hardware rule
// sees them.
func storageGroups(s *collectors.Snapshot) []Group {
	var groups []Group
	for i := range s.Multipath {
		groups = append(groups, multipathGroup(s, &s.Multipath[i]))
	}
	for i := range s.Btrfs {
		if g, ok := btrfsGroup(s, &s.Btrfs[i]); ok {
			groups = append(groups, g)
		}
	}
	for i := range s.ZFS {
		if g, ok := zfsGroup(s, &s.ZFS[i]); ok {
			groups = append(groups, g)
		}
	}
	return groups
}

// multipathGroup maps a multipath map: its paths are the members, a path is
// healthy when it is active; a map needs two working paths to survive
// losing one, so a single path is below what it needs.
func multipathGroup(s *collectors.Snapshot, m *collectors.MultipathMap) Group {
	g := Group{Kind: KindMultipath, Name: m.Name, Needed: 2, Total: len(m.Paths)}
	for _, p := range m.Paths {
		gm := Member{Name: p.Name, State: p.State, Healthy: p.State == collectors.PathActive}
		if p.State != collectors.PathMissing {
			addBlockResources(&gm, s, p.Name)
		}
		if gm.Healthy {
			g.Healthy++
		}
		g.Members = append(g.Members, gm)
	}
	return g
}

// btrfsGroup maps a btrfs filesystem whose every profile is redundant
// (raid1, raid1c3, raid1c4, raid10, raid5, raid6): the devices present and
// one "(devid N)" member per missing device. single, dup and raid0 (or a
// mix with them, e.g. data single over metadata raid1) survive no device
// loss: no group, as for md raid0; a missing device is still reported.
// Needed is the devices less the tolerance of the least tolerant profile,
// plus one.
func btrfsGroup(s *collectors.Snapshot, f *collectors.Btrfs) (Group, bool) {
	tol := f.Tolerance()
	if tol < 1 {
		return Group{}, false
	}
	g := Group{Kind: KindBtrfs, Name: f.Name()}
	for _, n := range f.Present {
		gm := Member{Name: n, State: StatePresent, Healthy: true}
		addBlockResources(&gm, s, n)
		g.Members = append(g.Members, gm)
		g.Healthy++
	}
	for _, d := range f.Devices {
		if d.Missing {
			g.Members = append(g.Members, Member{Name: btrfsDevName(&d), State: StateMissing})
		}
	}
	g.Total = max(len(g.Members), len(f.Devices))
	g.Needed = max(g.Total-tol+1, 2)
	return g, true
}

// btrfsDevName is a device's block device, or "(devid N)" when unknown.
func btrfsDevName(d *collectors.BtrfsDevice) string {
	if d.Name != "" {
		return d.Name
	}
	return fmt.Sprintf("(devid %d)", d.ID)
}

// zfsGroup maps a pool whose every data vdev is redundant (mirror, raidz,
// draid; special and dedup count as data): the leaf devices are the
// members, healthy when ONLINE. Needed is the leaves less the tolerance of
// the least tolerant vdev, plus one: below it, some vdev cannot lose
// another device (conservative for pools that mix levels). Pools without
// vdev detail (no zpool) or with a single-device vdev form no group.
func zfsGroup(s *collectors.Snapshot, p *collectors.ZPool) (Group, bool) {
	if !p.Redundant() {
		return Group{}, false
	}
	g := Group{Kind: KindZFS, Name: p.Name}
	tol := -1
	for _, v := range p.DataVdevs() {
		if t := v.Tolerance(); tol < 0 || t < tol {
			tol = t
		}
		for _, l := range v.Leaves() {
			gm := Member{Name: zfsLeafName(l), State: l.State, Healthy: l.State == collectors.ZFSOnline}
			if l.Device != "" {
				addBlockResources(&gm, s, l.Device)
			}
			if gm.Healthy {
				g.Healthy++
			}
			g.Members = append(g.Members, gm)
		}
	}
	g.Total = len(g.Members)
	g.Needed = max(g.Total-tol+1, 2)
	return g, true
}

// zfsLeafName names a leaf device: its kernel device when resolved, else
// the last component of its path (a GUID for a device that is gone).
func zfsLeafName(l *collectors.ZVdev) string {
	if l.Device != "" {
		return l.Device
	}
	if was, ok := strings.CutPrefix(l.Note, "was "); ok && strings.HasPrefix(was, "/dev/") {
		return path.Base(was) // a device that is gone, shown by its GUID
	}
	return path.Base(l.Name)
}

// zfsVdevLost reports whether a data vdev of p has lost all of its
// tolerance (one more failure in it loses the pool).
func zfsVdevLost(p *collectors.ZPool) bool {
	for _, v := range p.DataVdevs() {
		down := 0
		for _, c := range v.Children {
			if c.State != collectors.ZFSOnline {
				down++
			}
		}
		if down >= v.Tolerance() && down > 0 {
			return true
		}
	}
	return false
}

var storageRules = []Rule{
	{
		ID: "multipath_path_down", Severity: Warning,
		Checks:      "a multipath path that is not active: its SCSI device is offline, blocked or gone, device-mapper failed it, or multipathd's checker says faulty",
		Remediation: "check the path's cable, HBA port and switch zoning; `multipath -ll {group}` shows every path's state",
		check: func(in *input, emit func(Finding)) {
			for _, m := range in.snap.Multipath {
				for _, p := range m.Paths {
					if p.State == collectors.PathActive {
						continue
					}
					f := Finding{Subject: m.Name + "/" + p.Name,
						Message: fmt.Sprintf("multipath %s (%s, wwid %s): path %s is %s", m.Name, m.Device, m.WWID, p.Name, p.State),
						Facts:   map[string]string{"device_state": p.DeviceState, "dm_state": p.DMState, "checker_state": p.CheckerState, "map": m.Device}}
					if c := in.snap.BlockResources(p.Name)["controller"]; c != "" && p.State != collectors.PathMissing {
						f.Facts["controller"] = c
						f.Message += " (controller " + c + ")"
					}
					emit(f)
				}
			}
		},
	},
	{
		ID: "multipath_degraded", Severity: Warning,
		Checks:      "a multipath map with fewer than two working paths (a single path, or the others failed): losing one more path loses the disk (none at all: critical)",
		Remediation: "restore the failed paths or add a second one (a second HBA port, zoning to a second controller); `multipath -ll {group}` shows them",
		check: func(in *input, emit func(Finding)) {
			for _, g := range in.groups {
				if g.Kind != KindMultipath || g.Healthy >= g.Needed {
					continue
				}
				f := Finding{Subject: g.Name,
					Message: fmt.Sprintf("multipath %s: %d of %d paths working, %d needed for redundancy", g.Name, g.Healthy, g.Total, g.Needed),
					Facts:   map[string]string{"healthy": strconv.Itoa(g.Healthy), "total": strconv.Itoa(g.Total), "needed": strconv.Itoa(g.Needed)}}
				if g.Total == 1 {
					f.Message = fmt.Sprintf("multipath %s: a single path (%s): not redundant", g.Name, g.Members[0].Name)
				}
				if g.Healthy == 0 {
					f.Severity = Critical
					f.Message = fmt.Sprintf("multipath %s: no working path (%d known): the disk is unreachable", g.Name, g.Total)
				}
				emit(f)
			}
		},
	},
	{
		ID: "btrfs_device_missing", Severity: Critical,
		Checks:      "a btrfs filesystem with a missing device (devinfo/<devid>/missing): a redundant profile has lost redundancy, a single or raid0 one has lost data",
		Remediation: "replace the missing device (`btrfs replace start <devid> /dev/NEW <mountpoint>`), then `btrfs balance` any single chunks written while degraded",
		check: func(in *input, emit func(Finding)) {
			for i := range in.snap.Btrfs {
				f := &in.snap.Btrfs[i]
				for j := range f.Devices {
					d := &f.Devices[j]
					if !d.Missing {
						continue
					}
					emit(Finding{Subject: f.Name() + "/" + btrfsDevName(d),
						Message: fmt.Sprintf("btrfs %s (%s, data %s, metadata %s): device %s is missing; present: %s",
							f.Name(), btrfsWhere(f), listOrNone(f.Data), listOrNone(f.Metadata), btrfsDevName(d), listOrNone(f.Present)),
						Facts: map[string]string{"uuid": f.UUID, "devid": strconv.Itoa(d.ID), "mount_point": f.MountPoint,
							"tolerance": strconv.Itoa(f.Tolerance())}})
				}
			}
		},
	},
	{
		ID: "btrfs_mounted_degraded", Severity: Warning,
		Checks:      "a btrfs filesystem mounted with -o degraded: it runs without a device and new chunks may be written without redundancy",
		Remediation: "replace or re-add the missing device, remount without degraded, then `btrfs balance start -dconvert=<profile>,soft -mconvert=<profile>,soft` the chunks written meanwhile",
		check: func(in *input, emit func(Finding)) {
			for i := range in.snap.Btrfs {
				f := &in.snap.Btrfs[i]
				if !f.Degraded {
					continue
				}
				emit(Finding{Subject: f.Name(),
					Message: fmt.Sprintf("btrfs %s is mounted degraded at %s (devices present: %s)", f.Name(), f.MountPoint, listOrNone(f.Present)),
					Facts:   map[string]string{"uuid": f.UUID, "mount_point": f.MountPoint}})
			}
		},
	},
	{
		ID: "btrfs_device_errors", Severity: Warning,
		Checks:      "a btrfs device whose error counters (write, read, flush, corruption, generation: devinfo/<devid>/error_stats or `btrfs device stats`) are not zero",
		Remediation: "check the device's health (`smartctl -x`), scrub the filesystem (`btrfs scrub start`), and reset the counters once understood (`btrfs device stats -z`)",
		check: func(in *input, emit func(Finding)) {
			for i := range in.snap.Btrfs {
				f := &in.snap.Btrfs[i]
				emitErr := func(dev string, e collectors.BtrfsErrors) {
					emit(Finding{Subject: f.Name() + "/" + dev,
						Message: fmt.Sprintf("btrfs %s: device %s has %s errors", f.Name(), dev, e.String()),
						Facts: map[string]string{"uuid": f.UUID, "write_errs": strconv.FormatInt(e.Write, 10), "read_errs": strconv.FormatInt(e.Read, 10),
							"flush_errs": strconv.FormatInt(e.Flush, 10), "corruption_errs": strconv.FormatInt(e.Corruption, 10),
							"generation_errs": strconv.FormatInt(e.Generation, 10)}})
				}
				if len(f.Stats) > 0 { // the tool names each device
					for _, st := range f.Stats {
						if st.Errors.Total() > 0 {
							emitErr(path.Base(st.Device), st.Errors)
						}
					}
					continue
				}
				for j := range f.Devices {
					if e := f.Devices[j].Errors; e != nil && e.Total() > 0 {
						emitErr(btrfsDevName(&f.Devices[j]), *e)
					}
				}
			}
		},
	},
	{
		ID: "zfs_pool_degraded", Severity: Critical,
		Checks:      "a ZFS pool in state DEGRADED: a device is gone or faulted (warning while every vdev still tolerates another failure)",
		Remediation: "replace the failed device (`zpool replace {group} <old> <new>`) and let it resilver; `zpool status -x {group}` names it",
		check: func(in *input, emit func(Finding)) {
			for i := range in.snap.ZFS {
				p := &in.snap.ZFS[i]
				if p.State != collectors.ZFSDegraded {
					continue
				}
				f := Finding{Subject: p.Name,
					Message: fmt.Sprintf("ZFS pool %s is DEGRADED%s%s", p.Name, zfsDownList(p), in.rootNote(p.Name)),
					Facts:   map[string]string{"state": p.State, "status": p.Status}}
				if p.Vdevs != nil && !zfsVdevLost(p) {
					f.Severity = Warning
					f.Message += "; every vdev survives one more failure"
				}
				emit(f)
			}
		},
	},
	{
		ID: "zfs_pool_faulted", Severity: Critical,
		Checks:      "a ZFS pool in state FAULTED, SUSPENDED, UNAVAIL, OFFLINE or REMOVED: its data is not served",
		Remediation: "check the pool's devices and cabling (`zpool status -v {group}`), bring them back and `zpool clear {group}`; restore from backup if they are lost",
		check: func(in *input, emit func(Finding)) {
			for i := range in.snap.ZFS {
				p := &in.snap.ZFS[i]
				if p.State == collectors.ZFSOnline || p.State == collectors.ZFSDegraded || p.State == "" {
					continue
				}
				emit(Finding{Subject: p.Name,
					Message: fmt.Sprintf("ZFS pool %s is %s%s%s", p.Name, p.State, zfsDownList(p), in.rootNote(p.Name)),
					Facts:   map[string]string{"state": p.State, "status": p.Status}})
			}
		},
	},
	{
		ID: "zfs_device_down", Severity: Warning,
		Checks:      "a ZFS device (not a spare) that is not ONLINE: DEGRADED, FAULTED, UNAVAIL, OFFLINE or REMOVED",
		Remediation: "replace or reattach the device (`zpool replace {group} <device> <new>` or `zpool online {group} <device>`)",
		check: func(in *input, emit func(Finding)) {
			for i := range in.snap.ZFS {
				p := &in.snap.ZFS[i]
				for _, l := range zfsLeaves(p) {
					if l.State == collectors.ZFSOnline {
						continue
					}
					emit(Finding{Subject: p.Name + "/" + zfsLeafName(l),
						Message: fmt.Sprintf("ZFS pool %s: device %s is %s%s", p.Name, l.Name, l.State, noteSuffix(l.Note)),
						Facts:   map[string]string{"state": l.State, "path": l.Name, "section": l.Section}})
				}
			}
		},
	},
	{
		ID: "zfs_device_errors", Severity: Warning,
		Checks:      "a ZFS device with read, write or checksum errors (zpool status -p counters)",
		Remediation: "check the device (`smartctl -x`), scrub the pool (`zpool scrub {group}`) and clear the counters once understood (`zpool clear {group}`)",
		check: func(in *input, emit func(Finding)) {
			for i := range in.snap.ZFS {
				p := &in.snap.ZFS[i]
				for _, l := range zfsLeaves(p) {
					if l.Read <= 0 && l.Write <= 0 && l.Checksum <= 0 {
						continue
					}
					emit(Finding{Subject: p.Name + "/" + zfsLeafName(l),
						Message: fmt.Sprintf("ZFS pool %s: device %s has %d read, %d write and %d checksum errors", p.Name, l.Name, max(l.Read, 0), max(l.Write, 0), max(l.Checksum, 0)),
						Facts: map[string]string{"read": strconv.FormatInt(l.Read, 10), "write": strconv.FormatInt(l.Write, 10),
							"checksum": strconv.FormatInt(l.Checksum, 10), "path": l.Name}})
				}
			}
		},
	},
}

// zfsLeaves are the pool's leaf devices except spares.
func zfsLeaves(p *collectors.ZPool) []*collectors.ZVdev {
	var out []*collectors.ZVdev
	for i := range p.Vdevs {
		if p.Vdevs[i].Section != "spares" {
			out = append(out, p.Vdevs[i].Leaves()...)
		}
	}
	return out
}

// zfsDownList is ": device X is UNAVAIL (was /dev/sdb1), ..." of the pool's
// devices that are not ONLINE; "" when none or unknown.
func zfsDownList(p *collectors.ZPool) string {
	var parts []string
	for _, l := range zfsLeaves(p) {
		if l.State != collectors.ZFSOnline {
			parts = append(parts, fmt.Sprintf("%s is %s%s", l.Name, l.State, noteSuffix(l.Note)))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return ": " + strings.Join(parts, ", ")
}

func noteSuffix(note string) string {
	if note == "" {
		return ""
	}
	return " (" + note + ")"
}

// rootNote is "; it holds the root filesystem" when "/" is on pool.
func (in *input) rootNote(pool string) string {
	if r := in.snap.RootFS; r != nil && r.Pool == pool && r.Pool != "" {
		return "; it holds the root filesystem (" + r.Source + ")"
	}
	return ""
}

// btrfsWhere is where a filesystem is mounted, or its UUID.
func btrfsWhere(f *collectors.Btrfs) string {
	if f.MountPoint != "" {
		return "mounted at " + f.MountPoint
	}
	return "uuid " + f.UUID
}

// rootfsPoolVerdict judges a root on ZFS or btrfs by its pool's or
// filesystem's redundancy: the disks under it and whether it survives one
// disk failing; known is false when the snapshot cannot tell (no vdev
// detail, no btrfs facts), and then nothing is claimed.
func rootfsPoolVerdict(s *collectors.Snapshot) (disks []string, redundant, known bool) {
	r := s.RootFS
	switch {
	case r == nil:
		return nil, false, false
	case r.FSType == "zfs":
		i := slices.IndexFunc(s.ZFS, func(p collectors.ZPool) bool { return p.Name == r.Pool })
		if i < 0 || s.ZFS[i].Vdevs == nil {
			return nil, false, false
		}
		p := &s.ZFS[i]
		for _, v := range p.DataVdevs() {
			for _, l := range v.Leaves() {
				disks = append(disks, zfsLeafName(l))
			}
		}
		return disks, p.Redundant(), true
	case r.FSType == "btrfs":
		for i := range s.Btrfs {
			f := &s.Btrfs[i]
			if slices.Contains(f.Present, r.Device) {
				return f.Present, f.Tolerance() >= 1, true
			}
		}
	}
	return nil, false, false
}
