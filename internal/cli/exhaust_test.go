package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redwatch/redwatch/internal/server"
	"github.com/redwatch/redwatch/internal/testtree"
)

// childEnv makes the test binary run the command line given in it (JSON
// args) as main does, in a process of its own: for the tests that need a
// resource limit of its own (RLIMIT_NOFILE) or real signals.
const childEnv = "REDWATCH_CLI_CHILD"

// childNofileEnv sets the child's RLIMIT_NOFILE (soft and hard) first.
const childNofileEnv = "REDWATCH_CLI_CHILD_NOFILE"

func TestMain(m *testing.M) {
	if a := os.Getenv(childEnv); a != "" {
		os.Exit(childMain(a))
	}
	os.Exit(m.Run())
}

func childMain(argsJSON string) int {
	var args []string
	if err := json.Unmarshal([]byte(argsJSON), &args); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	if n := os.Getenv(childNofileEnv); n != "" {
		v, err := strconv.ParseUint(n, 10, 64)
		if err == nil {
			err = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: v, Max: v})
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "setrlimit:", err)
			return 2
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Run(ctx, args, os.Stdout, os.Stderr)
}

// childProc is the command line running in a child process.
type childProc struct {
	cmd    *exec.Cmd
	mu     sync.Mutex
	stderr strings.Builder
	addr   chan string
	done   chan error
}

var listenRE = regexp.MustCompile(`msg=starting .*listen=(\S+)`)

// startChild runs args in a child process with RLIMIT_NOFILE nofile (0:
// inherited) and returns once the daemon listens.
func startChild(t *testing.T, nofile int, args ...string) (*childProc, string) {
	t.Helper()
	a, _ := json.Marshal(args)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+string(a))
	if nofile > 0 {
		cmd.Env = append(cmd.Env, childNofileEnv+"="+strconv.Itoa(nofile))
	}
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	c := &childProc{cmd: cmd, addr: make(chan string, 1), done: make(chan error, 1)}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			line := sc.Text()
			c.mu.Lock()
			c.stderr.WriteString(line + "\n")
			c.mu.Unlock()
			if m := listenRE.FindStringSubmatch(line); m != nil {
				c.addr <- m[1]
			}
		}
		_, _ = io.Copy(io.Discard, pipe)
		c.done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
	})
	select {
	case addr := <-c.addr:
		return c, addr
	case err := <-c.done:
		t.Fatalf("child exited: %v\n%s", err, c.logs())
	case <-time.After(30 * time.Second):
		t.Fatalf("child did not start:\n%s", c.logs())
	}
	return nil, ""
}

func (c *childProc) logs() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stderr.String()
}

// openFDs counts the child's open file descriptors.
func (c *childProc) openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", c.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// TestConnectionExhaustion reproduces issue 11's exhaustion at a small
// scale: a daemon with RLIMIT_NOFILE 256 gets 3x that many idle TCP
// connections to its endpoint, then a bond slave goes down. The pass still
// reads every file (no "too many open files", the finding is there) and the
// alert is queued and delivered, because the endpoint holds at most
// RLIMIT_NOFILE - FDReserve connections; the rest wait in the kernel's
// backlog. Afterwards /health answers with the finding.
func TestConnectionExhaustion(t *testing.T) {
	const nofile = 256
	root := testtree.Copy(t, "bond_ab_healthy")
	url, got := hookReceiver(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "redwatch.yaml")
	conf := fmt.Sprintf("alerts:\n  retry: {initial: 100ms, max: 1s}\n  channels:\n    - name: hook\n      type: webhook\n      rules: [\"bond_member_*\"]\n      webhook: {url: %q}\n", url)
	if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(dir, "state")
	child, addr := startChild(t, nofile, "daemon", "--root", root, "--state-dir", state, "--config", cfg,
		"--listen", "127.0.0.1:0", "--interval", "1h", "--log-level", "debug")
	wantCap := nofile - server.FDReserve
	if !strings.Contains(child.logs(), fmt.Sprintf("max_connections=%d nofile=%d", wantCap, nofile)) {
		t.Errorf("the start line does not show the cap %d:\n%s", wantCap, child.logs())
	}

	// 3 x nofile idle connections: none sends a byte.
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	d := net.Dialer{Timeout: 2 * time.Second}
	for range 3 * nofile {
		c, err := d.Dial("tcp", addr)
		if err != nil {
			break // the backlog is full: enough
		}
		conns = append(conns, c)
	}
	// Wait until the child has accepted all it will: its descriptors grow
	// up to the cap (or, without one, up to the limit).
	base := 0
	for deadline := time.Now().Add(10 * time.Second); ; {
		n := child.openFDs(t)
		if n >= wantCap || time.Now().After(deadline) {
			base = n
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("%d connections dialled; the child holds %d descriptors (limit %d, cap %d)", len(conns), base, nofile, wantCap)

	down, err := os.ReadFile(filepath.Join("..", "..", "testdata", "bond_slave_down", "proc", "net", "bonding", "bond0"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "proc", "net", "bonding", "bond0"), down, 0o644); err != nil {
		t.Fatal(err)
	}
	waitHook(t, got, "firing", "bond_member_down", "bond0/eth1")
	if n := child.openFDs(t); n >= nofile {
		t.Errorf("the child holds %d descriptors, its whole limit", n)
	}

	for _, c := range conns {
		c.Close()
	}
	conns = nil
	code, body := httpGet(t, "http://"+addr+"/health")
	if code != 200 || !strings.Contains(body, `"subject":"bond0/eth1"`) || !strings.Contains(body, `"errors":[]`) {
		t.Errorf("/health after the flood: %d %s", code, body)
	}
	if logs := child.logs(); strings.Contains(logs, "too many open files") {
		t.Errorf("descriptors ran out:\n%s", logs)
	}
	if err := child.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-child.done:
		if err != nil {
			t.Errorf("child exit: %v\n%s", err, child.logs())
		}
	case <-time.After(stopTimeout + 5*time.Second):
		t.Errorf("child did not stop on SIGTERM")
	}
}

// TestSIGTERMStopsBlockedCommand sends a real SIGTERM to `redwatch
// maintenance on` in a child process while another process holds the state
// lock: the command exits at once (after the stop grace) instead of
// waiting for the lock.
func TestSIGTERMStopsBlockedCommand(t *testing.T) {
	state := t.TempDir()
	f, err := os.OpenFile(filepath.Join(state, "state.lock"), os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal([]string{"maintenance", "on", "--for", "1h", "--reason", "x", "--state-dir", state})
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+string(a))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	// Signal once the child waits for the lock (it then has the signal
	// handler installed): /proc shows one of its threads blocked in flock.
	blocked := func() bool {
		tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/wchan", cmd.Process.Pid))
		for _, p := range tasks {
			if w, _ := os.ReadFile(p); strings.Contains(string(w), "lock") {
				return true
			}
		}
		return false
	}
	for deadline := time.Now().Add(20 * time.Second); !blocked(); {
		if time.Now().After(deadline) {
			t.Fatal("the child never waited for the lock")
		}
		time.Sleep(10 * time.Millisecond)
	}
	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != exitError || !strings.Contains(stderr.String(), "maintenance: interrupted") {
			t.Errorf("exit %v, stderr %q", err, stderr.String())
		}
		t.Logf("stopped %v after SIGTERM", time.Since(start).Round(time.Millisecond))
	case <-time.After(stopGrace + 10*time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("still running %v after SIGTERM", time.Since(start))
	}
}
