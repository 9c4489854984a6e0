package actions

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/redwatch/redwatch/alerts"
	"github.com/redwatch/redwatch/bonding"
	"github.com/redwatch/redwatch/internal/clock"
	"github.com/redwatch/redwatch/internal/config"
	"github.com/redwatch/redwatch/internal/engine"
	"github.com/redwatch/redwatch/internal/hostfs"
	"github.com/redwatch/redwatch/rules"
)

var t0 = time.Date(2026, 5, 6, 7, 0, 0, 0, time.UTC)

// procBond is /proc/net/bonding/bond0 of an active-backup bond over slaves.
func procBond(slaves ...string) string {
	var b strings.Builder
	b.WriteString("Ethernet Channel Bonding Driver: v6.1.0\n\nBonding Mode: fault-tolerance (active-backup)\nPrimary Slave: None\n" +
		"Currently Active Slave: eth0\nMII Status: up\nMII Polling Interval (ms): 100\nUp Delay (ms): 0\nDown Delay (ms): 0\n")
	for _, s := range slaves {
		b.WriteString("\nSlave Interface: " + s + "\nMII Status: up\nSpeed: 10000 Mbps\nDuplex: full\nLink Failure Count: 0\nPermanent HW addr: 52:54:00:00:00:01\nSlave queue ID: 0\n")
	}
	return b.String()
}

// policyHost is a /proc tree with bond0 whose slaves a test sets, and a
// fake Do that plays the kernel: Done puts the interface back in the file.
type policyHost struct {
	t     *testing.T
	dir   string
	clk   *clock.Fake
	mu    sync.Mutex
	reqs  []Request
	res   string // the outcome the fake Do returns
	event []alerts.Event
	log   strings.Builder
}

func newPolicyHost(t *testing.T) *policyHost {
	h := &policyHost{t: t, dir: t.TempDir(), clk: clock.NewFake(t0), res: Done}
	if err := os.MkdirAll(filepath.Join(h.dir, "proc", "net", "bonding"), 0o755); err != nil {
		t.Fatal(err)
	}
	h.slaves("eth0")
	return h
}

func (h *policyHost) slaves(names ...string) {
	h.t.Helper()
	if err := os.WriteFile(filepath.Join(h.dir, "proc", "net", "bonding", "bond0"), []byte(procBond(names...)), 0o644); err != nil {
		h.t.Fatal(err)
	}
}

func (h *policyHost) do(_ context.Context, r Request) Result {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.reqs = append(h.reqs, r)
	res := Result{Bond: r.Bond, Iface: r.Iface, Outcome: h.res, Method: "netlink"}
	switch h.res {
	case Done:
		h.slaves("eth0", r.Iface)
	case Refused:
		res.Refusal = &refusalNoCarrier
	}
	return res
}

func (h *policyHost) calls() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.reqs)
}

func (h *policyHost) policy(cfgYAML, stateDir string) *Policy {
	h.t.Helper()
	cfg, err := config.Parse("f.yaml", []byte(cfgYAML))
	if err != nil {
		h.t.Fatal(err)
	}
	return NewPolicy(Options{Roots: hostfs.Roots{Proc: filepath.Join(h.dir, "proc")}, Config: cfg, StateDir: stateDir, Clock: h.clk,
		Logger: slog.New(slog.NewTextHandler(&h.log, nil)), Do: h.do, Notify: func(e alerts.Event) { h.event = append(h.event, e) }})
}

const declared = "expect:\n  bonds:\n    - {name: bond0, members: [eth0, eth1]}\n"

func TestPolicyOffByDefault(t *testing.T) {
	h := newPolicyHost(t)
	p := h.policy(declared, "")
	p.Check(context.Background())
	if h.calls() != 0 {
		t.Fatalf("acted without actions.reenslave: %+v", h.reqs)
	}
}

