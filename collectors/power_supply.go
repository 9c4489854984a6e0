package collectors

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/redwatch/redwatch/internal/hostfs"
	"github.com/redwatch/redwatch/ipmi"
)

// Power supply types and sources.
const (
	// PSUTypeMains is the POWER_SUPPLY_TYPE of an AC input (a server PSU, an
	// ACPI AC adapter). Only Mains supplies count for power redundancy.
	PSUTypeMains = "Mains"
	// PSUScopeDevice is the POWER_SUPPLY_SCOPE of a supply that powers one
	// device (a wireless mouse's battery), not the system.
	PSUScopeDevice = "Device"
	// PSUSourceSysfs marks a supply read from /sys/class/power_supply.
	PSUSourceSysfs = "sysfs"
)

// PSU is one power supply from /sys/class/power_supply/<name>. Every supply
// the kernel lists is kept (Mains, Battery, USB, UPS, ...); whether it counts
// for redundancy is the rules' decision (see IsMains).
type PSU struct {
	// Name is the supply's directory under /sys/class/power_supply, e.g.
	// "PS1", "AC", "BAT0" (the same as POWER_SUPPLY_NAME in its uevent).
	Name string `json:"name"`
	// Type is POWER_SUPPLY_TYPE from <name>/uevent, else <name>/type:
	// "Mains", "Battery", "UPS", "USB", ...; "" when neither says.
	Type string `json:"type"`
	// Online is POWER_SUPPLY_ONLINE from <name>/uevent, else <name>/online:
	// 1 when the supply has input power, 0 when not (USB may report 2 for a
	// programmable source); Unknown when neither says.
	Online int `json:"online"`
	// Present is POWER_SUPPLY_PRESENT from <name>/uevent, else <name>/present:
	// 1 present, 0 absent (pulled); Unknown when neither says.
	Present int `json:"present"`
	// Status is POWER_SUPPLY_STATUS from <name>/uevent, else <name>/status:
	// "Charging", "Discharging", "Not charging", "Full", "Unknown"; "" when
	// the supply has none (most Mains supplies).
	Status string `json:"status,omitempty"`
	// Health is POWER_SUPPLY_HEALTH from <name>/uevent, else <name>/health:
	// "Good", "Overheat", "Dead", "Over voltage", "Unspecified failure", ...;
	// "" when the supply has none.
	Health string `json:"health,omitempty"`
	// Scope is POWER_SUPPLY_SCOPE from <name>/uevent, else <name>/scope:
	// "System", "Device" or "Unknown"; "" when the supply has none.
	Scope string `json:"scope,omitempty"`
	// Source is where the supply was read: "sysfs" (PSUSourceSysfs),
	// "ipmi", "redfish" or "hwmon" (see power_redundancy.go). A source other
	// than sysfs sets Type "Mains" for a server supply, Present/Online as
	// well as it can tell (Unknown otherwise), and State and Reason.
	Source string `json:"source"`
	// Slot is the supply's bay, counted from 1 ("1", "2"; from the sysfs
	// name, the IPMI sensor name or entity instance, the Redfish service
	// label, name or MemberId, the hwmon label or CRPS PMBus address: see
	// HwmonSlots and docs/power.md), "" when unknown. Two sources' supplies
	// with the same Slot are the same supply (one member of the power group).
	Slot string `json:"slot,omitempty"`
	// State is the supply's decoded state (PSUState* constants) from a
	// source that knows more than online/present; "" for sysfs.
	State string `json:"state,omitempty"`
	// Reason says State in words, as the source said it, e.g. "Power Supply
	// Failure detected; Power Supply input lost (AC/DC)"; "" when none.
	Reason string `json:"reason,omitempty"`
}

// IsMains reports whether the supply is a Mains input of the system: the
// supplies that power redundancy is about.
func (p PSU) IsMains() bool { return p.Type == PSUTypeMains && p.Scope != PSUScopeDevice }

// psuAttrs are the uevent keys (after POWER_SUPPLY_) a PSU is read from, with
// the attribute file read when the uevent lacks the key.
var psuAttrs = []struct{ key, file string }{
	{"TYPE", "type"},
	{"ONLINE", "online"},
	{"PRESENT", "present"},
	{"STATUS", "status"},
	{"HEALTH", "health"},
	{"SCOPE", "scope"},
}

// powerSource reads the power supplies.
type powerSource struct{}

func (powerSource) Name() string { return "power" }

func (powerSource) Collect(_ context.Context, r Roots) (Part, error) {
	psus, errs := collectPSUs(r)
	return Part{Set: func(s *Snapshot) { s.PSUs = append(s.PSUs, psus...) }, Errors: errs}, nil
}

// collectPSUs reads every supply under <sys>/class/power_supply. Each
// supply's uevent (one bounded read) gives its properties; an attribute file
// is read only for a property the uevent lacks (older kernels print no
// POWER_SUPPLY_TYPE, captured trees may hold no uevent at all). No class
// directory means no supplies and no error.
//
// Why not github.com/prometheus/procfs's sysfs.FS.PowerSupplyClass: it reads
// every regular file of every supply (dozens of reads, some of which a
// battery's driver answers slowly), never the uevent, so a captured uevent
// alone gives nothing; one supply it cannot read fails the whole class, and
// a value that does not parse silently becomes nil.
func collectPSUs(r Roots) ([]PSU, []Error) {
	dir := filepath.Join(r.Sys, "class", "power_supply")
	ents, err := hostfs.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, []Error{{Collector: "power", Path: dir, Err: fmt.Errorf("list power supplies: %w", err)}}
	}
	var (
		psus []PSU
		errs []Error
	)
	for _, e := range ents {
		path := filepath.Join(dir, e.Name())
		if e.Type()&fs.ModeSymlink != 0 || e.IsDir() {
			// The kernel's entries are symlinks into /sys/devices; a
			// dangling one is a supply that cannot be read.
			fi, err := hostfs.Stat(path)
			if err != nil {
				errs = append(errs, Error{Collector: "power", Path: path, Err: fmt.Errorf("power supply %s: %w", e.Name(), err)})
				continue
			}
			if !fi.IsDir() {
				continue
			}
		} else {
			continue // not a supply (a stray file in a captured tree)
		}
		p, perrs := readPSU(path, e.Name())
		psus = append(psus, p)
		errs = append(errs, perrs...)
	}
	return psus, errs
}

