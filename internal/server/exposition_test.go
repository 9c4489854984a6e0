package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/redwatch/redwatch/collectors"
	"github.com/redwatch/redwatch/internal/clock"
	"github.com/redwatch/redwatch/internal/daemon/report"
	"github.com/redwatch/redwatch/internal/engine"
	"github.com/redwatch/redwatch/internal/hostgen"
	"github.com/redwatch/redwatch/rules"
)

// probeCollector sends families named around the pass metrics', gathered
// per request like the alerts' metrics.
type probeCollector struct{ names []string }

func (c probeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, n := range c.names {
		ch <- probeDesc(n)
	}
}

func (c probeCollector) Collect(ch chan<- prometheus.Metric) {
	for _, n := range c.names {
		ch <- prometheus.MustNewConstMetric(probeDesc(n), prometheus.GaugeValue, 2.5, `a "b" \c`)
	}
}

func probeDesc(name string) *prometheus.Desc {
	return prometheus.NewDesc(name, "A probe family.\nSecond line \\.", []string{"probe"}, nil)
}

// response is one /metrics answer, decompressed, with the families about
// the process (go_*, process_*, which change between two requests) taken
// out.
type response struct {
	code                         int
	contentType, contentEncoding string
	vary                         string
	body                         string
	raw                          []byte
}

func scrape(t *testing.T, h http.Handler, hdr map[string]string) response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	r := response{code: rec.Code, contentType: rec.Header().Get("Content-Type"),
		contentEncoding: rec.Header().Get("Content-Encoding"), vary: strings.Join(rec.Header().Values("Vary"), ", "),
		raw: rec.Body.Bytes()}
	body := rec.Body.Bytes()
	if r.contentEncoding == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		zr.Multistream(false) // one member, as every client reads it
		if body, err = io.ReadAll(zr); err != nil {
			t.Fatalf("gzip body: %v", err)
		}
		if _, err := zr.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
			t.Fatal("more than one gzip member")
		}
	}
	var b strings.Builder
	for _, line := range strings.SplitAfter(string(body), "\n") {
		name := strings.TrimPrefix(strings.TrimPrefix(line, "# HELP "), "# TYPE ")
		if strings.HasPrefix(name, "go_") || strings.HasPrefix(name, "process_") {
			continue
		}
		b.WriteString(line)
	}
	r.body = b.String()
	return r
}

// escapingReport is a pass whose label values and help need escaping and
// whose values need care (-0).
func escapingReport(t *testing.T) *report.Report {
	r := degraded(t)
	r.Pass.Result.Findings = append(r.Pass.Result.Findings, rules.Finding{Rule: "bond_member_down", Severity: rules.Warning,
		Subject: "weird \"quoted\" \\back\\slash\nnew line ünïcode"})
	r.Passes = map[string]uint64{"start": 1, "event": 0}
	r.Interval = 0
	r.Pass.Duration = -0
	return r
}

