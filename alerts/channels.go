package alerts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/redwatch/redwatch/alerts/alertmanager"
	"github.com/redwatch/redwatch/alerts/email"
	"github.com/redwatch/redwatch/alerts/exec"
	"github.com/redwatch/redwatch/alerts/notify"
	"github.com/redwatch/redwatch/alerts/webhook"
	"github.com/redwatch/redwatch/internal/clock"
	"github.com/redwatch/redwatch/rules"
)

// BuildNotifier builds the notifier of one channel from its configuration,
// reading its secret and CA files. clk and logger are used by the channels
// that need them (Alertmanager's endsAt); logger may be nil.
func BuildNotifier(cc ChannelConfig, clk clock.Clock, logger *slog.Logger) (notify.Notifier, error) {
	var (
		n   notify.Notifier
		err error
	)
	switch {
	case cc.Type == TypeWebhook && cc.Webhook != nil:
		n, err = webhook.New(cc.Name, *cc.Webhook)
	case cc.Type == TypeEmail && cc.Email != nil:
		n, err = email.New(*cc.Email)
	case cc.Type == TypeAlertmanager && cc.Alertmanager != nil:
		n, err = alertmanager.New(*cc.Alertmanager, clk, logger)
	case cc.Type == TypeExec && cc.Exec != nil:
		n, err = exec.New(*cc.Exec)
	default:
		return nil, fmt.Errorf("alerts: channel %q: type %q without its block", cc.Name, cc.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("alerts: channel %q: %w", cc.Name, err)
	}
	return n, nil
}

// CheckChannels builds the notifier of every channel, reading its secret and
// CA files, without sending anything, and returns every failure: a secret
// file that is missing, not a regular file or readable by its group or
// others, a CA file without a certificate. `config check`, the daemon's
// start and every reload run it, so a bad secret is found where the user
// looks rather than at the first alert.
func CheckChannels(cfg Config) error {
	var errs []error
	for _, cc := range cfg.Channels {
		if _, err := BuildNotifier(cc, clock.Real{}, nil); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// TestNotification is the alert `redwatch notify test` sends: a firing
// warning of rule "redwatch-test" on host, marked Test.
func TestNotification(host string, now time.Time) notify.Notification {
	return notify.Notification{
		ID:          notify.NewID(),
		Fingerprint: Fingerprint(host, "redwatch-test", "notify test"),
		Status:      notify.Firing,
		Host:        host,
		Rule:        "redwatch-test",
		Severity:    rules.Warning,
		Subject:     "notify test",
		Message:     "test notification from redwatch notify test; nothing is broken",
		Remediation: "none needed: if you read this, the channel works",
		StartsAt:    now,
		CreatedAt:   now,
		Test:        true,
	}
}

// TestResult is the outcome of sending the test notification to one channel.
type TestResult struct {
	Channel string
	Type    string
	// Err is nil when the channel accepted the notification.
	Err error
}

// SendTest sends TestNotification through each configured channel (only the
// one named, when channel is not empty) at once, directly (no outbox, no
// retry), each bounded by timeout, and returns the results in configuration
// order. An unknown channel name is an error.
func SendTest(ctx context.Context, cfg Config, host, channel string, clk clock.Clock, logger *slog.Logger, timeout time.Duration) ([]TestResult, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if clk == nil {
		clk = clock.Real{}
	}
	var picked []ChannelConfig
	for _, cc := range cfg.Channels {
		if channel == "" || cc.Name == channel {
			picked = append(picked, cc)
		}
	}
	if channel != "" && len(picked) == 0 {
		return nil, fmt.Errorf("alerts: no channel %q", channel)
	}
	cfg = cfg.withDefaults()
	results := make([]TestResult, len(picked))
	var wg sync.WaitGroup
	for i, cc := range picked {
		results[i] = TestResult{Channel: cc.Name, Type: cc.Type}
		n, err := BuildNotifier(cc, clk, logger)
		if err != nil {
			results[i].Err = err
			continue
		}
		wg.Go(func() {
			tn := TestNotification(host, clk.Now())
			tn.ExternalURL = cfg.ExternalURL
			tctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			results[i].Err = n.Notify(tctx, notify.Single(tn))
		})
	}
	wg.Wait()
	return results, nil
}
