// Package packaging holds the files redwatch ships besides the binary; its
// tests check them with the real tools (promtool, amtool).
package packaging

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/redwatch/redwatch/rules"
)

// tool returns the path of a real tool the test runs. Without it the test
// skips locally and fails in CI (CI=true).
func tool(t *testing.T, name, install string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not installed (%s)", name, install)
		}
		t.Skipf("%s not installed (%s)", name, install)
	}
	return p
}

// run runs the tool in dir and fails the test on a non-zero exit.
func run(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, out)
	}
	return string(out)
}

const (
	rulesFile       = "redwatch.rules.yml"
	rulesTest       = "redwatch.rules.test.yml"
	promtoolInstall = "Debian package prometheus; scripts/deps-daemon.sh installs it"
)

func TestPrometheusRules(t *testing.T) {
	promtool := tool(t, "promtool", promtoolInstall)
	dir := "prometheus"
	if out := run(t, dir, promtool, "check", "rules", rulesFile); !strings.Contains(out, "SUCCESS") {
		t.Errorf("promtool check rules: %s", out)
	}
	if out := run(t, dir, promtool, "test", "rules", rulesTest); !strings.Contains(out, "SUCCESS") {
		t.Errorf("promtool test rules: %s", out)
	}
}

// ruleFile is the part of a Prometheus rule file the coverage test reads.
type ruleFile struct {
	Groups []struct {
		Rules []struct {
			Alert  string `yaml:"alert"`
			Record string `yaml:"record"`
			Expr   string `yaml:"expr"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

// ruleTests is the part of a promtool test file the coverage test reads.
type ruleTests struct {
	Tests []struct {
		AlertRuleTest []struct {
			Alertname string           `yaml:"alertname"`
			ExpAlerts []map[string]any `yaml:"exp_alerts"`
		} `yaml:"alert_rule_test"`
		PromQLExprTest []struct {
			Expr string `yaml:"expr"`
		} `yaml:"promql_expr_test"`
	} `yaml:"tests"`
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// TestPrometheusRulesCovered: every alert fires in the unit test at least
// once, every recording rule is queried, the rule names the rules match are
// redwatch's, and every redwatch metric they use is documented.
func TestPrometheusRulesCovered(t *testing.T) {
	var rf ruleFile
	var rt ruleTests
	readYAML(t, filepath.Join("prometheus", rulesFile), &rf)
	readYAML(t, filepath.Join("prometheus", rulesTest), &rt)
	fired, queried := map[string]bool{}, ""
	for _, tc := range rt.Tests {
		for _, a := range tc.AlertRuleTest {
			if len(a.ExpAlerts) > 0 {
				fired[a.Alertname] = true
			}
		}
		for _, e := range tc.PromQLExprTest {
			queried += e.Expr + "\n"
		}
	}
	var docs string
	for _, f := range []string{"../docs/metrics.md", "../docs/alerts.md"} {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs += string(data)
	}
	ids := rules.RuleIDs()
	ruleNames := regexp.MustCompile(`rule=~"([^"]+)"`)
	metricNames := regexp.MustCompile(`redwatch_[a-z_]+`)
	n := 0
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			n++
			switch {
			case r.Alert != "" && !fired[r.Alert]:
				t.Errorf("alert %s never fires in %s", r.Alert, rulesTest)
			case r.Record != "" && !strings.Contains(queried, r.Record):
				t.Errorf("recording rule %s is never queried in %s", r.Record, rulesTest)
			}
			for _, m := range ruleNames.FindAllStringSubmatch(r.Expr, -1) {
				for _, id := range strings.Split(m[1], "|") {
					if !slices.Contains(ids, id) {
						t.Errorf("%s%s matches rule %q, which redwatch does not have", r.Alert, r.Record, id)
					}
				}
			}
			for _, m := range metricNames.FindAllString(r.Expr, -1) {
				if !strings.Contains(docs, "`"+m+"`") && !strings.Contains(docs, "`"+m+"{") {
					t.Errorf("%s%s uses %s, which docs/metrics.md and docs/alerts.md do not list", r.Alert, r.Record, m)
				}
			}
		}
	}
	if n < 10 {
		t.Fatalf("read only %d rules from %s", n, rulesFile)
	}
}

func TestAlertmanagerConfig(t *testing.T) {
	amtool := tool(t, "amtool", "Debian package prometheus-alertmanager; scripts/deps-alerts.sh installs it")
	dir := "alertmanager"
	const cfg = "alertmanager.yml"
	if out := run(t, dir, amtool, "check-config", cfg); !strings.Contains(out, "SUCCESS") {
		t.Errorf("amtool check-config: %s", out)
	}
	for labels, want := range map[string]string{
		"severity=critical": "ops-pager",
		"severity=warning":  "ops-mail",
	} {
		args := append([]string{"config", "routes", "test", "--config.file=" + cfg, "alertname=RedwatchRedundancyLost"}, strings.Fields(labels)...)
		cmd := exec.Command(amtool, args...)
		cmd.Dir = dir
		out, err := cmd.Output()
		if err != nil || strings.TrimSpace(string(out)) != want {
			t.Errorf("%s routes to %q (%v), want %s", labels, strings.TrimSpace(string(out)), err, want)
		}
	}
}

