package server

import (
	"slices"
	"sort"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/redwatch/redwatch/collectors"
	"github.com/redwatch/redwatch/internal/buildinfo"
	"github.com/redwatch/redwatch/internal/daemon/report"
	"github.com/redwatch/redwatch/rules"
)

// Metric descriptions. Every metric reads the last pass; a scrape never
// starts I/O of its own.
var (
	descStatus = prometheus.NewDesc("redwatch_status",
		"Verdict of the last pass as the Nagios code: 0 ok, 1 warning, 2 critical, 3 unknown.", nil, nil)
	descGroupMembers = prometheus.NewDesc("redwatch_group_members",
		"Members of a redundancy group, including missing slots and spares.", []string{"kind", "name"}, nil)
	descGroupHealthy = prometheus.NewDesc("redwatch_group_healthy_members",
		"Healthy members of a redundancy group.", []string{"kind", "name"}, nil)
	descGroupNeeded = prometheus.NewDesc("redwatch_group_needed_members",
		"Healthy members a redundancy group needs to survive one more failure.", []string{"kind", "name"}, nil)
	descMemberHealthy = prometheus.NewDesc("redwatch_member_healthy",
		"1 if the group member counts as healthy, 0 if not.", []string{"kind", "group", "member"}, nil)
	descMemberState = prometheus.NewDesc("redwatch_member_state",
		"1 for the state a group member is in, 0 for every other state of its kind (bond: up, down, going down, going back; md: in_sync, rebuilding, spare, faulty, missing, journal, unknown; psu: online, offline, absent, unhealthy, unknown; multipath: active, failed, faulty, offline, blocked, transport-offline, missing, unknown; btrfs: present, missing; zfs: ONLINE, DEGRADED, FAULTED, OFFLINE, UNAVAIL, REMOVED).",
		[]string{"kind", "group", "member", "state"}, nil)
	descFinding = prometheus.NewDesc("redwatch_finding",
		"A finding of the last pass; the value is always 1.", []string{"rule", "severity", "subject"}, nil)
	descFindings = prometheus.NewDesc("redwatch_findings",
		"Number of findings of the last pass by severity.", []string{"severity"}, nil)
	descCollectorSuccess = prometheus.NewDesc("redwatch_collector_success",
		"1 if the collector read everything it found in the last pass, 0 if it reported an error or timed out.",
		[]string{"collector"}, nil)
	descCollectorDuration = prometheus.NewDesc("redwatch_collector_duration_seconds",
		"How long the collector took in the last pass.", []string{"collector"}, nil)
	descErrors = prometheus.NewDesc("redwatch_collector_errors",
		"Number of paths the collector could not read or parse in the last pass.", []string{"collector"}, nil)
	descPasses = prometheus.NewDesc("redwatch_passes_total",
		"Passes run since the daemon started, by trigger (start, event, interval, reload) and kind (full: every source read; incremental: after events, only their subsystems' sources re-read).",
		[]string{"trigger", "kind"}, nil)
	descEvents = prometheus.NewDesc("redwatch_events_total",
		"Events received since the daemon started, by source.", []string{"source"}, nil)
	descSourceUp = prometheus.NewDesc("redwatch_event_source_up",
		"1 if the event source is delivering events, 0 if it is unavailable (the interval covers for it).",
		[]string{"source"}, nil)
	descPassDuration = prometheus.NewDesc("redwatch_pass_duration_seconds",
		"How long the last pass took (collect and evaluate).", nil, nil)
	descLastPass = prometheus.NewDesc("redwatch_last_pass_timestamp_seconds",
		"When the last pass started, in seconds since the Unix epoch.", nil, nil)
	descInterval = prometheus.NewDesc("redwatch_interval_seconds",
		"The safety-net interval between passes.", nil, nil)
	descReloadOK = prometheus.NewDesc("redwatch_config_last_reload_successful",
		"1 if the last configuration reload (SIGHUP) succeeded, 0 if it failed and an older configuration is in force.", nil, nil)
	descReloadTime = prometheus.NewDesc("redwatch_config_last_reload_success_timestamp_seconds",
		"When the configuration in force was loaded (at start or by the last successful reload), in seconds since the Unix epoch.", nil, nil)
	descLLDPNeighbor = prometheus.NewDesc("redwatch_lldp_neighbor_info",
		"An LLDP neighbour heard on a local interface (lldpd's, or a captured tree's lldp/neighbors.json): chassis_id and port_id are subtype:value; the value is always 1.",
		[]string{"interface", "chassis_id", "system_name", "port_id"}, nil)
	descDiskInfo = prometheus.NewDesc("redwatch_disk_info",
		"A whole disk of /sys/block with its identity and the controller (PCI function, else SCSI host) it hangs off; the value is always 1.",
		[]string{"disk", "model", "serial", "transport", "controller", "controller_driver"}, nil)
	descDiskUp = prometheus.NewDesc("redwatch_disk_up",
		"1 if the disk's device state (SCSI device/state, NVMe controller state) is not one that means it is gone (offline, blocked, dead, ...), 0 if it is; absent for a disk without a state.",
		[]string{"disk", "state"}, nil)
	descDiskSmartHealthy = prometheus.NewDesc("redwatch_disk_smart_healthy",
		"1 if the disk's SMART overall-health self-assessment passed and its NVMe critical_warning is 0, 0 if not; absent for a disk without SMART health.",
		[]string{"disk"}, nil)
	descDiskSmartRead = prometheus.NewDesc("redwatch_disk_smart_last_read_timestamp_seconds",
		"When the live SMART cache last finished reading every disk with smartctl, in seconds since the Unix epoch.", nil, nil)
	descBuildInfo = prometheus.NewDesc("redwatch_build_info",
		"Build of the running redwatch; the value is always 1.",
		[]string{"version", "revision", "builddate", "goversion", "goos", "goarch"}, nil)
)

