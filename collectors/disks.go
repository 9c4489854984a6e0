package collectors

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/redwatch/redwatch/internal/hostfs"
)

// Why not github.com/jaypipes/ghw's block module: evaluated against the
// rules a collector here keeps, it does not hold. It reads through os and
// ioutil directly, not through hostfs, so `redwatch capture` cannot record
// what it read and a hung read cannot be named; its roots are one chroot
// (GHW_CHROOT) where redwatch has separate sys, proc and dev roots. It reads
// the same udev database file (/run/udev/data/b<maj:min>) four times per
// disk (model, serial, bus path, WWN) and /proc/mounts once per partition,
// and with its default EnableTools forks blkid per partition; without udev
// (a captured tree, a container) it has no model and no serial at all. It
// swallows every read error into 0 or "unknown" (redwatch fails closed:
// an unreadable state is UNKNOWN with the path), and it has neither the
// device's state (device/state, the NVMe controller's state) nor the
// controller's PCI function, which are what redundancy is judged on. Its
// PCI side loads the PCI ID database (pcidb), which redwatch does not need.
// The reads below are one pass over /sys/block: per disk one link, one
// directory listing and a handful of small attributes, each read once.

// DiskCollector is the Collector of the errors of the disk inventory.
const DiskCollector = "disks"

// Disk transports (BlockDisk.Transport), from the disk's sysfs device path.
const (
	TransportSATA       = "sata"        // libata: .../ataN/hostM/...
	TransportSAS        = "sas"         // the SAS transport class: .../end_device-H:P/...
	TransportNVMe       = "nvme"        // .../nvme/nvmeN/nvmeNnM
	TransportVirtio     = "virtio"      // virtio-blk: .../virtioN/block/vda
	TransportVirtioSCSI = "virtio-scsi" // .../virtioN/hostM/...
	TransportUSB        = "usb"         // .../usbN/...
	TransportMMC        = "mmc"         // .../mmc_hostN/...
	TransportXen        = "xen"         // .../vbd-N/...
	TransportSCSI       = "scsi"        // any other SCSI host (megaraid_sas, hpsa, mpt3sas RAID volumes, iSCSI, FC)
	TransportOther      = "other"
)

// Disk device states (BlockDisk.State) that mean the disk is gone: the SCSI
// midlayer's device/state ("offline", "transport-offline", "deleted",
// "cancel", and "blocked", I/O held during error recovery or a lost
// transport) and the NVMe controller's state ("dead", "deleting",
// "deleting (no IO)"). "running" (SCSI) and "live" (NVMe) are healthy;
// transient states ("resetting", "connecting", "created", "new",
// "quiesce") are shown but not judged.
var diskDownStates = map[string]bool{
	"offline": true, "transport-offline": true, "deleted": true, "cancel": true, "blocked": true,
	"dead": true, "deleting": true, "deleting (no IO)": true,
}

// DiskStateDown reports whether a BlockDisk.State says the disk is gone.
func DiskStateDown(state string) bool { return diskDownStates[state] }

// BlockDisk is one whole disk in /sys/block: a block device backed by a
// device (not under devices/virtual: loop, ram, zram, dm, md, nbd, drbd),
// not an optical or floppy drive and not an eMMC boot or RPMB area.
type BlockDisk struct {
	// Name is the kernel name, /sys/block/<name> ("sda", "nvme0n1", "cciss!c0d0").
	Name string `json:"name"`
	// Vendor is device/vendor (SCSI; "ATA" for a SATA disk), trimmed.
	Vendor string `json:"vendor,omitempty"`
	// Model is device/model (SCSI, NVMe controller, eMMC), trimmed.
	Model string `json:"model,omitempty"`
	// Serial is device/serial (NVMe controller), serial (virtio-blk), or the
	// unit serial number of device/vpd_pg80 (SCSI, SATA); "" when none is readable.
	Serial string `json:"serial,omitempty"`
	// WWID is wwid (NVMe namespace) or device/wwid (SCSI), trimmed.
	WWID string `json:"wwid,omitempty"`
	// SizeBytes is size (512-byte sectors) × 512; Unknown when not read.
	SizeBytes int64 `json:"size_bytes"`
	// Transport is one of the Transport* constants, from the resolved
	// /sys/block/<name> path.
	Transport string `json:"transport"`
	// Controller is the PCI function of the disk's controller or HBA, the
	// last PCI address on the resolved path ("0000:00:17.0"); for a disk
	// without one, the SCSI host ("host2"); "" when none.
	Controller string `json:"controller,omitempty"`
	// ControllerDriver is the driver of the controller's PCI function
	// (<function>/driver link: "ahci", "megaraid_sas", "nvme", "virtio-pci").
	ControllerDriver string `json:"controller_driver,omitempty"`
	// Host is the SCSI host ("host2") or the NVMe controller ("nvme0") on the path.
	Host string `json:"host,omitempty"`
	// SCSIAddress is the H:C:T:L of a SCSI disk, from its path ("2:0:1:0").
	SCSIAddress string `json:"scsi_address,omitempty"`
	// State is device/state: the SCSI device's state or the NVMe
	// controller's (see DiskStateDown); "" when the disk has none.
	State string `json:"state,omitempty"`
	// Partitions are the partitions' names (/sys/block/<name>/<name>*).
	Partitions []string `json:"partitions,omitempty"`
}

