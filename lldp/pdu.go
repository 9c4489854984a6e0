package lldp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
)

// LLDPDU TLV types (IEEE 802.1AB-2016 clause 8.4).
const (
	tlvEnd        = 0
	tlvChassisID  = 1
	tlvPortID     = 2
	tlvTTL        = 3
	tlvPortDescr  = 4
	tlvSystemName = 5
	tlvMgmtAddr   = 8
)

// chassisSubtypes and portSubtypes name the ID subtypes (802.1AB tables 8-2
// and 8-3) as lldpd names them in its json0 output, so that an ID decoded
// here equals the one lldpcli prints.
var (
	chassisSubtypes = map[byte]string{1: "chassis-component", 2: "ifalias", 3: "port-component", 4: "mac", 5: "ip", 6: "ifname", 7: "local"}
	portSubtypes    = map[byte]string{1: "ifalias", 2: "port-component", 3: "mac", 4: "ip", 5: "ifname", 6: "agent-circuit-id", 7: "local"}
)

// DecodePDU decodes one LLDPDU (the Ethernet payload of EtherType 0x88cc)
// into the Neighbor it announces. The chassis ID, port ID and TTL TLVs must
// come first in that order, each at most once; the End TLV ends the PDU (a
// PDU that runs out without one is accepted, as lldpd does). A TLV whose
// length runs past the data, or that is too short or too long for its type,
// is an error naming its offset.
func DecodePDU(b []byte) (Neighbor, error) {
	var n Neighbor
	i := 0 // the index of the TLV at off
	for off := 0; off < len(b); i++ {
		if len(b)-off < 2 {
			return n, fmt.Errorf("lldp: tlv at offset %d: truncated header", off)
		}
		h := binary.BigEndian.Uint16(b[off:])
		typ, l := int(h>>9), int(h&0x1ff)
		if off+2+l > len(b) {
			return n, fmt.Errorf("lldp: tlv type %d at offset %d: length %d runs past the %d-byte pdu", typ, off, l, len(b))
		}
		v := b[off+2 : off+2+l]
		if i < 3 && typ != i+1 {
			return n, fmt.Errorf("lldp: tlv at offset %d: type %d where the mandatory type %d must be", off, typ, i+1)
		}
		if i >= 3 && typ >= tlvChassisID && typ <= tlvTTL {
			return n, fmt.Errorf("lldp: tlv at offset %d: mandatory type %d repeated", off, typ)
		}
		var err error
		switch typ {
		case tlvEnd:
			if l != 0 {
				return n, fmt.Errorf("lldp: end tlv at offset %d: length %d, want 0", off, l)
			}
			return n, nil
		case tlvChassisID:
			n.Chassis, err = decodeID(v, chassisSubtypes, 4, 5)
		case tlvPortID:
			n.Port, err = decodeID(v, portSubtypes, 3, 4)
		case tlvTTL:
			if l != 2 {
				err = fmt.Errorf("length %d, want 2", l)
			} else {
				n.TTL = int(binary.BigEndian.Uint16(v))
			}
		case tlvPortDescr:
			n.PortDescription = string(v)
		case tlvSystemName:
			n.SystemName = string(v)
		case tlvMgmtAddr:
			var a string
			if a, err = decodeMgmtAddr(v); err == nil {
				n.ManagementAddresses = append(n.ManagementAddresses, a)
			}
		}
		if err != nil {
			return n, fmt.Errorf("lldp: tlv type %d at offset %d: %w", typ, off, err)
		}
		off += 2 + l
	}
	if i < 3 {
		return n, fmt.Errorf("lldp: pdu of %d bytes ends before the chassis id, port id and ttl tlvs", len(b))
	}
	return n, nil
}

// decodeID decodes a chassis or port ID TLV value: a subtype byte and 1-255
// bytes of ID. macSub and addrSub are the subtypes of a MAC and of a network
// address.
func decodeID(v []byte, names map[byte]string, macSub, addrSub byte) (ID, error) {
	if len(v) < 2 || len(v) > 256 {
		return ID{}, fmt.Errorf("length %d, want 2-256", len(v))
	}
	name, ok := names[v[0]]
	if !ok {
		return ID{}, fmt.Errorf("reserved id subtype %d", v[0])
	}
	id := ID{Subtype: name}
	switch v[0] {
	case macSub:
		if len(v) != 7 {
			return ID{}, fmt.Errorf("mac id of %d bytes, want 6", len(v)-1)
		}
		id.Value = net.HardwareAddr(v[1:]).String()
	case addrSub:
		a, err := decodeAddr(v[1:])
		if err != nil {
			return ID{}, err
		}
		id.Value = a
	default:
		id.Value = printable(v[1:])
	}
	return id, nil
}

// decodeAddr decodes an IANA address family byte and the address.
func decodeAddr(v []byte) (string, error) {
	if len(v) < 1 {
		return "", errors.New("empty network address")
	}
	a, ok := netip.AddrFromSlice(v[1:])
	switch {
	case v[0] == 1 && ok && a.Is4(), v[0] == 2 && ok && a.Is6():
		return a.String(), nil
	case v[0] == 6 && len(v) == 7: // 802 MAC
		return net.HardwareAddr(v[1:]).String(), nil
	}
	return "", fmt.Errorf("network address of family %d and %d bytes", v[0], len(v)-1)
}

// decodeMgmtAddr decodes a management address TLV value (802.1AB 8.5.9):
// address string length (2-32, counting the family byte), family, address,
// interface numbering subtype, interface number, OID length, OID.
func decodeMgmtAddr(v []byte) (string, error) {
	if len(v) < 9 || len(v) > 167 {
		return "", fmt.Errorf("length %d, want 9-167", len(v))
	}
	al := int(v[0])
	if al < 2 || al > 32 || 1+al+5+1 > len(v) {
		return "", fmt.Errorf("address string length %d does not fit", al)
	}
	if oid := int(v[1+al+5]); 1+al+5+1+oid != len(v) {
		return "", fmt.Errorf("oid length %d does not fit", oid)
	}
	return decodeAddr(v[1 : 1+al])
}

// printable returns b as text with bytes outside printable ASCII escaped,
// so that an ID never carries control characters into output.
func printable(b []byte) string {
	var s strings.Builder
	for _, c := range b {
		if c >= 0x20 && c < 0x7f {
			s.WriteByte(c)
		} else {
			fmt.Fprintf(&s, "\\x%02x", c)
		}
	}
	return s.String()
}
