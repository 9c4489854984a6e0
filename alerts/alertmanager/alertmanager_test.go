package alertmanager_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redwatch/redwatch/alerts"
	"github.com/redwatch/redwatch/alerts/alertmanager"
	"github.com/redwatch/redwatch/alerts/internal/testutil"
	"github.com/redwatch/redwatch/alerts/notify"
	"github.com/redwatch/redwatch/alerts/webhook"
	"github.com/redwatch/redwatch/internal/clock"
	"github.com/redwatch/redwatch/rules"
)

// onward records what Alertmanager itself delivers to its webhook receiver,
// decoded strictly into redwatch's webhook.Message: the two formats must
// stay the same.
type onward struct {
	mu   sync.Mutex
	msgs []webhook.Message
	errs []error
}

func (o *onward) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var m webhook.Message
	err := dec.Decode(&m)
	o.mu.Lock()
	defer o.mu.Unlock()
	if err != nil {
		o.errs = append(o.errs, err)
		return
	}
	o.msgs = append(o.msgs, m)
}

func (o *onward) withStatus(status string) (webhook.Message, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, m := range o.msgs {
		if m.Status == status {
			return m, true
		}
	}
	return webhook.Message{}, false
}

type amAlert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	StartsAt    time.Time         `json:"startsAt"`
	EndsAt      time.Time         `json:"endsAt"`
	Status      struct {
		State string `json:"state"`
	} `json:"status"`
}

func getAlerts(t *testing.T, base string) []amAlert {
	t.Helper()
	resp, err := http.Get(base + "/api/v2/alerts")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var as []amAlert
	if err := json.NewDecoder(resp.Body).Decode(&as); err != nil {
		t.Fatal(err)
	}
	return as
}

