package ipmi

import (
	"encoding/hex"
	"strings"
	"testing"
)

// compactSDR builds a compact sensor record (type 02h) as sdrcomp does.
func compactSDR(id uint16, num, entity, inst, typ, rtype uint8, mask uint16, name string) []byte {
	body := make([]byte, 27+len(name))
	body[0], body[1], body[2] = 0x20, 0x00, num
	body[3], body[4] = entity, inst
	body[7], body[8] = typ, rtype
	body[13], body[14] = byte(mask), byte(mask>>8)
	body[26] = 0xc0 | byte(len(name))
	copy(body[27:], name)
	return append([]byte{byte(id), byte(id >> 8), 0x51, 0x02, byte(len(body))}, body...)
}

func TestParseSDR(t *testing.T) {
	rec := compactSDR(7, 0x10, 10, 1, 0x08, 0x6f, 0x00ff, "PS1 Status")
	s, ok, err := ParseSDR(rec)
	if err != nil || !ok {
		t.Fatalf("ParseSDR = %v, %v", ok, err)
	}
	want := Sensor{RecordID: 7, Owner: 0x20, Number: 0x10, EntityID: 10, EntityInstance: 1, Type: 8, ReadingType: 0x6f, ReadingMask: 0xff, MaskKnown: true, Name: "PS1 Status"}
	if s != want {
		t.Errorf("ParseSDR = %+v, want %+v", s, want)
	}
	if s.Kind() != KindSupply {
		t.Errorf("Kind = %v, want supply", s.Kind())
	}
	if _, _, err := ParseSDR(rec[:len(rec)-3]); err == nil {
		t.Error("a record shorter than its header says parsed")
	}
	if _, ok, err := ParseSDR([]byte{1, 0, 0x51, 0x12, 0}); ok || err != nil {
		t.Errorf("an MC locator record: ok %v err %v, want skipped", ok, err)
	}
	red, _, _ := ParseSDR(compactSDR(8, 0x20, 19, 1, 0x09, 0x0b, 0xff, "PSU Redundancy"))
	if red.Kind() != KindRedundancy {
		t.Errorf("PSU Redundancy kind = %v", red.Kind())
	}
	fan, _, _ := ParseSDR(compactSDR(9, 0x30, 29, 1, 0x04, 0x0b, 0xff, "Fan Redundancy"))
	if fan.Kind() != KindOther {
		t.Errorf("Fan Redundancy kind = %v, want other", fan.Kind())
	}
}

func TestParseReading(t *testing.T) {
	r, err := ParseReading([]byte{0, 0xc0, 0x03, 0x80})
	if err != nil || r.States != 0x03 || !r.StatesKnown || r.Unavailable || r.ScanningDisabled {
		t.Errorf("ParseReading = %+v, %v", r, err)
	}
	if r, _ := ParseReading([]byte{0, 0x00}); !r.ScanningDisabled || r.StatesKnown {
		t.Errorf("scanning disabled: %+v", r)
	}
	if r, _ := ParseReading([]byte{0, 0x60, 0}); !r.Unavailable {
		t.Errorf("unavailable: %+v", r)
	}
	if _, err := ParseReading([]byte{0}); err == nil {
		t.Error("a 1-byte response parsed")
	}
}

func TestDecodeSupply(t *testing.T) {
	ps := Sensor{Name: "PS2 Status", Type: 8, ReadingType: 0x6f, ReadingMask: 0xff, MaskKnown: true}
	for _, tc := range []struct {
		states  uint16
		state   string
		present int
		reason  string
	}{
		{0x01, StateOK, 1, "Presence detected"},
		{0x00, StateAbsent, 0, "Presence not detected (empty bay)"},
		{0x03, StateFailed, 1, "Presence detected; Power Supply Failure detected"},
		{0x05, StatePredictiveFailure, 1, "Presence detected; Predictive Failure"},
		{0x09, StateInputLost, 1, "Presence detected; Power Supply input lost (AC/DC)"},
		{0x11, StateInputLost, 1, "Presence detected; Power Supply input lost or out-of-range"},
		{0x21, StateInputLost, 1, "Presence detected; Power Supply input out-of-range, but present"},
		{0x41, StateFailed, 1, "Presence detected; Configuration error"},
		{0x81, StateStandby, 1, "Presence detected; Power Supply Inactive (in standby state)"},
		{0x0b, StateFailed, 1, "Presence detected; Power Supply Failure detected; Power Supply input lost (AC/DC)"},
	} {
		got := DecodeSupply(ps, Reading{States: tc.states, StatesKnown: true})
		if got.State != tc.state || got.Present != tc.present || got.Reason != tc.reason || got.Slot != "2" {
			t.Errorf("states %#x: %+v, want state %s present %d reason %q slot 2", tc.states, got, tc.state, tc.present, tc.reason)
		}
	}
	noMask := ps
	noMask.MaskKnown = false
	if got := DecodeSupply(noMask, Reading{StatesKnown: true}); got.State != StateOK {
		t.Errorf("no mask, no states: %+v, want ok", got)
	}
	if got := DecodeSupply(ps, Reading{Unavailable: true}); got.State != StateUnknown || !strings.Contains(got.Reason, "unavailable") {
		t.Errorf("unavailable: %+v", got)
	}
	pres := Sensor{Name: "PSU 3", Type: 8, ReadingType: ReadingTypePresence}
	if got := DecodeSupply(pres, Reading{States: 1, StatesKnown: true}); got.State != StateAbsent || got.Slot != "3" {
		t.Errorf("generic presence, absent: %+v", got)
	}
}

