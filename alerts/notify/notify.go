// Package notify is what every alert channel shares: the Notification a
// channel delivers, the Notifier interface it implements, how a delivery error
// says whether it is worth retrying, and the retry policy (exponential backoff
// with jitter, modelled on Alertmanager's notify package).
//
// It is a leaf package so that both the alerts manager and the channel
// packages (alerts/webhook, alerts/email, alerts/alertmanager, alerts/exec)
// import it without a cycle.
package notify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/redwatch/redwatch/rules"
)

// Status is the state of an alert a notification reports.
type Status string

// Alert statuses, as in Alertmanager.
const (
	Firing   Status = "firing"
	Resolved Status = "resolved"
)

// Member is one member of the redundancy group the alert's subject belongs to.
type Member struct {
	Name  string `json:"name"`
	State string `json:"state"`
}

// Notification is one message about one alert to one channel. It is what the
// outbox stores, so its JSON form is stable: add fields, never rename them.
type Notification struct {
	// ID is unique per notification and kept across retries and restarts:
	// a receiver that sees the same ID twice can drop the second.
	ID string `json:"id"`
	// Fingerprint identifies the alert: a hash of (host, rule, subject).
	Fingerprint string `json:"fingerprint"`
	// Status is firing or resolved.
	Status Status `json:"status"`
	// Host is the machine the finding is about.
	Host        string         `json:"host"`
	Rule        string         `json:"rule"`
	Severity    rules.Severity `json:"severity"`
	Subject     string         `json:"subject"`
	Message     string         `json:"message"`
	Remediation string         `json:"remediation,omitempty"`
	// Facts are the values that triggered the finding.
	Facts map[string]string `json:"facts,omitempty"`
	// Group is the redundancy group of the subject ("bond bond0"), when known.
	Group string `json:"group,omitempty"`
	// Members are the states of the group's members when the notification was made.
	Members []Member `json:"members,omitempty"`
	// StartsAt is when the alert started firing.
	StartsAt time.Time `json:"starts_at"`
	// EndsAt is when the alert resolved; zero while firing.
	EndsAt time.Time `json:"ends_at,omitzero"`
	// CreatedAt is when the notification was queued.
	CreatedAt time.Time `json:"created_at"`
	// Repeat says the alert was already notified and this is a reminder.
	Repeat bool `json:"repeat,omitempty"`
	// Maintenance says the alert is inside a maintenance window.
	Maintenance bool `json:"maintenance,omitempty"`
	// Test marks the message `redwatch notify test` sends.
	Test bool `json:"test,omitempty"`
	// ExternalURL links back to redwatch (status page), if configured.
	ExternalURL string `json:"external_url,omitempty"`
}

// Summary is a one-line description: "CRITICAL bond0/eth1: md-member-faulty on host".
func (n *Notification) Summary() string {
	s := fmt.Sprintf("[%s] %s %s on %s: %s", statusWord(n), n.Severity, n.Rule, n.Host, n.Subject)
	if n.Test {
		s = "[TEST] " + s
	}
	return s
}

func statusWord(n *Notification) string {
	if n.Status == Resolved {
		return "RESOLVED"
	}
	return "FIRING"
}

// Notifier delivers notifications to one receiver, a group of them per
// message. Notify must honour ctx (return when it is done) and return nil
// only when the receiver accepted the whole group. Errors are retried unless
// wrapped with Permanent.
type Notifier interface {
	Notify(ctx context.Context, g *Group) error
}

// Repeater is implemented by notifiers that need a firing alert re-sent more
// often than the configured repeat_interval (Alertmanager: before endsAt).
type Repeater interface {
	RepeatInterval() time.Duration
}

// NewID returns a random notification ID (32 hex digits).
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on Linux
	return hex.EncodeToString(b[:])
}

// Labels are the Alertmanager-style labels of the alert: alertname (the
// rule), severity, instance (the host) and subject. They identify the alert
// the same way the fingerprint does.
func (n *Notification) Labels() map[string]string {
	return map[string]string{
		"alertname": n.Rule,
		"severity":  n.Severity.String(),
		"instance":  n.Host,
		"subject":   n.Subject,
	}
}

// Annotations are the Alertmanager-style annotations: summary, description
// (the message and the members' states), remediation, and the redwatch
// identifiers fingerprint and notification_id (plus maintenance and test
// when set).
func (n *Notification) Annotations() map[string]string {
	a := map[string]string{
		"summary":         n.Summary(),
		"description":     n.Description(),
		"fingerprint":     n.Fingerprint,
		"notification_id": n.ID,
	}
	if n.Remediation != "" {
		a["remediation"] = n.Remediation
	}
	if n.Maintenance {
		a["maintenance"] = "true"
	}
	if n.Test {
		a["test"] = "true"
	}
	return a
}

// Description is the message followed, when known, by the group's members
// and their states: "bond0 lost eth1 (members: eth0=up, eth1=down)".
func (n *Notification) Description() string {
	s := n.Message
	if len(n.Members) > 0 {
		var b strings.Builder
		for i, m := range n.Members {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(m.Name + "=" + m.State)
		}
		s += " (" + n.Group + " members: " + b.String() + ")"
	}
	return s
}

// RedactURL keeps a URL's scheme and host only, for error messages: the path
// and query of a webhook URL are often its credential (chat webhooks).
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "<invalid URL>"
	}
	s := u.Scheme + "://" + u.Host
	if u.Path != "" && u.Path != "/" || u.RawQuery != "" {
		s += "/…"
	}
	return s
}
