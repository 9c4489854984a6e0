package collectors

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/redwatch/redwatch/internal/hostfs"
)

// readLink returns the target of a sysfs symlink. Captured trees (the corpus
// under ../shared/corpus, archives that cannot hold links) store a symlink as a
// regular file whose content is the target ("../devices/virtual/block/md0"):
// such a file is accepted when its content looks like a link target.
func readLink(path string) (string, error) {
	t, err := hostfs.Readlink(path)
	if err == nil {
		return t, nil
	}
	fi, serr := hostfs.Lstat(path)
	if serr != nil || !fi.Mode().IsRegular() || fi.Size() > 1024 {
		return "", err
	}
	b, rerr := hostfs.ReadAttr(path)
	if rerr != nil {
		return "", err
	}
	t = strings.TrimSpace(string(b))
	if t == "" || strings.ContainsAny(t, "\n\x00 ") || filepath.IsAbs(t) {
		return "", err
	}
	return t, nil
}

// resolveLink resolves the sysfs symlink at path lexically (sysfs links are
// relative) and returns the absolute target, which must stay under root.
func resolveLink(root, path string) (string, error) {
	t, err := readLink(path)
	if err != nil {
		return "", err
	}
	if filepath.IsAbs(t) {
		return "", fmt.Errorf("%s: absolute link target %q", path, t)
	}
	p := filepath.Join(filepath.Dir(path), t)
	if !underRoot(root, p) {
		return "", fmt.Errorf("%s: link target %q leaves %s", path, t, root)
	}
	return p, nil
}

// underRoot reports whether the clean path p is root or below it.
func underRoot(root, p string) bool {
	root = filepath.Clean(root)
	return p == root || strings.HasPrefix(p, root+string(filepath.Separator)) || root == string(filepath.Separator)
}

// sysDir returns the directory of a sysfs entry that is a symlink on a live
// host (/sys/block/md0, /sys/class/block/sda1): the path itself when it is (or
// leads to) a directory, else the resolved link of a captured tree.
func sysDir(root, path string) (string, error) {
	if fi, err := hostfs.Stat(path); err == nil && fi.IsDir() {
		if t, lerr := hostfs.Readlink(path); lerr == nil && !filepath.IsAbs(t) {
			return filepath.Join(filepath.Dir(path), t), nil // the device path, for walking up
		}
		return path, nil
	}
	return resolveLink(root, path)
}

// exists reports whether path exists; errors other than "does not exist"
// (permission) count as existing so that the caller's read reports them.
func exists(path string) bool {
	_, err := hostfs.Stat(path)
	return err == nil || !errors.Is(err, fs.ErrNotExist)
}

// blockInfo is where one block device sits: its whole disk and the PCI
// function of the disk's controller.
type blockInfo struct {
	disk, controller string
	// dir is the resolved /sys/class/block/<name> directory, "" when sysfs has none.
	dir string
}

// blockResolver resolves block devices to disks and controllers, caching
// each name for one pass.
type blockResolver struct {
	sys   string
	cache map[string]blockInfo
}

func newBlockResolver(sys string) *blockResolver {
	return &blockResolver{sys: sys, cache: make(map[string]blockInfo)}
}

// resolve returns the whole disk of the block device name (as sysfs names it,
// "cciss!c0d0") and its controller: /sys/class/block/<name>/partition marks a
// partition, whose disk is the parent directory of the resolved link
// (.../block/vda/vda1 → vda); the controller is the last PCI address on the
// disk's resolved path (with virtio it is the parent of virtioN). Without a
// sysfs entry the disk comes from the kernel's partition naming.
func (br *blockResolver) resolve(name string) blockInfo {
	if bi, ok := br.cache[name]; ok {
		return bi
	}
	bi := blockInfo{disk: diskFromName(name)}
	if validDevName(name) {
		if dir, err := sysDir(br.sys, filepath.Join(br.sys, "class/block", name)); err == nil {
			bi.dir = dir
			diskDir := dir
			if exists(filepath.Join(dir, "partition")) {
				diskDir = filepath.Dir(dir)
			}
			bi.disk = filepath.Base(diskDir)
			bi.controller, _ = pciFunctionOnPath(filepath.ToSlash(diskDir))
		}
	}
	br.cache[name] = bi
	return bi
}

// diskFromName derives the whole disk from a block device name by the
// kernel's partition naming: a disk whose name ends in a letter gets the
// partition number appended (sdb1 → sdb, vda2 → vda, hdb1 → hdb, xvda1 →
// xvda); one whose name ends in a digit gets "p" and the number (nvme0n1p2 →
// nvme0n1, mmcblk0p1 → mmcblk0, loop0p1 → loop0, md0p1 → md0). dm-*, whole
// disks and names it does not know stay themselves.
func diskFromName(name string) string {
	for _, pfx := range []string{"sd", "hd", "vd", "xvd"} {
		if rest, ok := strings.CutPrefix(name, pfx); ok {
			letters := strings.TrimRight(rest, "0123456789")
			if letters != "" && strings.Trim(letters, "abcdefghijklmnopqrstuvwxyz") == "" {
				return pfx + letters
			}
			return name
		}
	}
	for _, pfx := range []string{"nvme", "mmcblk", "loop", "nbd", "md", "rbd", "zd"} {
		if !strings.HasPrefix(name, pfx) {
			continue
		}
		i := strings.LastIndexByte(name, 'p')
		if i <= len(pfx) || i == len(name)-1 {
			return name
		}
		if strings.Trim(name[i+1:], "0123456789") != "" {
			return name
		}
		if c := name[i-1]; c >= '0' && c <= '9' {
			return name[:i]
		}
		return name
	}
	return name
}
