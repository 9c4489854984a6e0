package exec

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redwatch/redwatch/alerts/internal/testutil"
	"github.com/redwatch/redwatch/alerts/notify"
	"github.com/redwatch/redwatch/rules"
)

func script(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "hook.sh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o700); err != nil {
		t.Fatal(err)
	}
	return p
}

func note() *notify.Notification {
	t0 := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	return &notify.Notification{
		ID: "0123456789abcdef0123456789abcdef", Fingerprint: "fedcba9876543210", Status: notify.Resolved,
		Host: "db7", Rule: "md-degraded", Severity: rules.Critical, Subject: "md0",
		Message: "md0 is degraded", Remediation: "re-add sdb1", Group: "md md0",
		Members:  []notify.Member{{Name: "sda1", State: "in_sync"}, {Name: "sdb1", State: "faulty"}},
		StartsAt: t0, EndsAt: t0.Add(time.Hour), CreatedAt: t0,
	}
}

func TestScriptGetsEnvAndStdin(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	p := script(t, `env | grep ^REDWATCH_ | sort > "$1.env"; cat > "$1.json"`)
	x, err := New(Config{Command: []string{p, out}})
	if err != nil {
		t.Fatal(err)
	}
	n := note()
	if err := x.Notify(context.Background(), notify.Single(*n)); err != nil {
		t.Fatal(err)
	}
	env, _ := os.ReadFile(out + ".env")
	for _, want := range []string{"REDWATCH_RULE=md-degraded", "REDWATCH_SEVERITY=critical", "REDWATCH_SUBJECT=md0",
		"REDWATCH_STATUS=resolved", "REDWATCH_FINGERPRINT=fedcba9876543210", "REDWATCH_NOTIFICATION_ID=" + n.ID,
		"REDWATCH_HOST=db7", "REDWATCH_ENDS_AT=2026-03-04T06:06:07Z", "REDWATCH_MEMBERS=sda1=in_sync sdb1=faulty",
		"REDWATCH_REMEDIATION=re-add sdb1"} {
		if !strings.Contains(string(env), want+"\n") {
			t.Errorf("environment lacks %q:\n%s", want, env)
		}
	}
	var got notify.Group
	raw, _ := os.ReadFile(out + ".json")
	if err := json.Unmarshal(raw, &got); err != nil || got.ID != n.ID || len(got.Alerts) != 1 ||
		got.Alerts[0].Fingerprint != n.Fingerprint || len(got.Alerts[0].Members) != 2 {
		t.Errorf("stdin JSON %s (%v)", raw, err)
	}
}

// TestScriptGetsGroup runs the program once for a group of three alerts:
// the group in the environment (counts, worst severity, one summary line per
// alert) and every alert in the JSON on stdin.
func TestScriptGetsGroup(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	p := script(t, `env | grep ^REDWATCH_ | sort > "$1.env"; printf '%s' "$REDWATCH_SUMMARY" > "$1.summary"; cat > "$1.json"`)
	x, err := New(Config{Command: []string{p, out}})
	if err != nil {
		t.Fatal(err)
	}
	a, b, c := *note(), *note(), *note()
	a.Status, a.EndsAt = notify.Firing, time.Time{}
	b.ID, b.Fingerprint, b.Subject, b.Status, b.Severity, b.EndsAt = "11", "f2", "md1", notify.Firing, rules.Warning, time.Time{}
	c.ID, c.Fingerprint, c.Subject = "22", "f3", "md2"
	g := notify.NewGroup(map[string]string{"instance": "db7"}, []notify.Notification{a, b, c})
	if err := x.Notify(context.Background(), g); err != nil {
		t.Fatal(err)
	}
	env, _ := os.ReadFile(out + ".env")
	for _, want := range []string{"REDWATCH_STATUS=firing", "REDWATCH_SEVERITY=critical", "REDWATCH_ALERTS=3",
		"REDWATCH_FIRING=2", "REDWATCH_RESOLVED=1", `REDWATCH_GROUP_KEY={instance="db7"}`, "REDWATCH_NOTIFICATION_ID=" + g.ID,
		"REDWATCH_FINGERPRINTS=fedcba9876543210 f2 f3", "REDWATCH_HOST=db7"} {
		if !strings.Contains(string(env), want+"\n") {
			t.Errorf("environment lacks %q:\n%s", want, env)
		}
	}
	if strings.Contains(string(env), "REDWATCH_RULE=") {
		t.Errorf("a group of three sets the one-alert variables:\n%s", env)
	}
	summary, _ := os.ReadFile(out + ".summary")
	if want := "FIRING critical md-degraded md0: md0 is degraded\nFIRING warning md-degraded md1: md0 is degraded\nRESOLVED critical md-degraded md2: md0 is degraded"; string(summary) != want {
		t.Errorf("REDWATCH_SUMMARY = %q, want %q", summary, want)
	}
	var got notify.Group
	raw, _ := os.ReadFile(out + ".json")
	if err := json.Unmarshal(raw, &got); err != nil || len(got.Alerts) != 3 || got.Alerts[2].Status != notify.Resolved || got.Key != g.Key {
		t.Errorf("stdin JSON %s (%v)", raw, err)
	}
}

func TestExitCodes(t *testing.T) {
	for _, tc := range []struct {
		code      int
		permanent bool
	}{{1, false}, {75, false}, {64, true}, {78, true}} {
		x, _ := New(Config{Command: []string{script(t, "echo oops >&2; exit "+strconv.Itoa(tc.code))}})
		err := x.Notify(context.Background(), notify.Single(*note()))
		if err == nil || notify.IsPermanent(err) != tc.permanent || !strings.Contains(err.Error(), "oops") {
			t.Errorf("exit %d: %v (permanent %v)", tc.code, err, notify.IsPermanent(err))
		}
	}
	x, _ := New(Config{Command: []string{"/nonexistent/hook"}})
	if err := x.Notify(context.Background(), notify.Single(*note())); err == nil {
		t.Error("missing program succeeded")
	}
}

// TestTimeoutKillsProcessGroup: the script starts a child that would outlive
// it; on timeout both are killed.
func TestTimeoutKillsProcessGroup(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	p := script(t, `sleep 300 & echo $! > "$1"; wait`)
	x, _ := New(Config{Command: []string{p, pidFile}, Timeout: 300 * time.Millisecond})
	start := time.Now()
	err := x.Notify(context.Background(), notify.Single(*note()))
	if err == nil || notify.IsPermanent(err) || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("timeout: %v", err)
	}
	if el := time.Since(start); el > 10*time.Second {
		t.Errorf("returned after %v", el)
	}
	raw, _ := os.ReadFile(pidFile)
	pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil {
		t.Fatalf("child pid: %q", raw)
	}
	testutil.Eventually(t, "child killed", func() bool {
		// Gone, or a zombie waiting for init.
		st, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		return err != nil || strings.Contains(string(st), ") Z ")
	})
	if err := syscall.Kill(pid, 0); err == nil {
		st, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if !strings.Contains(string(st), ") Z ") {
			t.Errorf("child %d still alive", pid)
		}
	}
}

func TestValidate(t *testing.T) {
	for _, c := range []Config{{}, {Command: []string{"relative.sh"}}, {Command: []string{"/x"}, Timeout: -1}} {
		if err := c.Validate(); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}
