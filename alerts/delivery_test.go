package alerts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	promtest "github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/redwatch/redwatch/alerts/internal/testutil"
	"github.com/redwatch/redwatch/alerts/notify"
	"github.com/redwatch/redwatch/alerts/webhook"
	"github.com/redwatch/redwatch/rules"
)

// counter reads one sample of the manager's metrics by its label values.
func counter(t *testing.T, m *Manager, name string, labelValues ...string) float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(m); err != nil {
		t.Fatal(err)
	}
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, mt := range f.GetMetric() {
			var vals []string
			for _, l := range mt.GetLabel() {
				vals = append(vals, l.GetValue())
			}
			if slices.Equal(vals, labelValues) {
				if c := mt.GetCounter(); c != nil {
					return c.GetValue()
				}
				return mt.GetGauge().GetValue()
			}
		}
	}
	t.Fatalf("no sample %s%v", name, labelValues)
	return 0
}

func TestDeliverFiringAndResolved(t *testing.T) {
	r := newReceiver(t)
	cfg := Config{Channels: []ChannelConfig{webhookChannel("ops", r.srv.URL)}}
	h := newHarness(t, cfg, t.TempDir())
	h.run(t)
	f := finding("bond-slave-down", "bond0/eth1", rules.Critical)
	h.m.Process(context.Background(), result(f))
	got := r.waitN(t, 1)
	fp := Fingerprint(testHost, f.Rule, f.Subject)
	a := got[0].msg.Alerts[0]
	if got[0].msg.Status != "firing" || a.Fingerprint != fp || a.Labels["alertname"] != f.Rule || got[0].id == "" ||
		a.Annotations["notification_id"] != got[0].id {
		t.Fatalf("firing delivery %+v", got[0])
	}
	h.m.Process(context.Background(), result())
	got = r.waitN(t, 2)
	if got[1].msg.Status != "resolved" || got[1].msg.Alerts[0].Fingerprint != fp || got[1].id == got[0].id {
		t.Fatalf("resolved delivery %+v", got[1].msg)
	}
	testutil.Eventually(t, "two counted delivered", func() bool {
		return counter(t, h.m, "redwatch_alert_notifications_total", "ops", "delivered") == 2
	})
	if d := h.m.channel("ops").depth(); d != 0 {
		t.Errorf("depth %d after delivery", d)
	}
	entries, _ := os.ReadDir(filepath.Join(h.dir, "alerts", "outbox", "ops"))
	if len(entries) != 0 {
		t.Errorf("outbox not emptied: %v", entries)
	}
	if problems, err := promtest.CollectAndLint(h.m); err != nil || len(problems) > 0 {
		t.Errorf("metrics lint: %v %+v", err, problems)
	}
}

// TestReceiverDownThenUp: the receiver's port is closed while alerts are
// raised and resolved; once it listens again everything arrives, in order.
func TestReceiverDownThenUp(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // down: connection refused
	r := &receiver{status: http.StatusOK}
	cfg := Config{Channels: []ChannelConfig{webhookChannel("ops", "http://"+addr+"/hook")}}
	h := newHarness(t, cfg, t.TempDir())
	h.run(t)

	a := finding("md-degraded", "md0", rules.Critical)
	b := finding("bond-slave-down", "bond0/eth1", rules.Warning)
	h.m.Process(context.Background(), result(a))
	h.clk.WaitTimers(t, 1) // first attempt failed, backing off
	h.m.Process(context.Background(), result(a, b))
	h.m.Process(context.Background(), result(b))
	testutil.Eventually(t, "three queued", func() bool { return h.m.channel("ops").depth() == 3 })
	for range 3 { // a few more failed retries while down
		h.clk.WaitTimers(t, 1)
		h.clk.Advance(10 * time.Minute)
	}
	h.clk.WaitTimers(t, 1)
	if v := counter(t, h.m, "redwatch_alert_notifications_total", "ops", "retry"); v < 4 {
		t.Errorf("retries while down = %v, want >= 4", v)
	}
	if v := counter(t, h.m, "redwatch_alert_queue_depth", "ops"); v != 3 {
		t.Errorf("queue depth = %v, want 3", v)
	}
	if v := counter(t, h.m, "redwatch_alert_queue_oldest_age_seconds", "ops"); v < 1800 {
		t.Errorf("oldest age = %v s, want >= 1800", v)
	}

	// Up again, on the same port.
	ln2, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(r.serve)}
	go srv.Serve(ln2) //nolint:errcheck // ends with Close
	t.Cleanup(func() { srv.Close() })
	h.clk.Advance(10 * time.Minute)
	r.waitAlerts(t, 3)
	// In queue order: the first message is retried as it was first tried
	// (md0 alone, same ID); what queued behind it goes out grouped.
	var seq [][]string
	for _, d := range r.deliveries() {
		var msg []string
		for _, a := range d.msg.Alerts {
			msg = append(msg, a.Labels["subject"]+":"+a.Status)
		}
		seq = append(seq, msg)
	}
	want := [][]string{{"md0:firing"}, {"bond0/eth1:firing", "md0:resolved"}}
	if !slices.EqualFunc(seq, want, slices.Equal) {
		t.Fatalf("delivered %v, want %v", seq, want)
	}
	testutil.Eventually(t, "empty queue", func() bool { return h.m.channel("ops").depth() == 0 })
}

