package hostfs

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// dirTree makes dir/{state, dev-sda/state, rd0 -> dev-sda} and returns dir.
func dirTree(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "dev-sda"), 0o755); err != nil {
		t.Fatal(err)
	}
	for p, v := range map[string]string{"state": "clean\n", "dev-sda/state": "in_sync\n"} {
		if err := os.WriteFile(filepath.Join(dir, p), []byte(v), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("dev-sda", filepath.Join(dir, "rd0")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// openTree opens a dirTree with a Reader, both released when t ends.
func openTree(t testing.TB) (string, *Reader, Dir) {
	t.Helper()
	dir := dirTree(t)
	r := NewReader()
	t.Cleanup(r.Release)
	d, err := r.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	return dir, r, d
}

func TestReaderDir(t *testing.T) {
	dir, r, d := openTree(t)
	var err error
	if b, err := r.ReadAt(d, "state"); err != nil || string(b) != "clean\n" {
		t.Errorf("ReadAt(state) = %q, %v", b, err)
	}
	if b, err := r.ReadAtSub(d, "dev-sda", "state"); err != nil || string(b) != "in_sync\n" {
		t.Errorf("ReadAtSub(dev-sda, state) = %q, %v", b, err)
	}
	if b, err := r.ReadAt(d, "rd0/state"); err != nil || string(b) != "in_sync\n" {
		t.Errorf("ReadAt(rd0/state), through the link = %q, %v", b, err)
	}
	if b, err := r.ReadlinkAt(d, "rd0"); err != nil || string(b) != "dev-sda" {
		t.Errorf("ReadlinkAt(rd0) = %q, %v", b, err)
	}
	if _, err := r.ReadlinkAt(d, "state"); !errors.Is(err, unix.EINVAL) {
		t.Errorf("ReadlinkAt(state) = %v, want EINVAL (not a link)", err)
	}
	// Errors are ReadAttr's: an *fs.PathError naming the file.
	_, err = r.ReadAtSub(d, "dev-sdb", "state")
	var pe *fs.PathError
	if !errors.As(err, &pe) || pe.Path != filepath.Join(dir, "dev-sdb/state") || pe.Op != "open" || !Absent(err) {
		t.Errorf("ReadAtSub(dev-sdb, state) error %#v, want open of %s, absent", err, filepath.Join(dir, "dev-sdb/state"))
	}
	if b, err := r.ReadAtIfExists(d, "state"); err != nil || string(b) != "clean\n" {
		t.Errorf("ReadAtIfExists(state) = %q, %v", b, err)
	}
	if _, err := r.ReadAtIfExists(d, "dev-sda"); !errors.As(err, &pe) || pe.Op != "read" {
		t.Errorf("ReadAtIfExists(a directory) = %v, want ReadAt's read error", err)
	}
	if _, err := r.ReadAt(d, "dev-sda"); !errors.As(err, &pe) || pe.Op != "read" {
		t.Errorf("ReadAt(a directory) = %v, want a read error", err)
	}
	if _, err := r.ReadAtNoFollow(d, "rd0"); err == nil {
		t.Error("ReadAtNoFollow(a link) read through it")
	}
	if !r.Exists(d, "dev-sda", "state") || !r.Exists(d, "", "rd0") || r.Exists(d, "dev-sda", "slot") {
		t.Error("Exists: wrong answer")
	}
	var names []string
	if err := r.Names(d, func(name string, typ byte) {
		names = append(names, strings.Clone(name)+map[byte]string{unix.DT_DIR: "/", unix.DT_LNK: "@", unix.DT_REG: ""}[typ])
	}); err != nil {
		t.Fatal(err)
	}
	slices.Sort(names)
	if want := []string{"dev-sda/", "rd0@", "state"}; !slices.Equal(names, want) {
		t.Errorf("Names = %v, want %v", names, want)
	}
	sub, err := r.OpenDirAt(d, "rd0")
	if err != nil || sub.Path() != filepath.Join(dir, "rd0") {
		t.Fatalf("OpenDirAt(rd0) = %q, %v", sub.Path(), err)
	}
	defer sub.Close()
	if b, err := r.ReadAt(sub, "state"); err != nil || string(b) != "in_sync\n" {
		t.Errorf("ReadAt(rd0 dir, state) = %q, %v", b, err)
	}
	if _, err := r.OpenDir(filepath.Join(dir, "state")); err == nil {
		t.Error("OpenDir(a file) succeeded")
	}
	if _, err := r.OpenDir(filepath.Join(dir, "absent")); !Absent(err) {
		t.Errorf("OpenDir(absent) = %v", err)
	}
}

// TestReaderDirAllocatesNothing: reading an attribute or a link through a
// Dir allocates nothing (the point of it: a pass reads thousands).
func TestReaderDirAllocatesNothing(t *testing.T) {
	_, r, d := openTree(t)
	n := testing.AllocsPerRun(100, func() {
		if _, err := r.ReadAtSub(d, "dev-sda", "state"); err != nil {
			t.Fatal(err)
		}
		if _, err := r.ReadlinkAt(d, "rd0"); err != nil {
			t.Fatal(err)
		}
		r.Exists(d, "dev-sda", "slot")
		if _, err := r.ReadAtIfExists(d, "slot"); !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
		if err := r.Names(d, func(string, byte) {}); err != nil {
			t.Fatal(err)
		}
	})
	if n != 0 {
		t.Errorf("%v allocations per read, want 0", n)
	}
}

// TestReaderRecorded: a capture sees what a Reader read, under full paths.
func TestReaderRecorded(t *testing.T) { // not parallel: it installs the process's one recorder
	rec := StartRecording()
	defer rec.Stop()
	dir, r, d := openTree(t)
	r.ReadAtSub(d, "dev-sda", "state")
	r.ReadlinkAt(d, "rd0")
	r.Names(d, func(string, byte) {})
	got := map[string]Read{}
	for _, rd := range rec.Reads() {
		got[rd.Path] = rd
	}
	if rd := got[filepath.Join(dir, "dev-sda/state")]; string(rd.Data) != "in_sync\n" || !rd.Kept {
		t.Errorf("dev-sda/state recorded as %+v", rd)
	}
	if rd, ok := got[filepath.Join(dir, "rd0")]; !ok || rd.Kept {
		t.Errorf("rd0 recorded as %+v, want a noted path", rd)
	}
	if rd := got[dir]; !rd.List {
		t.Errorf("%s recorded as %+v, want listed", dir, rd)
	}
}

// TestReadsTrackedBeyondTheSlots: reads under way beyond the fixed slots
// (many hung reads) are still named by ReadsSince, and forgotten when done.
func TestReadsTrackedBeyondTheSlots(t *testing.T) { // not parallel: it fills the process's slots
	mark := ReadMark()
	var toks []readToken
	for i := range len(readSlots) + 10 {
		toks = append(toks, track("/sys/x", "", strings.Repeat("a", i%3+1)))
	}
	last := "/sys/x/" + strings.Repeat("a", (len(toks)-1)%3+1)
	if got := ReadsSince(mark); len(got) != len(toks) || got[0] != last {
		t.Errorf("ReadsSince = %d paths (first %q), want %d, the last first", len(got), got[0], len(toks))
	}
	for _, tok := range toks {
		untrack(tok)
	}
	if got := ReadsSince(mark); len(got) != 0 {
		t.Errorf("ReadsSince after the reads ended = %v", got)
	}
}
