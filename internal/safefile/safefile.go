// Package safefile opens the files redwatch reads from paths an operator
// names (the configuration, secret files, the web configuration) and the
// files in its state directory, so that a FIFO, a device, a directory or a
// planted symbolic link cannot hang a command or redirect a write.
//
// Open never blocks: it opens with O_NONBLOCK (a FIFO without a writer
// would block open(2) forever), then fstats the open file and refuses
// anything that is not a regular file. Dir opens the files of one directory
// relative to the directory's own descriptor with O_NOFOLLOW, after checking
// that nobody but its owner (root or the running user) can write to it.
package safefile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// ErrNotRegular is wrapped by the error for a path that is not a regular file.
var ErrNotRegular = errors.New("not a regular file")

// ErrTooLarge is wrapped by the error for a file larger than the caller allows.
var ErrTooLarge = errors.New("file too large")

// RefusedError is a path refused for what it is. Its message says why in
// full; errors.Is matches its Kind (ErrNotRegular, ErrNotDir,
// ErrInsecureDir, ErrSymlink). It does not unwrap, so that code reporting
// the innermost error of a chain still reports the reason.
type RefusedError struct {
	Path   string
	Reason string
	Kind   error
}

func (e *RefusedError) Error() string { return "safefile: " + e.Path + " " + e.Reason }

// Is reports whether target is e's Kind.
func (e *RefusedError) Is(target error) bool { return target == e.Kind }

// Open opens path for reading without blocking and refuses anything that is
// not a regular file (a FIFO, a socket, a device or a directory) with an
// error naming the path and what it is. Symbolic links are followed: the
// operator may link a configuration file into place.
func Open(path string) (*os.File, error) {
	return openRegular(path, unix.O_RDONLY)
}

// ReadFile reads the regular file at path, at most limit bytes; a larger file
// is an error wrapping ErrTooLarge.
func ReadFile(path string, limit int64) ([]byte, error) {
	f, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readAll(f, path, limit)
}

func readAll(f *os.File, path string, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("safefile: reading %s: %w", path, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("safefile: %s is larger than %d bytes: %w", path, limit, ErrTooLarge)
	}
	return b, nil
}

// Check reports whether path is a regular file that Open would accept,
// without reading it.
func Check(path string) error {
	f, err := Open(path)
	if err != nil {
		return err
	}
	return f.Close()
}

func openRegular(path string, flags int) (*os.File, error) {
	fd, err := unix.Open(path, flags|unix.O_NONBLOCK|unix.O_CLOEXEC|unix.O_NOCTTY, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	return regular(fd, path)
}

// regular checks that fd is a regular file and returns it as an *os.File
// (closing fd otherwise). O_NONBLOCK is cleared: it only served the open.
func regular(fd int, path string) (*os.File, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, &fs.PathError{Op: "fstat", Path: path, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		unix.Close(fd)
		return nil, &RefusedError{Path: path, Kind: ErrNotRegular, Reason: "is " + kind(st.Mode) + ", not a regular file: refused"}
	}
	if err := unix.SetNonblock(fd, false); err != nil {
		unix.Close(fd)
		return nil, &fs.PathError{Op: "fcntl", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
}

// kind names a file type for an error message.
func kind(mode uint32) string {
	switch mode & unix.S_IFMT {
	case unix.S_IFIFO:
		return "a FIFO (named pipe)"
	case unix.S_IFDIR:
		return "a directory"
	case unix.S_IFCHR:
		return "a character device"
	case unix.S_IFBLK:
		return "a block device"
	case unix.S_IFSOCK:
		return "a socket"
	case unix.S_IFLNK:
		return "a symbolic link"
	}
	return fmt.Sprintf("of type %#o", mode&unix.S_IFMT)
}
