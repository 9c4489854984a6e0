package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/redwatch/redwatch/internal/buildinfo"
	"github.com/redwatch/redwatch/internal/clock"
	"github.com/redwatch/redwatch/internal/testtree"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/redwatch/redwatch/alerts"
	"github.com/redwatch/redwatch/alerts/webhook"
	"github.com/redwatch/redwatch/collectors"
	"github.com/redwatch/redwatch/internal/daemon/report"
	"github.com/redwatch/redwatch/internal/engine"
	"github.com/redwatch/redwatch/rules"
)

// passTime is the fixed time of the test passes.
var passTime = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// fixtureReport runs the real engine over the fixture trees merged.
func fixtureReport(t *testing.T, names ...string) *report.Report {
	t.Helper()
	dir := testtree.Copy(t, names...)
	eng := &engine.Engine{Roots: collectors.TreeRoots(dir), Clock: clock.NewFake(passTime)}
	p := eng.Run(context.Background())
	p.Snapshot.Host = "db-17"
	return &report.Report{
		Pass: p, Seq: 3, Trigger: report.TriggerEvent, Events: 2,
		Passes:         map[string]uint64{"start": 1, "event": 2},
		Incremental:    1,
		EventsBySource: map[string]uint64{"netlink": 2, "mdstat": 0},
		Sources:        map[string]bool{"netlink": true, "mdstat": true, "uevent": false},
		Interval:       30 * time.Second,
	}
}

// degraded is a host with a bond slave down and a degraded mirror.
func degraded(t *testing.T) *report.Report {
	t.Helper()
	r := fixtureReport(t, "bond_slave_down", "md_raid1_degraded")
	if r.Pass.Result.Status != rules.StatusCritical {
		t.Fatalf("degraded fixture: status %s, want critical; findings %+v", r.Pass.Result.Status, r.Pass.Result.Findings)
	}
	return r
}

