package collectors

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/redwatch/redwatch/internal/hostfs"
	"github.com/redwatch/redwatch/ipmi"
)

// HwmonCollector is the Collector of the errors of the hwmon power source.
const HwmonCollector = "hwmon"

// hwmonReadTimeout bounds one hwmon attribute read: a PMBus driver reads
// the supply over I2C/SMBus on demand, and a hung bus blocks the read.
const hwmonReadTimeout = 2 * time.Second

// hwmonPSUDrivers are the hwmon `name`s of the kernel's PMBus drivers for
// whole AC/DC power supplies (drivers/hwmon/pmbus: the generic pmbus
// driver's PSU ids and the PSU drivers; voltage regulators, hot-swap
// controllers and sequencers are not supplies). The hwmon name is the I2C
// client's name; '-' is compared as '_' (hwmon names should not hold '-').
var hwmonPSUDrivers = map[string]bool{
	"pmbus":         true, // the generic driver bound by hand to a supply
	"dps460":        true, // pmbus.c: Delta DPS-460
	"dps650ab":      true,
	"dps800":        true,
	"sgd009":        true, // pmbus.c: HP/Delta supplies
	"dps920ab":      true, // dps920ab.c
	"acbel_fsg032":  true, // acbel-fsg032.c
	"aps_379":       true, // aps-379.c: Sony APS-379
	"pfe1100":       true, // bel-pfe.c
	"pfe3000":       true,
	"bpa_rs600":     true, // bpa-rs600.c
	"bpd_rs600":     true,
	"intel_crps185": true, // crps.c: Intel common redundant PSU
	"d1u74t":        true, // d1u74t.c: Murata
	"ym2151e":       true, // fsp-3y.c
	"yh5151e":       true,
	"hac300s":       true, // hac300s.c: Hi-Tron
	"ibm_cffps":     true, // ibm-cffps.c
	"ibm_cffps1":    true,
	"ibm_cffps2":    true,
	"ipsps1":        true, // inspur-ipsps.c
}

// IsHwmonPSUDriver reports whether an hwmon device's `name` is a PMBus
// power supply driver's.
func IsHwmonPSUDriver(name string) bool {
	return hwmonPSUDrivers[strings.ReplaceAll(strings.TrimSpace(name), "-", "_")]
}

// hwmonMinVin is the input voltage (mV) under which a supply's AC input
// counts as gone: a supply's "vin" reads 0 V to a few volts without mains,
// and no server supply runs below 90 V AC (or 40 V DC).
const hwmonMinVin = 20000

// HwmonChannel is one channel of an hwmon device: the attributes
// <type><n>_* of /sys/class/hwmon/hwmonN, e.g. in1_label, in1_input,
// in1_crit_alarm (Documentation/hwmon/sysfs-interface.rst).
type HwmonChannel struct {
	// Channel is "<type><n>": "in1", "curr2", "power1", "fan1", "temp3".
	Channel string `json:"channel"`
	// Label is <channel>_label ("vin", "pin", "iout1"), "" without one.
	Label string `json:"label,omitempty"`
	// Input is <channel>_input (mV, mA, µW, rpm, m°C); nil without one.
	Input *int64 `json:"input,omitempty"`
	// Alarms are the <channel>_*alarm files that read 1, by their suffix
	// ("alarm", "crit_alarm", "lcrit_alarm", "max_alarm", ...).
	Alarms []string `json:"alarms,omitempty"`
	// Fault is <channel>_fault read 1.
	Fault bool `json:"fault,omitempty"`
}

// name is the channel's label, else its channel name.
func (c *HwmonChannel) name() string {
	if c.Label != "" {
		return c.Label
	}
	return c.Channel
}

// phantom reports whether the channel is one the supply does not really
// have: a PMBus fan the supply lacks reads -1 rpm with its alarm and fault
// set (see the corpus's dps920ab sample), so its alarms say nothing.
func (c *HwmonChannel) phantom() bool {
	return strings.HasPrefix(c.Channel, "fan") && c.Input != nil && *c.Input < 0
}

// parseHwmonValue parses one hwmon attribute's value: a decimal integer and
// a newline.
func parseHwmonValue(b []byte) (int64, error) {
	s := strings.TrimSpace(string(b))
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not an integer", clip(s))
	}
	return n, nil
}

