package rules

import (
	"strings"
	"testing"
	"time"

	"github.com/redwatch/redwatch/bonding"
	"github.com/redwatch/redwatch/collectors"
	"github.com/redwatch/redwatch/lldp"
)

func lldpMember(name string, healthy bool, l *collectors.LLDP) Member {
	m := Member{Name: name, Healthy: healthy}
	addSwitch(&m, l)
	return m
}

// TestSameSwitch: one switch under every live slave is a finding naming it;
// two switches, a blind live slave or a single live slave are not.
func TestSameSwitch(t *testing.T) {
	swA := lldp.ID{Subtype: "mac", Value: "a6:da:6f:9f:9f:f8"}
	swB := lldp.ID{Subtype: "mac", Value: "2e:8d:8c:7c:fd:96"}
	l := &collectors.LLDP{Source: collectors.LLDPSourceLLDPD, Neighbors: []lldp.Neighbor{
		{Interface: "eth0", Chassis: swA, SystemName: "sw-a", Port: lldp.ID{Subtype: "ifname", Value: "swp1"}},
		{Interface: "eth1", Chassis: swA, SystemName: "sw-a", Port: lldp.ID{Subtype: "ifname", Value: "swp2"}},
		{Interface: "eth2", Chassis: swB, SystemName: "sw-b", Port: lldp.ID{Subtype: "ifname", Value: "swp1"}},
		// eth5 has the same value as sw-a's chassis but another subtype: another switch.
		{Interface: "eth5", Chassis: lldp.ID{Subtype: "local", Value: swA.Value}, SystemName: "sw-c", Port: lldp.ID{Subtype: "local", Value: "1"}},
	}}
	for _, tc := range []struct {
		name    string
		members []Member
		want    string // "" for no finding
	}{
		{"two legs on sw-a", []Member{lldpMember("eth0", true, l), lldpMember("eth1", true, l)},
			"members eth0 and eth1 are all cabled to one switch sw-a (chassis mac:a6:da:6f:9f:9f:f8, ports eth0=swp1, eth1=swp2)"},
		{"a down leg on sw-b does not count", []Member{lldpMember("eth0", true, l), lldpMember("eth1", true, l), lldpMember("eth2", false, l)},
			"one switch sw-a"},
		{"two switches (MLAG)", []Member{lldpMember("eth0", true, l), lldpMember("eth2", true, l)}, ""},
		{"three legs, two switches", []Member{lldpMember("eth0", true, l), lldpMember("eth1", true, l), lldpMember("eth2", true, l)}, ""},
		{"same value, other subtype", []Member{lldpMember("eth0", true, l), lldpMember("eth5", true, l)}, ""},
		{"a blind live leg is unknown, not fine and not the same", []Member{lldpMember("eth0", true, l), lldpMember("eth3", true, l)}, ""},
		{"one live leg", []Member{lldpMember("eth0", true, l), lldpMember("eth1", false, l)}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []Finding
			sameSwitch(Group{Kind: KindBond, Name: "bond0", Members: tc.members}, nil, func(f Finding) { got = append(got, f) })
			switch {
			case tc.want == "" && len(got) != 0:
				t.Errorf("findings %+v, want none", got)
			case tc.want != "" && (len(got) != 1 || !strings.Contains(got[0].Message, tc.want) || got[0].Facts["switch_name"] != "sw-a"):
				t.Errorf("findings %+v, want one containing %q", got, tc.want)
			}
		})
	}
}

