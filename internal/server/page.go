package server

import (
	"bytes"
	"html/template"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/redwatch/redwatch/alerts"
	"github.com/redwatch/redwatch/collectors"
	"github.com/redwatch/redwatch/rules"
)

// pageData is what the status page shows.
type pageData struct {
	Ready    bool
	Status   string
	Host     string
	Time     string
	Ago      string
	Trigger  string
	Findings []rules.Finding
	// Maintenance are the maintenance windows on during the pass.
	Maintenance []rules.Maintenance
	Groups      []rules.Group
	// Neighbors are the LLDP neighbours of the interfaces outside bonds.
	Neighbors []rules.NICNeighbor
	Errors    []collectors.Error
	// Alerts are the active alerts; ShowAlerts is false when the daemon sends none.
	Alerts     []alerts.Alert
	ShowAlerts bool
	// Channels are the alert channels' delivery states.
	Channels []alerts.ChannelStatus
	// Disks are the disks of the inventory and of the SMART source.
	Disks []diskRow
	// RAID are the hardware RAID controllers with their VDs and drives.
	RAID []raidRow
}

// diskRow is one disk on the status page.
type diskRow struct {
	Name, Model, Serial, Transport, Controller, State, Smart string
	Bad                                                      bool
}

// diskRows joins the disk inventory and the SMART reads by disk name.
func diskRows(s *collectors.Snapshot) []diskRow {
	smart := map[string]*collectors.Disk{}
	for i := range s.Disks {
		smart[s.Disks[i].Name] = &s.Disks[i]
	}
	word := func(d *collectors.Disk) (string, bool) {
		sm := d.Smart
		switch {
		case sm.NoSmart:
			return "no SMART", false
		case sm.Passed != nil && !*sm.Passed:
			return "FAILED", true
		case sm.CriticalWarning > 0:
			return "critical warning", true
		case sm.Passed != nil:
			return "passed", false
		}
		return "", false
	}
	var rows []diskRow
	for _, b := range s.BlockDisks {
		r := diskRow{Name: b.Name, Model: b.Model, Serial: b.Serial, Transport: b.Transport, Controller: b.Controller, State: b.State, Bad: b.Down()}
		if b.ControllerDriver != "" {
			r.Controller += " (" + b.ControllerDriver + ")"
		}
		if d := smart[b.Name]; d != nil {
			w, bad := word(d)
			r.Smart, r.Bad = w, r.Bad || bad
			delete(smart, b.Name)
		}
		rows = append(rows, r)
	}
	for _, d := range s.Disks { // read by smartctl only: behind a RAID controller, or a tree without sysfs
		if smart[d.Name] == nil {
			continue
		}
		w, bad := word(&d)
		rows = append(rows, diskRow{Name: d.Name, Model: d.Smart.Model, Serial: d.Smart.Serial, Smart: w, Bad: bad})
	}
	return rows
}

// stamp formats a time for the page, "never" for zero.
func stamp(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format("2006-01-02T15:04:05Z")
}

// memberClass is the CSS class of a member's state.
func memberClass(m rules.Member) string {
	switch {
	case m.State == "spare":
		return "spare"
	case m.Healthy:
		return "ok"
	case m.State == "rebuilding" || m.State == "resync" || m.State == "recovering":
		return "warning"
	}
	return "critical"
}

// groupClass is the CSS class of a group: "unobservable" (grey) for one
// whose redundancy no source can observe, neither healthy nor failed.
func groupClass(g rules.Group) string {
	if g.NotObservable {
		return "unobservable"
	}
	if g.Healthy >= g.Needed {
		return "ok"
	}
	return "critical"
}

// codeSpans renders text in which `...` marks a command as HTML: the text
// escaped, each command in a <code> element (an unpaired backtick stays).
func codeSpans(s string) template.HTML {
	parts := strings.Split(s, "`")
	if len(parts)%2 == 0 { // an odd number of backticks: the last one is text
		parts[len(parts)-2] += "`" + parts[len(parts)-1]
		parts = parts[:len(parts)-1]
	}
	var b strings.Builder
	for i, p := range parts {
		if i%2 == 1 {
			b.WriteString("<code>" + template.HTMLEscapeString(p) + "</code>")
		} else {
			b.WriteString(template.HTMLEscapeString(p))
		}
	}
	return template.HTML(b.String()) //nolint:gosec // every part is escaped above
}

