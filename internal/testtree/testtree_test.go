package testtree

import (
	"os"
	"path/filepath"
	"testing"
)

func TestCopyKeepsFilesAndSymlinks(t *testing.T) {
	dir := Copy(t, "bond_ab_healthy", "md_mirror_same_disk")
	if b, err := os.ReadFile(filepath.Join(dir, "proc/net/bonding/bond0")); err != nil || len(b) == 0 {
		t.Errorf("bond file: %v", err)
	}
	fi, err := os.Lstat(filepath.Join(dir, "sys/class/block/sda1"))
	if err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("sys/class/block/sda1 is not a symlink: %v %v", fi, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "sys/class/block/sda1/partition")); err != nil {
		t.Errorf("the copied link does not resolve inside the copy: %v", err)
	}
}
