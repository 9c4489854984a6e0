package ipmi

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// SDR record types (IPMI v2.0 §43).
const (
	recordFull    = 0x01
	recordCompact = 0x02
	// headerLen is the SDR header: record ID (2), SDR version, record type,
	// record length.
	headerLen = 5
)

// ParseSDR parses one SDR record as Get SDR returns it (header included).
// A full (01h) or compact (02h) sensor record gives its Sensor and true; any
// other record type (event-only, FRU and MC locators, OEM) gives false and no
// error. A record shorter than its header says, or too short for its type's
// fixed fields, is an error.
func ParseSDR(rec []byte) (Sensor, bool, error) {
	if len(rec) < headerLen {
		return Sensor{}, false, fmt.Errorf("ipmi: SDR record is %d bytes, shorter than its 5-byte header", len(rec))
	}
	id := binary.LittleEndian.Uint16(rec[0:2])
	typ, n := rec[3], int(rec[4])
	if len(rec) < headerLen+n {
		return Sensor{}, false, fmt.Errorf("ipmi: SDR record %#04x: header says %d body bytes, %d present", id, n, len(rec)-headerLen)
	}
	rec = rec[:headerLen+n]
	var idAt int // offset of the ID string type/length byte
	switch typ {
	case recordFull:
		idAt = 47
	case recordCompact:
		idAt = 31
	default:
		return Sensor{}, false, nil
	}
	if len(rec) < 20 {
		return Sensor{}, false, fmt.Errorf("ipmi: SDR record %#04x (type %#02x) is %d bytes, too short for a sensor record", id, typ, len(rec))
	}
	s := Sensor{
		RecordID:       id,
		Owner:          rec[5],
		LUN:            rec[6] & 0x3,
		Number:         rec[7],
		EntityID:       rec[8],
		EntityInstance: rec[9],
		Type:           rec[12],
		ReadingType:    rec[13],
		ReadingMask:    binary.LittleEndian.Uint16(rec[18:20]) & 0x7fff,
		MaskKnown:      true,
	}
	s.Name = idString(rec, idAt)
	if s.Name == "" {
		s.Name = fmt.Sprintf("sensor %#02x", s.Number)
	}
	return s, true, nil
}

// idString decodes the ID string whose type/length byte is at rec[at]:
// 8-bit ASCII + Latin-1 (type 11b) as printable ASCII, other encodings as "".
// A string longer than the record is cut at its end.
func idString(rec []byte, at int) string {
	if at >= len(rec) {
		return ""
	}
	tl := rec[at]
	if tl>>6 != 0x3 {
		return ""
	}
	n := int(tl & 0x1f)
	b := rec[at+1:]
	if n < len(b) {
		b = b[:n]
	}
	return printable(string(b))
}

// printable keeps the printable ASCII of s, trimmed: a sensor name goes
// into messages, labels and JSON.
func printable(s string) string {
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x20 && c < 0x7f {
			sb.WriteByte(c)
		}
	}
	return strings.TrimSpace(sb.String())
}
