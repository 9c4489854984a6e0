package collectors

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/redwatch/redwatch/internal/clock"
	"github.com/redwatch/redwatch/internal/hostfs"
)

// Unknown marks an integer fact that could not be read.
const Unknown = -1

// DefaultTimeout is how long one source may run when the Runner sets no
// timeout of its own.
const DefaultTimeout = 10 * time.Second

// Source is one reader of the host: bonds, md arrays, NICs, routes, the root
// filesystem's block stack, power supplies. Collect reads from the roots it
// is given and returns its Part; an error is the whole source failing (it
// becomes an Error of the source), what it could not read of the rest is in
// Part.Errors.
//
// Adding a source is one file holding its type and one line in Sources.
type Source interface {
	// Name names the source in errors, durations and logs ("bonding", "md").
	Name() string
	Collect(ctx context.Context, r Roots) (Part, error)
}

// Part is what one source read.
type Part struct {
	// Set writes the source's facts into the snapshot. It may set only the
	// source's own fields: it runs after the source returned, and only when
	// it returned in time.
	Set func(s *Snapshot)
	// Errors are what the source could not read or parse.
	Errors []Error
	// Memo is what a Refresher keeps of this read for its next Refresh:
	// the Runner remembers it with the source's contribution and hands it
	// back in a pass over the same roots, so that the source itself stays
	// a stateless value. Nil for
	// the other sources.
	Memo any
}

// Refresher is a Source that can re-read less than Collect does in an
// incremental pass (Runner.CollectFollowing): instead of Collect, the
// Runner calls Refresh with what the source returned in the last pass
// that ran it.
type Refresher interface {
	Source
	// Refresh is Collect in a pass after ev (the source follows at least
	// one of its subsystems, see SourcesFollowing). last is the
	// Part the source returned in the last pass that ran it, or the zero
	// Part when there is none (never run, cut off, or failed as a whole).
	// It may give again what last read of what the events cannot have
	// changed; whatever it cannot tell unchanged it reads as Collect
	// does, and with no usable last it is Collect.
	Refresh(ctx context.Context, r Roots, ev Events, last Part) (Part, error)
}

// Sources are the sources a pass runs, in the order their errors are
// reported.
func Sources() []Source { return SourcesWith(SourceOptions{}) }

// SourceOptions configure the host's own sources; the zero value is the
// defaults.
type SourceOptions struct {
	// IPMI reads the BMC and keeps its cache (see IPMIReader); nil reads
	// in-band IPMI afresh in each pass (a one-shot audit).
	IPMI *IPMIReader
	// Redfish reads the BMC's Redfish service and keeps its cache (see
	// RedfishReader); nil reads only a captured tree's resources.
	Redfish *RedfishReader
}

// apply returns list with its IPMI and Redfish sources reading through o's
// readers, where o has them: a caller that gives its own sources (the
// daemon's LLDP receiver and SMART cache, audit's and capture's) still reads
// the BMC the configuration names, with its cache.
func (o SourceOptions) apply(list []Source) []Source {
	if o.IPMI == nil && o.Redfish == nil {
		return list
	}
	out := make([]Source, len(list))
	for i, s := range list {
		switch s.(type) {
		case ipmiSource:
			if o.IPMI != nil {
				s = ipmiSource{o.IPMI}
			}
		case redfishSource:
			if o.Redfish != nil {
				s = redfishSource{o.Redfish}
			}
		}
		out[i] = s
	}
	return out
}

// SourcesWith are Sources configured by o.
func SourcesWith(o SourceOptions) []Source {
	return []Source{bondingSource{}, mdSource{}, netSource{}, routeSource{}, rootfsSource{}, powerSource{}, hwmonSource{}, redfishSource{o.Redfish}, lldpSource{}, smartSource{}, diskSource{}, hwraidSource{}, ipmiSource{o.IPMI}, multipathSource{}, btrfsSource{}, zfsSource{}}
}

// Collect runs every source against the roots once with DefaultTimeout and
// returns the snapshot (see Runner.Collect). For one-shot callers: a source
// that hangs is abandoned with the Runner.
func Collect(ctx context.Context, r Roots, clk clock.Clock) *Snapshot {
	rn := Runner{Clock: clk}
	return rn.Collect(ctx, r, 0)
}

