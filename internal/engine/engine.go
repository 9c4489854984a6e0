// Package engine runs one redwatch pass: collect a snapshot from the roots,
// then evaluate the rules over it with the configuration and the state kept
// in the state directory. The audit command, the daemon and the endpoint all
// go through it, so they are views of the same pass.
package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/redwatch/redwatch/collectors"
	"github.com/redwatch/redwatch/internal/clock"
	"github.com/redwatch/redwatch/internal/config"
	"github.com/redwatch/redwatch/rules"
)

// Engine holds what a pass needs besides the host itself. It is safe to
// reuse across passes and from several goroutines (passes are serialised);
// it keeps the findings' first-seen times in memory between passes and
// persists them, with the baseline, in StateDir.
type Engine struct {
	// Roots are the filesystem roots the collectors read.
	Roots collectors.Roots
	// Clock is the clock; nil means the wall clock. Tests inject their own.
	Clock clock.Clock
	// Config is the configuration; nil is the defaults. Replace it between
	// passes with SetConfig.
	Config *config.Config
	// StateDir holds the state file (baseline, first-seen times,
	// maintenance). "" turns the baseline off and keeps first-seen times in
	// memory only.
	StateDir string
	// CollectorTimeout cuts off one hung source; zero means
	// collectors.DefaultTimeout. Replace it between passes with
	// SetCollectorTimeout.
	CollectorTimeout time.Duration
	// Sources are the sources a pass runs; nil means collectors.Sources().
	// Read once, at the first pass, with Clock (the collectors' clock too).
	Sources []collectors.Source
	// Actions, when set, returns the findings the daemon's actions raise
	// about themselves (reenslave_gave_up), evaluated with the pass.
	Actions func() []rules.Finding

	// collect runs the sources and remembers the ones still hung from an
	// earlier pass: this engine started them.
	collect     collectors.Runner
	collectInit sync.Once
	// ipmi is the BMC reader (with its cache) built from ipmiCfg, the
	// configuration's power.ipmi; a reload that changes it builds a new one.
	ipmi    *collectors.IPMIReader
	ipmiCfg *config.IPMI
	// redfish is the Redfish reader built from redfishCfg, likewise.
	redfish    *collectors.RedfishReader
	redfishCfg *config.Redfish
	// readersFor is the Config that ipmi and redfish were last checked
	// against (readersChecked: at all); a pass with the same Config skips
	// the comparison.
	readersFor     *config.Config
	readersChecked bool

	mu              sync.Mutex
	last            *collectors.Snapshot // the last pass's, with what it kept stale
	mem             *State               // the state as of the last pass, for a corrupt file
	cache           stateCache           // the state file as last read or written, while it is unchanged
	firstSeen       map[string]time.Time
	lastWriteFailed bool
}

// Pass is one collect-and-evaluate.
type Pass struct {
	Snapshot *collectors.Snapshot
	Result   rules.Result
	// Pending are findings waiting for their rule's `for`; not in Result.
	Pending []rules.Pending
	// Maintenance are the maintenance windows on during the pass.
	Maintenance []rules.Maintenance
	// Notes are what the operator should know about the state (a state
	// directory that cannot be written); they do not change the status.
	Notes []string
	// Started and Duration time the whole pass.
	Started  time.Time
	Duration time.Duration
}

// SetCollectorTimeout replaces the per-source timeout for the next passes.
func (e *Engine) SetCollectorTimeout(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.CollectorTimeout = d
}

// SetConfig replaces the configuration for the next passes (a daemon's
// reload); the first-seen times are kept.
func (e *Engine) SetConfig(c *config.Config) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.Config = c
}

// Run performs one pass: collect, then built-in rules, expectations,
// baseline, user rules, rule control and maintenance, then the status.
func (e *Engine) Run(ctx context.Context) *Pass { return e.run(ctx, collectors.Events{}) }

// RunFollowing is an incremental pass after events in the subsystems: it
// re-reads only the sources that follow them (collectors.SourcesFollowing)
// and takes every other source's facts, errors and duration from the last
// pass that read it (collectors.Runner.CollectFollowing; a source that can
// re-read only what the events changed, md, bonding and net, does so); then
// everything else is Run's, over that snapshot: the rules, the stale facts
// of a failed source, the state. So it gives what a full pass would when the
// other sources' facts have not changed, and the slow sources (SMART, IPMI,
// Redfish, the RAID tools, LLDP) are not asked. Before any full pass, or
// with no subsystem, it is Run.
func (e *Engine) RunFollowing(ctx context.Context, subs ...collectors.Subsystem) *Pass {
	return e.run(ctx, collectors.Events{Subsystems: subs})
}

// RunAfter is RunFollowing after ev: a link event that named its
// interfaces (ev.Links) re-reads only them and their bonds
// (collectors.Runner.CollectAfter).
func (e *Engine) RunAfter(ctx context.Context, ev collectors.Events) *Pass {
	return e.run(ctx, ev)
}

