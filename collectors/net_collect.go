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
	return netPart(r, nil, nil), nil
}

// Refresh, after link events that named their interfaces (Events.Links,
// net alone), re-reads only those interfaces, the bonds they are about
// (their master now, the master the last read recorded: a slave may have
// left its bond) and, for a named bond, all of its slaves; every other
// interface is given again as the last read left it. <sys>/class/net is
// listed again (one directory read): it reads every interface as Collect
// does when the events named none, when an interface came, went or was
// renamed since the last read, and when a named one is not in it.
func (netSource) Refresh(_ context.Context, r Roots, ev Events, last Part) (Part, error) {
	memo, _ := last.Memo.(*netMemo)
	links := ev.netLinks()
	if links == nil {
		memo = nil
	}
	return netPart(r, memo, links), nil
}

// netPart reads the interfaces, re-reading only those links are about when
// memo holds the last read (see Refresh), and keeps the read's memo.
func netPart(r Roots, memo *netMemo, links []string) Part {
	nics, errs, next := collectNICsFrom(r, memo, links)
	p := Part{Set: func(s *Snapshot) { s.NICs = nics }, Errors: errs}
	if next != nil {
		p.Memo = next
	}
	return p
}

// netMemo is what one read of the interfaces keeps for the next refresh:
// each entry of <sys>/class/net, sorted, as the read left it.
type netMemo struct {
	names []string
	nics  []netMemoNIC // by names index
}

// netMemoNIC is one interface as a read left it.
type netMemoNIC struct {
	nic  NIC     // shared with the snapshots that hold it: never modified
	ok   bool    // it was there (not vanished while read)
	errs []Error // what its sysfs could not give
	priv []Error // what its captured priv-flags could not give
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
	nics, errs, _ := collectNICsFrom(r, nil, nil)
	return nics, errs
}

// collectNICsFrom is collectNICs re-reading, when memo holds the last read
// and links name interfaces, only the interfaces links are about (see
// netSource.Refresh) and taking the others from memo; it returns the memo
// of this read (nil when the interfaces could not be listed).
func collectNICsFrom(r Roots, memo *netMemo, links []string) ([]NIC, []Error, *netMemo) {
	var p nicProber
	if r.Live {
		if e, err := openEthtool(); err == nil {
			p = e
			defer p.close()
		}
	}
	rd := newNICReader(r.Sys, p)
	names, done, errs := rd.list()
	if done == nil {
		return nil, errs, nil
	}
	defer done()
	next := &netMemo{names: names, nics: make([]netMemoNIC, len(names))}
	readOne := func(i int) {
		before := len(rd.errs)
		n, ok := rd.read(names[i])
		m := netMemoNIC{nic: n, ok: ok, errs: slices.Clone(rd.errs[before:])}
		if ok && !r.Live {
			one := []NIC{n}
			m.priv = readPrivFlagsTree(r, one)
			m.nic = one[0]
		}
		next.nics[i] = m
	}
	reread := rd.refreshSet(memo, names, links, readOne, next)
	for i := range names {
		switch {
		case reread == nil:
			readOne(i)
		case reread[i] == rereadFresh:
		case reread[i] == rereadYes:
			readOne(i)
		default:
			next.nics[i] = memo.nics[i]
		}
	}
	nics := make([]NIC, 0, len(names))
	var priv []Error
	for _, m := range next.nics {
		if m.ok {
			nics = append(nics, m.nic)
		}
		errs = append(errs, m.errs...)
		priv = append(priv, m.priv...)
	}
	return nics, append(errs, priv...), next
}

// What refreshSet decided for one interface.
const (
	rereadNo    = iota // memo's
	rereadYes          // to be read
	rereadFresh        // read already (a named interface)
)

// refreshSet decides, by names index, which interfaces a refresh re-reads
// (see netSource.Refresh), reading the named ones with readOne to learn
// their master now; nil when every interface must be read.
func (rd *nicReader) refreshSet(memo *netMemo, names, links []string, readOne func(int), next *netMemo) []int {
	if memo == nil || links == nil || !slices.Equal(memo.names, names) {
		return nil
	}
	set := make([]int, len(names))
	mark := func(name string) bool {
		i, ok := slices.BinarySearch(names, name)
		if ok && set[i] == rereadNo {
			set[i] = rereadYes
		}
		return ok
	}
	for _, l := range links {
		i, ok := slices.BinarySearch(names, l)
		if !ok || !memo.nics[i].ok {
			return nil // a name the last read did not have
		}
		readOne(i)
		set[i] = rereadFresh
		now := next.nics[i]
		if !now.ok || (now.nic.Master != "" && !mark(now.nic.Master)) {
			return nil // vanished, or enslaved to an interface not listed
		}
		if m := memo.nics[i].nic.Master; m != "" {
			mark(m)
		}
		for j, m := range memo.nics {
			if m.nic.Master == l {
				mark(names[j]) // a named bond's slaves
			}
		}
	}
	return set
}

