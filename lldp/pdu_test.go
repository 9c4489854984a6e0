package lldp

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// tlv builds one TLV: 7 bits of type, 9 bits of length, the value.
func tlv(typ int, v ...byte) []byte {
	return append([]byte{byte(typ<<1 | len(v)>>8), byte(len(v))}, v...)
}

// pdu joins TLVs into an LLDPDU.
func pdu(tlvs ...[]byte) []byte {
	var b []byte
	for _, t := range tlvs {
		b = append(b, t...)
	}
	return b
}

var (
	// The shape lldpd 1.0.16 sends (corpus lldp/srv_neighbors_json0.json):
	// chassis and port IDs are the switch's MAC, TTL 8.
	macA        = []byte{0xa6, 0xda, 0x6f, 0x9f, 0x9f, 0xf8}
	chassisMAC  = tlv(tlvChassisID, append([]byte{4}, macA...)...)
	portMAC     = tlv(tlvPortID, append([]byte{3}, macA...)...)
	ttl8        = tlv(tlvTTL, 0, 8)
	end         = tlv(tlvEnd)
	sysName     = tlv(tlvSystemName, []byte("sw-a")...)
	portDescr   = tlv(tlvPortDescr, []byte("swp1")...)
	sysDescr    = tlv(6, []byte("Debian GNU/Linux 12")...)
	caps        = tlv(7, 0, 0x14, 0, 0x04)
	orgSpecific = tlv(127, 0x00, 0x12, 0x0f, 1, 3, 0x6c, 0, 0, 0x10)
	// mgmtV4 is 192.0.2.1, ifIndex 9, no OID.
	mgmtV4 = tlv(tlvMgmtAddr, 5, 1, 192, 0, 2, 1, 2, 0, 0, 0, 9, 0)
	// mgmtV6 is fe80::1, ifIndex 9, no OID.
	mgmtV6 = tlv(tlvMgmtAddr, 17, 2, 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 0, 9, 0)
)

