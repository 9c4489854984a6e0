//go:build linux

package daemon

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestEventSourcesWithoutCapabilities backs the unit's empty
// CapabilityBoundingSet=: the test binary runs itself under setpriv with
// every capability dropped, and there the uevent and rtnetlink link sources
// open (both netlink groups are NL_CFG_F_NONROOT_RECV).
func TestEventSourcesWithoutCapabilities(t *testing.T) {
	if os.Getenv("REDWATCH_NOCAPS_CHILD") == "1" {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		for _, s := range []interface {
			Watch(context.Context, func(string)) (<-chan error, error)
		}{&UeventSource{}, &LinkSource{}} {
			if _, err := s.Watch(ctx, func(string) {}); err != nil {
				t.Fatalf("without capabilities: %v", err)
			}
		}
		return
	}
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("setpriv not installed (Debian package util-linux; scripts/deps-daemon.sh installs it)")
		}
		t.Skip("setpriv not installed (run scripts/deps-daemon.sh)")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(setpriv, "--bounding-set=-all", "--inh-caps=-all", "--no-new-privs",
		self, "-test.run=^TestEventSourcesWithoutCapabilities$", "-test.v")
	cmd.Env = append(os.Environ(), "REDWATCH_NOCAPS_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS") {
		t.Fatalf("child without capabilities: %v\n%s", err, out)
	}
	// The child really ran without capabilities: its bounding set is empty.
	check := exec.Command(setpriv, "--bounding-set=-all", "--inh-caps=-all", "--no-new-privs", "grep", "CapBnd", "/proc/self/status")
	b, err := check.Output()
	if err != nil || !strings.Contains(string(b), "0000000000000000") {
		t.Errorf("setpriv kept capabilities: %q, %v", b, err)
	}
}