func TestDecodeRedundancy(t *testing.T) {
	s := Sensor{Name: "PSU Redundancy", Type: 9, ReadingType: 0x0b}
	for states, want := range map[uint16]string{
		0x01: RedundancyFull, 0x02: RedundancyLost, 0x04: RedundancyDegraded, 0x08: RedundancyNonRedundantSufficient,
		0x10: RedundancyNonRedundantSufficient, 0x20: RedundancyNonRedundantInsufficient, 0x40: RedundancyDegraded,
		0x80: RedundancyDegraded, 0x0a: RedundancyLost, 0x00: RedundancyUnknown,
	} {
		if got := DecodeRedundancy(s, Reading{States: states, StatesKnown: true}); got.State != want {
			t.Errorf("states %#x: %+v, want %s", states, got, want)
		}
	}
	if got := DecodeRedundancy(s, Reading{States: 2, StatesKnown: true}); got.Message != "Redundancy Lost" {
		t.Errorf("message %q", got.Message)
	}
}

func TestSlot(t *testing.T) {
	for _, tc := range []struct {
		name string
		inst uint8
		want string
	}{{"PS1 Status", 0, "1"}, {"Power Supply 2", 0, "2"}, {"PSU03", 0, "3"}, {"PS0", 0, "0"}, {"PSU Status", 0x82, "2"}, {"PSU Status", 0, ""}} {
		if got := Slot(tc.name, tc.inst, true); got != tc.want {
			t.Errorf("Slot(%q, %d) = %q, want %q", tc.name, tc.inst, got, tc.want)
		}
	}
}

