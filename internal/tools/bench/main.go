// Command bench measures a redwatch daemon pass against a node_exporter
// scrape of the same generated host (`make bench`, not part of `make test`):
//
//	bench -redwatch ./redwatch -node-exporter $(go env GOPATH)/bin/node_exporter [-readme README.md]
//
// For each size (internal/hostgen's Large scaled: ¼×, 1×, 4×, 16×; 1× is 32
// bonds × 4 slaves and 16 RAID6 × 8, with the files node_exporter reads) it
// runs both as daemons on loopback and interleaves rounds: redwatch runs
// -passes passes (interval -interval, scraped once per pass as Prometheus
// would), then node_exporter answers -passes scrapes. CPU is read from
// /proc/PID/task/*/schedstat around each round; redwatch's wall time per pass
// is its redwatch_pass_duration_seconds, node_exporter's per scrape the
// scrape's duration seen by the client; allocations are the rounds' growth of
// go_memstats_mallocs_total. The machine may be shared: interleaving keeps
// both programs under the same load, so the ratio means more than either
// time, and every figure is given with its min–max over the rounds. Then the
// idle cost of a daemon with default settings on the 1× host (CPU over
// -idle, RSS, VmHWM) and, where wrk is installed, /metrics and /health under
// 8 and 64 connections. The result is one markdown table; with -readme it
// also replaces the block between "<!-- bench:begin -->" and
// "<!-- bench:end -->" in that file.
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redwatch/redwatch/internal/hostgen"
)

func main() {
	var o options
	flag.StringVar(&o.redwatch, "redwatch", "./redwatch", "redwatch binary")
	flag.StringVar(&o.nodeExporter, "node-exporter", "node_exporter", "node_exporter binary (v1.12.1)")
	flag.StringVar(&o.scales, "scales", "0.25,1,4,16", "host sizes, as multiples of 32 bonds × 4 and 16 RAID6 × 8")
	flag.IntVar(&o.rounds, "rounds", 3, "interleaved rounds per size")
	flag.IntVar(&o.passes, "passes", 5, "passes (and scrapes) per round")
	flag.DurationVar(&o.interval, "interval", time.Second, "redwatch's --interval during the rounds")
	flag.DurationVar(&o.idle, "idle", time.Minute, "how long the idle daemon (default settings) is measured; 0 skips it")
	flag.DurationVar(&o.wrk, "wrk", 10*time.Second, "how long each wrk run lasts; 0 skips them")
	flag.StringVar(&o.readme, "readme", "", "file whose bench block to replace with the table")
	flag.Parse()
	work, err := os.MkdirTemp("", "redwatch-bench-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	out, err := run(context.Background(), o, work, os.Stderr)
	// The table first: removing the 16× tree takes a while.
	fmt.Print(out)
	os.RemoveAll(work)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	if o.readme != "" {
		if err := replaceBlock(o.readme, out); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
	}
}

type options struct {
	redwatch, nodeExporter, scales, readme string
	rounds, passes                         int
	interval, idle, wrk                    time.Duration
}

// sizeResult is what one size measured, one value per round.
type sizeResult struct {
	scale                      float64
	files                      int
	rwCPU, rwWall, rwAllocs    []float64 // per pass: seconds, seconds, allocations
	neCPU, neWall, neAllocs    []float64 // per scrape
	ratio                      []float64 // rwCPU / neCPU per round
	rwRSS, rwHWM, neRSS, neHWM int64     // kB at the end
}

func run(ctx context.Context, o options, work string, log io.Writer) (string, error) {
	if runtime.GOOS != "linux" {
		return "", errors.New("bench reads /proc/PID/task/*/schedstat: Linux only")
	}
	var scales []float64
	for _, s := range strings.Split(o.scales, ",") {
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || f <= 0 {
			return "", fmt.Errorf("-scales: %q is not a positive number", s)
		}
		scales = append(scales, f)
	}
	load0 := loadavg()
	start := time.Now()
	var results []sizeResult
	for _, f := range scales {
		fmt.Fprintf(log, "bench: %g× host\n", f)
		r, err := measureSize(ctx, o, work, f)
		if err != nil {
			return "", fmt.Errorf("%g×: %w", f, err)
		}
		results = append(results, r)
	}
	var (
		idle *idleResult
		err  error
	)
	if o.idle > 0 {
		fmt.Fprintf(log, "bench: idle daemon for %s\n", o.idle)
		if idle, err = measureIdle(ctx, o, work); err != nil {
			return "", fmt.Errorf("idle: %w", err)
		}
	}
	var wrk []wrkResult
	if o.wrk > 0 {
		if _, err := exec.LookPath("wrk"); err == nil {
			fmt.Fprintf(log, "bench: wrk\n")
			if wrk, err = measureWrk(ctx, o, work); err != nil {
				fmt.Fprintf(log, "bench: wrk: %v: endpoint load not measured\n", err)
			}
		} else {
			fmt.Fprintln(log, "bench: no wrk installed: endpoint load not measured")
		}
	}
	return report(o, results, idle, wrk, load0, loadavg(), time.Since(start)), nil
}

// daemon is a started redwatch or node_exporter.
type daemon struct {
	cmd  *exec.Cmd
	addr string
	out  bytes.Buffer
}

func startDaemon(ctx context.Context, name string, args ...string) (*daemon, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	d := &daemon{addr: addr}
	for i, a := range args {
		args[i] = strings.ReplaceAll(a, "ADDR", addr)
	}
	d.cmd = exec.CommandContext(ctx, name, args...)
	d.cmd.Stdout, d.cmd.Stderr = &d.out, &d.out
	if err := d.cmd.Start(); err != nil {
		return nil, err
	}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if _, err := d.get("/metrics"); err == nil {
			return d, nil
		}
	}
	d.stop()
	return nil, fmt.Errorf("%s did not answer on %s within 30 s: %s", filepath.Base(name), addr, d.out.String())
}

