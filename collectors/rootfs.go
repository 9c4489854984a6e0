package collectors

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/redwatch/redwatch/internal/hostfs"
)

// maxStackNodes bounds the block stack walk under "/" (a loop in a corrupt
// tree must end).
const maxStackNodes = 256

// rootfsSource resolves the block stack under "/".
type rootfsSource struct{}

func (rootfsSource) Name() string { return "rootfs" }

func (rootfsSource) Collect(_ context.Context, r Roots) (Part, error) {
	root, errs := collectRootFS(r)
	return Part{Set: func(s *Snapshot) { s.RootFS = root }, Errors: errs}, nil
}

// collectRootFS resolves the block stack under "/": the last mount of "/" in
// <proc>/self/mountinfo, its device (from maj:min through /sys/dev/block, else
// the mount source under /dev), then down /sys/class/block/<dev>/slaves and
// from partitions to their disks until whole disks. A root with no block
// device under it (tmpfs, overlay, nfs, ...) or a tree without
// mountinfo gives nil and no error: there is nothing to say. A root on ZFS
// gives its dataset and pool (RootFS.Pool), no block stack.
//
// Why not a library: github.com/prometheus/procfs's GetProcMounts fails the
// whole table on one line it cannot parse (mountinfo.go here reports the
// line and keeps the rest), and github.com/jaypipes/ghw's block topology
// enumerates every disk of the running host through udev rather than walking
// one stack lexically inside a captured tree's root.
func collectRootFS(r Roots) (*RootFS, []Error) {
	path := filepath.Join(r.Proc, "self/mountinfo")
	data, err := hostfs.ReadFile(path, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, []Error{{Collector: "rootfs", Path: path, Err: fmt.Errorf("read mountinfo: %w", err)}}
	}
	var errs []Error
	mounts, perr := parseMountInfo(data)
	if perr != nil {
		errs = append(errs, Error{Collector: "rootfs", Path: path, Err: perr})
	}
	var root *mountInfo
	for i := range mounts {
		if mounts[i].MountPoint == "/" {
			root = &mounts[i] // the last mount of "/" is the one on top
		}
	}
	if root != nil && root.FSType == "zfs" {
		// "rpool/ROOT/debian": the pool is the dataset's first component;
		// the rules judge the pool's redundancy from the ZFS source.
		pool, _, _ := strings.Cut(root.Source, "/")
		return &RootFS{Source: root.Source, FSType: root.FSType, Pool: pool}, errs
	}
	if root == nil || !onBlockDevice(root.FSType) {
		return nil, errs
	}
	rf := &RootFS{Source: root.Source, FSType: root.FSType, Device: rootDevice(r, root)}
	if rf.Device == "" {
		return rf, errs
	}
	w := &stackWalker{sys: r.Sys, rf: rf, redundant: map[string]bool{}}
	if _, err := sysDir(r.Sys, filepath.Join(r.Sys, "class/block", rf.Device)); err != nil {
		return rf, append(errs, w.errs...) // no sysfs block info in this tree
	}
	rf.Redundant = w.visit(rf.Device, 0)
	slices.Sort(rf.Disks)
	rf.Disks = slices.Compact(rf.Disks)
	br := newBlockResolver(r.Sys)
	defer br.close()
	for _, d := range rf.Disks {
		if dd := diskDevice(r.Sys, br, d); dd.Vendor != "" || dd.Model != "" || dd.SCSIAddress != "" {
			rf.DiskDevices = append(rf.DiskDevices, dd)
		}
	}
	return rf, append(errs, w.errs...)
}

// scsiAddress matches a SCSI device's name, host:channel:target:lun.
var scsiAddress = regexp.MustCompile(`^\d+:\d+:\d+:\d+$`)

// diskDevice reads a whole disk's SCSI vendor, model and address (a disk
// without them, NVMe or virtio, has only its controller).
func diskDevice(sys string, br *blockResolver, name string) DiskDevice {
	d := DiskDevice{Name: name, Controller: br.resolve(name).controller}
	if !validDevName(name) {
		return d
	}
	dev := filepath.Join(sys, "class/block", name, "device")
	for _, a := range []struct {
		file string
		dst  *string
	}{{"vendor", &d.Vendor}, {"model", &d.Model}} {
		if b, err := hostfs.ReadAttr(filepath.Join(dev, a.file)); err == nil {
			*a.dst = strings.TrimSpace(string(b))
		}
	}
	if t, err := readLink(dev); err == nil && scsiAddress.MatchString(filepath.Base(t)) {
		d.SCSIAddress = filepath.Base(t)
	}
	return d
}

