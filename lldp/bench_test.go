package lldp

import "testing"

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
