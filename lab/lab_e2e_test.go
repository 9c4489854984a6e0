//go:build e2e

package lab

import (
	"slices"
	"testing"
	"time"
)

// The scenarios. Each boots its own guest; NICs are eth0.. (QMP nic0..) and
// disks vda.. (QMP disk0..) in the order given. A step's Do changes
// something and waits until the kernel shows it; its Want is what redwatch
// must then say.
var scenarios = []Scenario{
	{
		// An active-backup bond, an 802.3ad bond (its LACP partner is
		// bond2, wired to it through hubs 1 and 2) and a RAID1: all ok.
		Name: "healthy",
		Spec: Spec{NICs: []NIC{{}, {}, {Hub: 1}, {Hub: 2}, {Hub: 1}, {Hub: 2}}, Disks: []Disk{{}, {}}},
		Setup: []Action{
			Bond("bond0", "active-backup", "eth0", "eth1"),
			Bond("bond1", "802.3ad", "eth2", "eth3"),
			Bond("bond2", "802.3ad", "eth4", "eth5"),
			RAID1("md0", "vda", "vdb"),
			WaitLACP("bond1", 2), WaitLACP("bond2", 2),
		},
		Steps: []Step{{
			Name: "all redundant",
			Want: OK().Group("bond", "bond0", 2, 2).Group("bond", "bond1", 2, 2).Group("bond", "bond2", 2, 2).Group("md", "md0", 2, 2),
		}},
	},
	{
		Name:  "cable_pull_active_backup",
		Spec:  Spec{NICs: []NIC{{}, {}}},
		Setup: []Action{Bond("bond0", "active-backup", "eth0", "eth1"), SlaveMII("bond0", "eth1", "up")},
		Steps: []Step{
			{Name: "before", Want: OK().Group("bond", "bond0", 2, 2)},
			{
				Name: "eth1 cable pulled",
				Do:   []Action{SetLink("nic1", false), SlaveMII("bond0", "eth1", "down")},
				Want: Status("warning", "critical").Finding("bond_member_down", "bond0/eth1").Group("bond", "bond0", 1, 2),
			},
			{
				Name: "eth1 cable back",
				Do:   []Action{SetLink("nic1", true), SlaveMII("bond0", "eth1", "up")},
				Want: OK().Group("bond", "bond0", 2, 2),
			},
		},
	},
	{
		// bond1 is bond0's LACP partner: eth0-eth2 on hub 1, eth1-eth3 on hub 2.
		Name: "cable_pull_8023ad",
		Spec: Spec{NICs: []NIC{{Hub: 1}, {Hub: 2}, {Hub: 1}, {Hub: 2}}},
		Setup: []Action{
			Bond("bond0", "802.3ad", "eth0", "eth1"), Bond("bond1", "802.3ad", "eth2", "eth3"),
			WaitLACP("bond0", 2), WaitLACP("bond1", 2),
		},
		Steps: []Step{
			{Name: "before", Want: OK().Group("bond", "bond0", 2, 2).Group("bond", "bond1", 2, 2)},
			{
				Name: "eth1 cable pulled",
				Do:   []Action{SetLink("nic1", false), SlaveMII("bond0", "eth1", "down")},
				Want: Status("warning", "critical").Finding("bond_member_down", "bond0/eth1").Group("bond", "bond0", 1, 2),
			},
			{
				// eth3 keeps its carrier (its hub port is up) but hears no
				// LACPDUs from eth1: after the short timeout it leaves bond1's
				// active aggregator.
				Name: "partner port eth3 times out",
				Do:   []Action{OutsideActiveAggregator("bond1", "eth3")},
				Want: Status("warning", "critical").Finding("bond_member_down", "bond0/eth1").Finding("bond_lacp_aggregator_mismatch", "bond1/eth3"),
			},
			{
				Name:   "eth1 cable back",
				Do:     []Action{SetLink("nic1", true), SlaveMII("bond0", "eth1", "up"), WaitLACP("bond0", 2), WaitLACP("bond1", 2)},
				Want:   OK().Group("bond", "bond0", 2, 2).Group("bond", "bond1", 2, 2),
				Within: 45 * time.Second,
			},
		},
	},
	{
		Name:  "bond_member_removed",
		Spec:  Spec{NICs: []NIC{{}, {}}},
		Setup: []Action{Bond("bond0", "active-backup", "eth0", "eth1"), SlaveMII("bond0", "eth1", "up")},
		Steps: []Step{
			{Name: "before", Want: OK().Group("bond", "bond0", 2, 2)},
			{
				Name: "eth1 removed from bond0",
				Do:   []Action{Shell("echo -eth1 > /sys/class/net/bond0/bonding/slaves"), Slaves("bond0", "eth0")},
				Want: Status("warning", "critical").Finding("bond_single_member", "bond0"),
			},
			{
				Name: "eth1 enslaved again",
				Do: []Action{
					Shell("ip link set eth1 down && echo +eth1 > /sys/class/net/bond0/bonding/slaves"),
					Slaves("bond0", "eth0", "eth1"), SlaveMII("bond0", "eth1", "up"),
				},
				Want: OK().Group("bond", "bond0", 2, 2),
			},
		},
	},
	{
		Name:  "md_member_failed_and_rebuilt",
		Spec:  Spec{Disks: []Disk{{SizeMiB: 64}, {SizeMiB: 64}}},
		Setup: []Action{RAID1("md0", "vda", "vdb")},
		Steps: []Step{
			{Name: "before", Want: OK().Group("md", "md0", 2, 2)},
			{
				Name: "vdb failed",
				Do:   []Action{Shell("mdadm /dev/md0 --fail /dev/vdb"), MDStat("vdb failed", `vdb\[[0-9]+\]\(F\)`)},
				Want: Status("critical").Finding("md_member_faulty", "md0/vdb"),
			},
			{
				// Throttled to 1 MB/s so that the rebuild of 64 MiB is seen running.
				Name: "vdb removed and added: rebuilding",
				Do: []Action{
					Shell("echo 1000 > /proc/sys/dev/raid/speed_limit_min && echo 1000 > /proc/sys/dev/raid/speed_limit_max"),
					Shell("mdadm /dev/md0 --remove /dev/vdb && mdadm /dev/md0 --add /dev/vdb"),
					MDStat("the recovery running", `recovery = +[0-9.]+%`),
				},
				Want: Status("warning", "critical").FindingMessage("md_rebuilding", "md0", `[0-9]+(\.[0-9]+)?%`),
			},
			{
				Name: "rebuild finished",
				Do: []Action{
					Shell("echo 2000000 > /proc/sys/dev/raid/speed_limit_max && echo 1000000 > /proc/sys/dev/raid/speed_limit_min"),
					WaitFor("the recovery to finish", "! grep -q recovery /proc/mdstat && grep -q '\\[UU\\]' /proc/mdstat", 60*time.Second),
				},
				Want: OK().Group("md", "md0", 2, 2),
			},
		},
	},
	{
		// eth0 and eth1 are the two ports of one card (slot 3, functions 0
		// and 1); eth2 is a card of its own.
		Name:  "bond_shared_pci_card",
		Spec:  Spec{NICs: []NIC{{Card: 1}, {Card: 1}, {}}},
		Setup: []Action{Bond("bond0", "active-backup", "eth0", "eth2"), SlaveMII("bond0", "eth2", "up")},
		Steps: []Step{
			{Name: "before: eth0 and eth2 on two cards", Want: OK().Group("bond", "bond0", 2, 2)},
			{
				Name: "eth2 swapped for eth1: both slaves on one card",
				Do: []Action{
					Shell("echo -eth2 > /sys/class/net/bond0/bonding/slaves && ip link set eth1 down && echo +eth1 > /sys/class/net/bond0/bonding/slaves"),
					Slaves("bond0", "eth0", "eth1"), SlaveMII("bond0", "eth1", "up"),
				},
				Want: Status("warning", "critical").Finding("bond_shared_pci_card", "bond0").Group("bond", "bond0", 2, 2),
			},
		},
	},
	{
		// vda holds two partitions (an MBR written into the image before
		// boot); vdb and vdc are whole disks.
		Name:  "md_members_same_disk",
		Spec:  Spec{Disks: []Disk{{SizeMiB: 64, PartitionsMiB: []int{30, 30}}, {}, {}}},
		Setup: []Action{RAID1("md0", "vdb", "vdc")},
		Steps: []Step{
			{Name: "before: md0 on vdb and vdc", Want: OK().Group("md", "md0", 2, 2)},
			{
				Name: "md0 rebuilt on vda1 and vda2",
				Do: []Action{
					Shell("mdadm --stop /dev/md0"),
					RAID1("md0", "vda1", "vda2"),
					MDStat("md0 on vda1 and vda2", `md0 : active raid1 vda2\[1\] vda1\[0\]`),
				},
				Want: Status("warning", "critical").Finding("md_members_same_disk", "md0").Group("md", "md0", 2, 2),
			},
		},
	},
}

