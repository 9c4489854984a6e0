package actions

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"path"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/redwatch/redwatch/alerts"
	"github.com/redwatch/redwatch/bonding"
	"github.com/redwatch/redwatch/internal/clock"
	"github.com/redwatch/redwatch/internal/config"
	"github.com/redwatch/redwatch/internal/engine"
	"github.com/redwatch/redwatch/internal/hostfs"
	"github.com/redwatch/redwatch/rules"
)

// EventRule is the alertname of the notifications the re-enslave policy
// sends about itself (alerts.Event): info when a member was added back,
// warning when adding it failed or the policy gave up on it.
const EventRule = "action_reenslave"

// Where a member is declared (Request.ExpectedBy).
const (
	ByConfig   = "config"
	ByBaseline = "baseline"
)

// Options build a Policy.
type Options struct {
	// Roots are the host's (or, in tests, a tree's) roots.
	Roots hostfs.Roots
	// Config is the configuration: actions.reenslave and expect.bonds.
	Config *config.Config
	// StateDir holds the baseline and maintenance windows the policy reads
	// (engine.ReadState) and its own state, actions/reenslave.json; ""
	// keeps its state in memory and has no baseline.
	StateDir string
	// Clock is the clock; nil means the wall clock.
	Clock clock.Clock
	// Logger receives one line per attempt; nil means slog.Default().
	Logger *slog.Logger
	// Notify sends an event through the alert channels; nil sends none.
	Notify func(alerts.Event)
	// Changed is called (from the policy's goroutine) when its findings
	// changed, so that the daemon runs a pass that shows them; may be nil.
	Changed func()
	// Links changes the interfaces; nil means NetlinkLinks.
	Links Links
	// Do performs one re-enslave; nil means Reenslave. Tests replace it
	// with a fake that edits a fixture tree as the kernel would.
	Do func(context.Context, Request) Result
}

// Policy decides when the daemon re-enslaves a bond member: a member
// declared in the configuration (expect.bonds[].members) or the baseline
// that is not in its bond, of a bond some actions.reenslave entry matches,
// is added back by Reenslave unless a maintenance window covers it, it is
// cooling down from the last attempt (cooldown, doubled after each attempt
// within the hour), or it has used its max_per_hour attempts — then it is
// given up (reenslave_gave_up) until it is a member again, so it never
// flaps. Each round reads the host afresh; rounds run on Kick (after each
// pass) and when a cooldown ends. It is safe for concurrent use.
type Policy struct {
	o     Options
	clock clock.Clock
	log   *slog.Logger
	kick  chan struct{}

	mu      sync.Mutex
	cfg     *config.Config
	state   State
	metrics metrics
	nextAt  time.Time // the earliest cooldown end, zero when none
	skipped map[string]string
}

// NewPolicy builds the policy and loads its state from StateDir; a state
// file that cannot be read is logged and the policy starts afresh.
func NewPolicy(o Options) *Policy {
	p := &Policy{o: o, clock: o.Clock, log: o.Logger, kick: make(chan struct{}, 1), cfg: o.Config,
		metrics: newMetrics(), skipped: map[string]string{}}
	if p.clock == nil {
		p.clock = clock.Real{}
	}
	if p.log == nil {
		p.log = slog.Default()
	}
	if p.cfg == nil {
		p.cfg = config.Default()
	}
	if o.Links == nil {
		p.o.Links = NetlinkLinks{}
	}
	if o.Do == nil {
		p.o.Do = Reenslave
	}
	st, err := loadState(o.StateDir)
	if err != nil {
		p.log.Error("reenslave: state not read; starting afresh", "err", err)
	}
	p.state = st
	for k, m := range st.Members {
		if m.GaveUp {
			bond, iface := splitKey(k)
			p.metrics.gaveUp(bond, iface, true)
		}
	}
	return p
}

// Enabled reports whether any bond may be re-enslaved under c.
func Enabled(c *config.Config) bool { return c != nil && len(c.Actions.Reenslave) > 0 }

// SetConfig replaces the configuration for the next rounds (a reload).
func (p *Policy) SetConfig(c *config.Config) {
	p.mu.Lock()
	p.cfg = c
	p.mu.Unlock()
	p.Kick()
}

// Kick asks for a round; it never blocks.
func (p *Policy) Kick() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// Run runs rounds on Kick and when a cooldown ends, until ctx ends.
func (p *Policy) Run(ctx context.Context) error {
	for {
		p.mu.Lock()
		next := p.nextAt
		p.mu.Unlock()
		var timer clock.Timer
		var tc <-chan time.Time
		if !next.IsZero() {
			timer = p.clock.NewTimer(max(next.Sub(p.clock.Now()), time.Millisecond))
			tc = timer.C()
		}
		select {
		case <-ctx.Done():
			if timer != nil {
				timer.Stop()
			}
			return nil
		case <-p.kick:
		case <-tc:
		}
		if timer != nil {
			timer.Stop()
		}
		p.Check(ctx)
	}
}

