package ipmi

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Entry is one sensor with its reading, from any source: the live BMC, a
// captured dump, an ipmitool listing.
type Entry struct {
	Sensor  Sensor
	Reading Reading
	// Err is why the reading could not be had ("" when it was).
	Err string
}

// Facts are what a set of entries says about power.
type Facts struct {
	Supplies   []Supply
	Redundancy []Redundancy
}

// Decode decodes the supply, redundancy and power unit sensors among
// entries (a power unit's status is a redundancy set of Facts, see
// DecodePowerUnit); the others are ignored. An entry whose reading could not be had is a supply
// or redundancy of unknown state with that reason.
func Decode(entries []Entry) Facts {
	var f Facts
	for _, e := range entries {
		switch e.Sensor.Kind() {
		case KindSupply:
			if e.Err != "" {
				f.Supplies = append(f.Supplies, Supply{Name: e.Sensor.Name, Present: -1, State: StateUnknown,
					Slot: Slot(e.Sensor.Name, e.Sensor.EntityInstance, e.Sensor.EntityID == EntityPowerSupply), Reason: e.Err})
				continue
			}
			f.Supplies = append(f.Supplies, DecodeSupply(e.Sensor, e.Reading))
		case KindRedundancy:
			if e.Err != "" {
				f.Redundancy = append(f.Redundancy, Redundancy{Name: e.Sensor.Name, State: RedundancyUnknown, Message: e.Err})
				continue
			}
			f.Redundancy = append(f.Redundancy, DecodeRedundancy(e.Sensor, e.Reading))
		case KindPowerUnit:
			if e.Err != "" {
				f.Redundancy = append(f.Redundancy, Redundancy{Name: e.Sensor.Name, State: RedundancyUnknown, Message: e.Err})
				continue
			}
			if r, ok := DecodePowerUnit(e.Sensor, e.Reading); ok {
				f.Redundancy = append(f.Redundancy, r)
			}
		}
	}
	return f
}

// DumpFormat names redwatch's own captured IPMI dump (T/ipmi/sdr.json).
const DumpFormat = "redwatch-ipmi-sdr-1"

// Dump is redwatch's captured IPMI dump: the raw SDR record of each supply
// and power redundancy sensor with the raw Get Sensor Reading response, as
// the BMC sent them (hex), so that --root decodes exactly what the live read
// decoded.
type Dump struct {
	Format  string       `json:"format"`
	Records []DumpRecord `json:"records"`
}

// DumpRecord is one sensor of a Dump.
type DumpRecord struct {
	// SDR is the whole SDR record (header included), hex.
	SDR string `json:"sdr"`
	// Reading is the Get Sensor Reading response data after the completion
	// code, hex; "" when it could not be read (ReadingError says why).
	Reading      string `json:"reading,omitempty"`
	ReadingError string `json:"reading_error,omitempty"`
}

// MarshalDump encodes entries' raw bytes as a Dump.
func MarshalDump(recs []DumpRecord) ([]byte, error) {
	if recs == nil {
		recs = []DumpRecord{}
	}
	return json.MarshalIndent(Dump{Format: DumpFormat, Records: recs}, "", "  ")
}

// ParseDump parses a Dump into entries.
func ParseDump(data []byte) ([]Entry, error) {
	var d Dump
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("ipmi: dump: %w", err)
	}
	if d.Format != DumpFormat {
		return nil, fmt.Errorf("ipmi: dump: format %q, want %q", d.Format, DumpFormat)
	}
	var out []Entry
	for i, r := range d.Records {
		raw, err := hex.DecodeString(r.SDR)
		if err != nil {
			return nil, fmt.Errorf("ipmi: dump record %d: sdr: %w", i, err)
		}
		s, ok, err := ParseSDR(raw)
		if err != nil {
			return nil, fmt.Errorf("ipmi: dump record %d: %w", i, err)
		}
		if !ok {
			continue
		}
		e := Entry{Sensor: s, Err: r.ReadingError}
		if e.Err == "" {
			rd, err := hex.DecodeString(r.Reading)
			if err != nil {
				return nil, fmt.Errorf("ipmi: dump record %d: reading: %w", i, err)
			}
			if e.Reading, err = ParseReading(rd); err != nil {
				return nil, fmt.Errorf("ipmi: dump record %d: %w", i, err)
			}
		}
		out = append(out, e)
	}
	return out, nil
}