func (d *daemon) stop() {
	_ = d.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = d.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = d.cmd.Process.Kill()
		<-done
	}
}

func (d *daemon) get(path string) ([]byte, error) {
	resp, err := http.Get("http://" + d.addr + path)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK && path == "/metrics" {
		err = fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	return b, err
}

// cpu is the time the daemon's threads have run, from schedstat.
func (d *daemon) cpu() (time.Duration, error) {
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", d.cmd.Process.Pid))
	if err != nil || len(tasks) == 0 {
		return 0, fmt.Errorf("no schedstat for pid %d", d.cmd.Process.Pid)
	}
	var ns int64
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err != nil {
			continue // a thread that just ended
		}
		f := strings.Fields(string(b))
		if len(f) > 0 {
			n, _ := strconv.ParseInt(f[0], 10, 64)
			ns += n
		}
	}
	return time.Duration(ns), nil
}

// memory returns VmRSS and VmHWM in kB.
func (d *daemon) memory() (rss, hwm int64) {
	m := d.status()
	return m["VmRSS"], m["VmHWM"]
}

// status returns the kB figures of /proc/PID/status (VmRSS, VmHWM, RssAnon:
// the private memory, RssFile: the executable's pages, shared with the
// page cache).
func (d *daemon) status() map[string]int64 {
	m := map[string]int64{}
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", d.cmd.Process.Pid))
	for _, line := range strings.Split(string(b), "\n") {
		k, v, _ := strings.Cut(line, ":")
		if n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64); err == nil {
			m[k] = n
		}
	}
	return m
}

// metric returns the sum of the samples of name (any labels) in a text exposition.
func metric(b []byte, name string) (float64, bool) {
	var sum float64
	found := false
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name) || len(line) <= len(name) || (line[len(name)] != ' ' && line[len(name)] != '{') {
			continue
		}
		f := strings.Fields(line[strings.LastIndexAny(line, "} ")+1:])
		if len(f) == 0 {
			if i := strings.LastIndexByte(line, ' '); i > 0 {
				f = []string{line[i+1:]}
			}
		}
		if v, err := strconv.ParseFloat(f[len(f)-1], 64); err == nil {
			sum += v
			found = true
		}
	}
	return sum, found
}

func (d *daemon) metric(name string) (float64, []byte, error) {
	b, err := d.get("/metrics")
	if err != nil {
		return 0, nil, err
	}
	v, ok := metric(b, name)
	if !ok {
		return 0, b, fmt.Errorf("no %s in /metrics", name)
	}
	return v, b, nil
}