// TestRealAlertmanager posts through a redwatch Manager to a real
// Alertmanager (plus a second URL that is down, as in an HA pair with one
// member gone), reads the alert back from /api/v2/alerts, checks Alertmanager
// delivers it onward to its own webhook, then resolves it.
func TestRealAlertmanager(t *testing.T) {
	hook := &onward{}
	hookSrv := httptest.NewServer(hook)
	defer hookSrv.Close()
	base := testutil.StartAlertmanager(t, hookSrv.URL)
	down := "http://" + testutil.FreePort(t)

	cfg := alerts.Config{Channels: []alerts.ChannelConfig{{
		Name: "am", Type: alerts.TypeAlertmanager,
		Alertmanager: &alertmanager.Config{URLs: []string{down, base}, Timeout: 5 * time.Second},
	}}}
	var logs bytes.Buffer
	var logMu sync.Mutex
	logger := slog.New(slog.NewTextHandler(lockedWriter{&logMu, &logs}, nil))
	m, err := alerts.NewManager(cfg, t.TempDir(), "db7", nil, logger)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	defer func() { cancel(); <-done }()

	f := rules.Finding{Rule: "md-degraded", Severity: rules.Critical, Subject: "md0",
		Message: "md0 is degraded: 1 of 2 members", Remediation: "replace the failed disk and re-add it"}
	f2 := rules.Finding{Rule: "md-degraded", Severity: rules.Critical, Subject: "md1", Message: "md1 is degraded: 1 of 2 members"}
	m.Process(ctx, rules.Result{Findings: []rules.Finding{f, f2}})

	var got amAlert
	testutil.Eventually(t, "both alerts in Alertmanager", func() bool {
		n := 0
		for _, a := range getAlerts(t, base) {
			if a.Labels["alertname"] == "md-degraded" {
				n++
				if a.Labels["subject"] == "md0" {
					got = a
				}
			}
		}
		return n == 2
	})
	want := map[string]string{"alertname": "md-degraded", "severity": "critical", "instance": "db7", "subject": "md0"}
	for k, v := range want {
		if got.Labels[k] != v {
			t.Errorf("label %s = %q, want %q", k, got.Labels[k], v)
		}
	}
	if got.Annotations["remediation"] != f.Remediation || !strings.Contains(got.Annotations["description"], f.Message) ||
		!strings.Contains(got.Annotations["summary"], "md-degraded") || got.Annotations["fingerprint"] != alerts.Fingerprint("db7", f.Rule, f.Subject) {
		t.Errorf("annotations %v", got.Annotations)
	}
	if got.Status.State != "active" {
		t.Errorf("state %q", got.Status.State)
	}
	if left := time.Until(got.EndsAt); left < 3*time.Minute || left > 5*time.Minute {
		t.Errorf("endsAt in %v, want about 4 × the 1m resend interval", left)
	}

	testutil.Eventually(t, "Alertmanager's own webhook: firing", func() bool { _, ok := hook.withStatus("firing"); return ok })
	fm, _ := hook.withStatus("firing")
	if fm.Version != "4" || len(fm.Alerts) == 0 || !strings.HasPrefix(fm.Alerts[0].Labels["subject"], "md") {
		t.Errorf("onward firing %+v", fm)
	}

	m.Process(ctx, rules.Result{})
	testutil.Eventually(t, "resolved in Alertmanager", func() bool {
		for _, a := range getAlerts(t, base) {
			if a.Labels["alertname"] == "md-degraded" && a.EndsAt.After(time.Now()) {
				return false
			}
		}
		return true
	})
	testutil.Eventually(t, "Alertmanager's own webhook: resolved", func() bool { _, ok := hook.withStatus("resolved"); return ok })
	hook.mu.Lock()
	if len(hook.errs) > 0 {
		t.Errorf("Alertmanager's payload does not decode strictly into webhook.Message: %v", hook.errs)
	}
	hook.mu.Unlock()
	logMu.Lock()
	// One request per pass for both alerts: the down member failed once for
	// the firing pair and once for the resolved pair.
	if n := strings.Count(logs.String(), "one Alertmanager did not take the alerts"); n != 2 {
		t.Errorf("the down member was logged %d times, want 2 (one request per pass):\n%s", n, logs.String())
	}
	logMu.Unlock()
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestEndsAt(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a, err := alertmanager.New(alertmanager.Config{URLs: []string{"http://127.0.0.1:1"}, ResendInterval: 30 * time.Second}, clock.NewFake(now), nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.RepeatInterval() != 30*time.Second {
		t.Errorf("repeat %v", a.RepeatInterval())
	}
	n := &notify.Notification{Status: notify.Firing, StartsAt: now.Add(-time.Hour)}
	if p := a.Alert(n, now); !p.EndsAt.Equal(now.Add(2 * time.Minute)) {
		t.Errorf("firing endsAt %v, want now+4×30s", p.EndsAt)
	}
	n.Status, n.EndsAt = notify.Resolved, now.Add(-time.Minute)
	if p := a.Alert(n, now); !p.EndsAt.Equal(n.EndsAt) {
		t.Errorf("resolved endsAt %v, want the resolution time", p.EndsAt)
	}
}

func TestAllDown(t *testing.T) {
	a, err := alertmanager.New(alertmanager.Config{URLs: []string{"http://" + testutil.FreePort(t), "http://" + testutil.FreePort(t)}}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = a.Notify(context.Background(), notify.Single(notify.Notification{Status: notify.Firing, Rule: "r"}))
	if err == nil || notify.IsPermanent(err) {
		t.Fatalf("all members down: %v, want a retryable error", err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "bad", 400) }))
	defer srv.Close()
	a, _ = alertmanager.New(alertmanager.Config{URLs: []string{srv.URL, "http://" + testutil.FreePort(t)}}, nil, nil)
	if err := a.Notify(context.Background(), notify.Single(notify.Notification{Status: notify.Firing})); err == nil || notify.IsPermanent(err) {
		t.Errorf("one 400 and one down: %v, want retryable", err)
	}
	a, _ = alertmanager.New(alertmanager.Config{URLs: []string{srv.URL}}, nil, nil)
	if err := a.Notify(context.Background(), notify.Single(notify.Notification{Status: notify.Firing})); !notify.IsPermanent(err) {
		t.Errorf("only a 400: %v, want permanent", err)
	}
}
