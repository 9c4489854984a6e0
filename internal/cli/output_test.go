package cli

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redwatch/redwatch/internal/engine"
	"github.com/redwatch/redwatch/rules"
)

// TestNagiosLongOutput: every finding is on a line of its own after the
// status line (the plugin guidelines' long output), none is cut to "and N more".
func TestNagiosLongOutput(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "bond_all_down")
	code, out, _ := runCLI(t, "audit", "--root", dir, "-o", "nagios")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	want := []string{
		"REDWATCH CRITICAL - 4 findings (1 critical, 2 warning, 1 info): bond0: no healthy slave (2 enslaved): the bond is down | critical=1;;;0 warning=2;;;0 errors=0;;;0 groups=1;;;0 groups_degraded=1;;;0 groups_not_observable=1;;;0",
		"CRITICAL bond_below_min_healthy: bond0: no healthy slave (2 enslaved): the bond is down",
		"WARNING bond_member_down: bond0: slave eth0 is down (link failures: 5)",
		"WARNING bond_member_down: bond0: slave eth1 is down (link failures: 4)",
		"INFO power_not_observable: power redundancy not observable: no source counts the power supplies (no Mains supply in /sys/class/power_supply, no PMBus supply in hwmon, no IPMI or Redfish supply)",
	}
	if code != 2 || strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("exit %d, nagios output:\n%s\nwant:\n%s", code, out, strings.Join(want, "\n"))
	}
}

// TestNagiosSummaryTruth: the summary's words agree with the perfdata: one
// group is "1 redundancy group", a hot spare is not a degraded group, and a
// degraded group without a finding is not called healthy.
func TestNagiosSummaryTruth(t *testing.T) {
	mirror := rules.Group{Kind: "md", Name: "md0", Needed: 2, Healthy: 2, Total: 3, Members: []rules.Member{
		{Name: "sda1", State: "in_sync", Healthy: true}, {Name: "sdb1", State: "in_sync", Healthy: true}, {Name: "sdc1", State: "spare"}}}
	bond := rules.Group{Kind: "bond", Name: "bond0", Needed: 2, Healthy: 1, Total: 2, Members: []rules.Member{
		{Name: "eth0", State: "up", Healthy: true}, {Name: "eth1", State: "down"}}}
	power := rules.Group{Kind: rules.KindPSU, Name: rules.PowerGroup, Needed: 2, NotObservable: true}
	for _, tc := range []struct {
		groups []rules.Group
		want   string
	}{
		{[]rules.Group{mirror}, "REDWATCH OK - 1 redundancy group healthy | critical=0;;;0 warning=0;;;0 errors=0;;;0 groups=1;;;0 groups_degraded=0;;;0 groups_not_observable=0;;;0\n"},
		{[]rules.Group{mirror, mirror}, "REDWATCH OK - 2 redundancy groups healthy | critical=0;;;0 warning=0;;;0 errors=0;;;0 groups=2;;;0 groups_degraded=0;;;0 groups_not_observable=0;;;0\n"},
		{[]rules.Group{mirror, bond}, "REDWATCH OK - 1 of 2 redundancy groups degraded; no finding counts (pending or disabled) | critical=0;;;0 warning=0;;;0 errors=0;;;0 groups=2;;;0 groups_degraded=1;;;0 groups_not_observable=0;;;0\n"},
		{nil, "REDWATCH OK - no redundancy groups found | critical=0;;;0 warning=0;;;0 errors=0;;;0 groups=0;;;0 groups_degraded=0;;;0 groups_not_observable=0;;;0\n"},
		// A power group nobody can count is neither healthy nor degraded.
		{[]rules.Group{mirror, power}, "REDWATCH OK - 1 redundancy group healthy; power redundancy not observable | critical=0;;;0 warning=0;;;0 errors=0;;;0 groups=1;;;0 groups_degraded=0;;;0 groups_not_observable=1;;;0\n"},
		{[]rules.Group{power}, "REDWATCH OK - no redundancy groups found; power redundancy not observable | critical=0;;;0 warning=0;;;0 errors=0;;;0 groups=0;;;0 groups_degraded=0;;;0 groups_not_observable=1;;;0\n"},
	} {
		var b bytes.Buffer
		writeNagios(&b, &engine.Pass{Result: rules.Result{Status: rules.StatusOK, Groups: tc.groups}})
		if b.String() != tc.want {
			t.Errorf("got  %q\nwant %q", b.String(), tc.want)
		}
	}
}

// TestAuditTimeout: --timeout (and -t) bound the whole pass; when it expires
// the verdict is UNKNOWN and says why.
func TestAuditTimeout(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "md_raid1_faulty")
	for _, flag := range []string{"--timeout", "-t"} {
		code, out, stderr := runCLI(t, "audit", "--root", dir, "-o", "nagios", flag, "1ns")
		if code != 3 || !strings.HasPrefix(out, "REDWATCH UNKNOWN - audit: the pass did not finish within --timeout 1ns | ") {
			t.Errorf("%s 1ns: exit %d, stdout %q, stderr %q", flag, code, out, stderr)
		}
	}
	code, out, _ := runCLI(t, "audit", "--root", dir, "-o", "nagios", "--timeout", "1h")
	if code != 2 || !strings.HasPrefix(out, "REDWATCH CRITICAL") {
		t.Errorf("--timeout 1h: exit %d, %q", code, out)
	}
}

// TestRunBoundedAbandonsHungPass: a pass that ignores its context (a fake of
// a read blocked in the kernel) is abandoned when the timeout expires.
func TestRunBoundedAbandonsHungPass(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	hung := func(context.Context) *engine.Pass { <-release; return &engine.Pass{} }
	p := runBounded(context.Background(), hung, fixedClock{}, time.Millisecond)
	if p.Result.Status != rules.StatusUnknown || len(p.Result.Errors) != 1 || !strings.Contains(p.Result.Errors[0].Reason(), "--timeout 1ms") {
		t.Errorf("hung pass: %+v", p.Result)
	}
}
