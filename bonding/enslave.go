package bonding

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/redwatch/redwatch/internal/hostfs"
)

// This file is the decision half of re-enslaving: what an interface is
// (ReadIface) and whether adding it to a bond is safe (CheckEnslave). Both
// only read; the change itself is internal/actions' (the one package that
// changes the system), which calls these before and after it acts.

// Iface is what an enslave decision needs to know about one interface,
// read from /sys/class/net/<name>.
type Iface struct {
	// Name is the interface, e.g. "eth1".
	Name string `json:"name"`
	// Exists is false when /sys/class/net/<name> does not exist.
	Exists bool `json:"exists"`
	// Up is IFF_UP (0x1) of /sys/class/net/<name>/flags: the interface is
	// administratively up.
	Up bool `json:"up"`
	// Carrier is /sys/class/net/<name>/carrier: 1 link, 0 no link, Unknown
	// when the kernel does not say (it refuses the read, EINVAL, while the
	// interface is down).
	Carrier int `json:"carrier"`
	// OperState is /sys/class/net/<name>/operstate.
	OperState string `json:"operstate,omitempty"`
	// Speed is /sys/class/net/<name>/speed in Mbps; Unknown when unreadable
	// (the interface is down) or unknown.
	Speed int `json:"speed"`
	// Duplex is /sys/class/net/<name>/duplex ("full", "half"); "" when unknown.
	Duplex string `json:"duplex,omitempty"`
	// Master is the interface's master (bond, bridge, team), the target of
	// the /sys/class/net/<name>/master link; "" when it has none.
	Master string `json:"master,omitempty"`
	// Kind is what the interface itself is when it is not a plain NIC:
	// "bond" (a bonding/ directory), "bridge" (bridge/), "vlan", "team" or
	// any other DEVTYPE of /sys/class/net/<name>/uevent; "" for a NIC.
	Kind string `json:"kind,omitempty"`
	// Lowers are the interfaces under it (lower_<name> links): a bond's
	// slaves, a bridge's ports, a team's ports, a VLAN's real device.
	Lowers []string `json:"lowers,omitempty"`
}

// ReadIface reads interface name from the Sys root of r. An interface
// that does not exist is Iface{Exists: false} and no error; an attribute
// that exists but cannot be read is an error (hostfs.Error), except
// carrier, speed and duplex, which the kernel refuses while the interface
// is down (they are then Unknown / "").
func ReadIface(r hostfs.Roots, name string) (Iface, error) {
	it := Iface{Name: name, Carrier: Unknown, Speed: Unknown}
	if !ValidName(name) {
		return it, hostfs.Errorf(collector, "", "%q is not an interface name: %w", name, errBadValue)
	}
	rd := newReader(r)
	dir, ok := rd.resolveDir(filepath.Join(r.Sys, "class", "net", name))
	if !ok {
		return it, nil
	}
	it.Exists = true
	a := attrs{fs: rd, dir: dir}
	if data, ok := a.read("flags"); ok {
		flags, err := ParseFlags(data)
		if err != nil {
			a.fail("flags", err)
		}
		it.Up = flags&iffUp != 0
	}
	a.text("operstate", &it.OperState)
	if data, ok := a.read("uevent"); ok {
		it.Kind = ParseDevType(data)
	}
	if a.err != nil {
		return it, a.err
	}
	// Refused (EINVAL) while the interface is down: Unknown, not an error.
	if data, err := rd.readAttr(filepath.Join(dir, "carrier")); err == nil {
		if v, err := strconv.Atoi(strings.TrimSpace(string(data))); err == nil && (v == 0 || v == 1) {
			it.Carrier = v
		}
	}
	if data, err := rd.readAttr(filepath.Join(dir, "speed")); err == nil {
		it.Speed = ParseSysSpeed(data)
	}
	if data, err := rd.readAttr(filepath.Join(dir, "duplex")); err == nil {
		it.Duplex = ParseSysDuplex(data)
	}
	it.Master = rd.linkBase(filepath.Join(dir, "master"))
	entries, err := hostfs.ReadDir(dir)
	if err != nil {
		return it, pathError(dir, err)
	}
	for _, e := range entries {
		switch n := e.Name(); {
		case n == "bonding" && e.IsDir() && it.Kind == "":
			it.Kind = "bond"
		case n == "bridge" && e.IsDir() && it.Kind == "":
			it.Kind = "bridge"
		case strings.HasPrefix(n, "lower_"):
			it.Lowers = append(it.Lowers, strings.TrimPrefix(n, "lower_"))
		}
	}
	return it, nil
}

