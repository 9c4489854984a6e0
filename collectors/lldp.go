package collectors

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os/exec"
	"path/filepath"
	"time"

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
	// LLDPSourceNone is a live host where lldpd does not run: no neighbour
	// is learned yet (the built-in receiver is to come).
	LLDPSourceNone = "none"
)

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
	// Source is where they were read: "lldpd", "capture" or "none" (a live
	// host without lldpd: nothing learned, which is not "no neighbour").
	Source string `json:"source"`
	// Neighbors are the neighbours announced on each local interface
	// (lldpcli json0, or T/lldp/neighbors.json in a tree).
	Neighbors []lldp.Neighbor `json:"neighbors"`
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

// lldpSource reads the LLDP neighbours: lldpd's on a live host, the
// captured json0 file in a tree.
type lldpSource struct {
	// sockets are lldpd's control sockets; nil means lldpdSockets.
	sockets []string
	// program is lldpcli's name or path; "" means "lldpcli".
	program string
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
// lldpd socket it is Source "none".
func (src lldpSource) collect(ctx context.Context, r Roots) (*LLDP, error) {
	if !r.Live {
		if r.Sys == "" {
			return nil, nil
		}
		path := filepath.Join(filepath.Dir(r.Sys), filepath.FromSlash(LLDPCapturePath))
		data, err := hostfs.ReadFile(path, maxLLDPOutput)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		if err != nil {
			return nil, hostfs.New("lldp", path, err)
		}
		hostfs.RecordOutput(LLDPCapturePath, data) // a capture of a tree keeps it
		ns, err := lldp.ParseJSON0(data)
		if err != nil {
			return nil, hostfs.New("lldp", path, err)
		}
		return &LLDP{Source: LLDPSourceCapture, Neighbors: ns}, nil
	}
	sockets := src.sockets
	if sockets == nil {
		sockets = lldpdSockets
	}
	for _, sock := range sockets {
		if _, err := hostfs.Stat(sock); err != nil {
			continue
		}
		out, err := src.run(ctx, sock)
		if err != nil {
			return nil, hostfs.New("lldp", sock, err)
		}
		hostfs.RecordOutput(LLDPCapturePath, out)
		ns, err := lldp.ParseJSON0(out)
		if err != nil {
			return nil, hostfs.New("lldp", sock, err)
		}
		return &LLDP{Source: LLDPSourceLLDPD, Neighbors: ns}, nil
	}
	return &LLDP{Source: LLDPSourceNone}, nil
}

// run runs lldpcli against the socket, bounded in time and output.
func (src lldpSource) run(ctx context.Context, sock string) ([]byte, error) {
	prog := src.program
	if prog == "" {
		prog = "lldpcli"
	}
	ctx, cancel := context.WithTimeout(ctx, lldpTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, prog, "-u", sock, "-f", "json0", "show", "neighbors", "details")
	var stdout, stderr limitedBuffer
	stdout.limit, stderr.limit = maxLLDPOutput, 4096
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	switch {
	case ctx.Err() != nil:
		return nil, fmt.Errorf("lldpcli: timed out after %s: %w", lldpTimeout, ctx.Err())
	case err != nil:
		return nil, fmt.Errorf("lldpcli: %w: %s", err, bytes.TrimSpace(stderr.Bytes()))
	case stdout.over:
		return nil, fmt.Errorf("lldpcli: output larger than %d bytes: %w", maxLLDPOutput, hostfs.ErrTooLarge)
	}
	return stdout.Bytes(), nil
}

// limitedBuffer keeps the first limit bytes written to it and notes that
// more came.
type limitedBuffer struct {
	bytes.Buffer
	limit int
	over  bool
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.limit - b.Len(); len(p) > room {
		b.over = true
		if room > 0 {
			b.Buffer.Write(p[:room])
		}
		return len(p), nil
	}
	return b.Buffer.Write(p)
}