var moreScenarios = []Scenario{
	{
		// Without speed=,duplex= a virtio NIC reports no speed, and the
		// bonding driver will not bring an 802.3ad slave up without one:
		// both slaves have carrier, both stay MII down. (A slave whose
		// carrier is already up when it is enslaved is taken up unchecked,
		// so the cables are plugged in only after enslaving, to make the
		// state deterministic.)
		Name: "lacp_no_speed",
		Spec: Spec{NICs: []NIC{{NoSpeed: true}, {NoSpeed: true}}},
		Setup: []Action{
			SetLink("nic0", false), SetLink("nic1", false),
			Bond("bond0", "802.3ad", "eth0", "eth1"),
			SetLink("nic0", true), SetLink("nic1", true),
			WaitFor("eth0 and eth1 to have carrier", "grep -qx 1 /sys/class/net/eth0/carrier && grep -qx 1 /sys/class/net/eth1/carrier", 10*time.Second),
			WaitFor("bonding to refuse eth0 and eth1", "dmesg | grep -q 'eth0): failed to get link speed/duplex' && dmesg | grep -q 'eth1): failed to get link speed/duplex'", 10*time.Second),
			SlaveMII("bond0", "eth0", "down"), SlaveMII("bond0", "eth1", "down"),
		},
		Steps: []Step{{
			Name: "bond0 never comes up",
			Want: Status("critical").Finding("bond_below_min_healthy", "bond0").
				Finding("bond_member_down", "bond0/eth0").Finding("bond_member_down", "bond0/eth1").Group("bond", "bond0", 0, 2),
		}},
	},
	{
		// md keeps showing [UU] after the unplug until it next does I/O to
		// the missing member, so the step writes to the array.
		Name:  "md_disk_hot_unplug",
		Spec:  Spec{Disks: []Disk{{}, {}}},
		Setup: []Action{RAID1("md0", "vda", "vdb")},
		Steps: []Step{
			{Name: "before", Want: OK().Group("md", "md0", 2, 2)},
			{
				Name: "vdb unplugged, then written to",
				Do: []Action{
					DeviceDel("disk1"),
					WaitFor("vdb to disappear", "! [ -e /sys/class/block/vdb ]", 20*time.Second),
					Shell("dd if=/dev/urandom of=/dev/md0 bs=4096 count=16 conv=fsync 2>/dev/null"),
					MDStat("md0 degraded", `\[2/1\] \[U_\]`),
				},
				Want: Status("critical").Finding("md_degraded", "md0").Finding("md_member_faulty", "md0/vdb"),
			},
		},
	},
	{
		// A default route with no address and no gateway, on NICs whose
		// hub ports lead nowhere: it only has to be in /proc/net/route.
		Name:  "default_route_single_nic",
		Spec:  Spec{NICs: []NIC{{}, {}, {}}},
		Setup: []Action{Bond("bond0", "active-backup", "eth0", "eth1"), SlaveMII("bond0", "eth1", "up"), Shell("ip link set eth2 up")},
		Steps: []Step{
			{Name: "before: no default route", Want: OK().Group("bond", "bond0", 2, 2)},
			{
				Name: "default route on eth2 alone",
				Do:   []Action{Shell("ip route add default dev eth2 && awk '$2 == \"00000000\" { print $1 }' /proc/net/route | grep -qx eth2")},
				Want: Status("warning", "critical").Finding("default_route_single_nic", "eth2"),
			},
			{
				Name: "default route moved to bond0",
				Do:   []Action{Shell("ip route del default && ip route add default dev bond0 && awk '$2 == \"00000000\" { print $1 }' /proc/net/route | grep -qx bond0")},
				Want: OK().Group("bond", "bond0", 2, 2),
			},
		},
	},
	{
		Name:  "bond_no_link_monitor",
		Spec:  Spec{NICs: []NIC{{}, {}}},
		Setup: []Action{Bond("bond0", "active-backup", "eth0", "eth1"), SlaveMII("bond0", "eth1", "up")},
		Steps: []Step{
			{Name: "before: miimon 100", Want: OK().Group("bond", "bond0", 2, 2)},
			{
				Name: "miimon 0",
				Do:   []Action{Shell("echo 0 > /sys/class/net/bond0/bonding/miimon && grep -qx 0 /sys/class/net/bond0/bonding/miimon")},
				Want: Status("warning", "critical").Finding("bond_no_link_monitor", "bond0"),
			},
			{
				Name: "miimon 100 again",
				Do:   []Action{Shell("echo 100 > /sys/class/net/bond0/bonding/miimon && grep -qx 100 /sys/class/net/bond0/bonding/miimon")},
				Want: OK().Group("bond", "bond0", 2, 2),
			},
		},
	},
}

