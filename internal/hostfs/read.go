package hostfs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// MaxAttrSize bounds one sysfs/procfs attribute read: a sysfs attribute is
// at most a page.
const MaxAttrSize = 4096

// MaxFileSize bounds a whole procfs file read (/proc/mdstat,
// /proc/net/bonding/*, /proc/self/mountinfo).
const MaxFileSize = 1 << 20

// ErrTooLarge is a file larger than the bound of its read.
var ErrTooLarge = errors.New("larger than the read bound")

// reads holds the reads under way (*reading -> struct{}), so that a caller
// that cut off a hung collector can say which file it was stuck in: a
// blocked read cannot be interrupted, but it can be named.
var reads sync.Map

// readSeq numbers the reads in the order they began.
var readSeq atomic.Uint64

// reading is one read under way.
type reading struct {
	seq  uint64
	path string
}

// track records a read of path until the returned func is called.
func track(path string) func() {
	r := &reading{seq: readSeq.Add(1), path: path}
	reads.Store(r, struct{}{})
	return func() { reads.Delete(r) }
}

// ReadMark is a point in the sequence of reads: the reads that begin after
// it are the ones ReadsSince returns.
func ReadMark() uint64 { return readSeq.Load() }

// ReadsSince returns the paths of the reads that began after mark and have
// not returned yet, the most recent first.
func ReadsSince(mark uint64) []string {
	var rs []*reading
	reads.Range(func(k, _ any) bool {
		if r := k.(*reading); r.seq > mark {
			rs = append(rs, r)
		}
		return true
	})
	sort.Slice(rs, func(i, j int) bool { return rs[i].seq > rs[j].seq })
	paths := make([]string, len(rs))
	for i, r := range rs {
		paths[i] = r.path
	}
	return paths
}

// ReadAttr reads a sysfs attribute with one bounded read of MaxAttrSize:
// some hwmon drivers block or misbehave on a second read.
func ReadAttr(path string) (b []byte, err error) {
	defer track(path)()
	defer func() { record(Read{Path: path, Data: b, Err: err, Kept: true}) }()
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, MaxAttrSize)
	n, err := f.Read(buf)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return buf[:n], nil
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
// limit <= 0); a larger file is an error wrapping ErrTooLarge.
func ReadFile(path string, limit int64) (b []byte, err error) {
	if limit <= 0 {
		limit = MaxFileSize
	}
	defer track(path)()
	defer func() { record(Read{Path: path, Data: b, Err: err, Kept: true}) }()
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err = io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("larger than %d bytes: %w", limit, ErrTooLarge)
	}
	return b, nil
}