// The names ipmitool listings give supply and power redundancy sensors,
// for the listings that carry no sensor type ("sdr list", "sensor list").
var (
	supplyName     = regexp.MustCompile(`(?i)^(ps|psu|pws|power ?supply|pwr ?supply)[ _-]?\d+( status)?$`)
	redundancyName = regexp.MustCompile(`(?i)(ps|psu|pwr|power).*redund|redund.*(ps|psu|pwr|power)`)
	supplySlotName = regexp.MustCompile(`(?i)^(?:ps|psu|pws|power ?supply|pwr ?supply)[ _-]?(\d+)\b`)
	powerUnitName  = regexp.MustCompile(`(?i)^(pwr|power)[ _-]?unit( status)?$`)
)

// ipmitoolWords are ipmitool's words for the offsets (its event tables),
// lower case, with the offset each stands for, per reading kind.
var ipmitoolSupplyWords = map[string]int{
	"presence detected": 0, "failure detected": 1, "predictive failure": 2,
	"power supply ac lost": 3, "ac lost or out-of-range": 4, "ac out-of-range, but present": 5,
	"config error": 6, "power supply inactive": 7,
}

var ipmitoolPowerUnitWords = map[string]int{
	"power off/down": 0, "power cycle": 1, "240va power down": 2, "interlock power down": 3,
	"ac lost": 4, "ac lost/power input lost": 4, "soft-power control failure": 5, "failure detected": 6,
	"predictive failure": 7,
}

var ipmitoolRedundancyWords = map[string]int{
	"fully redundant": 0, "redundancy lost": 1, "redundancy degraded": 2,
	"non-redundant: sufficient from redundant": 3, "non-redundant: sufficient from insufficient": 4,
	"non-redundant: insufficient resources": 5, "redundancy degraded from fully redundant": 6,
	"redundancy degraded from non-redundant": 7,
}

// wordOffset finds the offset a listing's word stands for: ipmitool's
// words, the spec's (supplyOffsets, redundancyOffsets), and ipmitool's
// "Config Error: <what>" variants.
func wordOffset(w string, kind Kind) (int, bool) {
	lw := strings.ToLower(strings.TrimSpace(w))
	tbl, spec := ipmitoolSupplyWords, supplyOffsets
	switch kind {
	case KindRedundancy:
		tbl, spec = ipmitoolRedundancyWords, redundancyOffsets
	case KindPowerUnit:
		tbl, spec = ipmitoolPowerUnitWords, powerUnitOffsets
	}
	if o, ok := tbl[lw]; ok {
		return o, true
	}
	for i, s := range spec {
		if strings.ToLower(s) == lw {
			return i, true
		}
	}
	if kind == KindSupply && strings.HasPrefix(lw, "config error") {
		return 6, true
	}
	return 0, false
}

// ParseListing parses ipmitool's sensor listings, whichever of the three
// line shapes each line has:
//
//   - `sdr list` / `sdr`: NAME | READING | STATUS. The READING of a
//     discrete sensor is ipmitool's "0x%02x" of the reading byte, which BMCs
//     fill with the states of offsets 0-7 (Intel, Supermicro); "ns" /
//     "no reading" / "Not Readable" is no reading.
//   - `sdr elist` / `sdr type`: NAME | NNh | STATUS | ENTITY.INST | STATES,
//     STATES in ipmitool's words ("Presence detected, Failure detected").
//   - `sensor list` / `sensor`: NAME | VALUE | UNIT | STATUS | 6 thresholds,
//     where a discrete sensor's STATUS is "0xSSTT": the states of offsets
//     0-7 (SS) and 8-14 (TT).
//
// Only the supply, power redundancy and power unit sensors are returned:
// by entity (elist: 10.n is a power supply) and by name ("PS1 Status",
// "Power Supply 2", "PSU Redundancy", "Pwr Unit Redund", "Pwr Unit Status",
// "Power Unit"). Lines of other sensors are
// skipped; a supply or redundancy line whose reading cannot be parsed is an
// error naming the line.
func ParseListing(data []byte) ([]Entry, error) {
	var out []Entry
	for n, line := range strings.Split(string(data), "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		cols := strings.Split(line, "|")
		for i := range cols {
			cols[i] = strings.TrimSpace(cols[i])
		}
		var (
			e   Entry
			ok  bool
			err error
		)
		switch len(cols) {
		case 3:
			e, ok, err = listLine(cols)
		case 5:
			e, ok, err = elistLine(cols)
		case 10:
			e, ok, err = sensorLine(cols)
		default:
			return nil, fmt.Errorf("ipmi: listing line %d: %d columns, want 3 (sdr list), 5 (sdr elist) or 10 (sensor list)", n+1, len(cols))
		}
		if err != nil {
			return nil, fmt.Errorf("ipmi: listing line %d (%s): %w", n+1, cols[0], err)
		}
		if ok {
			out = append(out, e)
		}
	}
	return out, nil
}

