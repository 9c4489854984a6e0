package daemon

import (
	"bufio"
	"bytes"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strconv"
	"strings"
)

// ReleaseStartupMemory returns to the kernel what only the daemon's start
// needed, once its first pass is done: the heap that the start and the first
// pass grew (debug.FreeOSMemory) and the executable's read-only pages (code,
// read-only data, the function tables) that the start touched. The kernel
// maps a program's code 64 KiB around each page it runs ("fault-around"),
// so the package initialisers, the flag and configuration parsing and the
// first pass leave almost all of the binary mapped; after this, only the
// pages the passes and the endpoint use come back, from the page cache, at
// their next use. Mappings with a private (copied) page — a debugger's
// breakpoint, a uprobe — are left alone, as is everything where the kernel
// offers no such advice (not Linux).
func ReleaseStartupMemory(log *slog.Logger) {
	before := residentKiB()
	debug.FreeOSMemory()
	n, err := dropExecutablePages()
	if err != nil {
		log.Debug("start-up memory: executable pages kept", "err", err)
	}
	log.Debug("start-up memory released", "rss_before_kib", before, "rss_after_kib", residentKiB(), "executable_mappings", n)
}

// execMapping is one mapping of the executable in /proc/self/smaps.
type execMapping struct {
	start, end uint64
	// private is the mapping's anonymous (copied-on-write) KiB: a page
	// someone wrote, which dropping would undo.
	private  uint64
	writable bool
}

// parseSmaps returns the mappings of the file dev:ino (dev as the kernel
// prints it, "fe:00") in an smaps text (/proc/PID/smaps).
func parseSmaps(data []byte, dev string, ino uint64) ([]execMapping, error) {
	var (
		out []execMapping
		cur *execMapping
	)
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if lo, hi, ok := strings.Cut(f[0], "-"); ok && !strings.HasSuffix(f[0], ":") {
			// A mapping's header: range perms offset dev inode [path].
			cur = nil
			if len(f) < 5 {
				return nil, fmt.Errorf("daemon: smaps line %d: %d fields in a mapping header, want 5 or more", line, len(f))
			}
			start, err1 := strconv.ParseUint(lo, 16, 64)
			end, err2 := strconv.ParseUint(hi, 16, 64)
			inode, err3 := strconv.ParseUint(f[4], 10, 64)
			if err1 != nil || err2 != nil || err3 != nil || end < start || len(f[1]) < 2 {
				return nil, fmt.Errorf("daemon: smaps line %d: bad mapping header %q", line, sc.Text())
			}
			if f[3] != dev || inode != ino {
				continue
			}
			out = append(out, execMapping{start: start, end: end, writable: f[1][1] == 'w'})
			cur = &out[len(out)-1]
			continue
		}
		if cur != nil && f[0] == "Anonymous:" && len(f) >= 2 {
			kib, err := strconv.ParseUint(f[1], 10, 64)
			if err != nil {
				return nil, fmt.Errorf("daemon: smaps line %d: bad Anonymous %q", line, f[1])
			}
			cur.private = kib
		}
	}
	return out, sc.Err()
}