// TestExpositionMatchesRegistry: the exposition rendered once per pass is,
// byte for byte and header for header, what promhttp encodes from the
// registry, for every fixture, before the first pass, with families of
// other collectors around and between the pass's, plain and gzip, for the
// Accept headers Prometheus and people send.
func TestExpositionMatchesRegistry(t *testing.T) {
	large := func(t *testing.T) *report.Report {
		dir := t.TempDir()
		spec := hostgen.Large.Scaled(0.25)
		spec.Complete = true
		if err := hostgen.Generate(dir, spec); err != nil {
			t.Fatal(err)
		}
		eng := &engine.Engine{Roots: collectors.TreeRoots(dir), Clock: clock.NewFake(passTime)}
		return &report.Report{Pass: eng.Run(context.Background()), Seq: 1, Trigger: report.TriggerStart,
			Passes: map[string]uint64{"start": 1}, Interval: 30 * time.Second}
	}
	reports := map[string]func(t *testing.T) *report.Report{
		"degraded": degraded,
		"lldp":     func(t *testing.T) *report.Report { return fixtureReport(t, "bond_same_switch") },
		"lldp nic": func(t *testing.T) *report.Report {
			return fixtureReport(t, "lldp_nic_outside_bond")
		},
		"disks": func(t *testing.T) *report.Report { return fixtureReport(t, "md_raid1_disk_offline") },
		"nvme":  func(t *testing.T) *report.Report { return fixtureReport(t, "disk_nvme_critical_warning") },
		"hwraid": func(t *testing.T) *report.Report {
			return fixtureReport(t, "hwraid_perccli_synthetic_optimal_failed_member")
		},
		"power":             func(t *testing.T) *report.Report { return fixtureReport(t, "psu_ipmi_redundancy_lost") },
		"escaping":          escapingReport,
		"before first pass": func(*testing.T) *report.Report { return nil },
		"large":             large,
	}
	extras := map[string][]prometheus.Collector{
		"process only": nil,
		"around":       {probeCollector{names: []string{"a_probe", "zz_probe"}}},
		"between":      {probeCollector{names: []string{"redwatch_m_probe"}}},
	}
	headers := []map[string]string{
		{},
		{"Accept-Encoding": "gzip"},
		{"Accept-Encoding": "gzip, deflate, br, zstd", "Accept": "text/html,application/xhtml+xml,*/*;q=0.8"},
		// Prometheus 3's scrape.
		{"Accept-Encoding": "gzip", "Accept": "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2"},
		{"Accept": "text/plain;version=0.0.4"},
	}
	for name, mk := range reports {
		t.Run(name, func(t *testing.T) {
			r := mk(t)
			for ename, extra := range extras {
				s, err := New(Options{
					Last:   func() *report.Report { return r },
					Reload: func() report.ReloadStatus { return report.ReloadStatus{Successful: true, LastSuccess: passTime} },
					Build:  testBuild,
					Extra:  extra,
				})
				if err != nil {
					t.Fatal(err)
				}
				for _, hdr := range headers {
					got := scrape(t, s.Handler(), hdr)
					if px := s.metrics.cache.cur; px == nil || !px.fast {
						t.Fatalf("%s %v: not served from the rendering", ename, hdr)
					}
					want := scrape(t, s.metrics.registry, hdr)
					if got.code != want.code || got.contentType != want.contentType || got.contentEncoding != want.contentEncoding || got.vary != want.vary {
						t.Errorf("%s %v: got %d %q %q %q, registry %d %q %q %q", ename, hdr,
							got.code, got.contentType, got.contentEncoding, got.vary, want.code, want.contentType, want.contentEncoding, want.vary)
					}
					if got.body != want.body {
						t.Errorf("%s %v: body differs from the registry's\n%s", ename, hdr, firstDiff(got.body, want.body))
					}
				}
				if n := s.metrics.cache.renders; n != 1 {
					t.Errorf("%s: %d renderings of one pass", ename, n)
				}
			}
		})
	}
}

// firstDiff shows where a and b first differ.
func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) && i < len(bl); i++ {
		if al[i] != bl[i] {
			return fmt.Sprintf("line %d: %s\nregistry: %s", i+1, al[i], bl[i])
		}
	}
	return "lengths differ"
}

// TestExpositionRefusedByRegistry: a pass the registry refuses (a label
// value that is not UTF-8, a label set sent twice) is answered by the
// registry as before: 500 with its error.
func TestExpositionRefusedByRegistry(t *testing.T) {
	for name, mutate := range map[string]func(r *report.Report){
		"not UTF-8": func(r *report.Report) {
			r.Pass.Result.Findings[0].Subject = "bad \xff subject"
		},
		"disk twice": func(r *report.Report) {
			r.Pass.Snapshot.BlockDisks = append(r.Pass.Snapshot.BlockDisks, r.Pass.Snapshot.BlockDisks[0])
		},
	} {
		r := fixtureReport(t, "md_raid1_disk_offline")
		mutate(r)
		s := newTestServer(t, r, passTime)
		got := scrape(t, s.Handler(), map[string]string{"Accept-Encoding": "gzip"})
		if px := s.metrics.cache.cur; px == nil || px.fast {
			t.Errorf("%s: served from a rendering", name)
		}
		want := scrape(t, s.metrics.registry, map[string]string{"Accept-Encoding": "gzip"})
		if got.code != http.StatusInternalServerError || got.code != want.code || got.body != want.body {
			t.Errorf("%s: %d %q, registry %d %q", name, got.code, got.body, want.code, want.body)
		}
	}
}

