//go:build linux

package lldprecv

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/redwatch/redwatch/internal/clock"
	"github.com/redwatch/redwatch/lldp"
)

// frame is an Ethernet frame to 01:80:c2:00:00:0e carrying an LLDPDU from
// chassis "local:NAME", port "ifname:PORT", system name NAME, TTL ttl.
func frame(name, port string, ttl int) []byte {
	f := []byte{0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e, 2, 0, 0, 0, 0, 1, 0x88, 0xcc}
	t := func(typ int, v []byte) {
		f = append(f, byte(typ<<1|len(v)>>8), byte(len(v)))
		f = append(f, v...)
	}
	t(1, append([]byte{7}, name...))
	t(2, append([]byte{5}, port...))
	t(3, []byte{byte(ttl >> 8), byte(ttl)})
	t(5, []byte(name))
	t(0, nil)
	return f
}

// pipes is a fake socket opener: each interface gets a socket pair whose other end
// the test feeds frames into (a fake: a raw packet socket needs
// CAP_NET_RAW and a link; the netns test uses real ones).
type pipes struct {
	mu     sync.Mutex
	w      map[string]*os.File
	failed map[string]error
}

func (p *pipes) open(ifc string) (*os.File, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.failed[ifc]; err != nil {
		return nil, err
	}
	// SOCK_SEQPACKET keeps each write one read, as a packet socket does.
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	p.w[ifc] = os.NewFile(uintptr(fds[1]), ifc+"-feed")
	return os.NewFile(uintptr(fds[0]), ifc), nil
}

func (p *pipes) send(t *testing.T, ifc string, f []byte) {
	t.Helper()
	p.mu.Lock()
	w := p.w[ifc]
	p.mu.Unlock()
	if _, err := w.Write(f); err != nil {
		t.Fatal(err)
	}
}

// waitFrames waits (bounded) until the receiver has counted n frames on ifc:
// the reader runs in its own goroutine.
func waitFrames(t *testing.T, r *Receiver, ifc string, n uint64) lldp.Port {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		for _, p := range r.Ports() {
			if p.Interface == ifc && p.Frames+p.Invalid >= n {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: fewer than %d frames: %+v", ifc, n, r.Ports())
		}
		time.Sleep(time.Millisecond)
	}
}

func TestReceiver(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clk := clock.NewFake(t0)
	p := &pipes{w: map[string]*os.File{}, failed: map[string]error{
		"eth9": fmt.Errorf("lldprecv: raw packet socket for eth9: %w", os.ErrPermission),
	}}
	r := New(clk, slog.New(slog.NewTextHandler(io.Discard, nil)))
	r.open = p.open
	defer r.Close()

	ports := r.Listen([]string{"eth1", "eth0", "eth9"})
	if len(ports) != 3 || ports[0].Interface != "eth0" || !ports[0].Since.Equal(t0) || ports[0].Error != "" {
		t.Fatalf("ports %+v", ports)
	}
	if e := ports[2].Error; !strings.Contains(e, "CAP_NET_RAW") || !ports[2].Since.IsZero() {
		t.Errorf("eth9 without the capability: %+v, want an error naming CAP_NET_RAW", ports[2])
	}
	p.send(t, "eth0", frame("sw-a", "swp1", 8))
	p.send(t, "eth1", frame("sw-a", "swp2", 120))
	p.send(t, "eth1", []byte("not a frame at all"))
	waitFrames(t, r, "eth0", 1)
	if pt := waitFrames(t, r, "eth1", 2); pt.Frames != 1 || pt.Invalid != 1 || !strings.Contains(pt.LastInvalid, "not an lldp group address") {
		t.Errorf("eth1 counters %+v", pt)
	}
	ns := r.Neighbors()
	if len(ns) != 2 || ns[0].Interface != "eth0" || ns[0].SystemName != "sw-a" || ns[0].Port.Value != "swp1" || ns[1].Port.Value != "swp2" {
		t.Fatalf("neighbours %+v", ns)
	}
	clk.Add(8 * time.Second) // eth0's TTL runs out
	if ns := r.Neighbors(); len(ns) != 1 || ns[0].Interface != "eth1" {
		t.Errorf("after eth0's TTL: %+v", ns)
	}
	// eth1 is no longer listened on: its socket closed, its neighbour forgotten.
	r.Listen([]string{"eth0"})
	if ns := r.Neighbors(); len(ns) != 0 {
		t.Errorf("after dropping eth1: %+v", ns)
	}
	if _, err := p.w["eth1"].Write([]byte{1}); err == nil {
		t.Errorf("eth1's socket still open: write %v", err)
	}
}
