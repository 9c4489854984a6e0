package hostfs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestReadAttrOneBoundedRead(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "attr")
	big := bytes.Repeat([]byte("x"), MaxAttrSize+100)
	if err := os.WriteFile(p, big, 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := ReadAttr(p)
	if err != nil || len(b) != MaxAttrSize {
		t.Fatalf("ReadAttr = %d bytes, %v; want the first %d", len(b), err, MaxAttrSize)
	}
	if _, err := ReadAttr(p + "-absent"); !Absent(err) {
		t.Errorf("ReadAttr(absent) error %v is not Absent", err)
	}
}

func TestReadFileBound(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "mdstat")
	if err := os.WriteFile(p, []byte("0123456789"), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, err := ReadFile(p, 10); err != nil || string(b) != "0123456789" {
		t.Errorf("ReadFile(limit 10) = %q, %v", b, err)
	}
	if b, err := ReadFile(p, 9); !errors.Is(err, ErrTooLarge) || b != nil {
		t.Errorf("ReadFile(limit 9) = %q, %v; want ErrTooLarge", b, err)
	}
}

// TestReadAttrTimeout: a read that blocks (a FIFO without a writer blocks
// in open, as some hwmon attributes block in read) is cut off after the
// timeout and says so; the abandoned read finishes once unblocked.
func TestReadAttrTimeout(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Skipf("no FIFOs here: %v", err)
	}
	_, err := ReadAttrTimeout(context.Background(), p, 20*time.Millisecond)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), p) {
		t.Errorf("error %v, want a timeout naming %s", err, p)
	}
	// Unblock the abandoned open so that its goroutine ends.
	w, err := os.OpenFile(p, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	w.Close()

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ReadAttrTimeout(ctx, p, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: error %v, want context.Canceled", err)
	}
	w, err = os.OpenFile(p, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
}

func TestError(t *testing.T) {
	t.Parallel()
	_, cause := os.Open("/nonexistent/redwatch/x")
	e := New("md", "/nonexistent/redwatch/x", cause)
	if got, want := e.Error(), "md: /nonexistent/redwatch/x: open: no such file or directory"; got != want {
		t.Errorf("Error() = %q, want %q (the path said once)", got, want)
	}
	if !errors.Is(e, fs.ErrNotExist) {
		t.Error("the cause does not unwrap")
	}
	var target Error
	if !errors.As(error(e), &target) || target.Collector != "md" {
		t.Errorf("errors.As = %+v", target)
	}
	if got := (Error{Collector: "bonding", Err: errors.New(`"x/y" is not an interface name`)}).Error(); got != `bonding: "x/y" is not an interface name` {
		t.Errorf("without a path: %q", got)
	}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"collector":"md","path":"/nonexistent/redwatch/x","error":"open: no such file or directory"}`; string(b) != want {
		t.Errorf("JSON %s, want %s", b, want)
	}
	var back Error
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(e.Key(), back.Key()); diff != "" {
		t.Errorf("JSON round trip (-want +got):\n%s", diff)
	}
}

// BenchmarkReadAttr reads one short sysfs-like attribute (allocations per
// read: the bytes it holds, the read tracking, no page-sized buffer).
func BenchmarkReadAttr(b *testing.B) {
	p := filepath.Join(b.TempDir(), "operstate")
	if err := os.WriteFile(p, []byte("up\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ReadAttr(p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadFile reads a 4 KiB procfs-like file whole.
func BenchmarkReadFile(b *testing.B) {
	p := filepath.Join(b.TempDir(), "mdstat")
	if err := os.WriteFile(p, bytes.Repeat([]byte("md0 : active raid1 sda1[0] sdb1[1]\n"), 110), 0o644); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ReadFile(p, 0); err != nil {
			b.Fatal(err)
		}
	}
}
