package alerts

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/redwatch/redwatch/alerts/notify"
	"github.com/redwatch/redwatch/rules"
)

// channel is one configured receiver with its routing and its queue.
type channel struct {
	cfg      ChannelConfig
	name     string
	notifier notify.Notifier
	rules    []glob
	subjects []glob
	repeat   time.Duration
	box      *outbox
	// groupBy are the labels whose values make a message; groupWait holds
	// the first notification of one to let later passes join.
	groupBy   []string
	groupWait time.Duration

	mu      sync.Mutex
	st      ChannelStatus  // live delivery status (Name, Type, Queued unset)
	queue   []entry        // in sequence order; queue[0] is being delivered
	pending map[string]int // pendingKey(fingerprint, status) -> queued count
	wake    chan struct{}
	// reserved counts entries written in the pass being handled but not yet
	// pushed; only the Manager's handle touches it (under Manager.mu).
	reserved int
}

func newChannel(cc ChannelConfig, n notify.Notifier, stateDir string, repeat time.Duration) (*channel, error) {
	ch := &channel{cfg: cc, name: cc.Name, notifier: n, repeat: repeat, pending: map[string]int{}, wake: make(chan struct{}, 1)}
	if cc.RepeatInterval > 0 {
		ch.repeat = cc.RepeatInterval
	}
	if r, ok := n.(notify.Repeater); ok && r.RepeatInterval() > 0 && r.RepeatInterval() < ch.repeat {
		ch.repeat = r.RepeatInterval()
	}
	for _, p := range cc.Rules {
		g, err := compileGlob(p)
		if err != nil {
			return nil, fmt.Errorf("alerts: channel %s: rule glob %q: %w", cc.Name, p, err)
		}
		ch.rules = append(ch.rules, g)
	}
	for _, p := range cc.Subjects {
		g, err := compileGlob(p)
		if err != nil {
			return nil, fmt.Errorf("alerts: channel %s: subject glob %q: %w", cc.Name, p, err)
		}
		ch.subjects = append(ch.subjects, g)
	}
	box, err := newOutbox(stateDir, cc.Name)
	if err != nil {
		return nil, err
	}
	ch.box = box
	return ch, nil
}

// routes says whether the channel gets notifications for f.
func (ch *channel) routes(f rules.Finding) bool {
	return f.Severity >= ch.cfg.MinSeverity && matchAny(ch.rules, f.Rule) && matchAny(ch.subjects, f.Subject)
}

func pendingKey(fp string, s notify.Status) string { return fp + "\x00" + string(s) }

func (ch *channel) hasPending(fp string, s notify.Status) bool {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return ch.pending[pendingKey(fp, s)] > 0
}

func (ch *channel) depth() int {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return len(ch.queue)
}

// oldest is the creation time of the oldest queued notification.
func (ch *channel) oldest() (time.Time, bool) {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if len(ch.queue) == 0 {
		return time.Time{}, false
	}
	t := ch.queue[0].n.CreatedAt
	for _, e := range ch.queue[1:] {
		if e.n.CreatedAt.Before(t) {
			t = e.n.CreatedAt
		}
	}
	return t, true
}

// push appends the entries of one pass at once, so that the dispatcher sees
// the whole pass and sends it as one message.
func (ch *channel) push(es ...entry) {
	ch.reserved -= len(es)
	ch.mu.Lock()
	for _, e := range es {
		ch.queue = append(ch.queue, e)
		ch.pending[pendingKey(e.n.Fingerprint, e.n.Status)]++
	}
	ch.mu.Unlock()
	select {
	case ch.wake <- struct{}{}:
	default:
	}
}

