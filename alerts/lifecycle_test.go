package alerts

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/redwatch/redwatch/alerts/alertmanager"
	"github.com/redwatch/redwatch/alerts/notify"
	"github.com/redwatch/redwatch/rules"
)

func TestFingerprintStable(t *testing.T) {
	a := Fingerprint("h", "bond-slave-down", "bond0/eth1")
	if a != Fingerprint("h", "bond-slave-down", "bond0/eth1") || len(a) != 16 {
		t.Fatalf("fingerprint %q not stable or not 16 hex digits", a)
	}
	for _, other := range []string{Fingerprint("h2", "bond-slave-down", "bond0/eth1"), Fingerprint("h", "x", "bond0/eth1"),
		Fingerprint("h", "bond-slave-down", "bond0/eth2"), Fingerprint("hb", "ond-slave-down", "bond0/eth1")} {
		if other == a {
			t.Errorf("fingerprint collision: %q", other)
		}
	}
}

func TestLifecycleFireRepeatResolve(t *testing.T) {
	cfg := Config{Channels: []ChannelConfig{webhookChannel("ops", "http://127.0.0.1:1/")}}
	h := newHarness(t, cfg, t.TempDir())
	f := finding("bond-slave-down", "bond0/eth1", rules.Critical)

	h.pass(f)
	q := h.queue("ops")
	if len(q) != 1 || q[0].Status != notify.Firing || q[0].Repeat {
		t.Fatalf("first pass queued %+v, want one firing", q)
	}
	n := q[0]
	if n.Fingerprint != Fingerprint(testHost, f.Rule, f.Subject) || n.ID == "" || n.Host != testHost || !n.StartsAt.Equal(t0) {
		t.Errorf("notification %+v", n)
	}
	if n.Group != "bond bond0" || len(n.Members) != 2 || n.Members[1] != (notify.Member{Name: "eth1", State: "down"}) {
		t.Errorf("members not attached: %q %+v", n.Group, n.Members)
	}
	h.ack("ops")

	h.clk.Advance(time.Hour)
	h.pass(f)
	if q := h.queue("ops"); len(q) != 0 {
		t.Fatalf("still firing within repeat_interval queued %+v", q)
	}
	h.clk.Advance(3 * time.Hour)
	h.pass(f)
	q = h.queue("ops")
	if len(q) != 1 || !q[0].Repeat || q[0].Fingerprint != n.Fingerprint || q[0].ID == n.ID {
		t.Fatalf("after 4h want one repeat with a new ID, got %+v", q)
	}
	h.ack("ops")

	// Escalation is news: it is sent at once.
	f.Severity = rules.Warning
	h.pass(f)
	if q := h.queue("ops"); len(q) != 1 || q[0].Severity != rules.Warning || q[0].Repeat {
		t.Fatalf("severity change queued %+v", q)
	}
	h.ack("ops")

	h.clk.Advance(time.Minute)
	h.pass()
	q = h.queue("ops")
	if len(q) != 1 || q[0].Status != notify.Resolved || !q[0].EndsAt.Equal(h.clk.Now()) || !q[0].StartsAt.Equal(t0) {
		t.Fatalf("resolution queued %+v", q)
	}
	if len(h.m.Alerts()) != 0 {
		t.Errorf("resolved alert still active: %+v", h.m.Alerts())
	}
	h.ack("ops")
	h.pass()
	if q := h.queue("ops"); len(q) != 0 {
		t.Fatalf("resolved twice: %+v", q)
	}
}

func TestRepeatNotPiledUpWhileUndelivered(t *testing.T) {
	cfg := Config{RepeatInterval: time.Minute, Channels: []ChannelConfig{webhookChannel("ops", "http://127.0.0.1:1/")}}
	h := newHarness(t, cfg, t.TempDir())
	f := finding("md-degraded", "md0", rules.Critical)
	for range 10 {
		h.pass(f)
		h.clk.Advance(2 * time.Minute)
	}
	if q := h.queue("ops"); len(q) != 1 {
		t.Fatalf("%d queued for one undelivered alert, want 1", len(q))
	}
}

func TestRouting(t *testing.T) {
	no := false
	cfg := Config{Channels: []ChannelConfig{
		webhookChannel("all", "http://127.0.0.1:1/"),
		func() ChannelConfig {
			c := webhookChannel("crit", "http://127.0.0.1:1/")
			c.MinSeverity = rules.Critical
			return c
		}(),
		func() ChannelConfig {
			c := webhookChannel("md", "http://127.0.0.1:1/")
			c.Rules = []string{"md-*"}
			c.Subjects = []string{"md1*"}
			c.SendResolved = &no
			return c
		}(),
	}}
	h := newHarness(t, cfg, t.TempDir())
	h.pass(
		finding("bond-slave-down", "bond0/eth1", rules.Warning),
		finding("md-degraded", "md1/sdb1", rules.Critical),
		finding("md-degraded", "md0", rules.Critical),
	)
	subjects := func(name string) []string {
		var s []string
		for _, n := range h.queue(name) {
			s = append(s, n.Subject)
		}
		return s
	}
	if got := subjects("all"); len(got) != 3 {
		t.Errorf("all got %v", got)
	}
	if got := subjects("crit"); len(got) != 2 || got[0] != "md0" || got[1] != "md1/sdb1" {
		t.Errorf("crit got %v", got)
	}
	if got := subjects("md"); len(got) != 1 || got[0] != "md1/sdb1" {
		t.Errorf("md got %v", got)
	}
	for _, c := range []string{"all", "crit", "md"} {
		h.ack(c)
	}
	h.pass()
	if got := subjects("md"); len(got) != 0 {
		t.Errorf("send_resolved false still sent %v", got)
	}
	if got := subjects("crit"); len(got) != 2 {
		t.Errorf("crit resolutions %v", got)
	}
}

