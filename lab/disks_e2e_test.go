//go:build e2e

package lab

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// QOMSet is an action that sets a QOM property over QMP, e.g. an NVMe
// controller's smart_critical_warning.
func QOMSet(path, property string, value any) Action {
	return Action{Name: "qmp qom-set " + path + " " + property, Run: func(ctx context.Context, g *Guest) error {
		return g.QOMSet(ctx, path, property, value)
	}}
}

// diskScenarios are issue 13's: the disks' health and state on the real
// kernel, read by redwatch the way it reads a host.
var diskScenarios = []Scenario{
	{
		// QEMU's NVMe emulation raises critical_warning bit 0 (available
		// spare below threshold) and fails its SMART health when told over
		// QMP; the real smartctl in the guest reads it, and redwatch's
		// one-shot audit runs smartctl on a live host.
		Name: "nvme_critical_warning",
		Spec: Spec{NVMe: []Disk{{SizeMiB: 16}}},
		Steps: []Step{
			{Name: "before: a fresh NVMe controller", Want: Status("ok").Without("disk_nvme_critical_warning", "nvme0n1").Without("disk_smart_failed", "nvme0n1")},
			{
				Name: "critical warning bit 0 raised over QMP",
				Do:   []Action{QOMSet("/machine/peripheral/nvme0", "smart_critical_warning", 1)},
				Want: Status("critical").
					FindingMessage("disk_nvme_critical_warning", "nvme0n1", `critical warning 0x01: available spare below threshold`).
					Finding("disk_smart_failed", "nvme0n1"),
			},
		},
	},
	{
		// Two RAID1 halves on one virtio-scsi controller (one PCI function):
		// the controller is a single point of failure.
		Name:  "md_shared_controller",
		Spec:  Spec{SCSI: []SCSIDisk{{Controller: 0}, {Controller: 0}}},
		Setup: []Action{WaitFor("sda and sdb", "[ -b /dev/sda ] && [ -b /dev/sdb ]", 20*time.Second), RAID1("md0", "sda", "sdb")},
		Steps: []Step{{
			Name: "md0 on sda and sdb behind scsi0",
			Want: Status("warning").FindingMessage("group_shared_controller", "md0", `members sd[ab] and sd[ab] are on one controller \(0000:00:10\.0, driver virtio-pci\)`).
				Group("md", "md0", 2, 2),
		}},
	},
	{
		// The same array with its halves on two controllers: no finding.
		Name:  "md_two_controllers",
		Spec:  Spec{SCSI: []SCSIDisk{{Controller: 0}, {Controller: 1}}},
		Setup: []Action{WaitFor("sda and sdb", "[ -b /dev/sda ] && [ -b /dev/sdb ]", 20*time.Second), RAID1("md0", "sda", "sdb")},
		Steps: []Step{{Name: "md0 on sda and sdb behind scsi0 and scsi1", Want: OK().Group("md", "md0", 2, 2)}},
	},
	{
		// / on md RAID1: an ext2 on md0 mounted at /newroot, with proc, sys
		// and dev, and redwatch run chrooted into it, whose
		// /proc/self/mountinfo then shows / on md0 (mounts outside the
		// root are not shown).
		Name:  "rootfs_on_md_raid1",
		Spec:  Spec{Disks: []Disk{{}, {}}},
		Setup: []Action{RAID1("md0", "vda", "vdb"), newRoot("/dev/md0")},
		Steps: []Step{{Name: "/ on md0 (vda, vdb)", Do: []Action{chrootAudit(Status("ok").Group("md", "md0", 2, 2).
			FindingMessage("disk_smart_unavailable", "host", "smartctl").Without("rootfs_single_disk", "vda").Without("rootfs_single_disk", "vdb"))},
			Want: Status("ok")}},
	},
	{
		// / on one disk: the same on vda alone.
		Name:  "rootfs_single_disk",
		Spec:  Spec{Disks: []Disk{{}}},
		Setup: []Action{newRoot("/dev/vda")},
		Steps: []Step{{Name: "/ on vda", Do: []Action{chrootAudit(Status("warning").
			FindingMessage("rootfs_single_disk", "vda", `the root filesystem \(ext2 on vda\) sits on vda with no RAID under it`))},
			Want: Status("ok")}},
	},
}

// newRoot makes an ext2 on dev the root of a new tree at /newroot with
// proc, sys, dev and the redwatch binary, for chrootAudit.
func newRoot(dev string) Action {
	return Shell("set -e; mke2fs -F " + dev + " >/dev/null; mkdir -p /newroot; mount -t ext2 " + dev + " /newroot; " +
		"mkdir -p /newroot/proc /newroot/sys /newroot/dev /newroot/bin /newroot/tmp; mount -t proc proc /newroot/proc; " +
		"mount -t sysfs sys /newroot/sys; mount -t devtmpfs dev /newroot/dev; cp /bin/redwatch /newroot/bin/redwatch")
}

// chrootAudit runs the audit chrooted into /newroot until its verdict
// meets want (at most 30 s).
func chrootAudit(want Expect) Action {
	cmd := "chroot /newroot " + AuditCommand
	return Action{Name: cmd, Run: func(ctx context.Context, g *Guest) error {
		deadline := time.Now().Add(30 * time.Second)
		for {
			r, err := g.Exec(ctx, cmd)
			if err != nil {
				return err
			}
			v, err := ParseVerdict([]byte(r.Stdout), r.Exit, r.Stderr)
			if err == nil {
				if err = want.Check(v); err == nil {
					g.logf("lab: %s: %s", cmd, v.Summary())
					return nil
				}
				err = fmt.Errorf("%w\nlast JSON (exit %d):\n%s", err, v.Exit, v.Raw)
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("lab: %s: no such verdict within 30s: %w", cmd, err)
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("lab: %s: %w: %w", cmd, ctx.Err(), err)
			case <-time.After(300 * time.Millisecond):
			}
		}
	}}
}

func TestLabDisks(t *testing.T) {
	a := PrepareAssets(t)
	RunScenarios(t, a, diskScenarios)
}