// hwmonAttr splits an hwmon attribute file name into its channel and
// attribute: "in1_crit_alarm" -> ("in1", "crit_alarm"). ok is false for a
// file that is not a channel attribute (name, uevent, update_interval).
func hwmonAttr(file string) (channel, attr string, ok bool) {
	channel, attr, ok = strings.Cut(file, "_")
	if !ok || attr == "" {
		return "", "", false
	}
	i := len(channel)
	for i > 0 && channel[i-1] >= '0' && channel[i-1] <= '9' {
		i--
	}
	if i == 0 || i == len(channel) {
		return "", "", false
	}
	switch channel[:i] {
	case "in", "curr", "power", "fan", "temp", "energy":
		return channel, attr, true
	}
	return "", "", false
}

// hwmonWanted reports whether a channel attribute is read: the label, the
// input, every alarm and the fault. Limits are not (a supply's unsupported
// limits read -500 and say nothing of its state).
func hwmonWanted(attr string) bool {
	return attr == "label" || attr == "input" || attr == "fault" || attr == "alarm" || strings.HasSuffix(attr, "_alarm")
}

// HwmonPSUState judges one supply from its channels: its state
// (PSUState*) and the reason in words; "" when nothing is wrong. A fault
// on a real channel, or a critical alarm (a PMBus fault limit crossed), is
// a failed supply; any other alarm (a warning limit) a predictive failure;
// an input voltage (label "vin") under 20 V, or an input power ("pin")
// and input current ("iin") both 0 without a vin, is input lost.
func HwmonPSUState(chans []HwmonChannel) (state, reason string) {
	var failed, warned, lost []string
	var vin, pin, iin *int64
	for i := range chans {
		c := &chans[i]
		switch c.Label {
		case "vin":
			vin = c.Input
		case "pin":
			pin = c.Input
		case "iin":
			iin = c.Input
		}
		if c.phantom() {
			continue
		}
		if c.Fault {
			failed = append(failed, c.name()+" fault")
		}
		for _, a := range c.Alarms {
			w := c.name() + " " + strings.ReplaceAll(a, "_", " ")
			switch {
			case c.Label == "vin" && (a == "lcrit_alarm" || a == "min_alarm"):
				lost = append(lost, w)
			case a == "crit_alarm" || a == "lcrit_alarm" || a == "cap_alarm":
				failed = append(failed, w)
			default:
				warned = append(warned, w)
			}
		}
	}
	switch {
	case vin != nil && *vin < hwmonMinVin:
		lost = append([]string{fmt.Sprintf("input voltage %.1f V", float64(*vin)/1000)}, lost...)
	case vin == nil && pin != nil && iin != nil && *pin == 0 && *iin == 0:
		lost = append([]string{"input power and current 0"}, lost...)
	}
	all := append(append(append([]string{}, lost...), failed...), warned...)
	switch {
	case len(lost) > 0:
		return PSUStateInputLost, "input lost: " + strings.Join(all, ", ")
	case len(failed) > 0:
		return PSUStateFailed, strings.Join(all, ", ")
	case len(warned) > 0:
		return PSUStatePredictiveFailure, strings.Join(all, ", ")
	}
	return PSUStateOK, ""
}

// hwmonSource reads the PMBus power supplies of /sys/class/hwmon.
type hwmonSource struct {
	// timeout bounds one attribute read; 0 means hwmonReadTimeout.
	timeout time.Duration
}

func (hwmonSource) Name() string { return HwmonCollector }

func (src hwmonSource) Collect(ctx context.Context, r Roots) (Part, error) {
	d := src.timeout
	if d == 0 {
		d = hwmonReadTimeout
	}
	psus, errs := collectHwmonPSUs(ctx, r, d)
	return Part{Set: func(s *Snapshot) { s.PSUs = append(s.PSUs, psus...) }, Errors: errs}, nil
}