// TestMetricsRenderedOncePerPass: two scrapes between passes return the
// same bytes for the pass metrics — even when the published report were
// changed in place, which the daemon never does, the scrape serves the
// pass as rendered — and a new pass, or a reload, renders them anew.
func TestMetricsRenderedOncePerPass(t *testing.T) {
	r := degraded(t)
	last := r
	reload := report.ReloadStatus{Successful: true, LastSuccess: passTime}
	s, err := New(Options{Last: func() *report.Report { return last }, Reload: func() report.ReloadStatus { return reload }, Build: testBuild})
	if err != nil {
		t.Fatal(err)
	}
	h := s.Handler()
	for _, hdr := range []map[string]string{{}, {"Accept-Encoding": "gzip"}} {
		first := scrape(t, h, hdr)
		r.Passes["event"] = 99
		second := scrape(t, h, hdr)
		if first.body != second.body || !strings.Contains(second.body, `redwatch_passes_total{kind="full",trigger="event"} 1`) {
			t.Errorf("%v: two scrapes of one pass differ:\n%s", hdr, firstDiff(first.body, second.body))
		}
		r.Passes["event"] = 2
	}
	if n := s.metrics.cache.renders; n != 1 {
		t.Errorf("%d renderings of one pass, want 1", n)
	}

	next := *r
	next.Passes = map[string]uint64{"start": 1, "event": 3}
	last = &next
	if body := scrape(t, h, nil).body; !strings.Contains(body, `redwatch_passes_total{kind="full",trigger="event"} 2`) {
		t.Errorf("a new pass is not served:\n%s", body)
	}
	reload = report.ReloadStatus{Successful: false, LastSuccess: passTime}
	if body := scrape(t, h, map[string]string{"Accept-Encoding": "gzip"}).body; !strings.Contains(body, "redwatch_config_last_reload_successful 0") {
		t.Errorf("a failed reload is not served:\n%s", body)
	}
	if n := s.metrics.cache.renders; n != 3 {
		t.Errorf("%d renderings of three states, want 3", n)
	}
}

// TestHealthEncodedOncePerPass: /health serves the body of the pass as it
// was encoded, and a new pass's.
func TestHealthEncodedOncePerPass(t *testing.T) {
	r := degraded(t)
	last := r
	s := newTestServer(t, nil, passTime)
	s.opts.Last = func() *report.Report { return last }
	_, first, _ := get(t, s.Handler(), "/health")
	r.Pass.Snapshot.Host = "changed-in-place"
	if _, second, _ := get(t, s.Handler(), "/health"); second != first {
		t.Errorf("two requests of one pass differ:\n%s\n%s", first, second)
	}
	next := *r
	last = &next
	if _, third, _ := get(t, s.Handler(), "/health"); !strings.Contains(third, `"host":"changed-in-place"`) {
		t.Errorf("a new pass is not served: %.200s", third)
	}
}

// TestNegotiateGzip chooses the coding promhttp chooses for every header it
// claims to understand.
func TestNegotiateGzip(t *testing.T) {
	s := newTestServer(t, degraded(t), passTime)
	for _, c := range []struct {
		header string
		gz, ok bool
	}{
		{"", false, true},
		{"gzip", true, true},
		{"gzip, deflate, br, zstd", true, true},
		{"deflate,gzip", true, true},
		{"gzip ,\tbr", true, true},
		{" gzip", false, false},
		{"br", false, true},
		{"identity", false, true},
		{"*", false, true},
		{"gzip, *", false, true},
		{"identity, gzip", false, true},
		{"GZIP", false, true},
		{"x-gzip", false, true},
		{"gzip;q=0.5", false, false},
		{"gzip,,br", false, false},
		{"gzip, identity;q=0", false, false},
	} {
		hdr := http.Header{}
		if c.header != "" {
			hdr.Set("Accept-Encoding", c.header)
		}
		gz, ok := negotiateGzip(hdr)
		if gz != c.gz || ok != c.ok {
			t.Errorf("negotiateGzip(%q) = %v, %v; want %v, %v", c.header, gz, ok, c.gz, c.ok)
		}
		if !ok {
			continue
		}
		want := scrape(t, s.metrics.registry, map[string]string{"Accept-Encoding": c.header})
		if (want.contentEncoding == "gzip") != gz {
			t.Errorf("%q: promhttp chooses %q, negotiateGzip gzip=%v", c.header, want.contentEncoding, gz)
		}
	}
}

// TestGzipReadByGzip: the spliced gzip member is read by gzip(1) too.
func TestGzipReadByGzip(t *testing.T) {
	s := newTestServer(t, degraded(t), passTime)
	got := scrape(t, s.Handler(), map[string]string{"Accept-Encoding": "gzip"})
	cmd := exec.Command("gzip", "-dc")
	cmd.Stdin = bytes.NewReader(got.raw)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("gzip -dc: %v", err)
	}
	if !strings.Contains(string(out), "redwatch_status 2\n") || !strings.Contains(string(out), "go_goroutines") {
		t.Errorf("gzip -dc read %d bytes without the expected metrics", len(out))
	}
}
