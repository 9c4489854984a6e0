// Package daemon is redwatch's node daemon loop: it runs a pass at start, on
// every event from its sources (netlink link changes, mdstat wake-ups,
// uevents, or file changes in a captured tree) and every interval as a safety
// net. Bursts of events are coalesced into one pass and passes never overlap:
// the loop is one goroutine and a pass runs inside it.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redwatch/redwatch/collectors"
	"github.com/redwatch/redwatch/internal/clock"
	"github.com/redwatch/redwatch/internal/daemon/report"
	"github.com/redwatch/redwatch/internal/engine"
)

// DefaultInterval is the safety-net interval between passes.
const DefaultInterval = report.DefaultInterval

// Triggers: why a pass ran.
const (
	TriggerStart    = report.TriggerStart
	TriggerEvent    = report.TriggerEvent
	TriggerInterval = report.TriggerInterval
	TriggerReload   = report.TriggerReload
)

// Report is what the loop publishes after each pass (report.Report).
type Report = report.Report

// ReloadStatus is the outcome of the last configuration load (report.ReloadStatus).
type ReloadStatus = report.ReloadStatus

// Clock is the loop's clock (clock.Clock).
type Clock = clock.Clock

// Timer is a one-shot timer from a Clock (clock.Timer).
type Timer = clock.Timer

// RealClock is the wall clock (clock.Real).
type RealClock = clock.Real

// DefaultDebounce is how long the loop waits after the first event of a
// burst before it runs the pass, so that the rest of the burst (a cable pull
// is a carrier change on the slave, then the bond's own updates, within a few
// milliseconds) lands in the same pass. The window is fixed from the first
// event, not extended by later ones, so it bounds the added latency.
const DefaultDebounce = 50 * time.Millisecond

// Runner runs one pass; *engine.Engine is one.
type Runner interface {
	Run(ctx context.Context) *engine.Pass
}

// PartialRunner is a Runner that can also run an incremental pass, which
// re-reads only the sources that follow the subsystems the events named and
// gives the rest their last facts (engine.Engine.RunAfter); the loop runs
// one after events it can place, and a full pass (Run) otherwise.
type PartialRunner interface {
	Runner
	RunAfter(ctx context.Context, ev collectors.Events) *engine.Pass
}

// The engine runs incremental passes: without it, every event pass would
// silently be a full one.
var _ PartialRunner = (*engine.Engine)(nil)

// MaxEventLinks is how many interfaces the net events of one coalescing
// window may name for the pass to re-read only them (collectors.Events
// Links); with more, it re-reads every interface. Eight covers a bond's
// slaves and their bond going down together (a switch that reboots takes
// one slave of each bond, a cable pulled or a card that dies one or two
// of a bond); beyond that the event is about much of the host (a switch
// stack, the module reloaded) and every interface is re-read, the read
// of all NICs being the price of a few dozen named ones anyway.
const MaxEventLinks = 8

// Pass kinds (Report.Kind).
const (
	KindFull        = report.KindFull
	KindIncremental = report.KindIncremental
)

// Setup is what the configuration decides for the loop: how to run a pass
// and how often.
type Setup struct {
	// Runner runs a pass.
	Runner Runner
	// Interval is the safety-net interval; zero means DefaultInterval.
	Interval time.Duration
	// CollectorTimeout is the per-source timeout the runner was given
	// (engine.Engine.SetCollectorTimeout), for the log; zero means
	// collectors.DefaultTimeout.
	CollectorTimeout time.Duration
}

// Notifier tells the service manager about the daemon (sd_notify).
type Notifier interface {
	Notify(state string) error
}

// Options build a Daemon.
type Options struct {
	// Load reads the configuration; it is called once by New and again on
	// every Reload. A failed reload keeps the setup in force.
	Load func() (Setup, error)
	// Sources deliver the events that trigger a pass.
	Sources []Source
	// Debounce is the coalescing window after the first event of a burst;
	// zero means DefaultDebounce, negative means none.
	Debounce time.Duration
	// Clock is the clock; nil means RealClock.
	Clock Clock
	// Notifier receives READY=1, STATUS= and WATCHDOG=1; nil means none.
	Notifier Notifier
	// Watchdog is systemd's WatchdogSec (0: not set). The loop sends
	// WATCHDOG=1 at half of it, and only from the loop itself, so a stuck
	// loop is restarted by systemd.
	Watchdog time.Duration
	// Logger receives one line per state change; nil means slog.Default().
	Logger *slog.Logger
	// OnPass receives every pass; it runs on the loop and must not block.
	OnPass func(Report)
}

