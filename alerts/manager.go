// Package alerts turns the findings of each pass into alerts with a
// lifecycle and delivers them durably through the configured channels.
//
// Lifecycle: a finding the engine reports (its rule's `for` has already held)
// is a firing alert, identified by Fingerprint(host, rule, subject). Each
// channel whose routing matches it (minimum severity, optional rule and
// subject globs) gets one firing notification, then a repeat only every
// repeat_interval (or sooner when the severity changes). When the finding is
// gone the alert resolves and every channel that was told it fired gets a
// resolved notification. A finding in a maintenance window stays an alert,
// marked Maintenance, but notifies nobody. The alert state is kept in
// <state>/alerts/state.json, so a restart neither re-pages nor forgets.
//
// Delivery: every notification is written to an on-disk outbox (see
// outbox.go) before the first attempt; each channel has one goroutine that
// delivers its queue in order, as messages: the run at the head of the queue
// with the same group_by labels (by default the host, so one pass is one
// message), one notification per alert, after group_wait (see
// notify.Group). It retries a message with exponential backoff and jitter
// until the receiver accepts it, the error is permanent, or a notification in
// it is older than max_age. Delivery is at-least-once; every payload carries
// the fingerprints and the notification IDs so receivers can drop
// duplicates. Where each alert's last firing notification is (delivered,
// queued, failed) is kept per channel for the status page (Alerts, Channels).
//
// Use:
//
//	m, err := alerts.NewManager(cfg, stateDir, host, time.Now, logger)
//	go m.Run(ctx)           // delivers in the background
//	m.Process(ctx, result)  // after each pass; never blocks
//	reg.MustRegister(m)     // Prometheus metrics
//	m.Close()
package alerts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redwatch/redwatch/alerts/notify"
	"github.com/redwatch/redwatch/collectors"
	"github.com/redwatch/redwatch/internal/clock"
	"github.com/redwatch/redwatch/internal/safefile"
	"github.com/redwatch/redwatch/rules"
)

// maxInbox is how many passes may wait for the background loop; beyond it the
// oldest waiting pass is dropped (each pass is a full picture, so only a flap
// shorter than the backlog is lost).
const maxInbox = 16

// Option changes how a Manager is built.
type Option func(*options)

type options struct {
	random         func() float64
	notifiers      map[string]notify.Notifier
	attemptTimeout time.Duration
}

// WithRandom sets the jitter source, a function returning [0, 1).
func WithRandom(random func() float64) Option {
	return func(o *options) { o.random = random }
}

// WithNotifier replaces the notifier built from the configuration of the
// named channel (the channel must exist in the configuration).
func WithNotifier(channel string, n notify.Notifier) Option {
	return func(o *options) { o.notifiers[channel] = n }
}

// WithAttemptTimeout caps one delivery attempt (default DefaultAttemptTimeout).
func WithAttemptTimeout(d time.Duration) Option {
	return func(o *options) { o.attemptTimeout = d }
}

// Alert is the current state of one alert, for the status page and /health.
type Alert struct {
	Fingerprint string         `json:"fingerprint"`
	Rule        string         `json:"rule"`
	Severity    rules.Severity `json:"severity"`
	Subject     string         `json:"subject"`
	Message     string         `json:"message"`
	StartsAt    time.Time      `json:"starts_at"`
	// Maintenance says the alert is inside a maintenance window: it is shown
	// but notifies nobody.
	Maintenance bool `json:"maintenance"`
	// Notified lists the channels that accepted a firing notification of it.
	Notified []string `json:"notified"`
	// Deliveries say, per channel the alert is routed to, where its last
	// firing notification is: delivered, queued (with the channel's last
	// error), or failed (dropped undelivered, and why).
	Deliveries []Delivery `json:"deliveries"`
	// Stale is set while the alert's finding comes from facts its source
	// could not read in the last pass (kept from an earlier one): the alert
	// stays firing, and nothing is sent for it, until the source reads again.
	Stale *collectors.Stale `json:"stale,omitempty"`
}

