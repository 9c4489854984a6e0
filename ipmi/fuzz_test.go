package ipmi

import "testing"

func FuzzParseSDR(f *testing.F) {
	f.Add(compactSDR(7, 0x10, 10, 1, 0x08, 0x6f, 0x00ff, "PS1 Status"))
	f.Add([]byte{1, 0, 0x51, 0x01, 0})
	f.Add(compactSDR(9, 0x51, EntityPowerUnit, 1, 0x09, 0x6f, 0x00ff, "Pwr Unit Status"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, ok, err := ParseSDR(b)
		if err != nil || !ok {
			return
		}
		for _, r := range []Reading{{States: 0xffff, StatesKnown: true}, {States: uint16(len(b)), StatesKnown: true}, {Unavailable: true}} {
			if sup := DecodeSupply(s, r); sup.State == "" {
				t.Fatalf("empty state for %+v", s)
			}
			if red := DecodeRedundancy(s, r); red.State == "" {
				t.Fatalf("empty redundancy state for %+v", s)
			}
			if unit, ok := DecodePowerUnit(s, r); ok && unit.State == "" {
				t.Fatalf("empty power unit state for %+v", s)
			}
		}
	})
}

func FuzzParseReading(f *testing.F) {
	f.Add([]byte{0, 0xc0, 1, 0})
	f.Fuzz(func(_ *testing.T, b []byte) {
		r, err := ParseReading(b)
		if err == nil {
			DecodeSupply(Sensor{Type: 8, ReadingType: 0x6f}, r)
			DecodeRedundancy(Sensor{Type: 9, ReadingType: 0x0b}, r)
			DecodePowerUnit(Sensor{Type: 9, ReadingType: 0x6f}, r)
		}
	})
}

func FuzzParseListing(f *testing.F) {
	f.Add([]byte("PS1 Status       | 0x01              | ok\n"))
	f.Add([]byte("PS3 Status       | C8h | ok  | 10.3 | Presence detected, Failure detected\n"))
	f.Add([]byte("PS5 Status | 0x1 | discrete | 0x0900| na | na | na | na | na | na\n"))
	f.Add([]byte("Pwr Unit Status  | 01h | ok  | 19.1 | AC lost, Failure detected\n"))
	f.Fuzz(func(_ *testing.T, b []byte) {
		if es, err := ParseListing(b); err == nil {
			Decode(es)
		}
	})
}

func FuzzParseDump(f *testing.F) {
	f.Add([]byte(`{"format":"redwatch-ipmi-sdr-1","records":[{"sdr":"0700510217200010000a01000008000000000000ff000000000000000000000000ca50533120537461747573","reading":"00c00100"}]}`))
	f.Fuzz(func(_ *testing.T, b []byte) {
		if es, err := ParseDump(b); err == nil {
			Decode(es)
		}
	})
}
