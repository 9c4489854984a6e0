package daemon

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
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

// Scoper is a Source that can say which subsystems one of its events is
// about (from the detail it passed to notify), so that the pass after it
// re-reads only their sources (collectors.SourcesFollowing). A source
// without it, or an event it cannot place (nil), makes a full pass.
type Scoper interface {
	Scope(detail string) []collectors.Subsystem
}

// scopeOf is what src says its event is about; nil for a full pass.
func scopeOf(src Source, detail string) []collectors.Subsystem {
	if sc, ok := src.(Scoper); ok {
		return sc.Scope(detail)
	}
	return nil
}

// LinkNamer is a Source whose net events can name the interfaces they are
// about (from the detail it passed to notify), so that the pass after them
// re-reads only those and their bonds (collectors.Events Links). A source
// without it, or an event it cannot place (nil), re-reads every interface.
type LinkNamer interface {
	Links(detail string) []string
}

// linksOf is what src says its net event is about; nil for every interface.
func linksOf(src Source, detail string) []string {
	if ln, ok := src.(LinkNamer); ok {
		return ln.Links(detail)
	}
	return nil
}

// Links of a link change is its interface, the first word of the detail
// ("<ifname> <msg> oper=<state>"). The master it may have joined or left
// is not named here: the net sources find it (the master link now, the
// one the last read recorded).
func (*LinkSource) Links(detail string) []string {
	return linkName(strings.Fields(detail), 0)
}

// linkName is words[i] when it is an interface's name; nil otherwise.
func linkName(words []string, i int) []string {
	if i < 0 || i >= len(words) || !validLink(words[i]) {
		return nil
	}
	return []string{words[i]}
}

// validLink reports whether name can be an interface's name, not
// bonding_masters (the kernel's: at most 15 bytes, no '/', no
// whitespace, not "." or "..").
func validLink(name string) bool {
	return name != "" && len(name) < 16 && name != "." && name != ".." && name != "bonding_masters" &&
		!strings.ContainsAny(name, "/ \t\n\x00:")
}

// Scope of a link change is the net subsystem (bonds, NICs, routes).
func (*LinkSource) Scope(string) []collectors.Subsystem {
	return []collectors.Subsystem{collectors.SubsystemNet}
}

// Scope of an mdstat wake-up is the md subsystem.
func (*MDStatSource) Scope(string) []collectors.Subsystem {
	return []collectors.Subsystem{collectors.SubsystemMD}
}

// ueventSubsystems are the uevent SUBSYSTEM= values a pass can follow.
var ueventSubsystems = map[string]collectors.Subsystem{
	"net":          collectors.SubsystemNet,
	"block":        collectors.SubsystemBlock,
	"power_supply": collectors.SubsystemPower,
	"hwmon":        collectors.SubsystemHwmon,
}

// Scope of a uevent is its SUBSYSTEM= (the detail's first word); an
// overflow (events were lost) or another subsystem is a full pass.
func (*UeventSource) Scope(detail string) []collectors.Subsystem {
	first, _, _ := strings.Cut(detail, " ")
	if s, ok := ueventSubsystems[first]; ok {
		return []collectors.Subsystem{s}
	}
	return nil
}

// Links of a net uevent ("net <action> <devpath>") is the interface, the
// last element of the devpath (/devices/virtual/net/bond1).
func (*UeventSource) Links(detail string) []string {
	words := strings.Fields(detail)
	if len(words) != 3 || words[0] != "net" {
		return nil
	}
	if path.Base(path.Dir(words[2])) != "net" {
		return nil
	}
	return linkName([]string{path.Base(words[2])}, 0)
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
			&UeventSource{Subsystems: []string{"block", "power_supply", "net", "hwmon"}},
		}
	}
	var dirs []string
	for _, d := range []string{r.Sys, r.Proc, r.Dev} {
		if d != "" {
			dirs = append(dirs, d)
		}
	}
	return []Source{&TreeSource{Dirs: dirs, Sys: r.Sys, Proc: r.Proc}}
}

// TreeSource watches every directory under Dirs (and the ones created later)
// with fsnotify; any write, creation, removal or rename is an event.
type TreeSource struct {
	Dirs []string
	// Sys and Proc are the tree's sys and proc roots (among Dirs), for
	// Scope; "" places no event there.
	Sys, Proc string
}

// Scope places a file event by where the file is, as the kernel event it
// stands for: under proc, mdstat is the md subsystem and net/bonding/* and
// net/route the net one; under sys, the last of the path's directories
// that names a subsystem (md, block, net, power_supply, hwmon: e.g.
// devices/virtual/block/md0/md/dev-sda/state is md, class/net/eth0/carrier
// net). Anything else (a watch error, dev, a file no subsystem covers) is a
// full pass.
func (t *TreeSource) Scope(detail string) []collectors.Subsystem {
	path, ok := eventPath(detail)
	if !ok {
		return nil
	}
	if rel, ok := under(t.Proc, path); ok {
		switch {
		case rel == "mdstat":
			return []collectors.Subsystem{collectors.SubsystemMD}
		case rel == "net/route" || rel == "net/bonding" || strings.HasPrefix(rel, "net/bonding/"):
			return []collectors.Subsystem{collectors.SubsystemNet}
		}
		return nil
	}
	if rel, ok := under(t.Sys, path); ok {
		switch sub, _ := sysSubsystem(strings.Split(rel, "/")); sub {
		case "":
		case "md":
			return []collectors.Subsystem{collectors.SubsystemMD}
		default:
			return []collectors.Subsystem{ueventSubsystems[sub]}
		}
	}
	return nil
}

// Links of a file event in the net subsystem is the interface the file
// is about: under proc, net/bonding/<bond>; under sys, the directory after
// the path's last "net" (class/net/eth0/carrier,
// devices/virtual/net/bond0/bonding/slaves). net/route, bonding_masters and
// a net directory itself name none.
func (t *TreeSource) Links(detail string) []string {
	path, ok := eventPath(detail)
	if !ok {
		return nil
	}
	if rel, ok := under(t.Proc, path); ok {
		if bond, ok := strings.CutPrefix(rel, "net/bonding/"); ok {
			return linkName([]string{bond}, 0)
		}
		return nil
	}
	if rel, ok := under(t.Sys, path); ok {
		parts := strings.Split(rel, "/")
		if sub, i := sysSubsystem(parts); sub == "net" {
			return linkName(parts, i+1)
		}
	}
	return nil
}

// eventPath is the path of a file event's detail ("<op> <path>"); not ok
// for a watch error.
func eventPath(detail string) (string, bool) {
	_, path, ok := strings.Cut(detail, " ")
	return path, ok && !strings.HasPrefix(detail, "error ")
}

// sysSubsystem is the last of a sys path's directories that names a
// subsystem (md, block, net, power_supply, hwmon) and its index: "" when
// none does.
func sysSubsystem(parts []string) (string, int) {
	for i := len(parts) - 1; i >= 0; i-- {
		switch parts[i] {
		case "md", "block", "net", "power_supply", "hwmon":
			return parts[i], i
		}
	}
	return "", -1
}

// under is path relative to root when it lies below it.
func under(root, path string) (string, bool) {
	if root == "" {
		return "", false
	}
	rel, err := filepath.Rel(root, path)
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, "../") {
		return "", false
	}
	return filepath.ToSlash(rel), true
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