// run is one pass after ev (no subsystem: a full pass).
func (e *Engine) run(ctx context.Context, ev collectors.Events) *Pass {
	clk := e.Clock
	if clk == nil {
		clk = clock.Real{}
	}
	now := clk.Now
	start := now()
	e.collectInit.Do(func() { e.collect.Sources, e.collect.Clock = e.Sources, clk })
	e.mu.Lock()
	timeout := e.CollectorTimeout
	e.collect.SetOptions(e.bmcReaders(clk))
	e.mu.Unlock()
	snap := e.collect.CollectAfter(ctx, e.Roots, timeout, ev)

	e.mu.Lock()
	defer e.mu.Unlock()
	keepStale(e.last, snap)
	e.last = snap
	cfg := e.Config
	if cfg == nil {
		cfg = config.Default()
	}
	opts := rules.Options{Expect: cfg.Expectations(), Controls: cfg.Controls(), UserRules: cfg.CompiledUserRules(),
		Now: start, FirstSeen: e.firstSeen, Settle: cfg.Baseline.Settle, LLDP: cfg.LLDPOptions()}
	if e.Actions != nil {
		opts.Actions = e.Actions()
	}
	p := &Pass{Snapshot: snap, Started: start}

	var (
		st       *State
		before   []byte
		stateErr *collectors.Error
		unlock   = func() {}
		canWrite bool
	)
	if e.StateDir != "" {
		var lerr error
		unlock, lerr = lock(e.StateDir)
		canWrite = lerr == nil
		st, before, stateErr = e.loadState(start, canWrite)
		if st != nil {
			opts.Baseline = st.Baseline
			opts.Settling = st.Settling
			opts.Maintenance = st.Maintenance
			if !e.lastWriteFailed || e.firstSeen == nil {
				opts.FirstSeen = st.FirstSeen
			}
		}
		if st == nil && stateErr == nil {
			// Asked for (by flag or default) and unusable: the baseline and
			// the `for` clocks depend on it, so the pass cannot vouch for them.
			what := "read"
			if !canWrite {
				what = "read or written"
			}
			stateErr = &collectors.Error{Collector: "state", Path: e.StateDir,
				Err: fmt.Errorf("state directory cannot be %s (%w): baseline checks are off and `for` clocks restart on every run", what, unwrapAll(readErr(e.StateDir)))}
		}
		if !canWrite && st != nil {
			p.Notes = append(p.Notes, fmt.Sprintf("state directory %s is not writable (%v): the baseline and first-seen times are read but not updated", e.StateDir, unwrapAll(lerr)))
		}
	}
	defer unlock()

	out := rules.EvaluateWith(snap, opts)
	e.firstSeen = out.FirstSeen
	p.Result, p.Pending, p.Maintenance = out.Result, out.Pending, out.Maintenance
	if st != nil && !canWrite && stateErr == nil {
		stateErr = unwritable(e.StateDir, st, out, start)
	}
	if stateErr != nil {
		p.Result.Errors = append(p.Result.Errors, *stateErr)
		p.Result.Status = rules.Worse(p.Result.Status, rules.StatusUnknown)
	}
	if st != nil {
		e.mem = cloneState(&State{Version: StateVersion, Baseline: out.Baseline, FirstSeen: out.FirstSeen,
			Settling: out.Settling, Maintenance: st.Maintenance})
	}
	if st != nil && canWrite {
		// Most passes change nothing: compared field by field, the state
		// is marshalled only when it may differ from the file's.
		changed := before == nil || !sameTimes(st.FirstSeen, out.FirstSeen) ||
			!sameBaseline(st.Baseline, out.Baseline) || !sameBaseline(st.Settling, out.Settling)
		st.Baseline, st.FirstSeen, st.Settling = out.Baseline, out.FirstSeen, out.Settling
		if changed {
			if after, err := marshalState(st); err == nil && !bytes.Equal(before, after) {
				if err := writeAtomic(StatePath(e.StateDir), after); err != nil {
					p.Notes = append(p.Notes, fmt.Sprintf("cannot write the state: %v", err))
					e.lastWriteFailed = true
					e.cache = stateCache{}
				} else {
					e.lastWriteFailed = false
					e.cache.remember(e.StateDir, st, after)
				}
			}
		}
	} else if e.StateDir != "" {
		e.lastWriteFailed = true
	}
	p.Duration = now().Sub(start)
	return p
}