// Down reports whether the disk's state says it is gone.
func (d *BlockDisk) Down() bool { return DiskStateDown(d.State) }

// diskSource reads the disk inventory.
type diskSource struct{}

func (diskSource) Name() string { return DiskCollector }

func (diskSource) Collect(_ context.Context, r Roots) (Part, error) {
	disks, errs := collectBlockDisks(r.Sys)
	return Part{Set: func(s *Snapshot) { s.BlockDisks = disks }, Errors: errs}, nil
}

// collectBlockDisks reads every whole disk in <sys>/block. A missing
// /sys/block (a tree without it) is no disk and no error.
func collectBlockDisks(sys string) ([]BlockDisk, []Error) {
	dr := diskReader{sys: sys, rd: hostfs.NewReader(), drivers: map[string]string{}, strs: strTable{}}
	defer dr.rd.Release()
	dir := filepath.Join(sys, "block")
	bd, err := dr.rd.OpenDir(dir)
	if hostfs.Absent(err) {
		return nil, nil
	}
	if err != nil {
		return nil, []Error{hostfs.New(DiskCollector, dir, fmt.Errorf("list disks: %w", err))}
	}
	defer bd.Close()
	var names []string
	if err := dr.rd.Names(bd, func(name string, _ byte) {
		if !skipDiskName(name) && validDevName(name) {
			names = append(names, strings.Clone(name))
		}
	}); err != nil {
		return nil, []Error{hostfs.New(DiskCollector, dir, fmt.Errorf("list disks: %w", err))}
	}
	slices.Sort(names)
	var (
		disks []BlockDisk
		errs  []Error
	)
	for _, name := range names {
		ddir, err := dr.sysDirAt(bd, name)
		if err != nil {
			errs = append(errs, hostfs.New(DiskCollector, bd.Join(name), fmt.Errorf("resolve disk: %w", err)))
			continue
		}
		rel := filepath.ToSlash(ddir)
		// An NVMe multipath head (native NVMe multipath, a controller
		// with CMIC multi-controller) lives under
		// devices/virtual/nvme-subsystem: it is a disk.
		if strings.Contains(rel, "/devices/virtual/") && !strings.Contains(rel, "/nvme-subsystem/") {
			continue
		}
		d, derrs := dr.read(name, ddir)
		errs = append(errs, derrs...)
		disks = append(disks, d)
	}
	sort.Slice(disks, func(i, j int) bool { return disks[i].Name < disks[j].Name })
	return disks, errs
}

// skipDiskName reports whether a /sys/block name is no disk whatever its
// path: optical and floppy drives, eMMC boot and RPMB areas.
func skipDiskName(name string) bool {
	if strings.HasPrefix(name, "sr") || strings.HasPrefix(name, "fd") {
		return true
	}
	return strings.HasPrefix(name, "mmcblk") && (strings.Contains(name, "boot") || strings.HasSuffix(name, "rpmb"))
}

// diskReader reads the disks of one pass through one hostfs.Reader.
type diskReader struct {
	sys     string
	rd      *hostfs.Reader
	drivers map[string]string // PCI function directory -> driver
	strs    strTable          // vendors, models, states
	path    []byte            // scratch for joining link targets
}

// sysDirAt is sysDir of the entry name of d: one readlink through d for
// the kernel's relative link staying in the root, sysDir for anything else.
func (dr *diskReader) sysDirAt(d hostfs.Dir, name string) (string, error) {
	if t, err := dr.rd.ReadlinkAt(d, name); err == nil && len(t) > 0 && t[0] != '/' {
		dr.path = append(append(append(dr.path[:0], d.Path()...), '/'), t...)
		if p := cleanPath(dr.path); underRootBytes(dr.sys, p) {
			return string(p), nil
		}
	}
	return sysDir(dr.sys, d.Join(name))
}

// Entries of a disk's directory that read decides on.
const (
	diskHasSerial = 1 << iota
	diskHasWWID
	diskHasDevice
)

// diskAttrBits maps the attribute names to their diskHas bits.
var diskAttrBits = map[string]int{"serial": diskHasSerial, "wwid": diskHasWWID, "device": diskHasDevice}