// Daemon is the pass loop.
type Daemon struct {
	opts   Options
	clock  Clock
	log    *slog.Logger
	notify Notifier

	setup   Setup // owned by the loop after New
	reload  chan struct{}
	trigger chan struct{}

	mu             sync.Mutex // guards the fields below, written by sources
	pendingEvents  int
	pendingFirst   string
	pendingSince   time.Time
	pendingLast    time.Time
	pendingFull    bool                          // an event no subsystem covers: a full pass
	pendingSubs    map[collectors.Subsystem]bool // the subsystems the pending events named
	pendingLinks   map[string]bool               // the interfaces the pending net events named
	pendingNoLinks bool                          // a pending net event named no interface
	eventsBySource map[string]uint64
	sourceUp       map[string]bool

	passes      map[string]uint64 // owned by the loop
	incremental uint64            // owned by the loop
	seq         uint64
	interval    atomic.Int64 // the interval in force, for readers off the loop
	last        atomic.Pointer[Report]
	reloaded    atomic.Pointer[ReloadStatus]
	prev        *engine.Pass
	running     atomic.Bool
}

// New reads the configuration once and returns the daemon; a configuration
// that cannot be loaded is an error here (and only here).
func New(opts Options) (*Daemon, error) {
	if opts.Load == nil {
		return nil, errors.New("daemon: no Load function")
	}
	setup, err := opts.Load()
	if err != nil {
		return nil, fmt.Errorf("daemon: %w", err)
	}
	if setup.Runner == nil {
		return nil, errors.New("daemon: configuration gave no runner")
	}
	d := &Daemon{
		opts:           opts,
		clock:          opts.Clock,
		log:            opts.Logger,
		notify:         opts.Notifier,
		setup:          normalize(setup),
		reload:         make(chan struct{}, 1),
		trigger:        make(chan struct{}, 1),
		eventsBySource: map[string]uint64{},
		sourceUp:       map[string]bool{},
		passes:         map[string]uint64{},
		pendingSubs:    map[collectors.Subsystem]bool{},
		pendingLinks:   map[string]bool{},
	}
	if d.clock == nil {
		d.clock = RealClock{}
	}
	if d.log == nil {
		d.log = slog.Default()
	}
	d.interval.Store(int64(d.setup.Interval))
	d.reloaded.Store(&ReloadStatus{Successful: true, LastSuccess: d.clock.Now()})
	if d.notify == nil {
		d.notify = nopNotifier{}
	}
	return d, nil
}

func normalize(s Setup) Setup {
	if s.Interval <= 0 {
		s.Interval = DefaultInterval
	}
	if s.CollectorTimeout == 0 {
		s.CollectorTimeout = collectors.DefaultTimeout
	}
	return s
}

type nopNotifier struct{}

func (nopNotifier) Notify(string) error { return nil }

// Reload asks the loop to re-read the configuration (SIGHUP). It does not
// wait; the loop reloads between passes and then runs a pass.
func (d *Daemon) Reload() {
	select {
	case d.reload <- struct{}{}:
	default: // one is pending already
	}
}

// Reloaded is the outcome of the last configuration load.
func (d *Daemon) Reloaded() ReloadStatus { return *d.reloaded.Load() }

// Last is the report of the last pass, nil before the first.
func (d *Daemon) Last() *Report { return d.last.Load() }

// Interval is the safety-net interval in force.
func (d *Daemon) Interval() time.Duration { return time.Duration(d.interval.Load()) }

// event is what a source calls for each event; subs are the subsystems it
// is about (nil: it cannot say, so the pass that covers it is a full one),
// links the interfaces a net event is about (nil: it cannot say).
func (d *Daemon) event(source, detail string, subs []collectors.Subsystem, links []string) {
	now := d.clock.Now()
	d.mu.Lock()
	d.eventsBySource[source]++
	if len(subs) == 0 {
		d.pendingFull = true
	}
	for _, s := range subs {
		d.pendingSubs[s] = true
	}
	if slices.Contains(subs, collectors.SubsystemNet) {
		if len(links) == 0 {
			d.pendingNoLinks = true
		}
		for _, l := range links {
			d.pendingLinks[l] = true
		}
	}
	if d.pendingEvents == 0 {
		d.pendingFirst = source + ": " + detail
		d.pendingSince = now
	}
	d.pendingLast = now
	d.pendingEvents++
	d.mu.Unlock()
	select {
	case d.trigger <- struct{}{}:
	default: // a pass is pending already: coalesced
	}
}

func (d *Daemon) setSourceUp(name string, up bool) {
	d.mu.Lock()
	d.sourceUp[name] = up
	d.mu.Unlock()
}