var pageTmpl = template.Must(template.New("page").Funcs(template.FuncMap{
	"memberClass": memberClass,
	"groupClass":  groupClass,
	"stamp":       stamp,
	"codeSpans":   codeSpans,
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="10">
<title>redwatch{{if .Host}} · {{.Host}}{{end}} · {{.Status}}</title>
<style>
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f4f5f7;color:#1d2430}
header{padding:18px 28px;color:#fff;display:flex;align-items:baseline;gap:18px;flex-wrap:wrap}
header h1{margin:0;font-size:26px;letter-spacing:.04em}
header .meta{opacity:.9}
header.ok{background:#1f7a3f}header.warning{background:#a86400}header.critical{background:#b3261e}header.unknown{background:#5b4a8a}
main{padding:8px 28px 28px;max-width:1100px}
h2{font-size:17px;margin:22px 0 8px}
table{border-collapse:collapse;width:100%;background:#fff;box-shadow:0 1px 2px rgba(0,0,0,.08)}
th,td{text-align:left;padding:7px 10px;border-bottom:1px solid #e5e7eb;vertical-align:top}
th{background:#eef0f3;font-weight:600}
.sev{font-weight:700;text-transform:uppercase;font-size:12px;padding:2px 7px;border-radius:3px;color:#fff;white-space:nowrap}
.sev.critical{background:#b3261e}.sev.warning{background:#a86400}.sev.info{background:#4b5563}
.rem{color:#4b5563;font-size:13px}
.groups{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:12px}
.group{background:#fff;border-left:5px solid #1f7a3f;padding:10px 12px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
.group.critical{border-left-color:#b3261e}.group.unobservable{border-left-color:#9ca3af}
.group h3{margin:0 0 6px;font-size:15px}.group .count{color:#4b5563;font-weight:400;font-size:13px}
.member{display:inline-block;margin:3px 4px 3px 0;padding:3px 8px;border-radius:3px;font-size:13px;font-family:ui-monospace,monospace}
.member.ok{background:#d7f0df;color:#14532d}.member.critical{background:#fbd5d2;color:#7f1d1d;font-weight:700}
tr.bad td{background:#fbd5d2;color:#7f1d1d;font-weight:700}
.member.warning{background:#fde7c2;color:#7c4a03}.member.spare{background:#e5e7eb;color:#374151}
.none{color:#4b5563}
code{font-family:ui-monospace,monospace;font-size:13px}
.dlv.delivered b{color:#14532d}.dlv.queued b{color:#7c4a03}.dlv.failed b{color:#7f1d1d}
.dlv{font-size:13px}td .dlv+.dlv{margin-top:2px}
</style>
</head>
<body>
{{if .Ready}}
<header class="{{.Status}}"><h1>{{.Status}}</h1>
<span class="meta">{{if .Host}}{{.Host}} · {{end}}last pass {{.Time}} ({{.Ago}} ago, {{.Trigger}})</span></header>
<main>
{{if .Maintenance}}<h2>Maintenance</h2>
<ul class="maint">{{range .Maintenance}}<li>{{if .Scope}}{{.Scope}}{{else}}the whole host{{end}}, until {{stamp .Until}}{{if .Reason}}: {{.Reason}}{{end}}</li>{{end}}</ul>{{end}}
<h2>Findings</h2>
{{if .Findings}}<table><tr><th>Severity</th><th>Subject</th><th>Finding</th><th>Rule</th></tr>
{{range .Findings}}<tr><td><span class="sev {{.Severity}}">{{.Severity}}</span></td><td><code>{{.Subject}}</code></td>
<td>{{.Message}}{{if .Maintenance}}<div class="rem">silenced by maintenance: reported, nobody notified</div>{{end}}{{with .Stale}}<div class="rem">stale: not read since {{.Since.UTC.Format "2006-01-02T15:04:05Z"}} ({{.Error}})</div>{{end}}{{if .Remediation}}<div class="rem">{{codeSpans .Remediation}}</div>{{end}}</td><td><code>{{.Rule}}</code></td></tr>
{{end}}</table>{{else}}<p class="none">No findings.</p>{{end}}
<h2>Redundancy groups</h2>
{{if .Groups}}<div class="groups">
{{range .Groups}}<div class="group {{groupClass .}}"><h3>{{.Kind}} {{.Name}} <span class="count">{{if .NotObservable}}redundancy not observable: {{if .Members}}one adapter stands for all supplies{{else}}no source counts the supplies{{end}}{{else}}{{.Healthy}}/{{.Total}} healthy, needs {{.Needed}}{{with .Redundancy}}, redundancy {{.}}{{end}}{{end}}</span></h3>
{{with .Stale}}<div class="rem">stale: not read since {{.Since.UTC.Format "2006-01-02T15:04:05Z"}} ({{.Error}})</div>{{end}}
{{range .Members}}<span class="member {{memberClass .}}" title="{{.State}}">{{.Name}} · {{.State}}{{with .Switch}} · {{.}}{{end}}</span>{{end}}
</div>
{{end}}</div>{{else}}<p class="none">No redundancy groups found.</p>{{end}}
{{if .Disks}}<h2>Disks</h2>
<table><tr><th>Disk</th><th>Model</th><th>Serial</th><th>Transport</th><th>Controller</th><th>State</th><th>SMART</th></tr>
{{range .Disks}}<tr{{if .Bad}} class="bad"{{end}}><td><code>{{.Name}}</code></td><td>{{.Model}}</td><td>{{.Serial}}</td><td>{{.Transport}}</td><td>{{.Controller}}</td><td>{{.State}}</td><td>{{.Smart}}</td></tr>{{end}}</table>{{end}}
{{if .Neighbors}}<h2>LLDP neighbours outside bonds</h2>
<table><tr><th>Interface</th><th>Switch</th><th>Port</th><th>Chassis</th></tr>
{{range .Neighbors}}<tr><td><code>{{.Interface}}</code></td><td>{{.SwitchName}}</td><td>{{.SwitchPort}}</td><td><code>{{.Switch}}</code></td></tr>{{end}}</table>{{end}}
{{if .RAID}}<h2>RAID controllers</h2>
<table><tr><th>Controller</th><th>Status</th><th>Cache</th><th>Virtual drives</th><th>Drives (slot · state)</th></tr>
{{range .RAID}}<tr{{if .Bad}} class="bad"{{end}}><td><code>{{.ID}}</code> {{.Model}} <span class="count">{{.Tool}}</span></td><td>{{.Status}}</td><td>{{.Cache}}</td><td>{{range .VDs}}<div>{{.}}</div>{{end}}</td><td>{{range .Drives}}<div>{{.}}</div>{{end}}</td></tr>{{end}}</table>{{end}}
{{if .ShowAlerts}}<h2>Alerts</h2>
{{if .Alerts}}<table><tr><th>Severity</th><th>Subject</th><th>Rule</th><th>Firing since</th><th>Delivery</th></tr>
{{range .Alerts}}<tr><td><span class="sev {{.Severity}}">{{.Severity}}</span></td><td><code>{{.Subject}}</code>{{with .Stale}}<div class="rem">kept firing: source stale since {{stamp .Since}}</div>{{end}}</td><td><code>{{.Rule}}</code></td>
<td>{{stamp .StartsAt}}</td><td>{{if .Maintenance}}in maintenance: nobody{{else}}{{range .Deliveries}}<div class="dlv {{.State}}"><b>{{.Channel}}</b>: {{if eq .State "delivered"}}delivered {{stamp .Delivered}}{{else if eq .State "failed"}}failed, dropped: {{.Error}}{{else}}queued since {{stamp .Queued}}{{if .Attempts}}, {{.Attempts}} failed attempts, last error: {{.Error}}{{end}}{{if not .Delivered.IsZero}} (delivered earlier {{stamp .Delivered}}){{end}}{{end}}</div>{{else}}no channel{{end}}{{end}}</td></tr>
{{end}}</table>{{else}}<p class="none">No alert is firing.</p>{{end}}
{{if .Channels}}<h2>Alert channels</h2>
<table><tr><th>Channel</th><th>Type</th><th>Queued</th><th>Last delivered</th><th>Last error</th></tr>
{{range .Channels}}<tr class="dlv {{if and .Queued .Attempts}}queued{{else}}delivered{{end}}"><td><b>{{.Name}}</b></td><td>{{.Type}}</td><td>{{.Queued}}</td><td>{{stamp .LastDelivered}}</td>
<td>{{if .LastError}}{{stamp .LastErrorAt}}{{if .Attempts}} ({{.Attempts}} failed attempts at the message now first in the queue){{end}}: {{.LastError}}{{else}}none{{end}}</td></tr>
{{end}}</table>{{end}}{{end}}
{{if .Errors}}<h2>Could not read</h2>
<table><tr><th>Collector</th><th>Path</th><th>Error</th></tr>
{{range .Errors}}<tr><td>{{.Collector}}</td><td><code>{{.Path}}</code></td><td>{{.Reason}}</td></tr>{{end}}</table>{{end}}
</main>
{{else}}
<header class="unknown"><h1>starting</h1><span class="meta">no pass has run yet</span></header>
{{end}}
</body>
</html>
`))

// page serves the status page for a person.
func (s *Server) page(w http.ResponseWriter, _ *http.Request) {
	d := pageData{Status: "unknown"}
	if r := s.opts.Last(); r != nil && r.Pass != nil {
		res := r.Pass.Result
		d.Ready = true
		d.Status = res.Status.String()
		if r.Pass.Snapshot != nil {
			d.Host = r.Pass.Snapshot.Host
			d.Disks = diskRows(r.Pass.Snapshot)
			d.RAID = raidRows(r.Pass.Snapshot)
		}
		d.Time = r.Pass.Started.Format(time.RFC3339)
		d.Ago = s.opts.Clock.Now().Sub(r.Pass.Started).Round(time.Second).String()
		d.Trigger = r.Trigger
		d.Findings = append([]rules.Finding(nil), res.Findings...)
		sort.SliceStable(d.Findings, func(i, j int) bool { return d.Findings[i].Severity > d.Findings[j].Severity })
		d.Groups = res.Groups
		d.Neighbors = res.Neighbors
		d.Errors = res.Errors
		d.Maintenance = r.Pass.Maintenance
		if s.opts.Alerts != nil {
			d.ShowAlerts, d.Alerts = true, s.opts.Alerts()
		}
		if s.opts.Channels != nil {
			d.Channels = s.opts.Channels()
		}
	}
	var b bytes.Buffer
	if err := pageTmpl.Execute(&b, d); err != nil {
		http.Error(w, "server: render: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	_, _ = w.Write(b.Bytes())
}