// Findings are reenslave_gave_up for every member given up, for the pass
// (engine.Engine.Actions).
func (p *Policy) Findings() []rules.Finding {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []rules.Finding
	for _, k := range slices.Sorted(maps.Keys(p.state.Members)) {
		m := p.state.Members[k]
		if !m.GaveUp {
			continue
		}
		bond, iface := splitKey(k)
		out = append(out, rules.Finding{Rule: rules.ReenslaveGaveUp, Subject: k,
			Message: fmt.Sprintf("%s: gave up re-adding %s: it dropped out again after %d attempts within the hour (since %s)",
				bond, iface, len(m.Attempts), m.GaveUpAt.UTC().Format(time.RFC3339)),
			Facts: map[string]string{"attempts": strconv.Itoa(len(m.Attempts)), "gave_up_at": m.GaveUpAt.UTC().Format(time.RFC3339)}})
	}
	return out
}

// Check runs one round over every bond an actions.reenslave entry matches.
func (p *Policy) Check(ctx context.Context) {
	p.mu.Lock()
	cfg := p.cfg
	p.mu.Unlock()
	now := p.clock.Now()
	var baseline rules.Baseline
	var windows []rules.Maintenance
	if p.o.StateDir != "" && Enabled(cfg) {
		if st, err := engine.ReadState(p.o.StateDir); err == nil {
			baseline, windows = st.Baseline, rules.ActiveWindows(st.Maintenance, now)
		} else {
			p.log.Warn("reenslave: state not read: baseline members are not known this round", "err", err)
		}
	}
	seen := map[string]bool{}
	// A member's history (its attempts, its cooldown, given up) is
	// forgotten only when a round saw its bond without it among the
	// declared members, or saw the bonds without its bond: a bond that
	// could not be read this round, or bonds that could not be listed,
	// keep theirs, or a read failing mid-change would reset the cap.
	unread := map[string]bool{}
	listed := true
	changed := false
	if Enabled(cfg) {
		names, errs := bonding.Names(p.o.Roots)
		if len(errs) > 0 {
			listed = false
			p.log.Debug("reenslave: bonds not listed", "err", errors.Join(errs...))
		}
		for _, name := range names {
			rule := cfg.ReenslaveFor(name)
			if rule == nil {
				continue
			}
			b, err := bonding.ReadBond(p.o.Roots, name)
			if err != nil {
				unread[name] = true
				p.log.Debug("reenslave: bond not read", "bond", name, "err", err)
				continue
			}
			for _, e := range Declared(cfg, baseline, name) {
				key := name + "/" + e.Iface
				seen[key] = true
				if slices.ContainsFunc(b.Slaves, func(s bonding.Slave) bool { return s.Name == e.Iface }) {
					changed = p.present(key) || changed
					continue
				}
				changed = p.missing(ctx, rule, e, key, windows, now) || changed
			}
		}
	}
	p.mu.Lock()
	for k, m := range p.state.Members {
		if bond, _ := splitKey(k); !seen[k] && listed && !unread[bond] {
			delete(p.state.Members, k)
			if m.GaveUp {
				bond, iface := splitKey(k)
				p.metrics.gaveUp(bond, iface, false)
				changed = true
			}
		}
	}
	p.nextAt = time.Time{}
	for _, m := range p.state.Members {
		if !m.GaveUp && m.NextAt.After(now) && (p.nextAt.IsZero() || m.NextAt.Before(p.nextAt)) {
			p.nextAt = m.NextAt
		}
	}
	p.save()
	p.mu.Unlock()
	if changed && p.o.Changed != nil {
		p.o.Changed()
	}
}

// Member is one declared member of a bond.
type Member struct {
	Bond, Iface string
	// By is where it is declared: ByConfig or ByBaseline.
	By string
}

// Declared are the members declared for bond: expect.bonds[].members of
// the first matching entry, then the baseline's, each once. Nothing else
// is ever a candidate for re-enslaving: no guessing.
func Declared(cfg *config.Config, baseline rules.Baseline, bond string) []Member {
	var out []Member
	add := func(iface, by string) {
		if !slices.ContainsFunc(out, func(m Member) bool { return m.Iface == iface }) {
			out = append(out, Member{bond, iface, by})
		}
	}
	for _, x := range cfg.Expectations().Bonds {
		if ok, _ := path.Match(x.Name, bond); ok {
			for _, m := range x.Members {
				add(m, ByConfig)
			}
			break
		}
	}
	if g, ok := baseline[rules.BaselineKey(rules.KindBond, bond)]; ok {
		for _, m := range g.Members {
			add(m, ByBaseline)
		}
	}
	return out
}

// present notes that key is a member; it reports whether a given-up
// member came back (its finding goes).
func (p *Policy) present(key string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	m, ok := p.state.Members[key]
	if !ok {
		return false
	}
	delete(p.skipped, key)
	if m.GaveUp {
		bond, iface := splitKey(key)
		p.log.Info("reenslave: member is back; the action resumes for it", "bond", bond, "iface", iface)
		p.metrics.gaveUp(bond, iface, false)
		m.GaveUp, m.GaveUpAt = false, time.Time{}
		m.Attempts = nil
		p.state.Members[key] = m
		return true
	}
	return false
}