func measureSize(ctx context.Context, o options, work string, f float64) (sizeResult, error) {
	r := sizeResult{scale: f}
	tree := filepath.Join(work, fmt.Sprintf("host-%g", f))
	spec := hostgen.Large.Scaled(f)
	spec.Complete = true
	if err := hostgen.Generate(tree, spec); err != nil {
		return r, err
	}
	_ = filepath.WalkDir(tree, func(_ string, e os.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			r.files++
		}
		return nil
	})
	state := filepath.Join(work, fmt.Sprintf("state-%g", f))
	if err := os.Mkdir(state, 0o700); err != nil {
		return r, err
	}
	rw, err := startDaemon(ctx, o.redwatch, "daemon", "--root", tree, "--state-dir", state, "--listen", "ADDR",
		"--interval", o.interval.String(), "--log-level", "warn")
	if err != nil {
		return r, err
	}
	defer rw.stop()
	ne, err := startDaemon(ctx, o.nodeExporter, "--web.listen-address=ADDR", "--path.sysfs="+filepath.Join(tree, "sys"),
		"--path.procfs="+filepath.Join(tree, "proc"), "--collector.disable-defaults", "--collector.bonding",
		"--collector.mdadm", "--collector.netclass", "--collector.powersupplyclass", "--collector.hwmon", "--collector.nvme",
		"--log.level=warn")
	if err != nil {
		return r, err
	}
	defer ne.stop()
	// Both must read the whole host: node_exporter's collectors succeed and
	// see every bond slave and md disk, redwatch's pass is ok.
	b, err := ne.get("/metrics")
	if err != nil {
		return r, err
	}
	if err := checkNodeExporter(b, spec); err != nil {
		return r, err
	}
	if err := waitPasses(rw, 2); err != nil {
		return r, err
	}
	if h, _ := rw.get("/health"); !bytes.Contains(h, []byte(`"status":"ok"`)) {
		return r, fmt.Errorf("redwatch /health is not ok on the generated host: %.300s", h)
	}
	for round := 0; round < o.rounds; round++ {
		c, wall, allocs, err := redwatchRound(rw, o.passes, o.interval)
		if err != nil {
			return r, err
		}
		r.rwCPU, r.rwWall, r.rwAllocs = append(r.rwCPU, c), append(r.rwWall, wall), append(r.rwAllocs, allocs)
		c2, wall2, allocs2, err := nodeExporterRound(ne, o.passes)
		if err != nil {
			return r, err
		}
		r.neCPU, r.neWall, r.neAllocs = append(r.neCPU, c2), append(r.neWall, wall2), append(r.neAllocs, allocs2)
		r.ratio = append(r.ratio, c/c2)
	}
	r.rwRSS, r.rwHWM = rw.memory()
	r.neRSS, r.neHWM = ne.memory()
	return r, nil
}

func checkNodeExporter(b []byte, s hostgen.Spec) error {
	if bytes.Contains(b, []byte("node_scrape_collector_success{collector=")) {
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "node_scrape_collector_success{") && strings.HasSuffix(line, " 0") &&
				!strings.Contains(line, `"hwmon"`) && !strings.Contains(line, `"nvme"`) && !strings.Contains(line, `"powersupplyclass"`) {
				return fmt.Errorf("node_exporter failed to read the host: %s", line)
			}
		}
	}
	if v, _ := metric(b, "node_bonding_slaves"); int(v) != s.Bonds*s.SlavesPerBond {
		return fmt.Errorf("node_exporter sees %g bond slaves, want %d", v, s.Bonds*s.SlavesPerBond)
	}
	if v, _ := metric(b, "node_md_disks_required"); int(v) != s.Arrays*s.MembersPerArray {
		return fmt.Errorf("node_exporter sees %g md disks required, want %d", v, s.Arrays*s.MembersPerArray)
	}
	return nil
}

// waitPasses waits until redwatch has run n more passes than now, scraping
// it once per poll, and returns the pass count it reached.
// Before the first pass the counter has no series: that is 0 passes.
func waitPasses(rw *daemon, n int) error {
	passes := func() (float64, error) {
		b, err := rw.get("/metrics")
		if err != nil {
			return 0, err
		}
		p, _ := metric(b, "redwatch_passes_total")
		return p, nil
	}
	p0, err := passes()
	if err != nil {
		return err
	}
	for deadline := time.Now().Add(5 * time.Minute); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		p, err := passes()
		if err != nil {
			return err
		}
		if p >= p0+float64(n) && p > 0 {
			return nil
		}
	}
	return errors.New("redwatch ran no passes for 5 minutes")
}

