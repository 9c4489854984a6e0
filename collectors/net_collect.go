package collectors

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"

	"github.com/redwatch/redwatch/internal/hostfs"

	"golang.org/x/sys/unix"
)

// netSource reads the network interfaces.
type netSource struct{}

func (netSource) Name() string { return "net" }

func (netSource) Collect(_ context.Context, r Roots) (Part, error) {
	nics, errs := collectNICs(r)
	return Part{Set: func(s *Snapshot) { s.NICs = nics }, Errors: errs}, nil
}

// collectNICs reads every interface of <sys>/class/net: carrier, operstate,
// speed and duplex, the bond or bridge it is enslaved to (master link), and
// the PCI function it sits on (device link, resolved lexically inside the
// sys root and walked up to the last PCI address). A missing <sys>/class/net
// is no NICs and no error; an attribute that exists but cannot be parsed is
// an Error and that fact stays Unknown. On live roots it adds what ethtool
// knows about each physical NIC; a host where the ethtool socket cannot be
// opened is quietly read from sysfs alone.
//
// Why not github.com/prometheus/procfs's sysfs.FS.NetClass: it reads some
// thirty attributes of every interface where four are needed, fails the
// whole class on one interface it cannot parse, and ignores EACCES like an
// absent file (an unreadable carrier must be UNKNOWN here, not missing); it
// resolves neither the master link nor the device link to a PCI function
// inside a captured tree's root.
func collectNICs(r Roots) ([]NIC, []Error) {
	var p nicProber
	if r.Live {
		if e, err := openEthtool(); err == nil {
			p = e
			defer p.close()
		}
	}
	rd := newNICReader(r.Sys, p)
	nics, errs := rd.readAll()
	if !r.Live {
		errs = append(errs, readPrivFlagsTree(r, nics)...)
	}
	return nics, errs
}

// nicReader reads the interfaces of one sys root in one pass. It reuses one
// buffer for every attribute and link, and reads each attribute relative to
// the interface's directory (openat/readlinkat), so the kernel walks the long
// sysfs device path once per interface, not once per attribute.
type nicReader struct {
	sys      string // cleaned sys root
	classDir string // <sys>/class/net
	classFd  int    // <sys>/class/net opened, for readlinkat
	ifDir    string // the interface directory being read (its fd is the dirfd of readAt and link)
	prober   nicProber
	buf      []byte
	errs     []Error
	// opens, links and dirs count the files opened, the links read and the
	// interface directories opened, for the benchmark.
	opens, links, dirs int
}

// newNICReader returns a reader of the sys root's interfaces; p is nil for
// captured trees (no ethtool).
func newNICReader(sys string, p nicProber) *nicReader {
	sys = filepath.Clean(sys)
	return &nicReader{sys: sys, classDir: filepath.Join(sys, "class/net"), prober: p, buf: make([]byte, hostfs.MaxAttrSize)}
}

// readAll reads every entry of <sys>/class/net but bonding_masters, sorted by name.
func (rd *nicReader) readAll() ([]NIC, []Error) {
	dir, err := hostfs.Open(rd.classDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, []Error{{Collector: "net", Path: rd.classDir, Err: fmt.Errorf("open interface list: %w", err)}}
	}
	defer dir.Close()
	names, err := dir.Readdirnames(-1)
	if err != nil {
		return nil, []Error{{Collector: "net", Path: rd.classDir, Err: fmt.Errorf("list interfaces: %w", err)}}
	}
	slices.Sort(names)
	rd.classFd = int(dir.Fd())
	nics := make([]NIC, 0, len(names))
	for _, name := range names {
		if name == "bonding_masters" {
			continue
		}
		if n, ok := rd.read(name); ok {
			nics = append(nics, n)
		}
	}
	return nics, rd.errs
}

