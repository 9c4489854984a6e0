package notify

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/redwatch/redwatch/rules"
)

// Group is what a channel delivers in one message: the alerts of one group
// (Alertmanager's group_by over the alerts' labels) that were queued together,
// in queue order, at most one notification per alert. A receiver sees each
// alert's own status, fingerprint and notification ID inside the group.
type Group struct {
	// ID identifies the message: the alert's notification ID when the group
	// holds one alert, otherwise a hash of the alerts' IDs, so that a retry
	// (even after a restart) of the same group carries the same ID.
	ID string `json:"id"`
	// Key is the group's identity, its labels as {name="value",...}.
	Key string `json:"group_key"`
	// Labels are the group_by labels and their common values.
	Labels map[string]string `json:"group_labels"`
	// Status is firing when at least one alert fires, else resolved.
	Status Status `json:"status"`
	// Host is the machine the alerts are about.
	Host string `json:"host"`
	// ExternalURL links back to redwatch (status page), if configured.
	ExternalURL string `json:"external_url,omitempty"`
	// Test marks the message `redwatch notify test` sends.
	Test bool `json:"test,omitempty"`
	// Alerts are the notifications of the group, in queue order.
	Alerts []Notification `json:"alerts"`
}

// NewGroup builds the group of alerts (at least one) under labels.
func NewGroup(labels map[string]string, alerts []Notification) *Group {
	g := &Group{Labels: labels, Key: LabelString(labels), Status: Resolved, Alerts: alerts}
	if g.Labels == nil {
		g.Labels = map[string]string{}
	}
	ids := make([]string, len(alerts))
	for i := range alerts {
		a := &alerts[i]
		ids[i] = a.ID
		if a.Status == Firing {
			g.Status = Firing
		}
		g.Test = g.Test || a.Test
		if g.Host == "" {
			g.Host = a.Host
		}
		if g.ExternalURL == "" {
			g.ExternalURL = a.ExternalURL
		}
	}
	switch len(ids) {
	case 0:
	case 1:
		g.ID = ids[0]
	default:
		sum := sha256.Sum256([]byte(strings.Join(ids, ",")))
		g.ID = hex.EncodeToString(sum[:16])
	}
	return g
}

// Single is the group of one notification, grouped by its own labels.
func Single(n Notification) *Group { return NewGroup(n.Labels(), []Notification{n}) }

// LabelString renders labels as {a="1",b="2"}, sorted by name.
func LabelString(labels map[string]string) string {
	names := make([]string, 0, len(labels))
	for k := range labels {
		names = append(names, k)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, k := range names {
		parts[i] = fmt.Sprintf("%s=%q", k, labels[k])
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// Firing are the firing alerts of the group.
func (g *Group) Firing() []Notification { return g.with(Firing) }

// Resolved are the resolved alerts of the group.
func (g *Group) Resolved() []Notification { return g.with(Resolved) }

func (g *Group) with(s Status) []Notification {
	var out []Notification
	for _, a := range g.Alerts {
		if a.Status == s {
			out = append(out, a)
		}
	}
	return out
}

// Severity is the worst severity among the firing alerts, or among all of
// them when none fires.
func (g *Group) Severity() rules.Severity {
	pick := g.Firing()
	if len(pick) == 0 {
		pick = g.Alerts
	}
	worst := rules.Info
	for _, a := range pick {
		worst = max(worst, a.Severity)
	}
	return worst
}

// Fingerprints lists the alerts' fingerprints, in order.
func (g *Group) Fingerprints() []string {
	out := make([]string, len(g.Alerts))
	for i, a := range g.Alerts {
		out[i] = a.Fingerprint
	}
	return out
}

// Summary is a one-line description of the group: the alert's own summary
// when it holds one, else "[FIRING] host: 3 firing, 1 resolved (rule subject, ...)".
func (g *Group) Summary() string {
	if len(g.Alerts) == 1 {
		return g.Alerts[0].Summary()
	}
	word := "RESOLVED"
	if g.Status == Firing {
		word = "FIRING"
	}
	what := make([]string, 0, len(g.Alerts))
	for _, a := range g.Alerts {
		what = append(what, a.Rule+" "+a.Subject)
	}
	s := fmt.Sprintf("[%s] %s on %s: %d firing, %d resolved (%s)", word, g.Severity(), g.Host,
		len(g.Firing()), len(g.Resolved()), strings.Join(slices.Compact(what), ", "))
	if g.Test {
		s = "[TEST] " + s
	}
	return s
}

// CommonLabels are the labels every alert of the group carries with the
// same value (Alertmanager's commonLabels).
func (g *Group) CommonLabels() map[string]string {
	return common(g.Alerts, (*Notification).Labels)
}

// CommonAnnotations are the annotations every alert of the group carries
// with the same value (Alertmanager's commonAnnotations).
func (g *Group) CommonAnnotations() map[string]string {
	return common(g.Alerts, (*Notification).Annotations)
}

func common(alerts []Notification, of func(*Notification) map[string]string) map[string]string {
	if len(alerts) == 0 {
		return map[string]string{}
	}
	out := of(&alerts[0])
	for i := 1; i < len(alerts); i++ {
		next := of(&alerts[i])
		for k, v := range out {
			if w, ok := next[k]; !ok || w != v {
				delete(out, k)
			}
		}
	}
	return out
}
