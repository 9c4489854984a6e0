//go:build !linux

package daemon

import "errors"

// dropExecutablePages needs Linux (MADV_DONTNEED on /proc/self/smaps' mappings).
func dropExecutablePages() (int, error) {
	return 0, errors.New("daemon: dropping executable pages needs Linux")
}

// residentKiB is unknown off Linux.
func residentKiB() uint64 { return 0 }
