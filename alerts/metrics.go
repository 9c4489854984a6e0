package alerts

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// Metric descriptions. The Manager is a prometheus.Collector: register it.
var (
	descNotifications = prometheus.NewDesc("redwatch_alert_notifications_total",
		"Delivery attempts by channel and result: delivered, retry (failed, will retry), failed (permanent error, dropped), expired (older than max_age, dropped).",
		[]string{"channel", "result"}, nil)
	descDropped = prometheus.NewDesc("redwatch_alert_dropped_total",
		"Notifications dropped undelivered, by channel and reason: permanent, expired, queue_full, write_error, corrupt.",
		[]string{"channel", "reason"}, nil)
	descQueueDepth = prometheus.NewDesc("redwatch_alert_queue_depth",
		"Notifications waiting in the channel's on-disk outbox.",
		[]string{"channel"}, nil)
	descOldest = prometheus.NewDesc("redwatch_alert_queue_oldest_age_seconds",
		"Age of the oldest notification waiting in the channel's outbox (0 when empty).",
		[]string{"channel"}, nil)
	descActive = prometheus.NewDesc("redwatch_alerts_active",
		"Active alerts by state: firing, or maintenance (in a maintenance window, not notified).",
		[]string{"state"}, nil)
)

var (
	notificationResults = []string{"delivered", "retry", "failed", "expired"}
	dropReasons         = []string{"permanent", "expired", "queue_full", "write_error", "corrupt"}
)

type metrics struct {
	m  *Manager
	mu sync.Mutex
	// counters by channel then label value
	notifications map[string]map[string]float64
	dropped       map[string]map[string]float64
}

func newMetrics(m *Manager) *metrics {
	mt := &metrics{m: m, notifications: map[string]map[string]float64{}, dropped: map[string]map[string]float64{}}
	for _, ch := range m.channels {
		mt.notifications[ch.name] = map[string]float64{}
		mt.dropped[ch.name] = map[string]float64{}
		for _, r := range notificationResults {
			mt.notifications[ch.name][r] = 0
		}
		for _, r := range dropReasons {
			mt.dropped[ch.name][r] = 0
		}
	}
	return mt
}

func (mt *metrics) notified(channel, result string) {
	mt.mu.Lock()
	defer mt.mu.Unlock()
	if mt.notifications[channel] == nil {
		mt.notifications[channel] = map[string]float64{}
	}
	mt.notifications[channel][result]++
}

func (mt *metrics) droppedAdd(channel, reason string, n float64) {
	mt.mu.Lock()
	defer mt.mu.Unlock()
	if mt.dropped[channel] == nil {
		mt.dropped[channel] = map[string]float64{}
	}
	mt.dropped[channel][reason] += n
}

// Describe implements prometheus.Collector.
func (m *Manager) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descNotifications, descDropped, descQueueDepth, descOldest, descActive} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (m *Manager) Collect(out chan<- prometheus.Metric) {
	mt := m.metrics
	mt.mu.Lock()
	for c, byResult := range mt.notifications {
		for r, v := range byResult {
			out <- prometheus.MustNewConstMetric(descNotifications, prometheus.CounterValue, v, c, r)
		}
	}
	for c, byReason := range mt.dropped {
		for r, v := range byReason {
			out <- prometheus.MustNewConstMetric(descDropped, prometheus.CounterValue, v, c, r)
		}
	}
	mt.mu.Unlock()
	now := m.clock.Now()
	for _, ch := range m.channels {
		out <- prometheus.MustNewConstMetric(descQueueDepth, prometheus.GaugeValue, float64(ch.depth()), ch.name)
		age := 0.0
		if t, ok := ch.oldest(); ok {
			age = max(now.Sub(t).Seconds(), 0)
		}
		out <- prometheus.MustNewConstMetric(descOldest, prometheus.GaugeValue, age, ch.name)
	}
	firing, maint := 0, 0
	for _, a := range m.Alerts() {
		if a.Maintenance {
			maint++
		} else {
			firing++
		}
	}
	out <- prometheus.MustNewConstMetric(descActive, prometheus.GaugeValue, float64(firing), "firing")
	out <- prometheus.MustNewConstMetric(descActive, prometheus.GaugeValue, float64(maint), "maintenance")
}