// onBlockDevice reports whether a filesystem type sits on a block device;
// false for pseudo, network and pool filesystems.
func onBlockDevice(fstype string) bool {
	switch fstype {
	case "rootfs", "tmpfs", "ramfs", "overlay", "overlayfs", "aufs", "nfs", "nfs4", "zfs",
		"9p", "virtiofs", "cifs", "smb3", "ceph", "glusterfs", "fuse", "none", "":
		return false
	}
	return !strings.HasPrefix(fstype, "fuse.")
}

// rootDevice is the kernel block device name under the mount: the
// /sys/dev/block/<maj:min> link, else the mount source resolved through the
// /dev links (/dev/mapper/root → dm-0), else a plain /dev/<name> source;
// "" when none of these names a device.
func rootDevice(r Roots, m *mountInfo) string {
	if m.Major != 0 {
		if t, err := readLink(filepath.Join(r.Sys, "dev/block", fmt.Sprintf("%d:%d", m.Major, m.Minor))); err == nil {
			if name := filepath.Base(t); validDevName(name) {
				return name
			}
		}
	}
	rel, ok := strings.CutPrefix(m.Source, "/dev/")
	if !ok || rel == "" || strings.Contains(rel, "..") {
		return ""
	}
	if t, err := readLink(filepath.Join(r.Dev, rel)); err == nil {
		if name := filepath.Base(t); validDevName(name) {
			return name
		}
	}
	if !strings.Contains(rel, "/") && rel != "root" && validDevName(rel) {
		return rel
	}
	return ""
}

// stackWalker walks the block stack down from the root device.
type stackWalker struct {
	sys string
	rf  *RootFS
	// redundant memoises each visited device's redundancy.
	redundant map[string]bool
	errs      []Error
}

// visit adds name and what lies under it to the stack and reports whether
// every path from name down to the disks passes through an md device with a
// redundant level (root on LVM over one RAID1 and one plain disk is not redundant).
func (w *stackWalker) visit(name string, depth int) bool {
	if red, seen := w.redundant[name]; seen {
		return red
	}
	if depth > 16 || len(w.redundant) >= maxStackNodes {
		w.errs = append(w.errs, Error{Collector: "rootfs", Path: filepath.Join(w.sys, "class/block", name),
			Err: errors.New("block stack too deep")})
		return false
	}
	w.redundant[name] = false // a loop reads as not redundant
	w.rf.Stack = append(w.rf.Stack, name)
	dir, err := sysDir(w.sys, filepath.Join(w.sys, "class/block", name))
	if err != nil {
		// a partial tree: slaves are named but not described
		w.rf.Disks = append(w.rf.Disks, diskFromName(name))
		return false
	}
	red := false
	if exists(filepath.Join(dir, "md")) {
		lp := filepath.Join(dir, "md/level")
		if b, err := hostfs.ReadAttr(lp); err == nil {
			a := MDArray{Level: strings.TrimSpace(string(b))}
			red = a.Redundant()
		} else if !errors.Is(err, fs.ErrNotExist) {
			w.errs = append(w.errs, Error{Collector: "rootfs", Path: lp, Err: fmt.Errorf("read md level: %w", err)})
		}
	}
	slaves, err := hostfs.ReadDir(filepath.Join(dir, "slaves"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		w.errs = append(w.errs, Error{Collector: "rootfs", Path: filepath.Join(dir, "slaves"), Err: fmt.Errorf("list slaves: %w", err)})
	}
	var below []string
	for _, s := range slaves {
		if validDevName(s.Name()) {
			below = append(below, s.Name())
		}
	}
	switch {
	case len(below) > 0:
		slices.SortFunc(below, natCompare)
		all := true
		for _, s := range below {
			if !w.visit(s, depth+1) {
				all = false
			}
		}
		red = red || all
	case exists(filepath.Join(dir, "partition")):
		red = w.visit(filepath.Base(filepath.Dir(dir)), depth+1) || red
	default:
		w.rf.Disks = append(w.rf.Disks, name)
	}
	w.redundant[name] = red
	return red
}
