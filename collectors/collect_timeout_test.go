package collectors

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"time"
)

// fixedNow is a clock that never moves.
func fixedNow() time.Time { return time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC) }

// TestCollectHungCollectorIsCutOff runs a collector that blocks until the
// test releases it, next to one that answers: the hung one is reported as an
// Error, the other's facts are kept, and while the hung goroutine is still
// blocked the next pass does not start it again.
func TestCollectHungCollectorIsCutOff(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 4)
	mdDone := make(chan struct{})
	first := true
	list := []collector{
		{"hwmon", func(r Roots, s *Snapshot) []Error {
			if first { // the first run hangs only once md has answered
				first = false
				<-mdDone
				for i := 0; i < 100; i++ {
					runtime.Gosched() // let md's goroutine hand in its result
				}
			}
			started <- struct{}{}
			<-release
			s.PSUs = []PSU{{}} // must never reach the snapshot
			return nil
		}},
		{"md", func(r Roots, s *Snapshot) []Error {
			defer func() {
				select {
				case <-mdDone:
				default:
					close(mdDone)
				}
			}()
			s.MD = []MDArray{{Name: "md0"}}
			return nil
		}},
	}
	roots := Roots{Sys: t.TempDir(), Proc: t.TempDir()}
	fire := make(chan time.Time, 1)
	opts := Options{Timeout: time.Second, After: func(time.Duration) <-chan time.Time {
		// The deadline fires as soon as the hung collector has started.
		go func() { <-started; fire <- fixedNow() }()
		return fire
	}}

	s := collectWith(context.Background(), roots, fixedNow, opts, list)
	if len(s.MD) != 1 || s.MD[0].Name != "md0" {
		t.Errorf("md facts lost: %+v", s.MD)
	}
	if s.PSUs != nil {
		t.Errorf("the hung collector's facts reached the snapshot: %+v", s.PSUs)
	}
	if len(s.Errors) != 1 || s.Errors[0].Collector != "hwmon" || !strings.Contains(s.Errors[0].Reason(), "timed out") {
		t.Fatalf("errors = %+v, want one hwmon timeout", s.Errors)
	}

	// Second pass: the goroutine is still blocked, so it is not restarted.
	opts2 := Options{Timeout: time.Second, After: func(time.Duration) <-chan time.Time { return nil }}
	s2 := collectWith(context.Background(), roots, fixedNow, opts2, list)
	if len(s2.Errors) != 1 || !strings.Contains(s2.Errors[0].Reason(), "still hung") {
		t.Fatalf("second pass errors = %+v, want 'still hung'", s2.Errors)
	}
	select {
	case <-started:
		t.Fatal("the hung collector was started a second time")
	default:
	}

	// Once it returns, the next pass runs it again.
	close(release)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, ok := stuck.Load(stuckKey{"hwmon", roots}); !ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the returned goroutine did not clear its stuck mark")
		}
		runtime.Gosched() // waiting for the released goroutine, not for time
	}
	s3 := collectWith(context.Background(), roots, fixedNow, opts2, list)
	if len(s3.Errors) != 0 || len(s3.PSUs) != 1 {
		t.Fatalf("third pass: errors %+v PSUs %+v, want a clean run", s3.Errors, s3.PSUs)
	}
}

// TestCollectCancelled reports every collector as an error when the context
// has ended before the pass.
func TestCollectCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s := CollectWith(ctx, Roots{Sys: t.TempDir(), Proc: t.TempDir()}, fixedNow, Options{})
	if len(s.Errors) != len(all) {
		t.Fatalf("errors = %+v, want one per collector", s.Errors)
	}
}

// TestWithTimeout carries the timeout through the context.
func TestWithTimeout(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	list := []collector{{"slow", func(Roots, *Snapshot) []Error { <-release; return nil }}}
	ctx := WithTimeout(context.Background(), time.Nanosecond)
	d, _ := ctx.Value(timeoutKey{}).(time.Duration)
	if d != time.Nanosecond {
		t.Fatalf("timeout = %v", d)
	}
	s := collectWith(ctx, Roots{Sys: t.TempDir()}, fixedNow, Options{Timeout: d}, list)
	if len(s.Errors) != 1 || s.Durations["slow"] != time.Nanosecond {
		t.Fatalf("errors %+v durations %v", s.Errors, s.Durations)
	}
}