// linkBase is the last element of the target of the link at path: a real
// symlink, or a captured tree's regular file holding the target; "" when
// there is no link.
func (f reader) linkBase(path string) string {
	if t, err := hostfs.Readlink(path); err == nil {
		return filepath.Base(t)
	}
	if fi, err := hostfs.Lstat(path); err != nil || !fi.Mode().IsRegular() || fi.Size() > 1024 {
		return ""
	}
	data, err := f.readAttr(path)
	if err != nil {
		return ""
	}
	if t := strings.TrimSpace(string(data)); t != "" && !strings.ContainsAny(t, "\n\x00") {
		return filepath.Base(t)
	}
	return ""
}

// iffUp is IFF_UP in /sys/class/net/<name>/flags.
const iffUp = 0x1

// ParseFlags parses /sys/class/net/<name>/flags ("0x1003").
func ParseFlags(data []byte) (uint64, error) {
	s := strings.TrimSpace(string(data))
	h, ok := strings.CutPrefix(s, "0x")
	if !ok {
		return 0, fmt.Errorf("flags %q: not a hexadecimal 0x number: %w", s, errBadValue)
	}
	v, err := strconv.ParseUint(h, 16, 32)
	if err != nil {
		return 0, fmt.Errorf("flags %q: not a hexadecimal 0x number: %w", s, errBadValue)
	}
	return v, nil
}

// ParseDevType returns DEVTYPE= of /sys/class/net/<name>/uevent ("vlan",
// "bridge", "bond", "team", "wlan", ...); "" when there is none (a plain
// Ethernet NIC has none).
func ParseDevType(data []byte) string {
	for line := range strings.Lines(string(data)) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "DEVTYPE="); ok {
			return v
		}
	}
	return ""
}

// Reasons an enslave is refused (Refusal.Reason); stable, they label
// metrics and appear in logs and the CLI's output.
const (
	RefuseNoBond        = "no_bond"
	RefuseBondDown      = "bond_down"
	RefuseNoIface       = "no_iface"
	RefuseAlreadySlave  = "already_slave"
	RefuseOtherMaster   = "other_master"
	RefuseIsMaster      = "is_master"
	RefuseNotExpected   = "not_expected"
	RefuseLinkDown      = "link_down"
	RefuseNoCarrier     = "no_carrier"
	RefuseSpeedMismatch = "speed_mismatch"
	RefuseActiveChange  = "active_change"
)

// Refusal is why an interface must not be added to a bond.
type Refusal struct {
	// Reason is one of the Refuse* constants.
	Reason string
	// Detail says it for a person.
	Detail string
}

func (r *Refusal) Error() string { return r.Reason + ": " + r.Detail }

func refuse(reason, format string, args ...any) *Refusal {
	return &Refusal{Reason: reason, Detail: fmt.Sprintf(format, args...)}
}

// EnslaveCheck is what CheckEnslave decides on: the bond and the
// interface as read, and where the interface is declared a member.
type EnslaveCheck struct {
	// Bond is the bond as read (ReadBond); nil when it does not exist.
	Bond *Bond
	// BondLink is the bond's own interface (ReadIface of the bond's name).
	BondLink Iface
	// Iface is the interface to add.
	Iface Iface
	// ExpectedBy says where the interface is declared a member of the bond:
	// "config" (expect.bonds[].members), "baseline" (the recorded member
	// set), or "" when nowhere (it is then never added: no guessing).
	ExpectedBy string
}

