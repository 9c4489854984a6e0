package bonding

import (
	"path/filepath"
	"reflect"
	"testing"

	"github.com/redwatch/redwatch/internal/hostfs"
)

// enslaveTree is one of the trees under testdata/enslave (see its README):
// bond0 (ab: active-backup with eth0 active and eth1 its primary; lacp:
// 802.3ad with eth0 in the active aggregator at 10000 Mb/s full) and the
// candidates eth1 (up, carrier, 10000 full), eth2 (down), eth3 (up, no
// carrier), eth4 (a port of bridge br0), eth5 (up, 1000 full), br0 and
// the VLAN eth0.100.
func enslaveTree(mode string) hostfs.Roots {
	return hostfs.Roots{Sys: filepath.Join("testdata", "enslave", mode, "sys")}
}

func TestReadIface(t *testing.T) {
	r := enslaveTree("ab")
	for _, tc := range []struct {
		name string
		want Iface
	}{
		{"eth1", Iface{Name: "eth1", Exists: true, Up: true, Carrier: 1, OperState: "up", Speed: 10000, Duplex: "full"}},
		{"eth2", Iface{Name: "eth2", Exists: true, Carrier: Unknown, OperState: "down", Speed: Unknown}},
		{"eth3", Iface{Name: "eth3", Exists: true, Up: true, Carrier: 0, OperState: "lowerlayerdown", Speed: Unknown}},
		{"eth0", Iface{Name: "eth0", Exists: true, Up: true, Carrier: 1, OperState: "up", Speed: 10000, Duplex: "full", Master: "bond0"}},
		{"eth4", Iface{Name: "eth4", Exists: true, Up: true, Carrier: 1, OperState: "up", Speed: 10000, Duplex: "full", Master: "br0"}},
		{"br0", Iface{Name: "br0", Exists: true, Up: true, Carrier: 1, OperState: "up", Speed: Unknown, Kind: "bridge", Lowers: []string{"eth4"}}},
		{"bond0", Iface{Name: "bond0", Exists: true, Up: true, Carrier: 1, OperState: "up", Speed: Unknown, Kind: "bond", Lowers: []string{"eth0"}}},
		{"eth0.100", Iface{Name: "eth0.100", Exists: true, Up: true, Carrier: 1, OperState: "up", Speed: Unknown, Kind: "vlan", Lowers: []string{"eth0"}}},
		{"eth9", Iface{Name: "eth9", Carrier: Unknown, Speed: Unknown}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadIface(r, tc.name)
			if err != nil {
				t.Fatal(err)
			}
			if !ifaceEqual(got, tc.want) {
				t.Errorf("ReadIface(%s)\n got %+v\nwant %+v", tc.name, got, tc.want)
			}
		})
	}
	if _, err := ReadIface(r, "../etc"); err == nil {
		t.Error("ReadIface accepted a name that is no interface name")
	}
}

func ifaceEqual(a, b Iface) bool { return reflect.DeepEqual(a, b) }

func TestParseFlags(t *testing.T) {
	for in, want := range map[string]uint64{"0x1003\n": 0x1003, "0x0": 0} {
		if got, err := ParseFlags([]byte(in)); err != nil || got != want {
			t.Errorf("ParseFlags(%q) = %#x, %v; want %#x", in, got, err, want)
		}
	}
	for _, in := range []string{"", "1003", "0x", "0xzz", "0x1ffffffff"} {
		if _, err := ParseFlags([]byte(in)); err == nil {
			t.Errorf("ParseFlags(%q) accepted", in)
		}
	}
}

