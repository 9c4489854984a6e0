package clock

import (
	"testing"
	"time"
)

func TestFake(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	f := NewFake(t0)
	a, b, stopped := f.NewTimer(time.Minute), f.NewTimer(time.Hour), f.NewTimer(time.Second)
	if !stopped.Stop() || stopped.Stop() {
		t.Error("Stop: true for a pending timer, then false")
	}
	f.Add(59 * time.Second)
	select {
	case <-a.C():
		t.Fatal("fired before its deadline")
	default:
	}
	f.Add(time.Second)
	select {
	case at := <-a.C():
		if !at.Equal(t0.Add(time.Minute)) || !f.Now().Equal(at) {
			t.Errorf("fired at %v, now %v", at, f.Now())
		}
	default:
		t.Fatal("did not fire at its deadline")
	}
	select {
	case <-b.C():
		t.Error("the hour timer fired after a minute")
	case <-stopped.C():
		t.Error("a stopped timer fired")
	default:
	}
	if a.Stop() {
		t.Error("Stop of a fired timer says it was pending")
	}
}
