package alerts

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStateDirRefused: the alert state and outbox live in the state
// directory, so one that others can write to is refused, and a link planted
// where the alert state belongs is neither followed nor read.
func TestStateDirRefused(t *testing.T) {
	open := t.TempDir()
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	if _, err := NewManager(Config{}, open, testHost, nil, nil); err == nil || !strings.Contains(err.Error(), "is writable by others (mode 0777)") {
		t.Errorf("a world-writable state dir: %v", err)
	}

	dir := t.TempDir()
	secret := filepath.Join(t.TempDir(), "elsewhere.json")
	if err := os.WriteFile(secret, []byte(`{"version":1,"alerts":[]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "alerts"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(secret, filepath.Join(dir, "alerts", "state.json")); err != nil {
		t.Fatal(err)
	}
	if _, err := NewManager(Config{}, dir, testHost, nil, nil); err == nil || !strings.Contains(err.Error(), "state.json is a symbolic link") {
		t.Errorf("a planted alerts/state.json link: %v", err)
	}
}