// Runner runs the sources of a pass concurrently, each cut off after the
// timeout its caller gives. It remembers the sources whose goroutine was cut off and has not
// returned yet: a goroutine blocked in a read cannot be killed, so while it
// is still blocked its source is not started again (each retry would strand
// one more goroutine) but reported as UNKNOWN straight away; once it returns,
// the next pass runs the source again. Whoever runs passes (the engine) owns
// one Runner for its life. The zero Runner runs Sources(); it must not be
// copied after first use.
type Runner struct {
	// Sources are the sources to run; nil means SourcesWith(Options).
	Sources []Source
	// Options configure the default sources: those of SourcesWith when
	// Sources is nil, else the IPMI and Redfish sources among Sources. Set
	// before the first Collect, or with SetOptions while passes may run.
	Options SourceOptions
	// Clock stamps the snapshot, times the sources and runs the timeout;
	// nil means clock.Real{}. Tests inject a clock.Fake so that no test
	// waits for real time to pass.
	Clock clock.Clock

	mu   sync.Mutex
	hung map[string]*time.Time // source name -> the pass it was started in
	// last is what each source gave the snapshot in the last pass that ran
	// it (its facts, errors and duration, or its cut-off error): a partial
	// pass (collectOnly) gives it again for the sources it does not run.
	last map[string]contribution
}

// outcome is what one source produced.
type outcome struct {
	part     Part
	err      error
	duration time.Duration
}

// Collect runs the sources against the roots and returns the snapshot. It
// never fails as a whole: what a source could not read is in Errors.
//
// timeout is how long each source may run before it is cut off and reported
// as an Error (UNKNOWN); zero means DefaultTimeout, negative no limit.
//
// The sources run concurrently under one deadline (they started together).
// A source that is cut off is reported as an Error and contributes nothing
// else to the snapshot; the others are not delayed by it. Running
// Sources(), a tree where none of their files exists gets a NoSource error.
func (rn *Runner) Collect(ctx context.Context, r Roots, timeout time.Duration) *Snapshot {
	return rn.collect(ctx, r, timeout, nil, nil)
}

// collectOnly is Collect running only the sources for which run is true
// (see SourcesFollowing); every other source gives the snapshot exactly
// what it gave in the last pass that ran it (its facts, its errors, its
// duration), in its place in the order, so the snapshot is the one a full
// pass would build if those sources' facts had not changed. A source that
// has never run is run. nil run runs every source (Collect).
func (rn *Runner) collectOnly(ctx context.Context, r Roots, timeout time.Duration, run func(source string) bool) *Snapshot {
	return rn.collect(ctx, r, timeout, run, nil)
}

// CollectFollowing is the incremental pass after events in subs: it runs
// only the sources that follow them (SourcesFollowing), and every other
// source gives the snapshot exactly what it gave in the last pass that ran
// it (see collectOnly); a Refresher among those run is refreshed
// (Refresher.Refresh, given what it returned last) instead of collected.
// No subs is Collect.
func (rn *Runner) CollectFollowing(ctx context.Context, r Roots, timeout time.Duration, subs ...Subsystem) *Snapshot {
	return rn.CollectAfter(ctx, r, timeout, Events{Subsystems: subs})
}

// CollectAfter is CollectFollowing after ev, whose Links the net sources'
// Refresh may re-read alone. No subsystem is Collect.
func (rn *Runner) CollectAfter(ctx context.Context, r Roots, timeout time.Duration, ev Events) *Snapshot {
	if len(ev.Subsystems) == 0 {
		return rn.collect(ctx, r, timeout, nil, nil)
	}
	names := SourcesFollowing(ev.Subsystems...)
	return rn.collect(ctx, r, timeout, func(source string) bool { return slices.Contains(names, source) }, &ev)
}

