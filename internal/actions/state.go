package actions

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"time"

	"github.com/redwatch/redwatch/internal/safefile"
)

// StateVersion is the version of actions/reenslave.json.
const StateVersion = 1

// maxStateFile bounds actions/reenslave.json.
const maxStateFile = 4 << 20

// State is what the re-enslave policy remembers across restarts, in
// <state dir>/actions/reenslave.json: per member ("bond0/eth1") its recent
// attempts, its cooldown and whether it was given up.
type State struct {
	Version int                    `json:"version"`
	Members map[string]MemberState `json:"members"`
}

// MemberState is one member's.
type MemberState struct {
	// Attempts are the times of the attempts (done or failed) within the
	// last hour.
	Attempts []time.Time `json:"attempts,omitempty"`
	// NextAt is when the next attempt may be made (the cooldown's end).
	NextAt time.Time `json:"next_at,omitzero"`
	// GaveUp is set when the member dropped out again with its attempts
	// used: nothing is tried until it is a member again.
	GaveUp   bool      `json:"gave_up,omitempty"`
	GaveUpAt time.Time `json:"gave_up_at,omitzero"`
}

// StatePath is the policy's state file under the state directory dir.
func StatePath(dir string) string { return filepath.Join(dir, "actions", "reenslave.json") }

// loadState reads the state; no directory or no file is an empty state.
func loadState(dir string) (State, error) {
	st := State{Version: StateVersion, Members: map[string]MemberState{}}
	if dir == "" {
		return st, nil
	}
	data, err := safefile.ReadFile(StatePath(dir), maxStateFile)
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("actions: %w", err)
	}
	var got State
	if err := json.Unmarshal(data, &got); err != nil {
		return st, fmt.Errorf("actions: %s: %w", StatePath(dir), err)
	}
	if got.Version != StateVersion {
		return st, fmt.Errorf("actions: %s: version %d, want %d", StatePath(dir), got.Version, StateVersion)
	}
	for k, m := range got.Members {
		if bond, iface := splitKey(k); bond != "" && iface != "" {
			st.Members[k] = m
		}
	}
	return st, nil
}

// save writes the state when there is a state directory; p.mu is held.
func (p *Policy) save() {
	if p.o.StateDir == "" {
		return
	}
	data, err := json.MarshalIndent(p.state, "", "  ")
	if err == nil {
		if old, rerr := safefile.ReadFile(StatePath(p.o.StateDir), maxStateFile); rerr == nil && string(old) == string(data) {
			return
		}
		if err = safefile.MkdirChecked(filepath.Dir(StatePath(p.o.StateDir)), 0o700); err == nil {
			err = safefile.WriteAtomic(StatePath(p.o.StateDir), data, 0o600, true)
		}
	}
	if err != nil {
		p.log.Error("reenslave: state not saved", "err", err)
	}
}

// splitKey splits "bond0/eth1".
func splitKey(k string) (bond, iface string) {
	bond, iface, _ = strings.Cut(k, "/")
	return bond, iface
}
