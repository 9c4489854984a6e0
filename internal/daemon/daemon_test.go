package daemon

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redwatch/redwatch/rules"
)

func staticLoad(r Runner, interval time.Duration) func() (Setup, error) {
	return func() (Setup, error) { return Setup{Runner: r, Interval: interval}, nil }
}

// TestStartPassAndReady runs a pass at start, then says READY=1 and STATUS=.
func TestStartPassAndReady(t *testing.T) {
	clk := newFakeClock()
	rec := &recorder{}
	run := &fakeRunner{clock: clk}
	h := startHarness(t, Options{Load: staticLoad(run, time.Hour), Clock: clk, Notifier: rec, Logger: testLogger(&syncBuffer{})})
	r := h.next(t)
	if r.Trigger != TriggerStart || r.Seq != 1 || r.Pass.Result.Status != rules.StatusOK {
		t.Fatalf("first report = %+v", r)
	}
	clk.waitTimer(t, time.Hour) // the loop is idle: READY was sent before it armed the interval
	msgs := rec.all()
	if len(msgs) < 2 || !strings.HasPrefix(msgs[0], "STATUS=OK: 0 groups") || msgs[1] != "READY=1" {
		t.Fatalf("notifications = %q, want STATUS= then READY=1", msgs)
	}
}

// TestEventBurstIsOnePass fires a burst of events inside the debounce window:
// they make one pass, and the interval timer is what runs the next.
func TestEventBurstIsOnePass(t *testing.T) {
	clk := newFakeClock()
	src := newFakeSource("netlink")
	run := &fakeRunner{clock: clk}
	h := startHarness(t, Options{Load: staticLoad(run, time.Hour), Clock: clk, Sources: []Source{src},
		Logger: testLogger(&syncBuffer{})})
	h.next(t) // start
	clk.waitTimer(t, time.Hour)

	src.fire(t, "eth1 newlink oper=down")
	clk.waitTimer(t, DefaultDebounce)
	for i := 0; i < 4; i++ {
		src.fire(t, "bond0 newlink oper=up")
	}
	clk.advance(DefaultDebounce)
	r := h.next(t)
	if r.Trigger != TriggerEvent || r.Events != 5 || r.Seq != 2 {
		t.Fatalf("event pass = trigger %s events %d seq %d, want event/5/2", r.Trigger, r.Events, r.Seq)
	}
	if r.Spread != 0 { // the fake clock did not move during the burst
		t.Fatalf("spread = %v", r.Spread)
	}
	if r.EventsBySource["netlink"] != 5 || !r.Sources["netlink"] {
		t.Fatalf("source counts = %v up %v", r.EventsBySource, r.Sources)
	}
	// No second event pass follows: the next pass is the interval's.
	clk.waitTimer(t, time.Hour)
	clk.advance(time.Hour)
	r = h.next(t)
	if r.Trigger != TriggerInterval || r.Seq != 3 {
		t.Fatalf("after the burst: trigger %s seq %d, want interval/3", r.Trigger, r.Seq)
	}
	if r.Passes[TriggerStart] != 1 || r.Passes[TriggerEvent] != 1 || r.Passes[TriggerInterval] != 1 {
		t.Fatalf("passes = %v", r.Passes)
	}
}

// TestPassesNeverOverlap fires events while a pass is running: the pass
// finishes first, then one more pass covers them.
func TestPassesNeverOverlap(t *testing.T) {
	clk := newFakeClock()
	src := newFakeSource("mdstat")
	run := &fakeRunner{clock: clk}
	h := startHarness(t, Options{Load: staticLoad(run, time.Hour), Clock: clk, Sources: []Source{src},
		Debounce: -1, Logger: testLogger(&syncBuffer{})})
	h.next(t)
	clk.waitTimer(t, time.Hour)

	release := make(chan struct{})
	run.entered = make(chan struct{}, 8)
	run.block = release
	src.fire(t, "array event")
	<-run.entered // the event pass is running
	for i := 0; i < 3; i++ {
		src.fire(t, "array event")
	}
	close(release)
	if r := h.next(t); r.Trigger != TriggerEvent || r.Events != 1 {
		t.Fatalf("first event pass: %s events %d", r.Trigger, r.Events)
	}
	r := h.next(t)
	if r.Trigger != TriggerEvent || r.Events != 3 {
		t.Fatalf("second event pass: %s events %d, want event/3", r.Trigger, r.Events)
	}
	if m := run.maxSeen.Load(); m != 1 {
		t.Fatalf("%d passes ran at once", m)
	}
}

