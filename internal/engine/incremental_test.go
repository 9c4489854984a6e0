package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redwatch/redwatch/collectors"
	"github.com/redwatch/redwatch/internal/clock"
	"github.com/redwatch/redwatch/internal/hostfs"
	"github.com/redwatch/redwatch/internal/hostgen"
	"github.com/redwatch/redwatch/internal/testtree"
)

// countedSource counts the runs of a source.
type countedSource struct {
	collectors.Source
	runs *counts
}

type counts struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *counts) get(name string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[name]
}

func (s countedSource) Collect(ctx context.Context, r collectors.Roots) (collectors.Part, error) {
	s.runs.mu.Lock()
	s.runs.n[s.Name()]++
	s.runs.mu.Unlock()
	return s.Source.Collect(ctx, r)
}

// countedSources are the host's sources, each counting its runs.
func countedSources() ([]collectors.Source, *counts) {
	c := &counts{n: map[string]int{}}
	var out []collectors.Source
	for _, s := range collectors.Sources() {
		out = append(out, countedSource{s, c})
	}
	return out, c
}

// applyFixture turns the copy of fixture from at dir into fixture to: the
// files that differ or are new are written, the ones only from has are
// removed, as the kernel's own change would leave the tree.
func applyFixture(t *testing.T, dir, from, to string) {
	t.Helper()
	src := filepath.Join(testtree.Dir(), to)
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		out := filepath.Join(dir, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(out, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			if old, err := os.Readlink(out); err == nil && old == target {
				return nil
			}
			_ = os.RemoveAll(out)
			return os.Symlink(target, out)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if old, err := os.ReadFile(out); err == nil && string(old) == string(b) {
			return nil
		}
		return os.WriteFile(out, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(testtree.Dir(), from)
	err = filepath.WalkDir(old, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(old, p)
		if _, err := os.Lstat(filepath.Join(src, rel)); errors.Is(err, fs.ErrNotExist) {
			if err := os.RemoveAll(filepath.Join(dir, rel)); err != nil {
				return err
			}
			if d.IsDir() {
				return fs.SkipDir
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// passJSON is a pass's snapshot (without its durations, which are not
// JSON) and result, as /health and the rules see them.
func passJSON(t *testing.T, p *Pass) string {
	t.Helper()
	b, err := json.MarshalIndent(struct {
		Snapshot *collectors.Snapshot
		Result   any
		Pending  any
	}{p.Snapshot, p.Result, p.Pending}, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestIncrementalPassEqualsFullPass runs, for each kind of event, a full
// pass over a host with bonds, an md RAID1, ACPI and hwmon power supplies,
// then changes one subsystem of the tree as a fault would and runs the
// incremental pass that follows its event: its snapshot and verdict are
// those of a full pass over the changed tree (by a fresh engine), the
// verdict did change, the subsystem's sources were read again and no other
// source was.
func TestIncrementalPassEqualsFullPass(t *testing.T) {
	base := []string{"bond_ab_healthy", "md_raid1_healthy", "psu_two_healthy", "psu_hwmon_healthy"}
	for _, tc := range []struct {
		sub      collectors.Subsystem
		from, to string
		reread   []string
	}{
		{collectors.SubsystemNet, "bond_ab_healthy", "bond_slave_down", []string{"bonding", "net", "route"}},
		{collectors.SubsystemMD, "md_raid1_healthy", "md_raid1_faulty", []string{"md", "rootfs"}},
		{collectors.SubsystemBlock, "md_raid1_healthy", "md_raid1_disk_offline",
			[]string{"btrfs", "disks", "md", "multipath", "rootfs", "zfs"}},
		{collectors.SubsystemPower, "psu_two_healthy", "psu_one_offline", []string{"power"}},
		{collectors.SubsystemHwmon, "psu_hwmon_healthy", "psu_hwmon_fault", []string{"hwmon"}},
	} {
		t.Run(string(tc.sub), func(t *testing.T) {
			dir := testtree.Copy(t, base...)
			roots := collectors.TreeRoots(dir)
			clk := clock.NewFake(time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC))
			srcs, runs := countedSources()
			e := &Engine{Roots: roots, Clock: clk, Sources: srcs}
			before := e.Run(context.Background())

			applyFixture(t, dir, tc.from, tc.to)
			clk.Add(time.Second)
			got := e.RunFollowing(context.Background(), tc.sub)

			full, _ := countedSources()
			want := (&Engine{Roots: roots, Clock: clk, Sources: full}).Run(context.Background())
			if g, w := passJSON(t, got), passJSON(t, want); g != w {
				t.Fatalf("incremental pass after a %s change differs from a full pass:\n--- incremental\n%s\n--- full\n%s", tc.sub, g, w)
			}
			if passJSON(t, before) == passJSON(t, want) {
				t.Fatalf("the %s change (%s -> %s) changed nothing: the test proves nothing", tc.sub, tc.from, tc.to)
			}
			if !slices.Equal(collectors.SourcesFollowing(tc.sub), tc.reread) {
				t.Fatalf("sources following %s = %v, want %v", tc.sub, collectors.SourcesFollowing(tc.sub), tc.reread)
			}
			for _, s := range collectors.Sources() {
				name, n := s.Name(), runs.get(s.Name())
				if wantRuns := 1 + boolInt(slices.Contains(tc.reread, name)); n != wantRuns {
					t.Errorf("source %s ran %d times, want %d (the full pass, then the %s pass only if it follows %s)",
						name, n, wantRuns, tc.sub, tc.sub)
				}
			}
		})
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestIncrementalPassKeepsStale fails the md source (a garbage mdstat) in an
// incremental md pass: the arrays the last pass read are kept stale and the
// pass is UNKNOWN, exactly as a full pass of the same engine would say.
func TestIncrementalPassKeepsStale(t *testing.T) {
	run := func(incremental bool) string {
		dir := testtree.Copy(t, "bond_ab_healthy", "md_raid1_healthy")
		clk := clock.NewFake(time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC))
		e := &Engine{Roots: collectors.TreeRoots(dir), Clock: clk}
		e.Run(context.Background())
		applyFixture(t, dir, "md_raid1_healthy", "bad_mdstat_truncated")
		clk.Add(time.Second)
		var p *Pass
		if incremental {
			p = e.RunFollowing(context.Background(), collectors.SubsystemMD)
		} else {
			p = e.Run(context.Background())
		}
		if len(p.Snapshot.Stale) == 0 || p.Result.Status.String() == "ok" {
			t.Fatalf("incremental=%v: stale %v status %s errors %v", incremental, p.Snapshot.Stale, p.Result.Status, p.Result.Errors)
		}
		return strings.ReplaceAll(passJSON(t, p), dir, "T")
	}
	if inc, full := run(true), run(false); inc != full {
		t.Fatalf("incremental pass with a failing md source differs from a full one:\n--- incremental\n%s\n--- full\n%s", inc, full)
	}
}

// mdHost writes a generated host with three RAID6 arrays (md0, md1, md2) of
// four whole-disk members each: md1's are sde..sdh.
func mdHost(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := hostgen.Generate(dir, hostgen.Spec{Arrays: 3, MembersPerArray: 4}); err != nil {
		t.Fatal(err)
	}
	return dir
}

// failMember marks member disk (in slot 3) of array md faulty, as md_error
// leaves it: in md's block of /proc/mdstat when mdstat is set, in its
// sysfs (dev-<disk>/state, degraded) when sysfs is set.
func failMember(t *testing.T, dir, md, disk string, mdstat, sysfs bool) {
	t.Helper()
	if mdstat {
		path := filepath.Join(dir, "proc/mdstat")
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		text := string(b)
		start := strings.Index(text, md+" : ")
		end := start + strings.Index(text[start:], "\n\n")
		if start < 0 || end < start {
			t.Fatalf("no %s in %q", md, text)
		}
		block := strings.Replace(text[start:end], disk+"[3]", disk+"[3](F)", 1)
		block = strings.Replace(block, "[4/4] [UUUU]", "[4/3] [UUU_]", 1)
		if err := os.WriteFile(path, []byte(text[:start]+block+text[end:]), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if sysfs {
		mdDir := filepath.Join(dir, "sys/devices/virtual/block", md, "md")
		for name, v := range map[string]string{"dev-" + disk + "/state": "faulty", "degraded": "1"} {
			if err := os.WriteFile(filepath.Join(mdDir, name), []byte(v), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// readsOf runs pass with a hostfs recorder and returns the md arrays whose
// sysfs directory (sys/devices/virtual/block/<md>/md) the pass read and the
// block devices it resolved (sys/class/block/<dev>), each sorted.
func readsOf(t *testing.T, dir string, pass func() *Pass) (p *Pass, arrays, resolved []string) {
	t.Helper()
	p, arrays, resolved, _ = sysReadsOf(t, dir, pass)
	return p, arrays, resolved
}

// sysReadsOf is readsOf also returning every path under dir/sys the pass
// read or listed, relative to dir.
func sysReadsOf(t *testing.T, dir string, pass func() *Pass) (p *Pass, arrays, resolved, sys []string) {
	t.Helper()
	rec := hostfs.StartRecording()
	p = pass()
	rec.Stop()
	for _, rd := range rec.Reads() {
		if rel, ok := strings.CutPrefix(rd.Path, dir+"/"); ok && strings.HasPrefix(rel, "sys/") {
			sys = append(sys, rel)
		}
	}
	add := func(list []string, name string) []string {
		if !slices.Contains(list, name) {
			list = append(list, name)
		}
		return list
	}
	mdRoot := filepath.Join(dir, "sys/devices/virtual/block") + "/"
	classRoot := filepath.Join(dir, "sys/class/block") + "/"
	for _, rd := range rec.Reads() {
		if rest, ok := strings.CutPrefix(rd.Path, mdRoot); ok {
			if md, sub, _ := strings.Cut(rest, "/"); sub == "md" || strings.HasPrefix(sub, "md/") {
				arrays = add(arrays, md)
			}
		}
		if rest, ok := strings.CutPrefix(rd.Path, classRoot); ok {
			dev, _, _ := strings.Cut(rest, "/")
			resolved = add(resolved, dev)
		}
	}
	slices.Sort(arrays)
	slices.Sort(resolved)
	return p, arrays, resolved, sys
}

// TestIncrementalMDRereadsOnlyChangedArrays fails a member of one of three
// arrays (its mdstat block and its sysfs, as md_error changes both): the md
// pass that follows equals a full pass over the changed tree, yet it read
// the sysfs of that array only and resolved only its members' disks; the
// next full pass reads every array again.
func TestIncrementalMDRereadsOnlyChangedArrays(t *testing.T) {
	dir := mdHost(t)
	roots := collectors.TreeRoots(dir)
	clk := clock.NewFake(time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC))
	e := &Engine{Roots: roots, Clock: clk}
	all := []string{"md0", "md1", "md2"}
	before, arrays, _ := readsOf(t, dir, func() *Pass { return e.Run(context.Background()) })
	if !slices.Equal(arrays, all) {
		t.Fatalf("the first full pass read the sysfs of %v, want %v", arrays, all)
	}

	failMember(t, dir, "md1", "sdh", true, true)
	clk.Add(time.Second)
	got, arrays, resolved := readsOf(t, dir, func() *Pass { return e.RunFollowing(context.Background(), collectors.SubsystemMD) })
	want := (&Engine{Roots: roots, Clock: clk}).Run(context.Background())
	if g, w := passJSON(t, got), passJSON(t, want); g != w {
		t.Fatalf("md pass after md1's member failed differs from a full pass:\n--- incremental\n%s\n--- full\n%s", g, w)
	}
	if passJSON(t, before) == passJSON(t, want) {
		t.Fatal("failing md1's member changed nothing: the test proves nothing")
	}
	if !slices.Equal(arrays, []string{"md1"}) {
		t.Errorf("the md pass read the sysfs of %v, want only the changed md1", arrays)
	}
	if w := []string{"sde", "sdf", "sdg", "sdh"}; !slices.Equal(resolved, w) {
		t.Errorf("the md pass resolved %v, want only md1's members %v", resolved, w)
	}

	clk.Add(time.Second)
	_, arrays, _ = readsOf(t, dir, func() *Pass { return e.Run(context.Background()) })
	if !slices.Equal(arrays, all) {
		t.Errorf("the full pass after the md pass read the sysfs of %v, want %v", arrays, all)
	}
}

// TestIncrementalMDMissesSysfsOnlyChange pins the limitation of an md pass:
// a change of an array's sysfs that leaves its /proc/mdstat block as it was
// (no md_new_event() makes one) is not seen by it, the array's facts are
// the last read's; the interval's full pass sees it.
func TestIncrementalMDMissesSysfsOnlyChange(t *testing.T) {
	dir := mdHost(t)
	roots := collectors.TreeRoots(dir)
	clk := clock.NewFake(time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC))
	e := &Engine{Roots: roots, Clock: clk}
	before := e.Run(context.Background())

	failMember(t, dir, "md2", "sdl", false, true)
	clk.Add(time.Second)
	got, _, _, sys := sysReadsOf(t, dir, func() *Pass { return e.RunFollowing(context.Background(), collectors.SubsystemMD) })
	if len(sys) != 0 {
		t.Errorf("the md pass read %v of sysfs with no mdstat block changed, want nothing", sys)
	}
	mdJSON := func(p *Pass) string {
		b, err := json.Marshal(p.Snapshot.MD)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if g, w := mdJSON(got), mdJSON(before); g != w {
		t.Errorf("the md pass changed the arrays with mdstat unchanged:\n--- md pass\n%s\n--- before\n%s", g, w)
	}

	clk.Add(time.Second)
	full := e.Run(context.Background())
	fresh := (&Engine{Roots: roots, Clock: clk}).Run(context.Background())
	if g, w := mdJSON(full), mdJSON(fresh); g != w {
		t.Fatalf("the full pass after the md pass differs from a fresh full pass:\n--- full\n%s\n--- fresh\n%s", g, w)
	}
	if mdJSON(full) == mdJSON(before) {
		t.Fatal("the full pass did not see md2's faulty member")
	}
	var state string
	for _, a := range full.Snapshot.MD {
		for _, m := range a.Members {
			if a.Name == "md2" && m.Name == "sdl" {
				state = m.State
			}
		}
	}
	if state != collectors.MemberFaulty {
		t.Errorf("md2's sdl is %q after the full pass, want %q", state, collectors.MemberFaulty)
	}
}

// TestIncrementalBlockRereadsAllArrays: a pass that follows the block
// subsystem (with md or without) reads every array's sysfs, as a full pass:
// a member's disk may have changed under an unchanged mdstat block.
func TestIncrementalBlockRereadsAllArrays(t *testing.T) {
	for _, subs := range [][]collectors.Subsystem{
		{collectors.SubsystemBlock},
		{collectors.SubsystemMD, collectors.SubsystemBlock},
	} {
		t.Run(fmt.Sprint(subs), func(t *testing.T) {
			dir := mdHost(t)
			roots := collectors.TreeRoots(dir)
			clk := clock.NewFake(time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC))
			e := &Engine{Roots: roots, Clock: clk}
			e.Run(context.Background())
			failMember(t, dir, "md1", "sdh", true, true)
			clk.Add(time.Second)
			got, arrays, _ := readsOf(t, dir, func() *Pass { return e.RunFollowing(context.Background(), subs...) })
			if w := []string{"md0", "md1", "md2"}; !slices.Equal(arrays, w) {
				t.Errorf("the %v pass read the sysfs of %v, want %v", subs, arrays, w)
			}
			want := (&Engine{Roots: roots, Clock: clk}).Run(context.Background())
			if g, w := passJSON(t, got), passJSON(t, want); g != w {
				t.Fatalf("%v pass differs from a full pass:\n--- incremental\n%s\n--- full\n%s", subs, g, w)
			}
		})
	}
}