// issue9Scenarios reproduce kernel states that once read as OK (issue 9 item 5).
var issue9Scenarios = []Scenario{
	{
		// bond_3ad.c: ad_agg_selection_logic makes an aggregator active only
		// among those with enabled ports on a running slave with carrier, and
		// ports are selected into aggregators only by the 802.3ad state
		// machine (bond_3ad_state_machine_handler), which runs from bond_open.
		// Slaves enslaved to an 802.3ad bond that is never brought up keep
		// their links (MII up) but get no aggregator ("Aggregator ID: N/A",
		// ad_aggregator_id N/A), and __bond_3ad_get_active_agg_info finds
		// none: "bond bond0 has no active aggregator", ad_aggregator 0. No
		// LACP aggregate carries traffic although every slave is up.
		// bond1 (eth2, eth3 on the same hubs) is the partner for the second step.
		Name: "lacp_no_active_aggregator",
		Spec: Spec{NICs: []NIC{{Hub: 1}, {Hub: 2}, {Hub: 1}, {Hub: 2}}},
		Setup: []Action{
			Bond("bond1", "802.3ad", "eth2", "eth3"),
			Shell(`set -e; echo +bond0 > /sys/class/net/bonding_masters; echo 802.3ad > /sys/class/net/bond0/bonding/mode
echo 100 > /sys/class/net/bond0/bonding/miimon; echo fast > /sys/class/net/bond0/bonding/lacp_rate
for s in eth0 eth1; do ip link set $s down; echo +$s > /sys/class/net/bond0/bonding/slaves; done`),
			SlaveMII("bond0", "eth0", "up"), SlaveMII("bond0", "eth1", "up"),
			WaitFor("the kernel to say bond0 has no active aggregator",
				"grep -qx 'bond bond0 has no active aggregator' /proc/net/bonding/bond0 && [ $(grep -c '^Aggregator ID: N/A' /proc/net/bonding/bond0) = 2 ] && grep -qx 0 /sys/class/net/bond0/bonding/ad_aggregator", 10*time.Second),
		},
		Steps: []Step{
			{
				Name: "bond0 never brought up: both slaves up, no aggregator",
				Want: Status("critical").Finding("bond_lacp_no_active_aggregator", "bond0").Finding("bond_below_min_healthy", "bond0").Group("bond", "bond0", 0, 2),
			},
			{
				Name:   "bond0 up: LACP with bond1",
				Do:     []Action{Shell("ip link set bond0 up"), WaitLACP("bond0", 2), WaitLACP("bond1", 2)},
				Want:   OK().Group("bond", "bond0", 2, 2).Group("bond", "bond1", 2, 2),
				Within: 45 * time.Second,
			},
		},
	},
	{
		// A RAID5 of three disks grown by a fourth with mdadm --grow: a real
		// reshape (raid5.c raid5_start_reshape: md/raid_disks "4 (3)",
		// sync_action "reshape", mdstat "reshape = n%"), throttled so that it
		// is seen running; then frozen (sync_action "frozen": mdstat shows no
		// sync line, only md/reshape_position says a reshape is under way);
		// then let go to its end. The data offset leaves room for mdadm to
		// reshape by moving it, so no backup file and no mdadm process that
		// would thaw the frozen reshape by itself.
		Name: "md_raid5_grow",
		Spec: Spec{Disks: []Disk{{SizeMiB: 32}, {SizeMiB: 32}, {SizeMiB: 32}, {SizeMiB: 32}}},
		Setup: []Action{Shell("mdadm --create /dev/md0 --run --assume-clean --level=5 --chunk=64 --raid-devices=3 --metadata=1.2 --data-offset=8M /dev/vda /dev/vdb /dev/vdc && " +
			"mdadm /dev/md0 --add /dev/vdd")},
		Steps: []Step{
			{Name: "before: three disks and a spare", Want: OK().Group("md", "md0", 3, 4)},
			{
				Name: "grown by vdd: reshaping",
				Do: []Action{
					Shell("echo 300 > /proc/sys/dev/raid/speed_limit_min && echo 300 > /proc/sys/dev/raid/speed_limit_max"),
					Shell("mdadm --grow /dev/md0 --raid-devices=4"),
					MDStat("the reshape running", `reshape = +[0-9.]+%`),
				},
				Want: Status("warning").FindingMessage("md_rebuilding", "md0", `reshape in progress \([0-9]+(\.[0-9]+)?% done`).
					Without("md_degraded", "md0").Group("md", "md0", 4, 4),
			},
			{
				Name: "reshape frozen: it shows in neither mdstat nor sync_action",
				Do: []Action{
					Shell("echo frozen > /sys/block/md0/md/sync_action"),
					WaitFor("the reshape to stop", "grep -qx frozen /sys/block/md0/md/sync_action && ! grep -q reshape /proc/mdstat && ! grep -qx none /sys/block/md0/md/reshape_position", 10*time.Second),
				},
				Want: Status("warning").FindingMessage("md_rebuilding", "md0", "reshape .*frozen").Without("md_degraded", "md0").Group("md", "md0", 4, 4),
			},
			{
				Name: "reshape finished",
				Do: []Action{
					Shell("echo 200000 > /proc/sys/dev/raid/speed_limit_max && echo 100000 > /proc/sys/dev/raid/speed_limit_min && echo idle > /sys/block/md0/md/sync_action"),
					WaitFor("the reshape to finish", "grep -qx none /sys/block/md0/md/reshape_position && grep -qx 4 /sys/block/md0/md/raid_disks && ! grep -q reshape /proc/mdstat", 90*time.Second),
				},
				Want: OK().Group("md", "md0", 4, 4),
			},
		},
	},
}

// TestLab runs every scenario, each in a guest of its own, two at a time.
// Run one with: go test -tags e2e -run TestLab/<name> ./lab/
func TestLab(t *testing.T) {
	a := PrepareAssets(t)
	RunScenarios(t, a, slices.Concat(scenarios, moreScenarios, issue9Scenarios))
}
