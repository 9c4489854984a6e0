package bonding

import (
	"fmt"
	"strconv"
	"strings"
)

// sysModes are the short names of <bond>/bonding/mode with the number the
// kernel prints after them ("active-backup 1").
var sysModes = [...]string{ModeRoundRobin, ModeActiveBackup, ModeXOR, ModeBroadcast, Mode8023AD, ModeTLB, ModeALB}

// ValidName reports whether name can be a network interface name (the
// kernel's dev_valid_name: 1 to 15 bytes, not "." or "..", no '/', ':' or
// white space). Only valid names are ever joined into a path.
func ValidName(name string) bool {
	if name == "" || len(name) > 15 || name == "." || name == ".." {
		return false
	}
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case c == '/' || c == ':' || c <= ' ' || c == 0x7f:
			return false
		}
	}
	return true
}

// ParseMasters parses /sys/class/net/bonding_masters ("bond0 bond1\n"):
// the bond names in the kernel's order, each once. Names that cannot be
// interface names (ValidName) are dropped: no kernel prints them, and they
// must never reach a path.
func ParseMasters(data []byte) []string {
	var names []string
	for _, f := range strings.Fields(string(data)) {
		if ValidName(f) && !contains(names, f) {
			names = append(names, f)
		}
	}
	return names
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// ParseSysMode parses <bond>/bonding/mode ("active-backup 1") into the short
// mode name. The bare name is accepted too; when the number is present it
// must be the mode's number. An empty or unknown value is an error.
func ParseSysMode(data []byte) (string, error) {
	f := strings.Fields(string(data))
	if len(f) == 0 || len(f) > 2 {
		return "", fmt.Errorf("mode %q: not \"<name> <number>\": %w", data, errBadValue)
	}
	for i, m := range sysModes {
		if f[0] != m {
			continue
		}
		if len(f) == 2 && f[1] != strconv.Itoa(i) {
			return "", fmt.Errorf("mode %q: number does not match the name: %w", data, errBadValue)
		}
		return m, nil
	}
	return "", fmt.Errorf("mode %q: unknown bonding mode: %w", data, errBadValue)
}

// ParseSysInt parses a numeric sysfs attribute (miimon, updelay, ad_aggregator,
// link_failure_count, ad_actor_oper_port_state, ...): a non-negative decimal
// that fits in an int32. An empty value (the kernel prints nothing for ad_*
// attributes outside 802.3ad or to unprivileged readers) and "N/A" (a slave
// without an aggregator) are Unknown.
func ParseSysInt(data []byte) (int, error) {
	s := strings.TrimSpace(string(data))
	if s == "" || s == "N/A" {
		return Unknown, nil
	}
	v, err := strconv.ParseUint(s, 10, 31)
	if err != nil {
		return Unknown, fmt.Errorf("%q: not a non-negative number: %w", s, errBadValue)
	}
	return int(v), nil
}

// ParseSysOption parses an option attribute printed as "<name> <number>"
// (lacp_rate "fast 1", ad_select "stable 0", xmit_hash_policy "layer2+3 2",
// primary_reselect "always 0") into the name; the bare name is accepted too.
// An empty value is "".
func ParseSysOption(data []byte) (string, error) {
	f := strings.Fields(string(data))
	switch {
	case len(f) == 0:
		return "", nil
	case len(f) > 2:
		return "", fmt.Errorf("option %q: not \"<name> <number>\": %w", data, errBadValue)
	case len(f) == 2:
		if _, err := strconv.ParseUint(f[1], 10, 31); err != nil {
			return "", fmt.Errorf("option %q: not \"<name> <number>\": %w", data, errBadValue)
		}
	}
	return f[0], nil
}

// ParseSysText parses a one-value text attribute (mii_status "up" or "going
// down", state "backup", active_slave, primary, perm_hwaddr, ad_partner_mac):
// the value without surrounding white space; "" when empty.
func ParseSysText(data []byte) string { return strings.TrimSpace(string(data)) }

// ParseSysList parses a space-separated list attribute (<bond>/bonding/slaves
// "eth0 eth1", arp_ip_target "10.0.0.1 10.0.0.2"); nil when empty.
func ParseSysList(data []byte) []string {
	if f := strings.Fields(string(data)); len(f) > 0 {
		return f
	}
	return nil
}

// ParseSysSpeed parses /sys/class/net/<slave>/speed in Mbps: Unknown for
// -1 (SPEED_UNKNOWN), 65535 (old ethtool), anything else out of range, or
// a value that is not a number (drivers differ; speed is not a bonding
// attribute and never makes a bond unreadable).
func ParseSysSpeed(data []byte) int {
	v, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
	if err != nil || v < 0 || v == 65535 || v > 1<<31-1 {
		return Unknown
	}
	return int(v)
}

// ParseSysDuplex parses /sys/class/net/<slave>/duplex: "full", "half", or ""
// for "unknown" and anything else.
func ParseSysDuplex(data []byte) string {
	switch d := strings.TrimSpace(string(data)); d {
	case "full", "half":
		return d
	}
	return ""
}
