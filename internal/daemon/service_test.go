package daemon

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redwatch/redwatch/collectors"
	"github.com/redwatch/redwatch/internal/config"
	"github.com/redwatch/redwatch/internal/testtree"
	"github.com/redwatch/redwatch/rules"
)

// serviceFor is a Service over a copy of a fixture tree with the default
// configuration, listening on a free loopback port.
func serviceFor(t *testing.T, fixture string, log *syncBuffer) *Service {
	t.Helper()
	roots := collectors.TreeRoots(testtree.Copy(t, fixture))
	return &Service{
		Roots:       roots,
		LoadConfig:  func() (*config.Config, error) { return config.Default(), nil },
		Overrides:   Overrides{Listen: "127.0.0.1:0", Interval: time.Hour},
		Logger:      testLogger(log),
		Notifier:    &recorder{},
		StopTimeout: 2 * time.Second,
	}
}

// TestServiceRunsAndStops: the Service serves /health with the loop's
// verdict, and a cancelled context stops the endpoint and the loop and
// returns nil.
func TestServiceRunsAndStops(t *testing.T) {
	var log syncBuffer
	s := serviceFor(t, "md_raid1_healthy", &log)
	passes := make(chan Report, 16)
	addr := make(chan net.Addr, 1)
	s.OnPass = func(r Report) { passes <- r }
	s.Started = func(a net.Addr, _ *Daemon) { addr <- a }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()

	var base string
	select {
	case a := <-addr:
		base = "http://" + a.String()
	case err := <-done:
		t.Fatalf("Run ended before it listened: %v\n%s", err, log.String())
	}
	if r := <-passes; r.Pass.Result.Status != rules.StatusOK {
		t.Fatalf("first pass %s", r.Pass.Result.Status)
	}
	resp, err := http.Get(base + "/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/health: %d", resp.StatusCode)
	}

	stopService(t, cancel, done)
	if _, err := http.Get(base + "/health"); err == nil {
		t.Error("the endpoint still answers after Run returned")
	}
	if !strings.Contains(log.String(), "stopped") {
		t.Errorf("no stop in the log:\n%s", log.String())
	}
}

// TestServiceStartFailure: an error before the endpoint listens (the port
// is taken) is returned, and the loop never ran a pass.
func TestServiceStartFailure(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var log syncBuffer
	s := serviceFor(t, "md_raid1_healthy", &log)
	s.Overrides.Listen = ln.Addr().String()
	s.OnPass = func(Report) { t.Error("a pass ran although the daemon did not start") }
	err = s.Run(context.Background())
	var opErr *net.OpError
	if !errors.As(err, &opErr) {
		t.Fatalf("Run = %v, want the listen error", err)
	}

	// A configuration that cannot be read stops the start the same way.
	s = serviceFor(t, "md_raid1_healthy", &log)
	bad := filepath.Join(t.TempDir(), "redwatch.yaml")
	if err := os.WriteFile(bad, []byte("daemon: [\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s.LoadConfig = func() (*config.Config, error) { return config.Load(bad) }
	if err := s.Run(context.Background()); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("Run with a bad configuration = %v, want an error naming %s", err, bad)
	}
}