// Delivery states.
const (
	Delivered = "delivered"
	Queued    = "queued"
	Failed    = "failed"
)

// Delivery is where an alert's last firing notification to one channel is.
type Delivery struct {
	Channel string `json:"channel"`
	// State is delivered, queued or failed.
	State string `json:"state"`
	// Queued is when the last firing notification was queued.
	Queued time.Time `json:"queued"`
	// Delivered is when the channel last accepted a firing notification of
	// the alert (zero: never); with State queued it is an earlier one.
	Delivered time.Time `json:"delivered,omitzero"`
	// Error is why it failed, or (queued) the channel's last delivery error
	// after Attempts failed attempts at the message now at its head.
	Error    string `json:"error,omitempty"`
	Attempts int    `json:"attempts,omitempty"`
}

// Manager keeps the alert state and delivers notifications. It is safe for
// concurrent use.
type Manager struct {
	cfg      Config
	host     string
	stateDir string
	clock    clock.Clock
	random   func() float64
	log      *slog.Logger
	backoff  notify.Backoff
	attempt  time.Duration
	metrics  *metrics

	channels []*channel

	mu     sync.Mutex // guards alerts and seq
	alerts map[string]*alertRecord
	seq    uint64
	snap   atomic.Pointer[[]Alert] // what Alerts and the metrics read

	inMu   sync.Mutex
	inbox  []passInput
	inWake chan struct{}

	runMu   sync.Mutex
	running bool
	closed  bool
	cancel  context.CancelFunc
	done    chan struct{}
}

// alertRecord is one alert as persisted in state.json.
type alertRecord struct {
	Fingerprint string            `json:"fingerprint"`
	Rule        string            `json:"rule"`
	Severity    rules.Severity    `json:"severity"`
	Subject     string            `json:"subject"`
	Message     string            `json:"message"`
	Remediation string            `json:"remediation,omitempty"`
	Facts       map[string]string `json:"facts,omitempty"`
	StartsAt    time.Time         `json:"starts_at"`
	Maintenance bool              `json:"maintenance,omitempty"`
	// Stale is the finding's stale mark of the last pass; not persisted.
	Stale *collectors.Stale `json:"-"`
	// Channels records, per channel, the last firing notification queued.
	Channels map[string]*mark `json:"channels,omitempty"`
}

type mark struct {
	LastSent time.Time      `json:"last_sent"`
	Severity rules.Severity `json:"severity"`
	// ID is the notification ID of that last firing notification.
	ID string `json:"id,omitempty"`
	// Delivered is when the channel last accepted a firing notification of
	// the alert (zero: never).
	Delivered time.Time `json:"delivered,omitzero"`
	// Failed and FailedAt say that notification ID was dropped undelivered,
	// why, and when.
	Failed   string    `json:"failed,omitempty"`
	FailedAt time.Time `json:"failed_at,omitzero"`
}

type stateFile struct {
	Version int            `json:"version"`
	Alerts  []*alertRecord `json:"alerts"`
}

// passInput is what Process keeps of a pass: a private copy.
type passInput struct {
	at       time.Time
	findings []rules.Finding
	groups   map[string]rules.Group
}

// queued is one notification to put in one channel's outbox.
type queued struct {
	ch *channel
	n  notify.Notification
}

