package lab

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Scenario is one lab test: the guest's hardware, how to set it up, then
// steps that each inject a change and say what redwatch's verdict must be
// after it. Each scenario boots a guest of its own.
type Scenario struct {
	Name string
	// Spec is the guest's hardware: NICs and disks.
	Spec Spec
	// Setup runs once after boot, in order (bonds, arrays, waiting for LACP).
	Setup []Action
	// Steps run in order after Setup.
	Steps []Step
}

// Step is one change and the verdict that must follow it. The audit is run
// until the verdict meets Want or Within has passed; a first step with no
// Do asserts the state Setup left.
type Step struct {
	Name string
	Do   []Action
	Want Expect
	// Within bounds how long the verdict may take to come; 0 means 30 s.
	Within time.Duration
}

// Action is something done to a guest: a QMP command or a guest command.
type Action struct {
	Name string
	Run  func(ctx context.Context, g *Guest) error
}

// Shell is an action that runs a shell script in the guest; it must exit 0.
func Shell(script string) Action {
	return Action{Name: "sh: " + script, Run: func(ctx context.Context, g *Guest) error {
		_, err := g.MustRun(ctx, script)
		return err
	}}
}

// WaitFor is an action that runs cond in the guest every 200 ms until it
// exits 0, failing after within.
func WaitFor(what, cond string, within time.Duration) Action {
	return Action{Name: "wait for " + what, Run: func(ctx context.Context, g *Guest) error {
		deadline := time.Now().Add(within)
		for {
			r, err := g.Exec(ctx, cond)
			if err != nil {
				return err
			}
			if r.Exit == 0 {
				return nil
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("lab: %s: not within %s (%s exited %d: %s%s)", what, within, quote(cond), r.Exit, r.Stdout, r.Stderr)
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("lab: %s: %w", what, ctx.Err())
			case <-time.After(200 * time.Millisecond):
			}
		}
	}}
}

// SetLink pulls (up=false) or plugs back (up=true) a NIC's cable over QMP;
// "nic1" is the guest's eth1.
func SetLink(nic string, up bool) Action {
	state := "down"
	if up {
		state = "up"
	}
	return Action{Name: "qmp set_link " + nic + " " + state, Run: func(ctx context.Context, g *Guest) error {
		return g.SetLink(ctx, nic, up)
	}}
}

// DeviceDel hot-unplugs a device over QMP; "disk1" is the guest's vdb.
func DeviceDel(id string) Action {
	return Action{Name: "qmp device_del " + id, Run: func(ctx context.Context, g *Guest) error {
		return g.DeviceDel(ctx, id)
	}}
}

// Bond creates a bond in the given mode ("active-backup", "802.3ad", ...)
// with miimon 100 (and lacp_rate fast for 802.3ad), enslaves the slaves in
// order and brings it up.
func Bond(name, mode string, slaves ...string) Action {
	var b strings.Builder
	sys := "/sys/class/net/" + name + "/bonding"
	fmt.Fprintf(&b, "set -e\necho +%s > /sys/class/net/bonding_masters\n", name)
	fmt.Fprintf(&b, "echo %s > %s/mode\necho 100 > %s/miimon\n", mode, sys, sys)
	if mode == "802.3ad" || mode == "4" {
		fmt.Fprintf(&b, "echo fast > %s/lacp_rate\n", sys)
	}
	for _, s := range slaves {
		fmt.Fprintf(&b, "ip link set %s down\necho +%s > %s/slaves\n", s, s, sys)
	}
	fmt.Fprintf(&b, "ip link set %s up\n", name)
	return Action{Name: fmt.Sprintf("bond %s %s %s", name, mode, strings.Join(slaves, " ")), Run: Shell(b.String()).Run}
}

// WaitLACP waits until an 802.3ad bond has negotiated with its partner:
// its active aggregator holds ports ports with a partner MAC, and every
// slave's actor and partner port state has synchronization, collecting and
// distributing set (0x38; 63 with activity, short timeout and aggregation).
func WaitLACP(bond string, ports int) Action {
	f := "/proc/net/bonding/" + bond
	return WaitFor(fmt.Sprintf("%s to aggregate %d ports with its partner", bond, ports),
		fmt.Sprintf(`grep -A3 'Active Aggregator Info' %[1]s | grep -q 'Number of ports: %[2]d$' &&
! grep -A3 'Active Aggregator Info' %[1]s | grep -q 'Partner Mac Address: 00:00:00:00:00:00' &&
awk '/port state:/ { n++; if (and($3, 56) != 56) bad = 1 } END { exit (bad || n != 2 * %[2]d) }' %[1]s`, f, ports),
		45*time.Second)
}