// startSources opens every source. One that cannot be opened is logged once
// and the daemon relies on the interval for what it would have told.
func (d *Daemon) startSources(ctx context.Context, wg *sync.WaitGroup) {
	for _, src := range d.opts.Sources {
		name := src.Name()
		done, err := src.Watch(ctx, func(detail string) { d.event(name, detail, scopeOf(src, detail), linksOf(src, detail)) })
		if err != nil {
			d.setSourceUp(name, false)
			d.log.Warn("event source unavailable; relying on the interval", "source", name, "err", err)
			continue
		}
		d.setSourceUp(name, true)
		d.log.Debug("event source open", "source", name)
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := <-done
			if ctx.Err() != nil {
				return
			}
			d.setSourceUp(name, false)
			if err == nil {
				err = errors.New("stopped")
			}
			d.log.Warn("event source failed; relying on the interval", "source", name, "err", err)
		}()
	}
}

// Run runs the loop until ctx ends. It returns nil after a clean stop.
func (d *Daemon) Run(ctx context.Context) error {
	if !d.running.CompareAndSwap(false, true) {
		return errors.New("daemon: already running")
	}
	defer d.running.Store(false)

	var wg sync.WaitGroup
	srcCtx, stopSources := context.WithCancel(ctx)
	defer func() {
		stopSources()
		wg.Wait()
	}()
	d.startSources(srcCtx, &wg)

	d.runPass(ctx, TriggerStart, 0, 0, collectors.Events{})
	if ctx.Err() != nil {
		return nil
	}
	_ = d.notify.Notify("READY=1")

	var watchdog Timer
	watchdogC := func() <-chan time.Time {
		if watchdog == nil {
			return nil
		}
		return watchdog.C()
	}
	armWatchdog := func() {
		if d.opts.Watchdog > 0 {
			watchdog = d.clock.NewTimer(d.opts.Watchdog / 2)
		}
	}
	armWatchdog()
	defer func() {
		if watchdog != nil {
			watchdog.Stop()
		}
	}()

	interval := d.clock.NewTimer(d.setup.Interval)
	defer func() { interval.Stop() }()
	// The interval runs from the start of the last full pass; it is
	// re-armed before each full pass so that one is never followed by a
	// stale tick. An incremental pass does not re-arm it: however often
	// events come, a full pass (the safety net, and the only pass that
	// reads every source) runs at least every interval.
	rearm := func() {
		interval.Stop()
		interval = d.clock.NewTimer(d.setup.Interval)
	}

	for {
		select {
		case <-ctx.Done():
			_ = d.notify.Notify("STOPPING=1")
			return nil
		case <-watchdogC():
			_ = d.notify.Notify("WATCHDOG=1")
			armWatchdog()
		case <-interval.C():
			rearm()
			d.runPass(ctx, TriggerInterval, 0, 0, collectors.Events{})
		case <-d.reload:
			// A failed reload changed nothing, so it runs no pass: the
			// reload passes count successful reloads only.
			if d.doReload() {
				rearm()
				d.runPass(ctx, TriggerReload, 0, 0, collectors.Events{})
			}
		case <-d.trigger:
			if !d.debounce(ctx) {
				continue
			}
			d.mu.Lock()
			n, first, spread := d.pendingEvents, d.pendingFirst, d.pendingLast.Sub(d.pendingSince)
			ev := d.takeEvents()
			d.pendingEvents, d.pendingFirst = 0, ""
			d.mu.Unlock()
			if _, ok := d.setup.Runner.(PartialRunner); !ok {
				ev = collectors.Events{}
			}
			d.log.Debug("event pass", "events", n, "spread", spread, "first", first,
				"subsystems", subsystemList(ev.Subsystems), "links", strings.Join(ev.Links, ","))
			if ev.Subsystems == nil {
				rearm()
			}
			d.runPass(ctx, TriggerEvent, n, spread, ev)
		}
	}
}

// debounce waits out the coalescing window; it returns false if ctx ended.
func (d *Daemon) debounce(ctx context.Context) bool {
	w := d.opts.Debounce
	if w == 0 {
		w = DefaultDebounce
	}
	if w < 0 {
		return ctx.Err() == nil
	}
	t := d.clock.NewTimer(w)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C():
	}
	// Events that arrived in the window are in this pass: drop their wake-up.
	select {
	case <-d.trigger:
	default:
	}
	return true
}