func newTestServer(t *testing.T, last *report.Report, now time.Time) *Server {
	t.Helper()
	s, err := New(Options{
		Last:     func() *report.Report { return last },
		Interval: func() time.Duration { return 30 * time.Second },
		Reload: func() report.ReloadStatus {
			return report.ReloadStatus{Successful: false, LastSuccess: passTime.Add(-time.Hour)}
		},
		Clock:   clock.NewFake(now),
		Started: passTime.Add(-time.Second),
		Build:   testBuild,
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func get(t *testing.T, h http.Handler, path string) (int, string, http.Header) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec.Code, rec.Body.String(), rec.Header()
}

// TestHealth serves the audit JSON plus the time, with 503 for critical and
// before the first pass, 200 for ok and warning.
func TestHealth(t *testing.T) {
	code, body, hdr := get(t, newTestServer(t, degraded(t), passTime).Handler(), "/health")
	if code != http.StatusServiceUnavailable || hdr.Get("Content-Type") != "application/json" {
		t.Fatalf("critical: %d %s", code, hdr.Get("Content-Type"))
	}
	var got struct {
		Time     time.Time `json:"time"`
		Host     string    `json:"host"`
		Status   string    `json:"status"`
		Findings []struct {
			Rule, Severity, Subject string
		} `json:"findings"`
		Groups []struct {
			Kind, Name string
			Members    []struct{ Name, State string }
		} `json:"groups"`
		Errors []any `json:"errors"`
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatalf("%v\n%s", err, body)
	}
	if !got.Time.Equal(passTime) || got.Host != "db-17" || got.Status != "critical" || got.Errors == nil {
		t.Fatalf("health = %+v", got)
	}
	subjects := ""
	for _, f := range got.Findings {
		subjects += f.Subject + " "
	}
	if !strings.Contains(subjects, "bond0/eth1") || !strings.Contains(subjects, "md0") {
		t.Fatalf("findings lack bond0/eth1 or md0: %s", subjects)
	}
	if !strings.HasPrefix(body, `{"time":"2025-06-01T12:00:00Z","host":"db-17","status":"critical",`) {
		t.Fatalf("field order: %.80s", body)
	}

	if code, _, _ := get(t, newTestServer(t, fixtureReport(t, "bond_slave_down"), passTime).Handler(), "/health"); code != http.StatusOK {
		t.Fatalf("warning: %d, want 200", code)
	}
	if code, _, _ := get(t, newTestServer(t, fixtureReport(t, "md_raid1_healthy"), passTime).Handler(), "/health"); code != http.StatusOK {
		t.Fatalf("ok: %d, want 200", code)
	}
	code, body, _ = get(t, newTestServer(t, nil, passTime).Handler(), "/health")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, `"status":"unknown"`) {
		t.Fatalf("before the first pass: %d %s", code, body)
	}
}

// TestHealthCode maps every status.
func TestHealthCode(t *testing.T) {
	for st, want := range map[rules.Status]int{rules.StatusOK: 200, rules.StatusWarning: 200, rules.StatusCritical: 503, rules.StatusUnknown: 503} {
		if got := HealthCode(st); got != want {
			t.Errorf("%s: %d, want %d", st, got, want)
		}
	}
}

// TestHealthz is 200 while the last pass is recent and 503 once it is older
// than three intervals.
func TestHealthz(t *testing.T) {
	r := degraded(t) // a critical host is still a live daemon
	if code, body, _ := get(t, newTestServer(t, r, passTime.Add(89*time.Second)).Handler(), "/healthz"); code != 200 {
		t.Fatalf("recent: %d %s", code, body)
	}
	code, body, _ := get(t, newTestServer(t, r, passTime.Add(91*time.Second)).Handler(), "/healthz")
	if code != 503 || !strings.HasPrefix(body, "stale") {
		t.Fatalf("stale: %d %s", code, body)
	}
	if code, _, _ := get(t, newTestServer(t, nil, passTime).Handler(), "/healthz"); code != 200 {
		t.Fatalf("starting: %d", code)
	}
	if code, _, _ := get(t, newTestServer(t, nil, passTime.Add(time.Hour)).Handler(), "/healthz"); code != 503 {
		t.Fatalf("no first pass after an hour: %d", code)
	}
}

// TestStatusPage names the status, the failing members and the findings,
// worst first.
func TestStatusPage(t *testing.T) {
	code, body, hdr := get(t, newTestServer(t, degraded(t), passTime.Add(5*time.Second)).Handler(), "/")
	if code != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/html") {
		t.Fatalf("%d %s", code, hdr.Get("Content-Type"))
	}
	for _, want := range []string{
		`<header class="critical"><h1>critical</h1>`,
		`<span class="member critical" title="down">eth1 · down</span>`,
		`<span class="member ok" title="up">eth0 · up</span>`,
		`db-17`, `2025-06-01T12:00:00Z`, `5s ago`,
		// Remediations: real names, commands as code rather than literal backticks.
		`(<code>mdadm /dev/md0 --add /dev/NEW_DISK</code>)`,
		`<code>ip link show eth1</code>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(body, "`") {
		t.Error("page shows literal backticks")
	}
	if strings.Contains(body, "http://") || strings.Contains(body, "https://") || strings.Contains(body, "<script") {
		t.Error("page refers to external assets or runs scripts")
	}
	crit := strings.Index(body, `sev critical`)
	warn := strings.Index(body, `sev warning`)
	if crit < 0 || warn < 0 || crit > warn {
		t.Errorf("findings not worst-first (critical at %d, warning at %d)", crit, warn)
	}
	_, body, _ = get(t, newTestServer(t, nil, passTime).Handler(), "/")
	if !strings.Contains(body, "no pass has run yet") {
		t.Error("starting page missing")
	}
	if code, _, _ := get(t, newTestServer(t, nil, passTime).Handler(), "/nope"); code != 404 {
		t.Errorf("/nope: %d", code)
	}
}

