package hostgen

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/redwatch/redwatch/collectors"
	"github.com/redwatch/redwatch/internal/engine"
)

func TestDiskName(t *testing.T) {
	for i, want := range map[int]string{0: "sda", 25: "sdz", 26: "sdaa", 27: "sdab", 127: "sddx"} {
		if got := diskName(i); got != want {
			t.Errorf("diskName(%d) = %q, want %q", i, got, want)
		}
	}
}

// TestLargeHostHealthy checks that the generated host is what it claims to
// be: a healthy host with every group the spec asks for.
func TestLargeHostHealthy(t *testing.T) {
	dir := t.TempDir()
	if err := Generate(dir, Large); err != nil {
		t.Fatal(err)
	}
	e := &engine.Engine{Roots: collectors.TreeRoots(dir)}
	p := e.Run(context.Background())
	if got := len(p.Snapshot.Bonds); got != 32 {
		t.Errorf("bonds = %d, want 32", got)
	}
	if got := len(p.Snapshot.MD); got != 16 {
		t.Errorf("md arrays = %d, want 16", got)
	}
	if got := len(p.Snapshot.NICs); got < 128 {
		t.Errorf("NICs = %d, want at least 128", got)
	}
	if p.Result.Status.String() != "ok" {
		t.Errorf("status = %s, findings %v, errors %v", p.Result.Status, p.Result.Findings, p.Result.Errors)
	}
}

// TestCompleteScaledHost: a quarter-size complete host is as healthy, with a
// quarter of the groups, and has the files node_exporter reads that redwatch
// does not.
func TestCompleteScaledHost(t *testing.T) {
	spec := Large.Scaled(0.25)
	if spec.Bonds != 8 || spec.SlavesPerBond != 4 || spec.Arrays != 4 || spec.MembersPerArray != 8 {
		t.Fatalf("Large.Scaled(0.25) = %+v", spec)
	}
	if s := Large.Scaled(16); s.Bonds != 512 || s.Arrays != 256 {
		t.Fatalf("Large.Scaled(16) = %+v", s)
	}
	spec.Complete = true
	dir := t.TempDir()
	if err := Generate(dir, spec); err != nil {
		t.Fatal(err)
	}
	p := (&engine.Engine{Roots: collectors.TreeRoots(dir)}).Run(context.Background())
	if len(p.Snapshot.Bonds) != 8 || len(p.Snapshot.MD) != 4 || p.Result.Status.String() != "ok" {
		t.Errorf("bonds %d, arrays %d, status %s, findings %v, errors %v", len(p.Snapshot.Bonds), len(p.Snapshot.MD), p.Result.Status, p.Result.Findings, p.Result.Errors)
	}
	for path, want := range map[string]string{
		"sys/class/net/bond7/bonding/slaves":                       "eth28 eth29 eth30 eth31\n",
		"sys/class/net/bond7/lower_eth29/bonding_slave/mii_status": "up\n",
		"sys/class/net/eth29/mtu":                                  "9000\n",
		"sys/block/md3/md/uuid":                                    "0a1b2c3d-0000-0000-0000-000000000003\n",
		"sys/block/md3/md/sync_completed":                          "none\n",
	} {
		if b, err := os.ReadFile(filepath.Join(dir, path)); err != nil || string(b) != want {
			t.Errorf("%s = %q, %v; want %q", path, b, err, want)
		}
	}
}

// BenchmarkPass is one full pass (collect + evaluate) on the large host.
func BenchmarkPass(b *testing.B) { benchPass(b, Large) }

// benchPass measures one full pass on the host s.
func benchPass(b *testing.B, s Spec) {
	dir := b.TempDir()
	if err := Generate(dir, s); err != nil {
		b.Fatal(err)
	}
	e := &engine.Engine{Roots: collectors.TreeRoots(dir)}
	b.ReportAllocs()
	for b.Loop() {
		e.Run(context.Background())
	}
}

// BenchmarkPassScaled is BenchmarkPass on the large host scaled to ¼× and
// 4×: a pass's cost (time, bytes, allocations) should grow linearly.
func BenchmarkPassScaled(b *testing.B) {
	for _, f := range []float64{0.25, 4} {
		b.Run(fmt.Sprintf("x%g", f), func(b *testing.B) { benchPass(b, Large.Scaled(f)) })
	}
}

// BenchmarkPassState is a daemon's pass: BenchmarkPass with a state
// directory (baseline, first-seen times), as `redwatch daemon` runs it.
func BenchmarkPassState(b *testing.B) {
	dir := b.TempDir()
	if err := Generate(dir, Large); err != nil {
		b.Fatal(err)
	}
	e := &engine.Engine{Roots: collectors.TreeRoots(dir), StateDir: b.TempDir()}
	e.Run(context.Background()) // writes the state
	b.ReportAllocs()
	for b.Loop() {
		e.Run(context.Background())
	}
}

// BenchmarkFloor only opens, reads and closes every file of the large host
// (and reads every symlink): the I/O floor under a pass.
func BenchmarkFloor(b *testing.B) {
	dir := b.TempDir()
	if err := Generate(dir, Large); err != nil {
		b.Fatal(err)
	}
	var files, links []string
	if err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.Type()&fs.ModeSymlink != 0:
			links = append(links, p)
		case d.Type().IsRegular():
			files = append(files, p)
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(len(files)), "files")
	b.ReportMetric(float64(len(links)), "links")
	buf := make([]byte, 64<<10)
	b.ReportAllocs()
	for b.Loop() {
		for _, p := range files {
			f, err := os.Open(p)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := f.Read(buf); err != nil && err != io.EOF {
				b.Fatal(err)
			}
			f.Close()
		}
		for _, p := range links {
			if _, err := os.Readlink(p); err != nil {
				b.Fatal(err)
			}
		}
	}
}
