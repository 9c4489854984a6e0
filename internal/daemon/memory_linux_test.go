//go:build linux

package daemon

import (
	"os"
	"testing"
)

// execResidentKiB is the resident KiB of the executable's read-only mappings.
func execResidentKiB(t *testing.T) uint64 {
	t.Helper()
	maps, err := executableMappings()
	if err != nil {
		t.Fatal(err)
	}
	if len(maps) == 0 {
		t.Fatal("no mapping of the executable in /proc/self/smaps")
	}
	var kib uint64
	for _, m := range maps {
		if !m.writable {
			kib += pagesResident(t, m.start, m.end) * 4
		}
	}
	return kib
}

// pagesResident counts the resident pages of [start, end) from /proc/self/pagemap.
func pagesResident(t *testing.T, start, end uint64) uint64 {
	t.Helper()
	f, err := os.Open("/proc/self/pagemap")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	page := uint64(os.Getpagesize())
	buf := make([]byte, (end-start)/page*8)
	if _, err := f.ReadAt(buf, int64(start/page*8)); err != nil {
		t.Fatal(err)
	}
	var n uint64
	for i := 0; i+8 <= len(buf); i += 8 {
		if buf[i+7]&0x80 != 0 { // bit 63: present
			n++
		}
	}
	return n
}

// TestDropExecutablePages: the executable's read-only pages that the start
// touched leave the resident set, and the program runs on (its code maps
// back from the page cache as it runs).
func TestDropExecutablePages(t *testing.T) {
	before := execResidentKiB(t)
	n, err := dropExecutablePages()
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("no mapping advised")
	}
	after := execResidentKiB(t)
	t.Logf("executable resident: %d KiB before, %d KiB after", before, after)
	if after >= before/2 {
		t.Errorf("executable resident %d KiB after, %d KiB before: want less than half", after, before)
	}
}
