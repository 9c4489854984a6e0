package daemon

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/fsnotify/fsnotify"

	"github.com/redwatch/redwatch/collectors"
)

// Source delivers the events that may have changed the host's redundancy.
type Source interface {
	// Name names the source in logs and metrics ("netlink", "mdstat", ...).
	Name() string
	// Watch opens the source and returns once it is open; an error means it
	// is unavailable (not Linux, no permission, no md driver). It then calls
	// notify from its own goroutine for every event, with a short detail,
	// until ctx ends or the source fails; done receives the reason (nil
	// after ctx ended) and is closed when that goroutine has exited.
	Watch(ctx context.Context, notify func(detail string)) (done <-chan error, err error)
}

// SourcesFor returns the event sources for the roots: on the host's own
// roots the kernel's (netlink link changes, poll() on mdstat, uevents); on a
// captured tree, fsnotify on the tree's files, so a test that edits a fixture
// sees the same event-driven behaviour.
func SourcesFor(r collectors.Roots) []Source {
	if r.Live {
		return []Source{
			&LinkSource{},
			&MDStatSource{Path: filepath.Join(r.Proc, "mdstat")},
			&UeventSource{Subsystems: []string{"block", "power_supply"}},
		}
	}
	var dirs []string
	for _, d := range []string{r.Sys, r.Proc, r.Dev} {
		if d != "" {
			dirs = append(dirs, d)
		}
	}
	return []Source{&TreeSource{Dirs: dirs}}
}

// TreeSource watches every directory under Dirs (and the ones created later)
// with fsnotify; any write, creation, removal or rename is an event.
type TreeSource struct {
	Dirs []string
}

// Name is "fsnotify".
func (*TreeSource) Name() string { return "fsnotify" }

// Watch adds an inotify watch on every directory of the trees.
func (t *TreeSource) Watch(ctx context.Context, notify func(string)) (<-chan error, error) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("daemon: fsnotify: %w", err)
	}
	watched := 0
	for _, root := range t.Dirs {
		n, err := addTree(w, root)
		if err != nil {
			_ = w.Close()
			return nil, err
		}
		watched += n
	}
	if watched == 0 {
		_ = w.Close()
		return nil, fmt.Errorf("daemon: fsnotify: none of %s exists", strings.Join(t.Dirs, ", "))
	}
	done := make(chan error, 1)
	go func() {
		defer close(done)
		defer func() { _ = w.Close() }()
		for {
			select {
			case <-ctx.Done():
				done <- nil
				return
			case ev, ok := <-w.Events:
				if !ok {
					done <- errors.New("daemon: fsnotify: watcher closed")
					return
				}
				if ev.Op == fsnotify.Chmod {
					continue
				}
				if ev.Has(fsnotify.Create) {
					if st, err := os.Lstat(ev.Name); err == nil && st.IsDir() {
						_, _ = addTree(w, ev.Name) // best effort: the event itself triggers the pass
					}
				}
				notify(ev.Op.String() + " " + ev.Name)
			case err, ok := <-w.Errors:
				if !ok {
					done <- errors.New("daemon: fsnotify: watcher closed")
					return
				}
				// An overflow lost events: run a pass to be safe.
				notify("error " + err.Error())
			}
		}
	}()
	return done, nil
}

// addTree watches root and every directory below it (symlinks are not
// followed: their targets are in the tree too). An absent root is skipped.
func addTree(w *fsnotify.Watcher, root string) (int, error) {
	n := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == root && errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll
			}
			return nil // an unreadable corner of the tree: skip it
		}
		if !d.IsDir() {
			return nil
		}
		if err := w.Add(p); err != nil {
			return fmt.Errorf("daemon: fsnotify: watch %s: %w", p, err)
		}
		n++
		return nil
	})
	return n, err
}

// WakeSource is an event source fed by calls to Wake rather than by the
// kernel: the actions policy wakes the loop when its own findings
// (reenslave_gave_up) change, so that a pass shows them at once.
type WakeSource struct {
	// SourceName names it in logs and metrics.
	SourceName string

	mu     sync.Mutex
	notify func(string)
}

// Name is SourceName.
func (w *WakeSource) Name() string { return w.SourceName }

// Watch keeps notify until ctx ends.
func (w *WakeSource) Watch(ctx context.Context, notify func(string)) (<-chan error, error) {
	w.mu.Lock()
	w.notify = notify
	w.mu.Unlock()
	done := make(chan error, 1)
	go func() {
		<-ctx.Done()
		w.mu.Lock()
		w.notify = nil
		w.mu.Unlock()
		close(done)
	}()
	return done, nil
}

// Wake delivers one event; before Watch and after it ended it does nothing.
func (w *WakeSource) Wake(detail string) {
	w.mu.Lock()
	n := w.notify
	w.mu.Unlock()
	if n != nil {
		n(detail)
	}
}
