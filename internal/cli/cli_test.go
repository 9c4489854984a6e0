package cli

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// commandPaths are every command and subcommand of the table, e.g.
// ["audit"], ["baseline"], ["baseline", "accept"].
func commandPaths() [][]string {
	var paths [][]string
	for _, c := range commands {
		paths = append(paths, []string{c.name})
		for _, s := range c.subs {
			paths = append(paths, []string{c.name, s.name})
		}
	}
	return paths
}

var flagLine = regexp.MustCompile(`^  (-[-\w.]+(?:, -[-\w.]+)*)`)

// TestHelpEveryCommand: every command and subcommand answers -h, --help and
// `redwatch help CMD` with its usage on stdout and exit 0, and lists each
// flag once, with all its spellings on one line.
func TestHelpEveryCommand(t *testing.T) {
	for _, path := range commandPaths() {
		name := strings.Join(path, " ")
		var outs []string
		for _, args := range [][]string{
			append(append([]string(nil), path...), "-h"),
			append(append([]string(nil), path...), "--help"),
			append([]string{"help"}, path...),
		} {
			code, out, stderr := runCLI(t, args...)
			if code != 0 || stderr != "" || !strings.HasPrefix(out, "usage:") || !strings.Contains(out, "redwatch "+name) {
				t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, stderr)
			}
			outs = append(outs, out)
		}
		if outs[0] != outs[1] || outs[0] != outs[2] {
			t.Errorf("%s: -h, --help and help differ:\n%s\n---\n%s\n---\n%s", name, outs[0], outs[1], outs[2])
		}
		seen := map[string]bool{}
		for _, line := range strings.Split(outs[0], "\n") {
			m := flagLine.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			for _, f := range strings.Split(m[1], ", ") {
				f = strings.TrimLeft(f, "-")
				if seen[f] {
					t.Errorf("%s: flag %s listed twice:\n%s", name, f, outs[0])
				}
				seen[f] = true
			}
		}
		if !seen["h"] || !seen["help"] {
			t.Errorf("%s: help does not list -h, --help:\n%s", name, outs[0])
		}
	}
	_, out, _ := runCLI(t, "audit", "-h")
	if !strings.Contains(out, "\n  -o, --output FORMAT\n") || !strings.Contains(out, "\n  -t, --timeout DURATION\n") {
		t.Errorf("audit -h does not list -o/--output and -t/--timeout as one flag each:\n%s", out)
	}
}

func TestHelpAndVersion(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"-version"}, {"version"}} {
		code, out, _ := runCLI(t, args...)
		if code != 0 || !strings.HasPrefix(out, "redwatch, version dev\n  go version: go") || !strings.Contains(out, "\n  platform:   linux/") {
			t.Errorf("%v: exit %d, %q", args, code, out)
		}
	}
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}} {
		code, out, stderr := runCLI(t, args...)
		if code != 0 || stderr != "" || !strings.Contains(out, "\n  maintenance  ") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, stderr)
		}
	}
	if code, _, stderr := runCLI(t); code != exitError || !strings.HasPrefix(stderr, "usage:") {
		t.Errorf("no arguments: exit %d, stderr %q", code, stderr)
	}
	if code, _, stderr := runCLI(t, "help", "nosuch"); code != exitError || !strings.Contains(stderr, `unknown command "nosuch"`) {
		t.Errorf("help nosuch: exit %d, stderr %q", code, stderr)
	}
	if code, _, stderr := runCLI(t, "audit", "--nosuch"); code != exitError || !strings.Contains(stderr, "not defined: -nosuch") || !strings.Contains(stderr, "usage: redwatch audit") {
		t.Errorf("bad flag: exit %d, stderr %q", code, stderr)
	}
}

// TestNodeExporterFlagAliases: node_exporter's spellings mean the same as ours.
func TestNodeExporterFlagAliases(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "bond_dual_port_card") // has both sys/ and proc/
	sys, proc := filepath.Join(dir, "sys"), filepath.Join(dir, "proc")
	code, want, _ := runCLI(t, "audit", "--sysfs", sys, "--procfs", proc, "-o", "json")
	gotCode, got, stderr := runCLI(t, "audit", "--path.sysfs", sys, "--path.procfs", proc, "-o", "json")
	if gotCode != code || got != want || code != 1 {
		t.Errorf("--path.sysfs/--path.procfs: exit %d (want %d), stderr %q\n%s", gotCode, code, stderr, got)
	}
	code, _, stderr = runCLI(t, "daemon", "--root", t.TempDir(), "--web.listen-address", "256.0.0.1:1")
	if code != exitError || !strings.Contains(stderr, "256.0.0.1") {
		t.Errorf("daemon --web.listen-address: exit %d, stderr %q", code, stderr)
	}
}
