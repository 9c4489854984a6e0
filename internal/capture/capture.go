// Package capture builds `redwatch capture`'s archive: one tar.gz of exactly
// the files a pass read on this host (recorded by internal/hostfs while the
// pass runs), laid out like the host (sys/, proc/, dev/) with sysfs's
// symlinks kept as symlinks, plus a manifest (capture.json) of what was
// read, what failed and why. Extracted into a directory
// (`tar -xzf FILE -C DIR`), it is a tree that `redwatch audit --root DIR`
// reads to the same verdict on any machine.
package capture

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/redwatch/redwatch/collectors"
	"github.com/redwatch/redwatch/internal/clock"
	"github.com/redwatch/redwatch/internal/hostfs"
)

// ManifestName is the manifest's name in the archive.
const ManifestName = "capture.json"

// maxNotedFile bounds a file a collector streams (RecordPath), which the
// capture reads itself: /proc/net/route of a BGP-fed host is megabytes.
const maxNotedFile = 64 << 20

// maxLinks bounds the symlinks followed resolving one path (the kernel's 40).
const maxLinks = 40

// Options are what a capture reads and how.
type Options struct {
	// Roots are the roots the pass reads (the host's, or a tree's).
	Roots hostfs.Roots
	// Exclude are paths never archived, nor anything under them: the state
	// directory, the configuration and its secret files.
	Exclude []string
	// Clock is the clock; nil means clock.Real{}.
	Clock clock.Clock
	// Timeout cuts off one hung collector (0: collectors.DefaultTimeout).
	Timeout time.Duration
	// Version is redwatch's version, for the manifest.
	Version string
	// Sources are the sources of the pass; nil means collectors.Sources()
	// (a live host's caller passes collectors.WithSmart a SMART cache it
	// refreshed, so that the smartctl outputs are captured).
	Sources []collectors.Source
	// BMC are the readers of the BMC the configuration names (power.ipmi
	// over LAN, power.redfish): a capture of a live host reads it once and
	// archives what it sent, as ipmi/sdr.json and redfish/<URL path>.json
	// (never a password: those are read through internal/secret, which
	// records nothing). The zero value reads only the host's own BMC
	// in-band (/dev/ipmi0).
	BMC collectors.SourceOptions
}

// Manifest is capture.json: what the capture holds and how it was made.
type Manifest struct {
	// Format is the manifest's format version.
	Format  int       `json:"format"`
	Version string    `json:"redwatch_version"`
	Host    string    `json:"host"`
	Time    time.Time `json:"time"`
	// Roots are the roots read, as given (/sys, /proc, /dev on a host).
	Roots map[string]string `json:"roots"`
	// Files are the files read, by their name in the archive.
	Files []string `json:"files"`
	// Links are the symlinks on the way to them, kept as symlinks.
	Links []Link `json:"links"`
	// Outputs are the tool outputs recorded (smartctl, IPMI, RAID tools, LLDP).
	Outputs []string `json:"outputs,omitempty"`
	// Absent are the files a collector looked for that do not exist (absent
	// hardware): not an error, and absent from the capture as from the host.
	Absent []string `json:"absent,omitempty"`
	// NoValue are the attributes the kernel had no value for (EINVAL,
	// EOPNOTSUPP, ENODATA: carrier and speed of an interface that is down),
	// which the collectors read as unknown without an error; absent from
	// the capture, they read the same there.
	NoValue []string `json:"no_value,omitempty"`
	// Failures are the reads that failed, and why: the capture does not have
	// them, so an audit of it may differ there.
	Failures []Failure `json:"failures,omitempty"`
	// Excluded are paths read but never archived (Options.Exclude).
	Excluded []string `json:"excluded,omitempty"`
	// CollectorErrors are the pass's collector errors, as audit reports them.
	CollectorErrors []Failure `json:"collector_errors,omitempty"`
}

// Link is a symlink in the archive.
type Link struct {
	Path   string `json:"path"`
	Target string `json:"target"`
}

// Failure is a path that could not be read (or archived) and why.
type Failure struct {
	Path  string `json:"path"`
	Error string `json:"error"`
}

// tree is the archive being built: names relative to its top, without a
// leading slash, cleaned.
type tree struct {
	dirs  map[string]bool
	links map[string]string
	files map[string][]byte
}

