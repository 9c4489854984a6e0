//go:build linux

package lldprecv

import (
	"errors"
	"fmt"
	"net"
	"os"

	"golang.org/x/sys/unix"

	"github.com/redwatch/redwatch/lldp"
)

// errNetDown is what a packet socket's read returns once after its link went down.
var errNetDown error = unix.ENETDOWN

// htons converts a 16-bit value to network byte order for the socket calls.
func htons(v uint16) uint16 { return v<<8 | v>>8 }

// openPacket opens a listen-only raw packet socket on the interface: created
// with protocol 0 (it receives nothing until bound, so no frame of another
// interface slips in), bound to the interface and LLDP's EtherType, joined to
// the nearest bridge group address, ignoring the host's own outgoing frames,
// non-blocking so that reads go through the runtime poller and Close ends a
// pending read.
func openPacket(ifname string) (*os.File, error) {
	ifi, err := net.InterfaceByName(ifname)
	if err != nil {
		return nil, fmt.Errorf("lldprecv: %w", err)
	}
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if errors.Is(err, unix.EAFNOSUPPORT) {
		return nil, fmt.Errorf("lldprecv: raw packet socket for %s: %w (AF_PACKET is not allowed: the unit's RestrictAddressFamilies; see docs/lldp.md)", ifname, err)
	}
	if err != nil {
		return nil, fmt.Errorf("lldprecv: raw packet socket for %s: %w", ifname, err)
	}
	fail := func(what string, err error) (*os.File, error) {
		_ = unix.Close(fd)
		return nil, fmt.Errorf("lldprecv: %s on %s: %w", what, ifname, err)
	}
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(lldp.EtherType), Ifindex: ifi.Index}); err != nil {
		return fail("bind", err)
	}
	mreq := unix.PacketMreq{Ifindex: int32(ifi.Index), Type: unix.PACKET_MR_MULTICAST, Alen: 6}
	copy(mreq.Address[:], lldp.NearestBridge)
	if err := unix.SetsockoptPacketMreq(fd, unix.SOL_PACKET, unix.PACKET_ADD_MEMBERSHIP, &mreq); err != nil {
		return fail("join 01:80:c2:00:00:0e", err)
	}
	// Best effort (Linux 4.20+): an older kernel also shows the frames the
	// host sends, which only lldpd would, and then this receiver is not used.
	_ = unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_IGNORE_OUTGOING, 1)
	return os.NewFile(uintptr(fd), "packet:"+ifname), nil
}