// redwatchRound measures n passes: CPU per pass (with the scrapes that
// watched them), the median pass duration, allocations per pass.
func redwatchRound(rw *daemon, n int, interval time.Duration) (cpu, wall, allocs float64, err error) {
	// Start right after a pass: the round then holds whole passes.
	p0, _, err := rw.metric("redwatch_passes_total")
	if err != nil {
		return 0, 0, 0, err
	}
	var p float64
	for p = p0; p == p0; time.Sleep(20 * time.Millisecond) {
		if p, _, err = rw.metric("redwatch_passes_total"); err != nil {
			return 0, 0, 0, err
		}
	}
	c0, err := rw.cpu()
	if err != nil {
		return 0, 0, 0, err
	}
	m0, _, err := rw.metric("go_memstats_mallocs_total")
	if err != nil {
		return 0, 0, 0, err
	}
	start := p
	var walls []float64
	for p < start+float64(n) {
		// One scrape per pass, as Prometheus scraping at the interval:
		// sleep an interval, then poll briefly for a late pass.
		if len(walls) == int(p-start) {
			time.Sleep(interval)
		} else {
			time.Sleep(50 * time.Millisecond)
		}
		np, b, err := rw.metric("redwatch_passes_total")
		if err != nil {
			return 0, 0, 0, err
		}
		if np > p {
			if d, ok := metric(b, "redwatch_pass_duration_seconds"); ok {
				walls = append(walls, d)
			}
			p = np
		}
	}
	c1, err := rw.cpu()
	if err != nil {
		return 0, 0, 0, err
	}
	m1, _, err := rw.metric("go_memstats_mallocs_total")
	if err != nil {
		return 0, 0, 0, err
	}
	passes := p - start
	return (c1 - c0).Seconds() / passes, median(walls), (m1 - m0) / passes, nil
}

// nodeExporterRound measures n scrapes one after the other.
func nodeExporterRound(ne *daemon, n int) (cpu, wall, allocs float64, err error) {
	m0, _, err := ne.metric("go_memstats_mallocs_total")
	if err != nil {
		return 0, 0, 0, err
	}
	c0, err := ne.cpu()
	if err != nil {
		return 0, 0, 0, err
	}
	var walls []float64
	for i := 0; i < n; i++ {
		t := time.Now()
		if _, err := ne.get("/metrics"); err != nil {
			return 0, 0, 0, err
		}
		walls = append(walls, time.Since(t).Seconds())
	}
	c1, err := ne.cpu()
	if err != nil {
		return 0, 0, 0, err
	}
	m1, _, err := ne.metric("go_memstats_mallocs_total")
	if err != nil {
		return 0, 0, 0, err
	}
	// m1 came from one more scrape than c1 counted: n+1 scrapes' allocations.
	return (c1 - c0).Seconds() / float64(n), median(walls), (m1 - m0) / float64(n+1), nil
}

type idleResult struct {
	window       time.Duration
	cpu          time.Duration
	passes       float64
	rss, hwm     int64
	anon         int64 // RssAnon, kB
	interval     string
	neCPU        time.Duration
	neRSS, neHWM int64
	neAnon       int64
}

