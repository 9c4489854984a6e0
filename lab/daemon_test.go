//go:build e2e

package lab

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// daemonReps is how many times each fault is injected.
const daemonReps = 10

// healthURL is where the daemon in the guest listens.
const healthURL = "http://127.0.0.1:29100/health"

// pollHealth is a guest script that fetches /health with busybox wget in a
// tight loop until what it prints (the body on HTTP 200; on 503 busybox
// wget prints no body, only "server returned error: HTTP/1.1 503 Service
// Unavailable") matches the extended regular expression, then prints how
// many fetches it took. (No -T: busybox 1.35's static wget segfaults with a
// timeout option.)
func pollHealth(pattern string, limit int) string {
	return fmt.Sprintf(`(n=0
while [ $n -lt %d ]; do
	n=$((n+1))
	if wget -q -O - %s 2>&1 | grep -Eq '%s'; then echo $n; exit 0; fi
done
echo "no match after $n fetches: $(wget -q -O - %s 2>&1)" >&2
exit 1)`, limit, healthURL, pattern, healthURL)
}

// TestDaemonLatency starts `redwatch daemon --interval 1h` in a guest with
// an active-backup bond and a RAID1, then, daemonReps times each, pulls a
// cable over QMP and fails an md member with mdadm, and records the time
// from the fault to the changed /health verdict read inside the guest (the
// cable pull makes it name bond0/eth1 with 200; the md failure turns it 503). With
// an hour-long interval only the kernel's events (netlink, poll on mdstat)
// can have triggered the passes.
//
// Both are timed on the host: the cable pull from just before the QMP
// set_link to the answer of the guest command that then polls /health, the
// md failure from sending the guest command that runs `mdadm --fail` and
// then polls /health to its answer. Both include one command round trip over
// the virtio-serial channel (and the md one mdadm's own run), measured
// separately and reported. (Busybox's date has no %N, so the guest cannot
// time itself finer than /proc/uptime's 10 ms.)
func TestDaemonLatency(t *testing.T) {
	a := PrepareAssets(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	g, err := Boot(ctx, a, Spec{NICs: []NIC{{}, {}}, Disks: []Disk{{SizeMiB: 32}, {SizeMiB: 32}}, Log: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	for _, act := range []Action{
		Bond("bond0", "active-backup", "eth0", "eth1"), SlaveMII("bond0", "eth1", "up"),
		RAID1("md0", "vda", "vdb"),
		Shell("echo 200000 > /proc/sys/dev/raid/speed_limit_min; echo 2000000 > /proc/sys/dev/raid/speed_limit_max"),
		Shell("setsid redwatch daemon --interval 1h --listen 127.0.0.1:29100 --state-dir /var/lib/redwatch --log-level debug </dev/null >/tmp/rwd.log 2>&1 3>&- &"),
	} {
		if err := act.Run(ctx, g); err != nil {
			t.Fatalf("setup %s: %v%s", act.Name, err, g.diagnose())
		}
	}
	defer func() {
		if t.Failed() {
			out, _, _ := g.Run(context.Background(), "tail -n 60 /tmp/rwd.log")
			t.Logf("daemon log:\n%s", out)
		}
	}()
	if _, err := g.MustRun(ctx, pollHealth(`"status":"ok"`, 2000)); err != nil {
		t.Fatalf("the daemon never said ok: %v%s", err, g.diagnose())
	}
	out, err := g.MustRun(ctx, "wget -q -O - http://127.0.0.1:29100/metrics | grep -E '^redwatch_(event_source_up|interval_seconds)'")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("daemon in the guest:\n%s", out)
	if !strings.Contains(out, `redwatch_event_source_up{source="netlink"} 1`) || !strings.Contains(out, `redwatch_event_source_up{source="mdstat"} 1`) {
		t.Fatalf("the kernel event sources are not up in the guest:\n%s", out)
	}

	// The cost of one guest command that fetches /health once.
	var overhead []time.Duration
	for i := 0; i < daemonReps; i++ {
		start := time.Now()
		if _, err := g.MustRun(ctx, pollHealth(`"status"`, 1)); err != nil {
			t.Fatal(err)
		}
		overhead = append(overhead, time.Since(start))
	}

	var pull, plug, fail, heal []time.Duration
	var fetches []int
	for i := 0; i < daemonReps; i++ {
		start := time.Now()
		if err := g.SetLink(ctx, "nic1", false); err != nil {
			t.Fatal(err)
		}
		n, err := g.MustRun(ctx, pollHealth(`"subject":"bond0/eth1"`, 5000))
		if err != nil {
			t.Fatalf("rep %d: cable pull not seen: %v", i, err)
		}
		pull = append(pull, time.Since(start))
		if k, err := strconv.Atoi(strings.TrimSpace(n)); err == nil {
			fetches = append(fetches, k)
		}

		start = time.Now()
		if err := g.SetLink(ctx, "nic1", true); err != nil {
			t.Fatal(err)
		}
		if _, err := g.MustRun(ctx, pollHealth(`"status":"ok"`, 5000)); err != nil {
			t.Fatalf("rep %d: cable back not seen: %v", i, err)
		}
		plug = append(plug, time.Since(start))
	}

	for i := 0; i < daemonReps; i++ {
		start := time.Now()
		_, err := g.MustRun(ctx, `mdadm /dev/md0 --fail /dev/vdb >/dev/null 2>&1 || exit 3
`+pollHealth(`503 Service Unavailable`, 5000)+` >/dev/null || exit 4`)
		if err != nil {
			t.Fatalf("rep %d: md failure not seen: %v", i, err)
		}
		fail = append(fail, time.Since(start))
		// The 503 is the critical verdict; say it is the failed member's.
		if _, err := g.MustRun(ctx, `wget -q -O - http://127.0.0.1:29100/metrics | grep -q 'redwatch_finding{rule="md_member_faulty",severity="critical",subject="md0/vdb"} 1'`); err != nil {
			t.Fatalf("rep %d: /health said 503 but the finding is not md_member_faulty: %v", i, err)
		}

		start = time.Now()
		if _, err := g.MustRun(ctx, "mdadm /dev/md0 --remove /dev/vdb >/dev/null && mdadm --zero-superblock /dev/vdb && mdadm /dev/md0 --add /dev/vdb >/dev/null"); err != nil {
			t.Fatal(err)
		}
		if err := WaitFor("the rebuild to finish", "! grep -q recovery /proc/mdstat && grep -q '\\[UU\\]' /proc/mdstat", 120*time.Second).Run(ctx, g); err != nil {
			t.Fatal(err)
		}
		if _, err := g.MustRun(ctx, pollHealth(`"status":"ok"`, 5000)); err != nil {
			t.Fatalf("rep %d: rebuilt array not ok: %v", i, err)
		}
		heal = append(heal, time.Since(start))
	}

	metrics, _ := g.MustRun(ctx, "wget -q -O - http://127.0.0.1:29100/metrics | grep -E '^redwatch_(passes|events)_total'")
	t.Logf("counters in the guest:\n%s", metrics)
	if strings.Contains(metrics, `trigger="interval"`) {
		t.Fatalf("an interval pass ran: the latencies are not the events'")
	}
	// The kernel's link changes and mdstat wake-ups are placed in their
	// subsystems: the event passes are incremental (docs/daemon.md).
	if !regexp.MustCompile(`redwatch_passes_total\{kind="incremental",trigger="event"\} [1-9]`).MatchString(metrics) {
		t.Fatalf("no incremental event pass in the guest:\n%s", metrics)
	}
	t.Logf("one /health fetch as a guest command (host-timed): %s", stats(overhead))
	t.Logf("cable pull (QMP set_link down) → /health names bond0/eth1, host-timed: %s; fetches per detection %v", stats(pull), fetches)
	t.Logf("cable back (QMP set_link up) → /health ok, host-timed (includes the bond's miimon): %s", stats(plug))
	t.Logf("md member failed (mdadm --fail) → /health 503 (md_member_faulty), host-timed, includes running mdadm: %s", stats(fail))
	t.Logf("(md rebuild + /health ok, host-timed, for reference: %s)", stats(heal))
	evlog, _, _ := g.Run(ctx, "grep -c 'event pass' /tmp/rwd.log; grep 'event pass' /tmp/rwd.log | tail -n 6")
	t.Logf("event passes in the daemon log (count, last few):\n%s", evlog)
	// A link change names its interface: the link passes re-read only it
	// and its bond (docs/daemon.md, the bonding and net sources).
	netlog, _, _ := g.Run(ctx, "grep -c 'subsystems=net links=[a-z]' /tmp/rwd.log; grep 'subsystems=net' /tmp/rwd.log | tail -n 4")
	t.Logf("link passes that named their interfaces in the daemon log (count, last few link passes):\n%s", netlog)
	if n, _, _ := strings.Cut(netlog, "\n"); strings.TrimSpace(n) == "0" || strings.TrimSpace(n) == "" {
		t.Fatalf("no link pass in the guest named its interfaces:\n%s", netlog)
	}
}

// stats is "median M, worst W (n=N)".
func stats(d []time.Duration) string {
	s := slices.Clone(d)
	slices.Sort(s)
	return fmt.Sprintf("median %v, worst %v (n=%d)", s[len(s)/2].Round(time.Millisecond), s[len(s)-1].Round(time.Millisecond), len(s))
}
