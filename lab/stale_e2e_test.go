//go:build e2e

package lab

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// staleGuestSetup starts the webhook receiver and the daemon with a 1 s
// interval: a bind mount over /proc/mdstat is no md event, so only interval
// passes read the garbage. The baseline records md0 the first time it is seen
// healthy (settle 0s).
var staleGuestSetup = webhookGuestSetup("1s", "baseline:\n  settle: 0s\n")

// pollPage is a guest script that fetches the status page until it
// matches (grep -E) or, with negate, until a fetched page does not match.
func pollPage(pattern string, negate bool) string {
	want := 0 // grep's exit status that ends the wait
	if negate {
		want = 1
	}
	return fmt.Sprintf(`(n=0
while [ $n -lt 3000 ]; do
	n=$((n+1))
	if page=$(wget -q -O - http://127.0.0.1:29100/ 2>/dev/null) && [ -n "$page" ]; then
		printf '%%s' "$page" | grep -Eq '%s'; r=$?
		if [ $r -eq %d ]; then echo $n; exit 0; fi
	fi
	usleep 10000
done
echo "status page: still not (negate=%t) '%s' after $n fetches" >&2
exit 1)`, pattern, want, negate, pattern)
}

// morePasses is a guest script that waits until the daemon has run n more
// passes (redwatch_passes_total, all triggers), then until the lab
// channel's outbox is empty: every notification of those passes delivered.
func morePasses(n int) string {
	return fmt.Sprintf(`(passes() { wget -q -O - http://127.0.0.1:29100/metrics | awk '/^redwatch_passes_total/ {s+=$2} END {print s+0}'; }
start=$(passes); i=0
while [ "$(passes)" -lt $((start+%d)) ]; do i=$((i+1)); [ $i -lt 3000 ] || { echo "fewer than %d passes" >&2; exit 1; }; usleep 10000; done
i=0
until wget -q -O - http://127.0.0.1:29100/metrics | grep -q '^redwatch_alert_queue_depth{channel="lab"} 0'; do
	i=$((i+1)); [ $i -lt 3000 ] || { echo "the lab channel's queue never emptied" >&2; exit 1; }; usleep 10000
done)`, n, n)
}