// read reads one disk whose resolved sysfs directory is ddir.
func (dr *diskReader) read(name, ddir string) (BlockDisk, []Error) {
	d := BlockDisk{Name: name, SizeBytes: Unknown}
	rel := filepath.ToSlash(ddir)
	d.Transport = diskTransport(rel)
	d.Host, d.SCSIAddress = diskHostOnPath(rel)
	fn, _ := pciFunctionOnPath(rel)
	d.Controller = fn
	if i := strings.LastIndex(rel, "/"+fn); fn != "" && i >= 0 {
		fnDir := ddir[:i+1+len(fn)]
		drv, ok := dr.drivers[fnDir]
		if !ok {
			if t, err := readLink(filepath.Join(fnDir, "driver")); err == nil {
				drv = filepath.Base(t)
			}
			dr.drivers[fnDir] = drv
		}
		d.ControllerDriver = drv
	} else if strings.HasPrefix(d.Host, "host") {
		d.Controller = d.Host
	}
	var errs []Error
	dd, err := dr.rd.OpenDir(ddir)
	if err != nil {
		// Not listable, its size may still be readable.
		if b, err := hostfs.ReadAttr(filepath.Join(ddir, "size")); err == nil {
			d.SizeBytes = parseDiskSize(b)
		}
		return d, append(errs, hostfs.New(DiskCollector, ddir, fmt.Errorf("disk %s: list: %w", name, err)))
	}
	defer dd.Close()
	has := 0
	if err := dr.rd.Names(dd, func(n string, _ byte) {
		has |= diskAttrBits[n]
		if len(n) > len(name) && strings.HasPrefix(n, name) {
			d.Partitions = append(d.Partitions, strings.Clone(n))
		}
	}); err != nil {
		errs = append(errs, hostfs.New(DiskCollector, ddir, fmt.Errorf("disk %s: list: %w", name, err)))
	}
	slices.Sort(d.Partitions)
	if b, err := dr.rd.ReadAt(dd, "size"); err == nil {
		d.SizeBytes = parseDiskSize(b)
	}
	attr := func(d hostfs.Dir, name string) string {
		b, err := dr.rd.ReadAtIfExists(d, name)
		if err != nil {
			return ""
		}
		return string(bytes.TrimSpace(b))
	}
	if has&diskHasSerial != 0 { // virtio-blk
		d.Serial = attr(dd, "serial")
	}
	if has&diskHasWWID != 0 { // NVMe namespace
		d.WWID = attr(dd, "wwid")
	}
	if has&diskHasDevice == 0 {
		return d, errs
	}
	dev, err := dr.sysDirAt(dd, "device")
	if err != nil {
		return d, append(errs, hostfs.New(DiskCollector, dd.Join("device"), fmt.Errorf("disk %s: resolve device: %w", name, err)))
	}
	devd, err := dr.rd.OpenDir(dev)
	if err != nil {
		return d, append(errs, hostfs.New(DiskCollector, dev, fmt.Errorf("disk %s: list device: %w", name, err)))
	}
	defer devd.Close()
	// The device's attributes are read by name, an absent one (ENOENT) is
	// one the device does not have: cheaper than listing the directory
	// (a SCSI device holds some forty entries). A capture keeps its
	// entries as if listed.
	hostfs.RecordList(dev)
	d.Vendor = dr.attrStr(devd, "vendor")
	d.Model = dr.attrStr(devd, "model")
	if d.Serial == "" { // NVMe controller
		d.Serial = attr(devd, "serial")
	}
	if d.WWID == "" {
		d.WWID = attr(devd, "wwid")
	}
	if d.Serial == "" {
		// Root-only (0400): unreadable as another user, the serial stays "".
		if b, err := dr.rd.ReadAtIfExists(devd, "vpd_pg80"); err == nil {
			d.Serial = parseVPDSerial(b)
		}
	}
	if d.Transport == TransportNVMe && d.Host == "" {
		d.Host = filepath.Base(dev)
	}
	if b, err := dr.rd.ReadAtIfExists(devd, "state"); !hostfs.Absent(err) {
		if err != nil {
			errs = append(errs, hostfs.New(DiskCollector, devd.Join("state"), fmt.Errorf("disk %s: read state: %w", name, err)))
			d.State = "unknown"
		} else {
			d.State = dr.strs.get(bytes.TrimSpace(b))
		}
	}
	return d, errs
}

// parseDiskSize parses a disk's size attribute (512-byte sectors) into
// bytes; Unknown when it is not a count.
func parseDiskSize(b []byte) int64 {
	if v, err := strconv.ParseInt(string(bytes.TrimSpace(b)), 10, 64); err == nil && v >= 0 {
		return v * 512
	}
	return Unknown
}

