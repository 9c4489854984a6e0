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

	mu      sync.Mutex
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

func (ch *channel) push(e entry) {
	ch.reserved--
	ch.mu.Lock()
	ch.queue = append(ch.queue, e)
	ch.pending[pendingKey(e.n.Fingerprint, e.n.Status)]++
	ch.mu.Unlock()
	select {
	case ch.wake <- struct{}{}:
	default:
	}
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

// dispatch delivers ch's queue in order, one notification at a time, until
// ctx is done. One goroutine per channel: a receiver that hangs delays only
// its own channel (and each attempt is capped by the attempt timeout), and
// strict order per channel is order per fingerprint.
func (m *Manager) dispatch(ctx context.Context, ch *channel) {
	attempt := 0
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
		if age := m.now().Sub(e.n.CreatedAt); age > m.cfg.MaxAge {
			m.finish(ch, e, "expired", "expired", fmt.Errorf("alerts: undelivered after %s (max_age %s)", age.Round(time.Second), m.cfg.MaxAge))
			attempt = 0
			continue
		}
		actx, cancel := context.WithTimeout(ctx, m.attempt)
		err := ch.notifier.Notify(actx, &e.n)
		cancel()
		if ctx.Err() != nil {
			return // stopping: it stays in the outbox for the next start
		}
		switch {
		case err == nil:
			m.log.Info("alerts: notification delivered", "channel", ch.name, "fingerprint", e.n.Fingerprint,
				"id", e.n.ID, "status", e.n.Status, "rule", e.n.Rule, "subject", e.n.Subject)
			m.finish(ch, e, "delivered", "", nil)
			attempt = 0
		case notify.IsPermanent(err):
			m.finish(ch, e, "failed", "permanent", err)
			attempt = 0
		default:
			attempt++
			m.metrics.notified(ch.name, "retry")
			ra, _ := notify.RetryAfter(err)
			delay := m.backoff.Delay(attempt, ra, m.random)
			m.log.Warn("alerts: delivery failed, will retry", "channel", ch.name, "fingerprint", e.n.Fingerprint,
				"id", e.n.ID, "attempt", attempt, "retry_in", delay, "err", err)
			select {
			case <-m.after(delay):
			case <-ctx.Done():
				return
			}
		}
	}
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