// TestMetrics carries every group, member, finding and collector, and
// passes promtool's lint.
func TestMetrics(t *testing.T) {
	code, body, _ := get(t, newTestServer(t, degraded(t), passTime).Handler(), "/metrics")
	if code != 200 {
		t.Fatalf("%d", code)
	}
	for _, want := range []string{
		`redwatch_status 2`,
		`redwatch_group_members{kind="bond",name="bond0"} 2`,
		`redwatch_group_healthy_members{kind="bond",name="bond0"} 1`,
		`redwatch_group_needed_members{kind="bond",name="bond0"} 2`,
		`redwatch_member_healthy{group="bond0",kind="bond",member="eth1"} 0`,
		`redwatch_member_state{group="bond0",kind="bond",member="eth1",state="down"} 1`,
		`redwatch_member_state{group="bond0",kind="bond",member="eth1",state="up"} 0`,
		`redwatch_member_state{group="bond0",kind="bond",member="eth1",state="going back"} 0`,
		`redwatch_member_state{group="bond0",kind="bond",member="eth0",state="up"} 1`,
		`redwatch_member_state{group="bond0",kind="bond",member="eth0",state="down"} 0`,
		`redwatch_member_state{group="md0",kind="md",member="sda1",state="faulty"} 0`,
		`redwatch_member_state{group="md0",kind="md",member="(slot 1)",state="missing"} 1`,
		`redwatch_member_state{group="md0",kind="md",member="(slot 1)",state="in_sync"} 0`,
		`redwatch_finding{rule="bond_member_down",severity="warning",subject="bond0/eth1"} 1`,
		`redwatch_findings{severity="info"} 1`, // power_not_observable: the trees have no power source
		`redwatch_collector_success{collector="md"} 1`,
		`redwatch_collector_duration_seconds{collector="bonding"}`,
		`redwatch_passes_total{kind="full",trigger="event"} 1`,
		`redwatch_passes_total{kind="incremental",trigger="event"} 1`,
		`redwatch_events_total{source="netlink"} 2`,
		`redwatch_event_source_up{source="uevent"} 0`,
		`redwatch_last_pass_timestamp_seconds 1.7487792e+09`,
		`redwatch_pass_duration_seconds`,
		`redwatch_interval_seconds 30`,
		`redwatch_config_last_reload_successful 0`,
		`redwatch_config_last_reload_success_timestamp_seconds 1.7487756e+09`,
		`redwatch_build_info{builddate="2026-11-30T21:00:00Z",goarch="amd64",goos="linux",goversion="go1.26.8",revision="0a1e9b2c3d4e5f60718293a4b5c6d7e8f9012345",version="v0.0.0-test"} 1`,
		`go_goroutines`,
		`process_cpu_seconds_total`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if !strings.Contains(body, `redwatch_group_members{kind="md",name="md0"}`) {
		t.Error("metrics lack md0")
	}
	promtoolCheck(t, body)

	// Before the first pass: build info only, still valid.
	_, body, _ = get(t, newTestServer(t, nil, passTime).Handler(), "/metrics")
	if strings.Contains(body, "redwatch_status") || !strings.Contains(body, "redwatch_build_info") {
		t.Fatalf("before the first pass:\n%s", body)
	}
	promtoolCheck(t, body)
}

// TestStatusPageLLDP shows each bond member's LLDP switch and port.
func TestStatusPageLLDP(t *testing.T) {
	_, body, _ := get(t, newTestServer(t, fixtureReport(t, "bond_same_switch"), passTime).Handler(), "/")
	if want := `eth2 · up · sw-a swp1</span>`; !strings.Contains(body, want) {
		t.Errorf("page lacks %q", want)
	}
	// /health carries each member's switch in the group model.
	_, body, _ = get(t, newTestServer(t, fixtureReport(t, "bond_same_switch"), passTime).Handler(), "/health")
	for _, want := range []string{`"switch":"mac:a6:da:6f:9f:9f:f8","switch_name":"sw-a","switch_port":"swp2"`, `"rule":"bond_same_switch"`} {
		if !strings.Contains(body, want) {
			t.Errorf("/health lacks %s", want)
		}
	}
}

// TestStatusPageNICNeighbours shows the neighbours of NICs outside bonds on
// the page, in /health and on /metrics.
func TestStatusPageNICNeighbours(t *testing.T) {
	h := newTestServer(t, fixtureReport(t, "lldp_nic_outside_bond"), passTime).Handler()
	_, body, _ := get(t, h, "/")
	if want := `<tr><td><code>eth0</code></td><td>oob-sw</td><td>ge-0/0/7</td><td><code>mac:02:42:ac:11:00:07</code></td></tr>`; !strings.Contains(body, want) {
		t.Errorf("page lacks %q", want)
	}
	_, body, _ = get(t, h, "/health")
	if want := `"lldp_neighbors":[{"interface":"eth0","switch":"mac:02:42:ac:11:00:07","switch_name":"oob-sw","switch_port":"ge-0/0/7"}]`; !strings.Contains(body, want) {
		t.Errorf("/health lacks %s", want)
	}
	_, body, _ = get(t, h, "/metrics")
	if want := `redwatch_lldp_neighbor_info{chassis_id="mac:02:42:ac:11:00:07",interface="eth0",port_id="ifname:ge-0/0/7",system_name="oob-sw"} 1`; !strings.Contains(body, want) {
		t.Errorf("metrics lack %s", want)
	}
}

// TestMetricsLLDP exports each LLDP neighbour of the pass as an info
// metric, promtool-clean.
func TestMetricsLLDP(t *testing.T) {
	_, body, _ := get(t, newTestServer(t, fixtureReport(t, "bond_same_switch"), passTime).Handler(), "/metrics")
	for _, want := range []string{
		`redwatch_lldp_neighbor_info{chassis_id="mac:a6:da:6f:9f:9f:f8",interface="eth2",port_id="ifname:swp1",system_name="sw-a"} 1`,
		`redwatch_lldp_neighbor_info{chassis_id="mac:a6:da:6f:9f:9f:f8",interface="eth4",port_id="ifname:swp2",system_name="sw-a"} 1`,
		`redwatch_finding{rule="bond_same_switch",severity="warning",subject="bond0"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	promtoolCheck(t, body)
}

// testBuild is the build the test servers report in redwatch_build_info.
var testBuild = buildinfo.Info{
	Version: "v0.0.0-test", Revision: "0a1e9b2c3d4e5f60718293a4b5c6d7e8f9012345", BuildDate: "2026-11-30T21:00:00Z",
	GoVersion: "go1.26.8", GOOS: "linux", GOARCH: "amd64",
}

// promtoolCheck runs `promtool check metrics` on the exposition. Without
// promtool the test skips locally and fails in CI (CI=true).
func promtoolCheck(t *testing.T, exposition string) {
	t.Helper()
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("promtool not installed (Debian package prometheus; scripts/deps-daemon.sh installs it)")
		}
		t.Skip("promtool not installed (Debian package prometheus; run scripts/deps-daemon.sh)")
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(exposition)
	out, err := cmd.CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) != 0 {
		t.Fatalf("promtool check metrics: %v\n%s", err, out)
	}
}

// TestMetricsDuplicateLabels keeps a scrape valid when two findings share
// rule, severity and subject.
func TestMetricsDuplicateLabels(t *testing.T) {
	r := degraded(t)
	r.Pass.Result.Findings = append(r.Pass.Result.Findings, r.Pass.Result.Findings[0])
	r.Pass.Result.Groups = append(r.Pass.Result.Groups, r.Pass.Result.Groups[0])
	code, body, _ := get(t, newTestServer(t, r, passTime).Handler(), "/metrics")
	if code != 200 {
		t.Fatalf("%d\n%s", code, body)
	}
	promtoolCheck(t, body)
}

// TestScrapeReadsNoFiles proves a scrape never reads the host: the fixture
// tree is deleted after the pass and /metrics, /health and / still answer
// from the pass.
func TestScrapeReadsNoFiles(t *testing.T) {
	dir := testtree.Copy(t, "md_raid1_degraded")
	eng := &engine.Engine{Roots: collectors.TreeRoots(dir), Clock: clock.NewFake(passTime)}
	r := &report.Report{Pass: eng.Run(context.Background()), Seq: 1, Trigger: report.TriggerStart}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	h := newTestServer(t, r, passTime).Handler()
	if _, body, _ := get(t, h, "/metrics"); !strings.Contains(body, `redwatch_group_members{kind="md",name="md0"}`) {
		t.Fatal("scrape lost md0 after the tree went away")
	}
	if code, _, _ := get(t, h, "/health"); code != 503 {
		t.Fatalf("/health = %d", code)
	}
}

func readAll(t *testing.T, r io.Reader) string {
	t.Helper()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestMetricsExtra registers a real alerts.Manager through Options.Extra:
// /metrics shows redwatch_alert_* next to the pass metrics and still passes
// promtool's lint. The Manager is never run, so nothing is delivered.
func TestMetricsExtra(t *testing.T) {
	r := degraded(t)
	cfg := alerts.Config{Channels: []alerts.ChannelConfig{{
		Name: "ops", Type: alerts.TypeWebhook,
		Webhook: &webhook.Config{URL: "http://127.0.0.1:9/hook"},
	}}}
	m, err := alerts.NewManager(cfg, t.TempDir(), "db7", clock.NewFake(passTime), nil)
	if err != nil {
		t.Fatal(err)
	}
	m.Process(context.Background(), r.Pass.Result)
	if err := m.Close(); err != nil { // not running: evaluates the waiting pass
		t.Fatal(err)
	}
	s, err := New(Options{
		Last:  func() *report.Report { return r },
		Clock: clock.NewFake(passTime),
		Build: testBuild,
		Extra: []prometheus.Collector{m},
	})
	if err != nil {
		t.Fatal(err)
	}
	_, body, _ := get(t, s.Handler(), "/metrics")
	firing := len(r.Pass.Result.Findings)
	for _, want := range []string{
		`redwatch_status 2`,
		fmt.Sprintf(`redwatch_alerts_active{state="firing"} %d`, firing),
		fmt.Sprintf(`redwatch_alert_queue_depth{channel="ops"} %d`, firing),
		`redwatch_alert_queue_oldest_age_seconds{channel="ops"} 0`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	promtoolCheck(t, body)

	// A collector that clashes with the built-in ones is an error, not a panic.
	if _, err := New(Options{Last: func() *report.Report { return r }, Extra: []prometheus.Collector{m, m}}); err == nil {
		t.Error("registering the same collector twice: no error")
	}
}

// TestStatusPageAlerts shows the active alerts and whom they reached, and no
// alert section at all when the daemon sends none.
func TestStatusPageAlerts(t *testing.T) {
	s := newTestServer(t, degraded(t), passTime.Add(5*time.Second))
	_, body, _ := get(t, s.Handler(), "/")
	if strings.Contains(body, "<h2>Alerts</h2>") {
		t.Error("alerts section shown for a daemon that sends no alerts")
	}
	s.opts.Alerts = func() []alerts.Alert {
		return []alerts.Alert{
			{Rule: "bond_member_down", Severity: rules.Warning, Subject: "bond0/eth1", StartsAt: passTime, Notified: []string{"ops-webhook"},
				Deliveries: []alerts.Delivery{
					{Channel: "mail", State: alerts.Queued, Queued: passTime, Attempts: 3, Error: "email: smtp.example.org:587: dial tcp: connection refused"},
					{Channel: "ops-webhook", State: alerts.Delivered, Queued: passTime, Delivered: passTime.Add(time.Second)},
				}},
			{Rule: "md_degraded", Severity: rules.Critical, Subject: "md0", StartsAt: passTime, Maintenance: true},
		}
	}
	_, body, _ = get(t, s.Handler(), "/")
	for _, want := range []string{"<h2>Alerts</h2>", "<code>bond0/eth1</code>", "<b>ops-webhook</b>: delivered 2025-06-01T12:00:01Z",
		"<b>mail</b>: queued since 2025-06-01T12:00:00Z, 3 failed attempts, last error: email: smtp.example.org:587: dial tcp: connection refused",
		"in maintenance: nobody", "2025-06-01T12:00:00Z"} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	s.opts.Alerts = func() []alerts.Alert { return nil }
	if _, body, _ = get(t, s.Handler(), "/"); !strings.Contains(body, "No alert is firing.") {
		t.Error("empty alerts section missing")
	}
}

func TestCodeSpans(t *testing.T) {
	for in, want := range map[string]string{
		"run `mdadm --run /dev/md0` now": "run <code>mdadm --run /dev/md0</code> now",
		"`a<b>` & `c`":                   "<code>a&lt;b&gt;</code> &amp; <code>c</code>",
		"no command":                     "no command",
		"one ` unpaired":                 "one ` unpaired",
		"`x` and ` unpaired <script>":    "<code>x</code> and ` unpaired &lt;script&gt;",
	} {
		if got := string(codeSpans(in)); got != want {
			t.Errorf("codeSpans(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestStatusPageMaintenance lists the maintenance windows on and marks the
// findings they silence, and only those.
func TestStatusPageMaintenance(t *testing.T) {
	r := degraded(t)
	r.Pass.Maintenance = []rules.Maintenance{{Started: passTime, Until: passTime.Add(time.Hour), Reason: "disk swap", Subject: "md0"}}
	for i := range r.Pass.Result.Findings {
		r.Pass.Result.Findings[i].Maintenance = rules.Silencing(r.Pass.Maintenance, r.Pass.Result.Findings[i]) != nil
	}
	_, body, _ := get(t, newTestServer(t, r, passTime).Handler(), "/")
	if !strings.Contains(body, "<h2>Maintenance</h2>") || !strings.Contains(body, "<li>subject md0, until 2025-06-01T13:00:00Z: disk swap</li>") {
		t.Errorf("page lacks the maintenance window:\n%s", body)
	}
	if n := strings.Count(body, "silenced by maintenance"); n != 1 {
		t.Errorf("%d findings marked silenced, want 1 (md0's)", n)
	}
	_, body, _ = get(t, newTestServer(t, degraded(t), passTime).Handler(), "/")
	if strings.Contains(body, "Maintenance</h2>") || strings.Contains(body, "silenced") {
		t.Error("maintenance shown without a window")
	}
}

// TestDisksOnPageAndMetrics: the disk inventory and the SMART health are on
// the status page and on /metrics (promtool-clean), an offline disk marked.
func TestDisksOnPageAndMetrics(t *testing.T) {
	h := newTestServer(t, fixtureReport(t, "md_raid1_disk_offline"), passTime).Handler()
	_, page, _ := get(t, h, "/")
	if want := `<tr class="bad"><td><code>sdb</code></td><td>ST4000NM0035-1V4</td><td>ZC1A0002</td><td>sas</td><td>0000:3b:00.0 (mpt3sas)</td><td>offline</td>`; !strings.Contains(page, want) {
		t.Errorf("page lacks %s", want)
	}
	_, body, _ := get(t, h, "/metrics")
	for _, want := range []string{
		`redwatch_disk_info{controller="0000:3b:00.0",controller_driver="mpt3sas",disk="sdb",model="ST4000NM0035-1V4",serial="ZC1A0002",transport="sas"} 1`,
		`redwatch_disk_up{disk="sdb",state="offline"} 0`,
		`redwatch_disk_up{disk="sda",state="running"} 1`,
		`redwatch_member_state{group="md0",kind="md",member="sdb1",state="disk_down"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	promtoolCheck(t, body)
	_, body, _ = get(t, newTestServer(t, fixtureReport(t, "disk_nvme_critical_warning"), passTime).Handler(), "/metrics")
	if want := `redwatch_disk_smart_healthy{disk="nvme0n1"} 0`; !strings.Contains(body, want) {
		t.Errorf("metrics lack %s", want)
	}
	promtoolCheck(t, body)
}

// TestHWRaidViews: /metrics (promtool-clean), /health and the status page
// show each RAID controller, VD and drive with its state.
func TestHWRaidViews(t *testing.T) {
	rep := fixtureReport(t, "hwraid_perccli_synthetic_optimal_failed_member")
	_, body, _ := get(t, newTestServer(t, rep, passTime).Handler(), "/metrics")
	for _, want := range []string{
		`redwatch_hwraid_controller_info{controller="c0",model="PERC H730 Mini",status="Optimal",tool="storcli"} 1`,
		`redwatch_hwraid_controller_healthy{controller="c0",tool="storcli"} 1`,
		`redwatch_hwraid_vd_state{controller="c0",level="RAID1",state="optimal",tool="storcli",vd="v0"} 1`,
		`redwatch_hwraid_drive_state{controller="c0",slot="252:1",state="down",tool="storcli"} 1`,
		`redwatch_hwraid_drive_state{controller="c0",slot="252:0",state="online",tool="storcli"} 1`,
		`redwatch_hwraid_cache_protected{backup="cachevault",controller="c0",tool="storcli"} 1`,
		`redwatch_member_state{group="c0/v0",kind="hwraid",member="252:1",state="down"} 1`,
		`redwatch_finding{rule="hwraid_vd_degraded",severity="critical",subject="c0/v0"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	promtoolCheck(t, body)
	_, body, _ = get(t, newTestServer(t, rep, passTime).Handler(), "/health")
	for _, want := range []string{`"kind":"hwraid","name":"c0/v0"`, `"controller":"c0 (PERC H730 Mini)","slot":"252:1"`, `"rule":"hwraid_drive_failed"`} {
		if !strings.Contains(body, want) {
			t.Errorf("/health lacks %s", want)
		}
	}
	_, body, _ = get(t, newTestServer(t, rep, passTime).Handler(), "/")
	for _, want := range []string{`<h2>RAID controllers</h2>`, `c0/v0 RAID1 optimal`, `252:1 · down (Offln)`, `hwraid c0/v0`} {
		if !strings.Contains(body, want) {
			t.Errorf("status page lacks %q", want)
		}
	}
}
