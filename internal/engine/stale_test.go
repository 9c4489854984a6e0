package engine

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redwatch/redwatch/collectors"
	"github.com/redwatch/redwatch/rules"
)

// mdTree is a tree holding only proc/mdstat, which the test rewrites.
type mdTree struct {
	t    *testing.T
	dir  string
	path string
}

func newMDTree(t *testing.T) *mdTree {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "proc"), 0o755); err != nil {
		t.Fatal(err)
	}
	return &mdTree{t: t, dir: dir, path: filepath.Join(dir, "proc", "mdstat")}
}

// set writes the mdstat of a baseline_md_member_removed side, or raw bytes.
func (m *mdTree) set(side string) {
	m.t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "baseline_md_member_removed", side, "proc", "mdstat"))
	if err != nil {
		m.t.Fatal(err)
	}
	m.write(b)
}

func (m *mdTree) write(b []byte) {
	m.t.Helper()
	if err := os.WriteFile(m.path, b, 0o644); err != nil {
		m.t.Fatal(err)
	}
}

// garbageMDStat is an mdstat whose array line does not parse: the md
// collector fails and cannot say whether md0 exists.
var garbageMDStat = []byte("Personalities : [raid1]\nmd0 : active raid1 sda1[0]\n      \x00\x01 garbage [2/x] [U?]\n\nunused devices: <none>\n")

// keys returns the findings as "rule subject", sorted.
func keys(r rules.Result) []string {
	var out []string
	for _, f := range judged(r).Findings {
		out = append(out, f.Rule+" "+f.Subject)
	}
	slices.Sort(out)
	return out
}

// TestFailedSourceKeepsFindings: with md0 degraded and a member gone from
// the baseline, a pass whose mdstat cannot be parsed keeps md0 as it was
// last read, marked stale with the error: the same findings (so no alert
// resolves), no baseline_group_missing, the status still CRITICAL with the
// error; when mdstat reads again the findings are the same and not stale.
func TestFailedSourceKeepsFindings(t *testing.T) {
	clk := newClock()
	md := newMDTree(t)
	e := &Engine{Roots: collectors.TreeRoots(md.dir), Clock: clk, StateDir: t.TempDir(), Config: mustConfig(t, recordAtOnce)}
	md.set("before")
	if p := e.Run(context.Background()); p.Result.Status != rules.StatusOK {
		t.Fatalf("healthy: %v %v", p.Result.Status, keys(p.Result))
	}
	clk.Add(time.Minute)
	md.set("after")
	degraded := e.Run(context.Background())
	want := keys(degraded.Result)
	if !slices.Contains(want, "md_degraded md0") || !slices.Contains(want, "baseline_member_missing md0/sdb1") {
		t.Fatalf("degraded: %v", want)
	}
	lastRead := clk.Now()

	for i := range 2 { // twice: the second keeps the first stale time
		clk.Add(time.Minute)
		md.write(garbageMDStat)
		p := e.Run(context.Background())
		r := p.Result
		if got := keys(r); !slices.Equal(got, want) {
			t.Fatalf("garbage pass %d: findings %v, want the last read's %v", i, got, want)
		}
		if r.Status != rules.StatusCritical || len(r.Errors) == 0 || r.Errors[0].Collector != "md" {
			t.Fatalf("garbage pass %d: status %v errors %v", i, r.Status, r.Errors)
		}
		for _, f := range judged(r).Findings {
			if f.Stale == nil || !f.Stale.Since.Equal(lastRead) || f.Stale.Collector != "md" || f.Stale.Error == "" {
				t.Errorf("garbage pass %d: finding %s %s stale %+v, want since %v with the error", i, f.Rule, f.Subject, f.Stale, lastRead)
			}
		}
		if g := judged(r).Groups; len(g) != 1 || g[0].Name != "md0" || g[0].Stale == nil {
			t.Errorf("garbage pass %d: groups %+v, want md0 stale", i, r.Groups)
		}
		if v := p.View(false); len(v.Stale) != 1 || v.Stale[0].Name != "md0" {
			t.Errorf("garbage pass %d: view stale %+v", i, v.Stale)
		}
	}

	clk.Add(time.Minute)
	md.set("after")
	p := e.Run(context.Background())
	if got := keys(p.Result); !slices.Equal(got, want) || len(p.Result.Errors) != 0 {
		t.Fatalf("readable again: %v errors %v", got, p.Result.Errors)
	}
	for _, f := range p.Result.Findings {
		if f.Stale != nil {
			t.Errorf("readable again: %s still stale", f.Rule)
		}
	}
	if len(p.Snapshot.Stale) != 0 {
		t.Errorf("readable again: snapshot stale %v", p.Snapshot.Stale)
	}
}