// list gets the reader's buffers, opens <sys>/class/net and lists its
// interfaces (every entry but bonding_masters), sorted; done closes what
// it opened, nil when it could not be listed (errs say why, none when
// there is no <sys>/class/net).
func (rd *nicReader) list() (names []string, done func(), errs []Error) {
	done, err := rd.open()
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, []Error{{Collector: "net", Path: rd.classDir, Err: fmt.Errorf("open interface list: %w", err)}}
	}
	if err := rd.r.Names(rd.class, func(name string, _ byte) {
		if name != "bonding_masters" {
			names = append(names, strings.Clone(name))
		}
	}); err != nil {
		done()
		return nil, nil, []Error{{Collector: "net", Path: rd.classDir, Err: fmt.Errorf("list interfaces: %w", err)}}
	}
	slices.Sort(names)
	return names, done, nil
}

// nicReader reads the interfaces of one sys root in one pass. It reads
// through one hostfs.Reader (its buffers reused for every attribute and
// link) and each attribute relative to the interface's open directory
// (openat/readlinkat), so the kernel walks the long sysfs device path once
// per interface, not once per attribute.
type nicReader struct {
	sys      string     // cleaned sys root
	classDir string     // <sys>/class/net
	class    hostfs.Dir // <sys>/class/net opened
	ifDir    string     // the interface directory being read
	r        *hostfs.Reader
	prober   nicProber
	path     []byte   // scratch for joining link targets
	names    strTable // drivers and masters
	errs     []Error
	// opens, links and dirs count the files opened, the links read and the
	// interface directories opened, for the benchmark.
	opens, links, dirs int
}

// newNICReader returns a reader of the sys root's interfaces; p is nil for
// captured trees (no ethtool).
func newNICReader(sys string, p nicProber) *nicReader {
	sys = filepath.Clean(sys)
	return &nicReader{sys: sys, classDir: filepath.Join(sys, "class/net"), prober: p}
}

// readAll reads every entry of <sys>/class/net but bonding_masters, sorted by name.
func (rd *nicReader) readAll() ([]NIC, []Error) {
	names, done, errs := rd.list()
	if done == nil {
		return nil, errs
	}
	defer done()
	nics := make([]NIC, 0, len(names))
	for _, name := range names {
		if n, ok := rd.read(name); ok {
			nics = append(nics, n)
		}
	}
	return nics, rd.errs
}

