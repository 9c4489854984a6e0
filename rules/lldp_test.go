package rules

import (
	"strings"
	"testing"
	"time"

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
