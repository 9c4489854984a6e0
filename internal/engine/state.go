package engine

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/redwatch/redwatch/internal/safefile"
	"github.com/redwatch/redwatch/rules"
)

// StateVersion is the version of the state file this redwatch writes and reads.
const StateVersion = 1

// StateFile is the state file's name in the state directory.
const StateFile = "state.json"

// lockFile serialises the read-modify-write of the state between the daemon,
// audits and the baseline/maintenance commands.
const lockFile = "state.lock"

// maxStateSize bounds the state file.
const maxStateSize = 16 << 20

// State is what redwatch keeps between passes and processes.
type State struct {
	Version int `json:"version"`
	// Baseline is each group's member set when first seen healthy.
	Baseline rules.Baseline `json:"baseline"`
	// FirstSeen is when each current finding (rules.FindingKey) was first seen, for `for`.
	FirstSeen map[string]time.Time `json:"first_seen"`
	// Settling are the groups seen fully healthy that have not been for the
	// settle time (baseline.settle) yet: not in the baseline.
	Settling rules.Baseline `json:"settling,omitempty"`
	// Maintenance are the operator's maintenance windows (`redwatch
	// maintenance on`), host-wide or for some subjects and rules.
	Maintenance []rules.Maintenance `json:"maintenance_windows,omitempty"`
	// LegacyMaintenance is the one host-wide window of the files written
	// before windows could be several; ParseState moves it to Maintenance.
	LegacyMaintenance *rules.Maintenance `json:"maintenance,omitempty"`
}

// NewState returns an empty state of the current version.
func NewState() *State {
	return &State{Version: StateVersion, Baseline: rules.Baseline{}, FirstSeen: map[string]time.Time{}}
}

// CorruptError is a state file that cannot be parsed (truncated, garbage).
type CorruptError struct {
	Path string
	Err  error
	// MovedTo is where the corrupt file was moved aside, "" when it was not.
	MovedTo string
}

func (e *CorruptError) Error() string { return "engine: " + e.reason() }

// reason is the message without the package prefix.
func (e *CorruptError) reason() string {
	s := fmt.Sprintf("state file %s is corrupt (%v)", e.Path, e.Err)
	if e.MovedTo != "" {
		s += "; moved aside to " + e.MovedTo + " and rebuilt: the baseline is being relearned from groups seen healthy"
	}
	return s
}

func (e *CorruptError) Unwrap() error { return e.Err }

// FutureVersionError is a state file written by a newer redwatch.
type FutureVersionError struct {
	Path    string
	Version int
}

func (e *FutureVersionError) Error() string { return "engine: " + e.reason() }

// reason is the message without the package prefix.
func (e *FutureVersionError) reason() string {
	return fmt.Sprintf("state file %s has version %d, newer than this redwatch understands (%d): upgrade redwatch, or move the file aside to start a new baseline", e.Path, e.Version, StateVersion)
}

// StatePath is the state file in dir.
func StatePath(dir string) string { return filepath.Join(dir, StateFile) }

