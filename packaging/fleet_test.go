package packaging

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fleetHost is one redwatch daemon of the real-Prometheus fleet test: a
// fixture tree of testdata/ and the alerts Prometheus must fire for it (each
// alert's full label set but instance and job, which the test adds).
type fleetHost struct {
	scenario string
	alerts   []map[string]string
}

// fleet is the test fleet: a healthy host, a degraded bond, a bond whose two
// slaves share one PCI card (a single point of failure).
var fleet = []fleetHost{
	{scenario: "bond_ab_healthy"},
	{scenario: "bond_slave_down", alerts: []map[string]string{
		{"alertname": "RedwatchRedundancyLost", "kind": "bond", "name": "bond0", "severity": "warning"},
	}},
	{scenario: "bond_dual_port_card", alerts: []map[string]string{
		{"alertname": "RedwatchSinglePointOfFailure", "rule": "bond_shared_pci_card", "subject": "bond0", "severity": "warning"},
	}},
}

// fleetFor is what every `for:` of the shipped rules becomes in the fleet
// test: the real ones (1m to 1h) would make it wait an hour. The rewrite
// touches only the `for:` values (shortenFor); expressions, labels and
// annotations are the shipped file's.
const fleetFor = "2s"

var forLine = regexp.MustCompile(`(?m)^(\s+for: )\S+$`)

// shortenFor returns the rule file with every `for:` duration set to d, and
// how many it rewrote.
func shortenFor(rules []byte, d string) ([]byte, int) {
	n := len(forLine.FindAll(rules, -1))
	return forLine.ReplaceAll(rules, []byte("${1}"+d)), n
}

// freePort returns a loopback address with a port nothing listens on now.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// startProcess starts a long-running process with its output in logFile and
// kills it when the test ends.
func startProcess(t *testing.T, logFile, name string, args ...string) *exec.Cmd {
	t.Helper()
	log, err := os.Create(logFile)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		_ = log.Close()
		if t.Failed() {
			out, _ := os.ReadFile(logFile)
			t.Logf("%s %s:\n%s", filepath.Base(name), strings.Join(args, " "), out)
		}
	})
	return cmd
}

// fleetDeadline bounds every wait of the fleet test.
const fleetDeadline = 90 * time.Second

// waitFor polls cond until it holds or the deadline passes; last says what
// was seen when it did not.
func waitFor(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(fleetDeadline)
	for {
		ok, last := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s; last seen: %s", fleetDeadline, what, last)
		}
		time.Sleep(200 * time.Millisecond) // poll interval, not a wait for time to pass
	}
}

// fleetClient is the fleet test's HTTP client: a hung server fails one poll,
// not the whole test run.
var fleetClient = &http.Client{Timeout: 5 * time.Second}

// promAPI gets a Prometheus HTTP API path and decodes its data.
func promAPI(base, path string, params url.Values, data any) error {
	resp, err := fleetClient.Get(base + path + "?" + params.Encode())
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	var r struct {
		Status string          `json:"status"`
		Error  string          `json:"error"`
		Data   json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return fmt.Errorf("%s: %v: %s", path, err, body)
	}
	if r.Status != "success" {
		return fmt.Errorf("%s %s: %s %s", path, params.Encode(), r.Status, r.Error)
	}
	return json.Unmarshal(r.Data, data)
}

// sample is one series of an instant vector from /api/v1/query.
type sample struct {
	Metric map[string]string `json:"metric"`
	Value  [2]any            `json:"value"`
}

func promQuery(base, expr string) ([]sample, error) {
	var d struct {
		ResultType string   `json:"resultType"`
		Result     []sample `json:"result"`
	}
	if err := promAPI(base, "/api/v1/query", url.Values{"query": {expr}}, &d); err != nil {
		return nil, err
	}
	if d.ResultType != "vector" {
		return nil, fmt.Errorf("query %s: result type %s, want vector", expr, d.ResultType)
	}
	return d.Result, nil
}

// labelKey is a label set as one sorted, comparable string.
func labelKey(ls map[string]string) string {
	var kv []string
	for k, v := range ls {
		if k != "__name__" {
			kv = append(kv, k+"="+v)
		}
	}
	slices.Sort(kv)
	return "{" + strings.Join(kv, ",") + "}"
}

