package collectors

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/redwatch/redwatch/internal/clock"
	"github.com/redwatch/redwatch/internal/hostfs"
	"github.com/redwatch/redwatch/lldp"
)

// lldpTwoLegs is lldpcli json0 of eth0 and eth1 on one switch (the corpus
// sample lldp/srv3_neighbors_json0.json's shape, trimmed; synthetic).
const lldpTwoLegs = `{"lldp":[{"interface":[
 {"name":"eth0","chassis":[{"id":[{"type":"mac","value":"a6:da:6f:9f:9f:f8"}],"name":[{"value":"sw-a"}]}],
  "port":[{"id":[{"type":"ifname","value":"swp1"}],"ttl":[{"value":"120"}]}]},
 {"name":"eth1","chassis":[{"id":[{"type":"mac","value":"a6:da:6f:9f:9f:f8"}],"name":[{"value":"sw-a"}]}],
  "port":[{"id":[{"type":"ifname","value":"swp2"}],"ttl":[{"value":"120"}]}]}]}]}`

func lldpTree(t *testing.T, content string) Roots {
	t.Helper()
	dir := t.TempDir()
	if content != "" {
		if err := os.MkdirAll(filepath.Join(dir, "lldp"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, LLDPCapturePath), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return TreeRoots(dir)
}

func TestLLDPTree(t *testing.T) {
	r := lldpTree(t, lldpTwoLegs)
	part, err := lldpSource{}.Collect(context.Background(), r)
	if err != nil || part.Errors != nil {
		t.Fatal(err, part.Errors)
	}
	var s Snapshot
	part.Set(&s)
	want := &LLDP{Source: LLDPSourceCapture, Neighbors: []lldp.Neighbor{
		{Interface: "eth0", Chassis: lldp.ID{Subtype: "mac", Value: "a6:da:6f:9f:9f:f8"}, SystemName: "sw-a", Port: lldp.ID{Subtype: "ifname", Value: "swp1"}, TTL: 120},
		{Interface: "eth1", Chassis: lldp.ID{Subtype: "mac", Value: "a6:da:6f:9f:9f:f8"}, SystemName: "sw-a", Port: lldp.ID{Subtype: "ifname", Value: "swp2"}, TTL: 120},
	}}
	if d := cmp.Diff(want, s.LLDP); d != "" {
		t.Errorf("LLDP (-want +got):\n%s", d)
	}
	if got := s.LLDP.NeighborsOf("eth1"); len(got) != 1 || got[0].Port.Value != "swp2" {
		t.Errorf("NeighborsOf(eth1) = %v", got)
	}
	if got := s.LLDP.NeighborsOf("eth2"); got != nil {
		t.Errorf("NeighborsOf(eth2) = %v, want none", got)
	}
}

// TestLLDPTreeAbsentOrBad: a tree without the file has no LLDP data and no
// error; a file that does not parse is an Error naming the file.
func TestLLDPTreeAbsentOrBad(t *testing.T) {
	part, _ := lldpSource{}.Collect(context.Background(), lldpTree(t, ""))
	var s Snapshot
	part.Set(&s)
	if s.LLDP != nil || part.Errors != nil {
		t.Errorf("absent file: LLDP %+v, errors %v; want nil, nil", s.LLDP, part.Errors)
	}
	r := lldpTree(t, `{"lldp":{"interface":{}}}`)
	part, _ = lldpSource{}.Collect(context.Background(), r)
	s = Snapshot{}
	part.Set(&s)
	path := filepath.Join(filepath.Dir(r.Sys), "lldp", "neighbors.json")
	if s.LLDP != nil || len(part.Errors) != 1 || part.Errors[0].Path != path || !strings.Contains(part.Errors[0].Error(), "lldp: json0") {
		t.Errorf("bad file: LLDP %+v, errors %v; want one error at %s", s.LLDP, part.Errors, path)
	}
}

// TestLLDPLiveNoLLDPD: a live host without lldpd's socket has learned
// nothing: Source "none", not an empty neighbour list from a source.
func TestLLDPLiveNoLLDPD(t *testing.T) {
	src := lldpSource{sockets: []string{filepath.Join(t.TempDir(), "lldpd.socket")}}
	l, err := src.collect(context.Background(), Roots{Live: true})
	if err != nil || l == nil || l.Source != LLDPSourceNone || l.Neighbors != nil {
		t.Errorf("collect = %+v, %v; want source none", l, err)
	}
}

// TestLLDPLiveBadProgram: lldpd's socket is there but lldpcli fails: an
// Error naming the socket, never "no neighbour".
func TestLLDPLiveBadProgram(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "lldpd.socket")
	if err := os.WriteFile(sock, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	src := lldpSource{sockets: []string{sock}, program: filepath.Join(t.TempDir(), "no-lldpcli")}
	l, err := src.collect(context.Background(), Roots{Live: true})
	var e Error
	if l != nil || !errors.As(err, &e) || e.Path != sock || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("collect = %+v, %v; want an error at %s", l, err, sock)
	}
}

// TestLLDPLive runs Debian's real lldpd in a network namespace of its own
// (only lo, so nothing is sent anywhere and no neighbour is learned) and
// reads it through its socket with the real lldpcli, recording the output
// for a capture.
func TestLLDPLive(t *testing.T) {
	_, errD := exec.LookPath("lldpd")
	_, errC := exec.LookPath("lldpcli")
	_, errU := exec.LookPath("unshare")
	if os.Geteuid() != 0 || errD != nil || errC != nil || errU != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("needs root, lldpd, lldpcli (scripts/deps-lldp.sh) and unshare: euid %d, %v, %v, %v", os.Geteuid(), errD, errC, errU)
		}
		t.Skipf("needs root, lldpd, lldpcli and unshare: euid %d, %v, %v, %v", os.Geteuid(), errD, errC, errU)
	}
	if err := os.MkdirAll("/run/lldpd", 0o755); err != nil { // lldpd's privilege-separation chroot
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "redwatch-lldp-") // not t.TempDir: its parent is 0700
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil { // lldpcli is setuid _lldpd: it must reach the socket
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "lldpd.socket")
	cmd := exec.Command("unshare", "--net", "lldpd", "-d", "-u", sock)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var l *LLDP
	rec := hostfs.StartRecording()
	defer rec.Stop()
	for ctx.Err() == nil { // polls until lldpd answers on its socket (it starts asynchronously)
		if l, err = (lldpSource{sockets: []string{sock}}).collect(ctx, Roots{Live: true}); err == nil && l.Source == LLDPSourceLLDPD {
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
	if err != nil || l == nil || l.Source != LLDPSourceLLDPD || len(l.Neighbors) != 0 {
		t.Fatalf("collect = %+v, %v; want lldpd's empty neighbour list", l, err)
	}
	outs := rec.Outputs()
	if len(outs) != 1 || outs[0].Name != LLDPCapturePath || !strings.Contains(string(outs[0].Data), `"lldp"`) {
		t.Errorf("recorded outputs %+v, want lldpcli's json0 as %s", outs, LLDPCapturePath)
	}
}

// fakeReceiver stands in for lldprecv.Receiver (a fake: the real one needs
// raw sockets; internal/lldprecv's netns test runs it against real lldpd).
type fakeReceiver struct {
	listened []string
	ports    []lldp.Port
	heard    []lldp.Neighbor
}

func (f *fakeReceiver) Listen(ifaces []string) []lldp.Port {
	f.listened = ifaces
	return f.ports
}

func (f *fakeReceiver) Neighbors() []lldp.Neighbor { return f.heard }

// TestLLDPReceiverSource: without lldpd the daemon's source tells the
// receiver the physical NICs and bond slaves of class/net, returns what it
// heard, records it for a capture, and keeps since when each interface is
// up across passes (a link that goes down and up starts again).
func TestLLDPReceiverSource(t *testing.T) {
	dir := t.TempDir()
	sys := filepath.Join(dir, "sys")
	for name, files := range map[string][]string{
		"eth0": {"device/vendor", "operstate=up"},
		"eth1": {"bonding_slave/state", "operstate=up"},
		"lo":   {"operstate=unknown"},
	} {
		for _, f := range files {
			p, content, _ := strings.Cut(f, "=")
			full := filepath.Join(sys, "class", "net", name, p)
			if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(full, []byte(content+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	setOper := func(name, state string) {
		if err := os.WriteFile(filepath.Join(sys, "class", "net", name, "operstate"), []byte(state+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clk := clock.NewFake(t0)
	heard := lldp.Neighbor{Interface: "eth0", Chassis: lldp.ID{Subtype: "local", Value: "sw-a"}, Port: lldp.ID{Subtype: "ifname", Value: "p0"}, TTL: 4}
	recv := &fakeReceiver{ports: []lldp.Port{{Interface: "eth0", Since: t0.Add(time.Second)}, {Interface: "eth1", Error: "no CAP_NET_RAW"}}, heard: []lldp.Neighbor{heard}}
	src := NewLLDPSource(LLDPOptions{Receiver: recv, Clock: clk, Sockets: []string{filepath.Join(dir, "no.socket")}})
	r := Roots{Live: true, Sys: sys}
	collect := func() *LLDP {
		t.Helper()
		part, err := src.Collect(context.Background(), r)
		if err != nil || part.Errors != nil {
			t.Fatal(err, part.Errors)
		}
		var s Snapshot
		part.Set(&s)
		return s.LLDP
	}
	rec := hostfs.StartRecording()
	l := collect()
	outs := rec.Outputs()
	rec.Stop()
	if strings.Join(recv.listened, ",") != "eth0,eth1" {
		t.Errorf("listened on %v, want eth0, eth1 (not lo)", recv.listened)
	}
	// eth0 listens since after it came up: that counts; eth1 cannot listen: no Since.
	want := &LLDP{Source: LLDPSourceReceiver, Neighbors: []lldp.Neighbor{heard}, Ports: recv.ports, Since: map[string]time.Time{"eth0": t0.Add(time.Second)}}
	if d := cmp.Diff(want, l); d != "" {
		t.Errorf("first pass (-want +got):\n%s", d)
	}
	if len(outs) != 1 || outs[0].Name != LLDPCapturePath {
		t.Fatalf("recorded %+v, want the neighbours as %s", outs, LLDPCapturePath)
	}
	if back, err := lldp.ParseJSON0(outs[0].Data); err != nil || len(back) != 1 || !cmp.Equal(back[0], heard) {
		t.Errorf("recorded neighbours read back as %+v, %v", back, err)
	}
	recv.ports = []lldp.Port{{Interface: "eth0", Since: t0}, {Interface: "eth1", Since: t0}}
	clk.Add(time.Minute)
	if l := collect(); !l.Since["eth0"].Equal(t0) || !l.Since["eth1"].Equal(t0) {
		t.Errorf("a minute on: since %v, want both since the first pass", l.Since)
	}
	setOper("eth1", "down")
	clk.Add(time.Minute)
	if l := collect(); len(l.Since) != 1 {
		t.Errorf("eth1 down: since %v, want eth0 only", l.Since)
	}
	setOper("eth1", "up")
	clk.Add(time.Minute)
	if l := collect(); !l.Since["eth1"].Equal(t0.Add(3 * time.Minute)) {
		t.Errorf("eth1 up again: since %v, want the pass that saw it up", l.Since)
	}
}