// NewManager validates cfg, builds each channel's notifier, and loads the
// alert state and the queued notifications from stateDir. clk gives the
// time and the timers group_wait and the retry backoff wait with (nil is
// the wall clock; tests pass a fake one so that no test sleeps); logger may
// be nil.
func NewManager(cfg Config, stateDir, host string, clk clock.Clock, logger *slog.Logger, opts ...Option) (*Manager, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if stateDir == "" {
		return nil, errors.New("alerts: no state directory")
	}
	if clk == nil {
		clk = clock.Real{}
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	o := options{notifiers: map[string]notify.Notifier{}, attemptTimeout: DefaultAttemptTimeout}
	for _, opt := range opts {
		opt(&o)
	}
	cfg = cfg.withDefaults()
	m := &Manager{
		cfg:      cfg,
		host:     host,
		stateDir: stateDir,
		clock:    clk,
		random:   o.random,
		log:      logger,
		backoff:  cfg.backoff(),
		attempt:  o.attemptTimeout,
		alerts:   map[string]*alertRecord{},
		inWake:   make(chan struct{}, 1),
	}
	// Whoever can write to the state directory could plant links or
	// entries in the outbox: one that others can write to is refused.
	if err := safefile.MkdirChecked(stateDir, 0o750); err != nil {
		return nil, fmt.Errorf("alerts: state directory: %w", err)
	}
	if err := safefile.MkdirChecked(filepath.Join(stateDir, "alerts"), 0o700); err != nil {
		return nil, fmt.Errorf("alerts: state directory: %w", err)
	}
	for name := range o.notifiers {
		if !slices.ContainsFunc(cfg.Channels, func(c ChannelConfig) bool { return c.Name == name }) {
			return nil, fmt.Errorf("alerts: WithNotifier: no channel %q", name)
		}
	}
	var maxSeq uint64
	corrupt := map[string]int{}
	for i := range cfg.Channels {
		cc := cfg.Channels[i]
		n := o.notifiers[cc.Name]
		if n == nil {
			var err error
			if n, err = BuildNotifier(cc, clk, logger); err != nil {
				return nil, err
			}
		}
		ch, err := newChannel(cc, n, stateDir, cfg.RepeatInterval)
		if err != nil {
			return nil, err
		}
		ch.groupBy, ch.groupWait = cfg.groupBy(&cc), cfg.groupWait(&cc)
		entries, bad, err := ch.box.load()
		if err != nil {
			return nil, err
		}
		for _, b := range bad {
			logger.Error("alerts: unreadable outbox entry set aside", "channel", cc.Name, "entry", b)
		}
		corrupt[cc.Name] = len(bad)
		ch.queue = entries
		for _, e := range entries {
			ch.pending[pendingKey(e.n.Fingerprint, e.n.Status)]++
			maxSeq = max(maxSeq, e.seq)
		}
		if len(entries) > 0 {
			logger.Info("alerts: resuming queued notifications", "channel", cc.Name, "queued", len(entries))
		}
		m.channels = append(m.channels, ch)
	}
	m.seq = maxSeq
	m.metrics = newMetrics(m)
	for _, ch := range m.channels {
		m.metrics.droppedAdd(ch.name, "corrupt", float64(corrupt[ch.name]))
	}
	if err := m.loadState(); err != nil {
		return nil, err
	}
	m.publish()
	return m, nil
}

// Process hands one evaluated pass to the manager. It copies what it needs
// and returns at once: evaluation, the outbox writes and delivery happen in
// Run. ctx is unused and accepted for symmetry with the engine.
func (m *Manager) Process(_ context.Context, res rules.Result) {
	in := passInput{at: m.clock.Now(), findings: slices.Clone(res.Findings), groups: map[string]rules.Group{}}
	for _, g := range res.Groups {
		if _, dup := in.groups[g.Name]; !dup {
			g.Members = slices.Clone(g.Members)
			in.groups[g.Name] = g
		}
	}
	m.inMu.Lock()
	if len(m.inbox) >= maxInbox {
		m.inbox = m.inbox[1:]
		m.log.Warn("alerts: passes arrive faster than they are processed; dropped the oldest waiting pass")
	}
	m.inbox = append(m.inbox, in)
	m.inMu.Unlock()
	select {
	case m.inWake <- struct{}{}:
	default:
	}
}

// Run evaluates the passes handed to Process and delivers notifications until
// ctx is done or Close is called. It returns nil when stopped; it is an error
// to call it twice. Notifications still queued stay in the outbox and are
// delivered by the next Manager on the same state directory.
func (m *Manager) Run(ctx context.Context) error {
	m.runMu.Lock()
	if m.running || m.closed {
		m.runMu.Unlock()
		return errors.New("alerts: Run called twice or after Close")
	}
	ctx, cancel := context.WithCancel(ctx)
	m.running, m.cancel, m.done = true, cancel, make(chan struct{})
	done := m.done
	m.runMu.Unlock()
	defer close(done)
	defer cancel()

	var wg sync.WaitGroup
	for _, ch := range m.channels {
		wg.Go(func() { m.dispatch(ctx, ch) })
	}
	m.drainInbox()
	for {
		select {
		case <-ctx.Done():
			m.drainInbox()
			wg.Wait()
			return nil
		case <-m.inWake:
			m.drainInbox()
		}
	}
}

// Close stops Run, waits for it, and persists any pass still waiting. Queued
// notifications stay in the outbox. It is safe to call more than once.
func (m *Manager) Close() error {
	m.runMu.Lock()
	m.closed = true
	running, cancel, done := m.running, m.cancel, m.done
	m.runMu.Unlock()
	if running {
		cancel()
		<-done
		return nil
	}
	m.drainInbox()
	return nil
}

// Alerts returns the alerts now active (firing or in maintenance), sorted by
// rule and subject, with where each one's notifications are. It never waits
// for disk I/O.
func (m *Manager) Alerts() []Alert {
	p := m.snap.Load()
	if p == nil {
		return []Alert{}
	}
	out := make([]Alert, len(*p))
	for i, a := range *p {
		a.Notified = slices.Clone(a.Notified)
		a.Deliveries = slices.Clone(a.Deliveries)
		for j := range a.Deliveries {
			d := &a.Deliveries[j]
			if ch := m.channel(d.Channel); ch != nil && ch.hasPending(a.Fingerprint, notify.Firing) {
				// Queued now, whatever the snapshot says: with the live error.
				st := ch.status()
				d.State, d.Error, d.Attempts = Queued, st.LastError, st.Attempts
			}
		}
		out[i] = a
	}
	return out
}

// publish refreshes the snapshot Alerts and the metrics read. m.mu is held
// (or the Manager is not shared yet).
func (m *Manager) publish() {
	out := make([]Alert, 0, len(m.alerts))
	for _, r := range m.alerts {
		a := Alert{Fingerprint: r.Fingerprint, Rule: r.Rule, Severity: r.Severity, Subject: r.Subject,
			Message: r.Message, StartsAt: r.StartsAt, Maintenance: r.Maintenance, Notified: []string{}, Deliveries: []Delivery{}, Stale: r.Stale}
		for name, mk := range r.Channels {
			d := Delivery{Channel: name, State: Queued, Queued: mk.LastSent, Delivered: mk.Delivered}
			switch {
			case mk.Failed != "":
				d.State, d.Error = Failed, mk.Failed
			case !mk.Delivered.IsZero() && !mk.Delivered.Before(mk.LastSent):
				d.State = Delivered
			}
			if !mk.Delivered.IsZero() {
				a.Notified = append(a.Notified, name)
			}
			a.Deliveries = append(a.Deliveries, d)
		}
		sort.Strings(a.Notified)
		sort.Slice(a.Deliveries, func(i, j int) bool { return a.Deliveries[i].Channel < a.Deliveries[j].Channel })
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Rule != out[j].Rule {
			return out[i].Rule < out[j].Rule
		}
		return out[i].Subject < out[j].Subject
	})
	m.snap.Store(&out)
}

