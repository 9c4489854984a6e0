package hostfs

import (
	"errors"
	"io/fs"
	"os"
	"strings"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Dir is an open directory whose attributes, links and entries a Reader
// reads by name, relative to it (openat, readlinkat, getdents): the kernel
// walks the directory's long sysfs path once, not once per attribute, and
// no path is built per read. Close it when done.
type Dir struct {
	fd int
	// path is the directory's path (for errors and captures); dir and
	// name, when name is set, are its parent's path and its name in it,
	// joined only when the path is asked for.
	dir, name string
}

// Path is the directory's path as it was opened.
func (d Dir) Path() string {
	if d.name == "" {
		return d.dir
	}
	return d.dir + "/" + d.name
}

// Join is the path of name in the directory, for errors and captures.
func (d Dir) Join(name string) string { return d.Path() + "/" + name }

// Close closes the directory.
func (d Dir) Close() { unix.Close(d.fd) }

// Reader reads through Dirs with raw system calls into buffers of its own,
// so that a read allocates nothing: the bytes a read returns are valid until
// the Reader's next read. A Reader is for one goroutine; get one with
// NewReader and give it back with Release.
type Reader struct {
	cname [maxPath + 1]byte // the NUL-terminated name of the system call
	buf   [MaxAttrSize]byte // what ReadAt and ReadlinkAt return
	dents [8 << 10]byte     // getdents records
}

var readers = sync.Pool{New: func() any { return new(Reader) }}

// NewReader returns a Reader (pooled: Release it when done).
func NewReader() *Reader { return readers.Get().(*Reader) }

// Release gives the Reader back; the bytes it returned are no longer valid.
func (r *Reader) Release() { readers.Put(r) }

// OpenDir opens the directory path (following links). Its error is the
// *os.PathError os.Open returns; a capture notes the directory when Names
// lists it.
func (r *Reader) OpenDir(path string) (Dir, error) {
	defer untrack(track(path, "", ""))
	fd, err := r.open(unix.AT_FDCWD, path, unix.O_DIRECTORY)
	if err != nil {
		err = &os.PathError{Op: "open", Path: path, Err: err}
		record(Read{Path: path, Err: err, List: true}) // as a failed listing: Names records the entries
		return Dir{fd: -1, dir: path}, err             // the path still names it
	}
	return Dir{fd: fd, dir: path}, nil
}

// OpenDirAt opens the directory name (a name or a relative path, following
// links) in d. Its error is an *os.PathError naming d's path joined to name.
func (r *Reader) OpenDirAt(d Dir, name string) (Dir, error) {
	fd, err := r.open(d.fd, name, unix.O_DIRECTORY)
	if err != nil {
		return Dir{fd: -1}, &os.PathError{Op: "open", Path: d.Join(name), Err: err}
	}
	if d.name != "" {
		return Dir{fd: fd, dir: d.Path(), name: name}, nil
	}
	return Dir{fd: fd, dir: d.dir, name: name}, nil
}

// ReadAt reads the attribute name (a name or a relative path, following
// links) of d with one bounded read of at most MaxAttrSize bytes, as
// ReadAttr does. The bytes are valid until the Reader's next read; the
// error is the bare errno (unix.Errno, errors.Is(err, fs.ErrNotExist) works)
// for the caller to name with d.Join(name), so that an absent attribute
// costs no allocation.
func (r *Reader) ReadAt(d Dir, name string) ([]byte, error) {
	return r.readAt(d, "", name, 0)
}

// ReadAtNoFollow is ReadAt refusing a link as the last element of name (ELOOP).
func (r *Reader) ReadAtNoFollow(d Dir, name string) ([]byte, error) {
	return r.readAt(d, "", name, unix.O_NOFOLLOW)
}

// ReadAtSub is ReadAt of sub/name in d, without building that path.
func (r *Reader) ReadAtSub(d Dir, sub, name string) ([]byte, error) {
	return r.readAt(d, sub, name, 0)
}

// ReadAtIfExists is ReadAt for an attribute that may well be absent: its
// error is then fs.ErrNotExist itself, which costs no allocation.
func (r *Reader) ReadAtIfExists(d Dir, name string) ([]byte, error) {
	return r.readAt(d, "", name, absentBare)
}

// absentBare is a readAt flag (not an open flag): ENOENT is fs.ErrNotExist.
const absentBare = 1 << 30 // no open(2) flag uses bit 30; fits a 32-bit int

func (r *Reader) readAt(d Dir, sub, name string, flags int) ([]byte, error) {
	defer untrack(track(d.Path(), sub, name))
	fd, err := r.openSub(d.fd, sub, name, flags&^absentBare)
	if err != nil {
		r.record(d, sub, name, "open", nil, err)
		if flags&absentBare != 0 && errors.Is(err, unix.ENOENT) {
			return nil, fs.ErrNotExist
		}
		return nil, &os.PathError{Op: "open", Path: d.join(sub, name), Err: err}
	}
	n, err := readFd(fd, r.buf[:])
	unix.Close(fd)
	if err != nil {
		r.record(d, sub, name, "read", nil, err)
		return nil, &os.PathError{Op: "read", Path: d.join(sub, name), Err: err}
	}
	r.record(d, sub, name, "", r.buf[:n], nil)
	return r.buf[:n], nil
}

// Exists reports whether sub/name (name when sub is "") in d exists,
// following links (faccessat F_OK); an error other than ENOENT (EACCES)
// counts as existing, so that the caller's read reports it.
func (r *Reader) Exists(d Dir, sub, name string) bool {
	c, err := cstr2(r.cname[:], sub, name)
	if err != nil {
		return true
	}
	err = faccessat(d.fd, c)
	r.record(d, sub, name, "readlink", nil, err)
	return !errors.Is(err, unix.ENOENT)
}

// ReadlinkAt returns the target of the link name in d (readlinkat), valid
// until the Reader's next read; the error is the bare errno (EINVAL: not a
// link), or ENAMETOOLONG for a target longer than MaxAttrSize.
func (r *Reader) ReadlinkAt(d Dir, name string) ([]byte, error) {
	return r.readlink(d.fd, "", name, d)
}

// ReadlinkIn is ReadlinkAt of dir/name given by path (dir names the
// directory, so that its path need not be built): readlinkat from the
// working directory.
func (r *Reader) ReadlinkIn(dir, name string) ([]byte, error) {
	return r.readlink(unix.AT_FDCWD, dir, name, Dir{dir: dir})
}

// readlink reads the link sub/name (name when sub is "") relative to dirfd
// into r.buf; a capture notes it as name in d.
func (r *Reader) readlink(dirfd int, sub, name string, d Dir) ([]byte, error) {
	c, err := cstr2(r.cname[:], sub, name)
	if err != nil {
		return nil, err
	}
	n, err := readlinkat(dirfd, c, r.buf[:])
	if err == nil && n >= len(r.buf) {
		err = unix.ENAMETOOLONG
	}
	r.record(d, "", name, "readlink", nil, err)
	if err != nil {
		return nil, err
	}
	return r.buf[:n], nil
}

// Names calls fn with the name and type (unix.DT_DIR, DT_LNK, DT_REG, or
// DT_UNKNOWN when the filesystem does not say) of each entry of d but "."
// and "..", in the directory's order, and lists d only once. The name is
// valid only during fn (strings.Clone it to keep it), and fn must not call
// Names on the same Reader. The error is an *os.PathError naming d.
func (r *Reader) Names(d Dir, fn func(name string, typ byte)) error {
	err := r.names(d, fn)
	record(Read{Path: d.Path(), Err: err, List: true})
	return err
}

func (r *Reader) names(d Dir, fn func(name string, typ byte)) error {
	for {
		n, err := getdents(d.fd, r.dents[:])
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return &os.PathError{Op: "readdirent", Path: d.Path(), Err: err}
		}
		if n <= 0 {
			return nil
		}
		// linux_dirent64: d_ino u64, d_off s64, d_reclen u16, d_type u8, d_name NUL-terminated.
		for b := r.dents[:n]; len(b) >= 19; {
			reclen := int(b[16]) | int(b[17])<<8
			if reclen < 19 || reclen > len(b) {
				return &os.PathError{Op: "readdirent", Path: d.Path(), Err: unix.EIO}
			}
			typ, nm := b[18], b[19:reclen]
			for i, c := range nm {
				if c == 0 {
					nm = nm[:i]
					break
				}
			}
			if len(nm) > 0 && !(len(nm) == 1 && nm[0] == '.') && !(len(nm) == 2 && nm[0] == '.' && nm[1] == '.') {
				fn(unsafe.String(&nm[0], len(nm)), typ)
			}
			b = b[reclen:]
		}
	}
}

