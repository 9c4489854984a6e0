package capture

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redwatch/redwatch/internal/clock"
	"github.com/redwatch/redwatch/internal/hostfs"
	"github.com/redwatch/redwatch/internal/hostgen"
)

func fixedNow() time.Time { return time.Date(2026, 11, 30, 6, 0, 0, 0, time.UTC) }

// names lists an archive's entries.
func names(t *testing.T, r io.Reader) map[string]*tar.Header {
	t.Helper()
	zr, err := gzip.NewReader(r)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	out := map[string]*tar.Header{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out[h.Name] = h
	}
}

// TestCaptureLinkLeavingTree checks that a symlink on the way to a file read
// that leads out of the tree (absolute, or up past the root) is a failure
// in the manifest and is not archived, and that an excluded path is not.
func TestCaptureLinkLeavingTree(t *testing.T) {
	tree := t.TempDir()
	outside := t.TempDir()
	net := filepath.Join(tree, "proc", "net")
	if err := os.MkdirAll(net, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(outside, "bond0"), []byte("secret\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(net, "bonding")); err != nil { // absolute
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tree, "proc", "mdstat"), []byte("Personalities : \nunused devices: <none>\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../../..", filepath.Join(tree, "proc", "up")); err != nil {
		t.Fatal(err)
	}
	var buf strings.Builder
	roots := hostfs.TreeRoots(tree)
	m, err := Capture(context.Background(), &buf, Options{Roots: roots, Clock: clock.NewFake(fixedNow()),
		Exclude: []string{filepath.Join(tree, "proc", "mdstat")}})
	if err != nil {
		t.Fatal(err)
	}
	// The net collector and bonding read /proc/net/bonding through the link.
	var left bool
	for _, f := range m.Failures {
		left = left || strings.Contains(f.Error, "leaves")
	}
	if !left {
		t.Errorf("no failure for the link leaving the tree: %+v", m.Failures)
	}
	if len(m.Excluded) != 1 {
		t.Errorf("excluded %v, want proc/mdstat", m.Excluded)
	}
	for n, h := range names(t, strings.NewReader(buf.String())) {
		if strings.Contains(n, "bonding") || n == "proc/mdstat" || strings.HasPrefix(h.Linkname, "/") {
			t.Errorf("archived %s -> %q", n, h.Linkname)
		}
	}
}

// BenchmarkCaptureLarge captures internal/hostgen's large host: one pass
// recorded, the tree resolved and the tar.gz written.
func BenchmarkCaptureLarge(b *testing.B) {
	tree := b.TempDir()
	if err := hostgen.Generate(tree, hostgen.Large); err != nil {
		b.Fatal(err)
	}
	roots := hostfs.TreeRoots(tree)
	var size int
	for b.Loop() {
		var buf strings.Builder
		if _, err := Capture(context.Background(), &buf, Options{Roots: roots, Clock: clock.NewFake(fixedNow())}); err != nil {
			b.Fatal(err)
		}
		size = buf.Len()
	}
	b.ReportMetric(float64(size), "bytes")
}

// TestNoValue checks which read errors are the kernel's "no value" and not
// a failure.
func TestNoValue(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{&os.PathError{Op: "read", Path: "/sys/class/net/eth1/speed", Err: syscall.EINVAL}, true},
		{&os.PathError{Op: "read", Path: "x", Err: syscall.EOPNOTSUPP}, true},
		{syscall.ENODATA, true},
		{&os.PathError{Op: "open", Path: "x", Err: syscall.EACCES}, false},
		{syscall.EIO, false},
		{nil, false},
	} {
		if got := noValue(c.err); got != c.want {
			t.Errorf("noValue(%v) = %t, want %t", c.err, got, c.want)
		}
	}
}