// attrStr is the trimmed attribute name of d as a string shared by the
// disks that hold the same value (vendors and models repeat); "" when unreadable.
func (dr *diskReader) attrStr(d hostfs.Dir, name string) string {
	b, err := dr.rd.ReadAtIfExists(d, name)
	if err != nil {
		return ""
	}
	return dr.strs.get(bytes.TrimSpace(b))
}

// parseVPDSerial returns the unit serial number of a SCSI VPD page 0x80
// (SPC-4 7.8.19: byte 1 the page code 0x80, bytes 2–3 the page length,
// then the serial, ASCII, space padded); "" when b is not such a page.
func parseVPDSerial(b []byte) string {
	if len(b) < 4 || b[1] != 0x80 {
		return ""
	}
	n := int(b[2])<<8 | int(b[3])
	s := b[4:]
	if n < len(s) {
		s = s[:n]
	}
	out := make([]byte, 0, len(s))
	for _, c := range s {
		if c >= 0x20 && c < 0x7f {
			out = append(out, c)
		}
	}
	return strings.TrimSpace(string(out))
}

// diskTransport derives the transport of a disk from its resolved,
// slash-separated sysfs path.
func diskTransport(p string) string {
	var virtio, host, ata, sas, usb, mmc, xen, nvme bool
	for c := range strings.SplitSeq(p, "/") {
		switch {
		case strings.HasPrefix(c, "virtio") && isDigits(c[len("virtio"):]):
			virtio = true
		case strings.HasPrefix(c, "host") && isDigits(c[len("host"):]):
			host = true
		case strings.HasPrefix(c, "ata") && isDigits(c[len("ata"):]):
			ata = true
		case strings.HasPrefix(c, "end_device-"):
			sas = true
		case strings.HasPrefix(c, "usb") && isDigits(c[len("usb"):]):
			usb = true
		case strings.HasPrefix(c, "mmc_host"):
			mmc = true
		case strings.HasPrefix(c, "vbd-"):
			xen = true
		case c == "nvme" || c == "nvme-subsystem":
			nvme = true
		}
	}
	switch {
	case nvme:
		return TransportNVMe
	case usb:
		return TransportUSB
	case ata:
		return TransportSATA
	case sas:
		return TransportSAS
	case virtio && host:
		return TransportVirtioSCSI
	case virtio:
		return TransportVirtio
	case mmc:
		return TransportMMC
	case xen:
		return TransportXen
	case host:
		return TransportSCSI
	}
	return TransportOther
}

// diskHostOnPath returns the SCSI host ("host2") and the H:C:T:L of the
// SCSI device on the slash-separated path p, or the NVMe controller
// ("nvme0") for an NVMe namespace.
func diskHostOnPath(p string) (host, hctl string) {
	prev := ""
	for c := range strings.SplitSeq(p, "/") {
		switch {
		case strings.HasPrefix(c, "host") && isDigits(c[len("host"):]):
			host = c
		case host != "" && strings.Count(c, ":") == 3 && isDigitsOrColons(c):
			hctl = c
		case prev == "nvme" && strings.HasPrefix(c, "nvme"):
			host = c
		}
		prev = c
	}
	return host, hctl
}

// isDigitsOrColons reports whether s, less its colons, is non-empty and all
// decimal digits.
func isDigitsOrColons(s string) bool {
	digits := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits = true
		case c != ':':
			return false
		}
	}
	return digits
}

// isDigits reports whether s is non-empty and all decimal digits.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// BlockDisk returns the disk of the inventory named name, nil when none.
func (s *Snapshot) BlockDisk(name string) *BlockDisk {
	for i := range s.BlockDisks {
		if s.BlockDisks[i].Name == name {
			return &s.BlockDisks[i]
		}
	}
	return nil
}

// BlockResources returns what the block device dev (a whole disk or a
// partition as sysfs names it: "sdb", "sdb1", "nvme0n1p2") depends on, as
// group member Resources: "disk" (the whole disk), "controller" (the PCI
// function of its controller or HBA, else its SCSI host) and
// "controller_driver" when known. A device the inventory does not hold
// gets its disk from the kernel's partition naming and no controller; nil
// for an empty name. The redundancy groups (md, btrfs, multipath, ZFS)
// fill their members' Resources with it, so that the shared-hardware rules
// see the same disk and controller whatever the group kind.
func (s *Snapshot) BlockResources(dev string) map[string]string {
	if dev == "" {
		return nil
	}
	for i := range s.BlockDisks {
		d := &s.BlockDisks[i]
		if d.Name != dev && !slices.Contains(d.Partitions, dev) {
			continue
		}
		res := map[string]string{"disk": d.Name}
		if d.Controller != "" {
			res["controller"] = d.Controller
		}
		if d.ControllerDriver != "" {
			res["controller_driver"] = d.ControllerDriver
		}
		return res
	}
	return map[string]string{"disk": diskFromName(dev)}
}
