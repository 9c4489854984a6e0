package lab

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Verdict is redwatch's `audit -o json` output, as the guest printed it.
type Verdict struct {
	Status   string           `json:"status"`
	Findings []Finding        `json:"findings"`
	Groups   []Group          `json:"groups"`
	Errors   []CollectorError `json:"errors"`
	// Exit is the audit's exit code (0 ok, 1 warning, 2 critical, 3 unknown).
	Exit int `json:"-"`
	// Raw is the JSON as printed.
	Raw string `json:"-"`
}

// Finding is one finding of a verdict.
type Finding struct {
	Rule        string `json:"rule"`
	Severity    string `json:"severity"`
	Subject     string `json:"subject"`
	Message     string `json:"message"`
	Remediation string `json:"remediation"`
}

// Group is one redundancy group of a verdict.
type Group struct {
	Kind    string   `json:"kind"`
	Name    string   `json:"name"`
	Needed  int      `json:"needed"`
	Healthy int      `json:"healthy"`
	Total   int      `json:"total"`
	Members []Member `json:"members"`
}

// Member is one member of a redundancy group.
type Member struct {
	Name  string `json:"name"`
	State string `json:"state"`
}

// CollectorError is something a collector could not read.
type CollectorError struct {
	Collector string `json:"collector"`
	Path      string `json:"path"`
	Error     string `json:"error"`
}

// AuditCommand is what Guest.Audit runs in the guest.
const AuditCommand = "/bin/redwatch audit -o json"

// exitCodes maps a status to the audit's exit code (the Nagios convention).
var exitCodes = map[string]int{"ok": 0, "warning": 1, "critical": 2, "unknown": 3}

// Audit runs `redwatch audit -o json` in the guest and decodes it. The
// output must be one JSON object whose status matches the exit code.
func (g *Guest) Audit(ctx context.Context) (*Verdict, error) {
	r, err := g.Exec(ctx, AuditCommand)
	if err != nil {
		return nil, err
	}
	return ParseVerdict([]byte(r.Stdout), r.Exit, r.Stderr)
}

// ParseVerdict decodes an audit's JSON output and checks it against the
// exit code.
func ParseVerdict(out []byte, exit int, stderr string) (*Verdict, error) {
	v := &Verdict{Exit: exit, Raw: string(out)}
	dec := json.NewDecoder(bytes.NewReader(out))
	if err := dec.Decode(v); err != nil {
		return nil, fmt.Errorf("lab: audit (exit %d) printed no JSON verdict: %w\nstdout: %s\nstderr: %s", exit, err, out, stderr)
	}
	if dec.More() {
		return nil, fmt.Errorf("lab: audit printed more than one JSON value:\n%s", out)
	}
	want, ok := exitCodes[v.Status]
	if !ok {
		return nil, fmt.Errorf("lab: audit status %q is none of ok, warning, critical, unknown:\n%s", v.Status, out)
	}
	if want != exit {
		return nil, fmt.Errorf("lab: audit exited %d but its status is %q (exit %d):\n%s\nstderr: %s", exit, v.Status, want, out, stderr)
	}
	return v, nil
}

// Summary is a one-line description: status, findings, groups.
func (v *Verdict) Summary() string {
	var b strings.Builder
	b.WriteString(v.Status)
	for _, f := range v.Findings {
		fmt.Fprintf(&b, " [%s %s %s]", f.Severity, f.Rule, f.Subject)
	}
	for _, g := range v.Groups {
		fmt.Fprintf(&b, " %s:%s %d/%d", g.Kind, g.Name, g.Healthy, g.Total)
	}
	if len(v.Errors) > 0 {
		fmt.Fprintf(&b, " errors:%d", len(v.Errors))
	}
	return b.String()
}

// Want matches a finding: its rule and subject, and optionally its message
// and severity.
type Want struct {
	Rule    string
	Subject string
	// Message, when set, must match the finding's message.
	Message *regexp.Regexp
	// Severity, when set, must be the finding's severity.
	Severity string
}

// String describes the wanted finding for failure messages.
func (w Want) String() string {
	s := w.Rule + " " + w.Subject
	if w.Severity != "" {
		s += " (" + w.Severity + ")"
	}
	if w.Message != nil {
		s += " message ~ /" + w.Message.String() + "/"
	}
	return s
}

func (w Want) matches(f Finding) bool {
	return f.Rule == w.Rule && f.Subject == w.Subject &&
		(w.Severity == "" || f.Severity == w.Severity) &&
		(w.Message == nil || w.Message.MatchString(f.Message))
}

// WantGroup matches a redundancy group by kind and name, and its counts.
type WantGroup struct {
	Kind, Name     string
	Healthy, Total int
}