// read reads one interface. The NIC is returned even when nothing could be
// read (its facts stay Unknown and the Errors say why): an interface that
// exists but cannot be read is not an absent one. An interface that vanished
// since the directory was listed (a container's veth) is not returned (ok false).
func (rd *nicReader) read(name string) (n NIC, ok bool) {
	n = NIC{Name: name, Carrier: Unknown, Speed: Unknown}
	ifDir, err := rd.ifaceDir(name)
	if errors.Is(err, unix.ENOENT) {
		return n, false
	}
	if err != nil {
		rd.fail(name, "", err)
		return n, true
	}
	rd.dirs++
	rd.ifDir = ifDir
	fd, err := openDirFd(ifDir)
	if errors.Is(err, unix.ENOENT) {
		// Gone with its class entry: vanished. A class entry still there
		// leads nowhere (a partial tree): that is an Error.
		if _, lerr := unix.Readlinkat(rd.classFd, name, rd.buf); errors.Is(lerr, unix.ENOENT) {
			return n, false
		}
	}
	if err != nil {
		rd.fail(name, "", fmt.Errorf("open interface directory %s: %w", ifDir, err))
		return n, true
	}
	defer unix.Close(fd)

	// The device link decides Virtual, and with it which attributes mean anything.
	switch t, err := rd.link(fd, "device"); {
	case err == nil:
		devDir, err := rd.resolve(ifDir, t)
		if err != nil {
			rd.fail(name, "device", err)
			break
		}
		n.PCIFunction, n.PCISlot = pciFunctionOnPath(devDir[len(rd.sys):])
		switch d, err := rd.link(unix.AT_FDCWD, devDir+"/driver"); {
		case err == nil:
			n.Driver = linkBase(d)
		case !isAbsent(err):
			rd.fail(name, "device/driver", err)
		}
	case isAbsent(err):
		n.Virtual = true
	default:
		rd.fail(name, "device", err)
	}

	switch m, err := rd.link(fd, "master"); {
	case err == nil:
		n.Master = linkBase(m)
	case !isAbsent(err):
		rd.fail(name, "master", err)
	}

	if b, ok := rd.attr(fd, name, "carrier"); ok {
		if v, err := parseCarrier(b); err == nil {
			n.Carrier = v
		} else {
			rd.fail(name, "carrier", err)
		}
	}
	if b, ok := rd.attr(fd, name, "operstate"); ok {
		if v, err := parseOperState(b); err == nil {
			n.OperState = v
		} else {
			rd.fail(name, "operstate", err)
		}
	}
	// Speed and duplex of a bond, bridge, lo or veth say nothing about a cable.
	if !n.Virtual {
		if b, ok := rd.attr(fd, name, "speed"); ok {
			if v, err := parseSpeed(b); err == nil {
				n.Speed = v
			} else {
				rd.fail(name, "speed", err)
			}
		}
		if b, ok := rd.attr(fd, name, "duplex"); ok {
			if v, err := parseDuplex(b); err == nil {
				n.Duplex = v
			} else {
				rd.fail(name, "duplex", err)
			}
		}
		if rd.prober != nil {
			applyEthtool(&n, rd.prober.probe(name))
		}
	}
	return n, true
}

// ifaceDir resolves <sys>/class/net/<name> (a symlink on a live host, a
// regular file holding the link target in a captured tree) lexically to the
// interface's directory under the sys root. A hand-made tree may hold the
// interface as a plain directory; that is its directory.
func (rd *nicReader) ifaceDir(name string) (string, error) {
	t, err := rd.link(rd.classFd, name)
	if errors.Is(err, unix.ENOENT) {
		return "", err // vanished
	}
	if err != nil {
		p := filepath.Join(rd.classDir, name)
		if fi, serr := hostfs.Lstat(p); serr == nil && fi.IsDir() {
			return p, nil
		}
		if isAbsent(err) { // link returns these bare
			return "", fmt.Errorf("read interface link: %w", err)
		}
		return "", err
	}
	return rd.resolve(rd.classDir, t)
}

// resolve resolves the link target t found in dir lexically, as the kernel
// would inside the tree: relative to the link's own directory, never against
// the running host's /sys. The result must lie below the sys root.
func (rd *nicReader) resolve(dir, t string) (string, error) {
	if filepath.IsAbs(t) {
		return "", fmt.Errorf("absolute link target %q (sysfs links are relative)", t)
	}
	p := filepath.Join(dir, t)
	if !rd.inSys(p) {
		return "", fmt.Errorf("link target %q leaves %s", t, rd.sys)
	}
	return p, nil
}

