package hostgen

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/redwatch/redwatch/collectors"
	"github.com/redwatch/redwatch/internal/engine"
)

// BenchmarkPassEvent compares, on the large host, a daemon's full pass with
// the incremental passes that follow a link event naming one slave (its
// NIC, its bond, the routes), a link event naming none (every bond and NIC,
// the routes) and an mdstat wake-up (md arrays, the root stack), each on an
// engine whose
// first full pass has run. cpu-ns/op is the process's user+system CPU per
// pass (getrusage), which counts the collectors' concurrent goroutines
// that ns/op, a wall time, does not.
func BenchmarkPassEvent(b *testing.B) {
	dir := b.TempDir()
	if err := Generate(dir, Large); err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		ev   collectors.Events
	}{
		{"full", collectors.Events{}},
		{"net", collectors.Events{Subsystems: []collectors.Subsystem{collectors.SubsystemNet}, Links: []string{"eth1"}}},
		{"net-all", collectors.Events{Subsystems: []collectors.Subsystem{collectors.SubsystemNet}}},
		{"md", collectors.Events{Subsystems: []collectors.Subsystem{collectors.SubsystemMD}}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			e := &engine.Engine{Roots: collectors.TreeRoots(dir), StateDir: b.TempDir()}
			if p := e.Run(context.Background()); p.Result.Status.String() != "ok" {
				b.Fatalf("the large host is %s", p.Result.Status)
			}
			run := func() *engine.Pass { return e.Run(context.Background()) }
			if bc.ev.Subsystems != nil {
				run = func() *engine.Pass { return e.RunAfter(context.Background(), bc.ev) }
			}
			cpu0 := cpuTime(b)
			b.ReportAllocs()
			for b.Loop() {
				run()
			}
			b.ReportMetric(float64(cpuTime(b)-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}

// cpuTime is the process's user and system CPU so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
