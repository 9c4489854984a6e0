//go:build e2e

package lab

import (
	"context"
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
}

func TestLabDisks(t *testing.T) {
	a := PrepareAssets(t)
	RunScenarios(t, a, diskScenarios)
}
