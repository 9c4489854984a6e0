package cli

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/redwatch/redwatch/collectors"
	"github.com/redwatch/redwatch/internal/engine"
	"github.com/redwatch/redwatch/rules"
)

// ANSI colours for the table.
const (
	ansiReset  = "\x1b[0m"
	ansiRed    = "\x1b[31m"
	ansiYellow = "\x1b[33m"
	ansiGreen  = "\x1b[32m"
	ansiCyan   = "\x1b[36m"
	ansiBold   = "\x1b[1m"
)

func paint(on bool, color, s string) string {
	if !on {
		return s
	}
	return color + s + ansiReset
}

func statusColor(s rules.Status) string {
	switch s {
	case rules.StatusCritical:
		return ansiRed
	case rules.StatusWarning:
		return ansiYellow
	case rules.StatusUnknown:
		return ansiCyan
	}
	return ansiGreen
}

func severityColor(s rules.Severity) string {
	switch s {
	case rules.Critical:
		return ansiRed
	case rules.Warning:
		return ansiYellow
	}
	return ansiCyan
}

// memberColor colours a member by whether it counts as healthy.
func memberColor(m rules.Member) string {
	switch m.State {
	case "up", "in_sync":
		return ansiGreen
	case "spare", "rebuilding":
		return ansiYellow
	}
	return ansiRed
}

// statusNotes are what a pass's status line says besides the status: the
// maintenance windows on and how many findings are pending.
func statusNotes(p *engine.Pass) []string {
	var notes []string
	for i := range p.Maintenance {
		notes = append(notes, esc(p.Maintenance[i].String()))
	}
	if n := len(p.Pending); n > 0 {
		notes = append(notes, fmt.Sprintf("%d pending", n))
	}
	return notes
}

// silenced is what a finding's line adds when a maintenance window covers
// it: " [silenced: maintenance of subject md0 until ...]", or "".
func silenced(p *engine.Pass, f rules.Finding) string {
	if !f.Maintenance {
		return ""
	}
	if m := rules.Silencing(p.Maintenance, f); m != nil {
		return " [silenced: " + m.String() + "]"
	}
	return " [silenced: maintenance]"
}

// writeTable prints what a person reads first: the status, the findings
// worst first, the groups with their members, what could not be read, then
// the pending findings.
func writeTable(w io.Writer, p *engine.Pass, color bool) {
	r := p.Result
	status := paint(color, statusColor(r.Status), strings.ToUpper(r.Status.String()))
	if notes := statusNotes(p); len(notes) > 0 {
		status += " (" + strings.Join(notes, "; ") + ")"
	}
	fmt.Fprintf(w, "%s %s\n", paint(color, ansiBold, "STATUS"), status)
	if len(r.Findings) > 0 {
		fmt.Fprintf(w, "\n%s\n", paint(color, ansiBold, "FINDINGS"))
		for _, f := range r.Findings {
			fmt.Fprintf(w, "  %-8s  %-28s  %s%s\n", paint(color, severityColor(f.Severity), strings.ToUpper(f.Severity.String())), esc(f.Rule), esc(f.Message), esc(silenced(p, f)))
			fmt.Fprintf(w, "  %-8s  %-28s  -> %s\n", "", "", esc(f.Remediation))
		}
	}
	if len(r.Groups) > 0 {
		fmt.Fprintf(w, "\n%s\n", paint(color, ansiBold, "GROUPS"))
		for _, g := range r.Groups {
			members := make([]string, 0, len(g.Members))
			for _, m := range g.Members {
				label := m.Name + "(" + m.State + ")"
				if sw := m.Switch(); sw != "" {
					label = m.Name + "(" + m.State + ", " + sw + ")"
				}
				members = append(members, paint(color, memberColor(m), esc(label)))
			}
			if g.NotObservable {
				fmt.Fprintln(w, strings.TrimRight(fmt.Sprintf("  %-4s  %-10s  %s  %s", esc(g.Kind), esc(g.Name), paint(color, ansiCyan, notObservableText(g)), strings.Join(members, " ")), " "))
				continue
			}
			red := ""
			if g.Redundancy != "" {
				red = ", redundancy " + strings.ReplaceAll(esc(g.Redundancy), "_", " ")
			}
			fmt.Fprintf(w, "  %-4s  %-10s  %d/%d healthy, %d needed%s  %s\n", esc(g.Kind), esc(g.Name), g.Healthy, g.Total, g.Needed, red, strings.Join(members, " "))
		}
	}
	if len(r.Neighbors) > 0 {
		fmt.Fprintf(w, "\n%s\n", paint(color, ansiBold, "LLDP NEIGHBOURS (interfaces outside bonds)"))
		for _, n := range r.Neighbors {
			fmt.Fprintf(w, "  %-10s  %s (chassis %s)\n", esc(n.Interface), esc(n.String()), esc(n.Switch))
		}
	}
	if len(r.Errors) > 0 {
		fmt.Fprintf(w, "\n%s\n", paint(color, ansiBold, "COULD NOT READ"))
		for _, e := range r.Errors {
			fmt.Fprintf(w, "  %-8s  %s\n", esc(e.Collector), errorText(e))
		}
	}
	if len(r.Findings) == 0 && observable(r.Groups) == 0 && len(r.Errors) == 0 {
		fmt.Fprintln(w, "\nno redundancy groups found (no bonds, no redundant md arrays)")
	}
	writePending(w, p.Pending)
}

