package collectors

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redwatch/redwatch/internal/clock"
	"github.com/redwatch/redwatch/ipmi"
)

// TestIPMIReaderCache checks the daemon's BMC cache: the first pass reads,
// passes within the interval reuse the read, a pass after it starts one
// background refresh and uses the read it has, and no second refresh starts
// while one runs.
func TestIPMIReaderCache(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	rd := NewIPMIReader(IPMIOptions{Interval: time.Minute}, clk)
	var reads atomic.Int32
	release := make(chan struct{})
	started := make(chan struct{}, 4)
	rd.readBMCFn = func(context.Context, string) *ipmiResult {
		n := reads.Add(1)
		if n > 1 {
			started <- struct{}{}
			<-release
		}
		state := ipmi.StateOK
		if n > 1 {
			state = ipmi.StateFailed
		}
		return &ipmiResult{facts: ipmi.Facts{Supplies: []ipmi.Supply{{Name: "PS1 Status", State: state}}}}
	}
	ctx := context.Background()
	if r := rd.read(ctx, "/dev"); reads.Load() != 1 || r.facts.Supplies[0].State != ipmi.StateOK {
		t.Fatalf("first pass: %d reads, %+v", reads.Load(), r.facts)
	}
	clk.Add(30 * time.Second)
	if rd.read(ctx, "/dev"); reads.Load() != 1 {
		t.Fatalf("a pass within the interval read the BMC (%d reads)", reads.Load())
	}
	clk.Add(31 * time.Second)
	if r := rd.read(ctx, "/dev"); r.facts.Supplies[0].State != ipmi.StateOK {
		t.Fatalf("the pass that starts a refresh waited for it: %+v", r.facts)
	}
	<-started // the refresh runs, held
	for range 3 {
		rd.read(ctx, "/dev")
	}
	if n := reads.Load(); n != 2 {
		t.Fatalf("%d reads while one refresh runs, want 2 in all", n)
	}
	close(release)
	for {
		rd.mu.Lock()
		done := !rd.running
		rd.mu.Unlock()
		if done {
			break
		}
		time.Sleep(time.Millisecond) // waiting for the refresh goroutine to store its result, not for time to pass
	}
	if r := rd.read(ctx, "/dev"); r.facts.Supplies[0].State != ipmi.StateFailed {
		t.Fatalf("after the refresh: %+v", r.facts)
	}
}
