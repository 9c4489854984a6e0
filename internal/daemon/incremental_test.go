package daemon

import (
	"context"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/redwatch/redwatch/collectors"
	"github.com/redwatch/redwatch/internal/engine"
)

// partialRunner is a fakeRunner that can run incremental passes; it records
// the subsystems of each (nil for a full pass).
type partialRunner struct {
	fakeRunner
	mu    sync.Mutex
	calls [][]collectors.Subsystem
}

func (p *partialRunner) Run(ctx context.Context) *engine.Pass {
	p.mu.Lock()
	p.calls = append(p.calls, nil)
	p.mu.Unlock()
	return p.fakeRunner.Run(ctx)
}

func (p *partialRunner) RunFollowing(ctx context.Context, subs ...collectors.Subsystem) *engine.Pass {
	p.mu.Lock()
	p.calls = append(p.calls, slices.Clone(subs))
	p.mu.Unlock()
	return p.fakeRunner.Run(ctx)
}

func (p *partialRunner) last() []collectors.Subsystem {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls[len(p.calls)-1]
}

// scopedSource is a fakeSource whose events are about the subsystem they
// name ("net: eth1 down"); "?" is an event it cannot place.
type scopedSource struct{ *fakeSource }

func (scopedSource) Scope(detail string) []collectors.Subsystem {
	if detail == "?" {
		return nil
	}
	for _, s := range []collectors.Subsystem{collectors.SubsystemNet, collectors.SubsystemMD, collectors.SubsystemBlock,
		collectors.SubsystemPower, collectors.SubsystemHwmon} {
		if len(detail) > len(s) && detail[:len(s)+1] == string(s)+":" {
			return []collectors.Subsystem{s}
		}
	}
	return nil
}

// TestEventPassesAreIncremental: each event kind runs an incremental pass
// over its own subsystem; a burst of several kinds in one debounce window is
// one pass over their union; an event that cannot be placed makes the pass
// full; incremental passes do not put off the interval, whose pass is
// always full.
func TestEventPassesAreIncremental(t *testing.T) {
	clk := newFakeClock()
	link, md, uev := scopedSource{newFakeSource("netlink")}, scopedSource{newFakeSource("mdstat")}, scopedSource{newFakeSource("uevent")}
	run := &partialRunner{fakeRunner: fakeRunner{clock: clk}}
	h := startHarness(t, Options{Load: staticLoad(run, time.Hour), Clock: clk, Sources: []Source{link, md, uev},
		Logger: testLogger(&syncBuffer{})})
	if r := h.next(t); r.Kind != KindFull || run.last() != nil {
		t.Fatalf("start pass: kind %s, subsystems %v", r.Kind, run.last())
	}
	clk.waitTimer(t, time.Hour)

	pass := func(want []collectors.Subsystem, kind string, fire ...func()) Report {
		t.Helper()
		for _, f := range fire {
			f()
		}
		clk.waitTimer(t, DefaultDebounce)
		clk.advance(DefaultDebounce)
		r := h.next(t)
		if r.Trigger != TriggerEvent || r.Kind != kind || !slices.Equal(r.Subsystems, want) || !slices.Equal(run.last(), want) {
			t.Fatalf("pass: trigger %s kind %s subsystems %v (runner got %v), want event/%s/%v",
				r.Trigger, r.Kind, r.Subsystems, run.last(), kind, want)
		}
		return r
	}
	net, mdS, block := collectors.SubsystemNet, collectors.SubsystemMD, collectors.SubsystemBlock
	pass([]collectors.Subsystem{net}, KindIncremental, func() { link.fire(t, "net: eth1 newlink oper=down") })
	clk.advance(20 * time.Minute)
	pass([]collectors.Subsystem{mdS}, KindIncremental, func() { md.fire(t, "md: array event") })
	clk.advance(20 * time.Minute)
	pass([]collectors.Subsystem{collectors.SubsystemPower}, KindIncremental, func() { uev.fire(t, "power_supply: change") })
	r := pass([]collectors.Subsystem{block, mdS, net}, KindIncremental,
		func() { link.fire(t, "net: bond0 newlink oper=up") },
		func() { md.fire(t, "md: array event") },
		func() { uev.fire(t, "block: remove /devices/virtual/block/sdb") },
		func() { link.fire(t, "net: eth1 newlink oper=up") })
	if r.Events != 4 || r.Incremental != 4 || r.Passes[TriggerEvent] != 4 {
		t.Fatalf("union pass: events %d, incremental %d, event passes %d", r.Events, r.Incremental, r.Passes[TriggerEvent])
	}
	// An event nothing can place widens the whole burst to a full pass.
	r = pass(nil, KindFull, func() { link.fire(t, "net: eth0 newlink") }, func() { uev.fire(t, "?") })
	if r.Incremental != 4 || r.Passes[TriggerEvent] != 5 {
		t.Fatalf("full event pass: incremental %d, event passes %d", r.Incremental, r.Passes[TriggerEvent])
	}

	// The full event pass re-armed the interval; incremental ones after
	// it do not put it off: an hour after it, the interval's full pass.
	clk.waitTimer(t, time.Hour)
	clk.advance(40 * time.Minute)
	pass([]collectors.Subsystem{net}, KindIncremental, func() { link.fire(t, "net: eth1 newlink oper=down") })
	clk.advance(20*time.Minute - DefaultDebounce)
	r = h.next(t)
	if r.Trigger != TriggerInterval || r.Kind != KindFull || run.last() != nil {
		t.Fatalf("after incremental passes: trigger %s kind %s subsystems %v, want a full interval pass", r.Trigger, r.Kind, run.last())
	}
}