// SlaveMII waits until the kernel shows a bond slave's MII status as state
// ("up" or "down") in /proc/net/bonding: the ground truth a verdict is
// checked against.
func SlaveMII(bond, slave, state string) Action {
	return WaitFor(fmt.Sprintf("the kernel to show %s/%s MII %s", bond, slave, state),
		fmt.Sprintf("awk -v s=%s '/^Slave Interface:/{cur=$3} cur==s && /^MII Status:/{print $3; exit}' /proc/net/bonding/%s | grep -qx %s", slave, bond, state),
		30*time.Second)
}

// OutsideActiveAggregator waits until the kernel shows an up 802.3ad slave
// in another aggregator than its bond's active one (its link carries no
// traffic), e.g. after its LACP partner went silent.
func OutsideActiveAggregator(bond, slave string) Action {
	return WaitFor(fmt.Sprintf("the kernel to move %s/%s out of the active aggregator", bond, slave),
		fmt.Sprintf(`awk -v s=%s '/Active Aggregator Info/ { a = 1 } a == 1 && /Aggregator ID:/ { act = $3; a = 2 }
/^Slave Interface:/ { cur = $3 } cur == s && /^Aggregator ID:/ { id = $3 } cur == s && /^MII Status:/ { mii = $3 }
END { exit !(mii == "up" && id != "" && id != act) }' /proc/net/bonding/%s`, slave, bond),
		30*time.Second)
}

// Slaves waits until the kernel lists exactly these slaves for a bond.
func Slaves(bond string, slaves ...string) Action {
	return WaitFor(fmt.Sprintf("the kernel to show %s with slaves %s", bond, strings.Join(slaves, " ")),
		fmt.Sprintf("[ \"$(cat /sys/class/net/%s/bonding/slaves)\" = %q ]", bond, strings.Join(slaves, " ")), 10*time.Second)
}

// MDStat waits until /proc/mdstat matches an extended regular expression
// (grep -E), e.g. `vdb\[1\]\(F\)` for a failed member.
func MDStat(what, pattern string) Action {
	return WaitFor("the kernel to show "+what, fmt.Sprintf("grep -Eq '%s' /proc/mdstat", pattern), 30*time.Second)
}

// RAID1 creates an md RAID1 array of the devices ("vdb", "vda1") with
// --assume-clean, so it is in sync at once, without an initial resync.
func RAID1(md string, devs ...string) Action {
	paths := make([]string, len(devs))
	for i, d := range devs {
		paths[i] = "/dev/" + d
	}
	script := fmt.Sprintf("mdadm --create /dev/%s --run --assume-clean --level=1 --raid-devices=%d --metadata=1.2 %s",
		md, len(devs), strings.Join(paths, " "))
	return Action{Name: fmt.Sprintf("raid1 %s of %s", md, strings.Join(devs, " ")), Run: Shell(script).Run}
}

// ParallelEnv sets how many guests run at once (default 2: two TCG guests
// on a 2-core machine).
const ParallelEnv = "REDWATCH_LAB_PARALLEL"

var (
	slotsOnce sync.Once
	slots     chan struct{}
)

func guestSlots() chan struct{} {
	slotsOnce.Do(func() {
		n, err := strconv.Atoi(os.Getenv(ParallelEnv))
		if err != nil || n < 1 {
			n = 2
		}
		slots = make(chan struct{}, n)
	})
	return slots
}

// PrepareAssets builds the assets for a test run (fetching packages
// through the cache), failing the test with what is missing.
func PrepareAssets(t *testing.T) *Assets {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	dir, err := DefaultCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	root, err := ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	a, err := BuildAssets(ctx, AssetOptions{
		Cache: &Cache{Dir: dir, Log: t.Logf}, ModuleRoot: root, WorkDir: t.TempDir(), Binary: os.Getenv(BinaryEnv),
	})
	if err != nil {
		t.Fatalf("lab: preparing the guest failed: %v", err)
	}
	t.Logf("lab: assets %s", a.Describe())
	return a
}

