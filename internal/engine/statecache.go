package engine

import (
	"maps"
	"slices"
	"time"

	"golang.org/x/sys/unix"

	"github.com/redwatch/redwatch/collectors"
	"github.com/redwatch/redwatch/internal/safefile"
	"github.com/redwatch/redwatch/rules"
)

// stateCache is the state file as a pass last read or wrote it, kept while
// the file is unchanged, so that a daemon pass costs one lstat of the file
// instead of reading, parsing and re-marshalling it. Whoever else writes the
// file (`redwatch baseline`, `maintenance`, an audit) replaces it by rename
// under the state lock, which changes its inode and ctime.
type stateCache struct {
	key    fileKey
	st     *State // never handed out: a pass gets a clone
	before []byte // marshalState(st): what the file holds, for the comparison after the pass
}

// fileKey identifies one version of a file.
type fileKey struct {
	dev, ino   uint64
	size       int64
	mtim, ctim unix.Timespec
}

// stateFileKey returns the key of dir's state file; ok is false when it
// cannot be stat'ed (no file: nothing to keep).
func stateFileKey(dir string) (fileKey, bool) {
	var st unix.Stat_t
	if err := unix.Lstat(StatePath(dir), &st); err != nil {
		return fileKey{}, false
	}
	return fileKey{dev: st.Dev, ino: st.Ino, size: st.Size, mtim: st.Mtim, ctim: st.Ctim}, true
}

// remember keeps st, just written to dir as b, while the file stays as written.
func (c *stateCache) remember(dir string, st *State, b []byte) {
	k, ok := stateFileKey(dir)
	if !ok {
		*c = stateCache{}
		return
	}
	*c = stateCache{key: k, st: cloneState(st), before: b}
}

// loadState returns the state for a pass, the bytes it marshals to (nil
// when it must be written back: a corrupt file moved aside) and readState's
// error. While the file is unchanged since the last pass read or wrote it,
// the state comes from memory (the directory is still checked as ReadState
// checks it).
func (e *Engine) loadState(now time.Time, canWrite bool) (*State, []byte, *collectors.Error) {
	k0, ok0 := stateFileKey(e.StateDir)
	if ok0 && e.cache.st != nil && k0 == e.cache.key && safefile.CheckDir(e.StateDir) == nil {
		return cloneState(e.cache.st), e.cache.before, nil
	}
	e.cache = stateCache{}
	st, serr := e.readState(now, canWrite)
	if st == nil {
		return nil, nil, serr
	}
	if serr != nil {
		return st, nil, serr // a corrupt file moved aside: write the state back now
	}
	before, _ := marshalState(st)
	// Kept only when the file did not change while it was read.
	if k1, ok1 := stateFileKey(e.StateDir); ok0 && ok1 && k1 == k0 {
		e.cache = stateCache{key: k0, st: cloneState(st), before: before}
	}
	return st, before, nil
}

// sameBaseline reports whether a and b record the same groups (an empty and
// a nil baseline are the same).
func sameBaseline(a, b rules.Baseline) bool {
	return maps.EqualFunc(a, b, func(x, y rules.BaselineGroup) bool {
		return x.Kind == y.Kind && x.Name == y.Name && x.Accepted == y.Accepted && x.Since.Equal(y.Since) && slices.Equal(x.Members, y.Members)
	})
}

// sameTimes reports whether a and b hold the same instants.
func sameTimes(a, b map[string]time.Time) bool {
	return maps.EqualFunc(a, b, time.Time.Equal)
}