// TestFailedSourceNoBaselineJudgement: a one-shot audit (no earlier pass
// to keep facts from) whose mdstat cannot be read is UNKNOWN and does not
// judge md0 gone from the baseline; nor does a tree with no source at all.
func TestFailedSourceNoBaselineJudgement(t *testing.T) {
	clk := newClock()
	state := t.TempDir()
	md := newMDTree(t)
	md.set("before")
	(&Engine{Roots: collectors.TreeRoots(md.dir), Clock: clk, StateDir: state}).Run(context.Background())

	md.write(garbageMDStat)
	p := (&Engine{Roots: collectors.TreeRoots(md.dir), Clock: clk, StateDir: state}).Run(context.Background())
	if len(judged(p.Result).Findings) != 0 || p.Result.Status != rules.StatusUnknown {
		t.Fatalf("garbage mdstat, fresh engine: %v %v", p.Result.Status, keys(p.Result))
	}
	p = (&Engine{Roots: collectors.TreeRoots(t.TempDir()), Clock: clk, StateDir: state}).Run(context.Background())
	if len(p.Result.Findings) != 0 || p.Result.Status != rules.StatusUnknown {
		t.Fatalf("empty tree: %v %v", p.Result.Status, keys(p.Result))
	}
}

// TestFailedSourceNewFindings: a failed source still adds what it did read
// (a second array that degraded), and a group it lost that was healthy is
// kept, not judged gone.
func TestFailedSourceNewFindings(t *testing.T) {
	clk := newClock()
	md := newMDTree(t)
	e := &Engine{Roots: collectors.TreeRoots(md.dir), Clock: clk}
	md.write([]byte("Personalities : [raid1]\nmd0 : active raid1 sdb1[1] sda1[0]\n      976630464 blocks super 1.2 [2/2] [UU]\n\nmd1 : active raid1 sdd1[1] sdc1[0]\n      976630464 blocks super 1.2 [2/2] [UU]\n\nunused devices: <none>\n"))
	if p := e.Run(context.Background()); p.Result.Status != rules.StatusOK || len(judged(p.Result).Groups) != 2 {
		t.Fatalf("healthy: %v %+v", p.Result.Status, p.Result.Groups)
	}
	md.write([]byte("Personalities : [raid1]\nmd0 : active raid1 sda1[0]\n      \x00 garbage\n\nmd1 : active raid1 sdc1[0]\n      976630464 blocks super 1.2 [2/1] [U_]\n\nunused devices: <none>\n"))
	p := e.Run(context.Background())
	if got := keys(p.Result); !slices.Equal(got, []string{"md_degraded md1"}) || p.Result.Status != rules.StatusCritical {
		t.Fatalf("md1 degraded, md0 unreadable: %v %v", got, p.Result.Status)
	}
	if g := judged(p.Result).Groups; len(g) != 2 || g[1].Name != "md0" || g[1].Stale == nil || g[0].Stale != nil {
		t.Fatalf("groups %+v", p.Result.Groups)
	}
}

