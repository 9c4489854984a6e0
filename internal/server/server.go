// Package server is redwatch's node health endpoint: /metrics for
// Prometheus, /health for load balancers and fleet checks, /healthz for the
// daemon's own liveness and / for a person. Every handler reads the last pass
// the daemon published; no request starts disk or BMC I/O.
package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/redwatch/redwatch/alerts"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/exporter-toolkit/web"

	"github.com/redwatch/redwatch/internal/buildinfo"
	"github.com/redwatch/redwatch/internal/clock"
	"github.com/redwatch/redwatch/internal/daemon/report"
	"github.com/redwatch/redwatch/rules"
)

// DefaultPort is the endpoint's default TCP port. The Prometheus project's
// exporter range (9100-9999, see the "Default port allocations" page of its
// wiki) is fully allocated, so redwatch takes a port outside it that no
// well-known exporter or Prometheus component uses, below Linux's ephemeral
// range (32768-60999) so that it never collides with outgoing connections.
const DefaultPort = 29100

// DefaultListen is the default listen address.
const DefaultListen = ":29100"

// StaleAfter is how many intervals without a pass make /healthz fail.
const StaleAfter = 3

// Options build a Server.
type Options struct {
	// Last returns the daemon's last report, nil before the first pass.
	Last func() *report.Report
	// Interval returns the safety-net interval in force.
	Interval func() time.Duration
	// Reload returns the outcome of the last configuration load
	// (redwatch_config_last_reload_*); nil leaves those metrics out.
	Reload func() report.ReloadStatus
	// Clock is the clock; nil means the wall clock.
	Clock clock.Clock
	// Started is when the daemon started (the reference for /healthz before
	// the first pass).
	Started time.Time
	// Build is the running build, for redwatch_build_info.
	Build buildinfo.Info
	// Logger logs server errors; nil means slog.Default().
	Logger *slog.Logger
	// Extra are more collectors for /metrics (the alerts manager's
	// redwatch_alert_* metrics). Their Collect must not start disk or BMC I/O.
	Extra []prometheus.Collector
	// Alerts returns the active alerts for the status page; nil when the
	// daemon sends no alerts.
	Alerts func() []alerts.Alert
	// Channels returns the delivery state of each alert channel for the
	// status page; nil when the daemon sends no alerts.
	Channels func() []alerts.ChannelStatus
	// MaxConnections caps the concurrent connections Serve accepts (see
	// ConnectionCap); zero or less means no cap.
	MaxConnections int
	// MaxRequests caps the /metrics requests served at once; more are
	// answered 503. Zero means DefaultMaxRequests, less than zero no cap.
	MaxRequests int
}

// Server serves the endpoint.
type Server struct {
	opts    Options
	handler http.Handler
	metrics *metricsHandler
	// healthBody is the /health body of the last pass, encoded once.
	healthBody healthCache
}

// healthCache holds the /health body of one report.
type healthCache struct {
	mu   sync.Mutex
	r    *report.Report
	body []byte
	err  error
}

// get returns HealthJSON(r), encoding it on the first request after a pass.
func (c *healthCache) get(r *report.Report) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.r != r {
		c.body, c.err = HealthJSON(r)
		c.r = r
	}
	return c.body, c.err
}

// New returns the server.
func New(opts Options) (*Server, error) {
	if opts.Last == nil {
		return nil, errors.New("server: no Last function")
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.Interval == nil {
		opts.Interval = func() time.Duration { return report.DefaultInterval }
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Started.IsZero() {
		opts.Started = opts.Clock.Now()
	}
	// reg holds every collector (its Register checks them against each
	// other); live every one but the pass's, gathered per request.
	pass := &passCollector{last: opts.Last, reload: opts.Reload, build: opts.Build}
	reg, live := prometheus.NewRegistry(), prometheus.NewRegistry()
	for _, c := range append([]prometheus.Collector{
		pass,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	}, opts.Extra...) {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("server: register metrics: %w", err)
		}
		if c != prometheus.Collector(pass) {
			if err := live.Register(c); err != nil {
				return nil, fmt.Errorf("server: register metrics: %w", err)
			}
		}
	}
	s := &Server{opts: opts}
	errorLog := slog.NewLogLogger(opts.Logger.Handler(), slog.LevelError)
	s.metrics = &metricsHandler{
		cache:    &expositionCache{descs: describeDescs(passDescs()), pass: pass},
		live:     live,
		registry: promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorLog: errorLog}),
		errorLog: errorLog,
	}
	switch {
	case opts.MaxRequests == 0:
		s.metrics.maxRequests = DefaultMaxRequests
	case opts.MaxRequests > 0:
		s.metrics.maxRequests = opts.MaxRequests
	}
	if s.metrics.maxRequests > 0 {
		s.metrics.inFlight = make(chan struct{}, s.metrics.maxRequests)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", s.metrics)
	mux.HandleFunc("GET /health", s.health)
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /{$}", s.page)
	s.handler = mux
	return s, nil
}