// TestPolicyCooldownBackoffGiveUp: a declared member that keeps dropping
// out is added back with the cooldown doubling after each attempt, and
// once max_per_hour attempts are used it is given up (finding, metric,
// warning notification) until it is a member again; the state survives a
// restart.
func TestPolicyCooldownBackoffGiveUp(t *testing.T) {
	h := newPolicyHost(t)
	state := t.TempDir()
	yaml := declared + "actions:\n  reenslave:\n    - {bond: \"bond*\", cooldown: 1m, max_per_hour: 3}\n"
	changed := 0
	p := h.policy(yaml, state)
	p.o.Changed = func() { changed++ }
	ctx := context.Background()

	p.Check(ctx)
	if h.calls() != 1 || h.reqs[0].Iface != "eth1" || h.reqs[0].ExpectedBy != ByConfig || h.reqs[0].DryRun {
		t.Fatalf("first round: %+v", h.reqs)
	}
	if len(h.event) != 1 || h.event[0].Severity != rules.Info || h.event[0].Subject != "bond0/eth1" || h.event[0].Rule != EventRule {
		t.Fatalf("events %+v", h.event)
	}
	for i, wait := range []time.Duration{time.Minute, 2 * time.Minute} {
		h.slaves("eth0") // dropped out again
		h.clk.Add(wait - time.Second)
		p.Check(ctx)
		if h.calls() != i+1 {
			t.Fatalf("attempt %d before its cooldown of %s", i+2, wait)
		}
		h.clk.Add(time.Second)
		p.Check(ctx)
		if h.calls() != i+2 {
			t.Fatalf("no attempt %d after %s", i+2, wait)
		}
	}
	if got := testutil.ToFloat64(p.metrics.attempts.WithLabelValues("bond0", "eth1", Done)); got != 3 {
		t.Errorf("attempts_total{done} = %v", got)
	}
	if len(p.Findings()) != 0 || changed != 0 {
		t.Fatalf("findings before giving up: %+v", p.Findings())
	}
	h.slaves("eth0")
	h.clk.Add(4 * time.Minute)
	p.Check(ctx)
	if h.calls() != 3 {
		t.Fatalf("a fourth attempt within the hour")
	}
	f := p.Findings()
	if len(f) != 1 || f[0].Rule != rules.ReenslaveGaveUp || f[0].Subject != "bond0/eth1" || changed != 1 {
		t.Fatalf("findings %+v, changed %d", f, changed)
	}
	if last := h.event[len(h.event)-1]; last.Severity != rules.Warning || last.Facts["result"] != "gave_up" {
		t.Errorf("last event %+v", last)
	}
	if got := testutil.ToFloat64(p.metrics.gaveUps.WithLabelValues("bond0", "eth1")); got != 1 {
		t.Errorf("gave_up = %v", got)
	}
	h.clk.Add(2 * time.Hour)
	p.Check(ctx)
	if h.calls() != 3 {
		t.Fatal("acted on a member it gave up")
	}

	// A restart keeps it given up.
	p2 := h.policy(yaml, state)
	p2.Check(ctx)
	if h.calls() != 3 || len(p2.Findings()) != 1 {
		t.Fatalf("after a restart: calls %d, findings %+v", h.calls(), p2.Findings())
	}
	// Put back by hand: the finding goes and the action resumes.
	h.slaves("eth0", "eth1")
	p2.Check(ctx)
	if len(p2.Findings()) != 0 {
		t.Fatalf("still given up after it came back: %+v", p2.Findings())
	}
	h.slaves("eth0")
	p2.Check(ctx)
	if h.calls() != 4 {
		t.Fatal("no attempt after the member came back and dropped out again")
	}
}

func TestPolicyDryRunRefusedUndeclared(t *testing.T) {
	h := newPolicyHost(t)
	ctx := context.Background()

	p := h.policy(declared+"actions:\n  reenslave:\n    - {bond: bond0, dry_run: true, cooldown: 1m}\n", "")
	h.res = DryRun
	p.Check(ctx)
	if h.calls() != 1 || !h.reqs[0].DryRun || len(h.event) != 0 {
		t.Fatalf("dry run: reqs %+v events %+v", h.reqs, h.event)
	}
	if !strings.Contains(h.log.String(), "result=dry_run") {
		t.Errorf("the log does not say it was a dry run:\n%s", h.log.String())
	}

	h.res = Refused
	p = h.policy(declared+"actions:\n  reenslave:\n    - {bond: bond0, cooldown: 1m}\n", "")
	p.Check(ctx)
	p.Check(ctx)
	h.clk.Add(time.Minute)
	p.Check(ctx)
	if h.calls() != 3 || len(h.event) != 0 || len(p.Findings()) != 0 {
		t.Fatalf("refused: calls %d (want one per cooldown), events %+v", h.calls(), h.event)
	}
	if got := testutil.ToFloat64(p.metrics.refusals.WithLabelValues("bond0", "eth1", "no_carrier")); got != 2 {
		t.Errorf("refusals_total = %v", got)
	}
	if strings.Count(h.log.String(), "reason=no_carrier") != 1 {
		t.Errorf("a refusal is logged once per reason:\n%s", h.log.String())
	}

	// Neither declared nor in a baseline: never tried.
	h2 := newPolicyHost(t)
	p = h2.policy("actions:\n  reenslave:\n    - {bond: bond0}\n", t.TempDir())
	p.Check(ctx)
	if h2.calls() != 0 {
		t.Fatalf("tried an undeclared member: %+v", h2.reqs)
	}
}

