package collectors

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/redwatch/redwatch/internal/hostfs"
)

// Unknown marks an integer fact that could not be read.
const Unknown = -1

// DefaultTimeout is how long one collector may run when the caller sets no
// timeout of its own (see WithTimeout).
const DefaultTimeout = 10 * time.Second

// collector is one subsystem's reader: it fills its part of the snapshot from
// the roots and returns what it could not read.
type collector struct {
	name string
	run  func(r Roots, s *Snapshot) []Error
}

// all lists the collectors. Each runs in its own goroutine into a snapshot of
// its own, so a collector may only fill its own fields and must not read
// another collector's.
var all = []collector{
	{"bonding", func(r Roots, s *Snapshot) (errs []Error) {
		s.Bonds, errs = collectBonds(r)
		return append(errs, unknownSlaveStates(r, s.Bonds)...)
	}},
	{"md", func(r Roots, s *Snapshot) (errs []Error) {
		s.MD, errs = collectMD(r)
		return append(errs, unknownMemberStates(r, s.MD)...)
	}},
	{"net", func(r Roots, s *Snapshot) (errs []Error) { s.NICs, errs = collectNICs(r); return }},
	{"route", func(r Roots, s *Snapshot) (errs []Error) { s.DefaultRoutes, errs = collectRoutes(r); return }},
	{"rootfs", func(r Roots, s *Snapshot) (errs []Error) { s.RootFS, errs = collectRootFS(r); return }},
	{"power", func(r Roots, s *Snapshot) (errs []Error) { s.PSUs, errs = collectPSUs(r); return }},
}

// Options tune one Collect call.
type Options struct {
	// Timeout is how long each collector may run before it is cut off and
	// reported as an Error (UNKNOWN). Zero means DefaultTimeout; negative
	// means no limit.
	Timeout time.Duration
	// After is the timer used for the timeout; nil means time.After. Tests
	// inject their own so that no test waits for real time to pass.
	After func(time.Duration) <-chan time.Time
}

type timeoutKey struct{}

// WithTimeout returns a context that makes Collect cut off each collector
// after d. It is how a caller that only passes a context (the engine) sets
// the per-collector timeout.
func WithTimeout(ctx context.Context, d time.Duration) context.Context {
	return context.WithValue(ctx, timeoutKey{}, d)
}

// Collect runs every collector against the roots and returns the snapshot.
// It never fails as a whole: what a collector could not read is in Errors.
//
// The collectors run concurrently, each cut off after the timeout from
// WithTimeout (DefaultTimeout without one). A collector that is cut off is
// reported as an Error and contributes nothing else to the snapshot; the
// others are not delayed by it.
func Collect(ctx context.Context, r Roots, now func() time.Time) *Snapshot {
	opts := Options{}
	if d, ok := ctx.Value(timeoutKey{}).(time.Duration); ok {
		opts.Timeout = d
	}
	return CollectWith(ctx, r, now, opts)
}

// CollectWith is Collect with explicit options.
// A tree where none of the collectors' sources exists gets a NoSource error.
func CollectWith(ctx context.Context, r Roots, now func() time.Time, opts Options) *Snapshot {
	s := collectWith(ctx, r, now, opts, all)
	if e := NoSource(r); e != nil && ctx.Err() == nil {
		s.Errors = append(s.Errors, *e)
	}
	return s
}

// stuck records the collectors whose goroutine was cut off and has not
// returned yet, by collector name and roots. A goroutine blocked in a read
// cannot be killed: it is abandoned, and while it is still blocked that
// collector is not started again (each retry would strand one more
// goroutine); it is reported as UNKNOWN straight away instead. Once the
// goroutine returns, the next pass runs the collector again.
var stuck sync.Map // stuckKey -> *time.Time (the pass it was started in)

type stuckKey struct {
	name  string
	roots Roots
}

// outcome is what one collector produced.
type outcome struct {
	part     *Snapshot
	errs     []Error
	duration time.Duration
}

func collectWith(ctx context.Context, r Roots, now func() time.Time, opts Options, list []collector) *Snapshot {
	s := &Snapshot{Time: now(), Host: Hostname(r), Durations: make(map[string]time.Duration, len(list))}
	timeout := opts.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	after := opts.After
	if after == nil {
		after = time.After
	}

	type started struct {
		c    collector
		key  stuckKey
		tok  *time.Time
		done chan outcome
	}
	var running []started
	for _, c := range list {
		if err := ctx.Err(); err != nil {
			s.Errors = append(s.Errors, Error{Collector: c.name, Err: err})
			continue
		}
		key := stuckKey{c.name, r}
		if since, ok := stuck.Load(key); ok {
			s.Errors = append(s.Errors, Error{Collector: c.name,
				Err: fmt.Errorf("still hung since %s (an earlier run timed out and has not returned; not restarted)",
					since.(*time.Time).Format(time.RFC3339))})
			continue
		}
		tok := new(time.Time)
		*tok = s.Time
		done := make(chan outcome, 1) // buffered: an abandoned goroutine never blocks on it
		go func(c collector) {
			start := now()
			part := &Snapshot{}
			errs := c.run(r, part)
			done <- outcome{part: part, errs: errs, duration: now().Sub(start)}
			stuck.CompareAndDelete(key, tok) // after the send: see the store below
		}(c)
		running = append(running, started{c, key, tok, done})
	}

	// One deadline for the whole pass: the collectors started together.
	var deadline <-chan time.Time
	if timeout > 0 {
		deadline = after(timeout)
	}
	cause := "" // set once the deadline passed or ctx ended
	for _, st := range running {
		var o outcome
		got := false
		if cause == "" {
			select {
			case o = <-st.done:
				got = true
			case <-deadline:
				cause = fmt.Sprintf("timed out after %s; abandoned, not restarted while still hung", timeout)
			case <-ctx.Done():
				cause = ctx.Err().Error()
			}
		}
		if !got {
			// Mark it stuck, then look once more: a goroutine that sent
			// before this look is collected here; one that sends after it
			// removes the mark itself (it deletes only after sending).
			stuck.Store(st.key, st.tok)
			select {
			case o = <-st.done:
				stuck.CompareAndDelete(st.key, st.tok)
				got = true
			default:
			}
		}
		if !got {
			s.Errors = append(s.Errors, Error{Collector: st.c.name, Err: errors.New(cause)})
			if timeout > 0 {
				s.Durations[st.c.name] = timeout
			}
			continue
		}
		mergePart(s, o.part)
		s.Errors = append(s.Errors, o.errs...)
		s.Durations[st.c.name] = o.duration
	}
	return s
}

// mergePart copies every fact field a collector filled in its own snapshot
// into dst. The bookkeeping fields are the caller's.
func mergePart(dst, part *Snapshot) {
	dv := reflect.ValueOf(dst).Elem()
	pv := reflect.ValueOf(part).Elem()
	t := dv.Type()
	for i := 0; i < t.NumField(); i++ {
		switch t.Field(i).Name {
		case "Time", "Host", "Errors", "Durations":
			continue
		}
		if f := pv.Field(i); !f.IsZero() {
			dv.Field(i).Set(f)
		}
	}
}

// Hostname is the kernel's host name under the proc root
// (sys/kernel/hostname), or the running host's name on a live host.
func Hostname(r Roots) string {
	if b, err := hostfs.ReadAttr(filepath.Join(r.Proc, "sys/kernel/hostname")); err == nil {
		if h := strings.TrimSpace(string(b)); h != "" {
			return h
		}
	}
	if r.Live {
		if h, err := os.Hostname(); err == nil {
			return h
		}
	}
	return ""
}
