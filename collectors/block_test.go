package collectors

import (
	"os"
	"path/filepath"
	"testing"
)

func TestDiskFromName(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"sdb1": "sdb", "sdb": "sdb", "sdaa12": "sdaa", "vda2": "vda", "hdb1": "hdb", "xvda1": "xvda",
		"nvme0n1p2": "nvme0n1", "nvme0n1": "nvme0n1", "nvme10n12p3": "nvme10n12", "mmcblk0p1": "mmcblk0", "mmcblk0": "mmcblk0",
		"loop0": "loop0", "loop0p1": "loop0", "dm-14": "dm-14", "md0": "md0", "md126p1": "md126", "md_d0p2": "md_d0",
		"sd": "sd", "sd1": "sd1", "nvmep": "nvmep", "cciss!c0d0": "cciss!c0d0", "": "",
	} {
		if got := diskFromName(in); got != want {
			t.Errorf("diskFromName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPCIFunctionOnDiskPath(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"/sys/devices/pci0000:00/0000:00:08.0/virtio6/block/vda":                                "0000:00:08.0",
		"/sys/devices/pci0000:00/0000:00:1d.0/0000:3d:00.0/nvme/nvme0/nvme0n1":                  "0000:3d:00.0",
		"/sys/devices/pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0/block/sda":         "0000:00:1f.2",
		"/sys/devices/virtual/block/dm-0":                                                       "",
		"/sys/devices/platform/host0/target0:0:0/0:0:0:0/block/sda":                             "",
		"/sys/devices/pci0000:00/0000:00:1c.0/0000:AB:00.1/host2/target2:0:0/2:0:0:0/block/sdc": "0000:AB:00.1",
	} {
		if got, _ := pciFunctionOnPath(in); got != want {
			t.Errorf("pciFunctionOnPath(%q) = %q, want %q", in, got, want)
		}
	}
	for _, bad := range []string{"0000:00:08", "0000:00:08.0.1", "000g:00:08.0", "pci0000:00", "0:0:0:0"} {
		if _, ok := parsePCIFunction(bad); ok {
			t.Errorf("parsePCIFunction(%q) = true", bad)
		}
	}
}

// TestReadLinkFlattened: a captured tree stores a symlink as a file holding
// its target; a real link and such a file resolve alike, other files do not.
func TestReadLinkFlattened(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	mdWriteFile(t, filepath.Join(root, "sys/class/block/vda"), "../../devices/pci0000:00/0000:00:08.0/virtio6/block/vda")
	mdWriteFile(t, filepath.Join(root, "sys/class/block/attr"), "two\nlines\n")
	if err := os.Symlink("../../devices/virtual/block/md0", filepath.Join(root, "sys/class/block/md0")); err != nil {
		t.Fatal(err)
	}
	sys := filepath.Join(root, "sys")
	p, err := resolveLink(sys, filepath.Join(sys, "class/block/vda"))
	if err != nil || p != filepath.Join(sys, "devices/pci0000:00/0000:00:08.0/virtio6/block/vda") {
		t.Errorf("flattened link: %q %v", p, err)
	}
	p, err = resolveLink(sys, filepath.Join(sys, "class/block/md0"))
	if err != nil || p != filepath.Join(sys, "devices/virtual/block/md0") {
		t.Errorf("real link: %q %v", p, err)
	}
	if _, err := resolveLink(sys, filepath.Join(sys, "class/block/attr")); err == nil {
		t.Error("a multi-line file was taken for a link")
	}
	mdWriteFile(t, filepath.Join(root, "sys/class/block/evil"), "../../../../../etc")
	if _, err := resolveLink(sys, filepath.Join(sys, "class/block/evil")); err == nil {
		t.Error("a link leaving the sysfs root was followed")
	}
}

// TestCleanPath: cleanPath is filepath.Clean, done in place.
func TestCleanPath(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"", "/", ".", "..", "a/b/../../..", "/a/../../b", "/sys/class/net/../../devices/pci0000:00/0000:00:05.0/net/eth0",
		"sys//class/./net/", "../../x/../y", "/..", "a/..", "./a", "/sys/class/block/../../devices/virtual/block/md0/"} {
		if got, want := string(cleanPath([]byte(p))), filepath.Clean(p); got != want {
			t.Errorf("cleanPath(%q) = %q, want %q", p, got, want)
		}
	}
}
