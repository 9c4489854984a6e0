package hostfs

import (
	"context"
	"errors"
	"fmt"
	"math/bits"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// MaxAttrSize bounds one sysfs/procfs attribute read: a sysfs attribute is
// at most a page.
const MaxAttrSize = 4096

// MaxFileSize bounds a whole procfs file read (/proc/mdstat,
// /proc/net/bonding/*, /proc/self/mountinfo).
const MaxFileSize = 1 << 20

// ErrTooLarge is a file larger than the bound of its read.
var ErrTooLarge = errors.New("larger than the read bound")

// reads holds the reads under way, so that a caller that cut off a hung
// collector can say which file it was stuck in: a blocked read cannot be
// interrupted, but it can be named. A read takes one of a fixed set of slots
// (no allocation per read); only when every slot is taken (reads hung in
// their goroutines) does it go to the overflow map.
var reads struct {
	mu       sync.Mutex
	used     [len(readSlots) / 64]uint64 // bit i set: readSlots[i] is a read under way
	overflow map[uint64]reading          // by seq
}

// readSlots are the reads under way (reads.used says which).
var readSlots [128]reading

// readSeq numbers the reads in the order they began.
var readSeq atomic.Uint64

// reading is one read under way: the file dir/sub/name (the elements that
// are not "").
type reading struct {
	seq            uint64
	dir, sub, name string
}

// path is the file being read.
func (r reading) path() string {
	p := r.dir
	for _, e := range [...]string{r.sub, r.name} {
		if e != "" {
			p += "/" + e
		}
	}
	return p
}

// readToken is what untrack needs to end a tracked read.
type readToken struct {
	slot int // -1: in the overflow map
	seq  uint64
}

// track records a read of dir/sub/name (see reading) until untrack.
func track(dir, sub, name string) readToken {
	r := reading{seq: readSeq.Add(1), dir: dir, sub: sub, name: name}
	reads.mu.Lock()
	defer reads.mu.Unlock()
	for w, used := range reads.used {
		if used == ^uint64(0) {
			continue
		}
		b := bits.TrailingZeros64(^used)
		reads.used[w] |= 1 << b
		i := w*64 + b
		readSlots[i] = r
		return readToken{slot: i, seq: r.seq}
	}
	if reads.overflow == nil {
		reads.overflow = make(map[uint64]reading)
	}
	reads.overflow[r.seq] = r
	return readToken{slot: -1, seq: r.seq}
}

// untrack ends the read t.
func untrack(t readToken) {
	reads.mu.Lock()
	defer reads.mu.Unlock()
	if t.slot < 0 {
		delete(reads.overflow, t.seq)
		return
	}
	readSlots[t.slot] = reading{}
	reads.used[t.slot/64] &^= 1 << (t.slot % 64)
}

// ReadMark is a point in the sequence of reads: the reads that begin after
// it are the ones ReadsSince returns.
func ReadMark() uint64 { return readSeq.Load() }

// ReadsSince returns the paths of the reads that began after mark and have
// not returned yet, the most recent first.
func ReadsSince(mark uint64) []string {
	var rs []reading
	reads.mu.Lock()
	for i := range readSlots {
		if reads.used[i/64]&(1<<(i%64)) != 0 && readSlots[i].seq > mark {
			rs = append(rs, readSlots[i])
		}
	}
	for _, r := range reads.overflow {
		if r.seq > mark {
			rs = append(rs, r)
		}
	}
	reads.mu.Unlock()
	sort.Slice(rs, func(i, j int) bool { return rs[i].seq > rs[j].seq })
	paths := make([]string, len(rs))
	for i, r := range rs {
		paths[i] = r.path()
	}
	return paths
}

// ReadAttr reads a sysfs attribute with one bounded read of MaxAttrSize:
// some hwmon drivers block or misbehave on a second read. It costs three
// system calls (open, read, close: os.Open adds four fcntl and an epoll_ctl
// that fails for sysfs files), reads into a pooled buffer and returns a copy
// of the bytes read, so a pass allocates what attributes hold, not a page per
// attribute. The open blocks as os.Open's does (a FIFO without a writer
// blocks it: ReadAttrTimeout cuts such a read off); errors are the
// *os.PathError os.Open and Read return.
func ReadAttr(path string) (b []byte, err error) {
	defer untrack(track(path, "", ""))
	defer func() { record(Read{Path: path, Data: b, Err: err, Kept: true}) }()
	buf := ioBufs.Get().(*ioBuf)
	defer ioBufs.Put(buf)
	fd, err := openRead(path, buf.cname[:])
	if err != nil {
		return nil, err
	}
	n, err := readFd(fd, buf.data[:])
	unix.Close(fd)
	if err != nil {
		return nil, &os.PathError{Op: "read", Path: path, Err: err}
	}
	return append(make([]byte, 0, n), buf.data[:n]...), nil
}

// ioBuf is the scratch space of one read: the data and the NUL-terminated
// path handed to the kernel.
type ioBuf struct {
	data  [MaxAttrSize]byte
	cname [maxPath + 1]byte
}

// maxPath is the longest path (or name) handed to a system call (PATH_MAX less its NUL).
const maxPath = 4095

// ioBufs are the buffers ReadAttr and ReadFile read through.
var ioBufs = sync.Pool{New: func() any { return new(ioBuf) }}

// fileBufs are the buffers ReadFile reads into (*[]byte), kept only while
// they stay at most maxPooledFileBuf bytes.
var fileBufs = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

const maxPooledFileBuf = 256 << 10

// cstr copies s into buf NUL-terminated and returns it; a name too long for
// buf is ENAMETOOLONG and one holding a NUL EINVAL, as the kernel and
// unix.ByteSliceFromString say.
func cstr(buf []byte, s string) ([]byte, error) {
	if len(s) >= len(buf) {
		return nil, unix.ENAMETOOLONG
	}
	if strings.IndexByte(s, 0) >= 0 {
		return nil, unix.EINVAL
	}
	n := copy(buf, s)
	buf[n] = 0
	return buf[:n+1], nil
}

// openRead opens path read-only, close-on-exec, as os.Open does (retrying
// EINTR), with cname as the scratch space for the kernel's copy of the path,
// and returns its error as os.Open would.
func openRead(path string, cname []byte) (int, error) {
	c, err := cstr(cname, path)
	if err != nil {
		return -1, &os.PathError{Op: "open", Path: path, Err: err}
	}
	for {
		fd, err := openat(unix.AT_FDCWD, c, unix.O_RDONLY|unix.O_CLOEXEC)
		if err == nil {
			return fd, nil
		}
		if !errors.Is(err, unix.EINTR) {
			return -1, &os.PathError{Op: "open", Path: path, Err: err}
		}
	}
}

// readFd is one read(2) into b, retrying EINTR.
func readFd(fd int, b []byte) (int, error) {
	for {
		n, err := unix.Read(fd, b)
		if err == nil {
			return n, nil
		}
		if !errors.Is(err, unix.EINTR) {
			return 0, err
		}
	}
}

// ReadAttrTimeout is ReadAttr cut off after d, for attributes whose driver
// can block the read (hwmon, some PSU and SMART attributes). A read that
// times out is left to finish in its goroutine (a blocked read cannot be
// interrupted) and its result dropped; the error wraps
// context.DeadlineExceeded. d <= 0 is ReadAttr.
func ReadAttrTimeout(ctx context.Context, path string, d time.Duration) ([]byte, error) {
	if d <= 0 {
		return ReadAttr(path)
	}
	type result struct {
		b   []byte
		err error
	}
	done := make(chan result, 1) // buffered: a late read never blocks
	go func() {
		b, err := ReadAttr(path)
		done <- result{b, err}
	}()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case r := <-done:
		return r.b, r.err
	case <-t.C:
		return nil, fmt.Errorf("read %s: timed out after %s: %w", path, d, context.DeadlineExceeded)
	case <-ctx.Done():
		return nil, fmt.Errorf("read %s: %w", path, ctx.Err())
	}
}

