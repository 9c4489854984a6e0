package daemon

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"
)

const smapsSample = `00400000-00c0e000 r-xp 00000000 fe:00 10978520                           /usr/bin/redwatch
Size:               8248 kB
Rss:                7480 kB
Anonymous:             0 kB
VmFlags: rd ex mr mw me sd
00c0e000-0146e000 r--p 0080e000 fe:00 10978520                           /usr/bin/redwatch
Rss:                7164 kB
Anonymous:             8 kB
VmFlags: rd mr mw me sd
0146e000-0150c000 rw-p 0106e000 fe:00 10978520                           /usr/bin/redwatch
Anonymous:           132 kB
0150c000-03553000 rw-p 00000000 00:00 0 
Anonymous:           184 kB
7f32250c1000-7f32250e7000 r--p 00000000 fe:00 326269                     /usr/lib/x86_64-linux-gnu/libc.so.6
Anonymous:             0 kB
7ffd1b5f2000-7ffd1b613000 rw-p 00000000 00:00 0                          [stack]
Anonymous:            12 kB
`

// TestParseSmaps: the executable's mappings are found by device and inode,
// with their write permission and their private (copied) KiB; other files
// and anonymous memory are not.
func TestParseSmaps(t *testing.T) {
	got, err := parseSmaps([]byte(smapsSample), "fe:00", 10978520)
	if err != nil {
		t.Fatal(err)
	}
	want := []execMapping{
		{start: 0x400000, end: 0xc0e000},
		{start: 0xc0e000, end: 0x146e000, private: 8},
		{start: 0x146e000, end: 0x150c000, private: 132, writable: true},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d mappings %+v, want %+v", len(got), got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("mapping %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if got, _ := parseSmaps([]byte(smapsSample), "fe:01", 10978520); len(got) != 0 {
		t.Errorf("another device's file matched: %+v", got)
	}
	for _, bad := range []string{
		"00400000-00c0e000 r-xp 00000000\n",
		"00400000-zz r-xp 00000000 fe:00 1 /x\n",
		"00c0e000-00400000 r-xp 00000000 fe:00 1 /x\n",
		"00400000-00c0e000 r-xp 00000000 fe:00 1 /x\nAnonymous: many kB\n",
	} {
		if _, err := parseSmaps([]byte(bad), "fe:00", 1); err == nil || !strings.HasPrefix(err.Error(), "daemon: smaps line ") {
			t.Errorf("parseSmaps(%q) = %v, want an error naming the line", bad, err)
		}
	}
}

func FuzzParseSmaps(f *testing.F) {
	f.Add([]byte(smapsSample), "fe:00", uint64(10978520))
	f.Add([]byte("0-1 r 0 fe:00 1\nAnonymous: 4 kB\n"), "fe:00", uint64(1))
	f.Fuzz(func(t *testing.T, data []byte, dev string, ino uint64) {
		maps, err := parseSmaps(data, dev, ino)
		if err != nil {
			return
		}
		for _, m := range maps {
			if m.end < m.start {
				t.Fatalf("mapping ends before it starts: %+v", m)
			}
		}
	})
}

// TestServiceReleasesStartupOnce: with ReleaseStartup the start-up memory
// is released after the first pass, and only then (not after a reload's).
func TestServiceReleasesStartupOnce(t *testing.T) {
	var log syncBuffer
	s := serviceFor(t, "md_raid1_healthy", &log)
	s.Logger = slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s.ReleaseStartup = true
	passes := make(chan Report, 16)
	started := make(chan *Daemon, 1)
	s.OnPass = func(r Report) { passes <- r }
	s.Started = func(_ net.Addr, d *Daemon) { started <- d }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	var d *Daemon
	select {
	case d = <-started:
	case err := <-done:
		t.Fatalf("Run ended before it listened: %v\n%s", err, log.String())
	}
	<-passes
	if n := strings.Count(log.String(), "start-up memory released"); n != 1 {
		t.Fatalf("after the first pass: %d releases logged, want 1:\n%s", n, log.String())
	}
	d.Reload()
	if r := <-passes; r.Trigger != TriggerReload {
		t.Fatalf("second pass trigger %q, want %q", r.Trigger, TriggerReload)
	}
	if n := strings.Count(log.String(), "start-up memory released"); n != 1 {
		t.Errorf("after a reload's pass: %d releases logged, want 1:\n%s", n, log.String())
	}
	stopService(t, cancel, done)
}

// stopService cancels a Service's context and wants its Run to return nil.
func stopService(t *testing.T, cancel context.CancelFunc, done <-chan error) {
	t.Helper()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run after cancel: %v", err)
		}
	case <-time.After(20 * time.Second): // a bound for a hung stop, not a wait for time to pass
		t.Fatal("Run did not return after cancel")
	}
}