// TestUnavailableSourceFallsBack logs an unavailable source once and keeps
// running on the interval.
func TestUnavailableSourceFallsBack(t *testing.T) {
	clk := newFakeClock()
	bad := newFakeSource("uevent")
	bad.err = errors.New("daemon: uevent socket: permission denied")
	good := newFakeSource("netlink")
	var logs syncBuffer
	run := &fakeRunner{clock: clk}
	h := startHarness(t, Options{Load: staticLoad(run, time.Minute), Clock: clk, Sources: []Source{bad, good},
		Logger: testLogger(&logs)})
	r := h.next(t)
	if r.Sources["uevent"] || !r.Sources["netlink"] {
		t.Fatalf("sources = %v", r.Sources)
	}
	clk.waitTimer(t, time.Minute)
	clk.advance(time.Minute)
	if r := h.next(t); r.Trigger != TriggerInterval {
		t.Fatalf("trigger = %s, want interval", r.Trigger)
	}
	if n := strings.Count(logs.String(), "event source unavailable"); n != 1 {
		t.Fatalf("unavailable logged %d times:\n%s", n, logs.String())
	}

	// A source that fails later is logged and marked down; the loop goes on.
	good.fail <- errors.New("daemon: netlink: socket closed")
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), "event source failed") {
		if time.Now().After(deadline) {
			t.Fatalf("failure not logged:\n%s", logs.String())
		}
		runtime.Gosched() // waiting for the source goroutine, not for time
	}
	clk.waitTimer(t, time.Minute)
	clk.advance(time.Minute)
	if r := h.next(t); r.Sources["netlink"] {
		t.Fatalf("netlink still up after failing: %v", r.Sources)
	}
}

// TestReload re-reads the configuration on Reload: a good one takes effect
// (the new interval) and runs a reload pass; a bad one is logged, runs no
// pass, keeps the old configuration and shows in Reloaded, and only the
// successful reload counts as a reload pass.
func TestReload(t *testing.T) {
	clk := newFakeClock()
	var logs syncBuffer
	run := &fakeRunner{clock: clk}
	setups := make(chan func() (Setup, error), 4)
	load := func() (Setup, error) {
		select {
		case f := <-setups:
			return f()
		default:
			return Setup{Runner: run, Interval: time.Hour}, nil
		}
	}
	started := clk.Now()
	h := startHarness(t, Options{Load: load, Clock: clk, Logger: testLogger(&logs)})
	h.next(t)
	if rs := h.d.Reloaded(); !rs.Successful || !rs.LastSuccess.Equal(started) {
		t.Fatalf("after start: %+v, want successful at %v", rs, started)
	}

	clk.advance(time.Second) // not a timer: the reload time must differ from the start
	setups <- func() (Setup, error) { return Setup{Runner: run, Interval: 5 * time.Minute}, nil }
	h.d.Reload()
	r := h.next(t)
	if r.Trigger != TriggerReload || r.Interval != 5*time.Minute || h.d.Interval() != 5*time.Minute {
		t.Fatalf("after a good reload: trigger %s interval %v", r.Trigger, r.Interval)
	}
	goodAt := started.Add(time.Second)
	if rs := h.d.Reloaded(); !rs.Successful || !rs.LastSuccess.Equal(goodAt) {
		t.Fatalf("after a good reload: %+v, want successful at %v", rs, goodAt)
	}
	clk.waitTimer(t, 5*time.Minute)

	setups <- func() (Setup, error) {
		return Setup{}, errors.New("config: redwatch.yaml:3: unknown key \"intervall\"")
	}
	h.d.Reload()
	deadline := time.Now().Add(10 * time.Second)
	for h.d.Reloaded().Successful {
		if time.Now().After(deadline) {
			t.Fatal("a failed reload still reports success")
		}
		runtime.Gosched() // waiting for the loop, not for time
	}
	if rs := h.d.Reloaded(); !rs.LastSuccess.Equal(goodAt) {
		t.Fatalf("after a bad reload: last success %v, want the good one at %v", rs.LastSuccess, goodAt)
	}
	if !strings.Contains(logs.String(), "reload failed") || !strings.Contains(logs.String(), "intervall") {
		t.Fatalf("bad reload not logged:\n%s", logs.String())
	}
	clk.advance(5 * time.Minute)
	r = h.next(t)
	if r.Trigger != TriggerInterval || r.Interval != 5*time.Minute {
		t.Fatalf("after a bad reload: trigger %s interval %v, want an interval pass after the old 5m", r.Trigger, r.Interval)
	}
	if r.Passes[TriggerReload] != 1 {
		t.Fatalf("reload passes = %d, want 1: a failed reload is not a reload pass", r.Passes[TriggerReload])
	}
}

