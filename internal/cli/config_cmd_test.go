package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/redwatch/redwatch/rules"
)

var examplePath = filepath.Join("..", "..", "packaging", "redwatch.yaml")

func TestConfigCheck(t *testing.T) {
	code, out, stderr := runCLI(t, "config", "check", examplePath)
	if code != 0 || !strings.Contains(out, "redwatch.yaml: ok") {
		t.Fatalf("config check of the shipped example: exit %d\n%s%s", code, out, stderr)
	}
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("daemon:\n  interval: 30s\nexpect:\n  bonds:\n    - name: bond0\n      memebers: [eth0]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runCLI(t, "config", "check", bad)
	if code != 1 || !strings.Contains(stderr, bad+":6: expect.bonds[0].memebers: unknown key; allowed here: name, members, min_healthy") {
		t.Errorf("config check of a bad file: exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = runCLI(t, "config", "check", filepath.Join(dir, "nope.yaml"))
	if code == 0 || !strings.Contains(stderr, "no such file") {
		t.Errorf("config check of a missing file: exit %d, stderr %q", code, stderr)
	}
	if code, _, _ := runCLI(t, "config"); code == 0 {
		t.Errorf("config without check succeeded")
	}
	// audit refuses to run with an invalid configuration.
	if code, _, stderr := runCLI(t, "audit", "--config", bad, "--root", dir); code != 3 || !strings.Contains(stderr, "bad.yaml:6") {
		t.Errorf("audit with a bad config: exit %d, stderr %q", code, stderr)
	}
}

// TestExampleExamplesValid uncomments the example entries of the shipped
// configuration and checks that they are valid too.
func TestExampleExamplesValid(t *testing.T) {
	b, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	example := regexp.MustCompile(`^(\s*)#(  +(- |[a-z_]+:))`)
	var out []string
	inPower := false
	for _, line := range strings.Split(string(b), "\n") {
		// The commented power block needs its password files in place:
		// TestPackagedConfigCommentedPower uncomments and checks it.
		if line == "#power:" {
			inPower = true
		} else if inPower && !strings.HasPrefix(line, "#  ") {
			inPower = false
		}
		if inPower {
			out = append(out, line)
			continue
		}
		if strings.HasSuffix(line, ": []") {
			line = strings.TrimSuffix(line, " []")
		}
		out = append(out, example.ReplaceAllString(line, "$1 $2"))
	}
	p := filepath.Join(t.TempDir(), "full.yaml")
	if err := os.WriteFile(p, []byte(strings.Join(out, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, "config", "check", p)
	if code != 0 || !strings.Contains(stdout, "1 bonds, 1 md, no power declared; 3 rule controls; 3 user rules") {
		t.Fatalf("uncommented example: exit %d %s%s\n%s", code, stdout, stderr, strings.Join(out, "\n"))
	}
}

func TestRulesCommand(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "r.yaml")
	if err := os.WriteFile(cfg, []byte(`rules:
  - {id: bond_member_down, subjects: ["bond0/*"], severity: critical}
  - {id: rootfs_single_disk, disabled: true}
user_rules:
  - {id: my_rule, for_each: groups, expr: .healthy < .needed, severity: info, remediation: fix it}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := runCLI(t, "rules", "--config", cfg)
	if code != 0 {
		t.Fatalf("rules: exit %d %s", code, stderr)
	}
	for _, id := range append(rules.RuleIDs(), "my_rule") {
		if !regexp.MustCompile(`(?m)^` + id + `\s`).MatchString(out) {
			t.Errorf("rules does not list %s", id)
		}
	}
	if !regexp.MustCompile(`(?m)^rootfs_single_disk\s+builtin\s+warning\s+disabled`).MatchString(out) ||
		!strings.Contains(out, "override: critical for [bond0/*]") ||
		!regexp.MustCompile(`(?m)^my_rule\s+user\s+info\s+info`).MatchString(out) {
		t.Errorf("rules output:\n%s", out)
	}
	code, out, _ = runCLI(t, "rules", "-o", "json")
	var list []rules.RuleInfo
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil || len(list) != len(rules.RuleIDs()) {
		t.Errorf("rules -o json: exit %d, %d rules", code, len(list))
	}
	for _, r := range list {
		if r.Checks == "" || r.Remediation == "" || r.Severity == "" {
			t.Errorf("rule %s lacks a description: %+v", r.ID, r)
		}
	}
}

// TestRulesReadme fails when docs/rules.md's rule reference differs from the
// catalog; -update (or go run ./internal/tools/gen-rules-doc) rewrites it.
func TestRulesReadme(t *testing.T) {
	path := filepath.Join("..", "..", "docs", "rules.md")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want, err := RulesReadme(b)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if string(want) != string(b) {
		t.Errorf("docs/rules.md's rule reference is stale: run go run ./internal/tools/gen-rules-doc")
	}
	for _, id := range rules.RuleIDs() {
		if !strings.Contains(string(b), "| `"+id+"` |") {
			t.Errorf("docs/rules.md does not list %s", id)
		}
	}
}
