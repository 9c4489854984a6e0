package collectors

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCollectRootFSFixtures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		tree string
		want RootFS
	}{
		{"testdata/rootfs_md_raid1", RootFS{Source: "/dev/md0", FSType: "ext4", Device: "md0",
			Disks: []string{"sda", "sdb"}, Redundant: true, Stack: []string{"md0", "sda1", "sda", "sdb1", "sdb"}}},
		{"testdata/rootfs_single_disk", RootFS{Source: "/dev/sda2", FSType: "ext4", Device: "sda2",
			Disks: []string{"sda"}, Redundant: false, Stack: []string{"sda2", "sda"}}},
	}
	for _, tc := range tests {
		t.Run(filepath.Base(tc.tree), func(t *testing.T) {
			got, errs := collectRootFS(TreeRoots(tc.tree))
			if len(errs) != 0 {
				t.Fatalf("errors: %v", errs)
			}
			rootfsEqual(t, got, &tc.want)
		})
	}
}

func rootfsEqual(t *testing.T, got, want *RootFS) {
	t.Helper()
	if (got == nil) != (want == nil) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	if got == nil {
		return
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rootfs (-want +got):\n%s", diff)
	}
}

// rootfsTree writes files and symlinks (link → target) under a temp root.
func rootfsTree(t *testing.T, files, links map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for p, c := range files {
		mdWriteFile(t, filepath.Join(root, p), c)
	}
	for l, target := range links {
		mdSymlink(t, target, filepath.Join(root, l))
	}
	return root
}

const rootfsSATA = "devices/pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0/block/"

// rootfsLVMOnMD is dm-0 (LVM) over md0 (raid1 of sda1+sdb1) and, when
// withPlain, also over sdc1 (a plain partition).
func rootfsLVMOnMD(t *testing.T, withPlain bool, mountinfo string) string {
	files := map[string]string{
		"proc/self/mountinfo":                      mountinfo,
		"sys/devices/virtual/block/md0/md/level":   "raid1\n",
		"sys/devices/virtual/block/dm-0/dm/name":   "vg-root\n",
		"sys/" + rootfsSATA + "sda/sda1/partition": "1\n",
		"sys/" + rootfsSATA + "sdb/sdb1/partition": "1\n",
		"sys/" + rootfsSATA + "sdc/sdc1/partition": "1\n",
	}
	links := map[string]string{
		"sys/dev/block/253:0":                       "../../devices/virtual/block/dm-0",
		"sys/class/block/dm-0":                      "../../devices/virtual/block/dm-0",
		"sys/class/block/md0":                       "../../devices/virtual/block/md0",
		"sys/devices/virtual/block/dm-0/slaves/md0": "../../md0",
		"sys/devices/virtual/block/md0/slaves/sda1": "../../../../" + rootfsSATA[len("devices/"):] + "sda/sda1",
		"sys/devices/virtual/block/md0/slaves/sdb1": "../../../../" + rootfsSATA[len("devices/"):] + "sdb/sdb1",
		"sys/class/block/sda1":                      "../../" + rootfsSATA + "sda/sda1",
		"sys/class/block/sdb1":                      "../../" + rootfsSATA + "sdb/sdb1",
		"sys/class/block/sdc1":                      "../../" + rootfsSATA + "sdc/sdc1",
		"sys/class/block/sda":                       "../../" + rootfsSATA + "sda",
		"sys/class/block/sdb":                       "../../" + rootfsSATA + "sdb",
		"sys/class/block/sdc":                       "../../" + rootfsSATA + "sdc",
		"dev/mapper/vg-root":                        "../dm-0",
	}
	if withPlain {
		links["sys/devices/virtual/block/dm-0/slaves/sdc1"] = "../../../../" + rootfsSATA[len("devices/"):] + "sdc/sdc1"
	}
	return rootfsTree(t, files, links)
}

func TestCollectRootFSStacks(t *testing.T) {
	t.Parallel()
	const lvm = "25 1 253:0 / / rw,relatime shared:1 - ext4 /dev/mapper/vg-root rw\n"
	t.Run("lvm on raid1", func(t *testing.T) {
		got, errs := collectRootFS(TreeRoots(rootfsLVMOnMD(t, false, lvm)))
		if len(errs) != 0 {
			t.Fatalf("errors: %v", errs)
		}
		rootfsEqual(t, got, &RootFS{Source: "/dev/mapper/vg-root", FSType: "ext4", Device: "dm-0", Disks: []string{"sda", "sdb"},
			Redundant: true, Stack: []string{"dm-0", "md0", "sda1", "sda", "sdb1", "sdb"}})
	})
	t.Run("lvm on raid1 plus a plain disk is not redundant", func(t *testing.T) {
		got, errs := collectRootFS(TreeRoots(rootfsLVMOnMD(t, true, lvm)))
		if len(errs) != 0 {
			t.Fatalf("errors: %v", errs)
		}
		rootfsEqual(t, got, &RootFS{Source: "/dev/mapper/vg-root", FSType: "ext4", Device: "dm-0", Disks: []string{"sda", "sdb", "sdc"},
			Redundant: false, Stack: []string{"dm-0", "md0", "sda1", "sda", "sdb1", "sdb", "sdc1", "sdc"}})
	})
	t.Run("btrfs (anonymous dev) resolved through /dev links", func(t *testing.T) {
		mi := "25 1 0:27 /@ / rw,relatime shared:1 - btrfs /dev/mapper/vg-root rw,space_cache=v2,subvol=/@\n"
		got, errs := collectRootFS(TreeRoots(rootfsLVMOnMD(t, false, mi)))
		if len(errs) != 0 || got == nil || got.Device != "dm-0" || !got.Redundant || got.FSType != "btrfs" {
			t.Errorf("got %+v errs %v", got, errs)
		}
	})
}

