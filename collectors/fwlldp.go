package collectors

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"

	"github.com/redwatch/redwatch/internal/hostfs"
)

// The ethtool private flags of Intel drivers that decide whether the NIC's
// firmware runs its own LLDP agent, which consumes the LLDPDUs from the
// switch so that the host (lldpd, the receiver) never sees them.
const (
	// flagI40eDisableFwLLDP is i40e's: off means the firmware agent runs.
	flagI40eDisableFwLLDP = "disable-fw-lldp"
	// flagIceFwLLDPAgent is ice's: on means the firmware agent runs.
	flagIceFwLLDPAgent = "fw-lldp-agent"
)

// PrivFlagsCapturePath is where a captured tree holds an interface's
// private flags, relative to the tree, in `ethtool --show-priv-flags IFACE`
// form (ETHTOOL_GPFLAGS on a live host; `redwatch capture` writes it for the
// NICs that have an LLDP flag).
func PrivFlagsCapturePath(ifc string) string { return "ethtool/" + ifc + "/priv-flags" }

// FirmwareLLDP is an Intel NIC's firmware LLDP agent as its ethtool private
// flag says (live: ETHTOOL_GPFLAGS; tree: ethtool/<name>/priv-flags). It is
// only read, never changed: toggling the flag resets the port.
type FirmwareLLDP struct {
	// Flag is the private flag: "disable-fw-lldp" (i40e) or "fw-lldp-agent" (ice).
	Flag string `json:"flag"`
	// FlagOn is the flag's value.
	FlagOn bool `json:"flag_on"`
	// AgentOn is true when the firmware agent runs (i40e disable-fw-lldp
	// off, ice fw-lldp-agent on): the host hears no LLDPDU on the port.
	AgentOn bool `json:"agent_on"`
}

// Remediation is the command that turns the agent off (it resets the port).
func (f *FirmwareLLDP) Remediation(ifc string) string {
	if f.Flag == flagIceFwLLDPAgent {
		return "ethtool --set-priv-flags " + ifc + " fw-lldp-agent off"
	}
	return "ethtool --set-priv-flags " + ifc + " disable-fw-lldp on"
}

// firmwareLLDP returns the firmware agent's state from private flags, nil
// when neither LLDP flag is among them.
func firmwareLLDP(flags map[string]bool) *FirmwareLLDP {
	if v, ok := flags[flagI40eDisableFwLLDP]; ok {
		return &FirmwareLLDP{Flag: flagI40eDisableFwLLDP, FlagOn: v, AgentOn: !v}
	}
	if v, ok := flags[flagIceFwLLDPAgent]; ok {
		return &FirmwareLLDP{Flag: flagIceFwLLDPAgent, FlagOn: v, AgentOn: v}
	}
	return nil
}

// parsePrivFlags parses `ethtool --show-priv-flags IFACE` output: a
// "Private flags for IFACE:" line, then one "name : on|off" line per flag
// (names padded with spaces). A line of another shape is an error naming it.
func parsePrivFlags(data []byte) (map[string]bool, error) {
	flags := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || n == 1 && strings.HasPrefix(line, "Private flags for ") {
			continue
		}
		name, val, ok := strings.Cut(line, ":")
		name, val = strings.TrimSpace(name), strings.TrimSpace(val)
		if !ok || name == "" || strings.ContainsAny(name, " \t") || val != "on" && val != "off" {
			return nil, fmt.Errorf("priv-flags line %d: %q is not \"name: on|off\"", n, routeTrunc([]byte(line), 64))
		}
		flags[name] = val == "on"
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("priv-flags: %w", err)
	}
	return flags, nil
}

// formatPrivFlags writes flags as `ethtool --show-priv-flags IFACE` does.
func formatPrivFlags(ifc string, flags map[string]bool) []byte {
	names := make([]string, 0, len(flags))
	width := 0
	for name := range flags {
		names = append(names, name)
		width = max(width, len(name))
	}
	slices.Sort(names)
	var b bytes.Buffer
	fmt.Fprintf(&b, "Private flags for %s:\n", ifc)
	for _, name := range names {
		v := "off"
		if flags[name] {
			v = "on"
		}
		fmt.Fprintf(&b, "%-*s: %s\n", width, name, v)
	}
	return b.Bytes()
}

// readPrivFlagsTree reads, in a captured tree, each physical NIC's
// ethtool/<name>/priv-flags into its FirmwareLLDP; an absent file is no
// information (not an error), one that does not parse is an Error.
func readPrivFlagsTree(r Roots, nics []NIC) []Error {
	if r.Sys == "" {
		return nil
	}
	root := filepath.Dir(r.Sys)
	var errs []Error
	for i := range nics {
		n := &nics[i]
		if n.Virtual {
			continue
		}
		p := filepath.Join(root, filepath.FromSlash(PrivFlagsCapturePath(n.Name)))
		data, err := hostfs.ReadFile(p, 64<<10)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err == nil {
			hostfs.RecordOutput(PrivFlagsCapturePath(n.Name), data) // a capture of a tree keeps it
			var flags map[string]bool
			if flags, err = parsePrivFlags(data); err == nil {
				n.FirmwareLLDP = firmwareLLDP(flags)
				continue
			}
		}
		errs = append(errs, hostfs.New("net", p, err))
	}
	return errs
}
