package lldp

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/redwatch/redwatch/internal/testtree"
)

// neighborJSON0 is one json0 interface entry in lldpd 1.0.16's shape (the
// corpus sample lldp/srv_neighbors_json0.json, trimmed).
func neighborJSON0(ifc, chassis, name, port, ttl string) string {
	return `{"name":"` + ifc + `","via":"LLDP","rid":"1","age":"0 day, 00:00:08",
	 "chassis":[{"id":[{"type":"mac","value":"` + chassis + `"}],"name":[{"value":"` + name + `"}],
	   "mgmt-ip":[{"value":"192.0.2.1"},{"value":"fe80::1"}]}],
	 "port":[{"id":[{"type":"ifname","value":"` + port + `"}],"descr":[{"value":"uplink ` + port + `"}],"ttl":[{"value":"` + ttl + `"}]}]}`
}

// wantErr fails t unless err contains want (no error when want is empty),
// and reports whether the result is to be checked (no error expected).
func wantErr(t *testing.T, err error, want string) bool {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatal(err)
		}
		return true
	}
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v, want it to contain %q", err, want)
	}
	return false
}

func TestParseJSON0(t *testing.T) {
	swA := Neighbor{Interface: "eth0", Chassis: ID{"mac", "00:00:5e:00:53:01"}, SystemName: "sw-a",
		Port: ID{"ifname", "swp1"}, PortDescription: "uplink swp1", TTL: 120,
		ManagementAddresses: []string{"192.0.2.1", "fe80::1"}}
	swA2 := swA
	swA2.Interface, swA2.Port, swA2.PortDescription = "eth1", ID{"ifname", "swp2"}, "uplink swp2"
	for _, tc := range []struct {
		name, in string
		want     []Neighbor
		err      string
	}{
		{name: "none (lldpd with no neighbour)", in: `{"lldp":[{}]}`},
		{name: "none, empty list", in: `{"lldp":[]}`},
		{name: "one", in: `{"lldp":[{"interface":[` + neighborJSON0("eth0", "00:00:5e:00:53:01", "sw-a", "swp1", "120") + `]}]}`,
			want: []Neighbor{swA}},
		{name: "two legs on one switch", in: `{"lldp":[{"interface":[` + neighborJSON0("eth0", "00:00:5e:00:53:01", "sw-a", "swp1", "120") + `,` +
			neighborJSON0("eth1", "00:00:5e:00:53:01", "sw-a", "swp2", "120") + `]}]}`,
			want: []Neighbor{swA, swA2}},
		{name: "ttl in the chassis (older lldpd)", in: `{"lldp":[{"interface":[{"name":"eth0","chassis":[{"id":[{"type":"local","value":"sw"}],"ttl":[{"value":"90"}]}],"port":[{"id":[{"type":"local","value":"7"}]}]}]}]}`,
			want: []Neighbor{{Interface: "eth0", Chassis: ID{"local", "sw"}, Port: ID{"local", "7"}, TTL: 90}}},
		{name: "not json", in: `lldp: not running`, err: "lldp: json0: invalid character"},
		{name: "plain json, not json0", in: `{"lldp":{"interface":{"eth0":{}}}}`, err: "lldp: json0: json: cannot unmarshal object"},
		{name: "no lldp key", in: `{}`, err: `no "lldp" list`},
		{name: "no chassis id", in: `{"lldp":[{"interface":[{"name":"eth0","chassis":[{}],"port":[{"id":[{"type":"local","value":"7"}],"ttl":[{"value":"1"}]}]}]}]}`,
			err: "interface eth0: no chassis id"},
		{name: "no port id", in: strings.Replace(`{"lldp":[{"interface":[`+neighborJSON0("eth0", "x", "sw", "p", "1")+`]}]}`, `"type":"ifname"`, `"type":""`, 1),
			err: "interface eth0: no port id"},
		{name: "no ttl", in: `{"lldp":[{"interface":[{"name":"eth0","chassis":[{"id":[{"type":"local","value":"sw"}]}],"port":[{"id":[{"type":"local","value":"7"}]}]}]}]}`,
			err: "interface eth0: no ttl"},
		{name: "bad ttl", in: `{"lldp":[{"interface":[` + neighborJSON0("eth0", "x", "sw", "p", "70000") + `]}]}`, err: `ttl "70000" is not 0-65535`},
		{name: "no interface name", in: `{"lldp":[{"interface":[{"chassis":[],"port":[]}]}]}`, err: "interface 0 has no name"},
		{name: "chassis without port", in: `{"lldp":[{"interface":[{"name":"eth0","chassis":[{}],"port":[]}]}]}`, err: "1 chassis but 0 ports"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseJSON0([]byte(tc.in))
			if !wantErr(t, err, tc.err) {
				return
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("ParseJSON0 (-want +got):\n%s", d)
			}
		})
	}
}

