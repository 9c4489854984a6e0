package actions

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redwatch/redwatch/bonding"
	"github.com/redwatch/redwatch/internal/clock"
	"github.com/redwatch/redwatch/internal/hostfs"
	"github.com/redwatch/redwatch/internal/testtree"
)

// copyTree copies bonding/testdata/enslave/NAME (symlinks kept) into a
// temporary directory and returns it.
func copyTree(t *testing.T, name string) string {
	t.Helper()
	return testtree.CopyDir(t, filepath.Join("..", "..", "bonding", "testdata", "enslave", name))
}

func slavesFile(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(SlavesPath(filepath.Join(dir, "sys"), "bond0"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestReenslaveTree: on a captured tree the change is the write of the
// tree's bonding/slaves file; a dry run or a refusal writes nothing.
func TestReenslaveTree(t *testing.T) {
	dir := copyTree(t, "lacp")
	r := hostfs.Roots{Sys: filepath.Join(dir, "sys")}
	ctx := context.Background()
	for _, tc := range []struct {
		iface, by string
		dry       bool
		want      string
		reason    string
	}{
		{iface: "eth1", by: ByConfig, dry: true, want: DryRun},
		{iface: "eth5", by: ByConfig, want: Refused, reason: bonding.RefuseSpeedMismatch},
		{iface: "eth2", by: ByConfig, want: Refused, reason: bonding.RefuseLinkDown},
		{iface: "eth1", by: "", want: Refused, reason: bonding.RefuseNotExpected},
	} {
		res := Reenslave(ctx, Request{Roots: r, Bond: "bond0", Iface: tc.iface, ExpectedBy: tc.by, DryRun: tc.dry, CarrierWait: time.Second})
		if res.Outcome != tc.want || res.Reason() != tc.reason {
			t.Errorf("%s: %s (%s), want %s %s", tc.iface, res.Outcome, res, tc.want, tc.reason)
		}
		if got := slavesFile(t, dir); got != "eth0\n" {
			t.Fatalf("%s %s wrote the slaves file: %q", tc.iface, res.Outcome, got)
		}
	}
	res := Reenslave(ctx, Request{Roots: r, Bond: "bond0", Iface: "eth1", ExpectedBy: ByConfig})
	if res.Outcome != Done || res.Method != "sysfs" {
		t.Fatalf("%s: %s", res.Outcome, res)
	}
	if got := slavesFile(t, dir); got != "+eth1\n" {
		t.Errorf("slaves file %q, want +eth1", got)
	}
}

// fakeLinks is a fake of the kernel's links (nothing real can enslave in a
// unit test): it edits a fixture tree as the bonding driver would and
// records the calls.
type fakeLinks struct {
	t       *testing.T
	sys     string
	carrier bool  // what a probed interface finds
	master  error // SetMaster's error
	calls   []string
}

func (f *fakeLinks) dev(name string) string {
	d, err := filepath.EvalSymlinks(filepath.Join(f.sys, "class", "net", name))
	if err != nil {
		f.t.Fatal(err)
	}
	return d
}

func (f *fakeLinks) write(path, data string) {
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fakeLinks) SetUp(name string) error {
	f.calls = append(f.calls, "up "+name)
	d := f.dev(name)
	f.write(filepath.Join(d, "flags"), "0x1003\n")
	if f.carrier {
		f.write(filepath.Join(d, "carrier"), "1\n")
		f.write(filepath.Join(d, "speed"), "10000\n")
		f.write(filepath.Join(d, "duplex"), "full\n")
	} else {
		f.write(filepath.Join(d, "carrier"), "0\n")
	}
	return nil
}

func (f *fakeLinks) SetDown(name string) error {
	f.calls = append(f.calls, "down "+name)
	d := f.dev(name)
	f.write(filepath.Join(d, "flags"), "0x1002\n")
	for _, a := range []string{"carrier", "speed", "duplex"} {
		_ = os.Remove(filepath.Join(d, a))
	}
	return nil
}

func (f *fakeLinks) SetMaster(name, master string) error {
	f.calls = append(f.calls, "master "+name+" "+master)
	if f.master != nil {
		return f.master
	}
	d := f.dev(name)
	f.write(SlavesPath(f.sys, master), "eth0 "+name+"\n")
	if err := os.Symlink(f.dev(master), filepath.Join(d, "master")); err != nil {
		f.t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(d, "bonding_slave"), 0o755); err != nil {
		f.t.Fatal(err)
	}
	f.write(filepath.Join(d, "bonding_slave", "mii_status"), "up\n")
	f.write(filepath.Join(d, "bonding_slave", "ad_aggregator_id"), "1\n")
	return nil
}

// TestReenslaveLive is the host procedure on a tree marked live, with the
// kernel's links faked: a down member is probed for its carrier, then set
// down, enslaved and set up, and read back; one without a carrier is set
// down again and refused; when netlink fails the slaves file is written.
func TestReenslaveLive(t *testing.T) {
	ctx := context.Background()
	run := func(t *testing.T, carrier bool, master error) (Result, *fakeLinks, string) {
		dir := copyTree(t, "lacp")
		sys := filepath.Join(dir, "sys")
		f := &fakeLinks{t: t, sys: sys, carrier: carrier, master: master}
		res := Reenslave(ctx, Request{Roots: hostfs.Roots{Sys: sys, Live: true}, Bond: "bond0", Iface: "eth2", ExpectedBy: ByBaseline,
			CarrierWait: time.Second, Links: f, Clock: steppingClock{clock.NewFake(t0)}})
		return res, f, dir
	}
	t.Run("probed, enslaved over netlink", func(t *testing.T) {
		res, f, _ := run(t, true, nil)
		if res.Outcome != Done || res.Method != "netlink" {
			t.Fatalf("%s: %s", res.Outcome, res)
		}
		if want := []string{"up eth2", "down eth2", "master eth2 bond0", "up eth2"}; !slices.Equal(f.calls, want) {
			t.Errorf("calls %q, want %q", f.calls, want)
		}
	})
	t.Run("probed, no carrier", func(t *testing.T) {
		res, f, dir := run(t, false, nil)
		if res.Outcome != Refused || res.Reason() != bonding.RefuseNoCarrier {
			t.Fatalf("%s: %s", res.Outcome, res)
		}
		if want := []string{"up eth2", "down eth2"}; !slices.Equal(f.calls, want) {
			t.Errorf("calls %q, want %q (set down again as found)", f.calls, want)
		}
		if got := slavesFile(t, dir); got != "eth0\n" {
			t.Errorf("slaves file %q", got)
		}
	})
	t.Run("netlink fails: sysfs fallback", func(t *testing.T) {
		res, _, dir := run(t, true, errors.New("operation not supported"))
		if got := slavesFile(t, dir); got != "+eth2\n" {
			t.Errorf("slaves file %q, want the fallback's +eth2", got)
		}
		// No kernel applies the write to the tree: the read-back says so.
		if res.Outcome != Failed || !strings.Contains(res.String(), "read back") {
			t.Errorf("%s: %s", res.Outcome, res)
		}
	})
}

// steppingClock is a fake clock whose timers move it to their deadline at
// once: a wait for the carrier polls through its whole bound without real time.
type steppingClock struct{ *clock.Fake }

func (c steppingClock) NewTimer(d time.Duration) clock.Timer {
	t := c.Fake.NewTimer(d)
	c.Add(d)
	return t
}
