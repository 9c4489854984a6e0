// Package ipmi decodes what a BMC says about its power supplies: SDR
// records (IPMI v2.0 §43), Get Sensor Reading responses (§35.14), ipmitool
// listings and redwatch's own captured dump, into supply states and
// redundancy states in words. It does no I/O: collectors/ipmi.go talks to
// the BMC (go-ipmi) and hands the bytes here, so every decoder is pure,
// table-tested and fuzzed.
package ipmi

import (
	"fmt"
	"strings"
)

// Sensor types (IPMI v2.0 table 42-3) and event/reading types (table 42-1,
// 42-2) redwatch decodes.
const (
	// SensorTypePowerSupply is sensor type 08h.
	SensorTypePowerSupply = 0x08
	// SensorTypePowerUnit is sensor type 09h.
	SensorTypePowerUnit = 0x09
	// ReadingTypeThreshold is event/reading type 01h.
	ReadingTypeThreshold = 0x01
	// ReadingTypePresence is the generic event/reading type 08h (device
	// removed/absent, inserted/present).
	ReadingTypePresence = 0x08
	// ReadingTypeRedundancy is the generic event/reading type 0Bh.
	ReadingTypeRedundancy = 0x0b
	// ReadingTypeSensorSpecific is event/reading type 6Fh: the offsets are
	// the sensor type's own (table 42-3).
	ReadingTypeSensorSpecific = 0x6f
	// EntityPowerSupply is entity ID 0Ah (table 43-13).
	EntityPowerSupply = 0x0a
	// EntityPowerUnit is entity ID 13h (power unit / power domain).
	EntityPowerUnit = 0x13
)

// Supply states, the same words as collectors.PSUState*.
const (
	StateOK                = "ok"
	StateFailed            = "failed"
	StatePredictiveFailure = "predictive_failure"
	StateInputLost         = "input_lost"
	StateAbsent            = "absent"
	StateStandby           = "standby"
	StateUnknown           = "unknown"
)

// Redundancy states, the same words as collectors.Redundancy*.
const (
	RedundancyFull                     = "full"
	RedundancyLost                     = "lost"
	RedundancyDegraded                 = "degraded"
	RedundancyNonRedundantSufficient   = "non_redundant_sufficient"
	RedundancyNonRedundantInsufficient = "non_redundant_insufficient"
	RedundancyUnknown                  = "unknown"
)

// supplyOffsets are the sensor-specific offsets of a Power Supply sensor
// (type 08h, reading type 6Fh), in the spec's words (table 42-3).
var supplyOffsets = [8]string{
	"Presence detected",
	"Power Supply Failure detected",
	"Predictive Failure",
	"Power Supply input lost (AC/DC)",
	"Power Supply input lost or out-of-range",
	"Power Supply input out-of-range, but present",
	"Configuration error",
	"Power Supply Inactive (in standby state)",
}

// powerUnitOffsets are the sensor-specific offsets of a Power Unit sensor
// (type 09h, reading type 6Fh), in the spec's words (table 42-3).
var powerUnitOffsets = [8]string{
	"Power Off / Power Down",
	"Power Cycle",
	"240VA Power Down",
	"Interlock Power Down",
	"AC lost / Power input lost",
	"Soft Power Control Failure (the unit did not respond to a request to turn on)",
	"Power Unit Failure detected",
	"Predictive Failure",
}

// redundancyOffsets are the generic redundancy offsets (reading type 0Bh,
// table 42-2) in the spec's words.
var redundancyOffsets = [8]string{
	"Fully Redundant",
	"Redundancy Lost",
	"Redundancy Degraded",
	"Non-redundant: Sufficient Resources from Redundant",
	"Non-redundant: Sufficient Resources from Insufficient Resources",
	"Non-redundant: Insufficient Resources",
	"Redundancy Degraded from Fully Redundant",
	"Redundancy Degraded from Non-redundant",
}

// Kind says what a sensor tells about power.
type Kind int

// Sensor kinds.
const (
	// KindOther is a sensor that says nothing about supplies or redundancy.
	KindOther Kind = iota
	// KindSupply is one supply's status sensor.
	KindSupply
	// KindRedundancy is a power redundancy sensor.
	KindRedundancy
	// KindPowerUnit is the status of the power unit as a whole (sensor type
	// 09h with its own offsets, reading type 6Fh): the set of supplies that
	// powers the host.
	KindPowerUnit
)

// Sensor is a sensor as an SDR (full or compact record) describes it.
type Sensor struct {
	// RecordID is the SDR's record ID.
	RecordID uint16 `json:"record_id"`
	// Owner is the sensor owner ID (20h: the BMC).
	Owner uint8 `json:"owner"`
	// LUN is the sensor owner's LUN.
	LUN uint8 `json:"lun"`
	// Number is the sensor number.
	Number uint8 `json:"number"`
	// EntityID and EntityInstance say what the sensor is on (0Ah.1: power
	// supply 1).
	EntityID       uint8 `json:"entity_id"`
	EntityInstance uint8 `json:"entity_instance"`
	// Type is the sensor type (08h Power Supply, 09h Power Unit, ...).
	Type uint8 `json:"sensor_type"`
	// ReadingType is the event/reading type code (6Fh sensor-specific,
	// 0Bh redundancy, 01h threshold, ...).
	ReadingType uint8 `json:"reading_type"`
	// ReadingMask is the discrete reading mask: the offsets the sensor can
	// report (bits 0-14); MaskKnown is false where the source gave none (an
	// ipmitool listing).
	ReadingMask uint16 `json:"reading_mask"`
	MaskKnown   bool   `json:"-"`
	// Name is the sensor's ID string, e.g. "PS1 Status".
	Name string `json:"name"`
}

