package collectors

import (
	"strings"
	"testing"
)

func TestParseMountInfo(t *testing.T) {
	t.Parallel()
	data := "1 0 0:1 / / rw - rootfs rootfs rw\n" +
		"22 1 9:0 / / rw,relatime shared:1 - ext4 /dev/md0 rw,errors=remount-ro\n" +
		"24 22 8:1 / /boot\\040efi rw,relatime shared:2 master:3 - vfat /dev/sda1 rw\n" +
		"25 22 0:27 /@home /home rw - btrfs /dev/mapper/a\\134b rw\n" +
		"26 22 0:28 / /tmp rw - tmpfs tmpfs rw\r\n" +
		"\n"
	m, err := parseMountInfo([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != 5 {
		t.Fatalf("%d mounts", len(m))
	}
	if g := m[1]; g.ID != 22 || g.Parent != 1 || g.Major != 9 || g.Minor != 0 || g.MountPoint != "/" || g.FSType != "ext4" || g.Source != "/dev/md0" {
		t.Errorf("md0 line: %+v", g)
	}
	if g := m[2]; g.MountPoint != "/boot efi" || g.FSType != "vfat" || g.Source != "/dev/sda1" {
		t.Errorf("escaped line with two optional fields: %+v", g)
	}
	if g := m[3]; g.Root != "/@home" || g.Source != `/dev/mapper/a\b` {
		t.Errorf("backslash escape: %+v", g)
	}
	if g := m[4]; g.FSType != "tmpfs" || g.Source != "tmpfs" {
		t.Errorf("CRLF line: %+v", g)
	}
}

func TestParseMountInfoErrors(t *testing.T) {
	t.Parallel()
	for _, line := range []string{
		"22 1 9:0 / / rw ext4 /dev/md0 rw",    // no separator
		"22 1 9:0 / / - ext4 /dev/md0 rw",     // separator where the options belong
		"22 1 9:0 / / rw -",                   // nothing after the separator
		"x 1 9:0 / / rw - ext4 /dev/md0 rw",   // mount ID
		"22 1 9-0 / / rw - ext4 /dev/md0 rw",  // maj:min
		"22 1 9:-1 / / rw - ext4 /dev/md0 rw", // negative minor
		"22 1 9:0 / / rw - ext4",              // no source
	} {
		m, err := parseMountInfo([]byte(line + "\n21 1 8:2 / /x rw - ext4 /dev/sda2 rw\n"))
		if err == nil || !strings.HasPrefix(err.Error(), "mountinfo line 1") {
			t.Errorf("%q: err %v", line, err)
		}
		if len(m) != 1 || m[0].Source != "/dev/sda2" {
			t.Errorf("%q: the good line was not kept: %+v", line, m)
		}
	}
}

func FuzzParseMountInfo(f *testing.F) {
	f.Add([]byte("22 1 9:0 / / rw,relatime shared:1 - ext4 /dev/md0 rw\n24 22 8:1 / /boot\\040efi rw - vfat /dev/sda1 rw\n"))
	f.Add([]byte("1 0 0:1 / / rw - rootfs rootfs rw"))
	f.Add([]byte("\\\\\\0 - - - -\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		mounts, _ := parseMountInfo(data)
		for _, m := range mounts {
			if m.Major < 0 || m.Minor < 0 || m.FSType == "" || m.Source == "" || m.MountPoint == "" {
				t.Fatalf("accepted a malformed line: %+v", m)
			}
		}
	})
}
