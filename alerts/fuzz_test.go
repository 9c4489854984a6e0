package alerts

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzOutboxEntry: whatever an outbox file holds, reading it never panics,
// and what it accepts has an ID and the sequence number of its file name.
func FuzzOutboxEntry(f *testing.F) {
	f.Add([]byte(`{"version":1,"channel":"ops","seq":1,"notification":{"id":"abc","fingerprint":"f","status":"firing","severity":"critical"}}`))
	f.Add([]byte(`{"version":1,"seq":1,"notification":{"id":"x","severity":"bogus"}}`))
	f.Add([]byte(`garbage`))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "00000000000000000001-abc.json")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		e, err := readEntry(path)
		if err == nil && (e.n.ID == "" || e.seq != 1) {
			t.Fatalf("accepted %q as %+v", data, e)
		}
	})
}