// TestWatchdog pings WATCHDOG=1 from the loop at half of WatchdogSec.
func TestWatchdog(t *testing.T) {
	clk := newFakeClock()
	rec := &recorder{}
	run := &fakeRunner{clock: clk}
	h := startHarness(t, Options{Load: staticLoad(run, time.Hour), Clock: clk, Notifier: rec, Watchdog: 20 * time.Second,
		Logger: testLogger(&syncBuffer{})})
	h.next(t)
	clk.waitTimer(t, 10*time.Second)
	before := slices.Index(rec.all(), "READY=1")
	clk.advance(10 * time.Second)
	clk.waitTimer(t, 10*time.Second) // re-armed after the ping
	msgs := rec.all()
	if before < 0 || !slices.Contains(msgs[before:], "WATCHDOG=1") {
		t.Fatalf("no WATCHDOG=1 after READY: %q", msgs)
	}
}

// TestStopWhilePassHangs stops promptly even when a pass is stuck: the pass
// gets a cancelled context, and a cut-short pass is not published.
func TestStopWhilePassHangs(t *testing.T) {
	clk := newFakeClock()
	run := &fakeRunner{clock: clk, block: make(chan struct{}), entered: make(chan struct{}, 1)}
	d, err := New(Options{Load: staticLoad(run, time.Hour), Clock: clk, Logger: testLogger(&syncBuffer{})})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	<-run.entered
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	if d.Last() != nil {
		t.Fatal("a pass cut short by the stop was published")
	}
}

// TestNewRejectsBadConfig fails at start on a configuration that cannot load.
func TestNewRejectsBadConfig(t *testing.T) {
	_, err := New(Options{Load: func() (Setup, error) { return Setup{}, errors.New("config: bad") }})
	if err == nil || !strings.HasPrefix(err.Error(), "daemon: ") {
		t.Fatalf("err = %v", err)
	}
}

// TestLogsStateChangesOnly logs the status change and the finding when it
// appears and when it resolves, and nothing for a pass that changed nothing.
func TestLogsStateChangesOnly(t *testing.T) {
	clk := newFakeClock()
	var logs syncBuffer
	run := &fakeRunner{clock: clk}
	h := startHarness(t, Options{Load: staticLoad(run, time.Minute), Clock: clk, Logger: testLogger(&logs)})
	h.next(t)
	tick := func() {
		clk.waitTimer(t, time.Minute)
		clk.advance(time.Minute)
		h.next(t)
	}
	base := strings.Count(logs.String(), "\n")
	tick() // unchanged
	if n := strings.Count(logs.String(), "\n"); n != base {
		t.Fatalf("an unchanged pass logged:\n%s", logs.String())
	}
	run.status.Store(int32(rules.StatusCritical))
	tick()
	out := logs.String()
	if !strings.Contains(out, `msg="status changed" from=ok to=critical`) ||
		!strings.Contains(out, `msg=finding rule=md-degraded severity=critical subject=md0`) {
		t.Fatalf("critical change not logged:\n%s", out)
	}
	tick() // still critical: nothing new
	if n := strings.Count(logs.String(), "\n"); n != strings.Count(out, "\n") {
		t.Fatalf("a repeated critical pass logged:\n%s", logs.String())
	}
	run.status.Store(int32(rules.StatusOK))
	tick()
	if out := logs.String(); !strings.Contains(out, `msg="finding resolved" rule=md-degraded`) ||
		!strings.Contains(out, `from=critical to=ok`) {
		t.Fatalf("resolution not logged:\n%s", out)
	}
}
