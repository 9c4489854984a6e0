package lldp

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkParseJSON0 parses lldpcli json0 of 48 neighbours (a full switch
// port count's worth of NICs is far more than a server has).
func BenchmarkParseJSON0(b *testing.B) {
	data := []byte(`{"lldp":[{"interface":[`)
	for i := range 48 {
		if i > 0 {
			data = append(data, ',')
		}
		data = append(data, neighborJSON0("eth0", "00:00:5e:00:53:01", "sw-a", "swp1", "120")...)
	}
	data = append(data, `]}]}`...)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := ParseJSON0(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodePDU decodes lldpd's usual frame (corpus shape).
func BenchmarkDecodePDU(b *testing.B) {
	data := pdu(chassisMAC, portMAC, ttl8, sysName, sysDescr, caps, mgmtV4, mgmtV6, portDescr, orgSpecific, end)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := DecodePDU(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReceiveFrame is the receiver's cost per LLDPDU: decode the
// Ethernet frame and update the cache entry (48 interfaces, one neighbour
// each, as a host with 48 ports hears every 30 s).
func BenchmarkReceiveFrame(b *testing.B) {
	f := append([]byte{0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e, 2, 0, 0, 0, 0, 1, 0x88, 0xcc},
		pdu(chassisMAC, portMAC, ttl8, sysName, sysDescr, caps, mgmtV4, mgmtV6, portDescr, orgSpecific, end)...)
	ifcs := make([]string, 48)
	for i := range ifcs {
		ifcs[i] = fmt.Sprintf("eth%d", i)
	}
	var c Cache
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		n, err := DecodeFrame(f)
		if err != nil {
			b.Fatal(err)
		}
		c.Update(ifcs[i%len(ifcs)], n, now)
	}
}