// byName makes the sensor a listing line names, by its name alone; ok is
// false for a sensor that is neither a supply nor a power redundancy one.
func byName(name string) (Sensor, bool) {
	s := Sensor{Name: printable(name)}
	switch {
	case redundancyName.MatchString(name):
		s.Type, s.ReadingType = SensorTypePowerUnit, ReadingTypeRedundancy
	case supplyName.MatchString(name):
		s.Type, s.ReadingType = SensorTypePowerSupply, ReadingTypeSensorSpecific
	case powerUnitName.MatchString(name):
		s.Type, s.ReadingType = SensorTypePowerUnit, ReadingTypeSensorSpecific
	default:
		return s, false
	}
	return s, true
}

// noReading reports whether a listing's reading column says there is none.
func noReading(v string) bool {
	switch strings.ToLower(v) {
	case "ns", "na", "no reading", "not readable", "disabled":
		return true
	}
	return false
}

func listLine(cols []string) (Entry, bool, error) {
	s, ok := byName(cols[0])
	if !ok {
		return Entry{}, false, nil
	}
	e := Entry{Sensor: s}
	if noReading(cols[1]) || strings.EqualFold(cols[2], "ns") {
		e.Reading.Unavailable = true
		return e, true, nil
	}
	v, err := hexByte(cols[1])
	if err != nil {
		return Entry{}, false, err
	}
	e.Reading = Reading{States: uint16(v), StatesKnown: true}
	return e, true, nil
}

func elistLine(cols []string) (Entry, bool, error) {
	s, ok := byName(cols[0])
	ent, inst, entOK := strings.Cut(cols[3], ".")
	if entOK {
		id, err1 := strconv.ParseUint(strings.TrimSpace(ent), 10, 8)
		in, err2 := strconv.ParseUint(strings.TrimSpace(inst), 10, 8)
		if err1 == nil && err2 == nil {
			s.EntityID, s.EntityInstance = uint8(id), uint8(in)
		}
	}
	// ipmitool's elist names the states: a supply entity's sensor whose
	// words are supply or redundancy words is one even with an unusual
	// name.
	if !ok && s.EntityID == EntityPowerSupply {
		first, _, _ := strings.Cut(cols[4], ",")
		if _, isRed := wordOffset(first, KindRedundancy); isRed {
			s.Type, s.ReadingType, ok = SensorTypePowerSupply, ReadingTypeRedundancy, true
		} else if _, isSup := wordOffset(first, KindSupply); isSup {
			s.Type, s.ReadingType, ok = SensorTypePowerSupply, ReadingTypeSensorSpecific, true
		}
	}
	if !ok {
		return Entry{}, false, nil
	}
	e := Entry{Sensor: s}
	if strings.EqualFold(cols[2], "ns") || noReading(cols[4]) {
		e.Reading.Unavailable = true
		return e, true, nil
	}
	e.Reading.StatesKnown = true
	if cols[4] == "" {
		return e, true, nil
	}
	for _, w := range strings.Split(cols[4], ",") {
		o, known := wordOffset(w, s.Kind())
		if !known {
			return Entry{}, false, fmt.Errorf("state %q is not one redwatch knows for this sensor", strings.TrimSpace(w))
		}
		e.Reading.States |= 1 << o
	}
	return e, true, nil
}

func sensorLine(cols []string) (Entry, bool, error) {
	s, ok := byName(cols[0])
	if !ok {
		return Entry{}, false, nil
	}
	e := Entry{Sensor: s}
	if noReading(cols[1]) || noReading(cols[3]) {
		e.Reading.Unavailable = true
		return e, true, nil
	}
	st := cols[3]
	if !strings.HasPrefix(st, "0x") || len(st) != 6 {
		return Entry{}, false, fmt.Errorf("status %q is not a discrete state 0xSSTT", st)
	}
	v, err := strconv.ParseUint(st[2:], 16, 16)
	if err != nil {
		return Entry{}, false, fmt.Errorf("status %q is not a discrete state 0xSSTT", st)
	}
	e.Reading = Reading{States: uint16(v>>8) | uint16(v&0x7f)<<8, StatesKnown: true}
	return e, true, nil
}

// hexByte parses "0x01" (ipmitool's discrete reading).
func hexByte(v string) (uint8, error) {
	h, ok := strings.CutPrefix(strings.ToLower(v), "0x")
	if !ok {
		return 0, fmt.Errorf("reading %q is not a discrete reading 0xNN", v)
	}
	b, err := strconv.ParseUint(h, 16, 8)
	if err != nil {
		return 0, fmt.Errorf("reading %q is not a discrete reading 0xNN", v)
	}
	return uint8(b), nil
}