func TestDecodePDU(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		want Neighbor
		err  string
	}{
		{name: "lldpd's frame", in: pdu(chassisMAC, portMAC, ttl8, sysName, sysDescr, caps, mgmtV4, mgmtV6, portDescr, orgSpecific, end),
			want: Neighbor{Chassis: ID{"mac", "a6:da:6f:9f:9f:f8"}, Port: ID{"mac", "a6:da:6f:9f:9f:f8"}, TTL: 8,
				SystemName: "sw-a", PortDescription: "swp1", ManagementAddresses: []string{"192.0.2.1", "fe80::1"}}},
		{name: "mandatory only, no end tlv", in: pdu(chassisMAC, portMAC, ttl8),
			want: Neighbor{Chassis: ID{"mac", "a6:da:6f:9f:9f:f8"}, Port: ID{"mac", "a6:da:6f:9f:9f:f8"}, TTL: 8}},
		{name: "padding after the end tlv is ignored", in: pdu(chassisMAC, portMAC, ttl8, end, []byte{0, 0, 0}),
			want: Neighbor{Chassis: ID{"mac", "a6:da:6f:9f:9f:f8"}, Port: ID{"mac", "a6:da:6f:9f:9f:f8"}, TTL: 8}},
		{name: "ttl 0 (shutdown pdu)", in: pdu(chassisMAC, portMAC, tlv(tlvTTL, 0, 0), end),
			want: Neighbor{Chassis: ID{"mac", "a6:da:6f:9f:9f:f8"}, Port: ID{"mac", "a6:da:6f:9f:9f:f8"}}},
		{name: "every chassis subtype and port subtype 1-7", in: pdu(tlv(tlvChassisID, 7, 's', 'w'), tlv(tlvPortID, 5, 'E', 't', '1'), tlv(tlvTTL, 0x01, 0x2c), end),
			want: Neighbor{Chassis: ID{"local", "sw"}, Port: ID{"ifname", "Et1"}, TTL: 300}},
		{name: "chassis component, interface alias", in: pdu(tlv(tlvChassisID, 1, 'c'), tlv(tlvPortID, 1, 'a'), ttl8),
			want: Neighbor{Chassis: ID{"chassis-component", "c"}, Port: ID{"ifalias", "a"}, TTL: 8}},
		{name: "interface alias, port component", in: pdu(tlv(tlvChassisID, 2, 'a'), tlv(tlvPortID, 2, 'p'), ttl8),
			want: Neighbor{Chassis: ID{"ifalias", "a"}, Port: ID{"port-component", "p"}, TTL: 8}},
		{name: "port component, network address", in: pdu(tlv(tlvChassisID, 3, 'p'), tlv(tlvPortID, 4, 1, 10, 0, 0, 1), ttl8),
			want: Neighbor{Chassis: ID{"port-component", "p"}, Port: ID{"ip", "10.0.0.1"}, TTL: 8}},
		{name: "network address, agent circuit id", in: pdu(tlv(tlvChassisID, 5, 1, 192, 0, 2, 7), tlv(tlvPortID, 6, 'c'), ttl8),
			want: Neighbor{Chassis: ID{"ip", "192.0.2.7"}, Port: ID{"agent-circuit-id", "c"}, TTL: 8}},
		{name: "interface name, locally assigned", in: pdu(tlv(tlvChassisID, 6, 'e', '0'), tlv(tlvPortID, 7, '1', '2'), ttl8),
			want: Neighbor{Chassis: ID{"ifname", "e0"}, Port: ID{"local", "12"}, TTL: 8}},
		{name: "control characters escaped", in: pdu(tlv(tlvChassisID, 7, 's', '\n', 0x1b), tlv(tlvPortID, 7, '1'), ttl8),
			want: Neighbor{Chassis: ID{"local", `s\x0a\x1b`}, Port: ID{"local", "1"}, TTL: 8}},

		{name: "empty", in: nil, err: "ends before the chassis id"},
		{name: "end before the mandatory tlvs", in: pdu(chassisMAC, end), err: "type 0 where the mandatory type 2 must be"},
		{name: "truncated header", in: pdu(chassisMAC, portMAC, ttl8, []byte{0x0a}), err: "offset 22: truncated header"},
		{name: "truncated value", in: pdu(chassisMAC, portMAC, ttl8, sysName[:4]), err: "tlv type 5 at offset 22: length 4 runs past"},
		{name: "overlong length", in: pdu(chassisMAC, []byte{0x05, 0xff}), err: "length 511 runs past"},
		{name: "port before chassis", in: pdu(portMAC, chassisMAC, ttl8), err: "type 2 where the mandatory type 1 must be"},
		{name: "chassis repeated", in: pdu(chassisMAC, portMAC, ttl8, chassisMAC), err: "mandatory type 1 repeated"},
		{name: "ttl of 3 bytes", in: pdu(chassisMAC, portMAC, tlv(tlvTTL, 0, 0, 8)), err: "tlv type 3 at offset 18: length 3, want 2"},
		{name: "chassis id too short", in: pdu(tlv(tlvChassisID, 4), portMAC, ttl8), err: "length 1, want 2-256"},
		{name: "chassis id too long", in: pdu(tlv(tlvChassisID, append([]byte{7}, make([]byte, 256)...)...), portMAC, ttl8), err: "length 257, want 2-256"},
		{name: "reserved chassis subtype", in: pdu(tlv(tlvChassisID, 0, 1), portMAC, ttl8), err: "reserved id subtype 0"},
		{name: "reserved port subtype", in: pdu(chassisMAC, tlv(tlvPortID, 8, 1), ttl8), err: "reserved id subtype 8"},
		{name: "short mac", in: pdu(tlv(tlvChassisID, 4, 1, 2, 3), portMAC, ttl8), err: "mac id of 3 bytes"},
		{name: "ipv4 family with 16 bytes", in: pdu(tlv(tlvChassisID, append([]byte{5, 1}, make([]byte, 16)...)...), portMAC, ttl8), err: "family 1 and 16 bytes"},
		{name: "end tlv with a length", in: pdu(chassisMAC, portMAC, ttl8, tlv(tlvEnd, 0)), err: "end tlv at offset 22: length 1"},
		{name: "mgmt address string overlong", in: pdu(chassisMAC, portMAC, ttl8, tlv(tlvMgmtAddr, 33, 1, 192, 0, 2, 1, 2, 0, 0, 0, 9, 0)), err: "address string length 33"},
		{name: "mgmt oid overlong", in: pdu(chassisMAC, portMAC, ttl8, tlv(tlvMgmtAddr, 5, 1, 192, 0, 2, 1, 2, 0, 0, 0, 9, 4)), err: "oid length 4"},
		{name: "mgmt too short", in: pdu(chassisMAC, portMAC, ttl8, tlv(tlvMgmtAddr, 5, 1, 192)), err: "length 3, want 9-167"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodePDU(tc.in)
			if !wantErr(t, err, tc.err) {
				return
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("DecodePDU (-want +got):\n%s", d)
			}
		})
	}
}