// Capture runs one pass over o.Roots recording its reads, and writes the
// archive of them to w. It returns the manifest written.
func Capture(ctx context.Context, w io.Writer, o Options) (*Manifest, error) {
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	rec := hostfs.StartRecording()
	snap := (&collectors.Runner{Clock: o.Clock, Sources: o.Sources, Options: o.BMC}).Collect(ctx, o.Roots, o.Timeout)
	rec.Stop()

	m := &Manifest{Format: 1, Version: o.Version, Host: snap.Host, Time: o.Clock.Now().UTC(),
		Roots: map[string]string{}, Files: []string{}, Links: []Link{}}
	tops := []struct{ name, dir string }{{"sys", o.Roots.Sys}, {"proc", o.Roots.Proc}, {"dev", o.Roots.Dev}}
	if d := collectors.SmartctlDir(o.Roots); d != "" {
		tops = append(tops, struct{ name, dir string }{"smartctl", d}) // a captured tree's smartctl outputs
	}
	for _, t := range tops {
		if t.dir != "" {
			m.Roots[t.name] = t.dir
		}
	}
	for _, e := range snap.Errors {
		m.CollectorErrors = append(m.CollectorErrors, Failure{Path: e.Path, Error: e.Collector + ": " + e.Err.Error()})
	}
	t := &tree{dirs: map[string]bool{}, links: map[string]string{}, files: map[string][]byte{}}
	for _, rd := range rec.Reads() {
		if excluded(rd.Path, o.Exclude) {
			m.Excluded = append(m.Excluded, rd.Path)
			continue
		}
		top, root, rel, ok := under(rd.Path, tops)
		if !ok {
			continue // not under a root: nothing of the host's hardware
		}
		switch {
		case rd.Err != nil && errors.Is(rd.Err, fs.ErrNotExist):
			m.Absent = append(m.Absent, rd.Path)
			continue
		case noValue(rd.Err):
			m.NoValue = append(m.NoValue, rd.Path)
			continue
		case rd.Err != nil:
			m.Failures = append(m.Failures, Failure{Path: rd.Path, Error: rd.Err.Error()})
			continue
		}
		if err := t.add(root, top, rel, rd, 0); err != nil {
			m.Failures = append(m.Failures, Failure{Path: rd.Path, Error: err.Error()})
		}
	}
	for _, out := range rec.Outputs() {
		name := path.Clean(out.Name)
		if !fs.ValidPath(name) || name == "." {
			m.Failures = append(m.Failures, Failure{Path: out.Name, Error: "capture: tool output name is not a relative path inside the tree"})
			continue
		}
		t.parents(name)
		t.files[name] = out.Data
		m.Outputs = append(m.Outputs, name)
	}
	for name := range t.files {
		m.Files = append(m.Files, name)
	}
	sort.Strings(m.Files)
	for name, target := range t.links {
		m.Links = append(m.Links, Link{Path: name, Target: target})
	}
	sort.Slice(m.Links, func(i, j int) bool { return m.Links[i].Path < m.Links[j].Path })
	return m, t.write(w, m)
}

// noValue reports whether err is a sysfs attribute's "no value now".
func noValue(err error) bool {
	return errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.EOPNOTSUPP) || errors.Is(err, syscall.ENODATA)
}

// excluded reports whether p is one of ex or under one.
func excluded(p string, ex []string) bool {
	for _, e := range ex {
		if e == "" {
			continue
		}
		e = filepath.Clean(e)
		if p == e || strings.HasPrefix(p, strings.TrimSuffix(e, "/")+"/") {
			return true
		}
	}
	return false
}

// under finds the root p is under: the archive's top folder for it, the
// root and p relative to it.
func under(p string, tops []struct{ name, dir string }) (top, root, rel string, ok bool) {
	for _, t := range tops {
		if t.dir == "" {
			continue
		}
		r, err := filepath.Rel(t.dir, p)
		if err != nil || r == "." || !filepath.IsLocal(r) {
			continue
		}
		return t.name, t.dir, filepath.ToSlash(r), true
	}
	return "", "", "", false
}

