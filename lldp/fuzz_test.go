package lldp

import (
	"os"
	"path/filepath"
	"testing"
)

func FuzzParseJSON0(f *testing.F) {
	f.Add([]byte(`{"lldp":[{}]}`))
	f.Add([]byte(`{"lldp":[{"interface":[` + neighborJSON0("eth0", "00:00:5e:00:53:01", "sw-a", "swp1", "120") + `]}]}`))
	paths, _ := filepath.Glob(filepath.Join("..", "..", "shared", "corpus", "lldp", "*.json"))
	for _, p := range paths {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ns, err := ParseJSON0(data)
		if err != nil && ns != nil {
			t.Fatalf("neighbours %v with error %v", ns, err)
		}
		for _, n := range ns {
			if n.Interface == "" || n.Chassis.Subtype == "" || n.Chassis.Value == "" || n.Port.Subtype == "" || n.Port.Value == "" || n.TTL < 0 {
				t.Fatalf("incomplete neighbour %+v without an error", n)
			}
		}
	})
}

func FuzzDecodePDU(f *testing.F) {
	f.Add(pdu(chassisMAC, portMAC, ttl8, sysName, sysDescr, caps, mgmtV4, mgmtV6, portDescr, orgSpecific, end))
	f.Add(pdu(tlv(tlvChassisID, 5, 2, 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1), tlv(tlvPortID, 7, '1'), ttl8))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := DecodePDU(data)
		if err == nil && (n.Chassis.Subtype == "" || n.Chassis.Value == "" || n.Port.Subtype == "" || n.Port.Value == "") {
			t.Fatalf("incomplete neighbour %+v without an error", n)
		}
	})
}

func FuzzDecodeFrame(f *testing.F) {
	f.Add(append([]byte{0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e, 2, 0, 0, 0, 0, 1, 0x88, 0xcc}, pdu(chassisMAC, portMAC, ttl8, sysName, end)...))
	f.Add([]byte{0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e, 2, 0, 0, 0, 0, 1, 0x81, 0x00, 0, 1, 0x88, 0xcc, 2})
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := DecodeFrame(data)
		if err == nil && (n.Chassis.Value == "" || n.Port.Value == "") {
			t.Fatalf("incomplete neighbour %+v without an error", n)
		}
	})
}