// TestLLDPBlind: a live slave without a known neighbour is an info finding
// when lldpd runs or a capture has the file; none without LLDP data or
// without lldpd (nothing learned yet).
func TestLLDPBlind(t *testing.T) {
	blind := lldpRules[1]
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	run := func(l *collectors.LLDP, now time.Time) ([]Finding, []Member) {
		g := Group{Kind: KindBond, Name: "bond0", Members: []Member{lldpMember("eth0", true, l), lldpMember("eth1", true, l), lldpMember("eth2", false, l)}}
		in := &input{snap: &collectors.Snapshot{Time: now, LLDP: l}, groups: []Group{g}, lldp: LLDPOptions{Grace: DefaultLLDPGrace}}
		markLLDP(in)
		var got []Finding
		blind.check(in, func(f Finding) { got = append(got, f) })
		return got, in.groups[0].Members
	}
	eth0 := []lldp.Neighbor{{Interface: "eth0", Chassis: lldp.ID{Subtype: "mac", Value: "a6:da:6f:9f:9f:f8"}, Port: lldp.ID{Subtype: "ifname", Value: "swp1"}}}
	l := &collectors.LLDP{Source: collectors.LLDPSourceLLDPD, Neighbors: eth0}
	if got, _ := run(l, t0); len(got) != 1 || got[0].Subject != "bond0/eth1" || !strings.Contains(got[0].Message, "no neighbour heard by lldpd") {
		t.Errorf("lldpd: findings %+v, want bond0/eth1 blind", got)
	}
	got, ms := run(&collectors.LLDP{Source: collectors.LLDPSourceNone}, t0)
	if len(got) != 0 || !strings.HasPrefix(ms[0].Switch(), "not yet learned") {
		t.Errorf("no lldpd: findings %+v, member %q; want none, not yet learned", got, ms[0].Switch())
	}
	if got, _ := run(&collectors.LLDP{Source: collectors.LLDPSourceCapture}, t0); len(got) != 2 || !strings.Contains(got[0].Message, "captured") {
		t.Errorf("capture: findings %+v, want eth0 and eth1 blind", got)
	}
	if got, _ := run(nil, t0); len(got) != 0 {
		t.Errorf("no LLDP data: findings %+v, want none", got)
	}
	// The daemon's receiver: eth1 up since t0 is not yet learned within the
	// grace period, blind after it.
	since := map[string]time.Time{"eth0": t0, "eth1": t0}
	rl := &collectors.LLDP{Source: collectors.LLDPSourceReceiver, Neighbors: eth0, Since: since}
	if got, ms := run(rl, t0.Add(DefaultLLDPGrace-time.Second)); len(got) != 0 || !strings.Contains(ms[1].Switch(), "grace period") {
		t.Errorf("receiver within the grace period: findings %+v, member %q", got, ms[1].Switch())
	}
	if got, ms := run(rl, t0.Add(DefaultLLDPGrace)); len(got) != 1 || got[0].Subject != "bond0/eth1" || !strings.Contains(got[0].Message, "receiver in 1m5s") || ms[1].Switch() != "no LLDP neighbour" {
		t.Errorf("receiver after the grace period: findings %+v, member %q", got, ms[1].Switch())
	}
	// Nothing heard anywhere (no switch speaks LLDP) or no CAP_NET_RAW: not yet learned, no finding.
	if got, ms := run(&collectors.LLDP{Source: collectors.LLDPSourceReceiver, Since: since}, t0.Add(time.Hour)); len(got) != 0 || !strings.Contains(ms[1].Switch(), "no LLDP heard") {
		t.Errorf("receiver hearing nothing: findings %+v, member %q", got, ms[1].Switch())
	}
	noCap := &collectors.LLDP{Source: collectors.LLDPSourceReceiver, Neighbors: eth0, Ports: []lldp.Port{{Interface: "eth1", Error: "socket: operation not permitted (a raw packet socket needs CAP_NET_RAW)"}}}
	if got, ms := run(noCap, t0); len(got) != 0 || !strings.Contains(ms[1].Switch(), "CAP_NET_RAW") {
		t.Errorf("receiver without CAP_NET_RAW: findings %+v, member %q", got, ms[1].Switch())
	}
	if blind.ID != "lldp_blind" || blind.Severity != Info {
		t.Errorf("rule %s %v", blind.ID, blind.Severity)
	}
}

