package hostfs

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// TestRecorder checks that a Recorder sees the reads made while it is
// installed, keeps what was read (not the file's size), notes listings,
// keeps a read over a later note, and sees nothing once stopped.
func TestRecorder(t *testing.T) {
	dir := t.TempDir()
	attr := filepath.Join(dir, "speed")
	if err := os.WriteFile(attr, []byte("1000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ReadAttr(attr) // before: not recorded
	r := StartRecording()
	ReadAttr(attr)
	Stat(attr) // a note after the read keeps the read
	ReadDir(dir)
	ReadFile(filepath.Join(dir, "missing"), 0)
	RecordOutput("run/redwatch/smartctl/sda.json", []byte("{}"))
	r.Stop()
	ReadAttr(filepath.Join(dir, "after"))

	got := r.Reads()
	if len(got) != 3 {
		t.Fatalf("recorded %d reads, want 3: %+v", len(got), got)
	}
	if got[0].Path != dir || !got[0].List || got[0].Kept {
		t.Errorf("listing: %+v", got[0])
	}
	if got[1].Path != filepath.Join(dir, "missing") || !errors.Is(got[1].Err, fs.ErrNotExist) {
		t.Errorf("missing file: %+v", got[1])
	}
	if got[2].Path != attr || string(got[2].Data) != "1000\n" || !got[2].Kept || got[2].Err != nil {
		t.Errorf("attribute: %+v", got[2])
	}
	if o := r.Outputs(); len(o) != 1 || o[0].Name != "run/redwatch/smartctl/sda.json" {
		t.Errorf("outputs: %+v", o)
	}
	if Recording() {
		t.Error("still recording after Stop")
	}
}