// collectHwmonPSUs reads every hwmon device under <sys>/class/hwmon whose
// name is a PSU driver's (IsHwmonPSUDriver) into a PSU of Source "hwmon".
// Other hwmon devices (CPU, NIC, NVMe temperatures) are not read beyond
// their name. No class directory means no supplies and no error.
func collectHwmonPSUs(ctx context.Context, r Roots, timeout time.Duration) ([]PSU, []Error) {
	dir := filepath.Join(r.Sys, "class", "hwmon")
	ents, err := hostfs.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, []Error{hostfs.New(HwmonCollector, dir, fmt.Errorf("list hwmon devices: %w", err))}
	}
	var (
		psus   []PSU
		labels []string // each supply's hwmonN/label
		devs   []string // each supply's I2C device ("5-0058")
		errs   []Error
	)
	for _, e := range ents {
		path := filepath.Join(dir, e.Name())
		namePath := filepath.Join(path, "name")
		b, err := hostfs.ReadAttrTimeout(ctx, namePath, timeout)
		switch {
		case errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR):
			continue // no name: not a device (or a stray file in a tree)
		case err != nil:
			errs = append(errs, hostfs.New(HwmonCollector, namePath, fmt.Errorf("hwmon %s: read name: %w", e.Name(), err)))
			continue
		}
		if !IsHwmonPSUDriver(string(b)) {
			continue
		}
		p, perrs := readHwmonPSU(ctx, path, e.Name(), strings.TrimSpace(string(b)), timeout)
		label, err := hostfs.ReadAttrTimeout(ctx, filepath.Join(path, "label"), timeout)
		switch {
		case err == nil:
		case errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENODATA):
			label = nil // no firmware label: the usual case
		default:
			perrs = append(perrs, hostfs.New(HwmonCollector, filepath.Join(path, "label"), fmt.Errorf("power supply %s: read label: %w", p.Name, err)))
		}
		psus = append(psus, p)
		labels = append(labels, strings.TrimSpace(string(label)))
		devs = append(devs, hwmonDevice(path))
		errs = append(errs, perrs...)
	}
	for i, slot := range HwmonSlots(labels, devs) {
		psus[i].Slot = slot
	}
	return psus, errs
}

// hwmonCRPSBase is the 7-bit PMBus address of bay 1 by the CRPS (Common
// Redundant Power Supply) convention: the backplane straps a supply's
// address pins A0-A2 by its bay, bay n answering at 0x58 + n-1 (Intel's
// CRPS specifications: PMBus device B0h, B2h, ... in 8-bit form).
const hwmonCRPSBase = 0x58

// HwmonSlots are the bays of the hwmon supplies (PSU.Slot), so that a
// supply the BMC also reports (IPMI "PS1 Status", Redfish "PSU 1") is one
// member of the power group, given each supply's hwmonN/label (labels[i],
// "" without) and I2C device (devs[i], "5-0058", "" when not on I2C):
//
//   - the label, the device's name given by the firmware (the hwmon core
//     exposes a devicetree or ACPI "label" property, Linux 5.19+), when it
//     names a bay: "PSU1", "PS 2", "Power Supply 3";
//   - else, by the CRPS convention, the PMBus address: when every supply
//     without a labelled bay sits at a distinct address in 0x58-0x5f, the
//     bay is the address - 0x57. Supplies that share an address (each on
//     its own I2C bus or mux channel, as on many switches) say nothing of
//     their bay this way;
//   - else none (""): the supply is a member of its own.
//
// A bay two supplies would share is given to neither.
func HwmonSlots(labels, devs []string) []string {
	slots := make([]string, len(labels))
	byAddr := map[int]bool{}
	crps := true
	for i, l := range labels {
		if slots[i] = ipmi.SupplySlot(l); slots[i] != "" {
			continue
		}
		a, ok := i2cAddress(devs[i])
		if !ok || a < hwmonCRPSBase || a > hwmonCRPSBase+7 || byAddr[a] {
			crps = false
		}
		byAddr[a] = true
	}
	count := map[string]int{}
	for i := range slots {
		if a, ok := i2cAddress(devs[i]); slots[i] == "" && crps && ok {
			slots[i] = strconv.Itoa(a - hwmonCRPSBase + 1)
		}
		count[slots[i]]++
	}
	for i, s := range slots {
		if count[s] > 1 {
			slots[i] = ""
		}
	}
	return slots
}