// TestSameSwitchAccepted: lldp.accept_same_switch quiets bond_same_switch
// for a bond glob or a chassis (ID, bare value or system name).
func TestSameSwitchAccepted(t *testing.T) {
	l := &collectors.LLDP{Source: collectors.LLDPSourceLLDPD, Neighbors: []lldp.Neighbor{
		{Interface: "eth0", Chassis: lldp.ID{Subtype: "mac", Value: "a6:da:6f:9f:9f:f8"}, SystemName: "stack-1", Port: lldp.ID{Subtype: "ifname", Value: "1/1"}},
		{Interface: "eth1", Chassis: lldp.ID{Subtype: "mac", Value: "a6:da:6f:9f:9f:f8"}, SystemName: "stack-1", Port: lldp.ID{Subtype: "ifname", Value: "2/1"}},
	}}
	g := Group{Kind: KindBond, Name: "bond0", Members: []Member{lldpMember("eth0", true, l), lldpMember("eth1", true, l)}}
	for _, tc := range []struct {
		accept []AcceptSwitch
		quiet  bool
	}{
		{nil, false},
		{[]AcceptSwitch{{Bond: "bond*"}}, true},
		{[]AcceptSwitch{{Bond: "bond1"}}, false},
		{[]AcceptSwitch{{Chassis: "mac:a6:da:6f:9f:9f:f8"}}, true},
		{[]AcceptSwitch{{Chassis: "a6:da:6f:9f:9f:f8"}}, true},
		{[]AcceptSwitch{{Chassis: "stack-1"}}, true},
		{[]AcceptSwitch{{Chassis: "stack-2"}}, false},
	} {
		var got []Finding
		sameSwitch(g, tc.accept, func(f Finding) { got = append(got, f) })
		if (len(got) == 0) != tc.quiet {
			t.Errorf("accept %+v: findings %+v, want quiet %v", tc.accept, got, tc.quiet)
		}
	}
}

func TestMemberSwitch(t *testing.T) {
	l := &collectors.LLDP{Neighbors: []lldp.Neighbor{
		{Interface: "eth0", Chassis: lldp.ID{Subtype: "mac", Value: "a6:da:6f:9f:9f:f8"}, SystemName: "sw-a", Port: lldp.ID{Subtype: "ifname", Value: "swp1"}},
		{Interface: "eth1", Chassis: lldp.ID{Subtype: "mac", Value: "2e:8d:8c:7c:fd:96"}, Port: lldp.ID{Subtype: "ifname", Value: "Et7"}},
	}}
	for ifc, want := range map[string]string{"eth0": "sw-a swp1", "eth1": "mac:2e:8d:8c:7c:fd:96 Et7", "eth2": ""} {
		if got := lldpMember(ifc, true, l).Switch(); got != want {
			t.Errorf("%s: Switch() = %q, want %q", ifc, got, want)
		}
	}
}

// TestLLDPBlindFirmwareAgent: a live slave whose Intel firmware LLDP agent
// runs is "LLDP blind: firmware agent" with the ethtool command, whatever
// the source (even none: it never will learn); one whose agent is off is not.
func TestLLDPBlindFirmwareAgent(t *testing.T) {
	snap := &collectors.Snapshot{
		NICs: []collectors.NIC{
			{Name: "eth0", FirmwareLLDP: &collectors.FirmwareLLDP{Flag: "disable-fw-lldp", AgentOn: true}},
			{Name: "eth1", FirmwareLLDP: &collectors.FirmwareLLDP{Flag: "fw-lldp-agent", AgentOn: false}},
		},
		LLDP: &collectors.LLDP{Source: collectors.LLDPSourceNone},
	}
	snap.Bonds = []bonding.Bond{{Name: "bond0", Mode: bonding.ModeActiveBackup, MIIStatus: "up", ActiveSlave: "eth0",
		Slaves: []bonding.Slave{{Name: "eth0", MIIStatus: "up"}, {Name: "eth1", MIIStatus: "up"}}}}
	res := Evaluate(snap)
	var blind []Finding
	for _, f := range res.Findings {
		if f.Rule == "lldp_blind" {
			blind = append(blind, f)
		}
	}
	if len(blind) != 1 || blind[0].Subject != "bond0/eth0" || !strings.Contains(blind[0].Message, "LLDP blind on eth0: firmware agent") ||
		!strings.Contains(blind[0].Remediation, "ethtool --set-priv-flags eth0 disable-fw-lldp on") || !strings.Contains(blind[0].Remediation, "resets the port") {
		t.Errorf("lldp_blind findings %+v, want eth0's firmware agent", blind)
	}
	if got := res.Groups[0].Members[0].Switch(); got != "LLDP blind: firmware agent" {
		t.Errorf("eth0 shows %q", got)
	}
	if got := res.Groups[0].Members[1].Switch(); !strings.HasPrefix(got, "not yet learned") {
		t.Errorf("eth1 shows %q", got)
	}
}

