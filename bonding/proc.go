package bonding

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ErrIncomplete is matched (errors.Is) by every ParseProc error that reports
// a /proc/net/bonding file lacking lines every kernel prints: the file was
// truncated (or is not a bonding file), so none of it can be trusted.
var ErrIncomplete = errors.New("bonding: incomplete file")

// errBadValue is wrapped by ParseProc errors about a value that does not parse.
var errBadValue = errors.New("bad value")

// incompleteError says which line an incomplete file lacks; it matches ErrIncomplete.
type incompleteError struct{ msg string }

func (e *incompleteError) Error() string        { return e.msg }
func (e *incompleteError) Is(target error) bool { return target == ErrIncomplete }

func incomplete(format string, args ...any) error {
	return &incompleteError{msg: fmt.Sprintf(format, args...)}
}

// procModes are the texts the kernel has printed on "Bonding Mode:" (the
// same in every driver from 2.4/2.6.1 to 6.x, bond_mode_name()), with the
// short names of /sys/class/net/<bond>/bonding/mode.
var procModes = [...]struct{ text, mode string }{
	{"load balancing (round-robin)", ModeRoundRobin},
	{"fault-tolerance (active-backup)", ModeActiveBackup},
	{"load balancing (xor)", ModeXOR},
	{"fault-tolerance (broadcast)", ModeBroadcast},
	{"IEEE 802.3ad Dynamic link aggregation", Mode8023AD},
	{"transmit load balancing", ModeTLB},
	{"adaptive load balancing", ModeALB},
}

// ModeFromProc maps the text after "Bonding Mode:" to the kernel short mode
// name. It accepts the texts in any kernel's bond_mode_name(), followed by a
// bracketed suffix such as " (fail_over_mac active)", and the short names
// themselves. It returns "" for anything else.
func ModeFromProc(text string) string {
	text = strings.TrimSpace(text)
	for _, m := range procModes {
		if text == m.text || strings.HasPrefix(text, m.text+" (") {
			return m.mode
		}
	}
	for _, m := range procModes {
		if text == m.mode {
			return m.mode
		}
	}
	return ""
}

// Keys of /proc/net/bonding/<bond> lines the parser requires (the kernel has
// printed them since driver 2.6.1 in 2004).
const (
	keyMode       = "Bonding Mode"
	keyMII        = "MII Status"
	keyMIIMon     = "MII Polling Interval (ms)"
	keyUpDelay    = "Up Delay (ms)"
	keyDownDelay  = "Down Delay (ms)"
	keySlave      = "Slave Interface"
	keyLinkFail   = "Link Failure Count"
	keyAggregator = "Aggregator ID"
)

// Slave lines seen, for the completeness check.
const (
	seenMII = 1 << iota
	seenLinkFail
	seenAggregator
)

// ParseProc parses /proc/net/bonding/<name>, the driver's complete view of
// one bond, from every driver version since 2.6.1 (2004). Lines it does not
// know are ignored (new kernels add lines); integer facts not printed stay
// Unknown, except ARPInterval, which the kernel prints only when it is > 0
// and so is 0 when absent.
//
// The file is incomplete — an error matching ErrIncomplete, never a
// half-read Bond — when it is empty; when it lacks any of the header lines
// every kernel prints ("Bonding Mode", "MII Status", "MII Polling Interval
// (ms)", "Up Delay (ms)", "Down Delay (ms)"); or when a slave section lacks
// "MII Status" or "Link Failure Count", or, in 802.3ad mode, "Aggregator ID"
// (the kernel prints "Aggregator ID: N/A" when the slave has none). A file
// cut exactly between two complete slave sections cannot be told from a bond
// with fewer slaves; the caller's sysfs cross-check or baseline must catch
// that. Values that do not parse (a number that is not one, an unknown
// mode, an empty MII status, a slave listed twice, a second "Bonding Mode"
// line) are errors too. Errors are "bonding: /proc/net/bonding/<name>: ...".
func ParseProc(name string, data []byte) (Bond, error) {
	b, err := parseProc(data)
	if err != nil {
		return Bond{}, fmt.Errorf("bonding: /proc/net/bonding/%s: %w", name, err)
	}
	b.Name = name
	return b, nil
}

// procParser holds the state of one ParseProc run.
type procParser struct {
	b      Bond
	lacp   LACP
	header map[string]bool // required header keys seen
	seen   []uint8         // per slave: seenMII | seenLinkFail | seenAggregator
	pdu    byte            // 'a' inside "details actor lacp pdu:", 'p' inside partner, 0 otherwise
}

