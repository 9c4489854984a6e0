package alerts

import (
	"testing"

	"github.com/redwatch/redwatch/alerts/notify"
	"github.com/redwatch/redwatch/rules"
)

// TestAnnounce: an event is one firing notification on each channel whose
// routing takes it, through the outbox, and never enters the alert state
// (no resolved notification follows, no alert is active).
func TestAnnounce(t *testing.T) {
	crit := webhookChannel("crit", "http://127.0.0.1:1/")
	crit.MinSeverity = rules.Critical
	h := newHarness(t, Config{Channels: []ChannelConfig{webhookChannel("all", "http://127.0.0.1:1/"), crit}}, t.TempDir())
	h.m.Announce(Event{Rule: "action_reenslave", Severity: rules.Info, Subject: "bond0/eth1",
		Message: "bond0: eth1 added back", Facts: map[string]string{"result": "done"}})
	q := h.queue("all")
	if len(q) != 1 {
		t.Fatalf("queued %+v, want one notification", q)
	}
	n := q[0]
	if n.Status != notify.Firing || n.Rule != "action_reenslave" || n.Subject != "bond0/eth1" || n.Severity != rules.Info ||
		n.Facts["result"] != "done" || n.Host != testHost || n.ID == "" || n.Fingerprint != Fingerprint(testHost, "action_reenslave", "bond0/eth1") {
		t.Errorf("notification %+v", n)
	}
	if q := h.queue("crit"); len(q) != 0 {
		t.Errorf("an info event reached the critical-only channel: %+v", q)
	}
	h.ack("all")
	h.pass()
	if q := h.queue("all"); len(q) != 0 {
		t.Errorf("a pass after an event queued %+v (an event never resolves)", q)
	}
	if a := h.m.Alerts(); len(a) != 0 {
		t.Errorf("an event became an alert: %+v", a)
	}
}
