package engine

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/redwatch/redwatch/collectors"
	"github.com/redwatch/redwatch/internal/clock"
	"github.com/redwatch/redwatch/internal/config"
	"github.com/redwatch/redwatch/rules"
)

// newClock is the tests' clock, moved by hand.
func newClock() *clock.Fake { return clock.NewFake(time.Date(2026, 11, 27, 5, 0, 0, 0, time.UTC)) }

func tree(t *testing.T, name, side string) collectors.Roots {
	t.Helper()
	dir := filepath.Join("..", "..", "testdata", name, side)
	if _, err := os.Stat(dir); err != nil {
		t.Fatal(err)
	}
	return collectors.TreeRoots(dir)
}

func mustConfig(t *testing.T, src string) *config.Config {
	t.Helper()
	c, err := config.Parse("test.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// recordAtOnce is a configuration whose baseline records a group the first
// time it is seen healthy (baseline.settle 0), for the tests about what the
// baseline catches rather than how a group enters it.
const recordAtOnce = "baseline: {settle: 0s}\n"

// find returns the findings of rule, as "subject: message".
func find(r rules.Result, rule string) []string {
	var out []string
	for _, f := range r.Findings {
		if f.Rule == rule {
			out = append(out, f.Subject+": "+f.Message)
		}
	}
	return out
}

// judged is r without what a tree with no power source adds to every
// pass: the power group listed as not observable and power_not_observable
// (info).
func judged(r rules.Result) rules.Result {
	r.Findings = slices.DeleteFunc(slices.Clone(r.Findings), func(f rules.Finding) bool { return f.Rule == "power_not_observable" })
	r.Groups = slices.DeleteFunc(slices.Clone(r.Groups), func(g rules.Group) bool { return g.NotObservable })
	return r
}

func has(list []string, sub string) bool {
	for _, s := range list {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// TestRemovedMembers runs the three "quiet loss" fixtures: the first pass on
// the healthy tree records the baseline, the pass on the changed tree reports
// the member against the baseline and against the declared expectations, and
// `baseline accept` clears the baseline finding.
func TestRemovedMembers(t *testing.T) {
	tests := []struct {
		fixture, config string
		baseline        string // the baseline_member_missing message
		expectRule      string
		expectMsg       string
		group           string
	}{
		{
			fixture:    "baseline_bond_member_removed",
			config:     "expect:\n  bonds:\n    - {name: bond0, members: [eth0, eth1, eth2]}\n",
			baseline:   "bond0: eth2 is no longer a member (was in baseline since 2026-11-27T05:00:00Z)",
			expectRule: "expect_member_missing", expectMsg: "bond0: declared slave eth2 is not a member (slaves now: eth0, eth1)",
			group: "bond0",
		},
		{
			fixture:    "baseline_md_member_removed",
			config:     "expect:\n  md:\n    - {name: md0, members: 2}\n",
			baseline:   "md0: sdb1 is no longer a member (was in baseline since 2026-11-27T05:00:00Z)",
			expectRule: "expect_md_member_count", expectMsg: "md0: 1 of 2 declared members present (sda1)",
			group: "md0",
		},
		{
			fixture:    "baseline_psu_missing",
			config:     "expect:\n  power: {present: 2, healthy: 2}\n",
			baseline:   "power: PS2 is no longer a member (was in baseline since 2026-11-27T05:00:00Z)",
			expectRule: "expect_power_missing", expectMsg: "power: 1 of 2 declared supplies present",
			group: "power",
		},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			clk := newClock()
			dir := t.TempDir()
			e := &Engine{Roots: tree(t, tt.fixture, "before"), Clock: clk, StateDir: dir, Config: mustConfig(t, tt.config+"\n"+recordAtOnce)}
			p := e.Run(context.Background())
			if p.Result.Status != rules.StatusOK || len(judged(p.Result).Findings) != 0 {
				t.Fatalf("before: status %v findings %v errors %v", p.Result.Status, p.Result.Findings, p.Result.Errors)
			}
			st, err := ReadState(dir)
			if err != nil || len(st.Baseline) != 1 {
				t.Fatalf("baseline after the healthy pass = %+v, %v", st, err)
			}

			clk.Add(time.Hour)
			e.Roots = tree(t, tt.fixture, "after")
			p = e.Run(context.Background())
			for _, f := range p.Result.Findings {
				if shape, ok := rules.SubjectShape(f.Rule); !ok || rules.ShapeOf(f.Subject) != shape {
					t.Errorf("finding %s %s: subject is not of the rule's declared shape %q", f.Rule, f.Subject, shape)
				}
			}
			if got := find(p.Result, "baseline_member_missing"); len(got) != 1 || !strings.HasSuffix(got[0], ": "+tt.baseline) {
				t.Errorf("baseline findings = %q, want %q", got, tt.baseline)
			}
			if got := find(p.Result, tt.expectRule); !has(got, tt.expectMsg) {
				t.Errorf("%s findings = %q, want %q", tt.expectRule, got, tt.expectMsg)
			}
			if p.Result.Status == rules.StatusOK {
				t.Errorf("status OK with a member gone")
			}

			// baseline accept GROUP records the change; the baseline finding clears.
			if err := UpdateState(dir, clk.Now(), func(st *State) error {
				if _, ok := st.Baseline.Accept(p.Result.Groups, tt.group, clk.Now()); !ok {
					t.Errorf("accept %s matched nothing", tt.group)
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			p = e.Run(context.Background())
			if got := find(p.Result, "baseline_member_missing"); len(got) != 0 {
				t.Errorf("after accept: %q", got)
			}
			if got := find(p.Result, tt.expectRule); len(got) == 0 {
				t.Errorf("the expectation must still report until the configuration changes")
			}
		})
	}
}

// TestBaselineOnlyCatchesRemoval: without a baseline or expectation, a
// three-slave bond that lost one slave is OK — which is why both exist.
func TestBaselineOnlyCatchesRemoval(t *testing.T) {
	e := &Engine{Roots: tree(t, "baseline_bond_member_removed", "after"), Clock: newClock()}
	if p := e.Run(context.Background()); p.Result.Status != rules.StatusOK {
		t.Fatalf("status %v: the fixture should be silent to the built-in rules", p.Result.Status)
	}
}

func TestGroupGoneFromBaseline(t *testing.T) {
	clk := newClock()
	dir := t.TempDir()
	e := &Engine{Roots: tree(t, "baseline_md_member_removed", "before"), Clock: clk, StateDir: dir, Config: mustConfig(t, recordAtOnce)}
	e.Run(context.Background())
	// A host whose mdstat lists no array: md0 gone. (An empty tree would be
	// no source at all, which cannot tell.)
	empty := t.TempDir()
	if err := os.MkdirAll(filepath.Join(empty, "proc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(empty, "proc/mdstat"), []byte("Personalities : [raid1]\nunused devices: <none>\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e.Roots = collectors.TreeRoots(empty)
	p := e.Run(context.Background())
	if got := find(p.Result, "baseline_group_missing"); len(got) != 1 || !strings.Contains(got[0], "md0: the md is gone") {
		t.Fatalf("baseline_group_missing = %q", got)
	}
	if p.Result.Status != rules.StatusCritical {
		t.Errorf("status %v, want critical", p.Result.Status)
	}
}

// TestForDuration: a finding under a `for` is pending until it has held that
// long, across engines (one-shot audits) through the state directory.
func TestForDuration(t *testing.T) {
	clk := newClock()
	dir := t.TempDir()
	cfg := mustConfig(t, "rules:\n  - id: bond_member_down\n    for: 5m\n  - id: bond_below_min_healthy\n    disabled: true\n")
	run := func() *Pass {
		// A new engine per pass, as Nagios runs one audit per check.
		e := &Engine{Roots: tree(t, "bond_slave_down", ""), Clock: clk, StateDir: dir, Config: cfg}
		return e.Run(context.Background())
	}
	p := run()
	if len(p.Pending) != 1 || p.Pending[0].Rule != "bond_member_down" || p.Result.Status != rules.StatusOK || len(judged(p.Result).Findings) != 0 {
		t.Fatalf("first pass: pending %v findings %v status %v", p.Pending, p.Result.Findings, p.Result.Status)
	}
	if want := clk.Now().Add(5 * time.Minute); !p.Pending[0].Due.Equal(want) {
		t.Errorf("due %v, want %v", p.Pending[0].Due, want)
	}
	clk.Add(4 * time.Minute)
	if p = run(); len(p.Pending) != 1 {
		t.Fatalf("after 4m: pending %v", p.Pending)
	}
	clk.Add(time.Minute)
	p = run()
	if len(p.Pending) != 0 || len(find(p.Result, "bond_member_down")) != 1 || p.Result.Status != rules.StatusWarning {
		t.Fatalf("after 5m: pending %v findings %v status %v", p.Pending, p.Result.Findings, p.Result.Status)
	}
	// Healthy once: the run breaks and the clock starts again.
	e := &Engine{Roots: tree(t, "bond_ab_healthy", ""), Clock: clk, StateDir: dir, Config: cfg}
	e.Run(context.Background())
	if p = run(); len(p.Pending) != 1 {
		t.Errorf("after a healthy pass the finding must be pending again: %v", p.Pending)
	}
}

// TestForInMemory: without a state directory the daemon's engine keeps the
// first-seen times between passes.
func TestForInMemory(t *testing.T) {
	clk := newClock()
	e := &Engine{Roots: tree(t, "bond_slave_down", ""), Clock: clk,
		Config: mustConfig(t, "rules:\n  - id: \"bond_*\"\n    for: 30s\n")}
	if p := e.Run(context.Background()); len(p.Pending) != 2 || len(judged(p.Result).Findings) != 0 {
		t.Fatalf("pending %v findings %v", p.Pending, p.Result.Findings)
	}
	clk.Add(30 * time.Second)
	if p := e.Run(context.Background()); len(p.Pending) != 0 || len(judged(p.Result).Findings) != 2 {
		t.Fatalf("after 30s: pending %v findings %v", p.Pending, p.Result.Findings)
	}
}

func TestControlSeverityAndDisable(t *testing.T) {
	cfg := mustConfig(t, `rules:
  - id: bond_member_down
    subjects: ["bond0/*"]
    severity: critical
  - id: bond_member_down
    disabled: true
  - id: bond_below_min_healthy
    severity: info
`)
	e := &Engine{Roots: tree(t, "bond_slave_down", ""), Clock: newClock(), Config: cfg}
	p := e.Run(context.Background())
	var sev = map[string]rules.Severity{}
	for _, f := range p.Result.Findings {
		sev[f.Rule] = f.Severity
	}
	if sev["bond_member_down"] != rules.Critical || sev["bond_below_min_healthy"] != rules.Info || p.Result.Status != rules.StatusCritical {
		t.Fatalf("severities %v status %v", sev, p.Result.Status)
	}
	cfg = mustConfig(t, "rules:\n  - id: \"*\"\n    disabled: true\n")
	e.SetConfig(cfg)
	if p := e.Run(context.Background()); len(p.Result.Findings) != 0 || p.Result.Status != rules.StatusOK {
		t.Fatalf("all disabled: %v", p.Result.Findings)
	}
}

func TestMaintenance(t *testing.T) {
	clk := newClock()
	dir := t.TempDir()
	if err := UpdateState(dir, clk.Now(), func(st *State) error {
		st.Maintenance = []rules.Maintenance{{Started: clk.Now(), Until: clk.Now().Add(2 * time.Hour), Reason: "swap PSU"}}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	e := &Engine{Roots: tree(t, "bond_slave_down", ""), Clock: clk, StateDir: dir}
	p := e.Run(context.Background())
	if len(p.Maintenance) != 1 || p.Maintenance[0].Reason != "swap PSU" || len(p.Result.Findings) == 0 {
		t.Fatalf("maintenance %v findings %v", p.Maintenance, p.Result.Findings)
	}
	for _, f := range p.Result.Findings {
		if !f.Maintenance {
			t.Errorf("%s not marked in maintenance", f.Rule)
		}
	}
	if p.Result.Status != rules.StatusWarning {
		t.Errorf("status %v: maintenance reports the truth", p.Result.Status)
	}
	clk.Add(2 * time.Hour)
	p = e.Run(context.Background())
	if p.Maintenance != nil || p.Result.Findings[0].Maintenance {
		t.Errorf("the window ended but findings are still marked")
	}
}

// TestMaintenancePartial: windows for some subjects and rules silence the
// findings they cover and only those; several coexist; /health and audit -o
// json list them all, and "maintenance" stays the host-wide one.
func TestMaintenancePartial(t *testing.T) {
	clk := newClock()
	dir := t.TempDir()
	until := clk.Now().Add(time.Hour)
	if err := UpdateState(dir, clk.Now(), func(st *State) error {
		st.Maintenance = []rules.Maintenance{
			{Started: clk.Now(), Until: until, Reason: "recable", Subject: "bond0/eth1", Rule: "bond_member_*"},
			{Started: clk.Now(), Until: until, Reason: "other host part", Subject: "md*"},
			{Started: clk.Now().Add(-2 * time.Hour), Until: clk.Now().Add(-time.Hour), Reason: "over"},
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	e := &Engine{Roots: tree(t, "bond_slave_down", ""), Clock: clk, StateDir: dir}
	p := e.Run(context.Background())
	marked := map[string]bool{}
	for _, f := range judged(p.Result).Findings {
		marked[f.Rule+" "+f.Subject] = f.Maintenance
	}
	want := map[string]bool{"bond_member_down bond0/eth1": true, "bond_below_min_healthy bond0": false}
	if !maps.Equal(marked, want) {
		t.Errorf("marked = %v, want %v", marked, want)
	}
	if len(p.Maintenance) != 2 || p.Result.Status != rules.StatusWarning {
		t.Errorf("windows on %v, status %v", p.Maintenance, p.Result.Status)
	}
	v := p.View(true)
	if v.Maintenance != nil || len(v.MaintenanceWindows) != 2 || v.MaintenanceWindows[0].Subject != "bond0/eth1" {
		t.Errorf("view: maintenance %v, windows %v", v.Maintenance, v.MaintenanceWindows)
	}
}

// TestLegacyMaintenance: a state file with the one host-wide window of the
// earlier format reads as that window.
func TestLegacyMaintenance(t *testing.T) {
	st, err := ParseState("state.json", []byte(`{"version": 1, "baseline": {}, "first_seen": {}, "maintenance": {"started": "2026-11-27T05:00:00Z", "until": "2026-11-27T07:00:00Z", "reason": "swap PSU"}}`))
	if err != nil || len(st.Maintenance) != 1 || st.Maintenance[0].Reason != "swap PSU" || !st.Maintenance[0].HostWide() || st.LegacyMaintenance != nil {
		t.Fatalf("state %+v, %v", st, err)
	}
	b, err := marshalState(st)
	if err != nil || !strings.Contains(string(b), `"maintenance_windows"`) || strings.Contains(string(b), `"maintenance":`) {
		t.Errorf("written as %s (%v)", b, err)
	}
}

func TestCorruptState(t *testing.T) {
	for name, content := range map[string]string{
		"truncated":  `{"version": 1, "baseline": {"bond/bond0": {"kind": "bo`,
		"garbage":    "\x00\x01not json",
		"empty":      "",
		"no version": `{"baseline": {}}`,
	} {
		t.Run(name, func(t *testing.T) {
			clk := newClock()
			dir := t.TempDir()
			if err := os.WriteFile(StatePath(dir), []byte(content), 0o640); err != nil {
				t.Fatal(err)
			}
			e := &Engine{Roots: tree(t, "bond_ab_healthy", ""), Clock: clk, StateDir: dir, Config: mustConfig(t, recordAtOnce)}
			p := e.Run(context.Background())
			if p.Result.Status != rules.StatusUnknown || len(p.Result.Errors) != 1 {
				t.Fatalf("status %v errors %v", p.Result.Status, p.Result.Errors)
			}
			msg := p.Result.Errors[0].Reason()
			if p.Result.Errors[0].Collector != "state" || !strings.Contains(msg, "is corrupt") || !strings.Contains(msg, "moved aside to "+StatePath(dir)+".corrupt-20261127T050000Z") {
				t.Errorf("error = %+v", p.Result.Errors[0])
			}
			if _, err := os.Stat(StatePath(dir) + ".corrupt-20261127T050000Z"); err != nil {
				t.Errorf("the corrupt file was not kept: %v", err)
			}
			st, err := ReadState(dir)
			if err != nil || len(st.Baseline) != 1 {
				t.Fatalf("rebuilt state = %+v, %v", st, err)
			}
			if p = e.Run(context.Background()); p.Result.Status != rules.StatusOK {
				t.Errorf("second pass %v %v", p.Result.Status, p.Result.Errors)
			}
		})
	}
}

func TestFutureState(t *testing.T) {
	dir := t.TempDir()
	future := []byte(`{"version": 7, "baseline": {}, "something_new": true}`)
	if err := os.WriteFile(StatePath(dir), future, 0o640); err != nil {
		t.Fatal(err)
	}
	e := &Engine{Roots: tree(t, "bond_ab_healthy", ""), Clock: newClock(), StateDir: dir}
	p := e.Run(context.Background())
	if p.Result.Status != rules.StatusUnknown || len(p.Result.Errors) != 1 || !strings.Contains(p.Result.Errors[0].Reason(), "version 7, newer than this redwatch understands (1): upgrade redwatch, or move the file aside") {
		t.Fatalf("status %v errors %+v", p.Result.Status, p.Result.Errors)
	}
	if b, _ := os.ReadFile(StatePath(dir)); string(b) != string(future) {
		t.Errorf("a newer redwatch's state file was overwritten: %s", b)
	}
	if err := UpdateState(dir, time.Now(), func(*State) error { return nil }); err == nil || !strings.Contains(err.Error(), "upgrade redwatch") {
		t.Errorf("UpdateState over a future file = %v", err)
	}
}

// TestUnwritableStateDir: a state directory that can be neither read nor
// written is an error of the pass, so the status is UNKNOWN, and the pass
// itself is still evaluated. Root ignores permissions, so the directory is
// made unusable by being a file's child (the non-root case is
// internal/cli's TestAuditAsNobody).
func TestUnwritableStateDir(t *testing.T) {
	base := t.TempDir()
	file := filepath.Join(base, "notadir")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	e := &Engine{Roots: tree(t, "bond_slave_down", ""), Clock: newClock(), StateDir: filepath.Join(file, "state")}
	p := e.Run(context.Background())
	errs := p.Result.Errors
	if len(errs) != 1 || errs[0].Collector != "state" || !strings.Contains(errs[0].Err.Error(), "cannot be read or written (not a directory)") ||
		!strings.Contains(errs[0].Err.Error(), "`for` clocks restart") {
		t.Fatalf("errors %+v", errs)
	}
	if p.Result.Status != rules.StatusUnknown || len(find(p.Result, "bond_member_down")) != 1 {
		t.Errorf("status %v findings %v: want UNKNOWN with the pass still evaluated", p.Result.Status, p.Result.Findings)
	}
}

func TestWriteStateAtomic(t *testing.T) {
	dir := t.TempDir()
	st := NewState()
	st.Baseline["bond/bond0"] = rules.BaselineGroup{Kind: "bond", Name: "bond0", Members: []string{"eth0", "eth1"}, Since: newClock().Now()}
	if err := WriteState(dir, st); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 || ents[0].Name() != StateFile {
		t.Errorf("directory holds %v, want only %s (no temporary files)", ents, StateFile)
	}
	got, err := ReadState(dir)
	if err != nil || len(got.Baseline["bond/bond0"].Members) != 2 {
		t.Fatalf("ReadState = %+v, %v", got, err)
	}
}

func TestUserRules(t *testing.T) {
	cfg := mustConfig(t, `user_rules:
  - id: fewer_than_two_healthy_bonds
    expr: 'len(filter(groups, .kind == "bond" && .healthy >= 1)) < 2'
    severity: critical
    message: "fewer than 2 bonds with a healthy member on {{.host}}"
  - id: group_short
    for_each: groups
    expr: .healthy < .needed
    subject: "{{.name}}"
    message: "{{.name}}: {{.healthy}} of {{.needed}} healthy"
  - id: disk_worn
    for_each: disks
    expr: .percentage_used > 80
`)
	e := &Engine{Roots: tree(t, "bond_slave_down", ""), Clock: newClock(), Config: cfg}
	p := e.Run(context.Background())
	if got := find(p.Result, "fewer_than_two_healthy_bonds"); len(got) != 1 {
		t.Errorf("whole-host rule: %q", got)
	}
	if got := find(p.Result, "group_short"); len(got) != 1 || got[0] != "bond0: bond0: 1 of 2 healthy" {
		t.Errorf("per-group rule: %q", got)
	}
	if got := find(p.Result, "disk_worn"); len(got) != 0 {
		t.Errorf("no disk data yet, but: %q", got)
	}
	if p.Result.Status != rules.StatusCritical {
		t.Errorf("status %v", p.Result.Status)
	}
}

func TestExpectGlobAndMissing(t *testing.T) {
	cfg := mustConfig(t, `expect:
  bonds:
    - {name: bond1, members: [eth2, eth3]}
    - {name: "team*"}
    - {name: "bond*", min_healthy: 1}
  md:
    - {name: md9, members: 2}
`)
	e := &Engine{Roots: tree(t, "bond_slave_down", ""), Clock: newClock(), Config: cfg}
	p := e.Run(context.Background())
	if got := find(p.Result, "expect_group_missing"); len(got) != 2 || !has(got, "bond1: declared bond does not exist") || !has(got, "md9: declared md array does not exist") {
		t.Errorf("expect_group_missing = %q", got)
	}
	if got := find(p.Result, "expect_glob_unmatched"); len(got) != 1 || !has(got, `expect.bonds "team*" matches no bond`) {
		t.Errorf("expect_glob_unmatched = %q", got)
	}
	// min_healthy 1 lowers bond0's Needed: one healthy slave is enough.
	if got := find(p.Result, "bond_below_min_healthy"); len(got) != 0 {
		t.Errorf("min_healthy 1 did not override Needed: %q", got)
	}
	for _, g := range p.Result.Groups {
		if g.Name == "bond0" && g.Needed != 1 {
			t.Errorf("bond0 needed %d", g.Needed)
		}
	}
}

func TestConcurrentRuns(t *testing.T) {
	e := &Engine{Roots: tree(t, "bond_slave_down", ""), Clock: newClock(), StateDir: t.TempDir(),
		Config: mustConfig(t, "rules:\n  - {id: bond_member_down, for: 1m}\n")}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			e.Run(context.Background())
		})
	}
	wg.Go(func() { e.SetConfig(config.Default()) })
	wg.Wait()
	if p := e.Run(context.Background()); p.Result.Status != rules.StatusWarning {
		t.Errorf("status %v", p.Result.Status)
	}
}

// hangSource blocks in Collect until release is closed.
type hangSource struct{ release chan struct{} }

func (hangSource) Name() string { return "hwmon" }
func (h hangSource) Collect(context.Context, collectors.Roots) (collectors.Part, error) {
	<-h.release
	return collectors.Part{}, nil
}

// TestEngineOwnsCollectorTimeout: the per-source timeout is the engine's
// (set at construction, replaced by SetCollectorTimeout), and the hung
// source is remembered by the engine that started it, not by a global.
func TestEngineOwnsCollectorTimeout(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	defer close(release)
	var asked []time.Duration
	var mu sync.Mutex
	clk := askedClock{Fake: newClock(), ask: func(d time.Duration) {
		mu.Lock()
		asked = append(asked, d)
		mu.Unlock()
	}}
	e := &Engine{Roots: tree(t, "bond_ab_healthy", ""), Clock: clk, CollectorTimeout: 3 * time.Second,
		Sources: []collectors.Source{hangSource{release}}}
	p := e.Run(context.Background())
	if len(p.Result.Errors) != 1 || !strings.Contains(p.Result.Errors[0].Reason(), "timed out after 3s") {
		t.Fatalf("errors %+v, want hwmon timed out after 3s", p.Result.Errors)
	}
	e.SetCollectorTimeout(7 * time.Second)
	p = e.Run(context.Background())
	if len(p.Result.Errors) != 1 || !strings.Contains(p.Result.Errors[0].Reason(), "still hung") {
		t.Fatalf("second pass errors %+v, want still hung", p.Result.Errors)
	}
	other := &Engine{Roots: e.Roots, Clock: clk, CollectorTimeout: 7 * time.Second,
		Sources: []collectors.Source{hangSource{release}}}
	p = other.Run(context.Background())
	if len(p.Result.Errors) != 1 || !strings.Contains(p.Result.Errors[0].Reason(), "timed out after 7s") {
		t.Fatalf("another engine: errors %+v, want its own timeout, not the first engine's hung mark", p.Result.Errors)
	}
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff([]time.Duration{3 * time.Second, 7 * time.Second, 7 * time.Second}, asked); diff != "" {
		t.Errorf("timeouts asked of the timer (-want +got):\n%s", diff)
	}
}

// FuzzParseState: no state file panics the parser, and what it accepts
// writes back to a file it accepts again.
func FuzzParseState(f *testing.F) {
	f.Add([]byte(`{"version": 1, "baseline": {}, "first_seen": {}, "maintenance": {"started": "2026-11-27T05:00:00Z", "until": "2026-11-27T07:00:00Z"}}`))
	f.Add([]byte(`{"version": 1, "maintenance_windows": [{"subject": "md0", "rule": "md_*"}], "settling": {"bond/bond0": {"kind": "bond", "name": "bond0"}}}`))
	f.Add([]byte(`{"version": 2}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := ParseState("state.json", b)
		if err != nil {
			return
		}
		out, err := marshalState(st)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseState("state.json", out); err != nil {
			t.Fatalf("re-reading what was written: %v\n%s", err, out)
		}
	})
}

// askedClock is a clock.Fake whose timers tell ask their duration and fire
// at once: the deadline has passed already.
type askedClock struct {
	*clock.Fake
	ask func(time.Duration)
}

func (c askedClock) NewTimer(d time.Duration) clock.Timer {
	c.ask(d)
	return c.Fake.NewTimer(0)
}

// TestStateChangedBetweenPasses: a daemon keeps the state file in memory
// while it is unchanged, and reads it again when another process changed it:
// by rename (`redwatch maintenance on`, UpdateState) or in place. A pass that
// changes nothing does not rewrite it.
func TestStateChangedBetweenPasses(t *testing.T) {
	clk := newClock()
	dir := t.TempDir()
	e := &Engine{Roots: tree(t, "bond_slave_down", ""), Clock: clk, StateDir: dir}
	inMaintenance := func() bool {
		p := e.Run(context.Background())
		if len(p.Result.Findings) == 0 {
			t.Fatal("no findings")
		}
		return p.Result.Findings[0].Maintenance
	}
	if inMaintenance() {
		t.Fatal("in maintenance before any window")
	}
	k1, _ := stateFileKey(dir)
	if inMaintenance() {
		t.Fatal("in maintenance before any window")
	}
	if k2, _ := stateFileKey(dir); k2 != k1 {
		t.Error("a pass that changed nothing rewrote the state file")
	}
	if err := UpdateState(dir, clk.Now(), func(st *State) error {
		st.Maintenance = []rules.Maintenance{{Started: clk.Now(), Until: clk.Now().Add(time.Hour), Reason: "swap PSU"}}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !inMaintenance() {
		t.Error("a window added by another process is not seen by the next pass")
	}
	// In place, same inode: the size and times change.
	b, err := os.ReadFile(StatePath(dir))
	if err != nil {
		t.Fatal(err)
	}
	st, err := ParseState(StatePath(dir), b)
	if err != nil {
		t.Fatal(err)
	}
	st.Maintenance = nil
	nb, err := marshalState(st)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(StatePath(dir), os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(nb); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if inMaintenance() {
		t.Error("a window removed in place is still seen")
	}
}
