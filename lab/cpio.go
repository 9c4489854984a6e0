package lab

import (
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"
)

// Archive is an initramfs being assembled: files, directories, symlinks and
// device nodes by path. Write packs it as a gzip'd cpio "newc" archive, the
// format `find . | cpio -o -H newc | gzip` produces, deterministically:
// entries sorted by path, every mtime, uid and gid zero, so the same inputs
// give the same bytes.
type Archive struct {
	entries map[string]*entry
}

type entry struct {
	mode   uint32 // file type and permission bits, as in cpio
	data   []byte // file contents or symlink target
	src    string // file to read the contents from, when data is nil
	rmajor uint32
	rminor uint32
}

// cpio file type bits.
const (
	cpioDir     = 0o040000
	cpioFile    = 0o100000
	cpioSymlink = 0o120000
	cpioChar    = 0o020000
)

// NewArchive returns an empty archive.
func NewArchive() *Archive { return &Archive{entries: map[string]*entry{}} }

func clean(p string) string { return strings.TrimPrefix(path.Clean("/"+p), "/") }

// Dir adds a directory and its parents.
func (a *Archive) Dir(p string) {
	p = clean(p)
	for p != "." && p != "" {
		if _, ok := a.entries[p]; !ok {
			a.entries[p] = &entry{mode: cpioDir | 0o755}
		}
		p = path.Dir(p)
	}
}

func (a *Archive) add(p string, e *entry) {
	p = clean(p)
	a.Dir(path.Dir(p))
	a.entries[p] = e
}

// Bytes adds a regular file with the given contents and permissions.
func (a *Archive) Bytes(p string, perm os.FileMode, data []byte) {
	a.add(p, &entry{mode: cpioFile | uint32(perm.Perm()), data: data})
}

// File adds a regular file copied from src on the host (following symlinks)
// with the given permissions. src is read when the archive is written.
func (a *Archive) File(p string, perm os.FileMode, src string) {
	a.add(p, &entry{mode: cpioFile | uint32(perm.Perm()), src: src})
}

// Symlink adds a symbolic link to target.
func (a *Archive) Symlink(p, target string) {
	a.add(p, &entry{mode: cpioSymlink | 0o777, data: []byte(target)})
}

// CharDev adds a character device node, e.g. /dev/console (5, 1).
func (a *Archive) CharDev(p string, perm os.FileMode, major, minor uint32) {
	a.add(p, &entry{mode: cpioChar | uint32(perm.Perm()), rmajor: major, rminor: minor})
}

// Paths are the archive's paths in the order Write writes them.
func (a *Archive) Paths() []string {
	ps := make([]string, 0, len(a.entries))
	for p := range a.entries {
		ps = append(ps, p)
	}
	// Sorting puts every directory before what it holds ("bin" < "bin/sh").
	sort.Strings(ps)
	return ps
}

// WriteGzip writes the archive as gzip'd newc cpio.
func (a *Archive) WriteGzip(w io.Writer) error {
	zw, err := gzip.NewWriterLevel(w, gzip.BestSpeed)
	if err != nil {
		return fmt.Errorf("lab: initramfs: %w", err)
	}
	if err := a.WriteCpio(zw); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("lab: initramfs: %w", err)
	}
	return nil
}

// WriteCpio writes the archive as uncompressed newc cpio.
func (a *Archive) WriteCpio(w io.Writer) error {
	ino := uint32(1)
	for _, p := range a.Paths() {
		e := a.entries[p]
		data := e.data
		if e.mode&0o170000 == cpioFile && data == nil && e.src != "" {
			b, err := os.ReadFile(e.src)
			if err != nil {
				return fmt.Errorf("lab: initramfs: %s: %w", p, err)
			}
			data = b
		}
		nlink := uint32(1)
		if e.mode&0o170000 == cpioDir {
			nlink = 2
		}
		if err := writeCpioEntry(w, p, ino, e.mode, nlink, e.rmajor, e.rminor, data); err != nil {
			return err
		}
		ino++
	}
	return writeCpioEntry(w, "TRAILER!!!", 0, 0, 1, 0, 0, nil)
}

// writeCpioEntry writes one newc header, the name and the data, each padded
// to four bytes.
func writeCpioEntry(w io.Writer, name string, ino, mode, nlink, rmajor, rminor uint32, data []byte) error {
	hdr := fmt.Sprintf("070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		ino, mode, 0, 0, nlink, 0, len(data), 0, 0, rmajor, rminor, len(name)+1, 0)
	buf := make([]byte, 0, len(hdr)+len(name)+8)
	buf = append(buf, hdr...)
	buf = append(buf, name...)
	buf = append(buf, 0)
	buf = pad4(buf)
	if _, err := w.Write(buf); err != nil {
		return fmt.Errorf("lab: initramfs: %w", err)
	}
	if len(data) == 0 {
		return nil
	}
	if _, err := w.Write(data); err != nil {
		return fmt.Errorf("lab: initramfs: %w", err)
	}
	if n := len(data) % 4; n != 0 {
		if _, err := w.Write(make([]byte, 4-n)); err != nil {
			return fmt.Errorf("lab: initramfs: %w", err)
		}
	}
	return nil
}

func pad4(b []byte) []byte {
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}
