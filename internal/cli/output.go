package cli

import (
	"fmt"
	"io"
	"strings"
	"time"

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
// maintenance window and how many findings are pending.
func statusNotes(p *engine.Pass) []string {
	var notes []string
	if p.Maintenance != nil {
		notes = append(notes, p.Maintenance.String())
	}
	if n := len(p.Pending); n > 0 {
		notes = append(notes, fmt.Sprintf("%d pending", n))
	}
	return notes
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
			fmt.Fprintf(w, "  %-8s  %-28s  %s\n", paint(color, severityColor(f.Severity), strings.ToUpper(f.Severity.String())), f.Rule, f.Message)
			fmt.Fprintf(w, "  %-8s  %-28s  -> %s\n", "", "", f.Remediation)
		}
	}
	if len(r.Groups) > 0 {
		fmt.Fprintf(w, "\n%s\n", paint(color, ansiBold, "GROUPS"))
		for _, g := range r.Groups {
			members := make([]string, 0, len(g.Members))
			for _, m := range g.Members {
				members = append(members, paint(color, memberColor(m), m.Name+"("+m.State+")"))
			}
			fmt.Fprintf(w, "  %-4s  %-10s  %d/%d healthy, %d needed  %s\n", g.Kind, g.Name, g.Healthy, g.Total, g.Needed, strings.Join(members, " "))
		}
	}
	if len(r.Errors) > 0 {
		fmt.Fprintf(w, "\n%s\n", paint(color, ansiBold, "COULD NOT READ"))
		for _, e := range r.Errors {
			fmt.Fprintf(w, "  %-8s  %s: %s\n", e.Collector, e.Path, e.Err)
		}
	}
	if len(r.Findings) == 0 && len(r.Groups) == 0 && len(r.Errors) == 0 {
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
		fmt.Fprintf(w, "  %-8s  %-28s  %s\n", strings.ToUpper(f.Severity.String()), f.Rule, f.Message)
		fmt.Fprintf(w, "  %-8s  %-28s  first seen %s, counts from %s\n", "", "", f.FirstSeen.UTC().Format(time.RFC3339), f.Due.UTC().Format(time.RFC3339))
	}
}

// nagiosText makes s safe for a Nagios line: '|' starts the perfdata.
func nagiosText(s string) string { return strings.ReplaceAll(s, "|", "/") }

// writeNagios prints one Nagios plugin status line with perfdata.
func writeNagios(w io.Writer, p *engine.Pass) {
	r := p.Result
	counts := map[rules.Severity]int{}
	for _, f := range r.Findings {
		counts[f.Severity]++
	}
	degraded := 0
	for _, g := range r.Groups {
		if g.Healthy < g.Total {
			degraded++
		}
	}
	var summary string
	switch {
	case len(r.Findings) > 0:
		msgs := make([]string, 0, 3)
		for i, f := range r.Findings {
			if i == 3 {
				msgs = append(msgs, fmt.Sprintf("and %d more", len(r.Findings)-3))
				break
			}
			msgs = append(msgs, f.Message)
		}
		summary = strings.Join(msgs, "; ")
	case len(r.Errors) > 0:
		summary = fmt.Sprintf("cannot read %s: %s", r.Errors[0].Path, r.Errors[0].Err)
	default:
		summary = fmt.Sprintf("%d redundancy groups healthy", len(r.Groups))
	}
	if len(r.Findings) > 0 && len(r.Errors) > 0 {
		summary += fmt.Sprintf("; %d read errors", len(r.Errors))
	}
	if notes := statusNotes(p); len(notes) > 0 {
		summary = "[" + strings.Join(notes, "; ") + "] " + summary
	}
	fmt.Fprintf(w, "REDWATCH %s - %s | critical=%d;;;0 warning=%d;;;0 errors=%d;;;0 groups=%d;;;0 groups_degraded=%d;;;0\n",
		strings.ToUpper(r.Status.String()), nagiosText(summary), counts[rules.Critical], counts[rules.Warning], len(r.Errors), len(r.Groups), degraded)
}
