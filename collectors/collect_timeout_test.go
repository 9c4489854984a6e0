package collectors

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/redwatch/redwatch/internal/clock"
	"github.com/redwatch/redwatch/internal/hostfs"
)

// fixedNow is the time of the fake clocks here.
func fixedNow() time.Time { return time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC) }

// timerClock is a clock.Fake that tells made each time a timer is made, so
// that a test advances the time only once the pass's deadline exists.
type timerClock struct {
	*clock.Fake
	made chan struct{}
}

func newTimerClock() timerClock {
	return timerClock{Fake: clock.NewFake(fixedNow()), made: make(chan struct{}, 8)}
}

func (c timerClock) NewTimer(d time.Duration) clock.Timer {
	t := c.Fake.NewTimer(d)
	c.made <- struct{}{}
	return t
}

// funcSource is a Source made of a function, for tests.
type funcSource struct {
	name string
	fn   func(r Roots) (Part, error)
}

func (f funcSource) Name() string                                     { return f.name }
func (f funcSource) Collect(_ context.Context, r Roots) (Part, error) { return f.fn(r) }

// TestCollectHungCollectorIsCutOff runs a source that blocks until the
// test releases it, next to one that answers: the hung one is reported as an
// Error, the other's facts are kept, and while the hung goroutine is still
// blocked the Runner that started it does not start it again.
func TestCollectHungCollectorIsCutOff(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	started := make(chan struct{}, 4)
	mdDone := make(chan struct{})
	first := true
	rn := &Runner{Sources: []Source{
		funcSource{"hwmon", func(Roots) (Part, error) {
			if first { // the first run hangs only once md has answered
				first = false
				<-mdDone
				for i := 0; i < 100; i++ {
					runtime.Gosched() // let md's goroutine hand in its result
				}
			}
			started <- struct{}{}
			<-release
			// must never reach the snapshot of a pass that gave up on it
			return Part{Set: func(s *Snapshot) { s.PSUs = []PSU{{}} }}, nil
		}},
		funcSource{"md", func(Roots) (Part, error) {
			defer func() {
				select {
				case <-mdDone:
				default:
					close(mdDone)
				}
			}()
			return Part{Set: func(s *Snapshot) { s.MD = []MDArray{{Name: "md0"}} }}, nil
		}},
	}}
	roots := Roots{Sys: t.TempDir(), Proc: t.TempDir()}
	clk := newTimerClock()
	rn.Clock = clk
	// The deadline fires as soon as the hung source has started.
	go func() { <-started; <-clk.made; clk.Add(time.Second) }()

	s := rn.Collect(context.Background(), roots, time.Second)
	if diff := cmp.Diff([]MDArray{{Name: "md0"}}, s.MD); diff != "" {
		t.Errorf("md facts (-want +got):\n%s", diff)
	}
	if s.PSUs != nil {
		t.Errorf("the hung source's facts reached the snapshot: %+v", s.PSUs)
	}
	if len(s.Errors) != 1 || s.Errors[0].Collector != "hwmon" || !strings.Contains(s.Errors[0].Reason(), "timed out") {
		t.Fatalf("errors = %+v, want one hwmon timeout", s.Errors)
	}
	if s.Durations["hwmon"] != time.Second {
		t.Errorf("hwmon duration %v, want the timeout", s.Durations["hwmon"])
	}

	// Second pass: the goroutine is still blocked, so it is not restarted.
	// A clock never advanced: its timers never fire.
	rn.Clock = clock.NewFake(fixedNow())
	s2 := rn.Collect(context.Background(), roots, time.Second)
	if len(s2.Errors) != 1 || !strings.Contains(s2.Errors[0].Reason(), "still hung") {
		t.Fatalf("second pass errors = %+v, want 'still hung'", s2.Errors)
	}
	select {
	case <-started:
		t.Fatal("the hung source was started a second time")
	default:
	}
	// Another Runner (another engine) knows nothing of this one's hung source.
	other := &Runner{Sources: []Source{funcSource{"hwmon", func(Roots) (Part, error) { return Part{}, nil }}}, Clock: rn.Clock}
	if s := other.Collect(context.Background(), roots, time.Second); len(s.Errors) != 0 {
		t.Errorf("a second runner inherited the hung mark: %+v", s.Errors)
	}

	// Once it returns, the next pass runs it again.
	close(release)
	deadline := time.Now().Add(10 * time.Second)
	for rn.hungSince("hwmon") != nil {
		if time.Now().After(deadline) {
			t.Fatal("the returned goroutine did not clear its hung mark")
		}
		runtime.Gosched() // waiting for the released goroutine, not for time
	}
	s3 := rn.Collect(context.Background(), roots, time.Second)
	if len(s3.Errors) != 0 || len(s3.PSUs) != 1 {
		t.Fatalf("third pass: errors %+v PSUs %+v, want a clean run", s3.Errors, s3.PSUs)
	}
}