// add archives rel (relative to root, archived under top): every directory
// and symlink on its way, resolved as the kernel resolves them, and at its
// end the data read (or, for a path only noted, what is there now).
func (t *tree) add(root, top, rel string, rd hostfs.Read, depth int) error {
	if depth > maxLinks {
		return errors.New("capture: too many levels of symbolic links")
	}
	parts := strings.Split(rel, "/")
	cur := ""
	for i, p := range parts {
		next := path.Join(cur, p)
		last := i == len(parts)-1
		if !last && t.dirs[path.Join(top, next)] {
			cur = next // walked before: a directory, not a link
			continue
		}
		src := filepath.Join(root, filepath.FromSlash(next))
		fi, err := os.Lstat(src)
		if err != nil {
			return fmt.Errorf("capture: %w", err)
		}
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(src)
			if err != nil {
				return fmt.Errorf("capture: %w", err)
			}
			resolved := path.Join(path.Dir(next), target)
			if path.IsAbs(target) || !fs.ValidPath(resolved) {
				return fmt.Errorf("capture: symlink %s -> %s leaves %s", src, target, root)
			}
			t.parents(path.Join(top, next))
			t.links[path.Join(top, next)] = target
			return t.add(root, top, path.Join(append([]string{resolved}, parts[i+1:]...)...), rd, depth+1)
		case !last:
			t.dirs[path.Join(top, next)] = true
		case fi.IsDir():
			t.parents(path.Join(top, next))
			t.dirs[path.Join(top, next)] = true
			if rd.List {
				return t.entries(src, path.Join(top, next))
			}
		default:
			data := rd.Data
			if !rd.Kept {
				if data, err = hostfs.ReadFile(src, maxNotedFile); err != nil {
					return fmt.Errorf("capture: %w", err)
				}
			}
			t.parents(path.Join(top, next))
			t.files[path.Join(top, next)] = data
		}
		cur = next
	}
	return nil
}

// entries archives the entries of the directory src, listed by a
// collector, as name's: symlinks as symlinks, directories empty, files
// empty unless read (a listing reads names, not contents; reading every
// attribute of a sysfs directory could block on one).
func (t *tree) entries(src, name string) error {
	ents, err := os.ReadDir(src)
	if err != nil {
		return fmt.Errorf("capture: %w", err)
	}
	for _, e := range ents {
		n := path.Join(name, e.Name())
		switch {
		case e.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(filepath.Join(src, e.Name()))
			if err != nil || path.IsAbs(target) || !fs.ValidPath(path.Join(path.Dir(n), target)) {
				continue // leaves the tree: not kept
			}
			if _, ok := t.links[n]; !ok && !t.dirs[n] {
				t.links[n] = target
			}
		case e.IsDir():
			t.dirs[n] = true
		default:
			if _, ok := t.files[n]; !ok {
				t.files[n] = []byte{}
			}
		}
	}
	return nil
}

// parents marks every directory above name.
func (t *tree) parents(name string) {
	for d := path.Dir(name); d != "." && d != "/"; d = path.Dir(d) {
		t.dirs[d] = true
	}
}

// write writes the manifest and the tree as a gzipped tar, parents before
// children, names relative and clean.
func (t *tree) write(w io.Writer, m *Manifest) error {
	man, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("capture: %w", err)
	}
	man = append(man, '\n')
	zw := gzip.NewWriter(w)
	tw := tar.NewWriter(zw)
	mt := m.Time
	hdr := func(h *tar.Header) error {
		h.ModTime, h.Format = mt, tar.FormatPAX
		return tw.WriteHeader(h)
	}
	if err := hdr(&tar.Header{Name: ManifestName, Mode: 0o644, Size: int64(len(man)), Typeflag: tar.TypeReg}); err != nil {
		return fmt.Errorf("capture: %w", err)
	}
	if _, err := tw.Write(man); err != nil {
		return fmt.Errorf("capture: %w", err)
	}
	seen := map[string]bool{}
	for n := range t.dirs {
		seen[n] = true
	}
	for n := range t.links {
		seen[n] = true
	}
	for n := range t.files {
		seen[n] = true
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names) // a parent sorts before its children
	for _, n := range names {
		var err error
		_, isFile := t.files[n]
		switch {
		case t.links[n] != "":
			err = hdr(&tar.Header{Name: n, Linkname: t.links[n], Mode: 0o777, Typeflag: tar.TypeSymlink})
		case isFile:
			data := t.files[n]
			if err = hdr(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}); err == nil {
				_, err = tw.Write(data)
			}
		default:
			err = hdr(&tar.Header{Name: n + "/", Mode: 0o755, Typeflag: tar.TypeDir})
		}
		if err != nil {
			return fmt.Errorf("capture: %w", err)
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("capture: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("capture: %w", err)
	}
	return nil
}