// measureIdle runs redwatch with default settings (interval 30 s) on the 1×
// host, unscraped but for the two reads of its pass counter, and
// node_exporter unscraped, for o.idle.
func measureIdle(ctx context.Context, o options, work string) (*idleResult, error) {
	tree := filepath.Join(work, "host-idle")
	spec := hostgen.Large
	spec.Complete = true
	if err := hostgen.Generate(tree, spec); err != nil {
		return nil, err
	}
	state := filepath.Join(work, "state-idle")
	if err := os.Mkdir(state, 0o700); err != nil {
		return nil, err
	}
	rw, err := startDaemon(ctx, o.redwatch, "daemon", "--root", tree, "--state-dir", state, "--listen", "ADDR", "--log-level", "warn")
	if err != nil {
		return nil, err
	}
	defer rw.stop()
	ne, err := startDaemon(ctx, o.nodeExporter, "--web.listen-address=ADDR", "--path.sysfs="+filepath.Join(tree, "sys"),
		"--path.procfs="+filepath.Join(tree, "proc"), "--collector.disable-defaults", "--collector.bonding",
		"--collector.mdadm", "--collector.netclass", "--collector.powersupplyclass", "--collector.hwmon", "--collector.nvme",
		"--log.level=warn")
	if err != nil {
		return nil, err
	}
	defer ne.stop()
	time.Sleep(2 * time.Second) // past the start-up pass
	p0, b, err := rw.metric("redwatch_passes_total")
	if err != nil {
		return nil, err
	}
	iv, _ := metric(b, "redwatch_interval_seconds")
	c0, err := rw.cpu()
	if err != nil {
		return nil, err
	}
	n0, err := ne.cpu()
	if err != nil {
		return nil, err
	}
	time.Sleep(o.idle)
	c1, err := rw.cpu()
	if err != nil {
		return nil, err
	}
	n1, err := ne.cpu()
	if err != nil {
		return nil, err
	}
	p1, _, err := rw.metric("redwatch_passes_total")
	if err != nil {
		return nil, err
	}
	r := &idleResult{window: o.idle, cpu: c1 - c0, passes: p1 - p0, interval: (time.Duration(iv) * time.Second).String(), neCPU: n1 - n0}
	rs, ns := rw.status(), ne.status()
	r.rss, r.hwm, r.anon = rs["VmRSS"], rs["VmHWM"], rs["RssAnon"]
	r.neRSS, r.neHWM, r.neAnon = ns["VmRSS"], ns["VmHWM"], ns["RssAnon"]
	return r, nil
}

type wrkResult struct {
	path             string
	conns            int
	rps, p99         string
	requests, non2xx int
}

var (
	wrkRPS      = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	wrkP99      = regexp.MustCompile(`\s99%\s+(\S+)`)
	wrkRequests = regexp.MustCompile(`(\d+) requests in`)
	wrkNon2xx   = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
)

