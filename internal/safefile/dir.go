package safefile

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// ErrInsecureDir is wrapped by the error for a directory that someone other
// than its owner can write to, or that another user owns.
var ErrInsecureDir = errors.New("insecure directory")

// ErrNotDir is wrapped by the error for a directory path that is something else.
var ErrNotDir = errors.New("not a directory")

// ErrSymlink is wrapped by the error for a symbolic link where a file of the
// state directory belongs.
var ErrSymlink = errors.New("is a symbolic link")

// CheckDir refuses a directory that its group or others can write to, or
// that neither root nor the running user owns, as ssh refuses such a
// directory for its keys: whoever can write to it can plant a link or
// replace the files redwatch trusts. Group- and world-readable is fine.
func CheckDir(path string) error {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return &RefusedError{Path: path, Kind: ErrNotDir, Reason: "is " + kind(st.Mode) + ", not a directory"}
	}
	if euid := uint32(os.Geteuid()); st.Uid != 0 && st.Uid != euid {
		return &RefusedError{Path: path, Kind: ErrInsecureDir,
			Reason: fmt.Sprintf("is owned by uid %d, not by root or the running user (uid %d); refused as ssh refuses such a directory: chown it", st.Uid, euid)}
	}
	if perm := st.Mode & 0o777; perm&0o022 != 0 {
		who := "others"
		if perm&0o002 == 0 {
			who = "its group"
		}
		return &RefusedError{Path: path, Kind: ErrInsecureDir,
			Reason: fmt.Sprintf("is writable by %s (mode %04o), so anyone there could plant links or files in it; refused as ssh refuses such a directory: chmod go-w it", who, perm)}
	}
	return nil
}

// MkdirChecked creates the directory path (and its parents) with perm when
// it is absent, then checks it with CheckDir.
func MkdirChecked(path string, perm os.FileMode) error {
	if err := os.MkdirAll(path, perm); err != nil {
		return err
	}
	return CheckDir(path)
}

// OpenNoFollow opens path for reading like Open, but refuses a symbolic link
// as the last component: for the files of the state directory.
func OpenNoFollow(path string) (*os.File, error) {
	return OpenFileNoFollow(path, unix.O_RDONLY, 0)
}

// ReadFileNoFollow is ReadFile with OpenNoFollow.
func ReadFileNoFollow(path string, limit int64) ([]byte, error) {
	f, err := OpenNoFollow(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readAll(f, path, limit)
}

// OpenFileNoFollow opens path with flags (unix.O_RDWR|unix.O_CREAT, ...)
// without following a symbolic link in its last component and without
// blocking, and refuses anything but a regular file.
func OpenFileNoFollow(path string, flags int, perm uint32) (*os.File, error) {
	fd, err := unix.Open(path, flags|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC|unix.O_NOCTTY, perm)
	if err != nil {
		return nil, noFollowError(path, err)
	}
	return regular(fd, path)
}

// noFollowError says plainly that a link was refused (open(2) says ELOOP).
func noFollowError(path string, err error) error {
	if errors.Is(err, unix.ELOOP) {
		return &RefusedError{Path: path, Kind: ErrSymlink,
			Reason: "is a symbolic link: refused, files in the state directory are never opened through a link"}
	}
	return &fs.PathError{Op: "open", Path: path, Err: err}
}

// WriteAtomic makes path hold data with mode perm, or leaves it as it was,
// even across a power cut: a new temporary file in path's directory
// (created relative to the directory's descriptor, never through a link),
// fsync, rename over path (which replaces a link rather than following it)
// and, when syncDir, an fsync of the directory.
func WriteAtomic(path string, data []byte, perm uint32, syncDir bool) (err error) {
	dir, name := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	dfd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return &fs.PathError{Op: "open", Path: dir, Err: err}
	}
	defer unix.Close(dfd)
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	tmp := "." + name + ".tmp-" + hex.EncodeToString(rnd[:])
	fd, err := unix.Openat(dfd, tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, perm)
	if err != nil {
		return &fs.PathError{Op: "create", Path: filepath.Join(dir, tmp), Err: err}
	}
	f := os.NewFile(uintptr(fd), filepath.Join(dir, tmp))
	defer func() {
		if err != nil {
			_ = unix.Unlinkat(dfd, tmp, 0)
		}
	}()
	if _, err = f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("safefile: writing %s: %w", f.Name(), err)
	}
	if err = f.Chmod(os.FileMode(perm)); err != nil { // the umask may have narrowed it
		f.Close()
		return fmt.Errorf("safefile: %w", err)
	}
	if err = f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("safefile: fsync %s: %w", f.Name(), err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("safefile: %w", err)
	}
	if err = unix.Renameat(dfd, tmp, dfd, name); err != nil {
		return &fs.PathError{Op: "rename", Path: path, Err: err}
	}
	if syncDir {
		if err = unix.Fsync(dfd); err != nil {
			return &fs.PathError{Op: "fsync", Path: dir, Err: err}
		}
	}
	return nil
}

// SyncDir fsyncs the directory dir so that the renames and creates in it
// are durable: after a batch of WriteAtomic calls without their own syncDir.
func SyncDir(dir string) error {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return &fs.PathError{Op: "open", Path: dir, Err: err}
	}
	defer unix.Close(fd)
	if err := unix.Fsync(fd); err != nil {
		return &fs.PathError{Op: "fsync", Path: dir, Err: err}
	}
	return nil
}