// ChannelStatus is the delivery state of one channel, for the status page.
type ChannelStatus struct {
	Name string `json:"name"`
	Type string `json:"type"`
	// Queued is how many notifications wait in the outbox.
	Queued int `json:"queued"`
	// LastDelivered is when the receiver last accepted a message.
	LastDelivered time.Time `json:"last_delivered,omitzero"`
	// LastError and LastErrorAt are the last failed attempt (kept after
	// later successes, for the record); Attempts counts the failed attempts
	// at the message now at the head of the queue (0 when none failed).
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
	Attempts    int       `json:"attempts"`
}

// record notes the outcome of one attempt.
func (ch *channel) record(now time.Time, err error) {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if err == nil {
		ch.st.LastDelivered, ch.st.Attempts = now, 0
		return
	}
	ch.st.LastError, ch.st.LastErrorAt = err.Error(), now
	ch.st.Attempts++
	if notify.IsPermanent(err) {
		ch.st.Attempts = 0 // dropped: the next message starts afresh
	}
}

// status is the channel's delivery state now.
func (ch *channel) status() ChannelStatus {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	st := ch.st
	st.Name, st.Type, st.Queued = ch.name, ch.cfg.Type, len(ch.queue)
	return st
}

// groupKey is the labels of n that group it on ch.
func (ch *channel) groupKey(n *notify.Notification) map[string]string {
	all := n.Labels()
	out := make(map[string]string, len(ch.groupBy))
	for _, l := range ch.groupBy {
		out[l] = all[l]
	}
	return out
}

// batch is the run of queued entries at the head that go out as one message:
// consecutive, with the same group labels, one per alert (a second
// notification about an alert already in the batch waits for the next
// message, so that each alert's notifications keep their order), at most
// MaxGroupAlerts. Taking only from the head keeps the channel's order.
func (ch *channel) batch() (entries []entry, labels map[string]string) {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if len(ch.queue) == 0 {
		return nil, nil
	}
	labels = ch.groupKey(&ch.queue[0].n)
	key := notify.LabelString(labels)
	seen := map[string]bool{}
	for _, e := range ch.queue {
		if len(entries) == MaxGroupAlerts || seen[e.n.Fingerprint] || notify.LabelString(ch.groupKey(&e.n)) != key {
			break
		}
		seen[e.n.Fingerprint] = true
		entries = append(entries, e)
	}
	return entries, labels
}

func (ch *channel) head() (entry, bool) {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if len(ch.queue) == 0 {
		return entry{}, false
	}
	return ch.queue[0], true
}

// pop removes the head (which only the dispatcher takes off).
func (ch *channel) pop() {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if len(ch.queue) == 0 {
		return
	}
	e := ch.queue[0]
	ch.queue[0] = entry{}
	ch.queue = ch.queue[1:]
	k := pendingKey(e.n.Fingerprint, e.n.Status)
	if ch.pending[k]--; ch.pending[k] <= 0 {
		delete(ch.pending, k)
	}
}