// measureWrk loads /metrics and /health of a redwatch daemon on the 1× host
// with 8 and 64 connections (2 threads).
func measureWrk(ctx context.Context, o options, work string) ([]wrkResult, error) {
	tree := filepath.Join(work, "host-wrk")
	spec := hostgen.Large
	spec.Complete = true
	if err := hostgen.Generate(tree, spec); err != nil {
		return nil, err
	}
	state := filepath.Join(work, "state-wrk")
	if err := os.Mkdir(state, 0o700); err != nil {
		return nil, err
	}
	rw, err := startDaemon(ctx, o.redwatch, "daemon", "--root", tree, "--state-dir", state, "--listen", "ADDR", "--log-level", "warn")
	if err != nil {
		return nil, err
	}
	defer rw.stop()
	if err := waitPasses(rw, 0); err != nil {
		return nil, err
	}
	var out []wrkResult
	for _, path := range []string{"/metrics", "/health"} {
		for _, c := range []int{8, 64} {
			cmd := exec.CommandContext(ctx, "wrk", "-t", "2", "-c", strconv.Itoa(c), "-d", o.wrk.String(), "--latency", "http://"+rw.addr+path)
			b, err := cmd.CombinedOutput()
			if err != nil {
				return nil, fmt.Errorf("wrk: %w: %s", err, b)
			}
			r := wrkResult{path: path, conns: c}
			if m := wrkRPS.FindSubmatch(b); m != nil {
				r.rps = string(m[1])
			}
			if m := wrkP99.FindSubmatch(b); m != nil {
				r.p99 = string(m[1])
			}
			if m := wrkRequests.FindSubmatch(b); m != nil {
				r.requests, _ = strconv.Atoi(string(m[1]))
			}
			if m := wrkNon2xx.FindSubmatch(b); m != nil {
				r.non2xx, _ = strconv.Atoi(string(m[1]))
			}
			out = append(out, r)
		}
	}
	return out, nil
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

// ms formats seconds as milliseconds: the median, and the min–max.
func ms(v []float64) string {
	lo, hi := slices.Min(v), slices.Max(v)
	return fmt.Sprintf("%.1f ms (%.1f–%.1f)", median(v)*1e3, lo*1e3, hi*1e3)
}

func ratio(v []float64) string {
	return fmt.Sprintf("%.2f (%.2f–%.2f)", median(v), slices.Min(v), slices.Max(v))
}

func count(v []float64) string {
	return thousands(int64(median(v) + 0.5))
}

func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func mib(kb int64) string { return fmt.Sprintf("%.1f MiB", float64(kb)/1024) }

func report(o options, rs []sizeResult, idle *idleResult, wrk []wrkResult, load0, load1 string, took time.Duration) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Measured by `make bench` on %s (%d CPUs), %s, %s, load average %s at the start and %s at the end; %d interleaved rounds of %d passes / %d scrapes per size, medians with the min–max over the rounds, %s in all. redwatch's CPU per pass includes one /metrics scrape per pass, as Prometheus would make; node_exporter v1.12.1 runs only its bonding, mdadm, netclass, powersupplyclass, hwmon and nvme collectors (`--path.sysfs`, `--path.procfs` on the same tree).\n\n",
		cpuModel(), runtime.NumCPU(), runtime.Version(), time.Now().UTC().Format("2006-01-02"), load0, load1, o.rounds, o.passes, o.passes, took.Round(time.Second))
	b.WriteString("| host | files | redwatch CPU / pass | redwatch wall / pass | node_exporter CPU / scrape | node_exporter wall / scrape | CPU ratio | allocs / pass (redwatch, node_exporter) | RSS / VmHWM (redwatch, node_exporter) |\n")
	b.WriteString("| --- | ---: | --- | --- | --- | --- | --- | --- | --- |\n")
	for _, r := range rs {
		s := hostgen.Large.Scaled(r.scale)
		fmt.Fprintf(&b, "| %s× (%d bonds × %d, %d RAID6 × %d) | %s | %s | %s | %s | %s | %s | %s, %s | %s / %s, %s / %s |\n",
			scaleName(r.scale), s.Bonds, s.SlavesPerBond, s.Arrays, s.MembersPerArray, thousands(int64(r.files)),
			ms(r.rwCPU), ms(r.rwWall), ms(r.neCPU), ms(r.neWall), ratio(r.ratio), count(r.rwAllocs), count(r.neAllocs),
			mib(r.rwRSS), mib(r.rwHWM), mib(r.neRSS), mib(r.neHWM))
	}
	if idle != nil {
		fmt.Fprintf(&b, "\nIdle, default settings (interval %s), 1× host, not scraped, over %s: redwatch %.3f%% of a core (%s CPU, %g passes), RSS %s (%s of it private, RssAnon; the rest the executable's pages, shared with the page cache), VmHWM %s; node_exporter %.3f%% of a core, RSS %s (%s private), VmHWM %s.\n",
			idle.interval, idle.window, 100*idle.cpu.Seconds()/idle.window.Seconds(), idle.cpu.Round(time.Millisecond), idle.passes,
			mib(idle.rss), mib(idle.anon), mib(idle.hwm), 100*idle.neCPU.Seconds()/idle.window.Seconds(), mib(idle.neRSS), mib(idle.neAnon), mib(idle.neHWM))
	}
	if len(wrk) > 0 {
		fmt.Fprintf(&b, "\nEndpoint under load (wrk, 2 threads, %s per run, 1× host, default `--web.max-requests` 8): /metrics and /health serve the last pass; a /metrics request beyond the in-flight limit is answered 503 at once (shed by design, not an error).\n\n", o.wrk)
		b.WriteString("| path | connections | requests/s | p99 | requests | 503 (shed) |\n| --- | ---: | ---: | ---: | ---: | ---: |\n")
		for _, w := range wrk {
			fmt.Fprintf(&b, "| `%s` | %d | %s | %s | %s | %s |\n", w.path, w.conns, w.rps, w.p99, thousands(int64(w.requests)), thousands(int64(w.non2xx)))
		}
	}
	return b.String()
}

func scaleName(f float64) string {
	if f == 0.25 {
		return "¼"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// replaceBlock puts text between the bench markers of the file at path.
func replaceBlock(path, text string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	const begin, end = "<!-- bench:begin -->\n", "<!-- bench:end -->"
	i, j := bytes.Index(b, []byte(begin)), bytes.Index(b, []byte(end))
	if i < 0 || j < i {
		return fmt.Errorf("%s has no %q … %q block", path, strings.TrimSpace(begin), end)
	}
	out := append(append(append([]byte{}, b[:i+len(begin)]...), text...), b[j:]...)
	return os.WriteFile(path, out, 0o644)
}
