package collectors

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sync"
	"time"

	"github.com/redwatch/redwatch/internal/clock"
	"github.com/redwatch/redwatch/internal/hostfs"
	"github.com/redwatch/redwatch/lldp"
)

// LLDP sources: where the neighbours of a pass were read.
const (
	// LLDPSourceLLDPD is lldpd's neighbours, from `lldpcli -f json0 show
	// neighbors details` over its control socket.
	LLDPSourceLLDPD = "lldpd"
	// LLDPSourceCapture is a captured tree's lldp/neighbors.json.
	LLDPSourceCapture = "capture"
	// LLDPSourceReceiver is the daemon's built-in receiver (lldpd does not
	// run): what it heard on raw packet sockets, each entry until its TTL.
	LLDPSourceReceiver = "receiver"
	// LLDPSourceNone is a live host where lldpd does not run and no
	// receiver listens (the one-shot audit): no neighbour is learned yet.
	LLDPSourceNone = "none"
)

// LLDPReceiver is the daemon's built-in LLDP receiver (lldprecv.Receiver)
// as the lldp source uses it.
type LLDPReceiver interface {
	// Listen makes it listen on exactly these interfaces and returns the
	// state of each.
	Listen(ifaces []string) []lldp.Port
	// Neighbors returns what it heard whose TTL has not run out.
	Neighbors() []lldp.Neighbor
}

// LLDPCapturePath is where a captured tree holds lldpcli's json0 output,
// relative to the tree (`audit --root T` reads T/lldp/neighbors.json).
const LLDPCapturePath = "lldp/neighbors.json"

// lldpdSockets are lldpd's control sockets, in the order they are tried.
var lldpdSockets = []string{"/run/lldpd.socket", "/var/run/lldpd.socket"}

// lldpTimeout bounds one lldpcli run.
const lldpTimeout = 5 * time.Second

// maxLLDPOutput bounds lldpcli's output (a switch port with hundreds of
// neighbours is well under it).
const maxLLDPOutput = 4 << 20

// LLDP is what the LLDP source read: the neighbours per local interface.
type LLDP struct {
	// Source is where they were read: "lldpd", "receiver", "capture" or
	// "none" (a live host without lldpd or receiver: nothing learned, which
	// is not "no neighbour").
	Source string `json:"source"`
	// Neighbors are the neighbours announced on each local interface
	// (lldpcli json0, the receiver's cache, or T/lldp/neighbors.json in a
	// tree).
	Neighbors []lldp.Neighbor `json:"neighbors"`
	// Ports are the receiver's interfaces (source "receiver"): since when
	// it listens on each, or why it cannot.
	Ports []lldp.Port `json:"ports,omitempty"`
	// Since is, per local interface, since when this source can have heard
	// its neighbour: the later of the daemon's first pass, the interface's
	// last coming up (<sys>/class/net/<ifc>/operstate) and, for the
	// receiver, its socket opening. Only a daemon knows it; nil in a
	// one-shot audit and in a tree.
	Since map[string]time.Time `json:"since,omitempty"`
}

// HeardSince returns since when the source can have heard the neighbour of
// ifc (see Since), ok false when that is not known.
func (l *LLDP) HeardSince(ifc string) (time.Time, bool) {
	if l == nil {
		return time.Time{}, false
	}
	t, ok := l.Since[ifc]
	return t, ok
}

// PortOf returns the receiver's state on ifc, nil when it has none.
func (l *LLDP) PortOf(ifc string) *lldp.Port {
	if l == nil {
		return nil
	}
	for i := range l.Ports {
		if l.Ports[i].Interface == ifc {
			return &l.Ports[i]
		}
	}
	return nil
}

// NeighborsOf returns the neighbours announced on the local interface ifc.
func (l *LLDP) NeighborsOf(ifc string) []lldp.Neighbor {
	if l == nil {
		return nil
	}
	var out []lldp.Neighbor
	for _, n := range l.Neighbors {
		if n.Interface == ifc {
			out = append(out, n)
		}
	}
	return out
}

