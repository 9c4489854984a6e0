//go:build linux

package daemon

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
)

const netnsChild = "REDWATCH_TEST_NETNS_CHILD"

// TestLinkSourceSeesLinkChange opens the netlink source in a private network
// namespace (the test re-runs itself under `unshare --net`, so nothing on the
// host changes), brings the namespace's loopback up and expects the event.
func TestLinkSourceSeesLinkChange(t *testing.T) {
	if os.Getenv(netnsChild) != "1" {
		unshare, err := exec.LookPath("unshare")
		if err != nil {
			t.Skip("unshare not installed: cannot make a private network namespace")
		}
		if err := exec.Command(unshare, "--net", "true").Run(); err != nil {
			t.Skipf("cannot make a network namespace here (%v)", err)
		}
		cmd := exec.Command(unshare, "--net", os.Args[0], "-test.run=^TestLinkSourceSeesLinkChange$", "-test.v", "-test.count=1")
		cmd.Env = append(os.Environ(), netnsChild+"=1")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS: TestLinkSourceSeesLinkChange") {
			t.Fatalf("in a private namespace: %v\n%s", err, out)
		}
		t.Logf("child:\n%s", out)
		return
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := make(chan string, 16)
	done, err := (&LinkSource{}).Watch(ctx, func(s string) { events <- s })
	if err != nil {
		t.Fatal(err)
	}
	lo, err := netlink.LinkByName("lo")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := netlink.LinkSetUp(lo); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-events:
		if !strings.HasPrefix(ev, "lo newlink") {
			t.Fatalf("event %q, want lo newlink", ev)
		}
		t.Logf("link up → event in %v: %s", time.Since(start), ev)
	case <-time.After(10 * time.Second):
		t.Fatal("no netlink event within 10s")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("done = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("source did not stop")
	}
}

// TestMDStatSource is unavailable without mdstat, and stops promptly on a
// file that never wakes poll() (a regular file: no POLLPRI ever).
func TestMDStatSource(t *testing.T) {
	if _, err := (&MDStatSource{Path: filepath.Join(t.TempDir(), "mdstat")}).Watch(context.Background(), func(string) {}); err == nil {
		t.Fatal("watching a missing mdstat succeeded")
	}
	p := filepath.Join(t.TempDir(), "mdstat")
	if err := os.WriteFile(p, []byte("Personalities : \nunused devices: <none>\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	events := make(chan string, 1)
	done, err := (&MDStatSource{Path: p}).Watch(ctx, func(s string) { events <- s })
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("done = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("mdstat source did not stop on cancel")
	}
	if len(events) != 0 {
		t.Fatalf("spurious event %q", <-events)
	}
}

// TestUeventSourceOpens opens the uevent socket where the kernel allows it
// and stops it again.
func TestUeventSourceOpens(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done, err := (&UeventSource{Subsystems: []string{"block"}}).Watch(ctx, func(string) {})
	if err != nil {
		cancel()
		t.Skipf("uevent socket unavailable here: %v", err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("done = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("uevent source did not stop on cancel")
	}
}

// TestParseUevent reads the kernel's uevent message format.
func TestParseUevent(t *testing.T) {
	msg := "change@/devices/virtual/block/md0\x00ACTION=change\x00DEVPATH=/devices/virtual/block/md0\x00SUBSYSTEM=block\x00DEVNAME=md0\x00SEQNUM=1234\x00"
	a, p, s := parseUevent([]byte(msg))
	if a != "change" || p != "/devices/virtual/block/md0" || s != "block" {
		t.Fatalf("got %q %q %q", a, p, s)
	}
	if _, _, s := parseUevent([]byte("libudev\x00\xfe\xed")); s != "" {
		t.Fatalf("a udev message parsed as subsystem %q", s)
	}
	if a, _, s := parseUevent(nil); a != "" || s != "" {
		t.Fatal("empty message parsed")
	}
}

// FuzzParseUevent never panics on any message.
func FuzzParseUevent(f *testing.F) {
	f.Add([]byte("add@/devices/x\x00ACTION=add\x00SUBSYSTEM=power_supply\x00"))
	f.Add([]byte("@\x00=\x00"))
	f.Fuzz(func(t *testing.T, b []byte) { parseUevent(b) })
}