// settled records on each alert's mark that its firing notification in batch
// was delivered to ch (cause nil) or dropped (why), saves the state and
// republishes. Entries that are not the alert's last firing notification
// for ch (an older one, a resolution) change nothing.
func (m *Manager) settled(ch *channel, batch []entry, why string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now, changed := m.clock.Now(), false
	for _, e := range batch {
		r := m.alerts[e.n.Fingerprint]
		if r == nil || e.n.Status != notify.Firing {
			continue
		}
		mk := r.Channels[ch.name]
		if mk == nil {
			continue
		}
		switch {
		case why == "": // any firing notification accepted counts as told
			mk.Delivered = now
		case mk.ID == "" || mk.ID == e.n.ID: // only the last one failing is news
			mk.Failed, mk.FailedAt = why, now
		default:
			continue
		}
		changed = true
	}
	if !changed {
		return
	}
	if err := m.saveState(); err != nil {
		m.log.Error("alerts: alert state not saved", "err", err)
	}
	m.publish()
}

// drainInbox evaluates every waiting pass in order and persists the result.
func (m *Manager) drainInbox() {
	for {
		m.inMu.Lock()
		if len(m.inbox) == 0 {
			m.inMu.Unlock()
			return
		}
		in := m.inbox[0]
		m.inbox = m.inbox[1:]
		m.inMu.Unlock()
		m.handle(in)
	}
}