// missing decides about one member that is not in its bond and acts; it
// reports whether the policy's findings changed.
func (p *Policy) missing(ctx context.Context, rule *config.Reenslave, e Member, key string, windows []rules.Maintenance, now time.Time) bool {
	p.mu.Lock()
	m := p.state.Members[key]
	m.Attempts = slices.DeleteFunc(m.Attempts, func(t time.Time) bool { return now.Sub(t) >= time.Hour })
	p.state.Members[key] = m
	p.mu.Unlock()
	if m.GaveUp {
		return false
	}
	for _, rid := range []string{"baseline_member_missing", "expect_member_missing", rules.ReenslaveGaveUp} {
		if w := rules.Silencing(windows, rules.Finding{Rule: rid, Subject: key}); w != nil {
			p.skip(key, "maintenance", "reenslave: not during maintenance", "bond", e.Bond, "iface", e.Iface, "window", w.String())
			return false
		}
	}
	if now.Before(m.NextAt) {
		return false
	}
	if len(m.Attempts) >= rule.MaxPerHour {
		p.mu.Lock()
		m.GaveUp, m.GaveUpAt = true, now
		p.state.Members[key] = m
		p.metrics.gaveUp(e.Bond, e.Iface, true)
		p.mu.Unlock()
		msg := fmt.Sprintf("%s: %s dropped out again after %d attempts within the hour: gave up re-adding it (%s)", e.Bond, e.Iface, len(m.Attempts), rules.ReenslaveGaveUp)
		p.log.Warn("reenslave", "bond", e.Bond, "iface", e.Iface, "result", "gave_up", "attempts", len(m.Attempts), "max_per_hour", rule.MaxPerHour)
		p.notify(rules.Warning, key, msg, map[string]string{"result": "gave_up", "attempts": strconv.Itoa(len(m.Attempts))})
		return true
	}
	res := p.o.Do(ctx, Request{Roots: p.o.Roots, Bond: e.Bond, Iface: e.Iface, ExpectedBy: e.By, DryRun: rule.DryRun,
		CarrierWait: rule.CarrierWait, Links: p.o.Links, Clock: p.clock})
	p.mu.Lock()
	defer p.mu.Unlock()
	attrs := []any{"bond", e.Bond, "iface", e.Iface, "result", res.Outcome, "expected_by", e.By, "steps", res.Steps}
	switch res.Outcome {
	case Done, Failed:
		m.Attempts = append(m.Attempts, now)
		m.NextAt = now.Add(backoff(rule.Cooldown, len(m.Attempts)))
		p.metrics.attempt(e.Bond, e.Iface, res.Outcome)
		attrs = append(attrs, "method", res.Method, "attempt", len(m.Attempts), "max_per_hour", rule.MaxPerHour, "next_after", m.NextAt.UTC().Format(time.RFC3339))
		delete(p.skipped, key)
		if res.Outcome == Done {
			p.log.Info("reenslave", attrs...)
			p.notify(rules.Info, key, fmt.Sprintf("%s: %s had dropped out and was added back (attempt %d of %d this hour, %s)",
				e.Bond, e.Iface, len(m.Attempts), rule.MaxPerHour, res.Method), map[string]string{"result": Done, "method": res.Method, "attempt": strconv.Itoa(len(m.Attempts))})
		} else {
			attrs = append(attrs, "err", res.Err)
			p.log.Warn("reenslave", attrs...)
			p.notify(rules.Warning, key, res.String(), map[string]string{"result": Failed, "attempt": strconv.Itoa(len(m.Attempts))})
		}
	case DryRun:
		m.NextAt = now.Add(rule.Cooldown)
		p.metrics.attempt(e.Bond, e.Iface, DryRun)
		p.log.Info("reenslave", append(attrs, "would", res.String())...)
	case Refused:
		m.NextAt = now.Add(rule.Cooldown)
		p.metrics.refused(e.Bond, e.Iface, res.Reason())
		attrs = append(attrs, "reason", res.Reason(), "detail", res.Refusal.Detail)
		// Logged once per reason, not on every round.
		if p.skipped[key] != res.Reason() {
			p.skipped[key] = res.Reason()
			p.log.Info("reenslave", attrs...)
		} else {
			p.log.Debug("reenslave", attrs...)
		}
	}
	p.state.Members[key] = m
	return false
}

// backoff is the wait after the n-th attempt within the hour: cooldown,
// then doubled each time.
func backoff(cooldown time.Duration, n int) time.Duration {
	d := cooldown
	for i := 1; i < n && d < time.Hour; i++ {
		d *= 2
	}
	return d
}

// skip logs why a member is left alone, once per reason.
func (p *Policy) skip(key, why, msg string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.skipped[key] == why {
		return
	}
	p.skipped[key] = why
	p.log.Info(msg, args...)
}

func (p *Policy) notify(sev rules.Severity, subject, msg string, facts map[string]string) {
	if p.o.Notify != nil {
		p.o.Notify(alerts.Event{Rule: EventRule, Severity: sev, Subject: subject, Message: msg, Facts: facts})
	}
}
