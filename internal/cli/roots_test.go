package cli

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redwatch/redwatch/rules"
)

// TestMissingRoot: a root that does not exist or is not a directory is a
// usage error (exit 3) for every command that takes roots, with a message
// naming the flag and the path; for -o nagios the UNKNOWN line is on stdout
// too, where Nagios looks.
func TestMissingRoot(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"audit", "--root", "/nonexistent", "-o", "nagios"}, "--root /nonexistent: no such directory"},
		{[]string{"audit", "--sysfs", "/nonexistent", "--procfs", "/nonexistent2"}, "--sysfs /nonexistent: no such directory"},
		{[]string{"audit", "--procfs", "/nonexistent2", "-o", "json"}, "--procfs /nonexistent2: no such directory"},
		{[]string{"audit", "--dev", "/nonexistent3", "-o", "nagios"}, "--dev /nonexistent3: no such directory"},
		{[]string{"audit", "--root", file, "-o", "nagios"}, "--root " + file + ": not a directory"},
		{[]string{"baseline", "accept", "--root", "/nonexistent", "--state-dir", t.TempDir()}, "--root /nonexistent: no such directory"},
		{[]string{"daemon", "--root", "/no-such-dir", "--listen", "127.0.0.1:0"}, "--root /no-such-dir: no such directory"},
	} {
		code, stdout, stderr := runCLI(t, c.args...)
		if code != exitError || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 3 and %q", c.args, code, stderr, c.want)
		}
		nagios := strings.Contains(strings.Join(c.args, " "), "-o nagios")
		if nagios && stdout != "REDWATCH UNKNOWN - "+c.want+"\n" {
			t.Errorf("%v: stdout %q, want the UNKNOWN line", c.args, stdout)
		}
		if !nagios && stdout != "" {
			t.Errorf("%v: stdout %q, want nothing", c.args, stdout)
		}
	}
}

// TestEmptyTree: a tree where none of the sources exists (empty sys/ and
// proc/, or a directory that is no capture at all) is UNKNOWN, naming what
// was looked for, never "0 redundancy groups healthy".
func TestEmptyTree(t *testing.T) {
	empty := t.TempDir()
	for _, d := range []string{"sys", "proc"} {
		if err := os.Mkdir(filepath.Join(empty, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{
		{"--root", empty},
		{"--root", t.TempDir()},
		{"--sysfs", filepath.Join(empty, "sys"), "--procfs", filepath.Join(empty, "proc")},
	} {
		code, out, _ := runCLI(t, append([]string{"audit", "-o", "nagios"}, args...)...)
		if code != 3 || !strings.HasPrefix(out, "REDWATCH UNKNOWN - cannot read ") ||
			!strings.Contains(out, "no source found: looked for ") || !strings.Contains(out, "/mdstat") ||
			!strings.Contains(out, "/class/net") || strings.Contains(out, "healthy") {
			t.Errorf("%v: exit %d, %q", args, code, out)
		}
		code, out, _ = runCLI(t, append([]string{"audit", "-o", "json"}, args...)...)
		var got auditJSON
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatal(err)
		}
		if code != 3 || got.Status != "unknown" || len(got.Errors) != 1 || got.Errors[0].Collector != "sources" || len(got.Findings) != 0 {
			t.Errorf("%v: exit %d, %s", args, code, out)
		}
	}
}

// TestNoGroups: a host that was read and has no redundancy group at all is
// OK and says so in the table, the Nagios line and the JSON; the daemon's
// /health and status page say so too.
func TestNoGroups(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "no_redundancy_groups")
	const say = "no redundancy groups found"
	code, out, _ := runCLI(t, "audit", "--root", dir, "-o", "nagios")
	if code != 0 || !strings.HasPrefix(out, "REDWATCH OK - ") || !strings.Contains(strings.SplitN(out, "\n", 2)[0], say) || strings.Contains(out, "groups healthy") {
		t.Errorf("nagios: exit %d, %q", code, out)
	}
	code, out, _ = runCLI(t, "audit", "--root", dir)
	if code != 0 || !strings.HasPrefix(out, "STATUS OK\n") || !strings.Contains(out, say) || !strings.Contains(out, "no_redundancy_groups") ||
		!strings.Contains(out, "\n  psu   power       redundancy not observable: no source counts the supplies\n") {
		t.Errorf("table: exit %d, %q", code, out)
	}
	// With the rules disabled, the Nagios line still does not claim health,
	// and the power group nobody can count is not a healthy group.
	cfg := filepath.Join(t.TempDir(), "redwatch.yaml")
	if err := os.WriteFile(cfg, []byte("rules:\n  - id: no_redundancy_groups\n    disabled: true\n  - id: power_not_observable\n    disabled: true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ = runCLI(t, "audit", "--root", dir, "--config", cfg, "-o", "nagios")
	if code != 0 || !strings.HasPrefix(out, "REDWATCH OK - "+say+"; power redundancy not observable |") || !strings.Contains(out, " groups=0;;;0 groups_degraded=0;;;0 groups_not_observable=1;;;0") {
		t.Errorf("nagios, rule disabled: exit %d, %q", code, out)
	}

	rd := startDaemon(t, "--root", dir, "--interval", "1h")
	rd.waitStatus(t, rules.StatusOK, 0)
	status, body := httpGet(t, rd.base+"/health")
	if status != http.StatusOK || !strings.Contains(body, `"rule":"no_redundancy_groups"`) || !strings.Contains(body, say) {
		t.Errorf("/health: %d %s", status, body)
	}
	status, body = httpGet(t, rd.base+"/")
	if status != http.StatusOK || !strings.Contains(body, say) {
		t.Errorf("status page: %d %s", status, body)
	}
}

// TestDaemonEmptyTree: the daemon on a tree with no source serves 503
// unknown, not 200 ok.
func TestDaemonEmptyTree(t *testing.T) {
	rd := startDaemon(t, "--root", t.TempDir(), "--interval", "1h")
	rd.waitStatus(t, rules.StatusUnknown, 0)
	status, body := httpGet(t, rd.base+"/health")
	if status != http.StatusServiceUnavailable || !strings.Contains(body, `"status":"unknown"`) || !strings.Contains(body, "no source found") {
		t.Errorf("/health: %d %s", status, body)
	}
}