// TestLabFailedSourceKeepsAlerts: a source that fails mid-alert on a real
// kernel. md0 (RAID1 of vda and vdb) is recorded in the baseline, vdb is
// failed and removed (md_degraded and baseline_member_missing fire to the
// webhook receiver in the guest), then /proc/mdstat is made garbage by a
// bind mount of an edited copy ("[2/x]") for several passes, and unmounted.
// The receiver must get no resolved notification, no baseline_group_missing
// and no second firing: each alert fired exactly once, with one fingerprint.
func TestLabFailedSourceKeepsAlerts(t *testing.T) {
	a := PrepareAssets(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	g, err := Boot(ctx, a, Spec{Disks: []Disk{{SizeMiB: 64}, {SizeMiB: 64}}, Log: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	for _, act := range []Action{RAID1("md0", "vda", "vdb"), Shell(staleGuestSetup)} {
		if err := act.Run(ctx, g); err != nil {
			t.Fatalf("setup %s: %v%s", act.Name, err, g.diagnose())
		}
	}
	defer func() {
		if t.Failed() {
			out, _, _ := g.Run(context.Background(), "echo '== daemon log'; tail -n 80 /tmp/rwd.log; echo '== hooks.log'; cat /tmp/hooks.log; echo '== mdstat'; cat /proc/mdstat; mount | grep mdstat")
			t.Logf("guest:\n%s", out)
		}
	}()
	if _, err := g.MustRun(ctx, pollHealth(`"status":"ok"`, 2000)); err != nil {
		t.Fatalf("the daemon never said ok: %v%s", err, g.diagnose())
	}
	step := func(what, script string) {
		t.Helper()
		if out, err := g.MustRun(ctx, script); err != nil {
			t.Fatalf("%s: %v\n%s%s", what, err, out, g.diagnose())
		}
	}
	// The baseline holds md0 {vda, vdb} once a pass saw it healthy.
	step("baseline recorded", `i=0; until grep -q '"md/md0"' /tmp/rw/state.json 2>/dev/null; do i=$((i+1)); [ $i -lt 3000 ] || exit 1; usleep 10000; done`)

	step("fail and remove vdb", "mdadm /dev/md0 --fail /dev/vdb && mdadm /dev/md0 --remove /dev/vdb && grep -q '\\[2/1\\]' /proc/mdstat")
	step("md_degraded and baseline_member_missing fire",
		`i=0; until grep -q '"alertname":"md_degraded"' /tmp/hooks.log && grep -q '"alertname":"baseline_member_missing"' /tmp/hooks.log; do i=$((i+1)); [ $i -lt 3000 ] || exit 1; usleep 10000; done`)

	// Only what is sent from here on is judged (md_member_faulty fired and
	// resolved legitimately when vdb was removed).
	before, err := g.MustRun(ctx, "wc -l < /tmp/hooks.log")
	if err != nil {
		t.Fatal(err)
	}
	skip, _ := strconv.Atoi(strings.TrimSpace(before))
	start := time.Now()
	step("garbage mdstat bound over /proc/mdstat",
		`sed 's#\[2/1\]#[2/x]#' /proc/mdstat > /tmp/mdstat.bad && grep -q '2/x' /tmp/mdstat.bad && mount -o bind /tmp/mdstat.bad /proc/mdstat && grep -q '2/x' /proc/mdstat`)
	step("the daemon reads the garbage (the status page shows the md error)", pollPage("malformed disk count", false))
	step("five passes over the garbage, every notification delivered", morePasses(5))
	if _, err := g.MustRun(ctx, "wget -q -O - http://127.0.0.1:29100/ | grep -q 'stale: not read since'"); err != nil {
		t.Errorf("the status page does not mark md0 stale: %v", err)
	}
	garbage, _ := g.MustRun(ctx, "wget -q -O - http://127.0.0.1:29100/ | grep -Eo 'malformed disk count[^<]*' | head -1")
	step("mdstat readable again", "umount /proc/mdstat && grep -q '\\[2/1\\]' /proc/mdstat")
	step("the md error is gone from the status page", pollPage("malformed disk count", true))
	if _, err := g.MustRun(ctx, "! wget -q -O - http://127.0.0.1:29100/ | grep -q 'stale: not read since'"); err != nil {
		t.Errorf("the status page still marks something stale: %v", err)
	}
	step("three passes after, every notification delivered", morePasses(3))
	t.Logf("mdstat garbage for %v (%s); the error read: %s", time.Since(start).Round(time.Millisecond), "5+ passes", strings.TrimSpace(garbage))

	out, err := g.MustRun(ctx, "cat /tmp/hooks.log")
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	fps := map[string]map[string]bool{}
	for i, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var b hookBody
		if err := json.Unmarshal([]byte(line), &b); err != nil {
			t.Fatalf("the receiver got no JSON: %v\n%s", err, line)
		}
		for _, al := range b.Alerts {
			name := al.Labels["alertname"]
			if i < skip {
				if al.Status == "firing" && (name == "md_degraded" || name == "baseline_member_missing") {
					fps[name] = map[string]bool{al.Fingerprint: true}
				}
				continue
			}
			count[al.Status+" "+name]++
			if fps[name] == nil {
				fps[name] = map[string]bool{}
			}
			fps[name][al.Fingerprint] = true
		}
	}
	t.Logf("notifications received: %v", count)
	for k, n := range count {
		status, name, _ := strings.Cut(k, " ")
		switch {
		case status == "resolved":
			t.Errorf("%d resolved notification(s) for %s while md0 stayed degraded", n, name)
		case name == "baseline_group_missing":
			t.Errorf("baseline_group_missing fired from a pass that could not read mdstat")
		default:
			t.Errorf("%s fired again (%d notifications) after mdstat failed", name, n)
		}
	}
	for _, name := range []string{"md_degraded", "baseline_member_missing"} {
		if len(fps[name]) != 1 {
			t.Errorf("%s: fingerprints %v, want the one it fired with before", name, fps[name])
		}
	}
	if t.Failed() {
		t.Logf("hooks.log:\n%s", out)
	}
}
