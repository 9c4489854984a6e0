package rules

import (
	"slices"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/redwatch/redwatch/collectors"
)

func zleaf(name, state string) collectors.ZVdev {
	return collectors.ZVdev{Name: name, State: state, Device: name[len("/dev/"):]}
}

func TestStorageRules(t *testing.T) {
	t.Parallel()
	raidz2 := func(states ...string) collectors.ZVdev {
		v := collectors.ZVdev{Name: "raidz2-0", State: "ONLINE"}
		for i, s := range states {
			v.Children = append(v.Children, zleaf("/dev/sd"+string(rune('a'+i)), s))
		}
		return v
	}
	tests := []struct {
		name     string
		snap     collectors.Snapshot
		findings []string
		groups   []string // "kind name healthy/total needed"
	}{
		{name: "raidz2 one down survives another: warning",
			snap: collectors.Snapshot{ZFS: []collectors.ZPool{{Name: "tank", State: "DEGRADED",
				Vdevs: []collectors.ZVdev{raidz2("ONLINE", "ONLINE", "UNAVAIL", "ONLINE")}}}},
			findings: []string{"zfs_device_down warning tank/sdc", "zfs_pool_degraded warning tank"},
			groups:   []string{"zfs tank 3/4 3"}},
		{name: "raidz2 two down: critical",
			snap: collectors.Snapshot{ZFS: []collectors.ZPool{{Name: "tank", State: "DEGRADED",
				Vdevs: []collectors.ZVdev{raidz2("ONLINE", "FAULTED", "UNAVAIL", "ONLINE")}}}},
			findings: []string{"zfs_device_down warning tank/sdb", "zfs_device_down warning tank/sdc", "zfs_pool_degraded critical tank"},
			groups:   []string{"zfs tank 2/4 3"}},
		{name: "degraded pool without zpool status: critical, no group",
			snap:     collectors.Snapshot{ZFS: []collectors.ZPool{{Name: "tank", State: "DEGRADED"}}},
			findings: []string{"zfs_pool_degraded critical tank"}},
		{name: "suspended pool",
			snap:     collectors.Snapshot{ZFS: []collectors.ZPool{{Name: "tank", State: "SUSPENDED"}}},
			findings: []string{"zfs_pool_faulted critical tank"}},
		{name: "btrfs single data over raid1 metadata: no group, a missing device still critical",
			snap: collectors.Snapshot{Btrfs: []collectors.Btrfs{{UUID: "u", Label: "d", Data: []string{"single"}, Metadata: []string{"raid1"},
				Present: []string{"vdb"}, Devices: []collectors.BtrfsDevice{{ID: 1, Name: "vdb"}, {ID: 2, Missing: true}}}}},
			findings: []string{"btrfs_device_missing critical d/(devid 2)"}},
		{name: "btrfs raid1c3 on three, one missing: group below needed",
			snap: collectors.Snapshot{Btrfs: []collectors.Btrfs{{UUID: "u", Data: []string{"raid1c3"}, Metadata: []string{"raid1c3"},
				Present: []string{"vdb", "vdc"}, Devices: []collectors.BtrfsDevice{{ID: 1}, {ID: 2}, {ID: 3, Missing: true}}}}},
			findings: []string{"btrfs_device_missing critical u/(devid 3)"},
			groups:   []string{"btrfs u 2/3 2"}},
		{name: "multipath with no working path: critical",
			snap: collectors.Snapshot{Multipath: []collectors.MultipathMap{{Name: "mpatha", Device: "dm-0", Paths: []collectors.MultipathPath{
				{Name: "sdb", State: "offline"}, {Name: "sdc", State: collectors.PathMissing}}}}},
			findings: []string{"multipath_degraded critical mpatha", "multipath_path_down warning mpatha/sdb", "multipath_path_down warning mpatha/sdc"},
			groups:   []string{"multipath mpatha 0/2 2"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := Evaluate(&tc.snap)
			var got []string
			for _, p := range []string{"zfs_", "btrfs_", "multipath_"} {
				got = append(got, prefixFindings(res, p)...)
			}
			slices.Sort(got)
			if d := cmp.Diff(tc.findings, got); d != "" {
				t.Errorf("findings (-want +got):\n%s", d)
			}
			var groups []string
			for _, g := range res.Groups {
				if g.NotObservable {
					continue // the power group without a supply: power's business
				}
				groups = append(groups, g.Kind+" "+g.Name+" "+strconv.Itoa(g.Healthy)+"/"+strconv.Itoa(g.Total)+" "+strconv.Itoa(g.Needed))
			}
			if d := cmp.Diff(tc.groups, groups); d != "" {
				t.Errorf("groups (-want +got):\n%s", d)
			}
		})
	}
}

// TestRootfsOnPools: a root on a ZFS mirror or a btrfs raid1 is redundant;
// on a single-vdev pool it is rootfs_single_disk; without the pool's vdevs
// nothing is claimed.
func TestRootfsOnPools(t *testing.T) {
	t.Parallel()
	mirror := collectors.ZVdev{Name: "mirror-0", State: "ONLINE", Children: []collectors.ZVdev{zleaf("/dev/sda3", "ONLINE"), zleaf("/dev/sdb3", "ONLINE")}}
	zroot := &collectors.RootFS{Source: "rpool/ROOT/debian", FSType: "zfs", Pool: "rpool"}
	for _, tc := range []struct {
		name string
		snap collectors.Snapshot
		want []string
	}{
		{"zfs mirror", collectors.Snapshot{RootFS: zroot, ZFS: []collectors.ZPool{{Name: "rpool", State: "ONLINE", Vdevs: []collectors.ZVdev{mirror}}}}, nil},
		{"zfs single", collectors.Snapshot{RootFS: zroot, ZFS: []collectors.ZPool{{Name: "rpool", State: "ONLINE",
			Vdevs: []collectors.ZVdev{zleaf("/dev/nvme0n1p3", "ONLINE")}}}}, []string{"rootfs_single_disk warning nvme0n1p3"}},
		{"zfs unknown vdevs", collectors.Snapshot{RootFS: zroot, ZFS: []collectors.ZPool{{Name: "rpool", State: "ONLINE"}}}, nil},
		{"btrfs raid1", collectors.Snapshot{
			RootFS: &collectors.RootFS{Source: "/dev/vda2", FSType: "btrfs", Device: "vda2", Disks: []string{"vda"}},
			Btrfs:  []collectors.Btrfs{{UUID: "u", Data: []string{"raid1"}, Metadata: []string{"raid1"}, Present: []string{"vda2", "vdb2"}}}}, nil},
		{"btrfs single", collectors.Snapshot{
			RootFS: &collectors.RootFS{Source: "/dev/vda2", FSType: "btrfs", Device: "vda2", Disks: []string{"vda"}},
			Btrfs:  []collectors.Btrfs{{UUID: "u", Data: []string{"single"}, Metadata: []string{"dup"}, Present: []string{"vda2"}}}},
			[]string{"rootfs_single_disk warning vda"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := prefixFindings(Evaluate(&tc.snap), "rootfs_")
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}
