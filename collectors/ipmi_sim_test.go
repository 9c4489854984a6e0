package collectors

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redwatch/redwatch/internal/hostfs"
	"github.com/redwatch/redwatch/ipmi"
)

// ipmiSim is a running OpenIPMI ipmi_sim: a BMC on loopback answering IPMI
// over LAN (RMCP+), with its console for fault injection.
type ipmiSim struct {
	addr    string // host:port of the LAN interface
	console net.Conn
	rd      *bufio.Reader
}

// freePort returns a loopback port free for network ("udp" or "tcp").
func freePort(t *testing.T, network string) int {
	t.Helper()
	if network == "udp" {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startIPMISim compiles testdata/ipmi_sim/psu.sdrs with sdrcomp, writes the
// emulation (psu.emu plus one main_sdr_add per record) and a LAN
// configuration with a "monitor" user, starts ipmi_sim on free loopback ports
// with a fresh state directory, and connects to its console. It is stopped at
// the end of the test.
func startIPMISim(t *testing.T) *ipmiSim {
	t.Helper()
	_, errS := exec.LookPath("ipmi_sim")
	_, errC := exec.LookPath("sdrcomp")
	if errS != nil || errC != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("needs ipmi_sim and sdrcomp (scripts/deps-ipmi.sh): %v, %v", errS, errC)
		}
		t.Skipf("needs ipmi_sim and sdrcomp (scripts/deps-ipmi.sh): %v, %v", errS, errC)
	}
	dir := t.TempDir()
	bsdr := filepath.Join(dir, "psu.bsdr")
	if out, err := exec.Command("sdrcomp", "-8", "-r", "-o", bsdr, filepath.Join("testdata", "ipmi_sim", "psu.sdrs")).CombinedOutput(); err != nil {
		t.Fatalf("sdrcomp: %v: %s", err, out)
	}
	raw, err := os.ReadFile(bsdr)
	if err != nil {
		t.Fatal(err)
	}
	emu, err := os.ReadFile(filepath.Join("testdata", "ipmi_sim", "psu.emu"))
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	sb.Write(emu)
	for len(raw) >= 5 {
		n := 5 + int(raw[4])
		if n > len(raw) {
			t.Fatalf("sdrcomp output: record of %d bytes, %d left", n, len(raw))
		}
		sb.WriteString("main_sdr_add 0x20")
		for _, b := range raw[:n] {
			fmt.Fprintf(&sb, " 0x%02x", b)
		}
		sb.WriteString("\n")
		raw = raw[n:]
	}
	if err := os.WriteFile(filepath.Join(dir, "psu.emu"), []byte(sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	lanPort, conPort := freePort(t, "udp"), freePort(t, "tcp")
	lan := fmt.Sprintf(`name "redwatch-test"
set_working_mc 0x20
  startlan 1
    addr 127.0.0.1 %d
    priv_limit admin
    allowed_auths_callback none md2 md5 straight
    allowed_auths_user none md2 md5 straight
    allowed_auths_operator none md2 md5 straight
    allowed_auths_admin none md2 md5 straight
    guid a123456789abcdefa123456789abcdef
  endlan
  user 1 true  ""        ""       user  10 none md2 md5 straight
  user 2 true  "monitor" "s3cret" user  10 none md2 md5 straight
console 127.0.0.1 %d
`, lanPort, conPort)
	if err := os.WriteFile(filepath.Join(dir, "lan.conf"), []byte(lan), 0o644); err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(dir, "state")
	if err := os.Mkdir(state, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("ipmi_sim", "-c", filepath.Join(dir, "lan.conf"), "-f", filepath.Join(dir, "psu.emu"), "-s", state, "-n")
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("ipmi_sim output:\n%s", logs.String())
		}
	})
	var c net.Conn
	for i := 0; ; i++ {
		c, err = net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", conPort))
		if err == nil {
			break
		}
		if i == 100 {
			t.Fatalf("ipmi_sim console: %v", err)
		}
		time.Sleep(50 * time.Millisecond) // waiting for a process to listen, not for time to pass
	}
	t.Cleanup(func() { c.Close() })
	s := &ipmiSim{addr: fmt.Sprintf("127.0.0.1:%d", lanPort), console: c, rd: bufio.NewReader(c)}
	s.prompt(t)
	return s
}