// inSys reports whether the clean path p lies strictly below the sys root.
func (rd *nicReader) inSys(p string) bool {
	return len(p) > len(rd.sys) && strings.HasPrefix(p, rd.sys) && (p[len(rd.sys)] == '/' || rd.sys == "/")
}

// attr reads the attribute name of the interface directory dirfd with one
// bounded read into the reader's buffer and returns it trimmed; the bytes are
// valid until the next read. ok is false when the kernel has no value: the
// file is missing (a captured tree left it out) or the read fails with EINVAL
// or EOPNOTSUPP (carrier, speed and duplex of an interface that is down, speed
// of a driver without link settings); that fact stays Unknown without an
// Error. Any other failure is an Error.
func (rd *nicReader) attr(dirfd int, ifname, name string) (b []byte, ok bool) {
	b, err := rd.readAt(dirfd, name)
	if err != nil {
		if !isAbsent(err) {
			rd.fail(ifname, name, fmt.Errorf("read: %w", err))
		}
		return nil, false
	}
	return bytes.TrimSpace(b), true
}

// readAt opens name relative to dirfd and reads it once into rd.buf.
func (rd *nicReader) readAt(dirfd int, name string) ([]byte, error) {
	rd.opens++
	fd, err := retryEINTR(func() (int, error) { return unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0) })
	if err != nil {
		rd.record(dirfd, name, nil, err)
		return nil, err
	}
	n, err := retryEINTR(func() (int, error) { return unix.Read(fd, rd.buf) })
	unix.Close(fd)
	if err != nil {
		rd.record(dirfd, name, nil, err)
		return nil, err
	}
	rd.record(dirfd, name, rd.buf[:n], nil)
	return rd.buf[:n], nil
}

// record tells a capture (hostfs.StartRecording) about a read or a link
// relative to dirfd: data nil for a link.
func (rd *nicReader) record(dirfd int, name string, data []byte, err error) {
	if !hostfs.Recording() {
		return
	}
	p := name
	switch dirfd {
	case unix.AT_FDCWD:
	case rd.classFd:
		p = rd.classDir + "/" + name
	default:
		p = rd.ifDir + "/" + name
	}
	if data == nil {
		hostfs.RecordPath(p, err)
		return
	}
	hostfs.RecordRead(p, data, err)
}

// link returns the target of the sysfs link name (relative to dirfd). A
// captured tree that could not hold links stores a link as a regular file
// whose content is the target ("../../../virtio2"): such a file is accepted
// when its content is one relative path.
func (rd *nicReader) link(dirfd int, name string) (string, error) {
	rd.links++
	n, err := unix.Readlinkat(dirfd, name, rd.buf)
	rd.record(dirfd, name, nil, err)
	if err == nil {
		if n >= len(rd.buf) {
			return "", fmt.Errorf("link %s: target longer than %d bytes", name, len(rd.buf))
		}
		return string(rd.buf[:n]), nil
	}
	if isAbsent(err) && !errors.Is(err, unix.EINVAL) {
		return "", err // the common "no master", "no device": not worth wrapping
	}
	if !errors.Is(err, unix.EINVAL) { // EINVAL: not a symlink
		return "", fmt.Errorf("read link %s: %w", name, err)
	}
	b, rerr := rd.readAt(dirfd, name)
	if rerr != nil {
		return "", fmt.Errorf("%s is not a link: %w", name, rerr)
	}
	b = bytes.TrimSpace(b)
	if !isLinkText(b) {
		return "", fmt.Errorf("%s is neither a link nor a file holding a relative link target", name)
	}
	return string(b), nil
}

// isLinkText reports whether b looks like the relative target of a sysfs link.
func isLinkText(b []byte) bool {
	return len(b) > 0 && len(b) < 1024 && b[0] != '/' && !bytes.ContainsAny(b, "\x00\n\r\t ")
}