// Handler is the endpoint's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// Serve serves on l until ctx ends, with TLS and basic authentication when
// webConfigFile (exporter-toolkit's web configuration) asks for them. The
// file is re-read on every connection, so a new certificate or password
// needs no restart. On ctx end it shuts down, waiting at most grace for open
// requests.
func (s *Server) Serve(ctx context.Context, l net.Listener, webConfigFile string, grace time.Duration) error {
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       time.Minute,
		MaxHeaderBytes:    MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.opts.Logger.Handler(), slog.LevelDebug),
	}
	systemdSocket := false
	flags := &web.FlagConfig{
		WebListenAddresses: &[]string{l.Addr().String()},
		WebSystemdSocket:   &systemdSocket,
		WebConfigFile:      &webConfigFile,
	}
	// The cap goes under TLS: a connection waiting for its handshake holds
	// a descriptor too.
	l = limitListener(l, s.opts.MaxConnections)
	if webConfigFile != "" {
		l = &gateListener{Listener: l, install: func() { srv.Handler = newAuthGate(srv.Handler, s.opts.Clock) }}
	}
	errc := make(chan error, 1)
	go func() { errc <- web.Serve(l, srv, flags, s.opts.Logger) }()
	select {
	case err := <-errc:
		return fmt.Errorf("server: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("server: %w", err)
	}
	return nil
}

// ValidateWebConfig checks an exporter-toolkit web configuration file.
func ValidateWebConfig(path string) error {
	if err := web.Validate(path); err != nil {
		return fmt.Errorf("server: web config %s: %w", path, err)
	}
	return nil
}

// health serves the audit JSON object of the last pass plus "time" (when the
// pass ran) and "host": 200 for ok and warning, 503 for critical and unknown
// and before the first pass. The body is encoded once per pass.
func (s *Server) health(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	r := s.opts.Last()
	if r == nil || r.Pass == nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"status":"unknown","error":"no pass has run yet","findings":[],"groups":[],"errors":[]}` + "\n"))
		return
	}
	body, err := s.healthBody.get(r)
	if err != nil {
		http.Error(w, "server: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.WriteHeader(HealthCode(r.Pass.Result.Status))
	_, _ = w.Write(body)
}

// HealthCode is the /health HTTP status for a verdict.
func HealthCode(s rules.Status) int {
	if s == rules.StatusOK || s == rules.StatusWarning {
		return http.StatusOK
	}
	return http.StatusServiceUnavailable
}

// HealthJSON is the /health body: the audit JSON object with "time" and
// "host" first.
func HealthJSON(r *report.Report) ([]byte, error) {
	b, err := json.Marshal(r.Pass.View(true))
	if err != nil {
		return nil, fmt.Errorf("server: encode result: %w", err)
	}
	return append(b, '\n'), nil
}

// healthz is the daemon's own liveness: 200 while a pass has completed
// within StaleAfter intervals (counted from the start before the first
// pass), 503 when the loop is stuck.
func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	ref := s.opts.Started
	r := s.opts.Last()
	if r != nil && r.Pass != nil {
		ref = r.Pass.Started.Add(r.Pass.Duration)
	}
	limit := StaleAfter * s.opts.Interval()
	age := s.opts.Clock.Now().Sub(ref)
	if age > limit {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintf(w, "stale: no pass for %s (limit %s)\n", age.Round(time.Millisecond), limit)
		return
	}
	if r == nil {
		fmt.Fprintf(w, "ok: starting\n")
		return
	}
	fmt.Fprintf(w, "ok: last pass %s ago\n", age.Round(time.Millisecond))
}