func TestMaintenanceSuppresses(t *testing.T) {
	cfg := Config{Channels: []ChannelConfig{webhookChannel("ops", "http://127.0.0.1:1/")}}
	h := newHarness(t, cfg, t.TempDir())
	f := finding("psu-redundancy-lost", "PSU2", rules.Critical)
	f.Maintenance = true
	h.pass(f)
	if q := h.queue("ops"); len(q) != 0 {
		t.Fatalf("maintenance finding notified: %+v", q)
	}
	a := h.m.Alerts()
	if len(a) != 1 || !a[0].Maintenance || len(a[0].Notified) != 0 {
		t.Fatalf("alert does not show maintenance: %+v", a)
	}
	// Resolved inside the window: nobody was told, nobody is told.
	h.pass()
	if q := h.queue("ops"); len(q) != 0 {
		t.Fatalf("resolution of an unnotified alert: %+v", q)
	}
	// Still broken when the window ends: it fires then.
	h.pass(f)
	f.Maintenance = false
	h.pass(f)
	if q := h.queue("ops"); len(q) != 1 || q[0].Status != notify.Firing {
		t.Fatalf("after the window want one firing, got %+v", q)
	}
}

func TestRestartNeitherRepagesNorForgets(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{Channels: []ChannelConfig{webhookChannel("ops", "http://127.0.0.1:1/")}}
	f := finding("bond-slave-down", "bond0/eth1", rules.Critical)
	h := newHarness(t, cfg, dir)
	h.pass(f)
	h.ack("ops")
	if err := h.m.Close(); err != nil {
		t.Fatal(err)
	}

	h2 := newHarness(t, cfg, dir)
	if a := h2.m.Alerts(); len(a) != 1 || a[0].Subject != "bond0/eth1" || !a[0].StartsAt.Equal(t0) {
		t.Fatalf("restart forgot the firing alert: %+v", a)
	}
	h2.clk.Advance(time.Hour)
	h2.pass(f)
	if q := h2.queue("ops"); len(q) != 0 {
		t.Fatalf("restart re-paged: %+v", q)
	}
	h2.pass()
	if q := h2.queue("ops"); len(q) != 1 || q[0].Status != notify.Resolved {
		t.Fatalf("restart forgot to resolve: %+v", q)
	}
}

func TestCorruptStateAndOutboxSetAside(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{Channels: []ChannelConfig{webhookChannel("ops", "http://127.0.0.1:1/")}}
	box := filepath.Join(dir, "alerts", "outbox", "ops")
	if err := os.MkdirAll(box, 0o700); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{
		filepath.Join(dir, "alerts", "state.json"):        "{not json",
		filepath.Join(box, "00000000000000000001-x.json"): "garbage",
		filepath.Join(box, ".tmp-123"):                    "half written",
	} {
		if err := os.WriteFile(name, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	h := newHarness(t, cfg, dir)
	if _, err := os.Stat(filepath.Join(dir, "alerts", "state.json.corrupt")); err != nil {
		t.Errorf("corrupt state not set aside: %v", err)
	}
	if _, err := os.Stat(filepath.Join(box, "00000000000000000001-x.json.corrupt")); err != nil {
		t.Errorf("corrupt entry not set aside: %v", err)
	}
	if _, err := os.Stat(filepath.Join(box, ".tmp-123")); !os.IsNotExist(err) {
		t.Errorf("temporary file left: %v", err)
	}
	if got := counter(t, h.m, "redwatch_alert_dropped_total", "ops", "corrupt"); got != 1 {
		t.Errorf("dropped{corrupt} = %v, want 1", got)
	}
	h.pass(finding("r", "s", rules.Warning))
	if q := h.queue("ops"); len(q) != 1 {
		t.Errorf("manager not working after corrupt files: %+v", q)
	}
}

func TestDuplicateFindingsOneAlert(t *testing.T) {
	cfg := Config{Channels: []ChannelConfig{webhookChannel("ops", "http://127.0.0.1:1/")}}
	h := newHarness(t, cfg, t.TempDir())
	h.pass(finding("r", "s", rules.Warning), finding("r", "s", rules.Critical))
	q := h.queue("ops")
	if len(q) != 1 || q[0].Severity != rules.Critical {
		t.Fatalf("want one critical, got %+v", q)
	}
}

// TestAlertmanagerChannelResends: an alertmanager channel re-sends a firing
// alert every resend interval (before endsAt = 4 × it expires), whatever the
// global repeat_interval.
func TestAlertmanagerChannelResends(t *testing.T) {
	cfg := Config{Channels: []ChannelConfig{
		{Name: "am", Type: TypeAlertmanager, Alertmanager: &alertmanager.Config{URLs: []string{"http://127.0.0.1:1"}}},
		webhookChannel("ops", "http://127.0.0.1:1/"),
	}}
	h := newHarness(t, cfg, t.TempDir())
	f := finding("md-degraded", "md0", rules.Critical)
	h.pass(f)
	h.ack("am")
	h.ack("ops")
	for i := range 3 {
		h.clk.Advance(time.Minute)
		h.pass(f)
		if q := h.queue("am"); len(q) != 1 || !q[0].Repeat {
			t.Fatalf("minute %d: alertmanager queue %+v, want one re-send", i+1, q)
		}
		h.ack("am")
		if q := h.queue("ops"); len(q) != 0 {
			t.Fatalf("webhook repeated after %d min", i+1)
		}
	}
}