// dispatch delivers ch's queue in order until ctx is done, one message at a
// time, each the batch at the head of the queue. One goroutine per channel: a
// receiver that hangs delays only its own channel (and each attempt is
// capped by the attempt timeout), and strict order per channel is order per
// fingerprint.
func (m *Manager) dispatch(ctx context.Context, ch *channel) {
	attempt := 0
	waited := "" // the head whose group_wait is over
	var (
		batch []entry       // the message being delivered: the head of the queue
		g     *notify.Group // and its rendering
	)
	for {
		e, ok := ch.head()
		if !ok {
			select {
			case <-ch.wake:
				continue
			case <-ctx.Done():
				return
			}
		}
		now := m.clock.Now()
		if age := now.Sub(e.n.CreatedAt); age > m.cfg.MaxAge {
			err := fmt.Errorf("alerts: undelivered after %s (max_age %s)", age.Round(time.Second), m.cfg.MaxAge)
			m.finish(ch, e, "expired", "expired", err)
			m.settled(ch, []entry{e}, "expired: "+err.Error()+"; last error: "+ch.status().LastError)
			ch.mu.Lock()
			ch.st.Attempts = 0 // the next message starts afresh
			ch.mu.Unlock()
			attempt = 0
			continue
		}
		// group_wait: let later passes join the head's message. Capped at
		// group_wait itself, so that a clock stepped back cannot hold it.
		if wait := min(e.n.CreatedAt.Add(ch.groupWait).Sub(now), ch.groupWait); attempt == 0 && waited != e.n.ID && wait > 0 {
			if !m.wait(ctx, wait) {
				return
			}
			waited = e.n.ID
			continue
		}
		// A retry sends the same message (same alerts, same ID), even if
		// more has been queued behind it meanwhile.
		if attempt == 0 || g == nil || g.Alerts[0].ID != e.n.ID {
			var labels map[string]string
			batch, labels = ch.batch()
			alerts := make([]notify.Notification, len(batch))
			for i, b := range batch {
				alerts[i] = b.n
			}
			g = notify.NewGroup(labels, alerts)
		}
		actx, cancel := context.WithTimeout(ctx, m.attempt)
		err := ch.notifier.Notify(actx, g)
		cancel()
		if ctx.Err() != nil {
			return // stopping: it stays in the outbox for the next start
		}
		switch {
		case err == nil:
			m.log.Info("alerts: notification delivered", "channel", ch.name, "id", g.ID, "group", g.Key,
				"alerts", len(g.Alerts), "summary", g.Summary())
			m.finishBatch(ch, batch, "delivered", "", nil)
			m.settled(ch, batch, "")
			ch.record(m.clock.Now(), nil) // after the alerts: who sees the channel's state sees theirs
			attempt = 0
		case notify.IsPermanent(err):
			m.finishBatch(ch, batch, "failed", "permanent", err)
			m.settled(ch, batch, "permanent error: "+err.Error())
			ch.record(m.clock.Now(), err)
			attempt = 0
		default:
			ch.record(m.clock.Now(), err)
			attempt++
			m.metrics.notified(ch.name, "retry")
			ra, _ := notify.RetryAfter(err)
			delay := m.backoff.Delay(attempt, ra, m.random)
			m.log.Warn("alerts: delivery failed, will retry", "channel", ch.name, "id", g.ID, "group", g.Key,
				"alerts", len(g.Alerts), "attempt", attempt, "retry_in", delay, "err", err)
			if !m.wait(ctx, delay) {
				return
			}
		}
	}
}

// finishBatch finishes every entry of a message, which counts once under
// result in redwatch_alert_notifications_total.
func (m *Manager) finishBatch(ch *channel, batch []entry, result, reason string, cause error) {
	for _, e := range batch {
		m.finish(ch, e, "", reason, cause)
	}
	m.metrics.notified(ch.name, result)
}

// finish takes e off the queue and out of the outbox, then counts it under
// result; reason non-empty means it was dropped undelivered, which is logged
// as an error and counted. The queue shrinks and the log is written before
// the counters move, so whoever sees the count sees the rest.
func (m *Manager) finish(ch *channel, e entry, result, reason string, cause error) {
	if err := ch.box.remove(e); err != nil {
		m.log.Error("alerts: outbox entry not removed; it will be sent again", "channel", ch.name, "err", err)
	}
	ch.pop()
	if reason != "" {
		m.log.Error("alerts: notification dropped", "channel", ch.name, "reason", reason, "fingerprint", e.n.Fingerprint,
			"id", e.n.ID, "status", e.n.Status, "rule", e.n.Rule, "subject", e.n.Subject, "err", cause)
		m.metrics.droppedAdd(ch.name, reason, 1)
	}
	if result != "" {
		m.metrics.notified(ch.name, result)
	}
}

// wait waits d on the manager's clock; false means ctx ended first.
func (m *Manager) wait(ctx context.Context, d time.Duration) bool {
	t := m.clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C():
		return true
	case <-ctx.Done():
		return false
	}
}