var allDescs = []*prometheus.Desc{
	descStatus, descGroupMembers, descGroupHealthy, descGroupNeeded, descMemberHealthy, descMemberState,
	descFinding, descFindings, descCollectorSuccess, descCollectorDuration, descErrors, descPasses,
	descEvents, descSourceUp, descPassDuration, descLastPass, descInterval, descBuildInfo, descReloadOK, descReloadTime,
	descLLDPNeighbor, descDiskInfo, descDiskUp, descDiskSmartHealthy, descDiskSmartRead,
}

// passCollector is the Prometheus collector over the last pass.
type passCollector struct {
	last   func() *report.Report
	reload func() report.ReloadStatus
	build  buildinfo.Info
}

// passDescs are the Descs of every pass metric.
func passDescs() []*prometheus.Desc {
	return slices.Concat(allDescs, hwraidDescs, powerDescs)
}

// Describe implements prometheus.Collector.
func (c *passCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range passDescs() {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *passCollector) Collect(ch chan<- prometheus.Metric) {
	c.collect(c.last(), c.reloadStatus(), func(d *prometheus.Desc, t prometheus.ValueType, v float64, labels ...string) {
		send(ch, d, t, v, labels...)
	})
}

// reloadStatus is the outcome of the last configuration load; nil when the
// server was given no Reload.
func (c *passCollector) reloadStatus() *report.ReloadStatus {
	if c.reload == nil {
		return nil
	}
	rs := c.reload()
	return &rs
}

// sampleFunc receives one sample of the pass metrics.
type sampleFunc func(d *prometheus.Desc, t prometheus.ValueType, v float64, labels ...string)

// collect sends the metrics of the report r (nil before the first pass) and
// of the configuration load rs (nil: none) to send: the registry's Collect
// and the exposition rendered once per pass (exposition.go) are views of
// these samples.
func (c *passCollector) collect(r *report.Report, rs *report.ReloadStatus, send sampleFunc) {
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		send(d, prometheus.GaugeValue, v, labels...)
	}
	b := c.build
	gauge(descBuildInfo, 1, b.Version, b.Revision, b.BuildDate, b.GoVersion, b.GOOS, b.GOARCH)
	if rs != nil {
		gauge(descReloadOK, boolFloat(rs.Successful))
		gauge(descReloadTime, float64(rs.LastSuccess.UnixNano())/1e9)
	}
	if r == nil || r.Pass == nil {
		return
	}
	p := r.Pass
	res := p.Result

	gauge(descStatus, float64(res.Status.ExitCode()))
	gauge(descPassDuration, p.Duration.Seconds())
	gauge(descLastPass, float64(p.Started.UnixNano())/1e9)
	gauge(descInterval, r.Interval.Seconds())
	for _, t := range sortedKeys(r.Passes) {
		n := r.Passes[t]
		if t == report.TriggerEvent {
			send(descPasses, prometheus.CounterValue, float64(r.Incremental), t, report.KindIncremental)
			n -= r.Incremental
		}
		send(descPasses, prometheus.CounterValue, float64(n), t, report.KindFull)
	}
	for _, s := range sortedKeys(r.EventsBySource) {
		send(descEvents, prometheus.CounterValue, float64(r.EventsBySource[s]), s)
	}
	for _, s := range sortedKeys(r.Sources) {
		gauge(descSourceUp, boolFloat(r.Sources[s]), s)
	}

	seenGroup := map[[2]string]bool{}
	seenMember := map[[3]string]bool{}
	for _, g := range res.Groups {
		gk := [2]string{g.Kind, g.Name}
		if seenGroup[gk] {
			continue // a duplicate label set would fail the whole scrape
		}
		seenGroup[gk] = true
		if g.NotObservable && len(g.Members) == 0 {
			continue // nothing to count: redwatch_power_observable 0 says so
		}
		gauge(descGroupMembers, float64(g.Total), g.Kind, g.Name)
		gauge(descGroupHealthy, float64(g.Healthy), g.Kind, g.Name)
		gauge(descGroupNeeded, float64(g.Needed), g.Kind, g.Name)
		for _, m := range g.Members {
			mk := [3]string{g.Kind, g.Name, m.Name}
			if seenMember[mk] {
				continue
			}
			seenMember[mk] = true
			gauge(descMemberHealthy, boolFloat(m.Healthy), g.Kind, g.Name, m.Name)
			for _, s := range rules.MemberStates(g.Kind, m.State) {
				gauge(descMemberState, boolFloat(s == m.State), g.Kind, g.Name, m.Name, s)
			}
		}
	}

	counts := map[string]int{}
	for _, s := range []rules.Severity{rules.Info, rules.Warning, rules.Critical} {
		counts[s.String()] = 0
	}
	seenFinding := map[[3]string]bool{}
	for _, f := range res.Findings {
		counts[f.Severity.String()]++
		fk := [3]string{f.Rule, f.Severity.String(), f.Subject}
		if seenFinding[fk] {
			continue
		}
		seenFinding[fk] = true
		gauge(descFinding, 1, fk[0], fk[1], fk[2])
	}
	for _, s := range sortedKeys(counts) {
		gauge(descFindings, float64(counts[s]), s)
	}

	if p.Snapshot != nil && p.Snapshot.LLDP != nil {
		seen := map[[4]string]bool{}
		for _, n := range p.Snapshot.LLDP.Neighbors {
			k := [4]string{n.Interface, n.Chassis.String(), n.SystemName, n.Port.String()}
			if !seen[k] {
				seen[k] = true
				gauge(descLLDPNeighbor, 1, k[:]...)
			}
		}
	}

	if p.Snapshot != nil {
		diskMetrics(p.Snapshot, gauge)
		hwraidMetrics(p.Snapshot, gauge)
		powerMetrics(p.Snapshot, gauge)
	}
	powerObservableMetric(res.Groups, gauge)

	errs := map[string]int{}
	durations := map[string]time.Duration{}
	if p.Snapshot != nil {
		for name, d := range p.Snapshot.Durations {
			durations[name] = d
			errs[name] += 0
		}
	}
	for _, e := range res.Errors {
		errs[e.Collector]++
	}
	for _, name := range sortedKeys(errs) {
		gauge(descCollectorSuccess, boolFloat(errs[name] == 0), name)
		gauge(descErrors, float64(errs[name]), name)
		if d, ok := durations[name]; ok {
			gauge(descCollectorDuration, d.Seconds(), name)
		}
	}
}