// handle evaluates one pass, writes its notifications to the outboxes, then
// saves the alert state: outbox first, so that a crash in between can only
// repeat a notification, never lose one.
func (m *Manager) handle(in passInput) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out, changed := m.apply(in)
	m.enqueue(out)
	if changed || len(out) > 0 {
		if err := m.saveState(); err != nil {
			m.log.Error("alerts: alert state not saved", "err", err)
		}
	}
	m.publish()
}

// enqueue writes notifications to their channels' outboxes, syncs each
// outbox once, then hands them to the dispatchers. m.mu is held.
func (m *Manager) enqueue(out []queued) {
	var written []queued
	var entries []entry
	for _, q := range out {
		e, err := m.write(q)
		if err != nil {
			m.unsent(q, err)
			continue
		}
		written, entries = append(written, q), append(entries, e)
	}
	// One directory fsync per channel for the whole pass, then hand the
	// entries to the dispatchers.
	synced := map[*channel]error{}
	for _, q := range written {
		if _, done := synced[q.ch]; !done {
			synced[q.ch] = q.ch.box.sync()
		}
	}
	ready := map[*channel][]entry{}
	for i, q := range written {
		if err := synced[q.ch]; err != nil {
			q.ch.reserved--
			m.unsent(q, err)
			_ = q.ch.box.remove(entries[i])
			continue
		}
		ready[q.ch] = append(ready[q.ch], entries[i])
	}
	for _, ch := range m.channels {
		if len(ready[ch]) > 0 {
			ch.push(ready[ch]...)
		}
	}
}

// Event is something redwatch did on the host (an action such as
// re-enslaving a bond member), told through the alert channels as a
// notification of its own. It is not a finding: it has no lifecycle (it
// never resolves, repeats or enters the alert state).
type Event struct {
	// Rule names the event (the notification's alertname), e.g.
	// "action_reenslave".
	Rule     string
	Severity rules.Severity
	// Subject is what it was done to, e.g. "bond0/eth1".
	Subject string
	Message string
	Facts   map[string]string
}

// Announce queues one firing notification for ev on every channel whose
// routing (min_severity, rules, subjects) takes it, through the outbox
// like any notification; it does not wait for delivery.
func (m *Manager) Announce(ev Event) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.clock.Now()
	f := rules.Finding{Rule: ev.Rule, Severity: ev.Severity, Subject: ev.Subject, Message: ev.Message}
	var out []queued
	for _, ch := range m.channels {
		if !ch.routes(f) {
			continue
		}
		out = append(out, queued{ch, notify.Notification{
			ID: notify.NewID(), Fingerprint: Fingerprint(m.host, ev.Rule, ev.Subject), Status: notify.Firing, Host: m.host,
			Rule: ev.Rule, Severity: ev.Severity, Subject: ev.Subject, Message: ev.Message, Facts: ev.Facts,
			StartsAt: now, CreatedAt: now, ExternalURL: m.cfg.ExternalURL,
		}})
	}
	m.enqueue(out)
	m.publish()
}

