package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/redwatch/redwatch/collectors"
	"github.com/redwatch/redwatch/internal/engine"
	"github.com/redwatch/redwatch/internal/testtree"
	"github.com/redwatch/redwatch/rules"
)

// hostile is issue 11's slave name: clear the screen, paint, retitle the
// terminal and ring the bell.
const hostile = "\x1b[2J\x1b[31mPWNED\x1b]0;title\x07"

func TestEsc(t *testing.T) {
	for in, want := range map[string]string{
		"eth0":                         "eth0",
		"bond0/eth1: slave is down":    "bond0/eth1: slave is down",
		hostile:                        `\x1b[2J\x1b[31mPWNED\x1b]0;title\a`,
		"a\nREDWATCH OK - all fine":    `a\nREDWATCH OK - all fine`,
		"tab\there\r":                  `tab\there\r`,
		"c1\u009bx del\x7f":            `c1\u009bx del\x7f`,
		"bidi\u202egnp.exe line\u2028": `bidi\u202egnp.exe line\u2028`,
		"bad\xffutf8":                  `bad\xffutf8`,
		"ünïcode ✓ \\n stays":          "ünïcode ✓ \\n stays",
	} {
		if got := esc(in); got != want {
			t.Errorf("esc(%q) = %q, want %q", in, got, want)
		}
		if esc(esc(in)) != esc(in) {
			t.Errorf("esc is not idempotent on %q", in)
		}
	}
}

// hostilePass is a pass in which name (read from the host, or typed by the
// operator) appears wherever a text output prints such a value.
func hostilePass(name string) *engine.Pass {
	f := rules.Finding{Rule: "bond_member_down", Severity: rules.Warning, Subject: "bond0/" + name,
		Message: "slave " + name + " of bond0 is down", Remediation: "check the cable of " + name}
	return &engine.Pass{
		Result: rules.Result{
			Status:   rules.StatusWarning,
			Findings: []rules.Finding{f},
			Groups: []rules.Group{{Kind: "bond", Name: "bond0" + name, Needed: 2, Healthy: 1, Total: 2,
				Members: []rules.Member{{Name: "eth0", State: "up", Healthy: true}, {Name: name, State: "down"}}}},
			Errors: []collectors.Error{{Collector: "bonding", Path: "/proc/net/bonding/" + name, Err: errors.New("cannot parse " + name)}},
		},
		Pending:     []rules.Pending{{Finding: f, FirstSeen: fixedNow(), Due: fixedNow().Add(time.Minute)}},
		Maintenance: []rules.Maintenance{{Started: fixedNow(), Until: fixedNow().Add(time.Hour), Reason: name}},
	}
}

// ourColours are the ANSI sequences the table paints with itself.
var ourColours = regexp.MustCompile(`\x1b\[[0-9;]*m`)

// nagiosStatus is the one status line: the status, the summary, the perfdata.
var nagiosStatus = regexp.MustCompile(`^REDWATCH WARNING - [^|\n]* \| critical=\d+;;;0 warning=\d+;;;0 errors=\d+;;;0 groups=\d+;;;0 groups_degraded=\d+;;;0 groups_not_observable=\d+;;;0$`)

// checkTextOutputs runs name through every text formatter and fails on a
// control character that is not the layout's own, or a layout that differs
// from the one a plain name gives.
func checkTextOutputs(t *testing.T, name string) {
	plain := hostilePass("eth1")
	p := hostilePass(name)
	for _, out := range []struct {
		what  string
		write func(*bytes.Buffer, *engine.Pass)
	}{
		{"table", func(b *bytes.Buffer, p *engine.Pass) { writeTable(b, p, false) }},
		{"colour table", func(b *bytes.Buffer, p *engine.Pass) { writeTable(b, p, true) }},
		{"nagios", func(b *bytes.Buffer, p *engine.Pass) { writeNagios(b, p) }},
	} {
		var want, got bytes.Buffer
		out.write(&want, plain)
		out.write(&got, p)
		s := ourColours.ReplaceAllString(got.String(), "")
		for _, r := range s {
			if r != '\n' && escRune(r) {
				t.Fatalf("%s output for %q holds %U:\n%s", out.what, name, r, got.String())
			}
		}
		if !utf8.ValidString(s) {
			t.Fatalf("%s output for %q is not valid UTF-8", out.what, name)
		}
		if w, g := strings.Count(want.String(), "\n"), strings.Count(got.String(), "\n"); w != g {
			t.Fatalf("%s output for %q has %d lines, %d for a plain name:\n%s", out.what, name, g, w, got.String())
		}
		if out.what == "nagios" {
			if first, _, _ := strings.Cut(got.String(), "\n"); !nagiosStatus.MatchString(first) {
				t.Fatalf("Nagios status line for %q is not one status line with its perfdata: %q", name, first)
			}
		}
	}
}

// FuzzTextOutputs runs names with control characters through the table
// (plain and coloured) and the Nagios output.
func FuzzTextOutputs(f *testing.F) {
	for _, s := range []string{"eth1", hostile, "x\nREDWATCH OK - all fine | ok=1", "\r\x00\x7f\u0085\u2028\u202e", "\xff\xfe", "a|b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) { checkTextOutputs(t, name) })
}

// TestHostileNamesInOutputs reproduces issue 11 end to end: a bond slave
// named with ESC/OSC/BEL sequences and a maintenance reason with a newline
// reach the table (--color never) and the Nagios output escaped, and the
// Nagios status line stays one line.
func TestHostileNamesInOutputs(t *testing.T) {
	root := testtree.Copy(t, "bond_slave_down")
	bond := filepath.Join(root, "proc", "net", "bonding", "bond0")
	b, err := os.ReadFile(bond)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bond, bytes.ReplaceAll(b, []byte("Slave Interface: eth1"), []byte("Slave Interface: eth1"+hostile)), 0o644); err != nil {
		t.Fatal(err)
	}
	state := t.TempDir()
	if code, _, stderr := runCLI(t, "maintenance", "on", "--for", "1h", "--reason", "disk swap\nREDWATCH OK - all fine", "--state-dir", state); code != 0 {
		t.Fatalf("maintenance on: %d %s", code, stderr)
	}
	var out, errb bytes.Buffer
	run(context.Background(), []string{"audit", "--root", root, "--state-dir", state, "--color", "never"}, &env{stdout: &out, stderr: &errb, clock: fixedClock{}})
	table := out.String()
	out.Reset()
	run(context.Background(), []string{"audit", "--root", root, "--state-dir", state, "-o", "nagios"}, &env{stdout: &out, stderr: &errb, clock: fixedClock{}})
	nagios := out.String()
	for what, s := range map[string]string{"table": table, "nagios": nagios} {
		if strings.ContainsAny(s, "\x1b\x07") {
			t.Errorf("%s output holds raw ESC/BEL:\n%q", what, s)
		}
		if !strings.Contains(s, `eth1\x1b[2J\x1b[31mPWNED\x1b]0;title\a`) {
			t.Errorf("%s output does not show the slave name escaped:\n%s", what, s)
		}
	}
	lines := strings.Split(nagios, "\n")
	if !strings.HasPrefix(lines[0], "REDWATCH ") || !strings.Contains(lines[0], `disk swap\nREDWATCH OK - all fine`) || !strings.Contains(lines[0], " | critical=") {
		t.Errorf("Nagios status line: %q", lines[0])
	}
	for _, l := range lines[1:] {
		if strings.HasPrefix(l, "REDWATCH") {
			t.Errorf("a second status line: %q\n%s", l, nagios)
		}
	}
}
