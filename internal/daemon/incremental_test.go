package daemon

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redwatch/redwatch/collectors"
	"github.com/redwatch/redwatch/internal/engine"
)

// partialRunner is a fakeRunner that can run incremental passes; it records
// the subsystems of each (nil for a full pass) and the interfaces named.
type partialRunner struct {
	fakeRunner
	mu    sync.Mutex
	calls [][]collectors.Subsystem
	links [][]string
}

func (p *partialRunner) Run(ctx context.Context) *engine.Pass {
	p.mu.Lock()
	p.calls = append(p.calls, nil)
	p.links = append(p.links, nil)
	p.mu.Unlock()
	return p.fakeRunner.Run(ctx)
}

func (p *partialRunner) RunAfter(ctx context.Context, ev collectors.Events) *engine.Pass {
	p.mu.Lock()
	p.calls = append(p.calls, slices.Clone(ev.Subsystems))
	p.links = append(p.links, slices.Clone(ev.Links))
	p.mu.Unlock()
	return p.fakeRunner.Run(ctx)
}

func (p *partialRunner) last() []collectors.Subsystem {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls[len(p.calls)-1]
}

func (p *partialRunner) lastLinks() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.links[len(p.links)-1]
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

// namedSource is a scopedSource whose net events name their interface as
// netlink's do ("net: eth1 newlink oper=down"; "net:" names none).
type namedSource struct{ scopedSource }

func (namedSource) Links(detail string) []string {
	rest, ok := strings.CutPrefix(detail, "net: ")
	if !ok {
		return nil
	}
	return (&LinkSource{}).Links(rest)
}

// TestEventLinksCoalesce: the interfaces the net events of one window name
// reach the runner, their union sorted; a net event that names none, more
// than MaxEventLinks names, or another subsystem in the pass leave none
// (every interface is re-read).
func TestEventLinksCoalesce(t *testing.T) {
	clk := newFakeClock()
	link, md := namedSource{scopedSource{newFakeSource("netlink")}}, scopedSource{newFakeSource("mdstat")}
	run := &partialRunner{fakeRunner: fakeRunner{clock: clk}}
	h := startHarness(t, Options{Load: staticLoad(run, time.Hour), Clock: clk, Sources: []Source{link, md},
		Logger: testLogger(&syncBuffer{})})
	h.next(t)
	clk.waitTimer(t, time.Hour)

	pass := func(want []string, details ...string) {
		t.Helper()
		for _, d := range details {
			if strings.HasPrefix(d, "md:") {
				md.fire(t, d)
			} else {
				link.fire(t, d)
			}
		}
		clk.waitTimer(t, DefaultDebounce)
		clk.advance(DefaultDebounce)
		r := h.next(t)
		if r.Kind != KindIncremental || !slices.Equal(r.Links, want) || !slices.Equal(run.lastLinks(), want) {
			t.Fatalf("after %q: kind %s links %v (runner got %v), want %v", details, r.Kind, r.Links, run.lastLinks(), want)
		}
	}
	pass([]string{"eth1", "eth3"}, "net: eth3 newlink oper=down", "net: eth1 newlink oper=down", "net: eth3 newlink oper=up")
	pass(nil, "net: eth1 newlink oper=down", "net:")
	pass([]string{"bond0"}, "net: bond0 newlink oper=up") // the last window's "no name" is gone
	var many []string
	for i := range MaxEventLinks + 1 {
		many = append(many, fmt.Sprintf("net: eth%d newlink oper=down", i))
	}
	pass(nil, many...)
	pass([]string{"eth0", "eth1", "eth2", "eth3", "eth4", "eth5", "eth6", "eth7"}, many[:MaxEventLinks]...)
	pass(nil, "net: eth1 newlink oper=down", "md: array event")
}

// TestSourceLinks: which interfaces each kernel source's net events name.
func TestSourceLinks(t *testing.T) {
	tree := &TreeSource{Sys: "/t/sys", Proc: "/t/proc"}
	for _, tc := range []struct {
		src    Source
		detail string
		want   []string
	}{
		{&LinkSource{}, "eth1 newlink oper=down", []string{"eth1"}},
		{&LinkSource{}, "bond0 dellink oper=down", []string{"bond0"}},
		{&LinkSource{}, "", nil},
		{&UeventSource{}, "net add /devices/virtual/net/bond1", []string{"bond1"}},
		{&UeventSource{}, "net move /devices/pci0000:00/0000:00:03.0/net/eth2", []string{"eth2"}},
		{&UeventSource{}, "net change", nil},
		{&UeventSource{}, "block remove /devices/virtual/block/sdb", nil},
		{&UeventSource{}, "overflow", nil},
		{tree, "WRITE /t/proc/net/bonding/bond0", []string{"bond0"}},
		{tree, "WRITE /t/proc/net/route", nil},
		{tree, "CREATE /t/proc/net/bonding", nil},
		{tree, "WRITE /t/sys/class/net/eth0/carrier", []string{"eth0"}},
		{tree, "CREATE /t/sys/class/net/eth9", []string{"eth9"}},
		{tree, "WRITE /t/sys/class/net/bonding_masters", nil},
		{tree, "WRITE /t/sys/devices/virtual/net/bond0/bonding/slaves", []string{"bond0"}},
		{tree, "WRITE /t/sys/devices/pci0000:00/0000:00:01.0/0000:11:00.0/net/eth1/carrier", []string{"eth1"}},
		{tree, "CREATE /t/sys/devices/pci0000:00/0000:00:01.0/0000:11:00.0/net", nil},
		{tree, "WRITE /t/sys/block/sdb/device/state", nil},
		{tree, "WRITE /t/proc/mdstat", nil},
		{tree, "error queue overflow", nil},
	} {
		if got := linksOf(tc.src, tc.detail); !slices.Equal(got, tc.want) {
			t.Errorf("%s %q: links %v, want %v", tc.src.Name(), tc.detail, got, tc.want)
		}
	}
}