// collect runs the sources for which run is true (nil: all); ev, when not
// nil, are the events of an incremental pass, for the Refreshers.
func (rn *Runner) collect(ctx context.Context, r Roots, timeout time.Duration, run func(string) bool, ev *Events) *Snapshot {
	clk := rn.Clock
	if clk == nil {
		clk = clock.Real{}
	}
	now := clk.Now
	rn.mu.Lock()
	o := rn.Options
	rn.mu.Unlock()
	list := rn.Sources
	if list == nil {
		list = SourcesWith(o)
	} else {
		list = o.apply(list)
	}
	s := &Snapshot{Time: now(), Host: Hostname(r), Durations: make(map[string]time.Duration, len(list))}
	if timeout == 0 {
		timeout = DefaultTimeout
	}

	type started struct {
		name   string
		tok    *time.Time
		done   chan outcome
		replay *contribution // not run: given again from its last pass
	}
	var running []started
	mark := hostfs.ReadMark() // the reads of this pass begin after it
	for _, src := range list {
		name := src.Name()
		if run != nil && !run(name) {
			if c, ok := rn.lastOf(name, r); ok {
				running = append(running, started{name: name, replay: &c})
				continue
			}
		}
		if err := ctx.Err(); err != nil {
			s.Errors = append(s.Errors, Error{Collector: name, Err: err})
			continue
		}
		if since := rn.hungSince(name); since != nil {
			s.Errors = append(s.Errors, Error{Collector: name,
				Err: fmt.Errorf("still hung since %s (an earlier run timed out and has not returned; not restarted)",
					since.Format(time.RFC3339))})
			continue
		}
		tok := new(time.Time)
		*tok = s.Time
		done := make(chan outcome, 1) // buffered: an abandoned goroutine never blocks on it
		read := src.Collect
		if rf, ok := src.(Refresher); ok && ev != nil {
			last, _ := rn.lastOf(name, r)
			read = func(ctx context.Context, r Roots) (Part, error) { return rf.Refresh(ctx, r, *ev, last.part) }
		}
		go func() {
			start := now()
			part, err := read(ctx, r)
			done <- outcome{part: part, err: err, duration: now().Sub(start)}
			rn.clearHung(name, tok) // after the send: see markHung below
		}()
		running = append(running, started{name: name, tok: tok, done: done})
	}

	var deadline <-chan time.Time
	if timeout > 0 {
		timer := clk.NewTimer(timeout)
		defer timer.Stop()
		deadline = timer.C()
	}
	var cause error                   // set once the deadline passed or ctx ended
	var hung []int                    // indexes into s.Errors of the sources cut off
	var fresh map[string]contribution // what the sources run in this pass gave
	for _, st := range running {
		if st.replay != nil {
			st.replay.give(s)
			continue
		}
		var o outcome
		got := false
		if cause == nil {
			select {
			case o = <-st.done:
				got = true
			case <-deadline:
				cause = fmt.Errorf("timed out after %s; abandoned, not restarted while still hung", timeout)
			case <-ctx.Done():
				cause = ctx.Err()
			}
		}
		if !got {
			// Mark it hung, then look once more: a goroutine that sent
			// before this look is collected here; one that sends after it
			// clears the mark itself (it clears only after sending).
			rn.markHung(st.name, st.tok)
			select {
			case o = <-st.done:
				rn.clearHung(st.name, st.tok)
				got = true
			default:
			}
		}
		c := contribution{name: st.name, roots: r}
		if !got {
			hung = append(hung, len(s.Errors))
			c.errs = []Error{{Collector: st.name, Err: cause}}
			if timeout > 0 {
				c.duration, c.timed = timeout, true
			}
		} else {
			c.set, c.errs, c.duration, c.timed = o.part.Set, o.part.Errors, o.duration, true
			if o.err == nil {
				c.part = o.part
			} else {
				var e Error
				if !errors.As(o.err, &e) {
					e = Error{Collector: st.name, Err: o.err}
				}
				c.errs = append(slices.Clip(c.errs), e)
			}
		}
		c.give(s)
		if fresh == nil {
			fresh = map[string]contribution{}
		}
		fresh[st.name] = c
	}
	nameHungReads(s.Errors, hung, underRoots(hostfs.ReadsSince(mark), r))
	for _, i := range hung { // the errors as named, for a later replay
		name := s.Errors[i].Collector
		c := fresh[name]
		c.errs = []Error{s.Errors[i]}
		fresh[name] = c
	}
	if ctx.Err() == nil { // a pass cut short by its context is not what the sources say
		rn.remember(fresh)
	}
	// With the host's own sources, a tree where none of their files exists
	// gets a NoSource error.
	if rn.Sources == nil && ctx.Err() == nil {
		if e := NoSource(r); e != nil {
			s.Errors = append(s.Errors, *e)
		}
	}
	return s
}