// TestCollectCancelled reports every source as an error when the context
// has ended before the pass.
func TestCollectCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rn := Runner{Clock: clock.NewFake(fixedNow())}
	s := rn.Collect(ctx, Roots{Sys: t.TempDir(), Proc: t.TempDir()}, 0)
	var names []string
	for _, e := range s.Errors {
		if !errors.Is(e, context.Canceled) {
			t.Errorf("error %v does not wrap context.Canceled", e)
		}
		names = append(names, e.Collector)
	}
	var want []string
	for _, src := range Sources() {
		want = append(want, src.Name())
	}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("one error per source, in order (-want +got):\n%s", diff)
	}
}

// TestCollectSourceError: a source's own error becomes an Error of the
// source (kept as is when it already is one), after its Part's errors.
func TestCollectSourceError(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	rn := &Runner{Sources: []Source{
		funcSource{"a", func(Roots) (Part, error) {
			return Part{Errors: []Error{{Collector: "a", Path: "/p", Err: errors.New("first")}}}, boom
		}},
		funcSource{"b", func(Roots) (Part, error) {
			return Part{}, Error{Collector: "b", Path: "/q", Err: boom}
		}},
	}, Clock: clock.NewFake(fixedNow())}
	s := rn.Collect(context.Background(), Roots{}, -1)
	var got [][3]string
	for _, e := range s.Errors {
		got = append(got, e.Key())
	}
	want := [][3]string{{"a", "/p", "first"}, {"a", "", "boom"}, {"b", "/q", "boom"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	if !errors.Is(s.Errors[1], boom) {
		t.Error("the source's error does not unwrap")
	}
}

// TestHungCollectorNamesItsFile: /proc/mdstat is a FIFO that nobody writes
// to, so the md source blocks in its read; when the pass cuts it off, the
// error names the file it was reading (issue 11: the path was empty).
func TestHungCollectorNamesItsFile(t *testing.T) {
	t.Parallel()
	roots := Roots{Sys: t.TempDir(), Proc: t.TempDir()}
	fifo := filepath.Join(roots.Proc, "mdstat")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	defer func() { // release the blocked reader: a writer comes and goes
		if f, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
			f.Close()
		}
	}()
	clk := newTimerClock()
	// The md source alone: the others, cut off by the same early deadline,
	// would make the hung read ambiguous.
	rn := &Runner{Sources: []Source{mdSource{}}, Clock: clk}
	// The deadline fires once the md source is blocked in its read.
	go func() {
		<-clk.made
		for !slices.Contains(hostfs.ReadsSince(0), fifo) {
			runtime.Gosched()
		}
		clk.Add(time.Second)
	}()
	s := rn.Collect(context.Background(), roots, time.Second)
	var hung []Error
	for _, e := range s.Errors {
		if strings.Contains(e.Reason(), "timed out") {
			hung = append(hung, e)
		}
	}
	if len(hung) != 1 || hung[0].Collector != "md" || hung[0].Path != fifo {
		t.Fatalf("cut-off errors = %+v, want one for md naming %s", hung, fifo)
	}
}

// TestNameHungReads: one source cut off gets the most recent read under
// way as its Path; with several, each lists every read under way.
func TestNameHungReads(t *testing.T) {
	t.Parallel()
	errs := []Error{{Collector: "md", Err: errors.New("timed out")}}
	nameHungReads(errs, []int{0}, []string{"/proc/mdstat", "/sys/old"})
	if errs[0].Path != "/proc/mdstat" {
		t.Errorf("one hung: %+v", errs[0])
	}
	errs = []Error{{Collector: "md", Err: errors.New("timed out")}, {Collector: "bonding", Path: "/x", Err: errors.New("bad")}, {Collector: "power", Err: errors.New("timed out")}}
	nameHungReads(errs, []int{0, 2}, []string{"/a", "/b"})
	for _, i := range []int{0, 2} {
		if errs[i].Path != "" || errs[i].Reason() != "timed out; reads still under way: /a, /b" {
			t.Errorf("two hung: %+v", errs[i])
		}
	}
	if errs[1].Reason() != "bad" {
		t.Errorf("an error of a source that returned changed: %+v", errs[1])
	}
	// Reads of another tree (another Runner at the same time) are not this pass's.
	got := underRoots([]string{"/t1/proc/mdstat", "/t2/proc/mdstat", "/t1/sysfs/x", "/t1/sys/class/x"}, Roots{Sys: "/t1/sys", Proc: "/t1/proc/"})
	if want := []string{"/t1/proc/mdstat", "/t1/sys/class/x"}; !slices.Equal(got, want) {
		t.Errorf("underRoots = %v, want %v", got, want)
	}
}