func TestHTTPStatusClassification(t *testing.T) {
	for _, tc := range []struct {
		code      int
		permanent bool
	}{{400, true}, {401, true}, {404, true}, {408, false}, {429, false}, {500, false}, {503, false}} {
		t.Run(fmt.Sprint(tc.code), func(t *testing.T) {
			r := newReceiver(t)
			r.setStatus(tc.code)
			cfg := Config{Channels: []ChannelConfig{webhookChannel("ops", r.srv.URL)}}
			h := newHarness(t, cfg, t.TempDir())
			h.run(t)
			h.m.Process(context.Background(), result(finding("r", "s", rules.Warning)))
			if tc.permanent {
				testutil.Eventually(t, "dropped", func() bool {
					return counter(t, h.m, "redwatch_alert_dropped_total", "ops", "permanent") == 1
				})
				if d := h.m.channel("ops").depth(); d != 0 {
					t.Errorf("depth %d after a permanent failure", d)
				}
				if r.callCount() != 1 {
					t.Errorf("permanent failure tried %d times", r.callCount())
				}
				if !strings.Contains(h.log.String(), "notification dropped") {
					t.Errorf("no error log for the drop: %s", h.log)
				}
				return
			}
			h.clk.WaitTimers(t, 1)
			h.clk.Advance(time.Hour)
			h.clk.WaitTimers(t, 1)
			if r.callCount() != 2 || h.m.channel("ops").depth() != 1 {
				t.Errorf("retryable %d: calls %d, depth %d", tc.code, r.callCount(), h.m.channel("ops").depth())
			}
			r.setStatus(http.StatusOK)
			h.clk.Advance(time.Hour)
			r.waitN(t, 1)
		})
	}
}

