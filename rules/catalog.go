package rules

import (
	"fmt"
	"slices"
	"strings"
)

// RuleInfo describes one rule for `redwatch rules` and the reference in docs/rules.md.
type RuleInfo struct {
	ID string `json:"id"`
	// Source is "builtin", "expect", "baseline", "actions" or "user".
	Source      string `json:"source"`
	Severity    string `json:"severity"`
	Effective   string `json:"effective_severity"`
	Checks      string `json:"checks"`
	Remediation string `json:"remediation"`
	// Notes are the subject-scoped overrides, e.g. "critical for [bond0/*]".
	Notes []string `json:"notes,omitempty"`
}

// RuleIDs returns the ID of every rule redwatch itself defines.
func RuleIDs() []string {
	var ids []string
	for _, r := range Builtin() {
		ids = append(ids, r.ID)
	}
	for _, r := range slices.Concat(expectRules, baselineRules) {
		ids = append(ids, r.ID)
	}
	for _, r := range actionRules {
		ids = append(ids, r.ID)
	}
	return ids
}

// Catalog lists every rule, built-in then expectation, baseline and user
// rules, with its effective severity under the controls.
func Catalog(cs []Control, user []*UserRule) []RuleInfo {
	var out []RuleInfo
	add := func(src string, r Rule) {
		eff, notes := describeControl(cs, r.ID, r.Severity)
		out = append(out, RuleInfo{ID: r.ID, Source: src, Severity: r.Severity.String(), Effective: eff,
			Checks: r.Checks, Remediation: r.Remediation, Notes: notes})
	}
	for _, r := range Builtin() {
		add("builtin", r)
	}
	for _, r := range expectRules {
		add("expect", r.Rule)
	}
	for _, r := range baselineRules {
		add("baseline", r.Rule)
	}
	for _, r := range actionRules {
		add("actions", r)
	}
	for _, u := range user {
		checks := u.Spec.Checks
		if checks == "" {
			checks = "expr: " + strings.Join(strings.Fields(u.Spec.Expr), " ")
			if u.Spec.ForEach != "" {
				checks = "for each of " + u.Spec.ForEach + ", " + checks
			}
		}
		add("user", Rule{ID: u.Spec.ID, Severity: u.Spec.Severity, Checks: checks, Remediation: u.Spec.Remediation})
	}
	return out
}

// Markdown renders the rule reference of docs/rules.md from the built-in
// catalog (no configuration).
func Markdown() string {
	var b strings.Builder
	b.WriteString("| Rule | Severity | Checks | Remediation |\n|---|---|---|---|\n")
	for _, r := range Catalog(nil, nil) {
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", r.ID, r.Severity, mdCell(r.Checks), mdCell(r.Remediation))
	}
	return b.String()
}

func mdCell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
