package bonding

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"

	"github.com/redwatch/redwatch/internal/hostfs"
)

// maxProcSize bounds a /proc/net/bonding/<bond> read.
const maxProcSize = 1 << 20

// ReadAll, Names and ReadBond read bonds from the procfs and sysfs roots of
// r: "/proc" and "/sys" on a live host, DIR/proc and DIR/sys in a captured
// tree. An empty root is not read, so hostfs.Roots{Sys: "/sys"} reads sysfs
// alone.
//
// Either source alone is enough. Where both hold a bond, /proc/net/bonding/<bond>
// is the truth (it holds the bond's whole state in one read) and sysfs only
// fills what it lacks: each slave's bonding_slave/state (one read per
// slave: /proc never prints it), and in 802.3ad mode the active aggregator
// (bonding/ad_*, five reads) and the slaves' LACP port states (two reads per
// slave) when /proc did not print them, as kernels >= 5.x do not to readers
// without CAP_NET_ADMIN. No file is read twice.
//
// Captured trees may store a sysfs symlink as a regular file holding the
// link target ("../../devices/virtual/net/bond0"); the reader follows such
// files, never out of the Sys root.
//
// Why not a library: github.com/prometheus/procfs has no bonding reader at
// all (node_exporter's bonding collector lists sysfs itself and only counts
// slaves up), and nothing else reads /proc/net/bonding, the slaves' LACP
// states, or tells an absent attribute from an unreadable one (which must be
// UNKNOWN here).
//
// Their errors are hostfs.Error values with Collector "bonding", naming the
// file that exists but could not be read or parsed.

// ReadAll reads every bond of r (see reader.ReadAll).
func ReadAll(r hostfs.Roots) ([]Bond, []error) { return newReader(r).ReadAll() }

// Names lists the bonds of r (see reader.Names).
func Names(r hostfs.Roots) ([]string, []error) { return newReader(r).Names() }

// ReadBond reads the bond name of r (see reader.ReadBond).
func ReadBond(r hostfs.Roots, name string) (Bond, error) { return newReader(r).ReadBond(name) }

// Master is the master of interface name in the Sys root of r (the base
// of its master link: a bond, bridge or team); "" when it has none, or the
// interface does not exist.
func Master(r hostfs.Roots, name string) string {
	f := newReader(r)
	if !ValidName(name) || f.Sys == "" {
		return ""
	}
	dir, ok := f.resolveDir(filepath.Join(f.Sys, "class", "net", name))
	if !ok {
		return ""
	}
	return f.linkBase(filepath.Join(dir, "master"))
}

// reader reads bonds from its Sys and Proc roots.
type reader struct {
	Sys  string
	Proc string

	// onRead, when set (tests), is told every file opened and read, link files included.
	onRead func(path string)

	// net, when set (ReadAll), reads the slaves' attributes through
	// <Sys>/class/net opened once.
	net *netDir
}

// netDir is <Sys>/class/net opened, and the Reader that reads through it.
type netDir struct {
	rd  *hostfs.Reader
	dir hostfs.Dir
}

func newReader(r hostfs.Roots) reader { return reader{Sys: r.Sys, Proc: r.Proc} }

// pathError wraps err for path as the reader's hostfs.Error.
func pathError(path string, err error) error { return hostfs.New(collector, path, err) }

// collector is the name of the source in hostfs.Error values.
const collector = "bonding"

// readAttr reads a sysfs attribute with one bounded read.
func (f reader) readAttr(path string) ([]byte, error) {
	data, err := hostfs.ReadAttr(path)
	if err == nil && f.onRead != nil {
		f.onRead(path)
	}
	return data, err
}

// readProc reads a whole /proc/net/bonding file, bounded by maxProcSize.
func (f reader) readProc(path string) ([]byte, error) {
	b, err := hostfs.ReadFile(path, maxProcSize)
	if err == nil && f.onRead != nil {
		f.onRead(path)
	}
	if errors.Is(err, hostfs.ErrTooLarge) {
		return nil, fmt.Errorf("%w: %w", err, errBadValue)
	}
	return b, err
}