func TestExpiredAfterMaxAge(t *testing.T) {
	r := newReceiver(t)
	r.setStatus(http.StatusServiceUnavailable)
	cfg := Config{MaxAge: time.Hour, Channels: []ChannelConfig{webhookChannel("ops", r.srv.URL)}}
	h := newHarness(t, cfg, t.TempDir())
	h.run(t)
	h.m.Process(context.Background(), result(finding("r", "s", rules.Warning)))
	h.clk.WaitTimers(t, 1)
	h.clk.Advance(61 * time.Minute)
	testutil.Eventually(t, "expired", func() bool {
		return counter(t, h.m, "redwatch_alert_dropped_total", "ops", "expired") == 1
	})
	if d := h.m.channel("ops").depth(); d != 0 {
		t.Errorf("depth %d after expiry", d)
	}
	if v := counter(t, h.m, "redwatch_alert_notifications_total", "ops", "expired"); v != 1 {
		t.Errorf("notifications{expired} = %v", v)
	}
	if !strings.Contains(h.log.String(), `"reason":"expired"`) || !strings.Contains(h.log.String(), `"level":"ERROR"`) {
		t.Errorf("no error log naming the expiry: %s", h.log)
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	err := notify.HTTPError("x", &http.Response{StatusCode: 429, Status: "429", Header: http.Header{"Retry-After": {"42"}}, Body: http.NoBody})
	d, ok := notify.RetryAfter(err)
	if !ok || d != 42*time.Second || notify.IsPermanent(err) {
		t.Fatalf("Retry-After: %v %v %v", d, ok, err)
	}
	if got := (notify.Backoff{Initial: time.Second, Max: time.Minute}).Delay(1, d, nil); got != 42*time.Second {
		t.Errorf("delay %v, want 42s", got)
	}
}

// TestHangingReceiverBlocksNobody: one receiver never answers; the other
// channel still gets every notification and Process never waits.
func TestHangingReceiverBlocksNobody(t *testing.T) {
	slow, fast := newReceiver(t), newReceiver(t)
	slow.setHang(true)
	cfg := Config{Channels: []ChannelConfig{webhookChannel("slow", slow.srv.URL), webhookChannel("fast", fast.srv.URL)}}
	h := newHarness(t, cfg, t.TempDir())
	h.run(t)
	h.m.Process(context.Background(), result(finding("a", "x", rules.Critical)))
	testutil.Eventually(t, "slow receiver holding a request", func() bool { return slow.callCount() == 1 })
	start := time.Now()
	for i := range 10 { // fewer than maxInbox: no pass is coalesced away
		h.m.Process(context.Background(), result(finding("a", "x", rules.Critical), finding("b", fmt.Sprint(i), rules.Critical)))
	}
	if el := time.Since(start); el > time.Second {
		t.Errorf("10 Process calls took %v with a hanging receiver", el)
	}
	got := fast.waitAlerts(t, 1+10+9) // a, ten b firing, nine b resolved
	if got[0].Labels["alertname"] != "a" {
		t.Errorf("first delivery %+v", got[0].Labels)
	}
	if slow.callCount() != 1 || len(slow.deliveries()) != 0 {
		t.Errorf("slow receiver: %d calls", slow.callCount())
	}
}

// TestStormBounded: 100 findings at once, two channels: everything is
// delivered, the goroutine count stays bounded, and with a receiver down the
// outbox stops at max_queue.
func TestStormBounded(t *testing.T) {
	r1, r2 := newReceiver(t), newReceiver(t)
	cfg := Config{Channels: []ChannelConfig{webhookChannel("one", r1.srv.URL), webhookChannel("two", r2.srv.URL)}}
	base := runtime.NumGoroutine()
	h := newHarness(t, cfg, t.TempDir())
	h.run(t)
	var fs []rules.Finding
	for i := range 100 {
		fs = append(fs, finding("disk-failing", fmt.Sprintf("sd%03d", i), rules.Critical))
	}
	h.m.Process(context.Background(), result(fs...))
	peak := 0
	testutil.Eventually(t, "200 alerts delivered", func() bool {
		peak = max(peak, runtime.NumGoroutine())
		return len(alertsOf(r1.deliveries())) == 100 && len(alertsOf(r2.deliveries())) == 100
	})
	if peak-base > 40 {
		t.Errorf("goroutines grew by %d during a storm of 100 (base %d)", peak-base, base)
	}
	// One pass, one host: one message per channel carrying all 100.
	if n1, n2 := len(r1.deliveries()), len(r2.deliveries()); n1 != 1 || n2 != 1 {
		t.Errorf("messages %d and %d, want one per channel", n1, n2)
	}
	seen := map[string]bool{}
	for _, a := range alertsOf(r1.deliveries()) {
		seen[a.Fingerprint] = true
	}
	if len(seen) != 100 {
		t.Errorf("%d distinct fingerprints, want 100", len(seen))
	}
}

func TestQueueBoundedWhileDown(t *testing.T) {
	r := newReceiver(t)
	r.setStatus(http.StatusServiceUnavailable)
	cfg := Config{MaxQueue: 30, Channels: []ChannelConfig{webhookChannel("ops", r.srv.URL)}}
	h := newHarness(t, cfg, t.TempDir())
	var fs []rules.Finding
	for i := range 100 {
		fs = append(fs, finding("disk-failing", fmt.Sprint(i), rules.Critical))
	}
	h.pass(fs...)
	if d := h.m.channel("ops").depth(); d != 30 {
		t.Errorf("queue depth %d, want max_queue 30", d)
	}
	if v := counter(t, h.m, "redwatch_alert_dropped_total", "ops", "queue_full"); v != 70 {
		t.Errorf("dropped{queue_full} = %v, want 70", v)
	}
	// The dropped ones were not marked sent: the next pass (with room) queues them.
	h.ack("ops")
	h.pass(fs...)
	if d := h.m.channel("ops").depth(); d != 30 {
		t.Errorf("after room, queue depth %d, want 30", d)
	}
}

const crashEnv = "REDWATCH_ALERTS_CRASH_HELPER"

// crashHelper runs in a child process: a Manager with real time that queues
// five alerts for a receiver that hangs, then waits to be SIGKILLed.
func crashHelper() {
	var cfg Config
	if err := json.Unmarshal([]byte(os.Getenv(crashEnv)), &cfg); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	m, err := NewManager(cfg, os.Getenv("REDWATCH_STATE"), testHost, nil, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	go m.Run(context.Background()) //nolint:errcheck // killed
	m.Process(context.Background(), result(crashFindings()...))
	select {}
}

func crashFindings() []rules.Finding {
	var fs []rules.Finding
	for i := range 5 {
		fs = append(fs, finding("md-member-faulty", fmt.Sprintf("md0/sd%c", 'a'+i), rules.Critical))
	}
	return fs
}

func TestMain(m *testing.M) {
	if os.Getenv(crashEnv) != "" {
		crashHelper()
	}
	os.Exit(m.Run())
}

// TestSIGKILLWhileQueued kills a real process with SIGKILL while its alerts
// are queued (one in flight to a hanging receiver); a new Manager on the same
// state directory delivers all of them, with the same notification IDs, and
// does not page again for alerts it already queued.
func TestSIGKILLWhileQueued(t *testing.T) {
	dir := t.TempDir()
	r := newReceiver(t)
	r.setHang(true)
	cfg := Config{Channels: []ChannelConfig{webhookChannel("ops", r.srv.URL)}}
	js, _ := json.Marshal(cfg)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashEnv+"="+string(js), "REDWATCH_STATE="+dir)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	box := filepath.Join(dir, "alerts", "outbox", "ops")
	testutil.Eventually(t, "five queued and one in flight", func() bool {
		es, _ := filepath.Glob(filepath.Join(box, "*.json"))
		_, serr := os.Stat(filepath.Join(dir, "alerts", "state.json"))
		return len(es) == 5 && serr == nil && r.callCount() >= 1
	})
	if err := cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	var ee *exec.ExitError
	if err := cmd.Wait(); !errors.As(err, &ee) {
		t.Fatalf("child: %v", err)
	}
	files, _ := filepath.Glob(filepath.Join(box, "*.json"))
	var ids []string
	for _, f := range files {
		_, rest, _ := strings.Cut(filepath.Base(f), "-")
		ids = append(ids, strings.TrimSuffix(rest, ".json"))
	}

	r.setHang(false)
	h := newHarness(t, cfg, dir)
	h.pass(crashFindings()...) // the same findings on restart: nothing new
	if q := h.queue("ops"); len(q) != 5 {
		t.Fatalf("after restart %d queued, want the 5 recovered", len(q))
	}
	h.run(t)
	got := r.waitAlerts(t, 5)
	var gotIDs []string
	for _, a := range got {
		gotIDs = append(gotIDs, a.Annotations["notification_id"])
	}
	slices.Sort(ids)
	if !slices.Equal(ids, slices.Sorted(slices.Values(gotIDs))) {
		t.Fatalf("delivered IDs %v, queued %v", gotIDs, ids)
	}
	for i, a := range got {
		if want := fmt.Sprintf("md0/sd%c", 'a'+i); a.Labels["subject"] != want {
			t.Errorf("order lost: alert %d is %s, want %s", i, a.Labels["subject"], want)
		}
	}
	// The message's ID is a function of the alerts' IDs: a receiver that got
	// the in-flight message before the kill sees the same ID again.
	if d := r.deliveries(); len(d) != 1 || d[0].id != notify.NewGroup(nil, []notify.Notification{{ID: gotIDs[0]}, {ID: gotIDs[1]},
		{ID: gotIDs[2]}, {ID: gotIDs[3]}, {ID: gotIDs[4]}}).ID {
		t.Errorf("%d messages after restart, want 1 with the group ID of the five", len(d))
	}
}

func TestCloseKeepsQueue(t *testing.T) {
	r := newReceiver(t)
	r.setHang(true)
	dir := t.TempDir()
	cfg := Config{Channels: []ChannelConfig{webhookChannel("ops", r.srv.URL)}}
	h := newHarness(t, cfg, dir)
	ctx := context.Background()
	done := make(chan error, 1)
	go func() { done <- h.m.Run(ctx) }()
	h.m.Process(ctx, result(finding("r", "s", rules.Critical)))
	testutil.Eventually(t, "in flight", func() bool { return r.callCount() == 1 })
	if err := h.m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := h.m.Run(ctx); err == nil {
		t.Error("Run after Close did not fail")
	}
	files, _ := filepath.Glob(filepath.Join(dir, "alerts", "outbox", "ops", "*.json"))
	if len(files) != 1 {
		t.Fatalf("in-flight notification not kept on Close: %v", files)
	}
	_ = webhook.HeaderSignature
}

// nineFindings is one faulty host: nine findings in one pass.
func nineFindings() []rules.Finding {
	var fs []rules.Finding
	for i := range 9 {
		fs = append(fs, finding("md_degraded", fmt.Sprintf("md%d", i), rules.Critical))
	}
	return fs
}

// TestOnePassOneMessage: the nine findings of one pass reach a webhook as
// one POST with nine alerts (group_by [instance], the default), and their
// resolution as a second; group_by ["..."] is one POST per alert again.
func TestOnePassOneMessage(t *testing.T) {
	r := newReceiver(t)
	h := newHarness(t, Config{Channels: []ChannelConfig{webhookChannel("ops", r.srv.URL)}}, t.TempDir())
	h.run(t)
	h.m.Process(context.Background(), result(nineFindings()...))
	got := r.waitN(t, 1)
	if len(got) != 1 || len(got[0].msg.Alerts) != 9 || got[0].msg.GroupLabels["instance"] != testHost || len(got[0].msg.GroupLabels) != 1 {
		t.Fatalf("%d messages, first with %d alerts and group labels %v; want one with 9 grouped by instance",
			len(got), len(got[0].msg.Alerts), got[0].msg.GroupLabels)
	}
	h.m.Process(context.Background(), result())
	got = r.waitN(t, 2)
	if got[1].msg.Status != "resolved" || len(got[1].msg.Alerts) != 9 {
		t.Fatalf("resolution: %s with %d alerts, want resolved with 9", got[1].msg.Status, len(got[1].msg.Alerts))
	}
	testutil.Eventually(t, "two messages counted", func() bool {
		return counter(t, h.m, "redwatch_alert_notifications_total", "ops", "delivered") == 2
	})
	if len(r.deliveries()) != 2 {
		t.Errorf("%d POSTs, want 2", len(r.deliveries()))
	}

	each := newReceiver(t)
	cfg := Config{GroupBy: []string{"..."}, Channels: []ChannelConfig{webhookChannel("each", each.srv.URL)}}
	h2 := newHarness(t, cfg, t.TempDir())
	h2.run(t)
	h2.m.Process(context.Background(), result(nineFindings()...))
	each.waitN(t, 9)
	for _, d := range each.deliveries() {
		if len(d.msg.Alerts) != 1 || d.msg.GroupLabels["subject"] != d.msg.Alerts[0].Labels["subject"] {
			t.Errorf("group_by [...]: message %+v", d.msg)
		}
	}
}

// TestGroupWaitGathersPasses: with group_wait 30s, the findings of a second
// pass ten seconds later join the first pass's message, which leaves only
// when group_wait is over; a channel's group_by overrides the global one.
func TestGroupWaitGathersPasses(t *testing.T) {
	r, bySubject := newReceiver(t), newReceiver(t)
	split := webhookChannel("split", bySubject.srv.URL)
	split.GroupBy = []string{"subject"}
	zero := time.Duration(0)
	split.GroupWait = &zero
	cfg := Config{GroupWait: 30 * time.Second, Channels: []ChannelConfig{webhookChannel("ops", r.srv.URL), split}}
	h := newHarness(t, cfg, t.TempDir())
	h.run(t)
	a, b := finding("md_degraded", "md0", rules.Critical), finding("md_degraded", "md1", rules.Critical)
	h.m.Process(context.Background(), result(a))
	bySubject.waitN(t, 1) // group_wait 0 on this channel: out at once
	h.clk.WaitTimers(t, 1)
	h.clk.Advance(10 * time.Second)
	h.m.Process(context.Background(), result(a, b))
	bySubject.waitN(t, 2)
	testutil.Eventually(t, "second pass queued", func() bool { return h.m.channel("ops").depth() == 2 })
	if n := r.callCount(); n != 0 {
		t.Fatalf("%d POSTs during group_wait", n)
	}
	h.clk.Advance(20 * time.Second)
	got := r.waitN(t, 1)
	if len(got[0].msg.Alerts) != 2 || got[0].msg.Alerts[0].Labels["subject"] != "md0" || got[0].msg.Alerts[1].Labels["subject"] != "md1" {
		t.Fatalf("after group_wait: %+v", got[0].msg.Alerts)
	}
	for _, d := range bySubject.deliveries() {
		if len(d.msg.Alerts) != 1 || len(d.msg.GroupLabels) != 1 || d.msg.GroupLabels["subject"] == "" {
			t.Errorf("group_by [subject]: %+v", d.msg)
		}
	}
}

// TestDeliveryTruthSurvivesRestart: per alert and channel, Alerts says
// delivered only for the channel that accepted the notification, queued
// (with the live error) for the one that refuses connections, and a
// restarted Manager on the same state directory says the same.
func TestDeliveryTruthSurvivesRestart(t *testing.T) {
	ok := newReceiver(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String() + "/hook"
	ln.Close()
	dir := t.TempDir()
	cfg := Config{Channels: []ChannelConfig{webhookChannel("dead", dead), webhookChannel("ops", ok.srv.URL)}}
	h := newHarness(t, cfg, dir)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.m.Run(ctx) }()
	h.m.Process(ctx, result(nineFindings()...))
	ok.waitN(t, 1)
	h.clk.WaitTimers(t, 1) // dead failed once and backs off
	check := func(m *Manager, attempts bool) {
		t.Helper()
		as := m.Alerts()
		if len(as) != 9 {
			t.Fatalf("%d alerts, want 9", len(as))
		}
		for _, a := range as {
			if strings.Join(a.Notified, ",") != "ops" || len(a.Deliveries) != 2 {
				t.Fatalf("%s: notified %v, deliveries %+v", a.Subject, a.Notified, a.Deliveries)
			}
			d, o := a.Deliveries[0], a.Deliveries[1]
			if o.Channel != "ops" || o.State != Delivered || o.Delivered.IsZero() {
				t.Errorf("%s: ops %+v, want delivered", a.Subject, o)
			}
			if d.Channel != "dead" || d.State != Queued || !d.Delivered.IsZero() ||
				attempts && (d.Attempts != 1 || !strings.Contains(d.Error, "connection refused")) {
				t.Errorf("%s: dead %+v, want queued after 1 attempt, connection refused", a.Subject, d)
			}
		}
		st := m.Channels()
		if st[0].Name != "dead" || st[0].Queued != 9 || !st[0].LastDelivered.IsZero() || st[1].Queued != 0 {
			t.Errorf("channels %+v", st)
		}
	}
	testutil.Eventually(t, "ops delivered in the alert state", func() bool {
		as := h.m.Alerts()
		return len(as) == 9 && slices.Equal(as[8].Notified, []string{"ops"})
	})
	check(h.m, true)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	h2 := newHarness(t, cfg, dir)
	check(h2.m, false)
}

// TestRetrySendsTheSameMessage: a message that failed is retried as it was —
// the same alerts and the same ID — although another pass queued more behind
// it meanwhile; that goes out in the next message.
func TestRetrySendsTheSameMessage(t *testing.T) {
	r := newReceiver(t)
	r.setStatus(http.StatusServiceUnavailable)
	h := newHarness(t, Config{Channels: []ChannelConfig{webhookChannel("ops", r.srv.URL)}}, t.TempDir())
	h.run(t)
	a, b := finding("md_degraded", "md0", rules.Critical), finding("md_degraded", "md1", rules.Critical)
	h.m.Process(context.Background(), result(a))
	h.clk.WaitTimers(t, 1) // failed once, backing off
	h.m.Process(context.Background(), result(a, b))
	testutil.Eventually(t, "second pass queued", func() bool { return h.m.channel("ops").depth() == 2 })
	r.setStatus(http.StatusOK)
	h.clk.Advance(time.Hour)
	got := r.waitN(t, 2)
	if len(got[0].msg.Alerts) != 1 || got[0].msg.Alerts[0].Labels["subject"] != "md0" ||
		len(got[1].msg.Alerts) != 1 || got[1].msg.Alerts[0].Labels["subject"] != "md1" {
		t.Fatalf("messages %+v then %+v, want md0 alone (the retry) then md1", got[0].msg.Alerts, got[1].msg.Alerts)
	}
	r.mu.Lock()
	ids := slices.Clone(r.ids)
	r.mu.Unlock()
	if len(ids) != 3 || ids[0] != ids[1] || ids[1] == ids[2] {
		t.Errorf("request IDs %v, want the failed message's ID on its retry", ids)
	}
}
