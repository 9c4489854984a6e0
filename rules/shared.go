package rules

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/redwatch/redwatch/collectors"
)

// Member resources that the shared-hardware rules judge, whatever the
// group's kind: every storage group (md, btrfs, multipath, ZFS) fills them
// through collectors.Snapshot.BlockResources.
const (
	// ResDisk is the whole disk a member lives on ("sdb").
	ResDisk = "disk"
	// ResController is the PCI function of the disk's controller or HBA
	// ("0000:00:05.0"), or its SCSI host when it has no PCI function.
	ResController = "controller"
	// ResControllerDriver is the controller's driver ("ahci", "megaraid_sas").
	ResControllerDriver = "controller_driver"
)

// StateDiskDown is the state of a group member whose disk's device state
// says it is gone (collectors.DiskStateDown): whatever its own state, it is
// not healthy.
const StateDiskDown = "disk_down"

// markDiskDown makes every member of groups whose disk the inventory says
// is gone (offline, dead, ...) a member down: not healthy, in state
// StateDiskDown, the group's Healthy count lowered.
func markDiskDown(groups []Group, s *collectors.Snapshot) {
	if len(s.BlockDisks) == 0 {
		return
	}
	for i := range groups {
		g := &groups[i]
		for j := range g.Members {
			m := &g.Members[j]
			d := s.BlockDisk(m.Resources[ResDisk])
			if d == nil || !d.Down() {
				continue
			}
			if m.Healthy {
				g.Healthy--
			}
			m.Healthy, m.State = false, StateDiskDown
		}
	}
}

// addBlockResources completes a member's disk and controller resources from
// the disk inventory, keeping what the group's own collector resolved.
func addBlockResources(m *Member, s *collectors.Snapshot, dev string) {
	res := s.BlockResources(dev)
	if res == nil || s.BlockDisk(res[ResDisk]) == nil {
		return
	}
	if m.Resources == nil {
		m.Resources = map[string]string{}
	}
	for k, v := range res {
		if m.Resources[k] == "" {
			m.Resources[k] = v
		}
	}
}

// sharedHardware emits, for every group whose kind skip does not exclude,
// one finding per resource value of kind that two or more members depend
// on, naming the members and (for a controller) its driver.
func sharedHardware(in *input, kind, what string, skip func(g *Group) bool, emit func(Finding)) {
	for i := range in.groups {
		g := &in.groups[i]
		if skip(g) {
			continue
		}
		sharedResource(*g, kind, what, func(f Finding) {
			f.Facts["kind"] = g.Kind
			if kind == ResController && onOneDisk(g, f.Facts["members"]) {
				return // members on one disk: the same-disk rules report it
			}
			if kind == ResController {
				for _, m := range g.Members {
					if m.Resources[ResController] == f.Facts[kind] && m.Resources[ResControllerDriver] != "" {
						f.Facts[ResControllerDriver] = m.Resources[ResControllerDriver]
						f.Message = strings.Replace(f.Message, "("+f.Facts[kind]+")", "("+f.Facts[kind]+", driver "+f.Facts[ResControllerDriver]+")", 1)
						break
					}
				}
			}
			emit(f)
		})
	}
}

// onOneDisk reports whether the members of g named in the comma-separated
// list are all on one known disk.
func onOneDisk(g *Group, members string) bool {
	disks := map[string]bool{}
	for _, m := range g.Members {
		if slices.Contains(strings.Split(members, ","), m.Name) {
			disks[m.Resources[ResDisk]] = true
		}
	}
	return len(disks) == 1 && !disks[""]
}

// storageKind reports whether g is a group of block devices (not a bond,
// not power supplies).
//
// A hardware RAID VD (KindHWRaid) is none: its drives sit behind its
// controller by construction, so sharing it is no finding.
func storageKind(g *Group) bool {
	return g.Kind != KindBond && g.Kind != KindPSU && g.Kind != KindHWRaid
}

var sharedRules = []Rule{
	{
		ID: "group_shared_controller", Severity: Warning,
		Checks: "two or more members of one redundant storage group (md, btrfs, multipath, ZFS) behind one controller or HBA " +
			"(the same PCI function): the controller is a single point of failure",
		Remediation: "move one member to a disk on another controller or HBA (or, where the host has one controller only, re-grade this rule to info)",
		check: func(in *input, emit func(Finding)) {
			sharedHardware(in, ResController, "controller", func(g *Group) bool { return !storageKind(g) }, emit)
		},
	},
	{
		ID: "group_members_same_disk", Severity: Warning,
		Checks:      "two or more members of one redundant storage group other than md (btrfs, multipath, ZFS) on one physical disk: the disk is a single point of failure (md has md_members_same_disk)",
		Remediation: "rebuild the group with its members on different disks",
		check: func(in *input, emit func(Finding)) {
			sharedHardware(in, ResDisk, "disk", func(g *Group) bool { return !storageKind(g) || g.Kind == KindMD }, emit)
		},
	},
	{
		ID: "disk_offline", Severity: Critical,
		Checks:      "a disk whose device state says it is gone (SCSI device/state offline, transport-offline, blocked, deleted; NVMe controller dead, deleting): every group member on it is down",
		Remediation: "check the disk's cabling, backplane slot and controller (`dmesg`, `cat /sys/block/{disk}/device/state`); replace the disk and re-add it to the groups it backs",
		check: func(in *input, emit func(Finding)) {
			for i := range in.snap.BlockDisks {
				d := &in.snap.BlockDisks[i]
				if !d.Down() {
					continue
				}
				emit(blockDiskFinding(in, d, fmt.Sprintf("is %s (device state %q)", d.State, d.State)))
			}
		},
	},
}

// blockDiskFinding is a finding about the inventory disk d: its identity,
// transport and controller, and the group members on it.
func blockDiskFinding(in *input, d *collectors.BlockDisk, what string) Finding {
	facts := map[string]string{"disk": d.Name, "model": d.Model, "serial": d.Serial, "transport": d.Transport,
		"state": d.State, ResController: d.Controller}
	msg := fmt.Sprintf("disk %s (%s, serial %s, %s) %s", d.Name, d.Model, d.Serial, d.Transport, what)
	if d.Controller != "" {
		msg += " behind controller " + d.Controller
		if d.ControllerDriver != "" {
			msg += " (" + d.ControllerDriver + ")"
			facts[ResControllerDriver] = d.ControllerDriver
		}
	}
	if on := membersOnDisk(in.groups, d.Name); len(on) > 0 {
		facts["members"] = strings.Join(on, ",")
		msg += "; members on it: " + strings.Join(on, ", ")
	}
	return Finding{Subject: d.Name, Message: msg, Facts: facts}
}

// membersOnDisk returns "<group>/<member>" for every group member whose
// disk resource is disk, sorted.
func membersOnDisk(groups []Group, disk string) []string {
	var out []string
	for _, g := range groups {
		for _, m := range g.Members {
			if m.Resources[ResDisk] == disk {
				out = append(out, g.Name+"/"+m.Name)
			}
		}
	}
	sort.Strings(out)
	return out
}