// parseProc is ParseProc without the name and the error prefix.
func parseProc(data []byte) (Bond, error) {
	p := procParser{
		b:      Bond{Sources: []string{SourceProc}, MIIMon: Unknown, UpDelay: Unknown, DownDelay: Unknown, Slaves: []Slave{}},
		lacp:   LACP{ActiveAggregatorID: Unknown, NumPorts: Unknown, ActorKey: Unknown, PartnerKey: Unknown},
		header: make(map[string]bool, 5),
	}
	text := string(data)
	if strings.TrimSpace(text) == "" {
		return Bond{}, incomplete("empty file")
	}
	for n := 1; text != ""; n++ {
		var line string
		line, text, _ = strings.Cut(text, "\n")
		if err := p.line(n, strings.TrimSpace(line)); err != nil {
			return Bond{}, err
		}
	}
	return p.finish()
}

// line parses one trimmed line, numbered n from 1.
func (p *procParser) line(n int, line string) error {
	key, val, ok := strings.Cut(line, ":")
	if !ok {
		// "bond bond0 has no active aggregator", "802.3ad info", blank lines.
		if strings.HasPrefix(line, "bond ") && strings.HasSuffix(line, " has no active aggregator") {
			p.lacp.NoActiveAggregator = true
			p.lacp.ActiveAggregatorID, p.lacp.NumPorts, p.lacp.ActorKey, p.lacp.PartnerKey = 0, 0, 0, 0
		}
		return nil
	}
	key, val = strings.TrimSpace(key), strings.TrimSpace(val)
	bad := func(err error) error {
		return fmt.Errorf("line %d: %q: %w", n, line, err)
	}
	num := func(dst *int) error {
		v, err := procInt(val)
		if err != nil {
			return bad(err)
		}
		*dst = v
		return nil
	}
	switch key {
	case "Ethernet Channel Bonding Driver":
		if f := strings.Fields(val); len(f) > 0 {
			p.b.DriverVersion = f[0]
		}
		return nil
	case keyMode:
		if p.header[keyMode] {
			return bad(fmt.Errorf("second %q line: %w", keyMode, errBadValue))
		}
		p.header[keyMode] = true
		p.b.ModeText = val
		if p.b.Mode = ModeFromProc(val); p.b.Mode == "" {
			return bad(fmt.Errorf("unknown bonding mode: %w", errBadValue))
		}
		return nil
	case keySlave:
		if val == "" {
			return bad(fmt.Errorf("empty slave name: %w", errBadValue))
		}
		for i := range p.b.Slaves {
			if p.b.Slaves[i].Name == val {
				return bad(fmt.Errorf("slave listed twice: %w", errBadValue))
			}
		}
		p.b.Slaves = append(p.b.Slaves, Slave{
			Name: val, Speed: Unknown, LinkFailures: Unknown, QueueID: Unknown, AggregatorID: Unknown,
			ActorChurnedCount: Unknown, PartnerChurnedCount: Unknown, ActorPortState: Unknown, PartnerPortState: Unknown,
		})
		p.seen = append(p.seen, 0)
		p.pdu = 0
		return nil
	}
	if len(p.b.Slaves) > 0 {
		return p.slaveLine(key, val, bad, num)
	}
	switch key {
	case keyMII:
		if val == "" {
			return bad(fmt.Errorf("empty MII status: %w", errBadValue))
		}
		p.header[keyMII] = true
		p.b.MIIStatus = val
	case keyMIIMon:
		p.header[keyMIIMon] = true
		return num(&p.b.MIIMon)
	case keyUpDelay:
		p.header[keyUpDelay] = true
		return num(&p.b.UpDelay)
	case keyDownDelay:
		p.header[keyDownDelay] = true
		return num(&p.b.DownDelay)
	case "Transmit Hash Policy":
		// "layer2+3 (2)": keep the name, as sysfs xmit_hash_policy gives it.
		p.b.TransmitHashPolicy, _, _ = strings.Cut(val, " ")
	case "Primary Slave":
		// "None", "eth1", or "eth1 (primary_reselect always)".
		name, rest, _ := strings.Cut(val, " ")
		if name != "None" {
			p.b.Primary = name
		}
		if r, ok := strings.CutPrefix(strings.TrimSpace(rest), "(primary_reselect "); ok {
			p.b.PrimaryReselect = strings.TrimSuffix(r, ")")
		}
	case "Currently Active Slave":
		if val != "None" {
			p.b.ActiveSlave = val
		}
	case "ARP Polling Interval (ms)":
		return num(&p.b.ARPInterval)
	case "ARP IP target/s (n.n.n.n form)":
		p.b.ARPTargets = nil
		for t := range strings.SplitSeq(val, ",") {
			if t = strings.TrimSpace(t); t != "" {
				p.b.ARPTargets = append(p.b.ARPTargets, t)
			}
		}
	case "LACP rate":
		p.lacp.Rate = val
	case "Aggregator selection policy (ad_select)":
		p.lacp.AggSelect = val
	case "System MAC address":
		p.lacp.SystemMAC = val
	case keyAggregator: // under "Active Aggregator Info:"
		return num(&p.lacp.ActiveAggregatorID)
	case "Number of ports":
		return num(&p.lacp.NumPorts)
	case "Actor Key":
		return num(&p.lacp.ActorKey)
	case "Partner Key":
		return num(&p.lacp.PartnerKey)
	case "Partner Mac Address":
		p.lacp.PartnerMAC = val
	}
	return nil
}

