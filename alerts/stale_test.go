package alerts

import (
	"testing"
	"time"

	"github.com/redwatch/redwatch/collectors"
	"github.com/redwatch/redwatch/rules"
)

// TestLifecycleStaleFinding: a finding the engine keeps from an earlier pass
// because its source failed (Finding.Stale) keeps its alert firing, marked
// stale, and queues nothing; read again, the mark goes and still nothing
// is sent.
func TestLifecycleStaleFinding(t *testing.T) {
	cfg := Config{Channels: []ChannelConfig{webhookChannel("ops", "http://127.0.0.1:1/")}}
	h := newHarness(t, cfg, t.TempDir())
	f := finding("md_degraded", "md0", rules.Critical)
	h.pass(f)
	if q := h.queue("ops"); len(q) != 1 {
		t.Fatalf("first pass queued %+v", q)
	}
	h.ack("ops")

	h.clk.Advance(time.Minute)
	stale := f
	stale.Stale = &collectors.Stale{Collector: "md", Name: "md0", Since: t0, Error: "md: /proc/mdstat: garbage"}
	h.pass(stale)
	if q := h.queue("ops"); len(q) != 0 {
		t.Fatalf("a stale pass queued %+v", q)
	}
	if a := h.m.Alerts(); len(a) != 1 || a[0].Stale == nil || a[0].Stale.Error == "" || !a[0].StartsAt.Equal(t0) {
		t.Fatalf("alerts while stale: %+v", a)
	}

	h.clk.Advance(time.Minute)
	h.pass(f)
	if q := h.queue("ops"); len(q) != 0 {
		t.Fatalf("read again: queued %+v", q)
	}
	if a := h.m.Alerts(); len(a) != 1 || a[0].Stale != nil {
		t.Fatalf("alerts read again: %+v", a)
	}
}