// CheckEnslave reports whether adding c.Iface to c.Bond is safe, and if not
// the first reason why not, in this order: the bond exists and is up; the
// interface exists, is not a slave of this bond already, has no other
// master, and is not itself a bond, bridge, team, VLAN or other upper
// device; it is declared a member of this bond (config or baseline); it is
// up with its carrier on (a down interface is RefuseLinkDown: its carrier
// cannot be read until it is brought up); in 802.3ad mode its speed and
// duplex are those of the bond's active aggregator, so that it can join
// it; in active-backup mode adding it does not make it the active slave
// (it is the primary and primary_reselect is not "failure").
func CheckEnslave(c EnslaveCheck) *Refusal {
	b, it := c.Bond, c.Iface
	switch {
	case b == nil:
		return refuse(RefuseNoBond, "no bond %s", c.BondLink.Name)
	case !c.BondLink.Up || b.MIIStatus != "up":
		return refuse(RefuseBondDown, "bond %s is down (admin up %t, MII status %q)", b.Name, c.BondLink.Up, b.MIIStatus)
	case !it.Exists:
		return refuse(RefuseNoIface, "no interface %s", it.Name)
	case slices.ContainsFunc(b.Slaves, func(s Slave) bool { return s.Name == it.Name }) || it.Master == b.Name:
		return refuse(RefuseAlreadySlave, "%s is already a slave of %s", it.Name, b.Name)
	case it.Master != "":
		return refuse(RefuseOtherMaster, "%s is enslaved to %s", it.Name, it.Master)
	case it.Kind != "" || len(it.Lowers) > 0:
		kind := it.Kind
		if kind == "" {
			kind = "upper device"
		}
		return refuse(RefuseIsMaster, "%s is a %s (over %s), not a NIC", it.Name, kind, listOrNone(it.Lowers))
	case c.ExpectedBy == "":
		return refuse(RefuseNotExpected, "%s is not a declared member of %s (neither expect.bonds[].members nor the baseline lists it)", it.Name, b.Name)
	case !it.Up:
		return refuse(RefuseLinkDown, "%s is down: its carrier cannot be read", it.Name)
	case it.Carrier != 1:
		return refuse(RefuseNoCarrier, "%s has no carrier (carrier %s): no link to add", it.Name, carrierText(it.Carrier))
	}
	switch b.Mode {
	case Mode8023AD:
		return checkAggregator(b, it)
	case ModeActiveBackup:
		if b.Primary == it.Name && b.PrimaryReselect != "failure" && b.ActiveSlave != it.Name {
			return refuse(RefuseActiveChange, "%s is the primary of %s (primary_reselect %s): adding it would make it the active slave instead of %s",
				it.Name, b.Name, orUnknown(b.PrimaryReselect), orUnknown(b.ActiveSlave))
		}
	}
	return nil
}

// checkAggregator refuses it when its speed or duplex differ from the
// slaves of b's active aggregator (bond_3ad.c puts ports with another
// speed or duplex under another key, so it could not join it).
func checkAggregator(b *Bond, it Iface) *Refusal {
	speed, duplex := Unknown, ""
	for i := range b.Slaves {
		s := &b.Slaves[i]
		if s.MIIStatus != "up" || !b.CarriesTraffic(s) || s.Speed == Unknown {
			continue
		}
		speed, duplex = s.Speed, s.Duplex
		break
	}
	switch {
	case speed == Unknown:
		return refuse(RefuseSpeedMismatch, "the speed of %s's active aggregator is unknown: cannot tell whether %s would join it", b.Name, it.Name)
	case it.Speed != speed || it.Duplex != duplex:
		return refuse(RefuseSpeedMismatch, "%s is %s %s, %s's active aggregator %d Mb/s %s: it could not join it",
			it.Name, speedText(it.Speed), orUnknown(it.Duplex), b.Name, speed, orUnknown(duplex))
	}
	return nil
}

func carrierText(c int) string {
	if c == Unknown {
		return "unknown"
	}
	return strconv.Itoa(c)
}

func speedText(s int) string {
	if s == Unknown {
		return "unknown speed"
	}
	return strconv.Itoa(s) + " Mb/s"
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func listOrNone(names []string) string {
	if len(names) == 0 {
		return "nothing"
	}
	return strings.Join(names, ", ")
}