// LLDPOptions build the daemon's lldp source (NewLLDPSource).
type LLDPOptions struct {
	// Receiver is the built-in receiver used on a live host when lldpd does
	// not run; nil means none (source "none").
	Receiver LLDPReceiver
	// Clock stamps when an interface was first seen up; nil means the wall
	// clock.
	Clock clock.Clock
	// Interfaces lists the local interfaces to watch and whether each is up;
	// nil means the physical NICs and bond slaves of <sys>/class/net
	// (LLDPInterfaces). Tests whose interfaces live in another network
	// namespace give their own.
	Interfaces func(r Roots) ([]LLDPInterface, error)
	// Sockets are lldpd's control sockets; nil means /run/lldpd.socket and
	// /var/run/lldpd.socket.
	Sockets []string
}

// LLDPInterface is a local interface the lldp source watches.
type LLDPInterface struct {
	Name string
	// Up is <sys>/class/net/<name>/operstate "up".
	Up bool
}

// NewLLDPSource returns the lldp source of a daemon: it remembers since when
// each interface can have been heard (LLDP.Since) across passes, and uses
// the receiver where lldpd does not run. Sources() has the one-shot source,
// which does neither.
func NewLLDPSource(o LLDPOptions) Source {
	clk := o.Clock
	if clk == nil {
		clk = clock.Real{}
	}
	return lldpSource{sockets: o.Sockets, receiver: o.Receiver, interfaces: o.Interfaces,
		watch: &lldpWatch{clock: clk, upSince: map[string]time.Time{}}}
}

// lldpSource reads the LLDP neighbours: lldpd's on a live host (or the
// receiver's), the captured json0 file in a tree.
type lldpSource struct {
	// sockets are lldpd's control sockets; nil means lldpdSockets.
	sockets []string
	// program is lldpcli's name or path; "" means "lldpcli".
	program string
	// receiver is the daemon's built-in receiver, nil in a one-shot audit.
	receiver LLDPReceiver
	// interfaces lists the interfaces to watch; nil means LLDPInterfaces.
	interfaces func(r Roots) ([]LLDPInterface, error)
	// watch keeps since when each interface is up, across a daemon's
	// passes; nil in a one-shot audit.
	watch *lldpWatch
}

// lldpWatch remembers since when each watched interface is up.
type lldpWatch struct {
	clock   clock.Clock
	mu      sync.Mutex
	upSince map[string]time.Time
}

// update records the interfaces' state of this pass and returns, per
// interface up, since when it is up: since the first pass that saw it up
// after it was down (or the daemon's first pass).
func (w *lldpWatch) update(ifs []LLDPInterface) map[string]time.Time {
	now := w.clock.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	seen := map[string]bool{}
	out := map[string]time.Time{}
	for _, ifc := range ifs {
		if !ifc.Up {
			continue
		}
		seen[ifc.Name] = true
		t, ok := w.upSince[ifc.Name]
		if !ok {
			t = now
			w.upSince[ifc.Name] = t
		}
		out[ifc.Name] = t
	}
	for name := range w.upSince {
		if !seen[name] {
			delete(w.upSince, name)
		}
	}
	return out
}

func (lldpSource) Name() string { return "lldp" }

func (src lldpSource) Collect(ctx context.Context, r Roots) (Part, error) {
	l, err := src.collect(ctx, r)
	var errs []Error
	if err != nil {
		var e Error
		if !errors.As(err, &e) {
			e = Error{Collector: "lldp", Err: err}
		}
		errs = append(errs, e)
	}
	return Part{Set: func(s *Snapshot) { s.LLDP = l }, Errors: errs}, nil
}