// readPSU reads one supply's directory. The PSU is returned even when some of
// it could not be read: the errors make the pass UNKNOWN, and what was read
// still names the supply.
func readPSU(dir, name string) (PSU, []Error) {
	p := PSU{Name: name, Online: Unknown, Present: Unknown, Source: PSUSourceSysfs, Slot: ipmi.SupplySlot(name)}
	var errs []Error
	addErr := func(path string, err error) {
		errs = append(errs, Error{Collector: "power", Path: path, Err: err})
	}

	ueventPath := filepath.Join(dir, "uevent")
	var kv map[string]string
	var ueventErr error
	data, err := hostfs.ReadAttr(ueventPath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// A captured tree without uevent: the attribute files say it all.
	case err != nil:
		// Some drivers fail the whole uevent when one property cannot be
		// read; the attribute files may still answer. If they cannot, this
		// error is reported with the facts that are missing.
		ueventErr = fmt.Errorf("power supply %s: read uevent: %w", name, err)
	case len(data) >= hostfs.MaxAttrSize:
		addErr(ueventPath, fmt.Errorf("power supply %s: uevent fills the whole %d-byte read: truncated", name, hostfs.MaxAttrSize))
	default:
		kv, err = parsePowerSupplyUevent(data)
		if err != nil {
			addErr(ueventPath, fmt.Errorf("power supply %s: %w", name, err))
			kv = nil
		}
	}

	vals := make(map[string]string, len(psuAttrs))
	from := make(map[string]string, len(psuAttrs)) // key -> the file the value came from
	for _, a := range psuAttrs {
		if v, ok := kv["POWER_SUPPLY_"+a.key]; ok {
			vals[a.key], from[a.key] = strings.TrimSpace(v), ueventPath
			continue
		}
		path := filepath.Join(dir, a.file)
		b, err := hostfs.ReadAttr(path)
		switch {
		case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENODATA):
			// The driver does not have the property.
		case err != nil:
			addErr(path, fmt.Errorf("power supply %s: read %s: %w", name, a.file, err))
		default:
			vals[a.key], from[a.key] = strings.TrimSpace(string(b)), path
		}
	}

	p.Type, p.Status, p.Health, p.Scope = vals["TYPE"], vals["STATUS"], vals["HEALTH"], vals["SCOPE"]
	for _, f := range []struct {
		key string
		dst *int
	}{{"ONLINE", &p.Online}, {"PRESENT", &p.Present}} {
		v, ok := vals[f.key]
		if !ok {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			addErr(from[f.key], fmt.Errorf("power supply %s: POWER_SUPPLY_%s is %q, not a non-negative integer", name, f.key, v))
			continue
		}
		*f.dst = n
	}

	if _, ok := vals["TYPE"]; !ok {
		addErr(filepath.Join(dir, "type"), fmt.Errorf("power supply %s has no type (no POWER_SUPPLY_TYPE in uevent, no type file)", name))
	}
	if _, said := vals["ONLINE"]; !said && p.IsMains() && p.Present != 0 {
		// Fail closed: a Mains supply whose input state nobody can tell is
		// not healthy, and not known to be offline either. (An ONLINE value
		// that does not parse was reported above.)
		addErr(filepath.Join(dir, "online"), fmt.Errorf("mains supply %s reports no online state (no POWER_SUPPLY_ONLINE in uevent, no online file)", name))
	}
	if ueventErr != nil && len(errs) > 0 {
		errs = append([]Error{{Collector: "power", Path: ueventPath, Err: ueventErr}}, errs...)
	}
	return p, errs
}

// maxUeventKey bounds a uevent key; the kernel's are a few dozen bytes.
const maxUeventKey = 128

// parsePowerSupplyUevent parses a power supply's uevent file: one KEY=VALUE
// per line (POWER_SUPPLY_NAME=AC, POWER_SUPPLY_ONLINE=1, ...). Values are
// kept verbatim (a serial number may start with a space); blank lines are
// skipped. A line without "=", a key that is not [A-Za-z0-9_]+ or a key given
// twice is an error.
func parsePowerSupplyUevent(data []byte) (map[string]string, error) {
	kv := make(map[string]string, 24)
	lineNo := 0
	for rest := string(data); rest != ""; {
		var line string
		line, rest, _ = strings.Cut(rest, "\n")
		lineNo++
		if line == "" {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("uevent line %d: %q is not KEY=VALUE", lineNo, clip(line))
		}
		if !validUeventKey(k) {
			return nil, fmt.Errorf("uevent line %d: bad key %q", lineNo, clip(k))
		}
		if _, dup := kv[k]; dup {
			return nil, fmt.Errorf("uevent line %d: key %s given twice", lineNo, k)
		}
		kv[k] = v
	}
	return kv, nil
}

// validUeventKey reports whether k is a plausible uevent variable name.
func validUeventKey(k string) bool {
	if k == "" || len(k) > maxUeventKey {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if (c < 'A' || c > 'Z') && (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}

// clip shortens s for an error message.
func clip(s string) string {
	const n = 64
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
