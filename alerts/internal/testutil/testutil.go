// Package testutil holds what the alerts tests share: a fake clock whose
// timers fire only when the test advances it, and the lookup of the real
// parts (Alertmanager, Mailpit) the tests run against.
package testutil

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redwatch/redwatch/internal/clock"
)

// Clock is a fake clock: Now is fixed until Advance; After returns channels
// that fire when Advance passes their deadline. It never sleeps.
type Clock struct {
	mu     sync.Mutex
	now    time.Time
	timers []timer
	added  chan struct{}
}

type timer struct {
	at time.Time
	ch chan time.Time
}

// NewClock returns a clock at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t, added: make(chan struct{}, 1)} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// After returns a channel that receives once Advance reaches now+d.
func (c *Clock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.timers = append(c.timers, timer{at: c.now.Add(d), ch: ch})
	select {
	case c.added <- struct{}{}:
	default:
	}
	return ch
}

// NewTimer is After as a clock.Timer, so that the clock is a clock.Clock;
// Stop only drops the channel from the pending timers.
func (c *Clock) NewTimer(d time.Duration) clock.Timer {
	return fakeTimer{c: c, ch: c.After(d)}
}

type fakeTimer struct {
	c  *Clock
	ch <-chan time.Time
}

func (t fakeTimer) C() <-chan time.Time { return t.ch }

func (t fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	for i, x := range t.c.timers {
		if x.ch == t.ch {
			t.c.timers = append(t.c.timers[:i], t.c.timers[i+1:]...)
			return true
		}
	}
	return false
}

// Advance moves the clock forward and fires every timer that is due.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.timers[:0]
	for _, t := range c.timers {
		if !t.at.After(c.now) {
			t.ch <- c.now
			continue
		}
		kept = append(kept, t)
	}
	c.timers = kept
}

// Timers is how many timers are pending.
func (c *Clock) Timers() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

// WaitTimers blocks until at least n timers are pending; it fails the test
// if that does not happen within a generous real-time bound.
func (c *Clock) WaitTimers(t testing.TB, n int) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for c.Timers() < n {
		select {
		case <-c.added:
		case <-deadline:
			t.Fatalf("fake clock: %d timers pending, waited for %d", c.Timers(), n)
		}
	}
}

// Eventually polls cond until it holds or fails the test after 20 s of real
// time. It is for waiting on real I/O (a process, a socket), never on the
// passing of injected time.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// InCI says whether the tests run in CI (CI=true), where a missing real part
// is a failure, not a skip.
func InCI() bool { return os.Getenv("CI") == "true" }

// Binary finds a real part's executable by any of names in PATH or in
// $(go env GOPATH)/bin. Missing: the test fails in CI and is skipped locally,
// naming scripts/deps-alerts.sh.
func Binary(t testing.TB, names ...string) string {
	t.Helper()
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	gopath := os.Getenv("GOPATH")
	if gopath == "" {
		if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
			gopath = strings.TrimSpace(string(out))
		}
	}
	for _, dir := range filepath.SplitList(gopath) {
		for _, n := range names {
			p := filepath.Join(dir, "bin", n)
			if st, err := os.Stat(p); err == nil && st.Mode()&0o111 != 0 {
				return p
			}
		}
	}
	msg := "real part " + strings.Join(names, "/") + " not installed; run scripts/deps-alerts.sh (make deps)"
	if InCI() {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// StartServer runs a real server program (Alertmanager, Mailpit) with its
// output in dir/NAME.log, kills it when the test ends (showing the log if the
// test failed), and waits until ready reports true; a server that exits
// before it is ready fails the test with its log.
func StartServer(t *testing.T, name, dir, bin string, args []string, ready func() bool) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	logf, err := os.Create(filepath.Join(dir, name+".log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		logf.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			t.Logf("%s log:\n%s", name, b)
		}
	})
	Eventually(t, name+" ready", func() bool {
		select {
		case <-exited:
			b, _ := os.ReadFile(logf.Name())
			t.Fatalf("%s exited:\n%s", name, b)
		default:
		}
		return ready()
	})
}