// TestLACPSwitches: an 802.3ad bond over two switches with one LACP partner
// is an MLAG/vPC pair, said so in the group's facts and not a finding; with
// a slave in another aggregator (another partner) the aggregator finding
// names the switches.
func TestLACPSwitches(t *testing.T) {
	swA, swB := lldp.ID{Subtype: "mac", Value: "a6:da:6f:9f:9f:f8"}, lldp.ID{Subtype: "mac", Value: "2e:8d:8c:7c:fd:96"}
	l := &collectors.LLDP{Source: collectors.LLDPSourceCapture, Neighbors: []lldp.Neighbor{
		{Interface: "eth2", Chassis: swA, SystemName: "sw-a", Port: lldp.ID{Subtype: "ifname", Value: "swp1"}},
		{Interface: "eth4", Chassis: swB, SystemName: "sw-b", Port: lldp.ID{Subtype: "ifname", Value: "swp1"}},
	}}
	bond := func(agg4 int, partner4 string) bonding.Bond {
		return bonding.Bond{Name: "bond0", Mode: bonding.Mode8023AD, MIIStatus: "up", MIIMon: 100, LACP: &bonding.LACP{ActiveAggregatorID: 1},
			Slaves: []bonding.Slave{
				{Name: "eth2", MIIStatus: "up", AggregatorID: 1, PartnerMAC: "00:1c:73:aa:bb:cc", ActorPortState: bonding.Unknown, PartnerPortState: bonding.Unknown},
				{Name: "eth4", MIIStatus: "up", AggregatorID: agg4, PartnerMAC: partner4, ActorPortState: bonding.Unknown, PartnerPortState: bonding.Unknown},
			}}
	}
	res := Evaluate(&collectors.Snapshot{LLDP: l, Bonds: []bonding.Bond{bond(1, "00:1c:73:aa:bb:cc")}})
	if f := res.Groups[0].Facts; f["lacp_partner"] != "00:1c:73:aa:bb:cc" || !strings.Contains(f["switch_pair"], "MLAG") ||
		f["switches"] != "sw-a (mac:a6:da:6f:9f:9f:f8), sw-b (mac:2e:8d:8c:7c:fd:96)" || len(prefixFindings(res, "bond_")) != 0 {
		t.Errorf("MLAG pair: facts %v, findings %+v", f, res.Findings)
	}
	res = Evaluate(&collectors.Snapshot{LLDP: l, Bonds: []bonding.Bond{bond(2, "00:1c:73:dd:ee:ff")}})
	if f := res.Groups[0].Facts; f["switch_pair"] != "" {
		t.Errorf("two partners: facts %v, want no MLAG pair", f)
	}
	var agg []Finding
	for _, f := range res.Findings {
		if f.Rule == "bond_lacp_aggregator_mismatch" {
			agg = append(agg, f)
		}
	}
	want := "bond0: slave eth4 is in aggregator 2, the active aggregator is 1: its link is idle; it is cabled to sw-b (mac:2e:8d:8c:7c:fd:96) port swp1, the active aggregator's slaves to sw-a (mac:a6:da:6f:9f:9f:f8)"
	if len(agg) != 1 || agg[0].Message != want || agg[0].Facts["switch_name"] != "sw-b" {
		t.Errorf("aggregator findings %+v, want %q", agg, want)
	}
}
