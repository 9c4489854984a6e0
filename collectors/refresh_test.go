package collectors

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/redwatch/redwatch/internal/clock"
)

// refreshSource is a Refresher counting its Collects and noting the last
// Part and the subsystems each Refresh was given.
type refreshSource struct {
	funcSource
	refresh func(subs []Subsystem, last Part) (Part, error)
}

func (f refreshSource) Refresh(_ context.Context, _ Roots, ev Events, last Part) (Part, error) {
	return f.refresh(ev.Subsystems, last)
}

// TestCollectFollowingRefreshes: a Refresher is refreshed, with what it
// returned in the last pass that ran it, only in a CollectFollowing pass
// that runs it; after it failed as a whole it is given no last Part.
func TestCollectFollowingRefreshes(t *testing.T) {
	var collects int
	var got []string // what each Refresh was given: its subsystems and last memo
	fail := false
	src := refreshSource{
		funcSource: funcSource{"md", func(Roots) (Part, error) {
			collects++
			return Part{Memo: "collected"}, nil
		}},
		refresh: func(subs []Subsystem, last Part) (Part, error) {
			got = append(got, refreshNote(subs, last.Memo))
			if fail {
				return Part{Memo: "failed"}, errors.New("no mdstat")
			}
			return Part{Memo: "refreshed"}, nil
		},
	}
	rn := &Runner{Sources: []Source{src}, Clock: clock.NewFake(fixedNow())}
	roots := Roots{Sys: t.TempDir(), Proc: t.TempDir()}
	ctx := context.Background()

	rn.Collect(ctx, roots, time.Second)
	rn.CollectFollowing(ctx, roots, time.Second, SubsystemMD)
	rn.CollectFollowing(ctx, roots, time.Second, SubsystemNet) // md does not follow net: not run
	rn.collectOnly(ctx, roots, time.Second, func(string) bool { return true })
	rn.CollectFollowing(ctx, roots, time.Second, SubsystemBlock, SubsystemMD)
	fail = true
	if s := rn.CollectFollowing(ctx, roots, time.Second, SubsystemMD); len(s.Errors) != 1 {
		t.Errorf("a failing Refresh gave errors %v, want its error", s.Errors)
	}
	fail = false
	rn.CollectFollowing(ctx, roots, time.Second, SubsystemMD)
	rn.CollectFollowing(ctx, roots, time.Second)

	if collects != 3 { // Collect, collectOnly, CollectFollowing with no subsystem
		t.Errorf("Collect ran %d times, want 3", collects)
	}
	want := []string{"[md] collected", "[block md] collected", "[md] refreshed", "[md] <nil>"}
	if !slices.Equal(got, want) {
		t.Errorf("Refresh was given %q, want %q", got, want)
	}
}

// refreshNote is what a Refresh was given, as "[subsystems] memo".
func refreshNote(subs []Subsystem, memo any) string {
	s := "["
	for i, sub := range subs {
		if i > 0 {
			s += " "
		}
		s += string(sub)
	}
	if memo == nil {
		return s + "] <nil>"
	}
	return s + "] " + memo.(string)
}

// TestMDRefreshArraysComeAndGo refreshes the md source over an mdstat
// whose arrays change: an array that appears is read, one that goes is
// dropped, an unchanged one is reused, and each result is Collect's.
func TestMDRefreshArraysComeAndGo(t *testing.T) {
	dir := t.TempDir()
	roots := TreeRoots(dir)
	if err := os.MkdirAll(filepath.Join(dir, "proc"), 0o755); err != nil {
		t.Fatal(err)
	}
	const (
		head = "Personalities : [raid1]\n"
		md0  = "md0 : active raid1 sdb1[1] sda1[0]\n      1000 blocks super 1.2 [2/2] [UU]\n\n"
		md1  = "md1 : active raid1 sdd1[1] sdc1[0]\n      1000 blocks super 1.2 [2/2] [UU]\n\n"
		md1f = "md1 : active raid1 sdd1[1](F) sdc1[0]\n      1000 blocks super 1.2 [2/1] [U_]\n\n"
		tail = "unused devices: <none>\n"
	)
	var last Part
	for _, mdstat := range []string{head + md0 + tail, head + md0 + md1 + tail, head + md0 + md1f + tail, head + md1f + tail, head + tail} {
		if err := os.WriteFile(filepath.Join(dir, "proc/mdstat"), []byte(mdstat), 0o644); err != nil {
			t.Fatal(err)
		}
		var err error
		if last, err = (mdSource{}).Refresh(context.Background(), roots, Events{Subsystems: []Subsystem{SubsystemMD}}, last); err != nil {
			t.Fatal(err)
		}
		want, _ := mdSource{}.Collect(context.Background(), roots)
		var g, w Snapshot
		last.Set(&g)
		want.Set(&w)
		if diff := cmp.Diff(w.MD, g.MD); diff != "" {
			t.Errorf("refresh over %q differs from a collect (-collect +refresh):\n%s", mdstat, diff)
		}
		memo, _ := last.Memo.(*mdMemo)
		if memo == nil || len(memo.arrays) != len(g.MD) {
			t.Errorf("refresh over %q: memo %v for arrays %v", mdstat, memo, g.MD)
		}
	}
}

// TestCollectFollowingOtherRoots: what a source gave a pass over one tree
// is neither replayed into, nor handed to a Refresh in, a pass over
// another: both sources read the new tree.
func TestCollectFollowingOtherRoots(t *testing.T) {
	var got []string
	md := refreshSource{
		funcSource: funcSource{"md", func(Roots) (Part, error) { return Part{Memo: "collected"}, nil }},
		refresh: func(subs []Subsystem, last Part) (Part, error) {
			got = append(got, refreshNote(subs, last.Memo))
			return Part{Memo: "refreshed"}, nil
		},
	}
	net := funcSource{"net", func(r Roots) (Part, error) {
		return Part{Set: func(s *Snapshot) { s.NICs = []NIC{{Name: filepath.Base(r.Sys)}} }}, nil
	}}
	rn := &Runner{Sources: []Source{md, net}, Clock: clock.NewFake(fixedNow())}
	a := Roots{Sys: filepath.Join(t.TempDir(), "a"), Proc: t.TempDir()}
	b := Roots{Sys: filepath.Join(t.TempDir(), "b"), Proc: t.TempDir()}
	ctx := context.Background()

	rn.Collect(ctx, a, time.Second)
	s := rn.CollectFollowing(ctx, b, time.Second, SubsystemMD) // net does not follow md
	if len(s.NICs) != 1 || s.NICs[0].Name != "b" {
		t.Errorf("the pass over b gave NICs %+v, want b's, not a's replayed", s.NICs)
	}
	if want := []string{"[md] <nil>"}; !slices.Equal(got, want) {
		t.Errorf("Refresh over b was given %q, want %q (nothing of a's)", got, want)
	}
	// Back on a: the last pass that ran md read b, so nothing is given.
	rn.CollectFollowing(ctx, a, time.Second, SubsystemMD)
	if want := []string{"[md] <nil>", "[md] <nil>"}; !slices.Equal(got, want) {
		t.Errorf("Refresh was given %q, want %q", got, want)
	}
}