// open opens name relative to dirfd read-only and close-on-exec (with
// flags added), retrying EINTR; the error is the bare errno.
func (r *Reader) open(dirfd int, name string, flags int) (int, error) {
	return r.openSub(dirfd, "", name, flags)
}

// openSub is open of sub/name (name when sub is "").
func (r *Reader) openSub(dirfd int, sub, name string, flags int) (int, error) {
	c, err := cstr2(r.cname[:], sub, name)
	if err != nil {
		return -1, err
	}
	for {
		fd, err := openat(dirfd, c, unix.O_RDONLY|unix.O_CLOEXEC|flags)
		if !errors.Is(err, unix.EINTR) {
			return fd, err
		}
	}
}

// record tells a capture about a read of sub/name in d (op "readlink" for
// a link or a lookup: the path is noted, the capture reads it itself; else
// the op that failed, if err is set); it builds the path only while
// recording.
func (r *Reader) record(d Dir, sub, name, op string, data []byte, err error) {
	if !Recording() {
		return
	}
	p := d.join(sub, name)
	if err != nil {
		err = &os.PathError{Op: op, Path: p, Err: err}
	}
	record(Read{Path: p, Data: data, Err: err, Kept: op != "readlink"})
}

// join is the path of sub/name (name when sub is "") in d.
func (d Dir) join(sub, name string) string {
	if sub == "" {
		return d.Join(name)
	}
	return d.Path() + "/" + sub + "/" + name
}

// cstr2 copies sub + "/" + name (name alone when sub is "") into buf
// NUL-terminated, as cstr does.
func cstr2(buf []byte, sub, name string) ([]byte, error) {
	if sub == "" {
		return cstr(buf, name)
	}
	if len(sub)+1+len(name) >= len(buf) {
		return nil, unix.ENAMETOOLONG
	}
	if strings.IndexByte(sub, 0) >= 0 || strings.IndexByte(name, 0) >= 0 {
		return nil, unix.EINVAL
	}
	n := copy(buf, sub)
	buf[n] = '/'
	n += 1 + copy(buf[n+1:], name)
	buf[n] = 0
	return buf[:n+1], nil
}