// TestParseJSON0Corpus parses lldpd's real output: eth0 and eth1 of srv3 on
// sw-a (one chassis), eth2 on sw-b.
func TestParseJSON0Corpus(t *testing.T) {
	swA := ID{"mac", "a6:da:6f:9f:9f:f8"}
	for _, tc := range []struct {
		file string
		want []Neighbor
	}{
		{"srv_neighbors_json0.json", []Neighbor{{Interface: "eth0", Chassis: swA, SystemName: "sw-a", Port: swA,
			PortDescription: "swp1", TTL: 8, ManagementAddresses: []string{"fe80::a4da:6fff:fe9f:9ff8"}}}},
		{"srv3_neighbors_json0.json", nil},
	} {
		t.Run(tc.file, func(t *testing.T) {
			data, err := os.ReadFile(testtree.Corpus(t, "lldp", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			got, err := ParseJSON0(data)
			if err != nil {
				t.Fatal(err)
			}
			if tc.want != nil {
				if d := cmp.Diff(tc.want, got); d != "" {
					t.Errorf("ParseJSON0 (-want +got):\n%s", d)
				}
				return
			}
			var ifcs, sys []string
			for _, n := range got {
				ifcs = append(ifcs, n.Interface+"="+n.Chassis.String())
				sys = append(sys, n.SystemName)
			}
			if want := []string{"eth0=mac:a6:da:6f:9f:9f:f8", "eth1=mac:a6:da:6f:9f:9f:f8", "eth2=mac:2e:8d:8c:7c:fd:96"}; !cmp.Equal(want, ifcs) {
				t.Errorf("interfaces %v, want %v", ifcs, want)
			}
			if want := []string{"sw-a", "sw-a", "sw-b"}; !cmp.Equal(want, sys) {
				t.Errorf("system names %v, want %v", sys, want)
			}
		})
	}
}

// TestFormatJSON0RoundTrip: what FormatJSON0 writes, ParseJSON0 reads back
// unchanged (a receiver's neighbours in a capture).
func TestFormatJSON0RoundTrip(t *testing.T) {
	ns := []Neighbor{
		{Interface: "eth0", Chassis: ID{"mac", "a6:da:6f:9f:9f:f8"}, SystemName: "sw-a", Port: ID{"ifname", "swp1"}, PortDescription: "to srv", TTL: 120, ManagementAddresses: []string{"192.0.2.1"}},
		{Interface: "eth1", Chassis: ID{"local", "sw-b"}, Port: ID{"mac", "02:00:00:00:00:01"}, TTL: 8},
	}
	data, err := FormatJSON0(ns)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseJSON0(data)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(ns, got); d != "" {
		t.Errorf("round trip (-want +got):\n%s", d)
	}
	if data, _ := FormatJSON0(nil); string(data) != `{"lldp":[{"interface":null}]}` {
		t.Errorf("no neighbours: %s", data)
	}
	if got, err := ParseJSON0([]byte(`{"lldp":[{"interface":null}]}`)); err != nil || got != nil {
		t.Errorf("parse of no neighbours: %v, %v", got, err)
	}
}
