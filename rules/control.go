package rules

import (
	"fmt"
	"path"
	"strings"
	"time"
)

// Control is one operator entry of the `rules:` configuration list. The first
// entry whose ID and Subjects match a finding decides for it; fields it
// leaves unset keep the rule's defaults.
type Control struct {
	// ID is a rule ID or a glob over rule IDs ("bond_*", "*").
	ID string
	// Subjects are globs (path.Match: * does not cross '/') over the finding's
	// subject; empty matches every subject.
	Subjects []string
	// Disabled drops the matching findings altogether.
	Disabled bool
	// Severity, when set, replaces the finding's severity.
	Severity *Severity
	// For is how long a finding must hold before it counts; 0 counts at once.
	For time.Duration
}

// Matches reports whether c applies to a finding of rule id about subject.
func (c *Control) Matches(id, subject string) bool {
	if !nameMatch(c.ID, id) {
		return false
	}
	if len(c.Subjects) == 0 {
		return true
	}
	for _, s := range c.Subjects {
		if ok, err := path.Match(s, subject); err == nil && ok {
			return true
		}
	}
	return false
}

// firstControl is the control that decides for a finding, or nil.
func firstControl(cs []Control, id, subject string) *Control {
	for i := range cs {
		if cs[i].Matches(id, subject) {
			return &cs[i]
		}
	}
	return nil
}

// Maintenance is an operator's maintenance window: the whole host, or the
// findings whose subject and rule match its globs. Several may be on at once.
type Maintenance struct {
	Started time.Time `json:"started"`
	Until   time.Time `json:"until"`
	Reason  string    `json:"reason"`
	// Subject is a glob (path.Match) over finding subjects; "" is every
	// subject. A subject glob also covers the members of the groups it
	// matches: "bond0" covers bond0 and bond0/eth1.
	Subject string `json:"subject,omitempty"`
	// Rule is a rule ID or a glob over rule IDs; "" is every rule.
	Rule string `json:"rule,omitempty"`
}

// Active reports whether the window is on at now.
func (m *Maintenance) Active(now time.Time) bool {
	return m != nil && !now.Before(m.Started) && now.Before(m.Until)
}

// HostWide reports whether the window covers every finding.
func (m *Maintenance) HostWide() bool { return m.Subject == "" && m.Rule == "" }

// Covers reports whether the window covers finding f (whether it is on is
// Active's question).
func (m *Maintenance) Covers(f Finding) bool {
	if m.Rule != "" && !nameMatch(m.Rule, f.Rule) {
		return false
	}
	if m.Subject == "" {
		return true
	}
	group, _, _ := strings.Cut(f.Subject, "/")
	for _, s := range []string{f.Subject, group} {
		if ok, err := path.Match(m.Subject, s); err == nil && ok {
			return true
		}
	}
	return false
}

// Scope says what the window covers: "", or "subject bond0*, rule md_*".
func (m *Maintenance) Scope() string {
	var parts []string
	if m.Subject != "" {
		parts = append(parts, "subject "+m.Subject)
	}
	if m.Rule != "" {
		parts = append(parts, "rule "+m.Rule)
	}
	return strings.Join(parts, ", ")
}

// String says what the window is, for the status line.
func (m *Maintenance) String() string {
	if m == nil {
		return ""
	}
	s := "maintenance"
	if sc := m.Scope(); sc != "" {
		s += " of " + sc
	}
	s += " until " + m.Until.UTC().Format(time.RFC3339)
	if m.Reason != "" {
		s += ": " + m.Reason
	}
	return s
}

// ActiveWindows returns the windows on at now, in order.
func ActiveWindows(ws []Maintenance, now time.Time) []Maintenance {
	var on []Maintenance
	for i := range ws {
		if ws[i].Active(now) {
			on = append(on, ws[i])
		}
	}
	return on
}

// Silencing returns the first of the windows that covers f, nil when none.
func Silencing(ws []Maintenance, f Finding) *Maintenance {
	for i := range ws {
		if ws[i].Covers(f) {
			return &ws[i]
		}
	}
	return nil
}

// Pending is a finding that has not held for its rule's `for` duration yet:
// it is kept out of the findings and the status until Due.
type Pending struct {
	Finding
	FirstSeen time.Time `json:"first_seen"`
	Due       time.Time `json:"due"`
}

// FindingKey identifies a finding across passes: its rule and subject.
func FindingKey(f Finding) string { return f.Rule + " " + f.Subject }

// control applies the operator's controls to the findings of one pass:
// disabled ones are dropped, severities replaced, and those with a `for`
// not yet held are moved to pending. firstSeen holds when each finding was
// first seen in its current unbroken run; the returned map is the next
// pass's (findings absent this pass are forgotten).
func control(fs []Finding, cs []Control, now time.Time, firstSeen map[string]time.Time) (active []Finding, pending []Pending, next map[string]time.Time) {
	next = make(map[string]time.Time, len(fs))
	for _, f := range fs {
		k := FindingKey(f)
		seen, ok := firstSeen[k]
		if !ok || seen.After(now) {
			seen = now
		}
		c := firstControl(cs, f.Rule, f.Subject)
		if c != nil && c.Disabled {
			continue
		}
		next[k] = seen
		if c != nil && c.Severity != nil {
			f.Severity = *c.Severity
		}
		if c != nil && c.For > 0 && now.Sub(seen) < c.For {
			pending = append(pending, Pending{Finding: f, FirstSeen: seen, Due: seen.Add(c.For)})
			continue
		}
		active = append(active, f)
	}
	return active, pending, next
}

// describeControl renders the effective severity of rule id for the rule list.
func describeControl(cs []Control, id string, def Severity) (effective string, notes []string) {
	effective = def.String()
	global := false
	for i := range cs {
		c := &cs[i]
		if !nameMatch(c.ID, id) {
			continue
		}
		what := ""
		switch {
		case c.Disabled:
			what = "disabled"
		case c.Severity != nil:
			what = c.Severity.String()
		}
		if c.For > 0 && !c.Disabled {
			if what == "" {
				what = def.String()
			}
			what += fmt.Sprintf(" after %s", c.For)
		}
		if len(c.Subjects) == 0 {
			if !global && what != "" {
				effective = what
			}
			global = true // later entries never match: the first global one wins
			continue
		}
		if !global && what != "" {
			notes = append(notes, fmt.Sprintf("%s for %v", what, c.Subjects))
		}
	}
	return effective, notes
}
