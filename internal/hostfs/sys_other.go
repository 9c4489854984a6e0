//go:build !linux

package hostfs

import (
	"errors"

	"golang.org/x/sys/unix"
)

// openat is unix.Openat of the NUL-terminated name (see sys_linux.go).
func openat(dirfd int, cname []byte, flags int) (int, error) {
	return unix.Openat(dirfd, string(cname[:len(cname)-1]), flags, 0)
}

// readlinkat is unix.Readlinkat of the NUL-terminated name.
func readlinkat(dirfd int, cname, buf []byte) (int, error) {
	return unix.Readlinkat(dirfd, string(cname[:len(cname)-1]), buf)
}

// getdents is not available: Dir.Names is Linux only.
func getdents(int, []byte) (int, error) { return 0, errors.ErrUnsupported }

// faccessat is unix.Faccessat F_OK of the NUL-terminated name.
func faccessat(dirfd int, cname []byte) error {
	return unix.Faccessat(dirfd, string(cname[:len(cname)-1]), unix.F_OK, 0)
}
