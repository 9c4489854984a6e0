package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redwatch/redwatch/internal/clock"
	"github.com/redwatch/redwatch/internal/testtree"
	"github.com/redwatch/redwatch/rules"
)

// runGuarded is runCLI with ctx, failing the test when the command does not
// return within a generous bound: what these tests catch is a command that
// blocks forever.
func runGuarded(t *testing.T, ctx context.Context, args ...string) (int, string, string) {
	t.Helper()
	var out, errb lockedBuffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, args, &env{stdout: &out, stderr: &errb, clock: fixedClock{}}) }()
	select {
	case code := <-done:
		return code, out.String(), errb.String()
	case <-time.After(20 * time.Second):
		t.Fatalf("redwatch %s is still blocked after 20s", strings.Join(args, " "))
		return 0, "", ""
	}
}

// mkfifo makes a FIFO that nothing ever writes to.
func mkfifo(t *testing.T, path string) string {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// webhookConfig is a configuration with one webhook channel whose bearer
// token is in secretFile; the receiver is never contacted.
func webhookConfig(t *testing.T, dir, secretFile, extra string) string {
	t.Helper()
	p := filepath.Join(dir, "redwatch.yaml")
	y := extra + "alerts:\n  channels:\n    - name: ops\n      type: webhook\n      webhook:\n        url: http://127.0.0.1:9/hook\n        bearer_token_file: " + secretFile + "\n"
	if err := os.WriteFile(p, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestFIFORefused puts a FIFO where the configuration, a secret file, the
// web configuration and the state file belong: every command refuses it at
// once with an error naming it, instead of blocking in open(2).
func TestFIFORefused(t *testing.T) {
	dir := t.TempDir()
	fifo := mkfifo(t, filepath.Join(dir, "fifo"))
	root := testtree.Copy(t, "md_raid1_healthy")
	ctx := context.Background()

	if code, _, stderr := runGuarded(t, ctx, "config", "check", fifo); code != exitInvalid || !strings.Contains(stderr, "FIFO") {
		t.Errorf("config check FIFO: exit %d, stderr %q", code, stderr)
	}
	if code, _, stderr := runGuarded(t, ctx, "audit", "--root", root, "--config", fifo); code != exitError || !strings.Contains(stderr, fifo+" is a FIFO") {
		t.Errorf("audit --config FIFO: exit %d, stderr %q", code, stderr)
	}
	cfg := webhookConfig(t, dir, fifo, "")
	if code, out, stderr := runGuarded(t, ctx, "notify", "test", "--config", cfg); code != exitNotifyFailed || !strings.Contains(out, fifo+" is a FIFO") {
		t.Errorf("notify test with a FIFO secret: exit %d, stdout %q, stderr %q", code, out, stderr)
	}
	if code, _, stderr := runGuarded(t, ctx, "daemon", "--root", root, "--listen", "127.0.0.1:0", "--web.config.file", fifo); code != exitError || !strings.Contains(stderr, "FIFO") {
		t.Errorf("daemon --web.config.file FIFO: exit %d, stderr %q", code, stderr)
	}

	state := t.TempDir()
	mkfifo(t, filepath.Join(state, "state.json"))
	if code, _, stderr := runGuarded(t, ctx, "baseline", "show", "--state-dir", state); code == exitOK || !strings.Contains(stderr, "FIFO") {
		t.Errorf("baseline show with a FIFO state file: exit %d, stderr %q", code, stderr)
	}
	code, out, stderr := runGuarded(t, ctx, "audit", "--root", root, "--state-dir", state, "-o", "json")
	if !strings.Contains(out+stderr, "FIFO") {
		t.Errorf("audit with a FIFO state file does not say so: exit %d\n%s%s", code, out, stderr)
	}
}

// TestSignalStopsBlockedCommand cancels the context (what SIGTERM and SIGINT
// do in main) while a command waits for the state lock that another process
// holds: the command line returns promptly with an error instead of waiting
// for the lock forever.
func TestSignalStopsBlockedCommand(t *testing.T) {
	old := stopGrace
	stopGrace = 50 * time.Millisecond
	t.Cleanup(func() { stopGrace = old })

	state := t.TempDir()
	f, err := os.OpenFile(filepath.Join(state, "state.lock"), os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	// The lock is never released (f stays open past the test): the command
	// Run abandoned is still blocked on it, and releasing it would let that
	// command write state.json while the test's TempDir is being removed.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	code, _, stderr := runGuarded(t, ctx, "maintenance", "on", "--for", "1h", "--reason", "x", "--state-dir", state)
	if code != exitError || !strings.Contains(stderr, "maintenance: interrupted") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

// TestConfigCheckSecrets: `config check` applies the check `notify test` and
// the daemon apply to secret files: a file its group or others can read, a
// directory, a FIFO and a missing file are refused, naming the file.
func TestConfigCheckSecrets(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("token\n"), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil { // past the umask
			t.Fatal(err)
		}
		return p
	}
	sub := filepath.Join(dir, "adir")
	if err := os.Mkdir(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, secret, want string
	}{
		{"0644", write("s644", 0o644), "readable by others (mode 0644)"},
		{"0640", write("s640", 0o640), "readable by its group (mode 0640)"},
		{"directory", sub, "is a directory"},
		{"FIFO", mkfifo(t, filepath.Join(dir, "sfifo")), "is a FIFO"},
		{"missing", filepath.Join(dir, "nope"), "no such file"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := webhookConfig(t, t.TempDir(), c.secret, "")
			code, out, stderr := runGuarded(t, context.Background(), "config", "check", cfg)
			if code != exitInvalid || !strings.Contains(stderr, c.want) || !strings.Contains(stderr, c.secret) || strings.Contains(out, "ok") {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 1 and %q", code, out, stderr, c.want)
			}
		})
	}
	cfg := webhookConfig(t, t.TempDir(), write("s600", 0o600), "")
	if code, out, stderr := runGuarded(t, context.Background(), "config", "check", cfg); code != exitOK {
		t.Errorf("a 0600 secret: exit %d\n%s%s", code, out, stderr)
	}
}

// TestDaemonReloadBadSecret: a reload whose configuration names a secret file
// others can read is refused and the old configuration kept, as a bad file
// is; a daemon does not start with one.
func TestDaemonReloadBadSecret(t *testing.T) {
	root := testtree.Copy(t, "md_raid1_healthy")
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "token")
	if err := os.WriteFile(secretFile, []byte("t0ken\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := webhookConfig(t, dir, secretFile, "daemon:\n  interval: 1h\n")
	rd := startDaemon(t, "--root", root, "--config", cfg)
	rd.waitStatus(t, rules.StatusOK, 0)

	webhookConfig(t, dir, secretFile, "daemon:\n  interval: 10m\n")
	if err := os.Chmod(secretFile, 0o644); err != nil {
		t.Fatal(err)
	}
	rd.d.Reload()
	// A failed reload runs no pass: wait for its log line.
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(rd.stderr.String(), "reload failed"); {
		if time.Now().After(deadline) {
			t.Fatalf("bad reload not logged:\n%s", rd.stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if rd.d.Interval() != time.Hour {
		t.Fatalf("a reload with a world-readable secret changed the interval to %v", rd.d.Interval())
	}
	if logs := rd.stderr.String(); !strings.Contains(logs, "readable by others") || strings.Contains(logs, "t0ken") {
		t.Fatalf("bad reload not explained (or the secret leaked):\n%s", logs)
	}

	var stderr bytes.Buffer
	e := &env{stdout: &bytes.Buffer{}, stderr: &stderr, clock: clock.Real{}}
	if code := run(context.Background(), []string{"daemon", "--root", root, "--config", cfg, "--listen", "127.0.0.1:0"}, e); code != exitError || !strings.Contains(stderr.String(), "readable by others") {
		t.Fatalf("daemon start with a world-readable secret: exit %d, %s", code, stderr.String())
	}
}

// TestStateDirLinksAndPermissions: a planted state.lock -> /elsewhere makes
// no audit create the link's target, and a state directory others can write
// to is refused, saying why.
func TestStateDirLinksAndPermissions(t *testing.T) {
	root := testtree.Copy(t, "md_raid1_healthy")
	state, elsewhere := t.TempDir(), t.TempDir()
	target := filepath.Join(elsewhere, "newlock")
	if err := os.Symlink(target, filepath.Join(state, "state.lock")); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := runGuarded(t, context.Background(), "audit", "--root", root, "--state-dir", state)
	if _, err := os.Lstat(target); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the audit created the target of a planted state.lock link (exit %d):\n%s%s", code, out, stderr)
	}
	if !strings.Contains(out+stderr, "state.lock is a symbolic link") {
		t.Errorf("the audit does not say why it refused the lock: exit %d\n%s%s", code, out, stderr)
	}

	open := t.TempDir()
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runGuarded(t, context.Background(), "maintenance", "on", "--for", "1h", "--reason", "x", "--state-dir", open)
	if code == exitOK || !strings.Contains(stderr, "is writable by others (mode 0777)") {
		t.Errorf("maintenance on in a world-writable state dir: exit %d, stderr %q", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(open, "state.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("state written into a world-writable directory: %v", err)
	}
	code, out, stderr = runGuarded(t, context.Background(), "audit", "--root", root, "--state-dir", open)
	if !strings.Contains(out+stderr, "is writable by others (mode 0777)") {
		t.Errorf("audit with a world-writable state dir does not say why: exit %d\n%s%s", code, out, stderr)
	}
}