// prompt reads the console up to its "> " prompt and returns what came
// before it.
func (s *ipmiSim) prompt(t *testing.T) string {
	t.Helper()
	_ = s.console.SetReadDeadline(time.Now().Add(10 * time.Second))
	var sb strings.Builder
	for {
		b, err := s.rd.ReadByte()
		if err != nil {
			t.Fatalf("ipmi_sim console: %v (read %q)", err, sb.String())
		}
		sb.WriteByte(b)
		if strings.HasSuffix(sb.String(), "> ") {
			return strings.TrimSuffix(sb.String(), "> ")
		}
	}
}

// do runs console commands; a reply starting "**" is an error.
func (s *ipmiSim) do(t *testing.T, cmds ...string) {
	t.Helper()
	for _, c := range cmds {
		if _, err := fmt.Fprintf(s.console, "%s\n", c); err != nil {
			t.Fatal(err)
		}
		if out := strings.TrimSpace(s.prompt(t)); strings.Contains(out, "**") {
			t.Fatalf("ipmi_sim %q: %s", c, out)
		}
	}
}

// TestIPMILanSim reads a real BMC simulator (OpenIPMI's ipmi_sim) over
// RMCP+ with go-ipmi, flips the supply and redundancy sensors' bits through
// its console, and checks each decoded state with the reason in words.
func TestIPMILanSim(t *testing.T) {
	sim := startIPMISim(t)
	pw := filepath.Join(t.TempDir(), "bmc.pass")
	if err := os.WriteFile(pw, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	rd := NewIPMIReader(IPMIOptions{Address: sim.addr, Username: "monitor", PasswordFile: pw, CipherSuites: []int{3}, Timeout: 20 * time.Second}, nil)
	read := func(t *testing.T) ([]PSU, []PowerRedundancy) {
		t.Helper()
		res := rd.readNow(context.Background(), "/nonexistent")
		if len(res.errs) > 0 {
			t.Fatalf("read: %v", res.errs)
		}
		return ipmiFacts(res.facts)
	}
	sim.do(t, "sensor_set_bit 0x20 0 0x40 0 1 0", "sensor_set_bit 0x20 0 0x41 0 1 0", "sensor_set_bit_clr_rest 0x20 0 0x50 0 1 0")

	steps := []struct {
		name    string
		cmds    []string
		ps1     string // state: reason
		ps2     string
		red     string
		dumpHas string
	}{
		{name: "healthy", ps1: "ok: Presence detected", ps2: "ok: Presence detected", red: "full: Fully Redundant"},
		{name: "ps1 failure", cmds: []string{"sensor_set_bit 0x20 0 0x40 1 1 1"},
			ps1: "failed: Presence detected; Power Supply Failure detected", ps2: "ok: Presence detected", red: "full: Fully Redundant"},
		{name: "ps1 predictive failure", cmds: []string{"sensor_set_bit 0x20 0 0x40 1 0 1", "sensor_set_bit 0x20 0 0x40 2 1 1"},
			ps1: "predictive_failure: Presence detected; Predictive Failure", ps2: "ok: Presence detected", red: "full: Fully Redundant"},
		{name: "ps1 ac lost", cmds: []string{"sensor_set_bit 0x20 0 0x40 2 0 1", "sensor_set_bit 0x20 0 0x40 3 1 1"},
			ps1: "input_lost: Presence detected; Power Supply input lost (AC/DC)", ps2: "ok: Presence detected", red: "full: Fully Redundant"},
		{name: "redundancy lost", cmds: []string{"sensor_set_bit_clr_rest 0x20 0 0x50 1 1 1"},
			ps1: "input_lost: Presence detected; Power Supply input lost (AC/DC)", ps2: "ok: Presence detected", red: "lost: Redundancy Lost"},
		{name: "ps2 pulled, redundancy degraded", cmds: []string{"sensor_set_bit 0x20 0 0x41 0 0 1", "sensor_set_bit_clr_rest 0x20 0 0x50 2 1 1"},
			ps1: "input_lost: Presence detected; Power Supply input lost (AC/DC)", ps2: "absent: Presence not detected (empty bay)", red: "degraded: Redundancy Degraded"},
		{name: "restored", cmds: []string{"sensor_set_bit 0x20 0 0x40 3 0 1", "sensor_set_bit 0x20 0 0x41 0 1 1", "sensor_set_bit_clr_rest 0x20 0 0x50 0 1 1"},
			ps1: "ok: Presence detected", ps2: "ok: Presence detected", red: "full: Fully Redundant"},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			sim.do(t, st.cmds...)
			psus, reds := read(t)
			if len(psus) != 2 || len(reds) != 1 {
				t.Fatalf("supplies %+v, redundancy %+v: want 2 and 1", psus, reds)
			}
			got := []string{psus[0].State + ": " + psus[0].Reason, psus[1].State + ": " + psus[1].Reason, reds[0].State + ": " + reds[0].Message}
			want := []string{st.ps1, st.ps2, st.red}
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("sensor %d: %q, want %q", i, got[i], want[i])
				}
			}
			if psus[0].Name != "PS1 Status" || psus[0].Slot != "1" || psus[1].Slot != "2" || psus[0].Source != PSUSourceIPMI || reds[0].Name != "PSU Redundancy" {
				t.Errorf("names: %+v %+v %+v", psus[0], psus[1], reds[0])
			}
		})
	}
}