func TestCollectRootFSNothingToSay(t *testing.T) {
	t.Parallel()
	for _, mi := range []string{
		"1 0 0:1 / / rw - rootfs rootfs rw\n",
		"20 1 0:19 / / rw,relatime - tmpfs tmpfs rw\n",
		"524 480 0:45 / / rw,relatime master:1 - overlay overlay rw,lowerdir=/a:/b,upperdir=/c,workdir=/d\n",
		"30 1 0:22 / / rw - nfs4 server:/export rw,vers=4.2\n",
		"30 1 0:22 / / rw - fuse.sshfs host:/ rw\n",
		"22 1 8:1 / /boot rw - ext4 /dev/sda1 rw\n", // no "/" at all
	} {
		root := rootfsTree(t, map[string]string{"proc/self/mountinfo": mi}, nil)
		got, errs := collectRootFS(TreeRoots(root))
		if got != nil || len(errs) != 0 {
			t.Errorf("%q: got %+v errs %v, want nil", mi, got, errs)
		}
	}
	got, errs := collectRootFS(TreeRoots(t.TempDir()))
	if got != nil || errs != nil {
		t.Errorf("no mountinfo: got %+v errs %v", got, errs)
	}
}

// TestCollectRootFSZFS: a root on ZFS names its dataset and pool (the rules
// judge the pool's redundancy), where it used to be skipped.
func TestCollectRootFSZFS(t *testing.T) {
	t.Parallel()
	root := rootfsTree(t, map[string]string{"proc/self/mountinfo": "30 1 0:22 / / rw - zfs rpool/ROOT/debian rw,xattr,posixacl\n"}, nil)
	got, errs := collectRootFS(TreeRoots(root))
	if len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}
	rootfsEqual(t, got, &RootFS{Source: "rpool/ROOT/debian", FSType: "zfs", Pool: "rpool"})
}

func TestCollectRootFSWithoutSysfs(t *testing.T) {
	t.Parallel()
	root := rootfsTree(t, map[string]string{"proc/self/mountinfo": "21 1 8:2 / / rw - ext4 /dev/sda2 rw\n"}, nil)
	got, errs := collectRootFS(TreeRoots(root))
	if len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}
	rootfsEqual(t, got, &RootFS{Source: "/dev/sda2", FSType: "ext4", Device: "sda2"})

	root = rootfsTree(t, map[string]string{"proc/self/mountinfo": "21 1 8:2 / / rw - ext4 /dev/root rw\n"}, nil)
	got, errs = collectRootFS(TreeRoots(root))
	if len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}
	rootfsEqual(t, got, &RootFS{Source: "/dev/root", FSType: "ext4"})
}

func TestCollectRootFSMalformedMountinfo(t *testing.T) {
	t.Parallel()
	root := rootfsTree(t, map[string]string{"proc/self/mountinfo": "garbage line\n21 1 8:2 / / rw - ext4 /dev/sda2 rw\n"}, nil)
	got, errs := collectRootFS(TreeRoots(root))
	if got == nil || got.Device != "sda2" {
		t.Errorf("got %+v, want the parsable root kept", got)
	}
	if len(errs) != 1 || errs[0].Collector != "rootfs" || !strings.Contains(errs[0].Reason(), "line 1") || strings.HasPrefix(errs[0].Reason(), "collectors: ") {
		t.Errorf("errors %+v, want one naming line 1", errs)
	}
}

// TestCollectRootFSLoop: a slaves loop in a corrupt tree ends.
func TestCollectRootFSLoop(t *testing.T) {
	t.Parallel()
	root := rootfsTree(t, map[string]string{
		"proc/self/mountinfo":                    "21 1 253:0 / / rw - ext4 /dev/dm-0 rw\n",
		"sys/devices/virtual/block/dm-0/dm/name": "a\n",
		"sys/devices/virtual/block/dm-1/dm/name": "b\n",
	}, map[string]string{
		"sys/dev/block/253:0":                        "../../devices/virtual/block/dm-0",
		"sys/class/block/dm-0":                       "../../devices/virtual/block/dm-0",
		"sys/class/block/dm-1":                       "../../devices/virtual/block/dm-1",
		"sys/devices/virtual/block/dm-0/slaves/dm-1": "../../dm-1",
		"sys/devices/virtual/block/dm-1/slaves/dm-0": "../../dm-0",
	})
	got, _ := collectRootFS(TreeRoots(root))
	if got == nil || got.Redundant || !slices.Equal(got.Stack, []string{"dm-0", "dm-1"}) {
		t.Errorf("got %+v", got)
	}
}