// dashboardVars are the values the dashboard's template variables take in
// the test: the job of the rules' test series and every host.
var dashboardVars = strings.NewReplacer(`$job`, `redwatch`, `$instance`, `.*`)

// dashboardExprs returns the PromQL of every panel of the Grafana dashboard,
// template variables replaced.
func dashboardExprs(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	type panel struct {
		Title   string `json:"title"`
		Targets []struct {
			Expr string `json:"expr"`
		} `json:"targets"`
		Panels []json.RawMessage `json:"panels"`
	}
	var dash struct {
		Panels []json.RawMessage `json:"panels"`
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var exprs []string
	var walk func([]json.RawMessage)
	walk = func(ps []json.RawMessage) {
		for _, raw := range ps {
			var p panel
			if err := json.Unmarshal(raw, &p); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			for _, tg := range p.Targets {
				e := dashboardVars.Replace(tg.Expr)
				if e == "" || strings.Contains(e, "$") {
					t.Errorf("%s: panel %q: expression %q is empty or has an unknown variable", path, p.Title, tg.Expr)
					continue
				}
				exprs = append(exprs, e)
			}
			walk(p.Panels)
		}
	}
	walk(dash.Panels)
	return exprs
}

// TestGrafanaDashboard: every PromQL expression of the dashboard parses
// (promtool check rules, each as a recording rule) and returns series on the
// synthetic fleet of the rules' unit test (promtool test rules: count(expr)
// is 1 or more at 70m).
func TestGrafanaDashboard(t *testing.T) {
	promtool := tool(t, "promtool", promtoolInstall)
	exprs := dashboardExprs(t, filepath.Join("grafana", "redwatch-fleet.json"))
	if len(exprs) < 10 {
		t.Fatalf("only %d expressions in the dashboard", len(exprs))
	}
	var rt struct {
		Tests []struct {
			InputSeries any `yaml:"input_series"`
		} `yaml:"tests"`
	}
	readYAML(t, filepath.Join("prometheus", rulesTest), &rt)
	type rule struct {
		Record string `yaml:"record"`
		Expr   string `yaml:"expr"`
	}
	type sample struct {
		Labels string  `yaml:"labels"`
		Value  float64 `yaml:"value"`
	}
	type exprTest struct {
		Expr       string   `yaml:"expr"`
		EvalTime   string   `yaml:"eval_time"`
		ExpSamples []sample `yaml:"exp_samples"`
	}
	var rs []rule
	var tests []exprTest
	for i, e := range exprs {
		rs = append(rs, rule{Record: fmt.Sprintf("dashboard:expr_%d", i), Expr: e})
		tests = append(tests, exprTest{Expr: "count(" + e + ") > bool 0", EvalTime: "70m", ExpSamples: []sample{{Labels: "{}", Value: 1}}})
	}
	dir := t.TempDir()
	writeYAML(t, filepath.Join(dir, "dashboard.rules.yml"), map[string]any{
		"groups": []any{map[string]any{"name": "dashboard", "rules": rs}},
	})
	writeYAML(t, filepath.Join(dir, "dashboard.test.yml"), map[string]any{
		"rule_files":          []string{"dashboard.rules.yml"},
		"evaluation_interval": "1m",
		"tests": []any{map[string]any{
			"interval":         "1m",
			"input_series":     rt.Tests[0].InputSeries,
			"promql_expr_test": tests,
		}},
	})
	run(t, dir, promtool, "check", "rules", "dashboard.rules.yml")
	run(t, dir, promtool, "test", "rules", "dashboard.test.yml")
}

func writeYAML(t *testing.T, path string, v any) {
	t.Helper()
	data, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestFleetDocScrapeConfig: the prometheus.yml of docs/fleet.md passes
// `promtool check config`, with its rule_files pointing at the shipped rules.
func TestFleetDocScrapeConfig(t *testing.T) {
	promtool := tool(t, "promtool", promtoolInstall)
	data, err := os.ReadFile("../docs/fleet.md")
	if err != nil {
		t.Fatal(err)
	}
	const start = "```yaml\n# config-check: not redwatch's (prometheus.yml)\n"
	_, block, ok := strings.Cut(string(data), start)
	block, _, closed := strings.Cut(block, "```")
	if !ok || !closed {
		t.Fatalf("docs/fleet.md has no prometheus.yml block starting %q", start)
	}
	rules, err := filepath.Abs(filepath.Join("prometheus", rulesFile))
	if err != nil {
		t.Fatal(err)
	}
	const docPath = "/etc/prometheus/rules/redwatch.rules.yml"
	if !strings.Contains(block, docPath) {
		t.Fatalf("the prometheus.yml of docs/fleet.md does not load %s", docPath)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(strings.ReplaceAll(block, docPath, rules)), 0o600); err != nil {
		t.Fatal(err)
	}
	if out := run(t, dir, promtool, "check", "config", "prometheus.yml"); !regexp.MustCompile(`SUCCESS: [1-9][0-9]* rules found`).MatchString(out) {
		t.Errorf("promtool check config: %s", out)
	}
}
