// Package lldprecv is redwatch's built-in listen-only LLDP receiver, for
// hosts where lldpd does not run: one raw AF_PACKET socket per local
// interface, bound to LLDP's EtherType and joined to the nearest bridge
// group address (01:80:c2:00:00:0e), each LLDPDU decoded by lldp.DecodeFrame
// into a neighbour cache whose entries expire after their TTL. It never
// sends. The daemon owns one for its life; the one-shot audit, which cannot
// wait for the next LLDPDU (about 30 s), never starts one.
//
// Opening a raw packet socket needs CAP_NET_RAW; without it every interface
// reports the error (lldp.Port.Error) and nothing is learned.
package lldprecv

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/redwatch/redwatch/internal/clock"
	"github.com/redwatch/redwatch/lldp"
)

// maxFrame bounds one frame read (a jumbo frame; an LLDPDU is at most 1500
// bytes).
const maxFrame = 9216

// Receiver listens for LLDPDUs on the interfaces it is told to (Listen).
// Its zero value is not usable; build it with New. It is safe for
// concurrent use.
type Receiver struct {
	clock clock.Clock
	log   *slog.Logger
	open  func(ifname string) (*os.File, error)
	cache lldp.Cache

	mu     sync.Mutex
	ports  map[string]*port
	closed bool
	wg     sync.WaitGroup
}

// port is one interface listened on (or tried).
type port struct {
	st lldp.Port
	f  *os.File // nil when it could not be opened or the reader ended
}

// New returns a Receiver stamping what it hears with clk (nil: the wall
// clock) and logging to log (nil: slog.Default()).
func New(clk clock.Clock, log *slog.Logger) *Receiver {
	if clk == nil {
		clk = clock.Real{}
	}
	if log == nil {
		log = slog.Default()
	}
	return &Receiver{clock: clk, log: log, open: openPacket, ports: map[string]*port{}}
}

// Listen makes the receiver listen on exactly the interfaces ifaces: it
// opens a socket on each new one (and retries one that could not be opened
// before or whose reader ended), closes the ones no longer named and forgets
// their neighbours. It returns the state of each interface, sorted by name.
func (r *Receiver) Listen(ifaces []string) []lldp.Port {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	want := map[string]bool{}
	for _, name := range ifaces {
		want[name] = true
	}
	for name, p := range r.ports {
		if !want[name] {
			r.stop(p)
			delete(r.ports, name)
			r.cache.Forget(name)
		}
	}
	for name := range want {
		p := r.ports[name]
		if p != nil && p.f != nil {
			continue
		}
		if p == nil {
			p = &port{st: lldp.Port{Interface: name}}
			r.ports[name] = p
		}
		r.start(p)
	}
	return r.portsLocked()
}

// start opens p's socket and starts its reader; a failure is kept in p.st.Error
// and logged when it is new.
func (r *Receiver) start(p *port) {
	name := p.st.Interface
	f, err := r.open(name)
	if err != nil {
		msg := err.Error()
		if errors.Is(err, os.ErrPermission) {
			msg += " (a raw packet socket needs CAP_NET_RAW: see docs/lldp.md)"
		}
		if msg != p.st.Error {
			r.log.Warn("lldp receiver cannot listen", "interface", name, "err", msg)
		}
		p.st.Error, p.st.Since = msg, time.Time{}
		return
	}
	p.f = f
	p.st.Error, p.st.Since = "", r.clock.Now()
	r.log.Debug("lldp receiver listening", "interface", name)
	r.wg.Add(1)
	go r.read(p, f)
}

// stop closes p's socket; its reader sees the file closed and ends (Close
// waits for the readers).
func (r *Receiver) stop(p *port) {
	if p.f != nil {
		_ = p.f.Close()
		p.f = nil
	}
}

// read reads frames from f until it is closed or fails.
func (r *Receiver) read(p *port, f *os.File) {
	defer r.wg.Done()
	name := p.st.Interface
	buf := make([]byte, maxFrame)
	for {
		n, err := f.Read(buf)
		if err != nil {
			if errors.Is(err, os.ErrClosed) {
				return
			}
			if errors.Is(err, errNetDown) {
				continue // the link went down: frames come again once it is up
			}
			r.mu.Lock()
			if p.f == f { // not closed meanwhile: Listen reopens it next time
				_ = f.Close()
				p.f = nil
				p.st.Error = fmt.Sprintf("lldprecv: read %s: %v", name, err)
				p.st.Since = time.Time{}
			}
			r.mu.Unlock()
			r.log.Warn("lldp receiver stopped listening", "interface", name, "err", err)
			return
		}
		nb, err := lldp.DecodeFrame(buf[:n])
		r.mu.Lock()
		if err != nil {
			p.st.Invalid++
			p.st.LastInvalid = err.Error()
		} else {
			p.st.Frames++
		}
		r.mu.Unlock()
		if err == nil {
			r.cache.Update(name, nb, r.clock.Now())
		}
	}
}

// Neighbors returns the neighbours heard on the interfaces listened on whose
// TTL has not run out, sorted by interface, chassis and port.
func (r *Receiver) Neighbors() []lldp.Neighbor {
	ns := r.cache.Neighbors(r.clock.Now())
	r.mu.Lock()
	defer r.mu.Unlock()
	// A reader that was busy with a frame when its interface was dropped
	// may have added it after Forget.
	return slices.DeleteFunc(ns, func(n lldp.Neighbor) bool { return r.ports[n.Interface] == nil })
}

// Ports returns the state of each interface listened on (or tried), sorted
// by name.
func (r *Receiver) Ports() []lldp.Port {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.portsLocked()
}

func (r *Receiver) portsLocked() []lldp.Port {
	out := make([]lldp.Port, 0, len(r.ports))
	for _, p := range r.ports {
		out = append(out, p.st)
	}
	slices.SortFunc(out, func(a, b lldp.Port) int {
		switch {
		case a.Interface < b.Interface:
			return -1
		case a.Interface > b.Interface:
			return 1
		}
		return 0
	})
	return out
}

// Close closes every socket and waits for the readers; the receiver hears
// nothing more and Listen does nothing.
func (r *Receiver) Close() {
	r.mu.Lock()
	r.closed = true
	for _, p := range r.ports {
		r.stop(p)
	}
	r.mu.Unlock()
	r.wg.Wait()
}