// TestPolicyBaselineAndMaintenance: a member of the baseline is added
// back, except while a maintenance window covers it.
func TestPolicyBaselineAndMaintenance(t *testing.T) {
	h := newPolicyHost(t)
	state := t.TempDir()
	st := engine.NewState()
	st.Baseline = rules.Baseline{"bond/bond0": {Kind: "bond", Name: "bond0", Members: []string{"eth0", "eth1"}, Since: t0}}
	st.Maintenance = []rules.Maintenance{{Started: t0.Add(-time.Minute), Until: t0.Add(time.Hour), Subject: "bond0"}}
	if err := engine.WriteState(state, st); err != nil {
		t.Fatal(err)
	}
	p := h.policy("actions:\n  reenslave:\n    - {bond: bond0}\n", state)
	p.Check(context.Background())
	if h.calls() != 0 || !strings.Contains(h.log.String(), "not during maintenance") {
		t.Fatalf("acted during maintenance: %+v\n%s", h.reqs, h.log.String())
	}
	h.clk.Add(time.Hour)
	p.Check(context.Background())
	if h.calls() != 1 || h.reqs[0].ExpectedBy != ByBaseline {
		t.Fatalf("after the window: %+v", h.reqs)
	}
}

var refusalNoCarrier = bonding.Refusal{Reason: bonding.RefuseNoCarrier, Detail: "eth1 has no carrier"}

// TestPolicyMetrics: every series the policy exports after an attempt, a
// refusal and a give-up passes promtool's lint (promlint, the library
// `promtool check metrics` runs), and each is named as documented.
func TestPolicyMetrics(t *testing.T) {
	h := newPolicyHost(t)
	p := h.policy(declared+"actions:\n  reenslave:\n    - {bond: bond0, cooldown: 1m, max_per_hour: 1}\n", "")
	ctx := context.Background()
	p.Check(ctx) // done
	h.slaves("eth0")
	h.clk.Add(time.Minute)
	p.Check(ctx) // gave up
	p.metrics.refused("bond0", "eth2", "no_carrier")
	problems, err := testutil.CollectAndLint(p)
	if err != nil || len(problems) > 0 {
		t.Fatalf("lint: %v %+v", err, problems)
	}
	want := `
# HELP redwatch_action_reenslave_gave_up 1 for a bond member the re-enslave action gave up on (reenslave_gave_up) until it is a member again.
# TYPE redwatch_action_reenslave_gave_up gauge
redwatch_action_reenslave_gave_up{bond="bond0",iface="eth1"} 1
`
	if err := testutil.CollectAndCompare(p, strings.NewReader(want), "redwatch_action_reenslave_gave_up"); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(p, "redwatch_action_reenslave_attempts_total", "redwatch_action_reenslave_refusals_total"); n != 2 {
		t.Errorf("%d attempt and refusal series, want 2", n)
	}
}

// TestPolicyUnreadBondKeepsHistory: a round that cannot read the bond
// (its /proc/net/bonding file caught mid-change, here unparsable) keeps
// the member's attempts and cooldown, so the cap still holds: before, such
// a round forgot them and the member got one attempt more than
// max_per_hour.
func TestPolicyUnreadBondKeepsHistory(t *testing.T) {
	h := newPolicyHost(t)
	yaml := declared + "actions:\n  reenslave:\n    - {bond: \"bond*\", cooldown: 1m, max_per_hour: 2}\n"
	p := h.policy(yaml, t.TempDir())
	ctx := context.Background()

	p.Check(ctx)
	if h.calls() != 1 {
		t.Fatalf("first round: %d attempts", h.calls())
	}
	bond0 := filepath.Join(h.dir, "proc", "net", "bonding", "bond0")
	if err := os.WriteFile(bond0, []byte("Ethernet Channel Bonding Driver: v6.1.0\n\nSlave Interface: eth1\nMII Status: sideways\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := bonding.ReadBond(hostfs.Roots{Proc: filepath.Join(h.dir, "proc")}, "bond0"); err == nil {
		t.Fatal("the test's bond file is read without an error: the round would not be an unread one")
	}
	h.clk.Add(30 * time.Second)
	p.Check(ctx) // bond0 not read: nothing done, nothing forgotten

	h.slaves("eth0") // readable again, eth1 out
	p.Check(ctx)
	if h.calls() != 1 {
		t.Fatal("an attempt inside the cooldown: the unread round forgot it")
	}
	h.clk.Add(30 * time.Second)
	p.Check(ctx)
	if h.calls() != 2 {
		t.Fatalf("no second attempt after the cooldown: %d", h.calls())
	}
	h.slaves("eth0")
	h.clk.Add(2 * time.Minute)
	p.Check(ctx)
	if h.calls() != 2 {
		t.Fatalf("%d attempts with max_per_hour 2: the unread round reset the count", h.calls())
	}
	if f := p.Findings(); len(f) != 1 || f[0].Rule != rules.ReenslaveGaveUp {
		t.Fatalf("not given up: %+v", f)
	}
}