// open gets the reader's buffers and opens <sys>/class/net; done gives them back.
func (rd *nicReader) open() (done func(), err error) {
	rd.r = hostfs.NewReader()
	if rd.class, err = rd.r.OpenDir(rd.classDir); err != nil {
		rd.r.Release()
		return nil, err
	}
	rd.path = make([]byte, 0, 256)
	rd.names = strTable{}
	return func() { rd.class.Close(); rd.r.Release(); rd.r = nil }, nil
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
	d, err := rd.r.OpenDir(ifDir)
	err = bareErr(err)
	if errors.Is(err, unix.ENOENT) {
		// Gone with its class entry: vanished. A class entry still there
		// leads nowhere (a partial tree): that is an Error.
		if _, lerr := rd.r.ReadlinkAt(rd.class, name); errors.Is(lerr, unix.ENOENT) {
			return n, false
		}
	}
	if err != nil {
		rd.fail(name, "", fmt.Errorf("open interface directory %s: %w", ifDir, err))
		return n, true
	}
	defer d.Close()

	// The device link decides Virtual, and with it which attributes mean anything.
	switch t, err := rd.link(d, "device"); {
	case err == nil:
		devDir, err := rd.resolve(ifDir, t)
		if err != nil {
			rd.fail(name, "device", err)
			break
		}
		n.PCIFunction, n.PCISlot = pciFunctionOnPath(devDir[len(rd.sys):])
		switch d, err := rd.linkIn(devDir, "driver"); {
		case err == nil:
			n.Driver = rd.names.get(linkBase(d))
		case !isAbsent(err):
			rd.fail(name, "device/driver", err)
		}
	case isAbsent(err):
		n.Virtual = true
	default:
		rd.fail(name, "device", err)
	}

	switch m, err := rd.link(d, "master"); {
	case err == nil:
		n.Master = rd.names.get(linkBase(m))
	case !isAbsent(err):
		rd.fail(name, "master", err)
	}

	if b, ok := rd.attr(d, name, "carrier"); ok {
		if v, err := parseCarrier(b); err == nil {
			n.Carrier = v
		} else {
			rd.fail(name, "carrier", err)
		}
	}
	if b, ok := rd.attr(d, name, "operstate"); ok {
		if v, err := parseOperState(b); err == nil {
			n.OperState = v
		} else {
			rd.fail(name, "operstate", err)
		}
	}
	// Speed and duplex of a bond, bridge, lo or veth say nothing about a cable.
	if !n.Virtual {
		if b, ok := rd.attr(d, name, "speed"); ok {
			if v, err := parseSpeed(b); err == nil {
				n.Speed = v
			} else {
				rd.fail(name, "speed", err)
			}
		}
		if b, ok := rd.attr(d, name, "duplex"); ok {
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
	t, err := rd.link(rd.class, name)
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
func (rd *nicReader) resolve(dir string, t []byte) (string, error) {
	if len(t) > 0 && t[0] == '/' {
		return "", fmt.Errorf("absolute link target %q (sysfs links are relative)", t)
	}
	rd.path = append(append(append(rd.path[:0], dir...), '/'), t...)
	p := string(cleanPath(rd.path))
	if !rd.inSys(p) {
		return "", fmt.Errorf("link target %q leaves %s", t, rd.sys)
	}
	return p, nil
}

// inSys reports whether the clean path p lies strictly below the sys root.
func (rd *nicReader) inSys(p string) bool {
	return len(p) > len(rd.sys) && strings.HasPrefix(p, rd.sys) && (p[len(rd.sys)] == '/' || rd.sys == "/")
}

// attr reads the attribute name of the interface directory d with one
// bounded read into the reader's buffer and returns it trimmed; the bytes are
// valid until the next read. ok is false when the kernel has no value: the
// file is missing (a captured tree left it out) or the read fails with EINVAL
// or EOPNOTSUPP (carrier, speed and duplex of an interface that is down, speed
// of a driver without link settings); that fact stays Unknown without an
// Error. Any other failure is an Error.
func (rd *nicReader) attr(d hostfs.Dir, ifname, name string) (b []byte, ok bool) {
	b, err := rd.readAt(d, name)
	if err != nil {
		if !isAbsent(err) {
			rd.fail(ifname, name, fmt.Errorf("read: %w", err))
		}
		return nil, false
	}
	return bytes.TrimSpace(b), true
}

// readAt opens name in d and reads it once (not through a link); the error
// is the bare errno.
func (rd *nicReader) readAt(d hostfs.Dir, name string) ([]byte, error) {
	rd.opens++
	b, err := rd.r.ReadAtNoFollow(d, name)
	return b, bareErr(err)
}

// bareErr is the errno inside an *fs.PathError: the reader names its paths itself.
func bareErr(err error) error {
	if err == nil {
		return nil // before errors.As, whose target escapes: an allocation per call
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// link returns the target of the sysfs link name in d, valid until the
// next read. A captured tree that could not hold links stores a link as a
// regular file whose content is the target ("../../../virtio2"): such a
// file is accepted when its content is one relative path.
func (rd *nicReader) link(d hostfs.Dir, name string) ([]byte, error) {
	rd.links++
	t, err := rd.r.ReadlinkAt(d, name)
	return rd.linkText(t, err, name, func() ([]byte, error) { return rd.readAt(d, name) })
}

// linkIn is link of dir/name, dir given by path.
func (rd *nicReader) linkIn(dir, name string) ([]byte, error) {
	rd.links++
	t, err := rd.r.ReadlinkIn(dir, name)
	return rd.linkText(t, err, name, func() ([]byte, error) {
		rd.opens++
		b, err := hostfs.ReadAttr(dir + "/" + name)
		return b, bareErr(err)
	})
}

// linkText is link's answer from the readlink's target t and error: the
// target, the error, or the content of a file holding a target (read).
func (rd *nicReader) linkText(t []byte, err error, name string, read func() ([]byte, error)) ([]byte, error) {
	if err == nil {
		return t, nil
	}
	if errors.Is(err, unix.ENAMETOOLONG) {
		return nil, fmt.Errorf("link %s: target longer than %d bytes", name, hostfs.MaxAttrSize)
	}
	if isAbsent(err) && !errors.Is(err, unix.EINVAL) {
		return nil, err // the common "no master", "no device": not worth wrapping
	}
	if !errors.Is(err, unix.EINVAL) { // EINVAL: not a symlink
		return nil, fmt.Errorf("read link %s: %w", name, err)
	}
	b, rerr := read()
	if rerr != nil {
		return nil, fmt.Errorf("%s is not a link: %w", name, rerr)
	}
	b = bytes.TrimSpace(b)
	if !isLinkText(b) {
		return nil, fmt.Errorf("%s is neither a link nor a file holding a relative link target", name)
	}
	return b, nil
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

// isAbsent reports whether err means "the kernel has no such value": the
// file is missing, or sysfs refused to produce it (EINVAL from an interface
// that is down, EOPNOTSUPP from a driver without link settings).
func isAbsent(err error) bool {
	return errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) ||
		errors.Is(err, unix.EINVAL) || errors.Is(err, unix.EOPNOTSUPP)
}

// linkBase is the last element of a link target ("../../../../bus/virtio/drivers/virtio_net" → "virtio_net").
func linkBase(t []byte) []byte {
	t = bytes.TrimRight(t, "/")
	return t[bytes.LastIndexByte(t, '/')+1:]
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
