//go:build e2e

package lab

import (
	"testing"
	"time"
)

// storageScenarios are issue 13's storage stacks beyond md on the real
// kernel: a btrfs RAID1 that loses a device and is remounted degraded, a
// dm-multipath map that loses a path.
var storageScenarios = []Scenario{
	{
		// A multipath table over two SCSI disks on two virtio-scsi
		// controllers, loaded with dmsetup (no udev, so no multipathd):
		// uuid mpath-<wwid> as multipathd names it. The path is lost the
		// way the SCSI midlayer gives up on one: its device state goes
		// offline.
		Name: "multipath_path_lost",
		Spec: Spec{SCSI: []SCSIDisk{{Controller: 0}, {Controller: 1}}},
		Setup: []Action{WaitFor("sda and sdb", "[ -b /dev/sda ] && [ -b /dev/sdb ]", 20*time.Second),
			Shell("set -e; n=$(blockdev --getsz /dev/sda); dmsetup --noudevsync create mpatha -u mpath-36001405lab0000000000000000001 " +
				"--table \"0 $n multipath 0 0 1 1 round-robin 0 2 1 /dev/sda 1 /dev/sdb 1\"; [ -e /sys/block/dm-0/slaves/sdb ]")},
		Steps: []Step{
			{Name: "before: two running paths", Want: OK().Group("multipath", "mpatha", 2, 2)},
			{
				Name: "sdb offline",
				Do:   []Action{Shell("echo offline > /sys/block/sdb/device/state && grep -qx offline /sys/block/sdb/device/state")},
				// The disk inventory says sdb is offline (disk_offline,
				// critical), and smartctl cannot open it: an error for that
				// disk, which is right.
				Want: withErrors(Status("critical").Finding("multipath_path_down", "mpatha/sdb").Finding("multipath_degraded", "mpatha").
					Finding("disk_offline", "sdb").Group("multipath", "mpatha", 1, 2)),
			},
		},
	},
	{
		// No udev in the guest: the second device is named at mount time
		// (-o device=). After the unplug the filesystem is unmounted and
		// mounted again with -o degraded, the way an operator boots a
		// RAID1 with a dead disk: sysfs then marks devid 2 missing.
		Name: "btrfs_raid1_degraded",
		Spec: Spec{Disks: []Disk{{SizeMiB: 256}, {SizeMiB: 256}}},
		Setup: []Action{Shell("set -e; mkfs.btrfs -q -f -L lab -d raid1 -m raid1 /dev/vda /dev/vdb >/dev/null; mkdir -p /mnt/lab; " +
			"mount -t btrfs -o device=/dev/vdb /dev/vda /mnt/lab")},
		Steps: []Step{
			{Name: "before: raid1 on vda and vdb", Want: OK().Group("btrfs", "lab", 2, 2)},
			{
				Name: "vdb unplugged, remounted -o degraded",
				Do: []Action{
					Shell("umount /mnt/lab"),
					DeviceDel("disk1"),
					WaitFor("vdb to disappear", "! [ -e /sys/class/block/vdb ]", 20*time.Second),
					Shell("mount -t btrfs -o degraded /dev/vda /mnt/lab"),
					WaitFor("devid 2 missing", "grep -qx 1 /sys/fs/btrfs/*/devinfo/2/missing", 20*time.Second),
				},
				Want: Status("critical").Finding("btrfs_device_missing", "lab/(devid 2)").Finding("btrfs_mounted_degraded", "lab").
					Group("btrfs", "lab", 1, 2),
			},
		},
	},
}

// withErrors accepts collector errors besides what e wants.
func withErrors(e Expect) Expect {
	e.AllowErrors = true
	return e
}

func TestLabStorage(t *testing.T) {
	a := PrepareAssets(t)
	RunScenarios(t, a, storageScenarios)
}