// TestCheckEnslave refuses each unsafe case with its own reason, on the
// fixture trees (the bond and the interfaces as ReadBond and ReadIface read
// them), with a field changed where a case needs a state the trees do not
// hold.
func TestCheckEnslave(t *testing.T) {
	read := func(t *testing.T, mode, iface string) EnslaveCheck {
		t.Helper()
		r := enslaveTree(mode)
		c := EnslaveCheck{ExpectedBy: "config"}
		if b, err := ReadBond(r, "bond0"); err == nil {
			c.Bond = &b
		} else {
			t.Fatal(err)
		}
		var err error
		if c.BondLink, err = ReadIface(r, "bond0"); err != nil {
			t.Fatal(err)
		}
		if c.Iface, err = ReadIface(r, iface); err != nil {
			t.Fatal(err)
		}
		return c
	}
	for _, tc := range []struct {
		name, mode, iface string
		edit              func(*EnslaveCheck)
		want              string // "" allowed
	}{
		{name: "ab: eth1 up with carrier, primary reselect failure", mode: "ab", iface: "eth1",
			edit: func(c *EnslaveCheck) { c.Bond.PrimaryReselect = "failure" }},
		{name: "ab: no primary", mode: "ab", iface: "eth1", edit: func(c *EnslaveCheck) { c.Bond.Primary = "" }},
		{name: "ab: eth1 is the primary (reselect always)", mode: "ab", iface: "eth1", want: RefuseActiveChange},
		{name: "lacp: eth1 same speed and duplex", mode: "lacp", iface: "eth1"},
		{name: "lacp: eth5 at 1000", mode: "lacp", iface: "eth5", want: RefuseSpeedMismatch},
		{name: "lacp: eth1 half duplex", mode: "lacp", iface: "eth1", edit: func(c *EnslaveCheck) { c.Iface.Duplex = "half" }, want: RefuseSpeedMismatch},
		{name: "lacp: aggregator speed unknown", mode: "lacp", iface: "eth1", edit: func(c *EnslaveCheck) { c.Bond.Slaves[0].Speed = Unknown }, want: RefuseSpeedMismatch},
		{name: "no bond", mode: "ab", iface: "eth1", edit: func(c *EnslaveCheck) { c.Bond = nil }, want: RefuseNoBond},
		{name: "bond admin down", mode: "ab", iface: "eth1", edit: func(c *EnslaveCheck) { c.BondLink.Up = false }, want: RefuseBondDown},
		{name: "bond without carrier", mode: "ab", iface: "eth1", edit: func(c *EnslaveCheck) { c.Bond.MIIStatus = "down" }, want: RefuseBondDown},
		{name: "no such interface", mode: "ab", iface: "eth9", want: RefuseNoIface},
		{name: "already a slave", mode: "ab", iface: "eth0", want: RefuseAlreadySlave},
		{name: "a bridge port", mode: "ab", iface: "eth4", want: RefuseOtherMaster},
		{name: "a bridge", mode: "ab", iface: "br0", want: RefuseIsMaster},
		{name: "a VLAN", mode: "ab", iface: "eth0.100", want: RefuseIsMaster},
		{name: "a team", mode: "ab", iface: "eth1", edit: func(c *EnslaveCheck) { c.Iface.Lowers = []string{"eth7"} }, want: RefuseIsMaster},
		{name: "not declared", mode: "ab", iface: "eth1", edit: func(c *EnslaveCheck) { c.ExpectedBy = "" }, want: RefuseNotExpected},
		{name: "down: carrier unknown", mode: "ab", iface: "eth2", want: RefuseLinkDown},
		{name: "no carrier", mode: "ab", iface: "eth3", want: RefuseNoCarrier},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := read(t, tc.mode, tc.iface)
			if tc.edit != nil {
				tc.edit(&c)
			}
			r := CheckEnslave(c)
			switch {
			case tc.want == "" && r != nil:
				t.Errorf("refused: %v", r)
			case tc.want != "" && r == nil:
				t.Errorf("allowed; want %s", tc.want)
			case tc.want != "" && r.Reason != tc.want:
				t.Errorf("refused %v; want %s", r, tc.want)
			case r != nil && r.Detail == "":
				t.Errorf("refusal %s says nothing", r.Reason)
			}
		})
	}
}