// collect reads the neighbours. In a tree, an absent lldp/neighbors.json is
// no LLDP data (nil, no error: absent hardware); on a live host without an
// lldpd socket it is the receiver's, or Source "none" without one.
func (src lldpSource) collect(ctx context.Context, r Roots) (*LLDP, error) {
	if !r.Live {
		if r.Sys == "" {
			return nil, nil
		}
		data, path, err := readToolCapture(r, LLDPCapturePath, maxLLDPOutput)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		if err != nil {
			return nil, hostfs.New("lldp", path, err)
		}
		ns, err := lldp.ParseJSON0(data)
		if err != nil {
			return nil, hostfs.New("lldp", path, err)
		}
		return &LLDP{Source: LLDPSourceCapture, Neighbors: ns}, nil
	}
	var ifs []LLDPInterface
	var since map[string]time.Time
	if src.watch != nil {
		list := src.interfaces
		if list == nil {
			list = LLDPInterfaces
		}
		var err error
		if ifs, err = list(r); err != nil {
			return nil, err
		}
		since = src.watch.update(ifs)
	}
	sockets := src.sockets
	if sockets == nil {
		sockets = lldpdSockets
	}
	for _, sock := range sockets {
		if _, err := hostfs.Stat(sock); err != nil {
			continue
		}
		if src.receiver != nil {
			src.receiver.Listen(nil) // lldpd hears them: the receiver need not
		}
		out, err := src.run(ctx, sock)
		if err != nil {
			return nil, hostfs.New("lldp", sock, err)
		}
		ns, err := lldp.ParseJSON0(out)
		if err != nil {
			return nil, hostfs.New("lldp", sock, err)
		}
		return &LLDP{Source: LLDPSourceLLDPD, Neighbors: ns, Since: since}, nil
	}
	if src.receiver == nil {
		return &LLDP{Source: LLDPSourceNone}, nil
	}
	names := make([]string, len(ifs))
	for i, ifc := range ifs {
		names[i] = ifc.Name
	}
	ports := src.receiver.Listen(names)
	for _, p := range ports {
		if t, ok := since[p.Interface]; ok {
			if p.Since.IsZero() {
				delete(since, p.Interface) // not listening: never heard
			} else if p.Since.After(t) {
				since[p.Interface] = p.Since
			}
		}
	}
	ns := src.receiver.Neighbors()
	if data, err := lldp.FormatJSON0(ns); err == nil {
		hostfs.RecordOutput(LLDPCapturePath, data) // a capture of a daemon's host keeps them
	}
	return &LLDP{Source: LLDPSourceReceiver, Neighbors: ns, Ports: ports, Since: since}, nil
}

// LLDPInterfaces lists the interfaces of <sys>/class/net an LLDP neighbour
// can be heard on: the physical NICs (a device link) and the bond slaves
// (a bonding_slave directory, which a veth or a VM's virtio NIC in a bond
// has too), each with whether its operstate is "up". A missing class/net
// is no interface.
func LLDPInterfaces(r Roots) ([]LLDPInterface, error) {
	dir := filepath.Join(r.Sys, "class", "net")
	ents, err := hostfs.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, hostfs.New("lldp", dir, err)
	}
	var out []LLDPInterface
	for _, e := range ents {
		name := e.Name()
		if name == "bonding_masters" {
			continue
		}
		p := filepath.Join(dir, name)
		_, errDev := hostfs.Lstat(filepath.Join(p, "device"))
		_, errSlave := hostfs.Stat(filepath.Join(p, "bonding_slave"))
		if errDev != nil && errSlave != nil {
			continue
		}
		b, _ := hostfs.ReadAttr(filepath.Join(p, "operstate"))
		out = append(out, LLDPInterface{Name: name, Up: string(bytes.TrimSpace(b)) == "up"})
	}
	return out, nil
}

// run runs lldpcli against the socket, bounded in time and output, and
// records its output for `redwatch capture`.
func (src lldpSource) run(ctx context.Context, sock string) ([]byte, error) {
	prog := src.program
	if prog == "" {
		prog = "lldpcli"
	}
	out, err := toolCmd{prog: prog, args: []string{"-u", sock, "-f", "json0", "show", "neighbors", "details"},
		timeout: lldpTimeout, maxOutput: maxLLDPOutput, record: LLDPCapturePath}.run(ctx)
	if err != nil {
		return nil, fmt.Errorf("lldpcli: %w", err)
	}
	return out, nil
}

// SourcesWithLLDP returns Sources() with the lldp source replaced by src
// (a daemon's NewLLDPSource).
func SourcesWithLLDP(src Source) []Source {
	list := Sources()
	for i, s := range list {
		if s.Name() == "lldp" {
			list[i] = src
		}
	}
	return list
}
