package server

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redwatch/redwatch/alerts"
	"github.com/redwatch/redwatch/alerts/webhook"
)

// deliveringServer is newTestServer over a degraded host whose findings a
// real, running alerts.Manager sends to three webhook channels: ops (a
// receiver that accepts), dead (a port that refuses every connection) and
// strict (a receiver that answers 400, a permanent failure). It returns once
// ops has delivered, strict has dropped and dead has failed at least once.
func deliveringServer(t *testing.T, now time.Time) *Server {
	t.Helper()
	r := degraded(t)
	ok := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(ok.Close)
	strict := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "unknown receiver", http.StatusBadRequest)
	}))
	t.Cleanup(strict.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String() + "/hook"
	ln.Close() // refuses connections from now on
	hook := func(name, url string) alerts.ChannelConfig {
		return alerts.ChannelConfig{Name: name, Type: alerts.TypeWebhook, Webhook: &webhook.Config{URL: url, Timeout: 5 * time.Second}}
	}
	cfg := alerts.Config{Channels: []alerts.ChannelConfig{hook("dead", dead), hook("ops", ok.URL), hook("strict", strict.URL)}}
	m, err := alerts.NewManager(cfg, t.TempDir(), "db-17", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	m.Process(ctx, r.Pass.Result)
	deadline := time.Now().Add(20 * time.Second)
	for {
		st := map[string]alerts.ChannelStatus{}
		for _, c := range m.Channels() {
			st[c.Name] = c
		}
		if !st["ops"].LastDelivered.IsZero() && st["strict"].LastError != "" && st["strict"].Queued == 0 && st["dead"].Attempts > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("channels never settled: %+v", st)
		}
		time.Sleep(10 * time.Millisecond) // polling real deliveries, not waiting for time
	}
	s := newTestServer(t, r, now)
	s.opts.Alerts, s.opts.Channels = m.Alerts, m.Channels
	return s
}

// TestStatusPageDeliveryTruth: the page says per alert and per channel what
// happened — delivered (ops), queued with the last error (dead, whose port
// refuses every connection) or failed and dropped (strict, 400) — and never
// that the dead channel was notified.
func TestStatusPageDeliveryTruth(t *testing.T) {
	s := deliveringServer(t, passTime.Add(5*time.Second))
	_, body, _ := get(t, s.Handler(), "/")
	for _, want := range []string{
		"<b>ops</b>: delivered 20",
		"<b>dead</b>: queued since 20",
		"failed attempts, last error: webhook: ",
		"connection refused",
		"<b>strict</b>: failed, dropped: permanent error: webhook: POST http://127.0.0.1:",
		"400 Bad Request: unknown receiver",
		"<h2>Alert channels</h2>",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	findings := len(degraded(t).Pass.Result.Findings)
	if n := strings.Count(body, "<b>ops</b>: delivered"); n != findings {
		t.Errorf("ops delivered for %d alerts, want all %d", n, findings)
	}
	if n := strings.Count(body, "<b>dead</b>: queued"); n != findings {
		t.Errorf("dead queued for %d alerts, want all %d", n, findings)
	}
	if strings.Contains(body, "<b>dead</b>: delivered") {
		t.Error("the page claims delivery through a channel that refused every connection")
	}
	// The channel table: dead holds every alert's notification, with the error.
	row := body[strings.Index(body, "<h2>Alert channels</h2>"):]
	row = row[strings.Index(row, "<b>dead</b>"):]
	row = row[:strings.Index(row, "</tr>")]
	for _, want := range []string{"<td>webhook</td>", "<td>" + strconv.Itoa(findings) + "</td>", "<td>never</td>", "connection refused"} {
		if !strings.Contains(row, want) {
			t.Errorf("dead channel row lacks %q: %s", want, row)
		}
	}
	for _, a := range s.opts.Alerts() {
		if strings.Join(a.Notified, ",") != "ops" {
			t.Errorf("%s %s: notified %v, want only ops", a.Rule, a.Subject, a.Notified)
		}
	}
}
