package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redwatch/redwatch/internal/clock"
	"github.com/redwatch/redwatch/internal/testtree"

	"github.com/redwatch/redwatch/internal/daemon"
	"github.com/redwatch/redwatch/rules"
)

// lockedBuffer is a goroutine-safe stderr for the daemon under test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type nopNotifier struct{}

func (nopNotifier) Notify(string) error { return nil }

// runningDaemon is `redwatch daemon` started in-process on 127.0.0.1:0.
type runningDaemon struct {
	base   string
	d      *daemon.Daemon
	passes chan daemon.Report
	stderr *lockedBuffer
	cancel context.CancelFunc
	exit   chan int
}

func startDaemon(t *testing.T, args ...string) *runningDaemon {
	t.Helper()
	started := make(chan *runningDaemon, 1)
	rd := &runningDaemon{stderr: &lockedBuffer{}, exit: make(chan int, 1), passes: make(chan daemon.Report, 1<<14)}
	hook := func(s *daemon.Service) {
		s.Notifier = nopNotifier{}
		s.OnPass = func(r daemon.Report) { rd.passes <- r }
		s.Started = func(addr net.Addr, d *daemon.Daemon) {
			rd.base = "http://" + addr.String()
			rd.d = d
			started <- rd
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	rd.cancel = cancel
	go func() {
		rd.exit <- run(ctx, append([]string{"daemon", "--listen", "127.0.0.1:0"}, args...),
			&env{stdout: io.Discard, stderr: rd.stderr, clock: clock.Real{}, daemonHook: hook})
	}()
	t.Cleanup(func() { rd.stop(t) })
	select {
	case <-started:
	case code := <-rd.exit:
		t.Fatalf("daemon exited %d:\n%s", code, rd.stderr.String())
	case <-time.After(20 * time.Second):
		t.Fatal("daemon did not start")
	}
	return rd
}

// stop cancels the daemon (SIGTERM's path) and checks it stops cleanly
// within the bound.
func (rd *runningDaemon) stop(t *testing.T) {
	t.Helper()
	if rd.cancel == nil {
		return
	}
	rd.cancel()
	rd.cancel = nil
	select {
	case code := <-rd.exit:
		if code != 0 {
			t.Errorf("daemon exit code %d:\n%s", code, rd.stderr.String())
		}
	case <-time.After(stopTimeout + 5*time.Second):
		t.Error("daemon did not stop within the bound")
	}
}

// waitStatus waits for a pass after seq `after` with the status.
func (rd *runningDaemon) waitStatus(t *testing.T, want rules.Status, after uint64) *daemon.Report {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case r := <-rd.passes:
			if r.Seq > after && r.Pass.Result.Status == want {
				return &r
			}
		case <-deadline:
			t.Fatalf("status never became %s (last %+v)\n%s", want, rd.d.Last(), rd.stderr.String())
		}
	}
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// TestDaemonFixtureEdit runs `redwatch daemon --root` on a copy of a healthy
// tree with an hour-long interval, degrades the bond and the mirror by
// rewriting their files, and sees /health and /metrics change: only the file
// events can have caused the new passes.
func TestDaemonFixtureEdit(t *testing.T) {
	root := testtree.Copy(t, "bond_ab_healthy", "md_raid1_healthy")
	rd := startDaemon(t, "--root", root, "--interval", "1h", "--state-dir", t.TempDir())
	first := rd.waitStatus(t, rules.StatusOK, 0)
	if code, body := httpGet(t, rd.base+"/health"); code != 200 || !strings.Contains(body, `"status":"ok"`) {
		t.Fatalf("healthy /health: %d %s", code, body)
	}

	bond, err := os.ReadFile(filepath.Join("..", "..", "testdata", "bond_slave_down", "proc", "net", "bonding", "bond0"))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := os.WriteFile(filepath.Join(root, "proc", "net", "bonding", "bond0"), bond, 0o644); err != nil {
		t.Fatal(err)
	}
	r := rd.waitStatus(t, rules.StatusWarning, first.Seq)
	t.Logf("bond slave down → warning in %v (trigger %s, %d events)", time.Since(start), r.Trigger, r.Events)
	if r.Trigger != daemon.TriggerEvent {
		t.Fatalf("trigger %s, want event", r.Trigger)
	}
	code, body := httpGet(t, rd.base+"/health")
	if code != 200 || !strings.Contains(body, `"subject":"bond0/eth1"`) {
		t.Fatalf("/health after the bond edit: %d %s", code, body)
	}

	md, err := os.ReadFile(filepath.Join("..", "..", "testdata", "md_raid1_degraded", "proc", "mdstat"))
	if err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	if err := os.WriteFile(filepath.Join(root, "proc", "mdstat"), md, 0o644); err != nil {
		t.Fatal(err)
	}
	r = rd.waitStatus(t, rules.StatusCritical, r.Seq)
	t.Logf("md member gone → critical in %v (trigger %s)", time.Since(start), r.Trigger)
	if code, body := httpGet(t, rd.base+"/health"); code != 503 || !strings.Contains(body, `"status":"critical"`) {
		t.Fatalf("/health after the md edit: %d %s", code, body)
	}
	_, metrics := httpGet(t, rd.base+"/metrics")
	for _, want := range []string{"redwatch_status 2", `redwatch_member_healthy{group="bond0",kind="bond",member="eth1"} 0`,
		`redwatch_passes_total{kind="incremental",trigger="event"}`, `redwatch_event_source_up{source="fsnotify"} 1`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if last := rd.d.Last(); last.Passes[daemon.TriggerInterval] != 0 {
		t.Fatalf("an interval pass ran: %v", last.Passes)
	}
	if code, _ := httpGet(t, rd.base+"/healthz"); code != 200 {
		t.Fatalf("/healthz = %d", code)
	}
	logs := rd.stderr.String()
	if !strings.Contains(logs, `msg="status changed" from=warning to=critical`) ||
		!strings.Contains(logs, `msg=finding rule=bond_member_down severity=warning subject=bond0/eth1`) {
		t.Fatalf("state changes not logged:\n%s", logs)
	}
}

// TestDaemonReload re-reads the configuration on a reload (what SIGHUP
// calls): a good file changes the interval, a bad one is logged and the old
// one kept.
func TestDaemonReload(t *testing.T) {
	root := testtree.Copy(t, "md_raid1_healthy")
	cfg := filepath.Join(t.TempDir(), "redwatch.yaml")
	if err := os.WriteFile(cfg, []byte("daemon:\n  interval: 1h\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rd := startDaemon(t, "--root", root, "--config", cfg)
	first := rd.waitStatus(t, rules.StatusOK, 0)
	if rd.d.Interval() != time.Hour {
		t.Fatalf("interval %v, want 1h from the file", rd.d.Interval())
	}

	if err := os.WriteFile(cfg, []byte("daemon:\n  interval: 10m\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rd.d.Reload()
	r := rd.waitStatus(t, rules.StatusOK, first.Seq)
	if r.Trigger != daemon.TriggerReload || r.Interval != 10*time.Minute {
		t.Fatalf("after reload: trigger %s interval %v", r.Trigger, r.Interval)
	}

	if err := os.WriteFile(cfg, []byte("daemon:\n  intervall: 1m\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rd.d.Reload()
	// A failed reload runs no pass; it shows in /metrics (Prometheus's own
	// names) and only the good reload counts as a reload pass.
	deadline := time.Now().Add(10 * time.Second)
	var metrics string
	for {
		if _, metrics = httpGet(t, rd.base+"/metrics"); strings.Contains(metrics, "redwatch_config_last_reload_successful 0") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("failed reload not in /metrics:\n%s", metrics)
		}
		time.Sleep(10 * time.Millisecond) // polling the loop, not waiting for time
	}
	if !strings.Contains(metrics, `redwatch_passes_total{kind="full",trigger="reload"} 1`) {
		t.Errorf("reload passes after one good and one bad reload:\n%s", grepLines(metrics, "redwatch_passes_total"))
	}
	if !strings.Contains(metrics, "redwatch_config_last_reload_success_timestamp_seconds ") {
		t.Errorf("no reload success timestamp:\n%s", metrics)
	}
	if rd.d.Interval() != 10*time.Minute {
		t.Fatalf("a bad file changed the interval to %v", rd.d.Interval())
	}
	if logs := rd.stderr.String(); !strings.Contains(logs, "reload failed") || !strings.Contains(logs, "intervall") {
		t.Fatalf("bad reload not logged:\n%s", logs)
	}
}

// grepLines keeps the lines of s that contain sub.
func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestDaemonBadFlags fails fast on a bad configuration or listen address.
func TestDaemonBadFlags(t *testing.T) {
	var stderr bytes.Buffer
	e := &env{stdout: io.Discard, stderr: &stderr, clock: clock.Real{}}
	if code := run(context.Background(), []string{"daemon", "--config", filepath.Join(t.TempDir(), "none.yaml")}, e); code != exitError {
		t.Fatalf("missing config: exit %d", code)
	}
	if !strings.Contains(stderr.String(), "redwatch: daemon: config") {
		t.Fatalf("stderr: %s", stderr.String())
	}
	stderr.Reset()
	if code := run(context.Background(), []string{"daemon", "--root", t.TempDir(), "--listen", "256.0.0.1:1"}, e); code != exitError {
		t.Fatalf("bad listen: exit %d\n%s", code, stderr.String())
	}
	stderr.Reset()
	if code := run(context.Background(), []string{"daemon", "--log-level", "loud"}, e); code != exitError {
		t.Fatalf("bad log level: exit %d", code)
	}
}

// TestDaemonGOMAXPROCS: the daemon runs on one scheduler processor unless
// --runtime.gomaxprocs or $GOMAXPROCS says otherwise (node_exporter's
// default); 0 leaves Go's default, a negative number is refused.
func TestDaemonGOMAXPROCS(t *testing.T) {
	root := testtree.Copy(t, "bond_ab_healthy")
	for _, tc := range []struct {
		name, env string
		args      []string
		want      int // 0: not set
		code      int
	}{
		{name: "default", want: 1},
		{name: "flag", args: []string{"--runtime.gomaxprocs", "4"}, want: 4},
		{name: "environment", env: "3", want: 3},
		{name: "flag over environment", env: "3", args: []string{"--runtime.gomaxprocs", "2"}, want: 2},
		{name: "bad environment", env: "many", want: 1},
		{name: "zero keeps Go's default", args: []string{"--runtime.gomaxprocs", "0"}},
		{name: "negative", args: []string{"--runtime.gomaxprocs", "-1"}, code: exitError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("GOMAXPROCS", tc.env)
			got := 0
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var stderr lockedBuffer
			e := &env{stdout: io.Discard, stderr: &stderr, clock: clock.Real{},
				gomaxprocs: func(n int) int { got = n; return 2 },
				daemonHook: func(s *daemon.Service) {
					s.Notifier = nopNotifier{}
					s.Started = func(net.Addr, *daemon.Daemon) { cancel() }
				}}
			args := append([]string{"daemon", "--root", root, "--listen", "127.0.0.1:0", "--interval", "1h"}, tc.args...)
			if code := run(ctx, args, e); code != tc.code {
				t.Fatalf("exit %d, want %d\n%s", code, tc.code, stderr.String())
			}
			if got != tc.want {
				t.Fatalf("GOMAXPROCS set to %d, want %d (0: not set)", got, tc.want)
			}
		})
	}
}

// TestDetectionUnderLoad measures how long a fixture fault takes to reach
// the verdict, first on an idle endpoint, then while wrk floods /metrics on
// loopback (bounded: 2 threads, 16 connections, 5 s). It reports the
// numbers; it asserts only that every fault was detected and wrk ran.
func TestDetectionUnderLoad(t *testing.T) {
	wrk, err := exec.LookPath("wrk")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("wrk not installed (scripts/deps-daemon.sh installs it)")
		}
		t.Skip("wrk not installed (run scripts/deps-daemon.sh)")
	}
	root := testtree.Copy(t, "md_raid1_healthy")
	healthy, err := os.ReadFile(filepath.Join(root, "proc", "mdstat"))
	if err != nil {
		t.Fatal(err)
	}
	degraded, err := os.ReadFile(filepath.Join("..", "..", "testdata", "md_raid1_degraded", "proc", "mdstat"))
	if err != nil {
		t.Fatal(err)
	}
	rd := startDaemon(t, "--root", root, "--interval", "1h")
	last := rd.waitStatus(t, rules.StatusOK, 0)

	// measure toggles the mirror between degraded and healthy until stop
	// closes (or n toggles), returning each fault→verdict latency.
	measure := func(n int, stop <-chan struct{}) []time.Duration {
		var lat []time.Duration
		for i := 0; i < n; i++ {
			select {
			case <-stop:
				return lat
			default:
			}
			data, want := degraded, rules.StatusCritical
			if i%2 == 1 {
				data, want = healthy, rules.StatusOK
			}
			start := time.Now()
			if err := os.WriteFile(filepath.Join(root, "proc", "mdstat"), data, 0o644); err != nil {
				t.Fatal(err)
			}
			last = rd.waitStatus(t, want, last.Seq)
			lat = append(lat, time.Since(start))
		}
		return lat
	}

	idle := measure(20, nil)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, wrk, "-t2", "-c16", "-d5s", "--latency", rd.base+"/metrics")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	wrkDone := make(chan struct{})
	go func() { _ = cmd.Wait(); close(wrkDone) }()
	loaded := measure(1000, wrkDone)
	<-wrkDone
	if len(loaded) > 1 {
		loaded = loaded[1:] // the first toggle may have raced wrk's connecting
	}
	rps := regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`).FindStringSubmatch(out.String())
	if rps == nil {
		t.Fatalf("wrk reported no request rate:\n%s", out.String())
	}
	if len(loaded) == 0 {
		t.Fatal("no fault measured under load")
	}
	t.Logf("detection latency idle:  %s", summary(idle))
	t.Logf("detection latency under wrk -t2 -c16 (%s req/s on /metrics): %s", rps[1], summary(loaded))
	t.Logf("wrk:\n%s", out.String())
}

// summary is "n=N median M p90 P max X".
func summary(d []time.Duration) string {
	s := slices.Clone(d)
	slices.Sort(s)
	pick := func(q float64) time.Duration { return s[int(q*float64(len(s)-1))].Round(100 * time.Microsecond) }
	return fmt.Sprintf("n=%d median %v p90 %v max %v", len(s), pick(0.5), pick(0.9), pick(1))
}

// hookMessage is the part of the webhook payload (Alertmanager webhook
// format) the daemon tests read.
type hookMessage struct {
	Version string `json:"version"`
	Status  string `json:"status"`
	Alerts  []struct {
		Status string            `json:"status"`
		Labels map[string]string `json:"labels"`
	} `json:"alerts"`
}

// hookReceiver is an httptest webhook receiver on 127.0.0.1 that hands every
// payload to a channel.
func hookReceiver(t *testing.T) (url string, got <-chan hookMessage) {
	t.Helper()
	ch := make(chan hookMessage, 64)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m hookMessage
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			t.Errorf("webhook body: %v", err)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		ch <- m
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/hook", ch
}

// waitHook waits (real I/O, bounded) for a notification of rule on subject
// with the status.
func waitHook(t *testing.T, got <-chan hookMessage, status, rule, subject string) hookMessage {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case m := <-got:
			if len(m.Alerts) == 1 && m.Status == status && m.Alerts[0].Status == status &&
				m.Alerts[0].Labels["alertname"] == rule && m.Alerts[0].Labels["subject"] == subject {
				return m
			}
			t.Logf("other notification: %+v", m)
		case <-deadline:
			t.Fatalf("no %s notification for %s %s", status, rule, subject)
		}
	}
}

// TestDaemonAlerts runs the daemon on a fixture tree with a webhook channel:
// rewriting the bond file with eth1 down delivers a firing notification for
// bond0/eth1, restoring it the resolved one, and /metrics counts both (the
// channel routes only bond_member_* so that the count is exact).
func TestDaemonAlerts(t *testing.T) {
	root := testtree.Copy(t, "bond_ab_healthy")
	if err := os.MkdirAll(filepath.Join(root, "proc", "sys", "kernel"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "proc", "sys", "kernel", "hostname"), []byte("db7\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	url, got := hookReceiver(t)
	cfg := filepath.Join(t.TempDir(), "redwatch.yaml")
	conf := fmt.Sprintf("alerts:\n  retry: {initial: 100ms, max: 1s}\n  channels:\n    - name: hook\n      type: webhook\n      rules: [\"bond_member_*\"]\n      webhook: {url: %q}\n", url)
	if err := os.WriteFile(cfg, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	state := t.TempDir()
	rd := startDaemon(t, "--root", root, "--interval", "1h", "--state-dir", state, "--config", cfg)
	first := rd.waitStatus(t, rules.StatusOK, 0)

	healthy, err := os.ReadFile(filepath.Join(root, "proc", "net", "bonding", "bond0"))
	if err != nil {
		t.Fatal(err)
	}
	down, err := os.ReadFile(filepath.Join("..", "..", "testdata", "bond_slave_down", "proc", "net", "bonding", "bond0"))
	if err != nil {
		t.Fatal(err)
	}
	bond := filepath.Join(root, "proc", "net", "bonding", "bond0")
	start := time.Now()
	if err := os.WriteFile(bond, down, 0o644); err != nil {
		t.Fatal(err)
	}
	m := waitHook(t, got, "firing", "bond_member_down", "bond0/eth1")
	t.Logf("bond slave down → firing webhook in %v", time.Since(start))
	if m.Version != "4" || m.Alerts[0].Labels["instance"] != "db7" || m.Alerts[0].Labels["severity"] != "warning" {
		t.Errorf("firing payload: %+v", m)
	}
	r := rd.waitStatus(t, rules.StatusWarning, first.Seq)

	start = time.Now()
	if err := os.WriteFile(bond, healthy, 0o644); err != nil {
		t.Fatal(err)
	}
	waitHook(t, got, "resolved", "bond_member_down", "bond0/eth1")
	t.Logf("bond slave back → resolved webhook in %v", time.Since(start))
	rd.waitStatus(t, rules.StatusOK, r.Seq)

	// The delivery is counted once the receiver's answer is read; poll.
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, metrics := httpGet(t, rd.base+"/metrics")
		if strings.Contains(metrics, `redwatch_alert_notifications_total{channel="hook",result="delivered"} 2`) &&
			strings.Contains(metrics, `redwatch_alerts_active{state="firing"} 1`) && // power_not_observable (info), routed elsewhere
			strings.Contains(metrics, `redwatch_alert_queue_depth{channel="hook"} 0`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/metrics after delivery:\n%s", metrics)
		}
		time.Sleep(20 * time.Millisecond) // polling real I/O, not waiting for time
	}

	// A changed alerts block is reported, not half-applied.
	if err := os.WriteFile(cfg, []byte(conf+"  repeat_interval: 1h\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rd.d.Reload()
	rd.waitStatus(t, rules.StatusOK, 0)
	for !strings.Contains(rd.stderr.String(), "alerts configuration changed: takes effect on restart") {
		if time.Now().After(deadline.Add(10 * time.Second)) {
			t.Fatalf("changed alerts block not logged:\n%s", rd.stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	rd.stop(t)
	if _, err := os.Stat(filepath.Join(state, "alerts", "state.json")); err != nil {
		t.Errorf("alert state not kept: %v", err)
	}
}

// TestDaemonAlertsNeedStateDir: a captured tree without --state-dir has no
// state, so configured channels are disabled with a warning (a temporary
// directory would lose queued notifications on restart).
func TestDaemonAlertsNeedStateDir(t *testing.T) {
	root := testtree.Copy(t, "bond_ab_healthy")
	cfg := filepath.Join(t.TempDir(), "redwatch.yaml")
	conf := "alerts:\n  channels:\n    - name: hook\n      type: webhook\n      webhook: {url: \"http://127.0.0.1:9/hook\"}\n"
	if err := os.WriteFile(cfg, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	rd := startDaemon(t, "--root", root, "--interval", "1h", "--config", cfg)
	rd.waitStatus(t, rules.StatusOK, 0)
	if logs := rd.stderr.String(); !strings.Contains(logs, "alerts disabled: no state directory") {
		t.Fatalf("no warning:\n%s", logs)
	}
	if _, metrics := httpGet(t, rd.base+"/metrics"); strings.Contains(metrics, "redwatch_alert") {
		t.Fatalf("alert metrics without alerts:\n%s", metrics)
	}
}
