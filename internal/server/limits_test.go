package server

import (
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/redwatch/redwatch/internal/daemon/report"
)

func TestConnectionCap(t *testing.T) {
	for _, c := range []struct {
		want    int
		nofile  uint64
		limit   int
		lowered bool
		err     string
	}{
		{0, 8192, DefaultMaxConnections, false, ""},
		{0, 1024, DefaultMaxConnections, false, ""}, // the unit's LimitNOFILE
		{100, 1024, 100, false, ""},
		{2000, 1024, 1024 - FDReserve, true, ""},
		{0, 256, 256 - FDReserve, true, ""},
		{0, FDReserve, 0, false, "leaves no descriptor"},
		{-1, 1024, 0, false, "must not be negative"},
	} {
		limit, lowered, err := ConnectionCap(c.want, c.nofile)
		if limit != c.limit || lowered != c.lowered || (err == nil) != (c.err == "") || (err != nil && !strings.Contains(err.Error(), c.err)) {
			t.Errorf("ConnectionCap(%d, %d) = %d, %v, %v; want %d, %v, %q", c.want, c.nofile, limit, lowered, err, c.limit, c.lowered, c.err)
		}
	}
}

// TestUnitLimitsAgree reads the shipped unit: its LimitNOFILE leaves room
// for the default connection cap and the descriptor reserve, and its
// MemoryMax holds the base budget plus the cap's connections.
func TestUnitLimitsAgree(t *testing.T) {
	unit, err := os.ReadFile(filepath.Join("..", "..", "packaging", "redwatch.service"))
	if err != nil {
		t.Fatal(err)
	}
	value := func(key string) string {
		m := regexp.MustCompile(`(?m)^` + key + `=(\S+)$`).FindStringSubmatch(string(unit))
		if m == nil {
			t.Fatalf("unit has no %s=", key)
		}
		return m[1]
	}
	nofile, err := strconv.ParseUint(value("LimitNOFILE"), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	limit, lowered, err := ConnectionCap(0, nofile)
	if err != nil || lowered || limit != DefaultMaxConnections {
		t.Errorf("LimitNOFILE=%d lowers the default cap %d to %d (%v)", nofile, DefaultMaxConnections, limit, err)
	}
	mem := value("MemoryMax")
	mib, err := strconv.ParseUint(strings.TrimSuffix(mem, "M"), 10, 64)
	if err != nil || !strings.HasSuffix(mem, "M") {
		t.Fatalf("MemoryMax=%s: want a value in M", mem)
	}
	if need := uint64(BaseMemory+DefaultMaxConnections*ConnMemory) >> 20; mib < need {
		t.Errorf("MemoryMax=%s is below the %d MiB that %d connections and the rest need", mem, need, DefaultMaxConnections)
	}
}

// blockingCollector holds every Collect until release is closed.
type blockingCollector struct {
	entered chan struct{}
	release chan struct{}
}

func (c *blockingCollector) Describe(chan<- *prometheus.Desc) {}

func (c *blockingCollector) Collect(chan<- prometheus.Metric) {
	c.entered <- struct{}{}
	<-c.release
}

// TestMaxRequests: with one /metrics request in flight and a cap of one,
// the next is shed with 503 at once; with no cap (-1) it waits its turn.
func TestMaxRequests(t *testing.T) {
	r := fixtureReport(t, "bond_ab_healthy")
	for _, tc := range []struct {
		max      int
		wantShed bool
	}{{1, true}, {-1, false}} {
		bc := &blockingCollector{entered: make(chan struct{}, 4), release: make(chan struct{})}
		s, err := New(Options{Last: func() *report.Report { return r }, Extra: []prometheus.Collector{bc}, MaxRequests: tc.max})
		if err != nil {
			t.Fatal(err)
		}
		first := make(chan int, 1)
		go func() { code, _, _ := get(t, s.Handler(), "/metrics"); first <- code }()
		<-bc.entered
		second := make(chan int, 1)
		go func() { code, _, _ := get(t, s.Handler(), "/metrics"); second <- code }()
		if tc.wantShed {
			select {
			case code := <-second:
				if code != http.StatusServiceUnavailable {
					t.Errorf("max %d: second request %d, want 503", tc.max, code)
				}
			case <-bc.entered:
				t.Errorf("max %d: the second request was served, not shed", tc.max)
				close(bc.release)
				<-first
				<-second
				continue
			}
		} else {
			<-bc.entered // the second request is being served too
		}
		close(bc.release)
		if code := <-first; code != http.StatusOK {
			t.Errorf("max %d: first request %d", tc.max, code)
		}
		if !tc.wantShed {
			if code := <-second; code != http.StatusOK {
				t.Errorf("max %d: second request %d", tc.max, code)
			}
		}
	}
}