// writePending prints the pending findings under the table.
func writePending(w io.Writer, pending []rules.Pending) {
	if len(pending) == 0 {
		return
	}
	fmt.Fprintf(w, "\nPENDING (not counted until they hold for their rule's `for`)\n")
	for _, f := range pending {
		fmt.Fprintf(w, "  %-8s  %-28s  %s\n", strings.ToUpper(f.Severity.String()), esc(f.Rule), esc(f.Message))
		fmt.Fprintf(w, "  %-8s  %-28s  first seen %s, counts from %s\n", "", "", f.FirstSeen.UTC().Format(time.RFC3339), f.Due.UTC().Format(time.RFC3339))
	}
}

// nagiosText makes s safe for one Nagios output line: control characters
// (a newline would start another line) escaped, and '|', which starts the
// perfdata, replaced.
func nagiosText(s string) string {
	return strings.ReplaceAll(esc(s), "|", "/")
}

// errorText is an error entry without its collector: "path: reason", or
// the reason alone when it has no path (a collector cut off by a timeout).
func errorText(e collectors.Error) string {
	if e.Path == "" {
		return esc(e.Reason())
	}
	return esc(e.Path) + ": " + esc(e.Reason())
}

// nagiosError is an error entry for the Nagios lines.
func nagiosError(e collectors.Error) string {
	if e.Path == "" {
		return esc(e.Error())
	}
	return "cannot read " + errorText(e)
}

// plural is "1 group" or "2 groups".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// notObservableText is what the table says of a group whose redundancy no
// source can observe (rules.Group.NotObservable), instead of its counts.
func notObservableText(g rules.Group) string {
	if len(g.Members) == 0 {
		return "redundancy not observable: no source counts the supplies"
	}
	return "redundancy not observable: one adapter stands for all supplies"
}

// observable counts the groups whose redundancy can be observed: a group
// listed as not observable is neither healthy nor degraded.
func observable(groups []rules.Group) int {
	n := 0
	for _, g := range groups {
		if !g.NotObservable {
			n++
		}
	}
	return n
}

// degraded reports whether a group lost a member: one that is neither
// healthy nor a hot spare (a spare is redundancy in reserve, not a loss) nor
// an md write journal (not a data member), or fewer healthy members than it
// needs (the kernel's counters can say so when the members do not).
func degraded(g rules.Group) bool {
	if g.NotObservable {
		return false
	}
	if g.Healthy < g.Needed {
		return true
	}
	for _, m := range g.Members {
		if !m.Healthy && m.State != collectors.MemberSpare && m.State != collectors.MemberJournal {
			return true
		}
	}
	return false
}

// writeNagios prints the pass as a Nagios plugin does: one status line with
// the summary and the perfdata, then (the plugin guidelines' long output)
// one line per finding, read error and pending finding, every one of them.
func writeNagios(w io.Writer, p *engine.Pass) {
	r := p.Result
	counts := map[rules.Severity]int{}
	for _, f := range r.Findings {
		counts[f.Severity]++
	}
	nDegraded, nGroups := 0, observable(r.Groups)
	for _, g := range r.Groups {
		if degraded(g) {
			nDegraded++
		}
	}
	var summary string
	switch {
	case len(r.Findings) > 0:
		var by []string
		for _, s := range []rules.Severity{rules.Critical, rules.Warning, rules.Info} {
			if counts[s] > 0 {
				by = append(by, fmt.Sprintf("%d %s", counts[s], s))
			}
		}
		summary = fmt.Sprintf("%s (%s): %s", plural(len(r.Findings), "finding", "findings"), strings.Join(by, ", "), r.Findings[0].Message)
	case len(r.Errors) > 0:
		summary = nagiosError(r.Errors[0])
	case nGroups == 0:
		summary = "no redundancy groups found"
	case nDegraded == 0:
		summary = plural(nGroups, "redundancy group healthy", "redundancy groups healthy")
	default:
		summary = fmt.Sprintf("%d of %s degraded; no finding counts (pending or disabled)", nDegraded, plural(nGroups, "redundancy group", "redundancy groups"))
	}
	if nGroups < len(r.Groups) && len(r.Findings) == 0 {
		summary += "; power redundancy not observable"
	}
	if len(r.Findings) > 0 && len(r.Errors) > 0 {
		// The first error is named: a failed source or state directory is
		// part of the verdict, not a footnote.
		summary += "; " + plural(len(r.Errors), "read error", "read errors") + ", first: " + nagiosError(r.Errors[0])
	}
	if notes := statusNotes(p); len(notes) > 0 {
		summary = "[" + strings.Join(notes, "; ") + "] " + summary
	}
	fmt.Fprintf(w, "REDWATCH %s - %s | critical=%d;;;0 warning=%d;;;0 errors=%d;;;0 groups=%d;;;0 groups_degraded=%d;;;0 groups_not_observable=%d;;;0\n",
		strings.ToUpper(r.Status.String()), nagiosText(summary), counts[rules.Critical], counts[rules.Warning], len(r.Errors), nGroups, nDegraded, len(r.Groups)-nGroups)
	for _, f := range r.Findings {
		fmt.Fprintln(w, nagiosText(fmt.Sprintf("%s %s: %s%s", strings.ToUpper(f.Severity.String()), f.Rule, f.Message, silenced(p, f))))
	}
	for _, e := range r.Errors {
		fmt.Fprintln(w, nagiosText("UNKNOWN "+nagiosError(e)))
	}
	for _, f := range p.Pending {
		fmt.Fprintln(w, nagiosText(fmt.Sprintf("PENDING %s %s: %s (counts from %s)", f.Severity, f.Rule, f.Message, f.Due.UTC().Format(time.RFC3339))))
	}
}