// readState reads the state for a pass. A corrupt file is an error entry of
// the pass (UNKNOWN) and is moved aside when the directory is writable; it
// is then rewritten from the engine's memory of the last pass (a daemon
// loses neither its baseline nor its `for` clocks), or rebuilt empty by a
// first pass; a future version is an error entry and the baseline is off
// for the pass; a file that cannot be read gives nil and no error (Run
// reports it).
func (e *Engine) readState(now time.Time, canWrite bool) (*State, *collectors.Error) {
	st, err := ReadState(e.StateDir)
	if err == nil {
		return st, nil
	}
	var corrupt *CorruptError
	var future *FutureVersionError
	switch {
	case errors.As(err, &corrupt):
		if canWrite {
			corrupt.MovedTo = moveAside(corrupt.Path, now)
		}
		ce := &collectors.Error{Collector: "state", Path: corrupt.Path, Err: stateCause{corrupt, corrupt.reason()}}
		if corrupt.MovedTo == "" {
			ce.Err = stateCause{corrupt, corrupt.reason() + "; it could not be moved aside: fix or remove it"}
			return nil, ce
		}
		if e.mem != nil {
			to := corrupt.MovedTo
			corrupt.MovedTo = "" // its message would say "rebuilt"
			ce.Err = stateCause{corrupt, fmt.Sprintf("%s; moved aside to %s and rewritten from the last pass's state in memory (baseline and first-seen times kept)",
				corrupt.reason(), to)}
			return cloneState(e.mem), ce
		}
		return NewState(), ce
	case errors.As(err, &future):
		return nil, &collectors.Error{Collector: "state", Path: future.Path, Err: stateCause{future, future.reason()}}
	}
	return nil, nil
}

// readErr is why the state in dir cannot be read, for the message.
func readErr(dir string) error {
	_, err := ReadState(dir)
	if err == nil {
		return errors.New("unknown error")
	}
	return err
}

// unwritable is the error of a pass over a state directory that can be read
// but not written, when the pass needed to write: a group first seen
// healthy whose baseline cannot be recorded, or a pending finding whose
// `for` clock started in this pass and cannot be kept (it would restart on
// every run and stay pending for ever). nil when nothing needed writing.
func unwritable(dir string, st *State, out rules.Outcome, start time.Time) *collectors.Error {
	var lost []string
	if out.BaselineChanged {
		for _, k := range out.Baseline.Keys() {
			if _, ok := st.Baseline[k]; !ok {
				lost = append(lost, "the baseline of "+k)
			}
		}
	}
	for _, k := range out.Settling.Keys() {
		if _, ok := st.Settling[k]; !ok {
			lost = append(lost, "the settle clock of "+k)
		}
	}
	for _, f := range out.Pending {
		if f.FirstSeen.Equal(start) {
			lost = append(lost, fmt.Sprintf("the `for` clock of %s %s", f.Rule, f.Subject))
		}
	}
	if len(lost) == 0 {
		return nil
	}
	return &collectors.Error{Collector: "state", Path: dir,
		Err: errors.New("state directory is not writable: " + strings.Join(lost, ", ") + " cannot be kept")}
}

// stateCause is a state file error as the cause of a collectors.Error: the
// error's text without the package prefix (the Error says "state"); it
// unwraps to the error.
type stateCause struct {
	err  error
	text string
}

func (c stateCause) Error() string { return c.text }
func (c stateCause) Unwrap() error { return c.err }

// unwrapAll is the innermost error, for short notes.
func unwrapAll(err error) error {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err
		}
		err = u
	}
}

// bmcReaders returns the BMC readers for the configuration in force. Its
// power sections are compared with those the readers were built from only
// when the configuration is a new one (SetConfig), not on every pass. e.mu
// is held.
func (e *Engine) bmcReaders(clk clock.Clock) collectors.SourceOptions {
	if !e.readersChecked || e.Config != e.readersFor {
		e.ipmiReader(clk)
		e.redfishReader(clk)
		e.readersFor, e.readersChecked = e.Config, true
	}
	return collectors.SourceOptions{IPMI: e.ipmi, Redfish: e.redfish}
}

// ipmiReader returns the BMC reader for the configuration's power.ipmi,
// building it on the first pass and after a reload that changed it. e.mu is
// held.
func (e *Engine) ipmiReader(clk clock.Clock) *collectors.IPMIReader {
	cfg := e.Config
	if cfg == nil {
		cfg = config.Default()
	}
	c := cfg.Power.IPMI
	if e.ipmi != nil && e.ipmiCfg != nil && reflect.DeepEqual(*e.ipmiCfg, c) {
		return e.ipmi
	}
	e.ipmiCfg = &c
	e.ipmi = collectors.NewIPMIReader(cfg.IPMIOptions(), clk)
	return e.ipmi
}

// redfishReader returns the Redfish reader for the configuration's
// power.redfish (nil without an endpoint), building it on the first pass
// and after a reload that changed it. e.mu is held.
func (e *Engine) redfishReader(clk clock.Clock) *collectors.RedfishReader {
	cfg := e.Config
	if cfg == nil {
		cfg = config.Default()
	}
	c := cfg.Power.Redfish
	if e.redfishCfg != nil && reflect.DeepEqual(*e.redfishCfg, c) {
		return e.redfish
	}
	e.redfishCfg, e.redfish = &c, nil
	if c.Endpoint != "" {
		e.redfish = collectors.NewRedfishReader(cfg.RedfishOptions(), clk)
	}
	return e.redfish
}
