package collectors

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/redwatch/redwatch/internal/hostfs"

	"golang.org/x/sys/unix"
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

// readLinkAt is readLink of the entry name of d, read through rd: the
// target's bytes, valid until rd's next read.
func readLinkAt(rd *hostfs.Reader, d hostfs.Dir, name string) ([]byte, error) {
	t, err := rd.ReadlinkAt(d, name)
	if err == nil || !errors.Is(err, unix.EINVAL) { // EINVAL: not a link
		return t, err
	}
	if fi, serr := hostfs.Lstat(d.Join(name)); serr != nil || !fi.Mode().IsRegular() || fi.Size() > 1024 {
		return nil, err
	}
	b, rerr := rd.ReadAtNoFollow(d, name)
	if rerr != nil {
		return nil, err
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 || bytes.ContainsAny(b, "\n\x00 ") || b[0] == '/' {
		return nil, err
	}
	return b, nil
}

// baseBytes is filepath.Base of a slash-separated path in bytes.
func baseBytes(p []byte) []byte {
	for len(p) > 1 && p[len(p)-1] == '/' {
		p = p[:len(p)-1]
	}
	if len(p) == 0 {
		return []byte(".")
	}
	if i := bytes.LastIndexByte(p, '/'); i >= 0 && len(p) > 1 {
		p = p[i+1:]
	}
	return p
}

// strTable holds one string per distinct value read in a pass (a bond's
// name is every slave's master, a driver drives many NICs, disks share a
// vendor and a model), so that repeated values cost one allocation.
type strTable map[string]string

// get returns b as the table's string for it.
func (t strTable) get(b []byte) string {
	if s, ok := t[string(b)]; ok {
		return s
	}
	s := string(b)
	t[s] = s
	return s
}

// cleanPath is filepath.Clean of the slash-separated path p, done in p's
// own bytes (Clean never lengthens a path), so that a link target joined to
// its directory in a reused buffer costs one string, not three.
func cleanPath(p []byte) []byte {
	if len(p) == 0 {
		return append(p, '.')
	}
	rooted := p[0] == '/'
	n := len(p)
	// As path.Clean: r reads, w writes (w <= r), dotdot is where ".." may
	// no longer back up.
	r, w, dotdot := 0, 0, 0
	if rooted {
		r, w, dotdot = 1, 1, 1
	}
	for r < n {
		switch {
		case p[r] == '/':
			r++
		case p[r] == '.' && (r+1 == n || p[r+1] == '/'):
			r++
		case p[r] == '.' && p[r+1] == '.' && (r+2 == n || p[r+2] == '/'):
			r += 2
			switch {
			case w > dotdot:
				w--
				for w > dotdot && p[w] != '/' {
					w--
				}
			case !rooted:
				if w > 0 {
					p[w] = '/'
					w++
				}
				p[w], p[w+1] = '.', '.'
				w += 2
				dotdot = w
			}
		default:
			if rooted && w != 1 || !rooted && w != 0 {
				p[w] = '/'
				w++
			}
			for ; r < n && p[r] != '/'; r++ {
				p[w] = p[r]
				w++
			}
		}
	}
	if w == 0 {
		return append(p[:0], '.')
	}
	return p[:w]
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
	return root == "/" || strings.HasPrefix(p, root) && (len(p) == len(root) || p[len(root)] == '/')
}

// underRootBytes is underRoot of a path in bytes.
func underRootBytes(root string, p []byte) bool {
	root = filepath.Clean(root)
	return root == "/" || len(p) >= len(root) && string(p[:len(root)]) == root && (len(p) == len(root) || p[len(root)] == '/')
}

// sysDir returns the directory of a sysfs entry that is a symlink on a live
// host (/sys/block/md0, /sys/class/block/sda1): the path itself when it is (or
// leads to) a directory, else the resolved link of a captured tree.
func sysDir(root, path string) (string, error) {
	// The common case first, in one system call: a relative link whose
	// target stays in the root (where the stat below would lead too).
	if t, err := hostfs.Readlink(path); err == nil && t != "" && !filepath.IsAbs(t) {
		if p := filepath.Join(filepath.Dir(path), t); underRoot(root, p) {
			return p, nil
		}
	}
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
// each name for one pass. It reads <sys>/class/block through one open
// directory: one readlink and one lookup per device.
type blockResolver struct {
	sys   string
	cache map[string]blockInfo
	rd    *hostfs.Reader
	class hostfs.Dir // <sys>/class/block, opened on first use
	state int        // 0: class not opened yet, 1: open, -1: could not be opened
	path  []byte     // scratch for joining link targets
}

func newBlockResolver(sys string) *blockResolver {
	return &blockResolver{sys: sys, cache: make(map[string]blockInfo)}
}

// close releases the directory and the reader.
func (br *blockResolver) close() {
	if br.state == 1 {
		br.class.Close()
	}
	if br.rd != nil {
		br.rd.Release()
		br.rd = nil
	}
	br.state = 0
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
		dir, partition, ok := br.fast(name)
		if !ok {
			var err error
			if dir, err = sysDir(br.sys, filepath.Join(br.sys, "class/block", name)); err == nil {
				partition, ok = exists(filepath.Join(dir, "partition")), true
			}
		}
		if ok {
			bi.dir = dir
			diskDir := dir
			if partition {
				diskDir = filepath.Dir(dir)
			}
			bi.disk = filepath.Base(diskDir)
			bi.controller, _ = pciFunctionOnPath(filepath.ToSlash(diskDir))
		}
	}
	br.cache[name] = bi
	return bi
}

// fast resolves <sys>/class/block/<name> when it is what a kernel makes:
// a relative link whose target stays under the sys root, read through the
// open class directory, and the partition attribute looked up through it.
// ok is false for anything else (sysDir's slow path decides).
func (br *blockResolver) fast(name string) (dir string, partition, ok bool) {
	if br.state == 0 {
		br.state = -1
		if br.rd == nil {
			br.rd = hostfs.NewReader()
		}
		if d, err := br.rd.OpenDir(filepath.Join(br.sys, "class/block")); err == nil {
			br.class, br.state = d, 1
		}
	}
	if br.state != 1 {
		return "", false, false
	}
	t, err := br.rd.ReadlinkAt(br.class, name)
	if err != nil || len(t) == 0 || t[0] == '/' {
		return "", false, false
	}
	br.path = append(append(append(br.path[:0], br.class.Path()...), '/'), t...)
	p := cleanPath(br.path)
	if !underRootBytes(br.sys, p) {
		return "", false, false
	}
	return string(p), br.rd.Exists(br.class, name, "partition"), true
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
