package collectors

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	ipmitypes "github.com/bougou/go-ipmi/pkg/types"

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

// TestGetSDRReservationCancelled: a record whose reservation another
// reader cancelled (C5h) is asked for again, a bounded number of times;
// any other error is returned at once.
func TestGetSDRReservationCancelled(t *testing.T) {
	t.Parallel()
	cancelled := ipmitypes.NewResponseError(ipmitypes.CodeReservationCanceled, "Reservation cancelled or invalid")
	calls := 0
	flaky := func(_ context.Context, id uint16) (uint16, error) {
		calls++
		if calls < 3 {
			return 0, cancelled
		}
		return id + 1, nil
	}
	if got, err := getSDR(context.Background(), flaky, 7); err != nil || got != 8 || calls != 3 {
		t.Errorf("after two cancelled reservations: %d, %v, %d calls", got, err, calls)
	}
	calls = 0
	always := func(context.Context, uint16) (uint16, error) { calls++; return 0, cancelled }
	if _, err := getSDR(context.Background(), always, 7); err == nil || calls != sdrReservationRetries+1 {
		t.Errorf("always cancelled: %v after %d calls", err, calls)
	}
	calls = 0
	other := func(context.Context, uint16) (uint16, error) { calls++; return 0, errors.New("timeout") }
	if _, err := getSDR(context.Background(), other, 7); err == nil || calls != 1 {
		t.Errorf("another error: %v after %d calls", err, calls)
	}
}

// TestRunnerOptionsWithGivenSources: a Runner given its own sources (the
// daemon's, audit's, capture's) still reads the BMC through the configured
// readers of its Options, with their cache.
func TestRunnerOptionsWithGivenSources(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	rd := NewIPMIReader(IPMIOptions{Address: "bmc.example:623"}, clk)
	var reads atomic.Int32
	rd.readBMCFn = func(context.Context, string) *ipmiResult {
		reads.Add(1)
		return &ipmiResult{facts: ipmi.Facts{Supplies: []ipmi.Supply{{Name: "PS1 Status", Slot: "1", State: ipmi.StateOK, Present: 1}}}}
	}
	rf := NewRedfishReader(RedfishOptions{Endpoint: "https://bmc.example"}, clk)
	roots := TreeRoots(t.TempDir())
	roots.Live = true
	rn := Runner{Sources: []Source{ipmiSource{}, RedfishSource(nil)}, Options: SourceOptions{IPMI: rd, Redfish: rf}, Clock: clk}
	for range 2 {
		s := rn.Collect(context.Background(), roots, -1)
		if len(s.PSUs) != 1 || s.PSUs[0].Name != "PS1 Status" {
			t.Fatalf("supplies %+v errors %v: want the configured BMC's PS1", s.PSUs, s.Errors)
		}
	}
	if n := reads.Load(); n != 1 {
		t.Errorf("%d BMC reads in two passes within the interval, want 1 (the reader's cache)", n)
	}
	if got := (SourceOptions{Redfish: rf}).apply(rn.Sources)[1]; got.(redfishSource).reader != rf {
		t.Errorf("redfish source %+v does not read through the configured reader", got)
	}
}
