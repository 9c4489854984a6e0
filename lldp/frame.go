package lldp

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net"
)

// EtherType is LLDP's EtherType (802.1AB clause 7.2).
const EtherType = 0x88cc

// NearestBridge is the destination MAC of the LLDPDUs a switch sends to the
// stations cabled to it (the nearest bridge group address, 01:80:c2:00:00:0e):
// the multicast group a receiver joins.
var NearestBridge = net.HardwareAddr{0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e}

// DecodeFrame decodes one Ethernet frame carrying an LLDPDU, as a raw packet
// socket returns it (destination, source, an optional 802.1Q tag, the
// EtherType, the LLDPDU). A frame that is not LLDP (another EtherType) or
// not sent to an LLDP group address (01:80:c2:00:00:0e, :03 or :00) is an
// error; the LLDPDU is decoded by DecodePDU.
func DecodeFrame(f []byte) (Neighbor, error) {
	if len(f) < 14 {
		return Neighbor{}, fmt.Errorf("lldp: frame of %d bytes, shorter than an ethernet header", len(f))
	}
	if !bytes.Equal(f[:5], NearestBridge[:5]) || (f[5] != 0x0e && f[5] != 0x03 && f[5] != 0x00) {
		return Neighbor{}, fmt.Errorf("lldp: frame to %s, not an lldp group address", net.HardwareAddr(f[:6]))
	}
	off := 12
	et := binary.BigEndian.Uint16(f[off:])
	if et == 0x8100 { // one 802.1Q tag (a driver that does not strip it)
		if len(f) < 18 {
			return Neighbor{}, fmt.Errorf("lldp: tagged frame of %d bytes, shorter than its header", len(f))
		}
		off += 4
		et = binary.BigEndian.Uint16(f[off:])
	}
	if et != EtherType {
		return Neighbor{}, fmt.Errorf("lldp: frame of ethertype %#04x, not lldp", et)
	}
	return DecodePDU(f[off+2:])
}