// ParseState parses a state file's bytes. It never panics.
func ParseState(path string, b []byte) (*State, error) {
	var head struct {
		Version *int `json:"version"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return nil, &CorruptError{Path: path, Err: err}
	}
	if head.Version == nil || *head.Version < 1 {
		return nil, &CorruptError{Path: path, Err: errors.New("no version")}
	}
	if *head.Version > StateVersion {
		return nil, &FutureVersionError{Path: path, Version: *head.Version}
	}
	st := NewState()
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(st); err != nil {
		return nil, &CorruptError{Path: path, Err: err}
	}
	if st.Baseline == nil {
		st.Baseline = rules.Baseline{}
	}
	if st.FirstSeen == nil {
		st.FirstSeen = map[string]time.Time{}
	}
	if st.LegacyMaintenance != nil {
		st.Maintenance = append([]rules.Maintenance{*st.LegacyMaintenance}, st.Maintenance...)
		st.LegacyMaintenance = nil
	}
	st.Version = StateVersion
	return st, nil
}

// ReadState reads the state in dir; no file is an empty state. A directory
// that others can write to (or another user owns), and a state file that is
// a link, a FIFO or anything but a regular file, are refused.
func ReadState(dir string) (*State, error) {
	if err := safefile.CheckDir(dir); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return NewState(), nil
		}
		return nil, fmt.Errorf("engine: state directory: %w", err)
	}
	p := StatePath(dir)
	b, err := safefile.ReadFileNoFollow(p, maxStateSize)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return NewState(), nil
	case errors.Is(err, safefile.ErrTooLarge):
		return nil, &CorruptError{Path: p, Err: fmt.Errorf("larger than %d bytes", maxStateSize)}
	case err != nil:
		return nil, fmt.Errorf("engine: %w", err)
	}
	return ParseState(p, b)
}

// marshalState is the file's bytes.
func marshalState(st *State) ([]byte, error) {
	st.Version = StateVersion
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	return append(b, '\n'), nil
}

// WriteState writes the state to dir atomically: a temporary file in dir,
// fsync, rename over the state file, fsync of the directory.
func WriteState(dir string, st *State) error {
	b, err := marshalState(st)
	if err != nil {
		return err
	}
	return writeAtomic(StatePath(dir), b)
}

func writeAtomic(path string, b []byte) error {
	if err := safefile.MkdirChecked(filepath.Dir(path), 0o750); err != nil {
		return fmt.Errorf("engine: state directory: %w", err)
	}
	if err := safefile.WriteAtomic(path, b, 0o640, true); err != nil {
		return fmt.Errorf("engine: %w", err)
	}
	return nil
}

// lock takes the state directory's lock; the returned func releases it. A
// directory that cannot hold the lock file is read without one.
func lock(dir string) (func(), error) {
	if err := safefile.MkdirChecked(dir, 0o750); err != nil {
		return func() {}, fmt.Errorf("engine: state directory: %w", err)
	}
	// Never through a link: a planted state.lock -> /elsewhere must not make
	// redwatch create or truncate a file there.
	f, err := safefile.OpenFileNoFollow(filepath.Join(dir, lockFile), unix.O_RDWR|unix.O_CREAT, 0o640)
	if err != nil {
		return func() {}, fmt.Errorf("engine: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return func() {}, fmt.Errorf("engine: locking %s: %w", f.Name(), err)
	}
	return func() { f.Close() }, nil // closing releases the flock
}

// UpdateState runs fn over the state in dir under the directory's lock and
// writes the result atomically. A corrupt file is moved aside and fn gets an
// empty state (the CorruptError is returned after a successful write); a
// future version is an error and the file is left alone.
func UpdateState(dir string, now time.Time, fn func(st *State) error) error {
	unlock, err := lock(dir)
	defer unlock()
	if err != nil {
		return err
	}
	st, rerr := ReadState(dir)
	var corrupt *CorruptError
	switch {
	case errors.As(rerr, &corrupt):
		corrupt.MovedTo = moveAside(corrupt.Path, now)
		st = NewState()
	case rerr != nil:
		return rerr
	}
	if err := fn(st); err != nil {
		return err
	}
	if err := WriteState(dir, st); err != nil {
		return err
	}
	if corrupt != nil {
		return corrupt
	}
	return nil
}

// moveAside renames a corrupt state file to path.corrupt-TIME, returning the
// new name ("" when it could not be moved).
func moveAside(path string, now time.Time) string {
	to := path + ".corrupt-" + now.UTC().Format("20060102T150405Z")
	if err := os.Rename(path, to); err != nil {
		return ""
	}
	return to
}

// cloneState is a deep copy of st.
func cloneState(st *State) *State {
	c := *st
	c.Baseline = st.Baseline.Clone()
	c.FirstSeen = maps.Clone(st.FirstSeen)
	c.Settling = st.Settling.Clone()
	c.Maintenance = slices.Clone(st.Maintenance)
	return &c
}