// TestEventPassesFullWithoutPartialRunner: a runner that cannot run
// incremental passes gets full ones for every event.
func TestEventPassesFullWithoutPartialRunner(t *testing.T) {
	clk := newFakeClock()
	link := scopedSource{newFakeSource("netlink")}
	run := &fakeRunner{clock: clk}
	h := startHarness(t, Options{Load: staticLoad(run, time.Hour), Clock: clk, Sources: []Source{link},
		Logger: testLogger(&syncBuffer{})})
	h.next(t)
	clk.waitTimer(t, time.Hour)
	link.fire(t, "net: eth1 newlink oper=down")
	clk.waitTimer(t, DefaultDebounce)
	clk.advance(DefaultDebounce)
	if r := h.next(t); r.Kind != KindFull || r.Subsystems != nil || r.Incremental != 0 {
		t.Fatalf("event pass with a full-only runner: kind %s subsystems %v incremental %d", r.Kind, r.Subsystems, r.Incremental)
	}
}

// TestSourceScopes: what each kernel source's events are about.
func TestSourceScopes(t *testing.T) {
	tree := &TreeSource{Dirs: []string{"/t/sys", "/t/proc", "/t/dev"}, Sys: "/t/sys", Proc: "/t/proc"}
	for _, tc := range []struct {
		src    Source
		detail string
		want   collectors.Subsystem // "" is a full pass
	}{
		{&LinkSource{}, "eth1 newlink oper=down", collectors.SubsystemNet},
		{&MDStatSource{}, "array event", collectors.SubsystemMD},
		{&UeventSource{}, "block remove /devices/pci0000:00/0000:00:1f.2/ata2/host1/target1:0:0/1:0:0:0/block/sdb", collectors.SubsystemBlock},
		{&UeventSource{}, "power_supply change /devices/LNXSYSTM:00/LNXSYBUS:00/ACPI0003:01/power_supply/PS2", collectors.SubsystemPower},
		{&UeventSource{}, "net add /devices/virtual/net/bond1", collectors.SubsystemNet},
		{&UeventSource{}, "hwmon add /devices/platform/coretemp.0/hwmon/hwmon3", collectors.SubsystemHwmon},
		{&UeventSource{}, "overflow", ""},
		{&UeventSource{}, "usb add /devices/pci0000:00/usb1", ""},
		{tree, "WRITE /t/proc/mdstat", collectors.SubsystemMD},
		{tree, "WRITE /t/proc/net/bonding/bond0", collectors.SubsystemNet},
		{tree, "WRITE /t/proc/net/route", collectors.SubsystemNet},
		{tree, "WRITE /t/proc/self/mountinfo", ""},
		{tree, "WRITE /t/sys/devices/virtual/block/md0/md/dev-sda1/state", collectors.SubsystemMD},
		{tree, "CREATE /t/sys/block/sdb/device/state", collectors.SubsystemBlock},
		{tree, "WRITE /t/sys/class/net/eth0/carrier", collectors.SubsystemNet},
		{tree, "WRITE /t/sys/devices/virtual/net/bond0/bonding/slaves", collectors.SubsystemNet},
		{tree, "WRITE /t/sys/devices/LNXSYSTM:00/LNXSYBUS:00/ACPI0003:01/power_supply/PS2/online", collectors.SubsystemPower},
		{tree, "WRITE /t/sys/devices/platform/i2c-5/5-0059/hwmon/hwmon1/fan1_fault", collectors.SubsystemHwmon},
		{tree, "WRITE /t/sys/devices/pci0000:00/0000:00:1f.2/ata2/host1/target1:0:0/1:0:0:0/state", ""},
		{tree, "REMOVE /t/dev/sdb", ""},
		{tree, "WRITE /elsewhere/sys/class/net/eth0/carrier", ""},
		{tree, "error queue overflow", ""},
		{&TreeSource{Dirs: []string{"/t/proc"}}, "WRITE /t/proc/mdstat", ""},
		{&WakeSource{SourceName: "actions"}, "reenslave gave up", ""},
	} {
		got := scopeOf(tc.src, tc.detail)
		var want []collectors.Subsystem
		if tc.want != "" {
			want = []collectors.Subsystem{tc.want}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s %q: scope %v, want %v", tc.src.Name(), tc.detail, got, want)
		}
		for _, s := range got {
			if !collectors.KnownSubsystem(s) {
				t.Errorf("%s %q: unknown subsystem %q", tc.src.Name(), tc.detail, s)
			}
		}
	}
	// The host's uevent source listens to every subsystem it can place.
	for _, src := range SourcesFor(collectors.HostRoots()) {
		if u, ok := src.(*UeventSource); ok {
			for s := range ueventSubsystems {
				if !slices.Contains(u.Subsystems, s) {
					t.Errorf("the uevent source does not listen to %s", s)
				}
			}
		}
	}
	// A tree's source knows its sys and proc roots.
	roots := collectors.TreeRoots("/t")
	if ts, ok := SourcesFor(roots)[0].(*TreeSource); !ok || ts.Sys != roots.Sys || ts.Proc != roots.Proc {
		t.Errorf("tree source %+v, want sys %s proc %s", SourcesFor(roots)[0], roots.Sys, filepath.Clean(roots.Proc))
	}
}
