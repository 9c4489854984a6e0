package daemon

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/redwatch/redwatch/internal/testtree"

	"github.com/redwatch/redwatch/collectors"
	"github.com/redwatch/redwatch/internal/engine"
	"github.com/redwatch/redwatch/rules"
)

// TestTreeEditTriggersPass runs the daemon on a copy of a healthy RAID1
// fixture with an hour-long interval, rewrites /proc/mdstat as degraded and
// waits for the verdict to change: only the file event can have caused it.
func TestTreeEditTriggersPass(t *testing.T) {
	dir := testtree.Copy(t, "md_raid1_healthy")
	degraded, err := os.ReadFile(filepath.Join("..", "..", "testdata", "md_raid1_degraded", "proc", "mdstat"))
	if err != nil {
		t.Fatal(err)
	}
	roots := collectors.TreeRoots(dir)
	eng := &engine.Engine{Roots: roots, Clock: RealClock{}}
	h := startHarness(t, Options{
		Load:    func() (Setup, error) { return Setup{Runner: eng, Interval: time.Hour}, nil },
		Sources: SourcesFor(roots),
		Logger:  testLogger(&syncBuffer{}),
	})
	first := h.next(t)
	if first.Pass.Result.Status != rules.StatusOK {
		t.Fatalf("healthy fixture: status %s, findings %+v, errors %+v", first.Pass.Result.Status,
			first.Pass.Result.Findings, first.Pass.Result.Errors)
	}
	if !first.Sources["fsnotify"] {
		t.Fatalf("fsnotify source not up: %v", first.Sources)
	}

	start := time.Now()
	if err := os.WriteFile(filepath.Join(dir, "proc", "mdstat"), degraded, 0o644); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(10 * time.Second)
	for {
		select {
		case r := <-h.reports:
			if r.Trigger != TriggerEvent {
				t.Fatalf("pass triggered by %s, want event (the interval is an hour)", r.Trigger)
			}
			if r.Pass.Result.Status == rules.StatusCritical {
				// The mdstat edit is the md subsystem's: only its sources ran.
				if r.Kind != KindIncremental || len(r.Subsystems) != 1 || r.Subsystems[0] != collectors.SubsystemMD {
					t.Errorf("the mdstat edit ran a %s pass over %v, want an incremental md pass", r.Kind, r.Subsystems)
				}
				t.Logf("fixture edit → critical verdict in %v (%d events coalesced, debounce %v)",
					time.Since(start), r.Events, DefaultDebounce)
				return
			}
		case <-deadline:
			t.Fatal("no critical verdict within 10s of the edit")
		}
	}
}

// TestTreeSourceAbsentTree is unavailable when none of the directories exist.
func TestTreeSourceAbsentTree(t *testing.T) {
	src := &TreeSource{Dirs: []string{filepath.Join(t.TempDir(), "nope")}}
	if _, err := src.Watch(context.Background(), func(string) {}); err == nil {
		t.Fatal("watching a missing tree succeeded")
	}
}

// TestTreeSourceNewDirectory watches directories created after the start.
func TestTreeSourceNewDirectory(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := make(chan string, 64)
	done, err := (&TreeSource{Dirs: []string{dir}}).Watch(ctx, func(s string) { events <- s })
	if err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "net")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	// The watch on a new directory is added before its creation is reported.
	next := func() string {
		select {
		case ev := <-events:
			return ev
		case <-time.After(10 * time.Second):
			t.Fatal("no event within 10s")
		}
		return ""
	}
	if ev := next(); ev != "CREATE "+sub {
		t.Fatalf("first event %q, want CREATE %s", ev, sub)
	}
	target := filepath.Join(sub, "bonding_masters")
	if err := os.WriteFile(target, []byte("bond0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if ev := next(); ev != "CREATE "+target {
		t.Fatalf("event %q, want CREATE %s", ev, target)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("done = %v", err)
	}
}
