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
	"github.com/redwatch/redwatch/internal/clock"
	"github.com/redwatch/redwatch/internal/ipmisimtest"
	"github.com/redwatch/redwatch/internal/testtree"
	"github.com/redwatch/redwatch/rules"
)

// TestFailedBMCKeepsSupplies: a BMC read (here a captured tree's
// ipmi/sdr.txt) that fails after a good one keeps the supplies and the
// redundancy set it read last, marked stale since that pass with the
// reason; the power group is stale, its findings stand (no alert resolves
// because the BMC went silent) and the pass is UNKNOWN with the reason;
// the other groups are judged as usual. When the BMC answers again nothing
// is stale.
func TestFailedBMCKeepsSupplies(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"ipmi", "proc"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	sdr := filepath.Join(dir, filepath.FromSlash(collectors.IPMIListingPath))
	write := func(p, s string) {
		t.Helper()
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	good := "PS1 Status       | 40h | ok  | 10.1 | Presence detected, Failure detected\n" +
		"PS2 Status       | 41h | ok  | 10.2 | Presence detected\n" +
		"PSU Redundancy   | 50h | ok  | 19.1 | Redundancy Lost\n"
	write(sdr, good)
	// md0 degraded: a group of another source, judged in every pass.
	write(filepath.Join(dir, "proc", "mdstat"), "Personalities : [raid1]\nmd0 : active raid1 sda1[0]\n      1048576 blocks [2/1] [U_]\n\nunused devices: <none>\n")
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	clk := clock.NewFake(t0)
	e := &Engine{Roots: collectors.TreeRoots(dir), Clock: clk}

	first := e.Run(context.Background())
	want := []string{"md_degraded md0", "power_redundancy_lost power", "psu_health power/PS1 Status"}
	if got := keys(first.Result); !containsAll(got, want) || len(first.Result.Errors) != 0 {
		t.Fatalf("first pass: findings %q errors %v, want %q", got, first.Result.Errors, want)
	}

	clk.Add(time.Minute)
	write(sdr, "PS1 Status | not a listing\n")
	p := e.Run(context.Background())
	if got := keys(p.Result); !containsAll(got, want) {
		t.Errorf("BMC failed: findings %q, want %q kept", got, want)
	}
	if p.Result.Status != rules.Worse(first.Result.Status, rules.StatusUnknown) || len(p.Result.Errors) != 1 || p.Result.Errors[0].Collector != collectors.IPMICollector ||
		p.Result.Errors[0].Path != sdr {
		t.Fatalf("BMC failed: status %v errors %v, want %v with the ipmi error at %s", p.Result.Status, p.Result.Errors, rules.Worse(first.Result.Status, rules.StatusUnknown), sdr)
	}
	var stale []string
	for _, s := range p.Snapshot.Stale {
		if s.Collector != collectors.IPMICollector || !s.Since.Equal(t0) || !strings.Contains(s.Error, "listing line 1") {
			t.Errorf("stale %+v: want ipmi, since %v, with the reason", s, t0)
		}
		stale = append(stale, s.Name)
	}
	if want := []string{"PS1 Status", "PS2 Status", "PSU Redundancy"}; !slices.Equal(stale, want) {
		t.Errorf("stale %q, want %q", stale, want)
	}
	for _, g := range p.Result.Groups {
		switch {
		case g.Kind == rules.KindPSU && (g.Stale == nil || g.Stale.Collector != collectors.IPMICollector || g.Total != 2 || g.Redundancy != collectors.RedundancyLost):
			t.Errorf("power group %+v stale %+v: want the last read (2 supplies, redundancy lost), stale", g, g.Stale)
		case g.Kind == rules.KindMD && g.Stale != nil:
			t.Errorf("md group stale %+v: its source answered", g.Stale)
		}
	}
	for _, f := range p.Result.Findings {
		if isPower := strings.HasPrefix(f.Subject, "power"); isPower != (f.Stale != nil) {
			t.Errorf("finding %s %s stale %+v", f.Rule, f.Subject, f.Stale)
		}
	}

	clk.Add(time.Minute)
	write(sdr, strings.Replace(good, ", Failure detected", "", 1))
	p = e.Run(context.Background())
	if len(p.Snapshot.Stale) != 0 || len(p.Result.Errors) != 0 || slices.Contains(keys(p.Result), "psu_health power/PS1 Status") {
		t.Errorf("BMC back: stale %+v errors %v findings %q", p.Snapshot.Stale, p.Result.Errors, keys(p.Result))
	}
}

// containsAll reports whether every one of want is in got.
func containsAll(got, want []string) bool {
	for _, w := range want {
		if !slices.Contains(got, w) {
			return false
		}
	}
	return true
}

// TestBMCRefusesLoginKeepsSupplies: the daemon's path (sources given as
// the daemon gives them, power.ipmi from the configuration) against a real
// BMC simulator: after a good read, the BMC refuses the login (its password
// changed); the refresh that finds it fails keeps the supplies stale with
// the address and the reason (never the password) and the power findings
// stand; when the login works again nothing is stale. Time is the fake
// clock's; the loop waits for the background refresh to finish, not for
// time to pass.
func TestBMCRefusesLoginKeepsSupplies(t *testing.T) {
	sim := ipmisimtest.Start(t, ipmisimtest.Options{})
	sim.Do(t, ipmisimtest.Healthy...)
	sim.Do(t, "sensor_set_bit 0x20 0 0x40 1 1 0") // PS1 Failure detected
	pw := filepath.Join(t.TempDir(), "bmc.password")
	setPassword := func(p string) {
		t.Helper()
		if err := os.WriteFile(pw, []byte(p+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	setPassword("s3cret")
	roots := collectors.TreeRoots(testtree.Bare(t))
	roots.Live = true
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	clk := clock.NewFake(t0)
	e := &Engine{Roots: roots, Clock: clk, Sources: collectors.Sources(),
		Config: mustConfig(t, "power:\n  ipmi:\n    address: "+sim.Addr+"\n    username: monitor\n    password_file: "+pw+"\n    interval: 60s\n")}
	finding := "psu_health power/PS1 Status"
	if p := e.Run(context.Background()); !slices.Contains(keys(p.Result), finding) || len(p.Result.Errors) != 0 {
		t.Fatalf("first pass: findings %q errors %v, want %s", keys(p.Result), p.Result.Errors, finding)
	}
	// untilRefreshed runs passes on the fake clock (which does not move)
	// until one shows what the background refresh read.
	untilRefreshed := func(done func(*Pass) bool) *Pass {
		t.Helper()
		for range 2000 {
			if p := e.Run(context.Background()); done(p) {
				return p
			}
			time.Sleep(5 * time.Millisecond) // the refresh goroutine talking to the simulator
		}
		t.Fatal("the background refresh never finished")
		return nil
	}

	setPassword("wrong-Pa55")
	clk.Add(61 * time.Second)
	p := untilRefreshed(func(p *Pass) bool { return len(p.Result.Errors) > 0 })
	if err := p.Result.Errors[0]; err.Collector != collectors.IPMICollector || err.Path != "lanplus://"+sim.Addr || strings.Contains(err.Error(), "wrong-Pa55") {
		t.Errorf("error %v: want the ipmi source's, at the address, without the password", err)
	}
	if !slices.Contains(keys(p.Result), finding) {
		t.Errorf("login refused: findings %q, want %s kept", keys(p.Result), finding)
	}
	// Stale since the BMC was last read (not since the last pass, which
	// used that read from the cache).
	var stale []string
	for _, s := range p.Snapshot.Stale {
		if !s.Since.Equal(t0) || !strings.Contains(s.Error, "RAKP") {
			t.Errorf("stale %+v, want since %v (the last read) with the reason", s, t0)
		}
		stale = append(stale, s.Name)
	}
	if want := []string{"PS1 Status", "PS2 Status", "PSU Redundancy"}; !slices.Equal(stale, want) {
		t.Errorf("stale %q, want %q", stale, want)
	}
	for _, g := range p.Result.Groups {
		if g.Kind == rules.KindPSU && g.Stale == nil {
			t.Errorf("power group not stale: %+v", g)
		}
	}

	setPassword("s3cret")
	clk.Add(61 * time.Second)
	p = untilRefreshed(func(p *Pass) bool { return len(p.Result.Errors) == 0 })
	if len(p.Snapshot.Stale) != 0 || !slices.Contains(keys(p.Result), finding) {
		t.Errorf("login works again: stale %+v findings %q", p.Snapshot.Stale, keys(p.Result))
	}
}