func TestParseListing(t *testing.T) {
	in := "PS1 Status       | 0x01              | ok\n" +
		"PS2 Status       | no reading        | ns\n" +
		"Fan Redundancy   | 0x01              | ok\n" +
		"CPU Temp         | 28 degrees C      | ok\n" +
		"PS3 Status       | C8h | ok  | 10.3 | Presence detected, Failure detected\n" +
		"PSU Redundancy   | C9h | ok  | 19.1 | Redundancy Lost\n" +
		"Status           | CAh | ok  | 10.4 | Presence detected, Power Supply AC lost\n" +
		"PS5 Status       | 0x1        | discrete   | 0x0900| na        | na        | na        | na        | na        | na\n"
	es, err := ParseListing([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	f := Decode(es)
	var got []string
	for _, s := range f.Supplies {
		got = append(got, s.Name+"="+s.Slot+":"+s.State)
	}
	want := "PS1 Status=1:ok PS2 Status=2:unknown PS3 Status=3:failed Status=4:input_lost PS5 Status=5:input_lost"
	if strings.Join(got, " ") != want {
		t.Errorf("supplies %v, want %s", got, want)
	}
	if len(f.Redundancy) != 1 || f.Redundancy[0].State != RedundancyLost {
		t.Errorf("redundancy %+v", f.Redundancy)
	}
	if _, err := ParseListing([]byte("PS1 Status | C8h | ok | 10.1 | Presence detected, Exploded\n")); err == nil {
		t.Error("an unknown state word parsed")
	}
	if _, err := ParseListing([]byte("a | b\n")); err == nil {
		t.Error("a 2-column line parsed")
	}
}

// decodeDump marshals recs as a dump, parses it back and decodes it.
func decodeDump(t *testing.T, recs ...DumpRecord) Facts {
	t.Helper()
	data, err := MarshalDump(recs)
	if err != nil {
		t.Fatal(err)
	}
	es, err := ParseDump(data)
	if err != nil {
		t.Fatal(err)
	}
	return Decode(es)
}

func TestDumpRoundTrip(t *testing.T) {
	rec := compactSDR(7, 0x10, 10, 1, 0x08, 0x6f, 0x00ff, "PS1 Status")
	f := decodeDump(t, DumpRecord{SDR: hex.EncodeToString(rec), Reading: "00c00300"},
		DumpRecord{SDR: hex.EncodeToString(compactSDR(8, 0x11, 10, 2, 8, 0x6f, 0xff, "PS2 Status")), ReadingError: "timeout"})
	if len(f.Supplies) != 2 || f.Supplies[0].State != StateFailed || f.Supplies[1].State != StateUnknown || f.Supplies[1].Reason != "timeout" {
		t.Errorf("decoded %+v", f.Supplies)
	}
	if _, err := ParseDump([]byte(`{"format":"other","records":[]}`)); err == nil {
		t.Error("a dump of another format parsed")
	}
}

// TestDecodePowerUnit: every offset of the Power Unit sensor (type 09h,
// table 42-3) in words and as the power group's state; the worst of several
// wins; a power cycle alone or nothing asserted says nothing.
func TestDecodePowerUnit(t *testing.T) {
	s := Sensor{Name: "Pwr Unit Status", Type: SensorTypePowerUnit, ReadingType: ReadingTypeSensorSpecific, EntityID: EntityPowerUnit}
	if s.Kind() != KindPowerUnit {
		t.Fatalf("Kind = %v, want power unit", s.Kind())
	}
	for _, tc := range []struct {
		states uint16
		state  string // "" when the sensor says nothing about the group
		msg    string
	}{
		{0x01, RedundancyNonRedundantInsufficient, "Power Off / Power Down"},
		{0x02, "", "Power Cycle"},
		{0x04, RedundancyNonRedundantInsufficient, "240VA Power Down"},
		{0x08, RedundancyNonRedundantInsufficient, "Interlock Power Down"},
		{0x10, RedundancyNonRedundantInsufficient, "AC lost / Power input lost"},
		{0x20, RedundancyDegraded, "Soft Power Control Failure (the unit did not respond to a request to turn on)"},
		{0x40, RedundancyNonRedundantInsufficient, "Power Unit Failure detected"},
		{0x80, RedundancyDegraded, "Predictive Failure"},
		{0xc0, RedundancyNonRedundantInsufficient, "Power Unit Failure detected; Predictive Failure"},
		{0x00, "", ""},
		{0x100, "", ""}, // offsets 8-14 are reserved for this sensor type
	} {
		got, ok := DecodePowerUnit(s, Reading{States: tc.states, StatesKnown: true})
		if ok != (tc.state != "") || ok && (got.State != tc.state || got.Message != tc.msg || got.Name != s.Name) {
			t.Errorf("states %#x: %+v ok %v, want state %q message %q", tc.states, got, ok, tc.state, tc.msg)
		}
	}
	if got, ok := DecodePowerUnit(s, Reading{ScanningDisabled: true}); !ok || got.State != RedundancyUnknown || !strings.Contains(got.Message, "scanning disabled") {
		t.Errorf("scanning disabled: %+v ok %v, want unknown with the reason", got, ok)
	}
	// Through the dump and Decode, beside a redundancy sensor.
	f := decodeDump(t,
		DumpRecord{SDR: hex.EncodeToString(compactSDR(8, 0x50, EntityPowerUnit, 1, 0x09, 0x0b, 0xff, "PSU Redundancy")), Reading: "00c00100"},
		DumpRecord{SDR: hex.EncodeToString(compactSDR(9, 0x51, EntityPowerUnit, 1, 0x09, 0x6f, 0xff, "Pwr Unit Status")), Reading: "00c01000"})
	if len(f.Redundancy) != 2 || f.Redundancy[0].State != RedundancyFull || f.Redundancy[1].State != RedundancyNonRedundantInsufficient ||
		f.Redundancy[1].Message != "AC lost / Power input lost" {
		t.Errorf("decoded %+v", f.Redundancy)
	}
}

// TestParseListingPowerUnit: a power unit's status in the three listing
// shapes, by name, in ipmitool's words (elist) or as the reading byte.
func TestParseListingPowerUnit(t *testing.T) {
	for _, tc := range []struct{ line, state, msg string }{
		{"Pwr Unit Status  | 0x00              | ok\n", "", ""},
		{"Power Unit       | 0x40              | ok\n", RedundancyNonRedundantInsufficient, "Power Unit Failure detected"},
		{"Pwr Unit Status  | 01h | ok  | 19.1 | Soft-power control failure, Predictive failure\n", RedundancyDegraded,
			"Soft Power Control Failure (the unit did not respond to a request to turn on); Predictive Failure"},
		{"Pwr Unit Status  | 01h | ok  | 19.1 | AC lost\n", RedundancyNonRedundantInsufficient, "AC lost / Power input lost"},
		{"Pwr Unit Status  | 01h | ok  | 19.1 | Power off/down, Interlock power down\n", RedundancyNonRedundantInsufficient,
			"Power Off / Power Down; Interlock Power Down"},
		{"Pwr Unit Status  | 01h | ok  | 19.1 | Power cycle\n", "", ""},
		{"Power Unit       | 0x0     | discrete   | 0x0400| na | na | na | na | na | na\n", RedundancyNonRedundantInsufficient, "240VA Power Down"},
	} {
		es, err := ParseListing([]byte(tc.line))
		if err != nil {
			t.Errorf("%q: %v", tc.line, err)
			continue
		}
		f := Decode(es)
		switch {
		case tc.state == "" && len(f.Redundancy) != 0:
			t.Errorf("%q: %+v, want nothing said", tc.line, f.Redundancy)
		case tc.state != "" && (len(f.Redundancy) != 1 || f.Redundancy[0].State != tc.state || f.Redundancy[0].Message != tc.msg):
			t.Errorf("%q: %+v, want %s %q", tc.line, f.Redundancy, tc.state, tc.msg)
		}
	}
	if _, err := ParseListing([]byte("Pwr Unit Status | 01h | ok | 19.1 | Exploded\n")); err == nil {
		t.Error("an unknown power unit state word parsed")
	}
}