// unsent logs a notification that could not be queued and forgets that it
// was sent, so that the next pass tries again. m.mu is held.
func (m *Manager) unsent(q queued, err error) {
	m.log.Error("alerts: notification not queued", "channel", q.ch.name, "fingerprint", q.n.Fingerprint,
		"status", q.n.Status, "err", err)
	if r := m.alerts[q.n.Fingerprint]; r != nil && q.n.Status == notify.Firing {
		delete(r.Channels, q.ch.name)
	}
}

// apply is the lifecycle: it updates m.alerts from one pass and returns the
// notifications to queue. m.mu is held.
func (m *Manager) apply(in passInput) (out []queued, changed bool) {
	now := in.at
	current := map[string]rules.Finding{}
	for _, f := range in.findings {
		fp := Fingerprint(m.host, f.Rule, f.Subject)
		if old, ok := current[fp]; ok && old.Severity >= f.Severity {
			continue
		}
		current[fp] = f
	}
	fps := make([]string, 0, len(current))
	for fp := range current {
		fps = append(fps, fp)
	}
	sort.Slice(fps, func(i, j int) bool {
		a, b := current[fps[i]], current[fps[j]]
		if a.Rule != b.Rule {
			return a.Rule < b.Rule
		}
		return a.Subject < b.Subject
	})
	for _, fp := range fps {
		f := current[fp]
		r := m.alerts[fp]
		if r == nil {
			r = &alertRecord{Fingerprint: fp, StartsAt: now, Channels: map[string]*mark{}}
			m.alerts[fp] = r
			changed = true
		}
		if r.Severity != f.Severity || r.Maintenance != f.Maintenance || r.Message != f.Message {
			changed = true
		}
		r.Rule, r.Subject, r.Severity, r.Message, r.Remediation = f.Rule, f.Subject, f.Severity, f.Message, f.Remediation
		r.Facts, r.Maintenance, r.Stale = f.Facts, f.Maintenance, f.Stale
		if r.Channels == nil {
			r.Channels = map[string]*mark{}
		}
		for name := range r.Channels {
			if m.channel(name) == nil {
				delete(r.Channels, name)
			}
		}
		if f.Maintenance {
			continue
		}
		for _, ch := range m.channels {
			mk := r.Channels[ch.name]
			if !ch.routes(f) {
				if mk != nil { // no longer for this channel: close it there
					if ch.cfg.sendResolved() {
						out = append(out, queued{ch, m.notification(r, notify.Resolved, now, in.groups, false)})
					}
					delete(r.Channels, ch.name)
				}
				continue
			}
			due := mk == nil || mk.Severity != f.Severity || now.Sub(mk.LastSent) >= ch.repeat
			if !due {
				continue
			}
			repeat := mk != nil && mk.Severity == f.Severity
			if repeat && ch.hasPending(fp, notify.Firing) {
				continue // the last one is not delivered yet; a reminder would only pile up
			}
			n := m.notification(r, notify.Firing, now, in.groups, repeat)
			out = append(out, queued{ch, n})
			if mk == nil {
				mk = &mark{}
				r.Channels[ch.name] = mk
			}
			mk.LastSent, mk.Severity, mk.ID, mk.Failed, mk.FailedAt = now, f.Severity, n.ID, "", time.Time{}
		}
	}
	for fp, r := range m.alerts {
		if _, ok := current[fp]; ok {
			continue
		}
		for _, ch := range m.channels {
			if r.Channels[ch.name] != nil && ch.cfg.sendResolved() {
				out = append(out, queued{ch, m.notification(r, notify.Resolved, now, in.groups, false)})
			}
		}
		delete(m.alerts, fp)
		changed = true
	}
	return out, changed
}

