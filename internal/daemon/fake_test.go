package daemon

import (
	"bytes"
	"context"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redwatch/redwatch/collectors"
	"github.com/redwatch/redwatch/internal/engine"
	"github.com/redwatch/redwatch/rules"
)

// fakeClock is a test clock: time moves only when the test advances it.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
	change chan struct{} // closed and replaced whenever a timer is created
}

type fakeTimer struct {
	clock *fakeClock
	d     time.Duration
	at    time.Time
	c     chan time.Time
	done  bool
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC), change: make(chan struct{})}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) NewTimer(d time.Duration) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{clock: c, d: d, at: c.now.Add(d), c: make(chan time.Time, 1)}
	c.timers = append(c.timers, t)
	close(c.change)
	c.change = make(chan struct{})
	return t
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }

func (t *fakeTimer) Stop() bool {
	t.clock.mu.Lock()
	defer t.clock.mu.Unlock()
	was := !t.done
	t.done = true
	return was
}

// waitTimer blocks until a pending timer of duration d exists.
func (c *fakeClock) waitTimer(t *testing.T, d time.Duration) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		c.mu.Lock()
		found := slices.ContainsFunc(c.timers, func(x *fakeTimer) bool { return !x.done && x.d == d })
		ch := c.change
		c.mu.Unlock()
		if found {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("no pending %v timer", d)
		}
	}
}

// advance moves time on and fires the timers that are due.
func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	for _, t := range c.timers {
		if !t.done && !t.at.After(c.now) {
			t.done = true
			t.c <- c.now
		}
	}
}

// fakeRunner returns passes with the status the test sets; it can be made to
// block, and it records how many passes ever ran at the same time.
type fakeRunner struct {
	status  atomic.Int32
	block   chan struct{} // when non-nil, Run waits on it
	entered chan struct{}
	active  atomic.Int32
	maxSeen atomic.Int32
	runs    atomic.Int32
	clock   Clock
}

func (f *fakeRunner) Run(ctx context.Context) *engine.Pass {
	n := f.active.Add(1)
	defer f.active.Add(-1)
	for {
		m := f.maxSeen.Load()
		if n <= m || f.maxSeen.CompareAndSwap(m, n) {
			break
		}
	}
	f.runs.Add(1)
	if f.entered != nil {
		f.entered <- struct{}{}
	}
	if f.block != nil {
		select {
		case <-f.block:
		case <-ctx.Done():
		}
	}
	st := rules.Status(f.status.Load())
	res := rules.Result{Status: st}
	if st == rules.StatusCritical {
		res.Findings = []rules.Finding{{Rule: "md-degraded", Severity: rules.Critical, Subject: "md0", Message: "md0 is degraded"}}
	}
	now := time.Now()
	if f.clock != nil {
		now = f.clock.Now()
	}
	return &engine.Pass{Snapshot: &collectors.Snapshot{Time: now}, Result: res, Started: now}
}

// fakeSource is an event source the test fires by hand.
type fakeSource struct {
	name   string
	err    error // returned by Watch: unavailable
	notify func(string)
	ready  chan struct{}
	fail   chan error
}

func newFakeSource(name string) *fakeSource {
	return &fakeSource{name: name, ready: make(chan struct{}), fail: make(chan error, 1)}
}

func (s *fakeSource) Name() string { return s.name }

func (s *fakeSource) Watch(ctx context.Context, notify func(string)) (<-chan error, error) {
	if s.err != nil {
		return nil, s.err
	}
	s.notify = notify
	close(s.ready)
	done := make(chan error, 1)
	go func() {
		defer close(done)
		select {
		case <-ctx.Done():
			done <- nil
		case err := <-s.fail:
			done <- err
		}
	}()
	return done, nil
}

func (s *fakeSource) fire(t *testing.T, detail string) {
	t.Helper()
	select {
	case <-s.ready:
	case <-time.After(10 * time.Second):
		t.Fatal("source never opened")
	}
	s.notify(detail)
}

// recorder is a Notifier that keeps what it was told.
type recorder struct {
	mu   sync.Mutex
	msgs []string
}

func (r *recorder) Notify(state string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, state)
	return nil
}

func (r *recorder) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.msgs)
}

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func testLogger(buf *syncBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// harness runs a daemon in the background and hands its reports to the test.
type harness struct {
	d       *Daemon
	reports chan Report
	cancel  context.CancelFunc
	done    chan error
}

func startHarness(t *testing.T, opts Options) *harness {
	t.Helper()
	h := &harness{reports: make(chan Report, 64), done: make(chan error, 1)}
	opts.OnPass = func(r Report) { h.reports <- r }
	d, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	h.d = d
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { h.done <- d.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-h.done:
		case <-time.After(10 * time.Second):
			t.Error("daemon did not stop")
		}
	})
	return h
}

func (h *harness) next(t *testing.T) Report {
	t.Helper()
	select {
	case r := <-h.reports:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("no pass within 10s")
	}
	return Report{}
}
