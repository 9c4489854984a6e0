package collectors

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/redwatch/redwatch/internal/clock"
)

// TestCollectOnlyGivesTheOthersAgain runs a full pass, then a partial one:
// the sources it runs are read afresh, every other one gives exactly what it
// gave (facts, errors, duration, in its place in the order) without being
// run, and a source never run before is run.
func TestCollectOnlyGivesTheOthersAgain(t *testing.T) {
	var mu sync.Mutex // the sources run concurrently
	runs := map[string]int{}
	count := func(name string) int {
		mu.Lock()
		defer mu.Unlock()
		runs[name]++
		return runs[name]
	}
	psu := func(name string) Source {
		return funcSource{name, func(Roots) (Part, error) {
			n := count(name)
			p := PSU{Name: name, Source: name, Online: n}
			return Part{Set: func(s *Snapshot) { s.PSUs = append(s.PSUs, p) },
				Errors: []Error{{Collector: name, Path: "/x/" + name, Err: errors.New("read " + string(rune('0'+n)))}}}, nil
		}}
	}
	failing := funcSource{"route", func(Roots) (Part, error) {
		count("route")
		return Part{}, errors.New("no routes")
	}}
	rn := &Runner{Sources: []Source{psu("power"), failing, psu("hwmon"), psu("ipmi")}, Clock: clock.NewFake(fixedNow())}
	roots := Roots{Sys: t.TempDir(), Proc: t.TempDir()}
	rn.Collect(context.Background(), roots, time.Second)

	rn.Sources = append(rn.Sources, psu("redfish")) // a source the runner has never run
	only := []string{"hwmon"}
	s := rn.collectOnly(context.Background(), roots, time.Second, func(n string) bool { return slices.Contains(only, n) })
	if want := map[string]int{"power": 1, "route": 1, "hwmon": 2, "ipmi": 1, "redfish": 1}; !cmp.Equal(runs, want) {
		t.Fatalf("runs = %v, want %v", runs, want)
	}
	wantPSUs := []PSU{{Name: "power", Source: "power", Online: 1}, {Name: "hwmon", Source: "hwmon", Online: 2},
		{Name: "ipmi", Source: "ipmi", Online: 1}, {Name: "redfish", Source: "redfish", Online: 1}}
	if diff := cmp.Diff(wantPSUs, s.PSUs); diff != "" {
		t.Errorf("PSUs (-want +got):\n%s", diff)
	}
	var got []string
	for _, e := range s.Errors {
		got = append(got, e.Error())
	}
	want := []string{"power: /x/power: read 1", "route: no routes", "hwmon: /x/hwmon: read 2", "ipmi: /x/ipmi: read 1", "redfish: /x/redfish: read 1"}
	if !slices.Equal(got, want) {
		t.Errorf("errors = %q, want %q", got, want)
	}
	for _, n := range []string{"power", "route", "hwmon", "ipmi", "redfish"} {
		if _, ok := s.Durations[n]; !ok {
			t.Errorf("no duration for %s: %v", n, s.Durations)
		}
	}

	// A nil filter is a full pass.
	rn.collectOnly(context.Background(), roots, time.Second, nil)
	if want := map[string]int{"power": 2, "route": 2, "hwmon": 3, "ipmi": 2, "redfish": 2}; !cmp.Equal(runs, want) {
		t.Fatalf("runs after a full pass = %v, want %v", runs, want)
	}
}

// TestCollectOnlyHungSource: a source cut off by its timeout in the last
// pass that ran it gives its timeout error again, with the file it was
// reading, in a partial pass that does not run it.
func TestCollectOnlyHungSource(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	collected := make(chan struct{}) // md's facts are in: Set runs on the collecting goroutine
	rn := &Runner{Sources: []Source{
		funcSource{"md", func(Roots) (Part, error) {
			return Part{Set: func(s *Snapshot) {
				s.MD = []MDArray{{Name: "md0"}}
				if collected != nil {
					close(collected)
					collected = nil
				}
			}}, nil
		}},
		funcSource{"hwmon", func(Roots) (Part, error) { <-release; return Part{}, nil }},
	}}
	clk := newTimerClock()
	rn.Clock = clk
	go func(c chan struct{}) { <-c; <-clk.made; clk.Add(time.Second) }(collected)
	roots := Roots{Sys: t.TempDir(), Proc: t.TempDir()}
	first := rn.Collect(context.Background(), roots, time.Second)
	s := rn.collectOnly(context.Background(), roots, time.Second, func(n string) bool { return n == "md" })
	if diff := cmp.Diff(first.Errors, s.Errors, cmp.Comparer(func(a, b error) bool { return a.Error() == b.Error() })); diff != "" || len(s.Errors) != 1 {
		t.Errorf("errors (-first +partial):\n%s", diff)
	}
	if s.Durations["hwmon"] != time.Second || len(s.MD) != 1 {
		t.Errorf("partial pass: hwmon duration %v, md %v", s.Durations["hwmon"], s.MD)
	}
}

// TestSubsystemSources: every source a subsystem names is one of the host's
// sources, and no slow source (its own cache, the interval reads it) is in
// any subsystem.
func TestSubsystemSources(t *testing.T) {
	var names []string
	for _, s := range Sources() {
		names = append(names, s.Name())
	}
	slow := []string{SmartCollector, IPMICollector, RedfishCollector, HWRaidCollector, "lldp"}
	for sub, srcs := range subsystemSources {
		if !KnownSubsystem(sub) {
			t.Errorf("%s not known", sub)
		}
		for _, n := range srcs {
			if !slices.Contains(names, n) {
				t.Errorf("subsystem %s names %q, which is no source of Sources() %v", sub, n, names)
			}
			if slices.Contains(slow, n) {
				t.Errorf("subsystem %s re-reads the slow source %s", sub, n)
			}
		}
	}
	if got := SourcesFollowing(SubsystemNet, SubsystemMD); !slices.Equal(got, []string{"bonding", "md", "net", "rootfs", "route"}) {
		t.Errorf("net+md = %v", got)
	}
	if got := SourcesFollowing("usb"); got != nil || KnownSubsystem("usb") {
		t.Errorf("an unknown subsystem follows %v", got)
	}
}