// TestCorruptStateKeepsMemory: a state file that turns corrupt under a
// running daemon (one engine across passes) is moved aside and reported,
// and the state is rewritten from the engine's memory: md0's baseline and
// the pending md_degraded's `for` clock survive.
func TestCorruptStateKeepsMemory(t *testing.T) {
	clk := newClock()
	state := t.TempDir()
	md := newMDTree(t)
	cfg := mustConfig(t, "rules:\n  - id: md_degraded\n    for: 30m\n"+recordAtOnce)
	e := &Engine{Roots: collectors.TreeRoots(md.dir), Clock: clk, StateDir: state, Config: cfg}
	md.set("before")
	e.Run(context.Background())
	clk.Add(time.Minute)
	md.set("after")
	p := e.Run(context.Background())
	if len(p.Pending) != 1 || p.Pending[0].Rule != "md_degraded" || len(find(p.Result, "baseline_member_missing")) != 1 {
		t.Fatalf("degraded: pending %+v findings %v", p.Pending, keys(p.Result))
	}
	due := p.Pending[0].Due

	if err := os.WriteFile(StatePath(state), []byte("{\"version\": 1, \"baseline\": {garbage"), 0o640); err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Minute)
	p = e.Run(context.Background())
	if len(p.Pending) != 1 || !p.Pending[0].Due.Equal(due) {
		t.Errorf("after the corrupt file: pending %+v, want md_degraded still due %v", p.Pending, due)
	}
	if len(find(p.Result, "baseline_member_missing")) != 1 {
		t.Errorf("after the corrupt file: md0's baseline is gone: %v", keys(p.Result))
	}
	errs := p.Result.Errors
	if len(errs) != 1 || errs[0].Collector != "state" || !strings.Contains(errs[0].Err.Error(), "is corrupt") ||
		!strings.Contains(errs[0].Err.Error(), "moved aside to "+StatePath(state)+".corrupt-") || !strings.Contains(errs[0].Err.Error(), "rewritten from the last pass's state in memory") {
		t.Fatalf("errors %+v", errs)
	}
	st, err := ReadState(state)
	if err != nil || len(st.Baseline["md/md0"].Members) != 2 || len(st.FirstSeen) == 0 {
		t.Fatalf("rewritten state %+v, %v", st, err)
	}
	if aside, _ := filepath.Glob(StatePath(state) + ".corrupt-*"); len(aside) != 1 {
		t.Errorf("moved aside: %v", aside)
	}
	clk.Add(time.Minute)
	if p = e.Run(context.Background()); len(p.Result.Errors) != 0 || len(p.Pending) != 1 || !p.Pending[0].Due.Equal(due) {
		t.Errorf("next pass: errors %v pending %+v", p.Result.Errors, p.Pending)
	}
}

// TestCorruptStateKeepsSettling: a group still settling (seen healthy, not
// for baseline.settle yet) keeps its settle clock over a corrupt file.
func TestCorruptStateKeepsSettling(t *testing.T) {
	clk := newClock()
	state := t.TempDir()
	md := newMDTree(t)
	e := &Engine{Roots: collectors.TreeRoots(md.dir), Clock: clk, StateDir: state, Config: mustConfig(t, "baseline:\n  settle: 10m\n")}
	md.set("before")
	e.Run(context.Background())
	st, err := ReadState(state)
	if err != nil || st.Settling["md/md0"].Since.IsZero() {
		t.Fatalf("md0 not settling: %+v, %v", st, err)
	}
	since := st.Settling["md/md0"].Since
	if err := os.WriteFile(StatePath(state), []byte("garbage"), 0o640); err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Minute)
	e.Run(context.Background())
	if st, err = ReadState(state); err != nil || !st.Settling["md/md0"].Since.Equal(since) {
		t.Fatalf("after the corrupt file: settling %+v, %v; want md0 since %v", st.Settling, err, since)
	}
}

// TestFailedPowerSourceKeepsSupplies: a Redfish read that fails keeps the
// supplies and redundancy sets it read last, marked stale with its error,
// and keeps no other source's.
func TestFailedPowerSourceKeepsSupplies(t *testing.T) {
	prev := &collectors.Snapshot{Time: time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC), PSUs: []collectors.PSU{
		{Name: "PS1", Source: collectors.PSUSourceRedfish}, {Name: "PS2", Source: collectors.PSUSourceRedfish},
		{Name: "dps800@5-0058", Source: collectors.PSUSourceHwmon}},
		PowerRedundancy: []collectors.PowerRedundancy{{Source: collectors.PSUSourceRedfish, Name: "PSU Redundancy", State: collectors.RedundancyFull}}}
	cur := &collectors.Snapshot{PSUs: []collectors.PSU{{Name: "PS2", Source: collectors.PSUSourceRedfish, State: collectors.PSUStateFailed}},
		Errors: []collectors.Error{{Collector: collectors.RedfishCollector, Path: "https://bmc", Err: os.ErrDeadlineExceeded}}}
	keepStale(prev, cur)
	var got []string
	for _, p := range cur.PSUs {
		got = append(got, p.Name+" "+p.State)
	}
	if want := []string{"PS2 failed", "PS1 "}; !slices.Equal(got, want) {
		t.Errorf("supplies %q, want %q", got, want)
	}
	if len(cur.PowerRedundancy) != 1 || len(cur.Stale) != 2 || cur.Stale[0].Collector != collectors.RedfishCollector ||
		cur.Stale[0].Name != "PS1" || !strings.Contains(cur.Stale[0].Error, "https://bmc") {
		t.Errorf("redundancy %+v, stale %+v", cur.PowerRedundancy, cur.Stale)
	}
}
