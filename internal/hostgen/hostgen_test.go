package hostgen

import (
	"context"
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

// BenchmarkPass is one full pass (collect + evaluate) on the large host.
func BenchmarkPass(b *testing.B) {
	dir := b.TempDir()
	if err := Generate(dir, Large); err != nil {
		b.Fatal(err)
	}
	e := &engine.Engine{Roots: collectors.TreeRoots(dir)}
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