// TestIPMILanSimDump checks that a read records the raw dump a capture
// archives, and that the dump read back under --root decodes to the same
// facts.
func TestIPMILanSimDump(t *testing.T) {
	sim := startIPMISim(t)
	pw := filepath.Join(t.TempDir(), "bmc.pass")
	if err := os.WriteFile(pw, []byte("s3cret"), 0o600); err != nil {
		t.Fatal(err)
	}
	sim.do(t, "sensor_set_bit 0x20 0 0x40 0 1 0", "sensor_set_bit 0x20 0 0x40 1 1 0", "sensor_set_bit_clr_rest 0x20 0 0x50 1 1 0")
	rec := hostfs.StartRecording()
	defer rec.Stop()
	rd := NewIPMIReader(IPMIOptions{Address: sim.addr, Username: "monitor", PasswordFile: pw, CipherSuites: []int{3}}, nil)
	live := rd.readNow(context.Background(), "/nonexistent")
	if len(live.errs) > 0 {
		t.Fatal(live.errs)
	}
	var dump []byte
	for _, o := range rec.Outputs() {
		if o.Name == IPMIDumpPath {
			dump = o.Data
		}
	}
	if dump == nil {
		t.Fatalf("no %s recorded", IPMIDumpPath)
	}
	if strings.Contains(string(dump), "s3cret") {
		t.Fatal("the dump holds the password")
	}
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "ipmi"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, filepath.FromSlash(IPMIDumpPath)), dump, 0o644); err != nil {
		t.Fatal(err)
	}
	tree := readIPMITree(TreeRoots(root))
	if len(tree.errs) > 0 {
		t.Fatal(tree.errs)
	}
	lp, lr := ipmiFacts(live.facts)
	tp, tr := ipmiFacts(tree.facts)
	if fmt.Sprint(lp, lr) != fmt.Sprint(tp, tr) {
		t.Errorf("live %v %v, tree %v %v", lp, lr, tp, tr)
	}
	if len(tp) != 2 || tp[0].State != ipmi.StateFailed || tr[0].State != ipmi.RedundancyLost {
		t.Errorf("tree facts %+v %+v", tp, tr)
	}
}

// TestIPMINoAnswer checks that a BMC that does not answer is an error of
// the ipmi source naming the address, within the timeout.
func TestIPMINoAnswer(t *testing.T) {
	pw := filepath.Join(t.TempDir(), "bmc.pass")
	if err := os.WriteFile(pw, []byte("s3cret"), 0o600); err != nil {
		t.Fatal(err)
	}
	port := freePort(t, "udp")
	rd := NewIPMIReader(IPMIOptions{Address: fmt.Sprintf("127.0.0.1:%d", port), Username: "monitor", PasswordFile: pw, CipherSuites: []int{3}, Timeout: 3 * time.Second}, nil)
	res := rd.readNow(context.Background(), "/nonexistent")
	if len(res.errs) != 1 || res.errs[0].Collector != IPMICollector || !strings.Contains(res.errs[0].Path, fmt.Sprint(port)) {
		t.Fatalf("errors %v, want one ipmi error at the address", res.errs)
	}
	if strings.Contains(res.errs[0].Error(), "s3cret") {
		t.Error("the error shows the password")
	}
}