// notification builds one notification for r.
func (m *Manager) notification(r *alertRecord, status notify.Status, now time.Time, groups map[string]rules.Group, repeat bool) notify.Notification {
	n := notify.Notification{
		ID: notify.NewID(), Fingerprint: r.Fingerprint, Status: status, Host: m.host,
		Rule: r.Rule, Severity: r.Severity, Subject: r.Subject, Message: r.Message, Remediation: r.Remediation,
		Facts: r.Facts, StartsAt: r.StartsAt, CreatedAt: now, Repeat: repeat, Maintenance: r.Maintenance,
		ExternalURL: m.cfg.ExternalURL,
	}
	if status == notify.Resolved {
		n.EndsAt = now
	}
	name, _, _ := strings.Cut(r.Subject, "/")
	if g, ok := groups[name]; ok {
		n.Group = g.Kind + " " + g.Name
		for _, mem := range g.Members {
			n.Members = append(n.Members, notify.Member{Name: mem.Name, State: mem.State})
		}
	}
	return n
}

// write puts q in its channel's outbox (not yet visible to the dispatcher).
// m.mu is held.
func (m *Manager) write(q queued) (entry, error) {
	ch := q.ch
	if ch.depth()+ch.reserved >= m.cfg.MaxQueue {
		m.metrics.droppedAdd(ch.name, "queue_full", 1)
		return entry{}, fmt.Errorf("alerts: channel %s: outbox full (%d queued)", ch.name, m.cfg.MaxQueue)
	}
	m.seq++
	e, err := ch.box.put(m.seq, q.n)
	if err != nil {
		m.metrics.droppedAdd(ch.name, "write_error", 1)
		return entry{}, err
	}
	ch.reserved++
	return e, nil
}

func (m *Manager) channel(name string) *channel {
	for _, ch := range m.channels {
		if ch.name == name {
			return ch
		}
	}
	return nil
}

// maxStateFile bounds the alert state file.
const maxStateFile = 16 << 20

func (m *Manager) statePath() string { return filepath.Join(m.stateDir, "alerts", "state.json") }

// loadState reads state.json. A file that does not decode is set aside and
// logged: the alerts it held fire again, which beats not starting.
func (m *Manager) loadState() error {
	b, err := safefile.ReadFileNoFollow(m.statePath(), maxStateFile)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("alerts: state: %w", err)
	}
	var sf stateFile
	if err := json.Unmarshal(b, &sf); err != nil || sf.Version != 1 {
		bad := m.statePath() + ".corrupt"
		_ = os.Rename(m.statePath(), bad)
		m.log.Error("alerts: alert state unreadable, set aside; active alerts will notify again", "file", bad, "err", err)
		return nil
	}
	for _, r := range sf.Alerts {
		if r != nil && r.Fingerprint != "" {
			m.alerts[r.Fingerprint] = r
		}
	}
	return nil
}

// saveState writes state.json atomically. m.mu is held.
func (m *Manager) saveState() error {
	sf := stateFile{Version: 1, Alerts: make([]*alertRecord, 0, len(m.alerts))}
	for _, r := range m.alerts {
		sf.Alerts = append(sf.Alerts, r)
	}
	sort.Slice(sf.Alerts, func(i, j int) bool { return sf.Alerts[i].Fingerprint < sf.Alerts[j].Fingerprint })
	b, err := json.MarshalIndent(sf, "", "  ")
	if err != nil {
		return fmt.Errorf("alerts: state: %w", err)
	}
	return safefile.WriteAtomic(m.statePath(), b, 0o600, true)
}

// Channels returns the delivery state of every channel, in configuration
// order. It never waits for disk I/O.
func (m *Manager) Channels() []ChannelStatus {
	out := make([]ChannelStatus, len(m.channels))
	for i, ch := range m.channels {
		out[i] = ch.status()
	}
	return out
}
