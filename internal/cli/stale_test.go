package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redwatch/redwatch/internal/daemon"
	"github.com/redwatch/redwatch/internal/testtree"
)

// waitPass waits (bounded) for a pass after seq `after` that ok accepts.
func (rd *runningDaemon) waitPass(t *testing.T, after uint64, what string, ok func(daemon.Report) bool) daemon.Report {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case r := <-rd.passes:
			if r.Seq > after && ok(r) {
				return r
			}
		case <-deadline:
			t.Fatalf("no pass %s (last %+v)\n%s", what, rd.d.Last(), rd.stderr.String())
		}
	}
}

// TestDaemonFailedSourceKeepsAlerts is the alert lifecycle over a failing
// source, through the daemon and a real webhook receiver: md0 is recorded
// healthy in the baseline, loses sdb1 (md_degraded and
// baseline_member_missing fire), then /proc/mdstat turns to garbage for two
// passes and is readable again. No resolved is sent, no
// baseline_group_missing fires and nothing fires twice; only healing md0
// resolves the two alerts. Delivery per channel is in order, so once the
// resolved notifications arrive every earlier one has too.
func TestDaemonFailedSourceKeepsAlerts(t *testing.T) {
	root := testtree.Copy(t, filepath.Join("baseline_md_member_removed", "before"))
	mdstat := filepath.Join(root, "proc", "mdstat")
	read := func(side string) []byte {
		b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "baseline_md_member_removed", side, "proc", "mdstat"))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	healthy, degraded := read("before"), read("after")
	write := func(b []byte) {
		if err := os.WriteFile(mdstat, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	url, got := hookReceiver(t)
	cfg := filepath.Join(t.TempDir(), "redwatch.yaml")
	conf := fmt.Sprintf("baseline: {settle: 0s}\nalerts:\n  retry: {initial: 100ms, max: 1s}\n  channels:\n    - name: hook\n      type: webhook\n      webhook: {url: %q}\n", url)
	if err := os.WriteFile(cfg, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	rd := startDaemon(t, "--root", root, "--interval", "1h", "--state-dir", t.TempDir(), "--config", cfg)
	has := func(r daemon.Report, rule string) bool {
		for _, f := range r.Pass.Result.Findings {
			if f.Rule == rule {
				return true
			}
		}
		return false
	}
	// The tree has no power source: the power group is listed as not
	// observable and power_not_observable (info) stays beside md0 throughout.
	judged := func(r daemon.Report) (groups, findings int) {
		for _, g := range r.Pass.Result.Groups {
			if !g.NotObservable {
				groups++
			}
		}
		for _, f := range r.Pass.Result.Findings {
			if f.Rule != "power_not_observable" {
				findings++
			}
		}
		return groups, findings
	}
	r := rd.waitPass(t, 0, "healthy", func(r daemon.Report) bool {
		g, f := judged(r)
		return g == 1 && f == 0 && has(r, "power_not_observable")
	})

	write(degraded)
	r = rd.waitPass(t, r.Seq, "degraded", func(r daemon.Report) bool { return has(r, "md_degraded") && has(r, "baseline_member_missing") })
	for i := range 2 {
		write(append(garbageMDStat, byte('0'+i))) // a different file each time: each write is an event
		r = rd.waitPass(t, r.Seq, "with mdstat unreadable", func(r daemon.Report) bool { return len(r.Pass.Result.Errors) > 0 })
		if !has(r, "md_degraded") || !has(r, "baseline_member_missing") || has(r, "baseline_group_missing") {
			t.Fatalf("pass with garbage mdstat: findings %+v", r.Pass.Result.Findings)
		}
		if _, page := httpGet(t, rd.base+"/"); !strings.Contains(page, "stale: not read since") {
			t.Errorf("the status page does not mark md0 stale:\n%s", page)
		}
		if _, health := httpGet(t, rd.base+"/health"); !strings.Contains(health, `"stale":{"collector":"md","name":"md0"`) {
			t.Errorf("/health does not mark md0 stale:\n%s", health)
		}
	}
	// The alerts are handled off the loop: poll (real I/O) until the page's
	// alert table shows them kept firing.
	for deadline := time.Now().Add(10 * time.Second); ; {
		_, page := httpGet(t, rd.base+"/")
		if strings.Count(page, "kept firing: source stale since") == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the status page does not show md_degraded and baseline_member_missing kept firing, stale:\n%s", page)
		}
		time.Sleep(20 * time.Millisecond) // polling real I/O, not waiting for time
	}
	write(degraded)
	r = rd.waitPass(t, r.Seq, "readable again", func(r daemon.Report) bool { return len(r.Pass.Result.Errors) == 0 })
	if !has(r, "md_degraded") || !has(r, "baseline_member_missing") {
		t.Fatalf("readable again: findings %+v", r.Pass.Result.Findings)
	}
	write(healthy)
	rd.waitPass(t, r.Seq, "healed", func(r daemon.Report) bool { _, f := judged(r); return f == 0 && len(r.Pass.Result.Errors) == 0 })

	// Every notification up to both resolutions, counted per rule and status.
	count := map[string]int{}
	deadline := time.After(20 * time.Second)
	for count["resolved md_degraded"] == 0 || count["resolved baseline_member_missing"] == 0 {
		select {
		case m := <-got:
			for _, a := range m.Alerts {
				count[a.Status+" "+a.Labels["alertname"]]++
			}
		case <-deadline:
			t.Fatalf("resolutions not delivered; got %v", count)
		}
	}
	// power_not_observable fired once at the start and neither resolved nor
	// fired again while md's source failed.
	want := map[string]int{"firing md_degraded": 1, "resolved md_degraded": 1,
		"firing baseline_member_missing": 1, "resolved baseline_member_missing": 1, "firing power_not_observable": 1}
	if fmt.Sprint(count) != fmt.Sprint(want) {
		t.Errorf("notifications %v, want %v", count, want)
	}
}

// garbageMDStat is an mdstat whose array does not parse.
var garbageMDStat = []byte("Personalities : [raid1]\nmd0 : active raid1 sda1[0]\n      \x00\x01 garbage [2/x] [U?]\n\nunused devices: <none>\n")