// i2cAddress is the 7-bit address of an I2C device named "<bus>-<addr>"
// ("5-0058": bus 5, address 0x58, as drivers/i2c names its clients).
func i2cAddress(dev string) (int, bool) {
	bus, addr, ok := strings.Cut(dev, "-")
	if !ok || bus == "" || strings.Trim(bus, "0123456789") != "" || len(addr) != 4 {
		return 0, false
	}
	a, err := strconv.ParseUint(addr, 16, 16)
	if err != nil || a > 0x7f {
		return 0, false
	}
	return int(a), true
}

// hwmonDevice is the name of the device an hwmon directory belongs to (the
// base of its `device` link: "5-0058" for an I2C client), "" without one.
func hwmonDevice(dir string) string {
	if t, err := hostfs.Readlink(filepath.Join(dir, "device")); err == nil && filepath.Base(t) != "." && filepath.Base(t) != "/" {
		return filepath.Base(t)
	}
	return ""
}

// readHwmonPSU reads one PMBus supply's hwmon directory: each wanted
// attribute with one bounded read cut off after timeout. An attribute that
// cannot be read makes the supply's state unknown, with the error.
func readHwmonPSU(ctx context.Context, dir, hwmon, driver string, timeout time.Duration) (PSU, []Error) {
	p := PSU{Name: hwmonPSUName(dir, hwmon, driver), Type: PSUTypeMains, Scope: "System",
		Present: 1, Online: Unknown, Source: PSUSourceHwmon, State: PSUStateUnknown}
	ents, err := hostfs.ReadDir(dir)
	if err != nil {
		p.Reason = "its hwmon directory cannot be listed"
		return p, []Error{hostfs.New(HwmonCollector, dir, fmt.Errorf("power supply %s: list attributes: %w", p.Name, err))}
	}
	byName := map[string]*HwmonChannel{}
	var (
		errs  []Error
		order []string
	)
	for _, e := range ents {
		ch, attr, ok := hwmonAttr(e.Name())
		if !ok || !hwmonWanted(attr) || e.IsDir() {
			continue
		}
		path := filepath.Join(dir, e.Name())
		b, err := hostfs.ReadAttrTimeout(ctx, path, timeout)
		if err != nil {
			if errors.Is(err, syscall.ENODATA) || errors.Is(err, syscall.ENXIO) || errors.Is(err, fs.ErrNotExist) {
				continue // the supply does not implement the register
			}
			errs = append(errs, hostfs.New(HwmonCollector, path, fmt.Errorf("power supply %s: read %s: %w", p.Name, e.Name(), err)))
			continue
		}
		c := byName[ch]
		if c == nil {
			c = &HwmonChannel{Channel: ch}
			byName[ch] = c
			order = append(order, ch)
		}
		if attr == "label" {
			c.Label = strings.TrimSpace(string(b))
			continue
		}
		n, err := parseHwmonValue(b)
		if err != nil {
			errs = append(errs, hostfs.New(HwmonCollector, path, fmt.Errorf("power supply %s: %s: %w", p.Name, e.Name(), err)))
			continue
		}
		switch attr {
		case "input":
			c.Input = &n
		case "fault":
			c.Fault = n != 0
		default:
			if n != 0 {
				c.Alarms = append(c.Alarms, attr)
			}
		}
	}
	sort.Strings(order)
	chans := make([]HwmonChannel, 0, len(order))
	for _, ch := range order {
		chans = append(chans, *byName[ch])
	}
	if len(errs) > 0 {
		p.Reason = fmt.Sprintf("%d of its attributes cannot be read", len(errs))
		return p, errs
	}
	p.State, p.Reason = HwmonPSUState(chans)
	switch p.State {
	case PSUStateInputLost:
		p.Online = 0
	default:
		p.Online = 1
	}
	return p, nil
}

// hwmonPSUName names a supply by its driver and its I2C device
// ("dps920ab@5-005a": bus 5, address 0x5a, from hwmonN/device), else by
// its driver and hwmon device ("dps920ab@hwmon3").
func hwmonPSUName(dir, hwmon, driver string) string {
	if d := hwmonDevice(dir); d != "" {
		return driver + "@" + d
	}
	return driver + "@" + hwmon
}
