//go:build linux

package lldprecv_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/redwatch/redwatch/bonding"
	"github.com/redwatch/redwatch/collectors"
	"github.com/redwatch/redwatch/internal/clock"
	"github.com/redwatch/redwatch/internal/lldprecv"
	"github.com/redwatch/redwatch/lldp"
	"github.com/redwatch/redwatch/rules"
)

// needRealParts fails in CI and skips elsewhere when root, lldpd, lldpcli
// or ip are missing (scripts/deps-lldp.sh installs them).
func needRealParts(t *testing.T) {
	t.Helper()
	var missing []string
	for _, p := range []string{"lldpd", "lldpcli", "ip"} {
		if _, err := exec.LookPath(p); err != nil {
			missing = append(missing, p)
		}
	}
	if os.Geteuid() == 0 && missing == nil {
		return
	}
	msg := fmt.Sprintf("needs root (euid %d) and lldpd, lldpcli, ip (scripts/deps-lldp.sh); missing %v", os.Geteuid(), missing)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

func run(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// lab is three network namespaces: a server with s0, s1, s2 and two
// switches: s0 and s1 are cabled to sw-a (its p0, p1), s2 to sw-b (p2).
type lab struct {
	srv, swa, swb string
	dir           string
}

func newLab(t *testing.T) *lab {
	t.Helper()
	tag := fmt.Sprintf("rwlldp%d", os.Getpid())
	l := &lab{srv: tag + "srv", swa: tag + "swa", swb: tag + "swb"}
	var err error
	if l.dir, err = os.MkdirTemp("", "redwatch-lldp-netns-"); err != nil { // not t.TempDir: lldpcli (setuid _lldpd) must reach the sockets
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(l.dir) })
	if err := os.Chmod(l.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll("/run/lldpd", 0o755); err != nil { // lldpd's privilege-separation chroot
		t.Fatal(err)
	}
	for _, ns := range []string{l.srv, l.swa, l.swb} {
		run(t, "ip", "netns", "add", ns)
		t.Cleanup(func() { killNetns(ns); _ = exec.Command("ip", "netns", "del", ns).Run() })
		run(t, "ip", "-n", ns, "link", "set", "lo", "up")
	}
	for i, sw := range []string{l.swa, l.swa, l.swb} {
		s, p := fmt.Sprintf("s%d", i), fmt.Sprintf("p%d", i)
		run(t, "ip", "-n", l.srv, "link", "add", s, "type", "veth", "peer", "name", p, "netns", sw)
		run(t, "ip", "-n", l.srv, "link", "set", s, "up")
		run(t, "ip", "-n", sw, "link", "set", p, "up")
	}
	return l
}

// killNetns kills every process left in the namespace (by PID: lldpd's
// privilege-separated child too).
func killNetns(ns string) {
	out, _ := exec.Command("ip", "netns", "pids", ns).Output()
	for _, f := range strings.Fields(string(out)) {
		var pid int
		if _, err := fmt.Sscan(f, &pid); err == nil && pid > 1 && pid != os.Getpid() { // a thread of this test may be in ns
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// lldpd starts Debian's lldpd in the namespace ns as hostname name, sending
// every second with the port IDs as interface names, and returns its
// control socket and a stop function (SIGTERM: lldpd withdraws its
// neighbours with a shutdown LLDPDU; SIGKILL: it goes silent).
func (l *lab) lldpd(t *testing.T, ns, name string) (sock string, stop func(sig syscall.Signal)) {
	t.Helper()
	conf := filepath.Join(l.dir, name+".conf")
	sock = filepath.Join(l.dir, name+".socket")
	body := fmt.Sprintf("configure system hostname %s\nconfigure lldp tx-interval 1\nconfigure lldp portidsubtype ifname\n", name)
	if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("ip", "netns", "exec", ns, "lldpd", "-d", "-u", sock, "-O", conf)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop = func(sig syscall.Signal) {
		if stopped {
			return
		}
		stopped = true
		_ = syscall.Kill(-cmd.Process.Pid, sig)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
		if sig == syscall.SIGKILL {
			killNetns(ns) // whatever of it escaped the group
		}
	}
	t.Cleanup(func() {
		stop(syscall.SIGKILL)
		if t.Failed() {
			t.Logf("lldpd %s:\n%s", name, logs.String())
		}
	})
	return sock, stop
}

// inNetns runs f on a thread in the namespace ns: the sockets it opens
// stay in ns.
func inNetns(t *testing.T, ns string, f func()) {
	t.Helper()
	done := make(chan struct{})
	var err error
	go func() {
		defer close(done)
		runtime.LockOSThread() // never unlocked: the thread dies with the goroutine, not back in the pool in ns
		fd, e := unix.Open("/run/netns/"+ns, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if e != nil {
			err = e
			return
		}
		defer unix.Close(fd)
		if err = unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
			return
		}
		f()
	}()
	<-done
	if err != nil {
		t.Fatalf("enter netns %s: %v", ns, err)
	}
}

var legs = []collectors.LLDPInterface{{Name: "s0", Up: true}, {Name: "s1", Up: true}, {Name: "s2", Up: true}}

// collect runs the lldp source once in the server namespace.
func collect(t *testing.T, l *lab, src collectors.Source) *collectors.LLDP {
	t.Helper()
	var s collectors.Snapshot
	inNetns(t, l.srv, func() {
		part, err := src.Collect(context.Background(), collectors.Roots{Live: true, Sys: "/sys"})
		if err != nil || part.Errors != nil {
			t.Errorf("lldp source: %v %v", err, part.Errors)
			return
		}
		part.Set(&s)
	})
	return s.LLDP
}

// until runs the source until ok holds for what it read, waiting for real
// LLDPDUs (sent every second) with a deadline.
func until(t *testing.T, l *lab, src collectors.Source, what string, ok func(*collectors.LLDP) bool) *collectors.LLDP {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := collect(t, l, src)
		if got != nil && ok(got) {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 30 s; last %+v", what, got)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func byInterface(ns []lldp.Neighbor) map[string]lldp.Neighbor {
	m := map[string]lldp.Neighbor{}
	for _, n := range ns {
		m[n.Interface] = n
	}
	return m
}

func hasAll(l *collectors.LLDP, ifcs ...string) bool {
	m := byInterface(l.Neighbors)
	for _, i := range ifcs {
		if _, ok := m[i]; !ok {
			return false
		}
	}
	return true
}

// TestReceiverNetns: two "switches" (network namespaces running Debian's
// real lldpd as the sender, one per hostname) cabled to a server namespace
// with three veth pairs; the built-in receiver, driven by the daemon's lldp
// source in the server namespace, learns sw-a on s0 and s1 and sw-b on s2;
// bond_same_switch fires for a bond over s0+s1 and not for one over s0+s2;
// lldpd in the server namespace (the lldpd-socket path) sees the same
// neighbours; an entry expires on its TTL once sw-b's lldpd is killed (the
// clock is injected: no sleep lets time pass), and sw-a's lldpd stopping
// cleanly withdraws its neighbours at once (shutdown LLDPDU).
func TestReceiverNetns(t *testing.T) {
	needRealParts(t)
	l := newLab(t)
	_, stopA := l.lldpd(t, l.swa, "sw-a")
	_, stopB := l.lldpd(t, l.swb, "sw-b")

	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	recv := lldprecv.New(clk, slog.New(slog.NewTextHandler(io.Discard, nil)))
	defer recv.Close()
	interfaces := func(collectors.Roots) ([]collectors.LLDPInterface, error) { return legs, nil }
	src := collectors.NewLLDPSource(collectors.LLDPOptions{Receiver: recv, Clock: clk, Interfaces: interfaces,
		Sockets: []string{filepath.Join(l.dir, "no-lldpd.socket")}})

	got := until(t, l, src, "the receiver learns s0, s1, s2", func(g *collectors.LLDP) bool { return hasAll(g, "s0", "s1", "s2") })
	if got.Source != collectors.LLDPSourceReceiver || len(got.Ports) != 3 || got.Ports[0].Error != "" || len(got.Since) != 3 {
		t.Errorf("lldp %+v, want source receiver listening on 3 ports since the first pass", got)
	}
	m := byInterface(got.Neighbors)
	if len(got.Neighbors) != 3 {
		t.Errorf("neighbours %+v, want one per leg (not the host's own frames)", got.Neighbors)
	}
	for ifc, want := range map[string][2]string{"s0": {"sw-a", "p0"}, "s1": {"sw-a", "p1"}, "s2": {"sw-b", "p2"}} {
		n := m[ifc]
		if n.SystemName != want[0] || n.Port != (lldp.ID{Subtype: "ifname", Value: want[1]}) || n.Chassis.Value == "" || n.TTL <= 0 || n.TTL > 30 {
			t.Errorf("%s: %+v, want %s port ifname:%s with a short TTL", ifc, n, want[0], want[1])
		}
	}
	if m["s0"].Chassis != m["s1"].Chassis || m["s0"].Chassis == m["s2"].Chassis {
		t.Errorf("chassis s0 %v, s1 %v, s2 %v: want s0 = s1 != s2", m["s0"].Chassis, m["s1"].Chassis, m["s2"].Chassis)
	}

	// The SPOF rule over the neighbours learned: the kernel here has no
	// bonding (CONFIG_BONDING unset), so the bonds are facts made up over
	// the real legs; the lab guest runs real bonds.
	res := rules.Evaluate(&collectors.Snapshot{LLDP: got, Bonds: []bonding.Bond{bond("bond-one", "s0", "s1"), bond("bond-two", "s0", "s2")}})
	var same []rules.Finding
	for _, f := range res.Findings {
		if f.Rule == "bond_same_switch" {
			same = append(same, f)
		}
	}
	if len(same) != 1 || same[0].Subject != "bond-one" || !strings.Contains(same[0].Message, "sw-a") || !strings.Contains(same[0].Message, "s0=p0, s1=p1") {
		t.Errorf("bond_same_switch findings %+v, want one for bond-one naming sw-a and its ports", same)
	}

	// The lldpd-socket path in the same setup: lldpd in the server
	// namespace hears the same neighbours.
	srvSock, stopSrv := l.lldpd(t, l.srv, "srv")
	viaLLDPD := collectors.NewLLDPSource(collectors.LLDPOptions{Clock: clk, Interfaces: interfaces, Sockets: []string{srvSock}})
	d := until(t, l, viaLLDPD, "server-side lldpd learns s0, s1, s2", func(g *collectors.LLDP) bool { return hasAll(g, "s0", "s1", "s2") })
	for ifc, n := range byInterface(d.Neighbors) {
		r := m[ifc]
		if d.Source != collectors.LLDPSourceLLDPD || n.Chassis != r.Chassis || n.SystemName != r.SystemName || n.Port != r.Port {
			t.Errorf("%s: lldpd %+v, receiver %+v: want the same chassis, name and port", ifc, n, r)
		}
	}
	stopSrv(syscall.SIGTERM)

	// sw-b goes silent (SIGKILL: no shutdown LLDPDU). Its entry stays until
	// its TTL runs out on the injected clock.
	stopB(syscall.SIGKILL)
	before := frames(recv, "s0")
	until(t, l, src, "two more LLDPDUs on s0 (anything sw-b sent is read by then)", func(*collectors.LLDP) bool { return frames(recv, "s0") >= before+2 })
	if g := collect(t, l, src); !hasAll(g, "s2") {
		t.Fatalf("s2 forgotten before its TTL: %+v", g.Neighbors)
	}
	clk.Add(time.Duration(m["s2"].TTL) * time.Second)
	g := until(t, l, src, "sw-a heard again after the TTL", func(g *collectors.LLDP) bool { return hasAll(g, "s0", "s1") })
	if hasAll(g, "s2") {
		t.Errorf("s2's neighbour kept past its TTL: %+v", g.Neighbors)
	}

	// sw-a stops cleanly: its shutdown LLDPDU (TTL 0) withdraws it at once.
	stopA(syscall.SIGTERM)
	until(t, l, src, "sw-a withdrawn by its shutdown LLDPDU", func(g *collectors.LLDP) bool { return len(g.Neighbors) == 0 })
}

func frames(r *lldprecv.Receiver, ifc string) uint64 {
	for _, p := range r.Ports() {
		if p.Interface == ifc {
			return p.Frames
		}
	}
	return 0
}

// bond is an active-backup bond with both slaves up.
func bond(name string, slaves ...string) bonding.Bond {
	b := bonding.Bond{Name: name, Mode: bonding.ModeActiveBackup, MIIStatus: "up", ActiveSlave: slaves[0]}
	for _, s := range slaves {
		b.Slaves = append(b.Slaves, bonding.Slave{Name: s, MIIStatus: "up", Speed: 10000, Duplex: "full"})
	}
	return b
}

// TestReceiverWithoutCapNetRaw: the test binary runs itself under setpriv
// with every capability dropped (the shipped unit's empty
// CapabilityBoundingSet=); there the receiver cannot open its raw socket and
// says so on the interface, naming CAP_NET_RAW, and nothing crashes.
func TestReceiverWithoutCapNetRaw(t *testing.T) {
	if os.Getenv("REDWATCH_NOCAPS_CHILD") == "1" {
		r := lldprecv.New(nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
		defer r.Close()
		ports := r.Listen([]string{"lo"})
		if len(ports) != 1 || !strings.Contains(ports[0].Error, "CAP_NET_RAW") || !ports[0].Since.IsZero() {
			t.Fatalf("ports %+v, want lo with an error naming CAP_NET_RAW", ports)
		}
		if ns := r.Neighbors(); ns != nil {
			t.Fatalf("neighbours %v", ns)
		}
		return
	}
	setpriv, err := exec.LookPath("setpriv")
	if err != nil || os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatalf("needs root and setpriv (util-linux): euid %d, %v", os.Geteuid(), err)
		}
		t.Skipf("needs root and setpriv: euid %d, %v", os.Geteuid(), err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(setpriv, "--bounding-set=-all", "--inh-caps=-all", "--no-new-privs",
		self, "-test.run=^TestReceiverWithoutCapNetRaw$", "-test.v")
	cmd.Env = append(os.Environ(), "REDWATCH_NOCAPS_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS") {
		t.Fatalf("child without capabilities: %v\n%s", err, out)
	}
	// With the capability (root here), lo opens.
	r := lldprecv.New(nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	defer r.Close()
	if ports := r.Listen([]string{"lo"}); len(ports) != 1 || ports[0].Error != "" {
		t.Errorf("with CAP_NET_RAW: %+v", ports)
	}
}
