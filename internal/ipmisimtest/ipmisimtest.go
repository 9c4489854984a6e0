// Package ipmisimtest runs OpenIPMI's ipmi_sim, a real BMC simulator, for
// tests: two power supplies (PS1 0x40, PS2 0x41), a power redundancy
// sensor (0x50) and the power unit's status (0x51) on the BMC at 0x20, answering IPMI over LAN on loopback and,
// optionally, QEMU's ipmi-bmc-extern (the in-band path of the fault lab),
// with its console for fault injection. The SDRs are psu.sdrs compiled with
// sdrcomp; ../shared/design/LAB.md has the recipe and its pitfalls.
package ipmisimtest

import (
	"bufio"
	_ "embed" // psu.sdrs and psu.emu
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var (
	//go:embed psu.sdrs
	sdrs []byte
	//go:embed psu.emu
	emu []byte
)

// Healthy are the console commands that make both supplies present and the
// supplies fully redundant (the sensors start with no bit set).
var Healthy = []string{"sensor_set_bit 0x20 0 0x40 0 1 0", "sensor_set_bit 0x20 0 0x41 0 1 0", "sensor_set_bit_clr_rest 0x20 0 0x50 0 1 0"}

// Options configure Start.
type Options struct {
	// VMPort, when not 0, is the loopback TCP port on which ipmi_sim serves
	// a virtual machine's BMC interface (ipmi_lan(5) "serial ... codec VM"),
	// for QEMU's "-chardev socket,host=127.0.0.1,port=VMPort -device
	// ipmi-bmc-extern".
	VMPort int
}

// Sim is a running ipmi_sim.
type Sim struct {
	// Addr is host:port of its LAN interface (user "monitor", password
	// "s3cret").
	Addr string

	console net.Conn
	rd      *bufio.Reader
}

// FreePort returns a loopback port free for network ("udp" or "tcp").
func FreePort(t testing.TB, network string) int {
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

// Start compiles psu.sdrs with sdrcomp, writes the emulation (psu.emu plus
// one main_sdr_add per record) and a LAN configuration with a "monitor"
// user, starts ipmi_sim on free loopback ports with a fresh state directory,
// and connects to its console. It is stopped at the end of the test. Without
// ipmi_sim or sdrcomp the test is skipped, and fails when CI=true.
func Start(t testing.TB, o Options) *Sim {
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
	write := func(name string, data []byte) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	src := write("psu.sdrs", sdrs)
	bsdr := filepath.Join(dir, "psu.bsdr")
	if out, err := exec.Command("sdrcomp", "-8", "-r", "-o", bsdr, src).CombinedOutput(); err != nil {
		t.Fatalf("sdrcomp: %v: %s", err, out)
	}
	raw, err := os.ReadFile(bsdr)
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
	emuPath := write("psu.emu", []byte(sb.String()))
	lanPort, conPort := FreePort(t, "udp"), FreePort(t, "tcp")
	serial := ""
	if o.VMPort != 0 {
		serial = fmt.Sprintf("  serial 15 127.0.0.1 %d codec VM\n", o.VMPort)
	}
	lan := write("lan.conf", []byte(fmt.Sprintf(`name "redwatch-test"
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
%s  user 1 true  ""        ""       user  10 none md2 md5 straight
  user 2 true  "monitor" "s3cret" user  10 none md2 md5 straight
console 127.0.0.1 %d
`, lanPort, serial, conPort)))
	state := filepath.Join(dir, "state")
	if err := os.Mkdir(state, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("ipmi_sim", "-c", lan, "-f", emuPath, "-s", state, "-n")
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
	s := &Sim{Addr: fmt.Sprintf("127.0.0.1:%d", lanPort), console: c, rd: bufio.NewReader(c)}
	s.prompt(t)
	return s
}

// prompt reads the console up to its "> " prompt and returns what came
// before it.
func (s *Sim) prompt(t testing.TB) string {
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

// Do runs console commands (ipmi_sim_cmd(5)), e.g. "sensor_set_bit 0x20 0
// 0x40 1 1 1" (PS1: failure detected); a reply holding "**" is an error.
func (s *Sim) Do(t testing.TB, cmds ...string) {
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