// Kind says whether the sensor is a supply's status, a power redundancy
// sensor, or neither.
func (s Sensor) Kind() Kind {
	switch {
	case s.ReadingType == ReadingTypeRedundancy && (s.Type == SensorTypePowerUnit || s.Type == SensorTypePowerSupply ||
		s.EntityID == EntityPowerSupply || s.EntityID == EntityPowerUnit):
		return KindRedundancy
	case s.Type == SensorTypePowerSupply && (s.ReadingType == ReadingTypeSensorSpecific || s.ReadingType == ReadingTypePresence):
		return KindSupply
	case s.Type == SensorTypePowerUnit && s.ReadingType == ReadingTypeSensorSpecific:
		return KindPowerUnit
	}
	return KindOther
}

// Reading is a Get Sensor Reading response.
type Reading struct {
	// Unavailable is the "reading/state unavailable" bit: the BMC has no
	// reading (an update in progress, an empty bay on some BMCs).
	Unavailable bool `json:"unavailable,omitempty"`
	// ScanningDisabled is set when the sensor is not scanned: its states
	// mean nothing.
	ScanningDisabled bool `json:"scanning_disabled,omitempty"`
	// States are the asserted offsets (bit n = offset n, 0-14).
	States uint16 `json:"states"`
	// StatesKnown is false when the response carried no state bytes.
	StatesKnown bool `json:"-"`
}

// ParseReading parses a Get Sensor Reading response's data after the
// completion code: reading byte, flags byte, then optionally the states of
// offsets 0-7 and 8-14.
func ParseReading(data []byte) (Reading, error) {
	if len(data) < 2 {
		return Reading{}, fmt.Errorf("ipmi: sensor reading response is %d bytes, want at least 2", len(data))
	}
	r := Reading{ScanningDisabled: data[1]&0x40 == 0, Unavailable: data[1]&0x20 != 0}
	if len(data) > 2 {
		r.States, r.StatesKnown = uint16(data[2]), true
	}
	if len(data) > 3 {
		r.States |= uint16(data[3]&0x7f) << 8
	}
	return r, nil
}

// unreadable says why the reading has no states to decode, "" when it has.
func (r Reading) unreadable() string {
	switch {
	case r.ScanningDisabled:
		return "sensor scanning disabled: the BMC does not read this sensor"
	case r.Unavailable:
		return "reading unavailable (the BMC has no reading: an update in progress or an empty bay)"
	case !r.StatesKnown:
		return "the reading carries no state bits"
	}
	return ""
}

// Supply is what a supply's status sensor says.
type Supply struct {
	// Name is the sensor's name ("PS1 Status").
	Name string
	// Slot is the bay number taken from the name ("PS1 Status", "Power
	// Supply 2", "PSU 3") or else from the entity instance; "" when neither
	// says.
	Slot string
	// State is one of the State* constants.
	State string
	// Present is 1 present, 0 absent, -1 unknown.
	Present int
	// InputLost is set when an input-lost offset is asserted.
	InputLost bool
	// Reason is the asserted offsets in words, "; "-separated, or why the
	// state is unknown.
	Reason string
}

// Redundancy is what a power redundancy sensor says.
type Redundancy struct {
	Name string
	// State is one of the Redundancy* constants.
	State string
	// Message is the asserted offsets in words, or why the state is unknown.
	Message string
}