// slaveLine parses a line inside the current (last) slave section.
func (p *procParser) slaveLine(key, val string, bad func(error) error, num func(*int) error) error {
	i := len(p.b.Slaves) - 1
	s := &p.b.Slaves[i]
	switch key {
	case keyMII:
		if val == "" {
			return bad(fmt.Errorf("empty MII status: %w", errBadValue))
		}
		p.seen[i] |= seenMII
		s.MIIStatus = val
	case "Speed":
		// "10000 Mbps" or "Unknown"; old kernels printed 65535 or -1 for unknown.
		if val == "Unknown" {
			return nil
		}
		v, err := strconv.ParseInt(strings.TrimSuffix(val, " Mbps"), 10, 64)
		if err != nil {
			return bad(fmt.Errorf("%w: %w", errBadValue, err))
		}
		if v >= 0 && v != 65535 && v <= math.MaxInt32 {
			s.Speed = int(v)
		}
	case "Duplex":
		if val == "full" || val == "half" {
			s.Duplex = val
		}
	case keyLinkFail:
		p.seen[i] |= seenLinkFail
		return num(&s.LinkFailures)
	case "Permanent HW addr":
		s.PermHWAddr = val
	case "Slave queue ID":
		return num(&s.QueueID)
	case keyAggregator:
		p.seen[i] |= seenAggregator
		if val == "N/A" {
			s.AggregatorID = Unknown
			return nil
		}
		return num(&s.AggregatorID)
	case "Actor Churn State":
		s.ActorChurnState = val
	case "Partner Churn State":
		s.PartnerChurnState = val
	case "Actor Churned Count":
		return num(&s.ActorChurnedCount)
	case "Partner Churned Count":
		return num(&s.PartnerChurnedCount)
	case "details actor lacp pdu":
		p.pdu = 'a'
	case "details partner lacp pdu":
		p.pdu = 'p'
	case "system mac address":
		if p.pdu == 'p' {
			s.PartnerMAC = val
		}
	case "port state":
		switch p.pdu {
		case 'a':
			return num(&s.ActorPortState)
		case 'p':
			return num(&s.PartnerPortState)
		}
	}
	return nil
}

// finish checks completeness and attaches the 802.3ad facts.
func (p *procParser) finish() (Bond, error) {
	for _, k := range [...]string{keyMode, keyMII, keyMIIMon, keyUpDelay, keyDownDelay} {
		if !p.header[k] {
			return Bond{}, incomplete("no %q line", k)
		}
	}
	for i, s := range p.b.Slaves {
		switch {
		case p.seen[i]&seenMII == 0:
			return Bond{}, incomplete("slave %s: no %q line", s.Name, keyMII)
		case p.seen[i]&seenLinkFail == 0:
			return Bond{}, incomplete("slave %s: no %q line", s.Name, keyLinkFail)
		case p.b.Mode == Mode8023AD && p.seen[i]&seenAggregator == 0:
			return Bond{}, incomplete("slave %s: no %q line in 802.3ad mode", s.Name, keyAggregator)
		}
	}
	if p.b.Mode == Mode8023AD {
		l := p.lacp
		p.b.LACP = &l
	}
	return p.b, nil
}

// procInt parses a non-negative decimal that fits in an int32.
func procInt(s string) (int, error) {
	v, err := strconv.ParseUint(s, 10, 31)
	if err != nil {
		return 0, fmt.Errorf("not a non-negative number: %w", errBadValue)
	}
	return int(v), nil
}