// send sends one constant metric; a mismatch (a programming error) becomes
// an invalid metric, which fails the scrape loudly instead of panicking.
// diskMetrics exports the disk inventory and the disks' SMART health.
func diskMetrics(s *collectors.Snapshot, gauge func(d *prometheus.Desc, v float64, labels ...string)) {
	for _, d := range s.BlockDisks {
		gauge(descDiskInfo, 1, d.Name, d.Model, d.Serial, d.Transport, d.Controller, d.ControllerDriver)
		if d.State != "" {
			gauge(descDiskUp, boolFloat(!d.Down()), d.Name, d.State)
		}
	}
	for _, d := range s.Disks {
		if sm := d.Smart; sm.Passed != nil || sm.CriticalWarning >= 0 {
			gauge(descDiskSmartHealthy, boolFloat((sm.Passed == nil || *sm.Passed) && sm.CriticalWarning <= 0), d.Name)
		}
	}
	if s.Smart != nil && !s.Smart.ReadAt.IsZero() && s.Smart.Source == collectors.SmartSourceSmartctl {
		gauge(descDiskSmartRead, float64(s.Smart.ReadAt.UnixNano())/1e9)
	}
}

func send(ch chan<- prometheus.Metric, d *prometheus.Desc, t prometheus.ValueType, v float64, labels ...string) {
	m, err := prometheus.NewConstMetric(d, t, v, labels...)
	if err != nil {
		m = prometheus.NewInvalidMetric(d, err)
	}
	ch <- m
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