// String describes the wanted group for failure messages.
func (w WantGroup) String() string {
	return fmt.Sprintf("%s %s %d/%d healthy", w.Kind, w.Name, w.Healthy, w.Total)
}

// Expect is what a verdict must say. The zero Expect accepts any verdict
// without collector errors; build one with OK or Status.
type Expect struct {
	// Statuses, when set, are the statuses accepted.
	Statuses []string
	// Findings must all be present; other findings may be present too,
	// unless Only is set.
	Findings []Want
	// Only means no finding besides Findings and Tolerated may be present.
	Only bool
	// Tolerated are findings that may be present or not, even with Only.
	Tolerated []Want
	// Absent are findings that must not be present.
	Absent []Want
	// Groups must be present with these counts.
	Groups []WantGroup
	// AllowErrors accepts collector errors, which are otherwise a failure:
	// on a real kernel every file redwatch reads should be readable.
	AllowErrors bool
}

// PowerNotObservable is the finding of a host where no source counts the
// power supplies: every lab guest (QEMU gives it no PSU, no BMC unless a
// scenario adds one) has it, as info, beside an OK status.
var PowerNotObservable = Want{Rule: "power_not_observable", Subject: "power", Severity: "info"}

// OK expects status ok, no findings at all but PowerNotObservable (a guest
// has no power supply), and no collector errors.
func OK() Expect {
	return Expect{Statuses: []string{"ok"}, Only: true, Tolerated: []Want{PowerNotObservable}}
}

// Status expects one of the statuses.
func Status(statuses ...string) Expect { return Expect{Statuses: statuses} }

// Finding adds a finding that must be present.
func (e Expect) Finding(rule, subject string) Expect {
	e.Findings = append(append([]Want(nil), e.Findings...), Want{Rule: rule, Subject: subject})
	return e
}

// FindingMessage adds a finding that must be present with a message that
// matches the regular expression.
func (e Expect) FindingMessage(rule, subject, message string) Expect {
	e.Findings = append(append([]Want(nil), e.Findings...), Want{Rule: rule, Subject: subject, Message: regexp.MustCompile(message)})
	return e
}

// Without adds a finding that must not be present.
func (e Expect) Without(rule, subject string) Expect {
	e.Absent = append(append([]Want(nil), e.Absent...), Want{Rule: rule, Subject: subject})
	return e
}

// Group adds a redundancy group that must be present with these counts.
func (e Expect) Group(kind, name string, healthy, total int) Expect {
	e.Groups = append(append([]WantGroup(nil), e.Groups...), WantGroup{kind, name, healthy, total})
	return e
}

// Check returns an error naming every way v differs from e; nil when v
// meets it.
func (e Expect) Check(v *Verdict) error {
	var probs []string
	if len(e.Statuses) > 0 && !contains(e.Statuses, v.Status) {
		probs = append(probs, fmt.Sprintf("status is %q, want %s", v.Status, strings.Join(e.Statuses, " or ")))
	}
	matched := make([]bool, len(v.Findings))
	for _, w := range e.Findings {
		found := false
		for i, f := range v.Findings {
			if w.matches(f) {
				found, matched[i] = true, true
			}
		}
		if !found {
			probs = append(probs, "no finding "+w.String())
		}
	}
	if e.Only {
		for i, f := range v.Findings {
			if !matched[i] && !slices.ContainsFunc(e.Tolerated, func(w Want) bool { return w.matches(f) }) {
				probs = append(probs, fmt.Sprintf("unexpected finding %s %s: %s", f.Rule, f.Subject, f.Message))
			}
		}
	}
	for _, w := range e.Absent {
		for _, f := range v.Findings {
			if w.matches(f) {
				probs = append(probs, fmt.Sprintf("finding %s %s should be absent: %s", f.Rule, f.Subject, f.Message))
			}
		}
	}
	for _, w := range e.Groups {
		found := false
		for _, g := range v.Groups {
			if g.Kind == w.Kind && g.Name == w.Name {
				found = true
				if g.Healthy != w.Healthy || g.Total != w.Total {
					probs = append(probs, fmt.Sprintf("group %s %s is %d/%d healthy, want %d/%d", g.Kind, g.Name, g.Healthy, g.Total, w.Healthy, w.Total))
				}
			}
		}
		if !found {
			probs = append(probs, "no group "+w.String())
		}
	}
	if !e.AllowErrors {
		for _, ce := range v.Errors {
			probs = append(probs, fmt.Sprintf("collector error %s: %s: %s", ce.Collector, ce.Path, ce.Error))
		}
	}
	if len(probs) > 0 {
		return fmt.Errorf("lab: verdict %s:\n  %s", v.Summary(), strings.Join(probs, "\n  "))
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