// words lists the names of the bits set in states.
func words(names [8]string, states uint16) []string {
	var out []string
	for i, n := range names {
		if states&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return out
}

// DecodeSupply decodes a supply status sensor's reading. Precedence when
// several offsets are asserted: failed (failure, configuration error) over
// input lost over predictive failure over standby over ok; the Reason lists
// every asserted offset. A sensor that can report presence (its reading
// mask has offset 0) and asserts nothing is an empty bay; one whose mask is
// not known and asserts nothing is ok ("no state asserted"): several BMCs
// do not implement the presence offset.
func DecodeSupply(s Sensor, r Reading) Supply {
	sup := Supply{Name: s.Name, Slot: Slot(s.Name, s.EntityInstance, s.EntityID == EntityPowerSupply), Present: -1}
	if why := r.unreadable(); why != "" {
		sup.State, sup.Reason = StateUnknown, why
		return sup
	}
	if s.ReadingType == ReadingTypePresence {
		switch {
		case r.States&0x2 != 0:
			sup.State, sup.Present, sup.Reason = StateOK, 1, "Device Present"
		case r.States&0x1 != 0:
			sup.State, sup.Present, sup.Reason = StateAbsent, 0, "Device Absent"
		default:
			sup.State, sup.Reason = StateUnknown, "no presence state asserted"
		}
		return sup
	}
	st := r.States & 0xff
	w := words(supplyOffsets, st)
	sup.Reason = strings.Join(w, "; ")
	switch {
	case st == 0 && s.MaskKnown && s.ReadingMask&0x1 != 0:
		sup.State, sup.Present, sup.Reason = StateAbsent, 0, "Presence not detected (empty bay)"
		return sup
	case st == 0:
		sup.State, sup.Reason = StateOK, "no state asserted"
		return sup
	}
	sup.Present = 1
	sup.InputLost = st&0x38 != 0
	switch {
	case st&0x42 != 0:
		sup.State = StateFailed
	case sup.InputLost:
		sup.State = StateInputLost
	case st&0x04 != 0:
		sup.State = StatePredictiveFailure
	case st&0x80 != 0:
		sup.State = StateStandby
	default:
		sup.State = StateOK
	}
	return sup
}

// setReading starts a set's state from a reading: the offsets 0-7 it
// asserts (st) in the words of names as the Message, and ok; or, when the
// reading has no states, unknown with the reason and ok false.
func setReading(s Sensor, r Reading, names [8]string) (red Redundancy, st uint16, ok bool) {
	red = Redundancy{Name: s.Name}
	if why := r.unreadable(); why != "" {
		red.State, red.Message = RedundancyUnknown, why
		return red, 0, false
	}
	st = r.States & 0xff
	red.Message = strings.Join(words(names, st), "; ")
	return red, st, true
}

// DecodeRedundancy decodes a redundancy sensor's reading. Several offsets
// asserted at once: the worst wins (insufficient, lost, non-redundant
// sufficient, degraded, full); the Message lists them all.
func DecodeRedundancy(s Sensor, r Reading) Redundancy {
	red, st, ok := setReading(s, r, redundancyOffsets)
	if !ok {
		return red
	}
	switch {
	case st&0x20 != 0:
		red.State = RedundancyNonRedundantInsufficient
	case st&0x02 != 0:
		red.State = RedundancyLost
	case st&0x18 != 0:
		red.State = RedundancyNonRedundantSufficient
	case st&0xc4 != 0:
		red.State = RedundancyDegraded
	case st&0x01 != 0:
		red.State = RedundancyFull
	default:
		red.State, red.Message = RedundancyUnknown, "no redundancy state asserted"
	}
	return red
}

// DecodePowerUnit decodes a Power Unit status sensor's reading (type 09h,
// offsets of table 42-3) into the power group's state, as a redundancy
// set's: the unit is every supply together, so what it asserts is said of
// the group. Worst first, several offsets asserted:
//
//   - 06h Power Unit Failure detected, 04h AC lost / Power input lost, and
//     the power-downs 00h (Power Off), 02h (240VA) and 03h (Interlock): the
//     unit does not deliver power, non-redundant with insufficient
//     resources (a BMC answering over LAN for a host it powered off);
//   - 05h Soft Power Control Failure and 07h Predictive Failure: degraded
//     (the unit still powers the host);
//
// 01h Power Cycle alone (an event, not a state) and nothing asserted say
// nothing about the group: ok is false. A reading that cannot be had is
// unknown, with the reason. The Message lists every asserted offset.
func DecodePowerUnit(s Sensor, r Reading) (red Redundancy, ok bool) {
	red, st, readable := setReading(s, r, powerUnitOffsets)
	if !readable {
		return red, true
	}
	switch {
	case st&0x5d != 0:
		red.State = RedundancyNonRedundantInsufficient
	case st&0xa0 != 0:
		red.State = RedundancyDegraded
	default:
		return red, false
	}
	return red, true
}

// Slot is a supply's bay number: the first run of digits in its sensor
// name ("PS1 Status" -> "1", "Power Supply 2" -> "2", "PSU3" -> "3"), else
// the entity instance when the sensor is on a power supply entity and the
// instance is not 0; "" when neither says. The instance is used without its
// device-relative bit (7).
func Slot(name string, instance uint8, onSupplyEntity bool) string {
	start := strings.IndexAny(name, "0123456789")
	if start >= 0 {
		end := start
		for end < len(name) && name[end] >= '0' && name[end] <= '9' {
			end++
		}
		if d := strings.TrimLeft(name[start:end], "0"); d != "" {
			return d
		}
		return "0"
	}
	if onSupplyEntity && instance&0x7f != 0 {
		return fmt.Sprint(instance & 0x7f)
	}
	return ""
}

// SupplySlot is the bay number of a supply named like one ("PS1", "PSU 2",
// "Power Supply 3", "PWS4"), "" for any other name (an ACPI adapter "AC",
// "ADP1", a battery): sysfs and hwmon name their supplies freely, and only
// a supply name says which bay it is.
func SupplySlot(name string) string {
	if m := supplySlotName.FindStringSubmatch(name); m != nil {
		return Slot(m[1], 0, false)
	}
	return ""
}
