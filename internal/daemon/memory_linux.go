//go:build linux

package daemon

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// dropExecutablePages advises the kernel that the executable's read-only
// mappings without a private page are not needed (MADV_DONTNEED): their
// page table entries go, the pages stay in the page cache and map again at
// their next use. It returns how many mappings it advised.
func dropExecutablePages() (int, error) {
	maps, err := executableMappings()
	if err != nil {
		return 0, err
	}
	n := 0
	for _, m := range maps {
		if m.writable || m.private > 0 {
			continue
		}
		if _, _, e := unix.Syscall(unix.SYS_MADVISE, uintptr(m.start), uintptr(m.end-m.start), unix.MADV_DONTNEED); e != 0 {
			return n, fmt.Errorf("daemon: madvise %#x-%#x: %w", m.start, m.end, e)
		}
		n++
	}
	return n, nil
}

// executableMappings are the mappings of the running executable, found in
// /proc/self/smaps by the device and inode of /proc/self/exe (which still
// names it after a package upgrade replaced the file).
func executableMappings() ([]execMapping, error) {
	var st unix.Stat_t
	if err := unix.Stat("/proc/self/exe", &st); err != nil {
		return nil, fmt.Errorf("daemon: executable: %w", err)
	}
	smaps, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		return nil, fmt.Errorf("daemon: %w", err)
	}
	dev := fmt.Sprintf("%02x:%02x", unix.Major(uint64(st.Dev)), unix.Minor(uint64(st.Dev))) // uint32 on mips
	return parseSmaps(smaps, dev, uint64(st.Ino))
}

// residentKiB is the process's resident set (VmRSS), 0 if unknown.
func residentKiB() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}