// TestFleetRealPrometheus: Debian's Prometheus server scrapes three real
// redwatch daemons on three fixture trees (healthy, degraded bond, dual-port
// SPOF) and evaluates the shipped rules (with their `for:` shortened, see
// fleetFor). Through Prometheus's HTTP API, exactly the right alerts fire for
// exactly the right hosts and no other ever does, the recording rules count
// the right hosts, and every PromQL expression of the Grafana dashboard parses
// and returns series.
func TestFleetRealPrometheus(t *testing.T) {
	prometheus := tool(t, "prometheus", "Debian package prometheus; scripts/deps-daemon.sh installs it")
	goTool := tool(t, "go", "the Go toolchain")
	start := time.Now()
	dir := t.TempDir()

	bin := filepath.Join(dir, "redwatch")
	build := exec.Command(goTool, "build", "-o", bin, "../cmd/redwatch")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	built := time.Since(start)

	// A webhook channel to a receiver that accepts everything, so that the
	// daemons export their alert outbox metrics (the dashboard's outbox panel).
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	}))
	t.Cleanup(hook.Close)

	want := map[string]bool{}
	var targets []string
	scenarioOf := map[string]string{}
	for _, h := range fleet {
		root, err := filepath.Abs(filepath.Join("..", "testdata", h.scenario))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(root, "proc")); err != nil {
			t.Fatalf("fixture %s: %v", h.scenario, err)
		}
		hd := filepath.Join(dir, h.scenario)
		state := filepath.Join(hd, "state")
		if err := os.MkdirAll(state, 0o700); err != nil {
			t.Fatal(err)
		}
		cfg := filepath.Join(hd, "redwatch.yaml")
		if err := os.WriteFile(cfg, []byte("alerts:\n  channels:\n    - name: hook\n      type: webhook\n      webhook:\n        url: "+hook.URL+"/\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		addr := freePort(t)
		startProcess(t, filepath.Join(hd, "daemon.log"), bin, "daemon",
			"--root", root, "--state-dir", state, "--config", cfg, "--web.listen-address", addr)
		targets = append(targets, addr)
		scenarioOf[addr] = h.scenario
		for _, a := range h.alerts {
			ls := map[string]string{"instance": addr, "job": "redwatch"}
			for k, v := range a {
				ls[k] = v
			}
			want[labelKey(ls)] = true
		}
		waitFor(t, h.scenario+" daemon answers /metrics", func() (bool, string) {
			resp, err := fleetClient.Get("http://" + addr + "/metrics")
			if err != nil {
				return false, err.Error()
			}
			_ = resp.Body.Close()
			return resp.StatusCode == http.StatusOK, resp.Status
		})
	}

	// Prometheus starts without rules and gets them (SIGHUP) once it scrapes
	// every daemon: its first scrapes come a few seconds after the start,
	// and with the `for:` shortened RedwatchAbsent would fire in that gap,
	// which the shipped 10m never lets it do.
	writeYAML(t, filepath.Join(dir, "prometheus.yml"), map[string]any{
		"global":     map[string]any{"scrape_interval": "1s", "evaluation_interval": "1s"},
		"rule_files": []string{"rules/*.yml"},
		"scrape_configs": []any{map[string]any{
			"job_name":       "redwatch",
			"static_configs": []any{map[string]any{"targets": targets}},
		}},
	})
	promAddr := freePort(t)
	prom := startProcess(t, filepath.Join(dir, "prometheus.log"), prometheus,
		"--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "tsdb"),
		"--web.listen-address="+promAddr,
		"--log.level=warn")
	base := "http://" + promAddr
	waitFor(t, "prometheus scrapes the three daemons", func() (bool, string) {
		up, err := promQuery(base, `up{job="redwatch"} == 1`)
		if err != nil {
			return false, err.Error()
		}
		return len(up) == len(fleet), fmt.Sprint(up)
	})
	shipped, err := os.ReadFile(filepath.Join("prometheus", rulesFile))
	if err != nil {
		t.Fatal(err)
	}
	rules, n := shortenFor(shipped, fleetFor)
	if n < 5 {
		t.Fatalf("rewrote only %d `for:` of %s", n, rulesFile)
	}
	if err := os.MkdirAll(filepath.Join(dir, "rules"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "rules", rulesFile), rules, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := prom.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	rulesStart := time.Now()

	// The alerts: exactly the expected ones, all firing, and nothing else
	// active (not even pending).
	type alert struct {
		Labels map[string]string `json:"labels"`
		State  string            `json:"state"`
	}
	alertsNow := func() (firing, all []string, err error) {
		var d struct {
			Alerts []alert `json:"alerts"`
		}
		if err := promAPI(base, "/api/v1/alerts", nil, &d); err != nil {
			return nil, nil, err
		}
		for _, a := range d.Alerts {
			k := labelKey(a.Labels)
			all = append(all, a.State+" "+k)
			if a.State == "firing" {
				firing = append(firing, k)
			}
		}
		slices.Sort(all)
		return firing, all, nil
	}
	matches := func() (bool, string) {
		firing, all, err := alertsNow()
		if err != nil {
			return false, err.Error()
		}
		if len(firing) != len(want) || len(all) != len(want) {
			return false, strings.Join(all, "; ")
		}
		for _, k := range firing {
			if !want[k] {
				return false, strings.Join(all, "; ")
			}
		}
		return true, ""
	}
	waitFor(t, fmt.Sprintf("exactly the alerts %v firing (hosts %v)", slices.Sorted(maps.Keys(want)), scenarioOf), func() (bool, string) {
		// An alert that should not fire fails at once.
		if firing, _, err := alertsNow(); err == nil {
			for _, k := range firing {
				if !want[k] {
					t.Fatalf("alert %s fires (hosts %v)", k, scenarioOf)
				}
			}
		}
		return matches()
	})
	fired := time.Since(rulesStart)

	// It stays so over further evaluations of the alert rules.
	lastEval := func() (time.Time, error) {
		var d struct {
			Groups []struct {
				Name           string    `json:"name"`
				LastEvaluation time.Time `json:"lastEvaluation"`
			} `json:"groups"`
		}
		if err := promAPI(base, "/api/v1/rules", nil, &d); err != nil {
			return time.Time{}, err
		}
		for _, g := range d.Groups {
			if g.Name == "redwatch.alerts" {
				return g.LastEvaluation, nil
			}
		}
		return time.Time{}, fmt.Errorf("no rule group redwatch.alerts")
	}
	t0, err := lastEval()
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "two more evaluations of redwatch.alerts", func() (bool, string) {
		t1, err := lastEval()
		if err != nil {
			return false, err.Error()
		}
		return t1.Sub(t0) >= 2*time.Second, t1.String()
	})
	if ok, last := matches(); !ok {
		t.Errorf("the alerts changed after firing: %s", last)
	}

	// No other alert fired at any time of the test (one that fired and
	// resolved is gone from /api/v1/alerts, not from ALERTS).
	window := fmt.Sprintf("%ds", int(time.Since(rulesStart).Seconds())+5)
	ever, err := promQuery(base, `max_over_time(ALERTS{alertstate="firing"}[`+window+`])`)
	if err != nil {
		t.Fatal(err)
	}
	var everKeys []string
	for _, s := range ever {
		delete(s.Metric, "alertstate")
		everKeys = append(everKeys, labelKey(s.Metric))
	}
	slices.Sort(everKeys)
	if wantKeys := slices.Sorted(maps.Keys(want)); !slices.Equal(everKeys, wantKeys) {
		t.Errorf("alerts that fired during the test:\n  %s\nwant\n  %s", strings.Join(everKeys, "\n  "), strings.Join(wantKeys, "\n  "))
	}

	// The recording rules count the right hosts.
	for expr, wantSamples := range map[string][]string{
		`status:redwatch_hosts:count`:                       {`{status=0} 1`, `{status=1} 2`},
		`kind:redwatch_hosts_one_failure_from_outage:count`: {`{kind=bond} 1`},
		`rule:redwatch_hosts_with_spof:count`:               {`{rule=bond_shared_pci_card} 1`},
		`sum(redwatch:group_redundancy_lost)`:               {`{} 1`},
	} {
		got, err := promQuery(base, expr)
		if err != nil {
			t.Fatal(err)
		}
		var gotSamples []string
		for _, s := range got {
			gotSamples = append(gotSamples, fmt.Sprintf("%s %v", labelKey(s.Metric), s.Value[1]))
		}
		slices.Sort(gotSamples)
		if !slices.Equal(gotSamples, wantSamples) {
			t.Errorf("%s = %v, want %v", expr, gotSamples, wantSamples)
		}
	}

	// Every expression of the dashboard parses and returns series.
	exprs := dashboardExprs(t, filepath.Join("grafana", "redwatch-fleet.json"))
	if len(exprs) < 10 {
		t.Fatalf("only %d expressions in the dashboard", len(exprs))
	}
	for _, e := range exprs {
		got, err := promQuery(base, e)
		switch {
		case err != nil:
			t.Errorf("dashboard: %v", err)
		case len(got) == 0:
			t.Errorf("dashboard: %s returns no series", e)
		}
	}
	t.Logf("build %s, scrapes up and rules loaded after %s, alerts firing %s after that, whole test %s",
		built.Round(time.Millisecond), rulesStart.Sub(start).Round(time.Millisecond), fired.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
}
