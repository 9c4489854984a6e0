package actions

import "github.com/prometheus/client_golang/prometheus"

// metrics are the policy's /metrics: the Policy is a prometheus.Collector.
type metrics struct {
	attempts *prometheus.CounterVec
	refusals *prometheus.CounterVec
	gaveUps  *prometheus.GaugeVec
}

func newMetrics() metrics {
	return metrics{
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "redwatch_action_reenslave_attempts_total",
			Help: "Re-enslave attempts of a bond member by result: done (it is a slave again), failed, dry_run (logged only)."},
			[]string{"bond", "iface", "result"}),
		refusals: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "redwatch_action_reenslave_refusals_total",
			Help: "Missing bond members the re-enslave action left alone, by the precondition that failed (no_carrier, speed_mismatch, ...)."},
			[]string{"bond", "iface", "reason"}),
		gaveUps: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "redwatch_action_reenslave_gave_up",
			Help: "1 for a bond member the re-enslave action gave up on (reenslave_gave_up) until it is a member again."},
			[]string{"bond", "iface"}),
	}
}

func (m metrics) attempt(bond, iface, result string) {
	m.attempts.WithLabelValues(bond, iface, result).Inc()
}

func (m metrics) refused(bond, iface, reason string) {
	m.refusals.WithLabelValues(bond, iface, reason).Inc()
}

func (m metrics) gaveUp(bond, iface string, on bool) {
	if on {
		m.gaveUps.WithLabelValues(bond, iface).Set(1)
	} else {
		m.gaveUps.DeleteLabelValues(bond, iface)
	}
}

// Describe implements prometheus.Collector.
func (p *Policy) Describe(ch chan<- *prometheus.Desc) {
	p.metrics.attempts.Describe(ch)
	p.metrics.refusals.Describe(ch)
	p.metrics.gaveUps.Describe(ch)
}

// Collect implements prometheus.Collector.
func (p *Policy) Collect(ch chan<- prometheus.Metric) {
	p.metrics.attempts.Collect(ch)
	p.metrics.refusals.Collect(ch)
	p.metrics.gaveUps.Collect(ch)
}
