package alerts

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/redwatch/redwatch/alerts/exec"
	"github.com/redwatch/redwatch/alerts/internal/testutil"
	"github.com/redwatch/redwatch/alerts/notify"
	"github.com/redwatch/redwatch/alerts/webhook"
	"github.com/redwatch/redwatch/rules"
)

var t0 = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

const testHost = "host1"

// syncBuffer is a goroutine-safe log sink the tests grep.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// delivery is one request a receiver accepted.
type delivery struct {
	msg    webhook.Message
	id     string
	header http.Header
	body   []byte
}

// receiver is a real HTTP webhook receiver (httptest) whose answer the test
// controls: a status code, or hanging until the request is abandoned.
type receiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	status int
	hang   bool
	calls  int
	ids    []string // X-Redwatch-Notification-Id of every request, answered or not
	got    []delivery
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{status: http.StatusOK}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(func() {
		r.setHang(false)
		r.srv.CloseClientConnections()
		r.srv.Close()
	})
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.calls++
	r.ids = append(r.ids, req.Header.Get(webhook.HeaderNotificationID))
	status, hang := r.status, r.hang
	r.mu.Unlock()
	if hang {
		<-req.Context().Done()
		return
	}
	if status != http.StatusOK {
		http.Error(w, "nope", status)
		return
	}
	var m webhook.Message
	if err := json.Unmarshal(body, &m); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	r.got = append(r.got, delivery{msg: m, id: req.Header.Get(webhook.HeaderNotificationID), header: req.Header.Clone(), body: body})
	r.mu.Unlock()
}

func (r *receiver) setStatus(code int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.status = code
}

func (r *receiver) setHang(h bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.hang = h
}

func (r *receiver) deliveries() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.got...)
}

func (r *receiver) callCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls
}

func (r *receiver) waitN(t *testing.T, n int) []delivery {
	t.Helper()
	testutil.Eventually(t, "deliveries", func() bool { return len(r.deliveries()) >= n })
	return r.deliveries()
}

// alerts flattens deliveries into their alerts, in delivery order.
func alertsOf(ds []delivery) []webhook.Alert {
	var out []webhook.Alert
	for _, d := range ds {
		out = append(out, d.msg.Alerts...)
	}
	return out
}

// waitAlerts waits until the receiver has accepted n alerts in all, however
// they were grouped, and returns them in delivery order.
func (r *receiver) waitAlerts(t *testing.T, n int) []webhook.Alert {
	t.Helper()
	testutil.Eventually(t, fmt.Sprintf("%d alerts delivered", n), func() bool { return len(alertsOf(r.deliveries())) >= n })
	return alertsOf(r.deliveries())
}

func webhookChannel(name, url string) ChannelConfig {
	return ChannelConfig{Name: name, Type: TypeWebhook, Webhook: &webhook.Config{URL: url, Timeout: 5 * time.Second}}
}

func finding(rule, subject string, sev rules.Severity) rules.Finding {
	return rules.Finding{Rule: rule, Subject: subject, Severity: sev, Message: rule + " on " + subject, Remediation: "fix " + subject}
}

func result(fs ...rules.Finding) rules.Result {
	return rules.Result{Findings: fs, Groups: []rules.Group{{Kind: "bond", Name: "bond0", Members: []rules.Member{{Name: "eth0", State: "up"}, {Name: "eth1", State: "down"}}}}}
}

type harness struct {
	m   *Manager
	clk *testutil.Clock
	log *syncBuffer
	dir string
}

func newHarness(t *testing.T, cfg Config, dir string, opts ...Option) *harness {
	t.Helper()
	clk := testutil.NewClock(t0)
	return newHarnessClock(t, cfg, dir, clk, opts...)
}

func newHarnessClock(t *testing.T, cfg Config, dir string, clk *testutil.Clock, opts ...Option) *harness {
	t.Helper()
	buf := &syncBuffer{}
	logger := slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	opts = append([]Option{WithRandom(func() float64 { return 0.5 })}, opts...)
	m, err := NewManager(cfg, dir, testHost, clk, logger, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return &harness{m: m, clk: clk, log: buf, dir: dir}
}

// run starts Run and stops it at the end of the test.
func (h *harness) run(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.m.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}

// pass hands a pass to the manager and evaluates it synchronously (as Run
// would), for the lifecycle tests that do not deliver.
func (h *harness) pass(fs ...rules.Finding) {
	h.m.Process(context.Background(), result(fs...))
	h.m.drainInbox()
}

// queue returns what is queued for a channel.
func (h *harness) queue(name string) []notify.Notification {
	ch := h.m.channel(name)
	ch.mu.Lock()
	defer ch.mu.Unlock()
	var out []notify.Notification
	for _, e := range ch.queue {
		out = append(out, e.n)
	}
	return out
}

// ack takes everything queued for a channel off as delivered.
func (h *harness) ack(name string) {
	ch := h.m.channel(name)
	for {
		e, ok := ch.head()
		if !ok {
			return
		}
		h.m.finish(ch, e, "", "", nil)
	}
}

var (
	execConfigForTest    = exec.Config{Command: []string{"/bin/true"}}
	webhookConfigForTest = webhook.Config{URL: "http://127.0.0.1:1/"}
)
