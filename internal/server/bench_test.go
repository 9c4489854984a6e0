package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/redwatch/redwatch/collectors"
	"github.com/redwatch/redwatch/internal/clock"
	"github.com/redwatch/redwatch/internal/daemon/report"
	"github.com/redwatch/redwatch/internal/engine"
	"github.com/redwatch/redwatch/internal/hostgen"
)

// largeReport is a pass over hostgen's large host (1×).
func largeReport(b *testing.B) *report.Report {
	b.Helper()
	dir := b.TempDir()
	spec := hostgen.Large
	spec.Complete = true
	if err := hostgen.Generate(dir, spec); err != nil {
		b.Fatal(err)
	}
	eng := &engine.Engine{Roots: collectors.TreeRoots(dir), Clock: clock.NewFake(passTime)}
	return &report.Report{
		Pass: eng.Run(context.Background()), Seq: 1, Trigger: report.TriggerStart,
		Passes: map[string]uint64{"start": 1}, Interval: 30 * time.Second,
	}
}

func benchGet(b *testing.B, path string, hdr map[string]string, newPass bool) {
	r := largeReport(b)
	last := r
	s, err := New(Options{Last: func() *report.Report { return last }, Build: testBuild})
	if err != nil {
		b.Fatal(err)
	}
	h := s.Handler()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	b.ReportAllocs()
	for b.Loop() {
		if newPass {
			next := *r
			last = &next
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("%s: %d", path, rec.Code)
		}
		b.SetBytes(int64(rec.Body.Len()))
	}
}

// BenchmarkMetrics is one /metrics scrape of the last pass on the large
// host (1×), the pass already rendered by an earlier scrape.
func BenchmarkMetrics(b *testing.B) { benchGet(b, "/metrics", nil, false) }

// BenchmarkMetricsGzip is BenchmarkMetrics as Prometheus asks: gzip.
func BenchmarkMetricsGzip(b *testing.B) {
	benchGet(b, "/metrics", map[string]string{"Accept-Encoding": "gzip"}, false)
}

// BenchmarkMetricsGzipPerPass is the first gzip scrape after each pass,
// as Prometheus scraping at the pass interval makes it: it renders.
func BenchmarkMetricsGzipPerPass(b *testing.B) {
	benchGet(b, "/metrics", map[string]string{"Accept-Encoding": "gzip"}, true)
}

// BenchmarkHealth is one /health request on the large host.
func BenchmarkHealth(b *testing.B) { benchGet(b, "/health", nil, false) }