// contribution is what one source gave a snapshot.
type contribution struct {
	name     string
	roots    Roots           // of the pass that ran the source
	set      func(*Snapshot) // nil when it gave no facts (cut off)
	errs     []Error
	duration time.Duration
	timed    bool // duration is set
	// part is what the source returned, for its next Refresh; the zero
	// Part when it was cut off or failed as a whole.
	part Part
}

// give writes the contribution into s, as Collect does for a source that
// returned (or was cut off).
func (c *contribution) give(s *Snapshot) {
	if c.set != nil {
		c.set(s)
	}
	s.Errors = append(s.Errors, c.errs...)
	if c.timed {
		s.Durations[c.name] = c.duration
	}
}

// lastOf is what the source gave the last pass that ran it, when that pass
// read the roots r: what another tree gave is neither replayed nor handed
// to a Refresh.
func (rn *Runner) lastOf(name string, r Roots) (contribution, bool) {
	rn.mu.Lock()
	defer rn.mu.Unlock()
	c, ok := rn.last[name]
	if !ok || c.roots != r {
		return contribution{}, false
	}
	return c, true
}

// remember keeps what the sources run in this pass gave, for collectOnly.
func (rn *Runner) remember(fresh map[string]contribution) {
	rn.mu.Lock()
	defer rn.mu.Unlock()
	if rn.last == nil {
		rn.last = make(map[string]contribution, len(fresh))
	}
	maps.Copy(rn.last, fresh)
}

// underRoots keeps the paths under one of r's roots: the reads of this
// pass, not those of another Runner (another tree) running at the same time.
func underRoots(paths []string, r Roots) []string {
	var out []string
	for _, p := range paths {
		for _, root := range []string{r.Sys, r.Proc, r.Dev} {
			if root != "" && strings.HasPrefix(p, strings.TrimSuffix(root, "/")+"/") {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

// nameHungReads gives the errors of the sources cut off (hung indexes errs)
// the file each was reading. The sources that returned have no read under
// way, so the reads of this pass still under way are the hung ones': a
// source reads one file at a time, so with one source cut off its file is
// the most recent of them, the Path of its error. With several cut off a
// read cannot be told apart by source: each error lists them all.
func nameHungReads(errs []Error, hung []int, inflight []string) {
	switch {
	case len(hung) == 0 || len(inflight) == 0:
	case len(hung) == 1:
		errs[hung[0]].Path = inflight[0]
	default:
		for _, i := range hung {
			errs[i].Err = fmt.Errorf("%w; reads still under way: %s", errs[i].Err, strings.Join(inflight, ", "))
		}
	}
}

// SetOptions replaces the default sources' options for the next passes; it
// may be called while a pass runs (an engine's reload).
func (rn *Runner) SetOptions(o SourceOptions) {
	rn.mu.Lock()
	defer rn.mu.Unlock()
	rn.Options = o
}

func (rn *Runner) hungSince(name string) *time.Time {
	rn.mu.Lock()
	defer rn.mu.Unlock()
	return rn.hung[name]
}

func (rn *Runner) markHung(name string, tok *time.Time) {
	rn.mu.Lock()
	defer rn.mu.Unlock()
	if rn.hung == nil {
		rn.hung = map[string]*time.Time{}
	}
	rn.hung[name] = tok
}

// clearHung removes the mark of name if it is still the one of the run tok.
func (rn *Runner) clearHung(name string, tok *time.Time) {
	rn.mu.Lock()
	defer rn.mu.Unlock()
	if rn.hung[name] == tok {
		delete(rn.hung, name)
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
