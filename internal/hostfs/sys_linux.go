//go:build linux

package hostfs

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// openat is openat(2) of the NUL-terminated name relative to dirfd (a path
// when dirfd is unix.AT_FDCWD), made with the name's bytes as they are:
// unix.Openat would copy a string name to a new NUL-terminated buffer on
// every call.
func openat(dirfd int, cname []byte, flags int) (int, error) {
	fd, _, e := unix.Syscall6(unix.SYS_OPENAT, uintptr(dirfd), uintptr(unsafe.Pointer(&cname[0])), uintptr(flags), 0, 0, 0)
	if e != 0 {
		return -1, e
	}
	return int(fd), nil
}

// readlinkat is readlinkat(2) of the NUL-terminated name relative to dirfd
// into buf, without copying the name.
func readlinkat(dirfd int, cname, buf []byte) (int, error) {
	n, _, e := unix.Syscall6(unix.SYS_READLINKAT, uintptr(dirfd), uintptr(unsafe.Pointer(&cname[0])), uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)), 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

// getdents reads directory entries of fd into buf (linux_dirent64 records).
func getdents(fd int, buf []byte) (int, error) { return unix.Getdents(fd, buf) }

// faccessat is faccessat(2) F_OK of the NUL-terminated name relative to
// dirfd, following links: whether it exists.
func faccessat(dirfd int, cname []byte) error {
	_, _, e := unix.Syscall(unix.SYS_FACCESSAT, uintptr(dirfd), uintptr(unsafe.Pointer(&cname[0])), unix.F_OK)
	if e != 0 {
		return e
	}
	return nil
}