// ReadAll reads every bond, sorted by name: the union of the files in
// <Proc>/net/bonding and the names in <Sys>/class/net/bonding_masters.
// Absent files and directories (no bonding module) are no bonds and no
// error. A bond that exists but cannot be read or parsed is left out and
// its hostfs.Error returned instead: a bond is never reported from a
// half-read source.
func (f reader) ReadAll() ([]Bond, []error) {
	names, errs := f.Names()
	if f.Sys != "" && len(names) > 0 {
		rd := hostfs.NewReader()
		defer rd.Release()
		if d, err := rd.OpenDir(filepath.Join(f.Sys, "class", "net")); err == nil {
			defer d.Close()
			f.net = &netDir{rd: rd, dir: d}
		}
	}
	bonds := make([]Bond, 0, len(names))
	for _, name := range names {
		b, err := f.ReadBond(name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		bonds = append(bonds, b)
	}
	return bonds, errs
}

// Names lists the bonds, sorted: the entries of <Proc>/net/bonding and the
// names in <Sys>/class/net/bonding_masters. Absent sources give none.
func (f reader) Names() ([]string, []error) {
	var names []string
	var errs []error
	if f.Proc != "" {
		dir := filepath.Join(f.Proc, "net", "bonding")
		entries, err := hostfs.ReadDir(dir)
		if err != nil && !hostfs.Absent(err) {
			errs = append(errs, pathError(dir, err))
		}
		for _, e := range entries {
			if !ValidName(e.Name()) {
				errs = append(errs, hostfs.Error{Collector: collector, Path: filepath.Join(dir, e.Name()), Err: fmt.Errorf("not an interface name: %w", errBadValue)})
				continue
			}
			names = append(names, e.Name())
		}
	}
	if f.Sys != "" {
		path := filepath.Join(f.Sys, "class", "net", "bonding_masters")
		data, err := f.readAttr(path)
		switch {
		case err == nil:
			names = append(names, ParseMasters(data)...)
		case !hostfs.Absent(err):
			errs = append(errs, pathError(path, err))
		}
	}
	slices.Sort(names)
	return slices.Compact(names), errs
}

// ReadBond reads one bond: from <Proc>/net/bonding/<name> completed by
// sysfs when that file exists, else from sysfs alone. The error is a
// hostfs.Error naming the file that could not be read or parsed, or saying
// that neither source has the bond.
func (f reader) ReadBond(name string) (Bond, error) {
	if !ValidName(name) {
		return Bond{}, hostfs.Errorf(collector, "", "%q is not an interface name: %w", name, errBadValue)
	}
	r := bondReader{fs: f, name: name}
	if f.Proc != "" {
		path := filepath.Join(f.Proc, "net", "bonding", name)
		data, err := f.readProc(path)
		switch {
		case err == nil:
			b, err := parseProc(data)
			if err != nil {
				return Bond{}, hostfs.Error{Collector: collector, Path: path, Err: err}
			}
			b.Name = name
			if f.Sys != "" {
				if err := r.complete(&b); err != nil {
					return Bond{}, err
				}
			}
			return b, nil
		case !hostfs.Absent(err):
			return Bond{}, pathError(path, err)
		}
	}
	return r.fromSys()
}

// bondReader reads one bond's sysfs directories, resolving each once.
type bondReader struct {
	fs      reader
	name    string
	dir     string // resolved /sys/class/net/<bond>; "" when none
	dirDone bool
}

// bondDir resolves /sys/class/net/<bond> once.
func (r *bondReader) bondDir() string {
	if !r.dirDone {
		r.dirDone = true
		r.dir, _ = r.fs.resolveDir(filepath.Join(r.fs.Sys, "class", "net", r.name))
	}
	return r.dir
}

// resolveDir returns the directory at path: path itself when it is (or a
// real symlink leads to) a directory, or, in a captured tree, the target
// of a regular file holding a relative link target, which must stay under
// the Sys root.
func (f reader) resolveDir(path string) (string, bool) {
	fi, err := hostfs.Stat(path)
	if err != nil {
		return "", false
	}
	if fi.IsDir() {
		return path, true
	}
	if !fi.Mode().IsRegular() || fi.Size() > 1024 {
		return "", false
	}
	data, err := f.readAttr(path)
	if err != nil {
		return "", false
	}
	t := strings.TrimSpace(string(data))
	if t == "" || filepath.IsAbs(t) || strings.ContainsAny(t, "\n\x00") {
		return "", false
	}
	p := filepath.Join(filepath.Dir(path), t)
	root := filepath.Clean(f.Sys)
	if p != root && !strings.HasPrefix(p, root+string(filepath.Separator)) && root != string(filepath.Separator) {
		return "", false
	}
	if fi, err := hostfs.Stat(p); err != nil || !fi.IsDir() {
		return "", false
	}
	return p, true
}

// slaveDir finds a slave's device directory that holds bonding_slave/:
// /sys/class/net/<slave> (current kernels), else <bond>/slave_<slave>
// (older kernels' links, and trees captured from them), else
// <bond>/lower_<slave>. ok is false when sysfs has none.
func (r *bondReader) slaveDir(slave string) (string, bool) {
	candidates := [...]func() string{
		func() string { return filepath.Join(r.fs.Sys, "class", "net", slave) },
		func() string { return dirJoin(r.bondDir(), "slave_"+slave) },
		func() string { return dirJoin(r.bondDir(), "lower_"+slave) },
	}
	for _, c := range candidates {
		p := c()
		if p == "" {
			continue
		}
		// The common live case: a real symlink to the device, one stat.
		if fi, err := hostfs.Stat(filepath.Join(p, "bonding_slave")); err == nil && fi.IsDir() {
			return p, true
		}
		if d, ok := r.fs.resolveDir(p); ok && d != p {
			if fi, err := hostfs.Stat(filepath.Join(d, "bonding_slave")); err == nil && fi.IsDir() {
				return d, true
			}
		}
	}
	return "", false
}

// dirJoin joins name to dir, or is "" when dir is.
func dirJoin(dir, name string) string {
	if dir == "" {
		return ""
	}
	return filepath.Join(dir, name)
}

// attrs reads attributes of one sysfs directory and keeps the first error.
type attrs struct {
	fs  reader
	dir string
	// sub, when set, is the directory instead of dir: relative to the
	// reader's open <Sys>/class/net (fs.net), read through its fd.
	sub string
	err error
	// used counts the attributes that were present.
	used int
}

// path is the attribute name's path.
func (a *attrs) path(name string) string {
	if a.sub != "" {
		return filepath.Join(a.fs.net.dir.Path(), a.sub, name)
	}
	return filepath.Join(a.dir, name)
}

// read returns an attribute's bytes (valid until the next read); ok is
// false when it is absent or an error was recorded.
func (a *attrs) read(name string) ([]byte, bool) {
	if a.err != nil {
		return nil, false
	}
	var data []byte
	var err error
	if a.sub != "" {
		data, err = a.fs.net.rd.ReadAtSub(a.fs.net.dir, a.sub, name)
		if err == nil && a.fs.onRead != nil {
			a.fs.onRead(a.path(name))
		}
	} else {
		data, err = a.fs.readAttr(a.path(name))
	}
	if err != nil {
		if !hostfs.Absent(err) {
			a.err = pathError(a.path(name), err)
		}
		return nil, false
	}
	a.used++
	return data, true
}

func (a *attrs) fail(name string, err error) {
	if a.err == nil {
		a.err = hostfs.Error{Collector: collector, Path: a.path(name), Err: err}
	}
}

// int sets *dst from a numeric attribute; an absent one leaves *dst.
func (a *attrs) int(name string, dst *int) {
	if data, ok := a.read(name); ok {
		v, err := ParseSysInt(data)
		if err != nil {
			a.fail(name, err)
			return
		}
		*dst = v
	}
}

// text sets *dst from a text attribute; an absent one leaves *dst.
func (a *attrs) text(name string, dst *string) {
	if data, ok := a.read(name); ok {
		*dst = sysTextInterned(data)
	}
}

// sysTexts are the values text attributes usually hold (a slave's state
// and MII status), returned without a new string.
var sysTexts = []string{"active", "backup", "up", "down"}

// sysTextInterned is ParseSysText, without an allocation for sysTexts.
func sysTextInterned(data []byte) string {
	t := bytes.TrimSpace(data)
	for _, s := range sysTexts {
		if string(t) == s {
			return s
		}
	}
	return ParseSysText(data)
}

// option sets *dst from a "<name> <number>" attribute; an absent one leaves *dst.
func (a *attrs) option(name string, dst *string) {
	if data, ok := a.read(name); ok {
		v, err := ParseSysOption(data)
		if err != nil {
			a.fail(name, err)
			return
		}
		*dst = v
	}
}

// complete fills from sysfs what the /proc file lacks (see ReadAll).
func (r *bondReader) complete(b *Bond) error {
	used := 0
	for i := range b.Slaves {
		s := &b.Slaves[i]
		// A live host's /sys/class/net/<slave> is a symlink to the
		// device: read state through it directly, no lookup. Elsewhere
		// (captured trees, old layouts) find the directory first.
		a := attrs{fs: r.fs}
		if r.fs.net != nil {
			a.sub = s.Name + "/bonding_slave"
		} else {
			a.dir = filepath.Join(r.fs.Sys, "class", "net", s.Name, "bonding_slave")
		}
		a.text("state", &s.State)
		if a.used == 0 && a.err == nil {
			d, ok := r.slaveDir(s.Name)
			if !ok {
				continue
			}
			a.dir, a.sub = filepath.Join(d, "bonding_slave"), ""
			a.text("state", &s.State)
		}
		if b.Mode == Mode8023AD {
			if s.ActorPortState == Unknown {
				a.int("ad_actor_oper_port_state", &s.ActorPortState)
			}
			if s.PartnerPortState == Unknown {
				a.int("ad_partner_oper_port_state", &s.PartnerPortState)
			}
		}
		if a.err != nil {
			return a.err
		}
		used += a.used
	}
	if l := b.LACP; l != nil && l.ActiveAggregatorID == Unknown && !l.NoActiveAggregator {
		if d := r.bondDir(); d != "" {
			a := attrs{fs: r.fs, dir: filepath.Join(d, "bonding")}
			readAggregator(&a, l)
			if a.err != nil {
				return a.err
			}
			used += a.used
		}
	}
	if used > 0 {
		b.Sources = append(b.Sources, SourceSys)
	}
	return nil
}

// readAggregator reads the active aggregator attributes of <bond>/bonding.
func readAggregator(a *attrs, l *LACP) {
	a.int("ad_aggregator", &l.ActiveAggregatorID)
	a.int("ad_num_ports", &l.NumPorts)
	a.int("ad_actor_key", &l.ActorKey)
	a.int("ad_partner_key", &l.PartnerKey)
	a.text("ad_partner_mac", &l.PartnerMAC)
	if l.ActiveAggregatorID == 0 {
		// The kernel prints 0 for "no active aggregator".
		l.NoActiveAggregator = true
	}
}

// fromSys reads a bond from sysfs alone: /sys/class/net/<bond>/bonding/*
// and each slave's bonding_slave/*. Absent attributes stay Unknown or ""
// (trees and old kernels lack many); the bonding directory itself, and
// each slave's bonding_slave directory and mii_status, are required.
func (r *bondReader) fromSys() (Bond, error) {
	if r.fs.Sys == "" {
		return Bond{}, hostfs.Error{Collector: collector, Path: filepath.Join(r.fs.Proc, "net", "bonding", r.name),
			Err: fmt.Errorf("listed but absent: %w", fs.ErrNotExist)}
	}
	bd := dirJoin(r.bondDir(), "bonding")
	if fi, err := hostfs.Stat(bd); bd == "" || err != nil || !fi.IsDir() {
		return Bond{}, hostfs.Error{Collector: collector, Path: filepath.Join(r.fs.Sys, "class", "net", r.name, "bonding"),
			Err: fmt.Errorf("neither /proc/net/bonding/%s nor a sysfs bonding directory exists (listed in bonding_masters?): %w", r.name, fs.ErrNotExist)}
	}
	b := Bond{
		Name: r.name, Sources: []string{SourceSys}, Slaves: []Slave{},
		MIIMon: Unknown, UpDelay: Unknown, DownDelay: Unknown, ARPInterval: Unknown,
	}
	a := attrs{fs: r.fs, dir: bd}
	if data, ok := a.read("mode"); ok {
		m, err := ParseSysMode(data)
		if err != nil {
			return Bond{}, hostfs.Error{Collector: collector, Path: filepath.Join(bd, "mode"), Err: err}
		}
		b.Mode = m
	}
	a.text("mii_status", &b.MIIStatus)
	a.int("miimon", &b.MIIMon)
	a.int("updelay", &b.UpDelay)
	a.int("downdelay", &b.DownDelay)
	a.int("arp_interval", &b.ARPInterval)
	if data, ok := a.read("arp_ip_target"); ok {
		b.ARPTargets = ParseSysList(data)
	}
	a.text("primary", &b.Primary)
	a.option("primary_reselect", &b.PrimaryReselect)
	a.text("active_slave", &b.ActiveSlave)
	lacpish := b.Mode == Mode8023AD || b.Mode == ""
	if lacpish || b.Mode == ModeXOR || b.Mode == ModeTLB {
		a.option("xmit_hash_policy", &b.TransmitHashPolicy)
	}
	l := LACP{ActiveAggregatorID: Unknown, NumPorts: Unknown, ActorKey: Unknown, PartnerKey: Unknown}
	if lacpish {
		a.option("lacp_rate", &l.Rate)
		a.option("ad_select", &l.AggSelect)
		readAggregator(&a, &l)
	}
	if b.Mode == Mode8023AD {
		b.LACP = &l
	}
	var names []string
	if data, ok := a.read("slaves"); ok {
		names = ParseSysList(data)
	}
	if a.err != nil {
		return Bond{}, a.err
	}
	// Older layouts (and trees captured from them) show slaves as
	// <bond>/slave_<name>, sometimes with an empty slaves file.
	if entries, err := hostfs.ReadDir(r.bondDir()); err == nil {
		for _, e := range entries {
			if n, ok := strings.CutPrefix(e.Name(), "slave_"); ok && ValidName(n) && !contains(names, n) {
				names = append(names, n)
			}
		}
	}
	for _, n := range names {
		if !ValidName(n) {
			return Bond{}, hostfs.Error{Collector: collector, Path: filepath.Join(bd, "slaves"), Err: fmt.Errorf("%q is not an interface name: %w", n, errBadValue)}
		}
		s, err := r.slaveFromSys(n, lacpish)
		if err != nil {
			return Bond{}, err
		}
		b.Slaves = append(b.Slaves, s)
	}
	return b, nil
}

// slaveFromSys reads one slave's bonding_slave/* and its speed and duplex.
func (r *bondReader) slaveFromSys(name string, lacpish bool) (Slave, error) {
	d, ok := r.slaveDir(name)
	if !ok {
		return Slave{}, hostfs.Error{Collector: collector, Path: filepath.Join(r.fs.Sys, "class", "net", name, "bonding_slave"),
			Err: fmt.Errorf("slave of %s without a bonding_slave directory: %w", r.name, fs.ErrNotExist)}
	}
	s := Slave{
		Name: name, Speed: Unknown, LinkFailures: Unknown, QueueID: Unknown, AggregatorID: Unknown,
		ActorChurnedCount: Unknown, PartnerChurnedCount: Unknown, ActorPortState: Unknown, PartnerPortState: Unknown,
	}
	a := attrs{fs: r.fs, dir: filepath.Join(d, "bonding_slave")}
	a.text("mii_status", &s.MIIStatus)
	a.text("state", &s.State)
	a.int("link_failure_count", &s.LinkFailures)
	a.text("perm_hwaddr", &s.PermHWAddr)
	a.int("queue_id", &s.QueueID)
	if lacpish {
		a.int("ad_aggregator_id", &s.AggregatorID)
		a.int("ad_actor_oper_port_state", &s.ActorPortState)
		a.int("ad_partner_oper_port_state", &s.PartnerPortState)
	}
	if a.err != nil {
		return Slave{}, a.err
	}
	if s.MIIStatus == "" {
		return Slave{}, hostfs.Error{Collector: collector, Path: filepath.Join(a.dir, "mii_status"), Err: incomplete("slave %s: no MII status", name)}
	}
	// speed and duplex are the NIC's, not the bonding driver's: drivers
	// refuse them (EINVAL) while the link is down, so a failed read is Unknown.
	if data, err := r.fs.readAttr(filepath.Join(d, "speed")); err == nil {
		s.Speed = ParseSysSpeed(data)
	}
	if data, err := r.fs.readAttr(filepath.Join(d, "duplex")); err == nil {
		s.Duplex = ParseSysDuplex(data)
	}
	return s, nil
}