// RunScenarios runs each scenario as a parallel subtest of t, at most
// $REDWATCH_LAB_PARALLEL guests at once.
func RunScenarios(t *testing.T, a *Assets, scenarios []Scenario) {
	seen := map[string]bool{}
	for _, s := range scenarios {
		if seen[s.Name] {
			t.Fatalf("lab: two scenarios named %q", s.Name)
		}
		seen[s.Name] = true
		t.Run(s.Name, func(t *testing.T) {
			t.Parallel()
			guestSlots() <- struct{}{}
			defer func() { <-guestSlots() }()
			s.Run(t, a)
		})
	}
}

// Run boots the scenario's guest, runs its setup and steps, and fails t at
// the first step whose verdict does not come, with the last verdict, what
// the kernel shows and the console's tail.
func (s Scenario) Run(t *testing.T, a *Assets) {
	t.Helper()
	if len(s.Steps) == 0 {
		t.Fatalf("lab: scenario %s has no steps", s.Name)
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	spec := s.Spec
	spec.Log = t.Logf
	g, err := Boot(ctx, a, spec)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	for _, act := range s.Setup {
		if err := act.Run(ctx, g); err != nil {
			t.Fatalf("lab: setup %s: %v%s", act.Name, err, g.diagnose())
		}
	}
	t.Logf("lab: booted in %.1fs, set up in %.1fs", g.BootTime.Seconds(), time.Since(start).Seconds()-g.BootTime.Seconds())
	for i, st := range s.Steps {
		name := st.Name
		if name == "" {
			name = "step " + strconv.Itoa(i+1)
		}
		stepStart := time.Now()
		for _, act := range st.Do {
			if err := act.Run(ctx, g); err != nil {
				t.Fatalf("lab: %s: %s: %v%s", name, act.Name, err, g.diagnose())
			}
		}
		v, audits, err := g.AwaitVerdict(ctx, st.Want, st.Within)
		if err != nil {
			raw := ""
			if v != nil {
				raw = "\nlast audit JSON (exit " + strconv.Itoa(v.Exit) + "):\n" + v.Raw
			}
			t.Fatalf("lab: %s: %v%s%s", name, err, raw, g.diagnose())
		}
		t.Logf("lab: %s: %s (%.1fs, %d audits)", name, v.Summary(), time.Since(stepStart).Seconds(), audits)
	}
	t.Logf("lab: scenario %s passed in %.1fs", s.Name, time.Since(start).Seconds())
}

// AwaitVerdict runs the audit until its verdict meets want, at most within
// (0 means 30 s). It returns the last verdict and how many audits ran.
func (g *Guest) AwaitVerdict(ctx context.Context, want Expect, within time.Duration) (*Verdict, int, error) {
	if within == 0 {
		within = 30 * time.Second
	}
	deadline := time.Now().Add(within)
	var last *Verdict
	for n := 1; ; n++ {
		v, err := g.Audit(ctx)
		if err != nil {
			return last, n, err
		}
		last = v
		err = want.Check(v)
		if err == nil {
			return v, n, nil
		}
		if time.Now().After(deadline) {
			return v, n, fmt.Errorf("lab: no such verdict within %s (%d audits): %w", within, n, err)
		}
		select {
		case <-ctx.Done():
			return v, n, fmt.Errorf("lab: %w: %w", ctx.Err(), err)
		case <-time.After(300 * time.Millisecond):
		}
	}
}

// diagnoseScript shows what the kernel says about bonds, arrays and links.
const diagnoseScript = `for f in /proc/net/bonding/*; do [ -e "$f" ] && { echo "== $f"; cat "$f"; }; done
echo "== /proc/mdstat"; cat /proc/mdstat
for a in /sys/block/md*/md; do [ -d "$a" ] && for f in array_state degraded sync_action sync_completed; do echo "$a/$f: $(cat $a/$f 2>&1)"; done; done
echo "== ip link"; ip -o link
echo "== dmesg (tail)"; dmesg | tail -n 25`

// diagnose is what the kernel shows, and the console's tail, for a failure
// message; it never fails.
func (g *Guest) diagnose() string {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	var b strings.Builder
	g.mu.Lock()
	broken := g.broken
	g.mu.Unlock()
	if broken == nil {
		if r, err := g.Exec(ctx, diagnoseScript); err == nil {
			fmt.Fprintf(&b, "\n--- guest state ---\n%s%s", r.Stdout, r.Stderr)
		}
	}
	fmt.Fprintf(&b, "\n--- console (last 20 lines) ---\n%s", g.ConsoleTail(20))
	return b.String()
}