// ReadFile reads a whole file bounded by limit bytes (MaxFileSize when
// limit <= 0); a larger file is an error wrapping ErrTooLarge. Like ReadAttr
// it reads with raw open/read/close into a pooled buffer and returns a copy.
func ReadFile(path string, limit int64) (b []byte, err error) {
	if limit <= 0 {
		limit = MaxFileSize
	}
	defer untrack(track(path, "", ""))
	defer func() { record(Read{Path: path, Data: b, Err: err, Kept: true}) }()
	cb := ioBufs.Get().(*ioBuf)
	fd, err := openRead(path, cb.cname[:])
	ioBufs.Put(cb)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	bp := fileBufs.Get().(*[]byte)
	buf := (*bp)[:0]
	defer func() {
		if cap(buf) <= maxPooledFileBuf {
			*bp = buf[:0]
			fileBufs.Put(bp)
		}
	}()
	for int64(len(buf)) <= limit {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)] // grow
		}
		room := buf[len(buf):cap(buf)]
		if over := limit + 1 - int64(len(buf)); int64(len(room)) > over {
			room = room[:over]
		}
		n, err := readFd(fd, room)
		if err != nil {
			return nil, &os.PathError{Op: "read", Path: path, Err: err}
		}
		if n == 0 {
			break
		}
		buf = buf[:len(buf)+n]
	}
	if int64(len(buf)) > limit {
		return nil, fmt.Errorf("larger than %d bytes: %w", limit, ErrTooLarge)
	}
	return append(make([]byte, 0, len(buf)), buf...), nil
}