// fail records an Error for the attribute attr ("" for the interface itself) of interface name.
func (rd *nicReader) fail(name, attr string, err error) {
	p := rd.classDir + "/" + name
	if attr != "" {
		p += "/" + attr
	}
	rd.errs = append(rd.errs, Error{Collector: "net", Path: p, Err: err})
}

// openDirFd opens the directory path for *at calls.
func openDirFd(path string) (int, error) {
	return retryEINTR(func() (int, error) { return unix.Open(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0) })
}

// retryEINTR calls f until it fails with something other than EINTR.
func retryEINTR(f func() (int, error)) (int, error) {
	for {
		n, err := f()
		if !errors.Is(err, unix.EINTR) {
			return n, err
		}
	}
}

// isAbsent reports whether err means "the kernel has no such value": the
// file is missing, or sysfs refused to produce it (EINVAL from an interface
// that is down, EOPNOTSUPP from a driver without link settings).
func isAbsent(err error) bool {
	return errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) ||
		errors.Is(err, unix.EINVAL) || errors.Is(err, unix.EOPNOTSUPP)
}

// linkBase is the last element of a link target ("../../../../bus/virtio/drivers/virtio_net" → "virtio_net").
func linkBase(t string) string {
	t = strings.TrimRight(t, "/")
	return t[strings.LastIndexByte(t, '/')+1:]
}

// parseCarrier parses /sys/class/net/<name>/carrier (trimmed): "1" link, "0" no link.
func parseCarrier(b []byte) (int, error) {
	if len(b) == 1 && (b[0] == '0' || b[0] == '1') {
		return int(b[0] - '0'), nil
	}
	return Unknown, fmt.Errorf("carrier %q: want 0 or 1", routeTrunc(b, 32))
}

// parseSpeed parses /sys/class/net/<name>/speed (trimmed) in Mbps. The
// kernel's SPEED_UNKNOWN is "-1"; kernels before 4.x printed it unsigned
// ("4294967295"), and drivers that set only the 16-bit field give "65535":
// all three are Unknown. Any other negative number or non-number is an error.
func parseSpeed(b []byte) (int, error) {
	neg := len(b) > 0 && b[0] == '-'
	digits := b
	if neg {
		digits = b[1:]
	}
	if len(digits) == 0 || len(digits) > 10 {
		return Unknown, fmt.Errorf("speed %q: not a number of Mbps", routeTrunc(b, 32))
	}
	var v int64
	for _, c := range digits {
		if c < '0' || c > '9' {
			return Unknown, fmt.Errorf("speed %q: not a number of Mbps", routeTrunc(b, 32))
		}
		v = v*10 + int64(c-'0')
	}
	switch {
	case neg && v == 1, !neg && (v == 65535 || v == 4294967295):
		return Unknown, nil
	case neg:
		return Unknown, fmt.Errorf("speed %q: negative", b)
	case v > 4294967295:
		return Unknown, fmt.Errorf("speed %q: out of range", b)
	}
	return int(v), nil
}

// parseDuplex parses /sys/class/net/<name>/duplex (trimmed): "full" or
// "half"; the kernel's "unknown" is "".
func parseDuplex(b []byte) (string, error) {
	switch string(b) {
	case "full":
		return "full", nil
	case "half":
		return "half", nil
	case "unknown":
		return "", nil
	}
	return "", fmt.Errorf("duplex %q: want full, half or unknown", routeTrunc(b, 32))
}

// parseOperState parses /sys/class/net/<name>/operstate (trimmed), one of
// the RFC 2863 states the kernel prints: "unknown" (lo, drivers that do not
// report it), "notpresent", "down", "lowerlayerdown", "testing", "dormant", "up".
func parseOperState(b []byte) (string, error) {
	switch string(b) {
	case "unknown":
		return "unknown", nil
	case "notpresent":
		return "notpresent", nil
	case "down":
		return "down", nil
	case "lowerlayerdown":
		return "lowerlayerdown", nil
	case "testing":
		return "testing", nil
	case "dormant":
		return "dormant", nil
	case "up":
		return "up", nil
	}
	return "", fmt.Errorf("operstate %q: not a kernel operstate", routeTrunc(b, 32))
}