// doReload re-reads the configuration and says whether it took effect; a bad
// one is logged, recorded in Reloaded, and the old one kept.
func (d *Daemon) doReload() bool {
	setup, err := d.opts.Load()
	if err == nil && setup.Runner == nil {
		err = errors.New("configuration gave no runner")
	}
	if err != nil {
		last := d.Reloaded().LastSuccess
		// Logged before it is recorded: whoever sees the failed status finds
		// the reason already in the log.
		d.log.Error("reload failed; keeping the configuration in force", "err", err,
			"in_force_since", last.Format(time.RFC3339))
		d.reloaded.Store(&ReloadStatus{Successful: false, LastSuccess: last})
		return false
	}
	setup = normalize(setup)
	d.log.Info("configuration reloaded", "interval", setup.Interval, "collector_timeout", setup.CollectorTimeout)
	d.setup = setup
	d.interval.Store(int64(setup.Interval))
	d.reloaded.Store(&ReloadStatus{Successful: true, LastSuccess: d.clock.Now()})
	return true
}

// takeEvents returns the pending events' subsystems, sorted, and the
// interfaces their net events named, sorted (none when one of them named
// none, more than MaxEventLinks were named, or another subsystem is in
// the pass: its sources are read whole anyway), and clears them; no
// subsystem when one of the events needs a full pass. d.mu is held.
func (d *Daemon) takeEvents() collectors.Events {
	var ev collectors.Events
	if !d.pendingFull {
		ev.Subsystems = slices.Sorted(maps.Keys(d.pendingSubs))
		netOnly := slices.Equal(ev.Subsystems, []collectors.Subsystem{collectors.SubsystemNet})
		if netOnly && !d.pendingNoLinks && len(d.pendingLinks) <= MaxEventLinks {
			ev.Links = slices.Sorted(maps.Keys(d.pendingLinks))
		}
	}
	d.pendingFull, d.pendingNoLinks = false, false
	clear(d.pendingSubs)
	clear(d.pendingLinks)
	return ev
}

// subsystemList is the subsystems for the log ("full" for none).
func subsystemList(subs []collectors.Subsystem) string {
	if len(subs) == 0 {
		return "full"
	}
	parts := make([]string, len(subs))
	for i, s := range subs {
		parts[i] = string(s)
	}
	return strings.Join(parts, ",")
}

// runPass runs one pass, publishes it, logs what changed and tells systemd:
// an incremental one after ev when it has subsystems (the runner is then a
// PartialRunner), a full one otherwise.
func (d *Daemon) runPass(ctx context.Context, trigger string, events int, spread time.Duration, ev collectors.Events) {
	var p *engine.Pass
	kind := KindFull
	subs := ev.Subsystems
	if pr, ok := d.setup.Runner.(PartialRunner); ok && len(subs) > 0 {
		p, kind = pr.RunAfter(ctx, ev), KindIncremental
	} else {
		subs, ev.Links = nil, nil
		p = d.setup.Runner.Run(ctx)
	}
	if p == nil {
		d.log.Error("pass returned nothing", "trigger", trigger)
		return
	}
	if ctx.Err() != nil {
		return // cut short by the stop: not a verdict about the host
	}
	d.seq++
	d.passes[trigger]++
	if kind == KindIncremental {
		d.incremental++
	}
	d.mu.Lock()
	r := &Report{
		Pass:           p,
		Seq:            d.seq,
		Trigger:        trigger,
		Kind:           kind,
		Subsystems:     subs,
		Links:          ev.Links,
		Incremental:    d.incremental,
		Events:         events,
		Spread:         spread,
		Passes:         maps.Clone(d.passes),
		EventsBySource: maps.Clone(d.eventsBySource),
		Sources:        maps.Clone(d.sourceUp),
		Interval:       d.setup.Interval,
	}
	d.mu.Unlock()
	d.last.Store(r)
	logChanges(d.log, d.prev, p)
	d.prev = p
	if d.opts.OnPass != nil {
		d.opts.OnPass(*r)
	}
	_ = d.notify.Notify("STATUS=" + Summary(p))
	if d.opts.Watchdog > 0 {
		_ = d.notify.Notify("WATCHDOG=1")
	}
}

// Summary is the one-line STATUS= text for a pass.
func Summary(p *engine.Pass) string {
	res := p.Result
	degraded := 0
	for _, g := range res.Groups {
		if g.Healthy < g.Needed && !g.NotObservable { // a power group nobody can count is not degraded
			degraded++
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d groups (%d degraded), %d findings, %d errors; last pass %s",
		strings.ToUpper(res.Status.String()), len(res.Groups), degraded, len(res.Findings), len(res.Errors),
		p.Started.Format(time.RFC3339))
	return b.String()
}
