package collectors

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/redwatch/redwatch/internal/hostfs"
)

// BtrfsCollector is the Collector of the errors of the btrfs source.
const BtrfsCollector = "btrfs"

// BtrfsStatsCapturePath is where a captured tree holds `btrfs device stats
// <mountpoint>` of the filesystem uuid, relative to the tree.
func BtrfsStatsCapturePath(uuid string) string { return "btrfs/" + uuid + "-stats.txt" }

// Btrfs is one mounted btrfs filesystem (/sys/fs/btrfs/<uuid>/, fs/btrfs/sysfs.c).
type Btrfs struct {
	// UUID is the filesystem's fsid, the /sys/fs/btrfs/<uuid> directory.
	UUID string `json:"uuid"`
	// Label is /sys/fs/btrfs/<uuid>/label; "" when unset.
	Label string `json:"label,omitempty"`
	// Data, Metadata and System are the block group profiles in use, the
	// directories of /sys/fs/btrfs/<uuid>/allocation/<type>/ ("raid1",
	// "single", "dup", "raid10", "raid1c3", "raid1c4", "raid5", "raid6",
	// "raid0"); two during a balance that converts.
	Data     []string `json:"data_profiles"`
	Metadata []string `json:"metadata_profiles"`
	System   []string `json:"system_profiles"`
	// Devices are the filesystem's devices, one per
	// /sys/fs/btrfs/<uuid>/devinfo/<devid> (kernel ≥ 5.10), else one per
	// devices/<name> link.
	Devices []BtrfsDevice `json:"devices"`
	// Present are the block devices the filesystem has open
	// (/sys/fs/btrfs/<uuid>/devices/<name> links), in natural order.
	Present []string `json:"present"`
	// MountPoint is where /proc/self/mountinfo mounts it first; "" when no
	// mount names one of its devices.
	MountPoint string `json:"mount_point,omitempty"`
	// Degraded is true when the mount's super options hold "degraded".
	Degraded bool `json:"degraded"`
	// Stats are `btrfs device stats` per device path when the tool ran
	// (or the tree holds BtrfsStatsCapturePath); nil otherwise.
	Stats []BtrfsDeviceStats `json:"stats,omitempty"`
}

// Name is the filesystem's label when it is a plain word, else its UUID.
func (b *Btrfs) Name() string {
	if b.Label != "" && !strings.ContainsAny(b.Label, "/ \t\n") && len(b.Label) <= 64 {
		return b.Label
	}
	return b.UUID
}

// BtrfsDevice is one device of a btrfs filesystem
// (/sys/fs/btrfs/<uuid>/devinfo/<devid>/).
type BtrfsDevice struct {
	// ID is the devid; 0 on a kernel without devinfo/.
	ID int `json:"devid"`
	// Name is the block device when known ("vdb"): the only device present,
	// or every device on a kernel without devinfo/; "" otherwise.
	Name string `json:"name,omitempty"`
	// Missing is devinfo/<devid>/missing.
	Missing bool `json:"missing"`
	// Errors are devinfo/<devid>/error_stats (kernel ≥ 5.14); nil when the
	// kernel lacks the file or says "invalid".
	Errors *BtrfsErrors `json:"errors,omitempty"`
}

// BtrfsErrors are a btrfs device's error counters (btrfs_dev_stat_values).
type BtrfsErrors struct {
	Write      int64 `json:"write_errs"`
	Read       int64 `json:"read_errs"`
	Flush      int64 `json:"flush_errs"`
	Corruption int64 `json:"corruption_errs"`
	Generation int64 `json:"generation_errs"`
}

// Total is the sum of the counters, saturating at the largest int64.
func (e BtrfsErrors) Total() int64 {
	var t int64
	for _, n := range []int64{e.Write, e.Read, e.Flush, e.Corruption, e.Generation} {
		if n > math.MaxInt64-t {
			return math.MaxInt64
		}
		t += n
	}
	return t
}

// String is "3 write, 1 read" of the non-zero counters.
func (e BtrfsErrors) String() string {
	var parts []string
	for _, c := range []struct {
		n    int64
		what string
	}{{e.Write, "write"}, {e.Read, "read"}, {e.Flush, "flush"}, {e.Corruption, "corruption"}, {e.Generation, "generation"}} {
		if c.n != 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c.n, c.what))
		}
	}
	return strings.Join(parts, ", ")
}

// BtrfsDeviceStats are one device's counters in `btrfs device stats`.
type BtrfsDeviceStats struct {
	// Device is the bracketed name ("/dev/vdb", or "devid:2" for a missing one).
	Device string      `json:"device"`
	Errors BtrfsErrors `json:"errors"`
}

// btrfsTolerance is how many devices a block group profile loses and still
// holds every block (btrfs-man5 "PROFILES"); single, dup and raid0 lose
// data with any device.
var btrfsTolerance = map[string]int{
	"single": 0, "dup": 0, "raid0": 0, "raid1": 1, "raid10": 1, "raid5": 1,
	"raid1c3": 2, "raid6": 2, "raid1c4": 3,
}

// Tolerance is how many devices the filesystem can lose with every block
// group type still whole: the least tolerant profile in use (an unknown
// profile counts as 0).
func (b *Btrfs) Tolerance() int {
	tol := -1
	for _, ps := range [][]string{b.Data, b.Metadata, b.System} {
		for _, p := range ps {
			if t := btrfsTolerance[p]; tol < 0 || t < tol {
				tol = t
			}
		}
	}
	return max(tol, 0)
}

// parseBtrfsErrorStats parses devinfo/<devid>/error_stats: "write_errs N"
// lines (fs/btrfs/sysfs.c btrfs_devinfo_error_stats_show); "invalid" (the
// stats are not read from disk yet) is nil without error.
func parseBtrfsErrorStats(data []byte) (*BtrfsErrors, error) {
	s := strings.TrimSpace(string(data))
	if s == "invalid" {
		return nil, nil
	}
	var e BtrfsErrors
	seen := 0
	for line := range strings.SplitSeq(s, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), " ")
		if !ok {
			return nil, fmt.Errorf("error_stats line %q is not \"name value\"", line)
		}
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("error_stats %s value %q is not a count", k, v)
		}
		if setBtrfsCount(&e, k, n) {
			seen++
		} // else a counter a newer kernel adds
	}
	if seen == 0 {
		return nil, errors.New("error_stats holds no counter")
	}
	return &e, nil
}

// setBtrfsCount sets the counter key of e to n and reports whether key
// is one: "write_errs" (sysfs) or "write_io_errs" (btrfs device stats),
// and likewise read, flush, corruption and generation.
func setBtrfsCount(e *BtrfsErrors, key string, n int64) bool {
	var dst *int64
	switch strings.TrimSuffix(strings.TrimSuffix(key, "_errs"), "_io") {
	case "write":
		dst = &e.Write
	case "read":
		dst = &e.Read
	case "flush":
		dst = &e.Flush
	case "corruption":
		dst = &e.Corruption
	case "generation":
		dst = &e.Generation
	default:
		return false
	}
	*dst = n
	return true
}

// parseBtrfsDeviceStats parses `btrfs device stats` output:
// "[/dev/vdb].write_io_errs    0" lines, five per device, in device order.
func parseBtrfsDeviceStats(data []byte) ([]BtrfsDeviceStats, error) {
	var (
		out  []BtrfsDeviceStats
		errs []error
	)
	idx := map[string]int{}
	n := 0
	for line := range strings.SplitSeq(string(data), "\n") {
		n++
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		dev, rest, ok := strings.Cut(strings.TrimPrefix(line, "["), "].")
		f := strings.Fields(rest)
		if !strings.HasPrefix(line, "[") || !ok || dev == "" || len(f) != 2 {
			if len(errs) < 10 {
				errs = append(errs, fmt.Errorf("btrfs device stats line %d: not \"[device].counter value\"", n))
			}
			continue
		}
		v, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil || v < 0 {
			if len(errs) < 10 {
				errs = append(errs, fmt.Errorf("btrfs device stats line %d: %q is not a count", n, f[1]))
			}
			continue
		}
		var e BtrfsErrors
		if !setBtrfsCount(&e, f[0], v) {
			continue // a counter a newer btrfs-progs adds
		}
		i, ok := idx[dev]
		if !ok {
			i = len(out)
			idx[dev] = i
			out = append(out, BtrfsDeviceStats{Device: dev})
		}
		setBtrfsCount(&out[i].Errors, f[0], v)
	}
	return out, errors.Join(errs...)
}

// btrfsSource reads the mounted btrfs filesystems.
type btrfsSource struct{ tool storageTool }

func (btrfsSource) Name() string { return BtrfsCollector }

func (src btrfsSource) Collect(ctx context.Context, r Roots) (Part, error) {
	fss, errs := src.collect(ctx, r)
	return Part{Set: func(s *Snapshot) { s.Btrfs = fss }, Errors: errs}, nil
}

// collect reads every /sys/fs/btrfs/<uuid> that has an allocation/
// directory (a mounted filesystem; a scanned but unmounted one has only
// devices/), then its mount from /proc/self/mountinfo, then `btrfs device
// stats` of its mount point when the tool is installed.
func (src btrfsSource) collect(ctx context.Context, r Roots) ([]Btrfs, []Error) {
	if r.Sys == "" {
		return nil, nil
	}
	base := filepath.Join(r.Sys, "fs/btrfs")
	ents, err := hostfs.ReadDir(base)
	if hostfs.Absent(err) {
		return nil, nil
	}
	if err != nil {
		return nil, []Error{hostfs.New(BtrfsCollector, base, fmt.Errorf("list filesystems: %w", err))}
	}
	var (
		fss  []Btrfs
		errs []Error
	)
	for _, e := range ents {
		uuid := e.Name()
		dir := filepath.Join(base, uuid)
		if !validDevName(uuid) || !exists(filepath.Join(dir, "allocation")) {
			continue // "features", or not mounted
		}
		f, ferrs := readBtrfs(dir, uuid)
		errs = append(errs, ferrs...)
		fss = append(fss, f)
	}
	if len(fss) == 0 {
		return nil, errs
	}
	errs = append(errs, addBtrfsMounts(r, fss)...)
	for i := range fss {
		f := &fss[i]
		if r.Live && f.MountPoint == "" {
			continue
		}
		data, err := src.tool.output(ctx, r, BtrfsStatsCapturePath(f.UUID), "btrfs", "device", "stats", f.MountPoint)
		if errors.Is(err, errToolAbsent) {
			continue
		}
		where := "btrfs device stats " + f.MountPoint
		if !r.Live {
			where = filepath.Join(filepath.Dir(r.Sys), BtrfsStatsCapturePath(f.UUID))
		}
		if err != nil {
			errs = append(errs, hostfs.New(BtrfsCollector, where, err))
			continue
		}
		st, perr := parseBtrfsDeviceStats(data)
		if perr != nil {
			errs = append(errs, hostfs.New(BtrfsCollector, where, perr))
		}
		f.Stats = st
	}
	return fss, errs
}

// readBtrfs reads one /sys/fs/btrfs/<uuid> directory.
func readBtrfs(dir, uuid string) (Btrfs, []Error) {
	f := Btrfs{UUID: uuid}
	var errs []Error
	fail := func(path, what string, err error) {
		errs = append(errs, hostfs.New(BtrfsCollector, path, fmt.Errorf("%s: %w", what, err)))
	}
	if b, err := hostfs.ReadAttr(filepath.Join(dir, "label")); err == nil {
		f.Label = strings.TrimSpace(string(b))
	} else if !hostfs.Absent(err) {
		fail(filepath.Join(dir, "label"), "read label", err)
	}
	for _, t := range []struct {
		name string
		dst  *[]string
	}{{"data", &f.Data}, {"metadata", &f.Metadata}, {"system", &f.System}, {"mixed", &f.Data}} {
		p := filepath.Join(dir, "allocation", t.name)
		ents, err := hostfs.ReadDir(p)
		if err != nil {
			if !hostfs.Absent(err) {
				fail(p, "list profiles", err)
			}
			continue
		}
		for _, e := range ents {
			if _, ok := btrfsTolerance[e.Name()]; ok {
				*t.dst = append(*t.dst, e.Name()) // a raid_kobject directory
			}
		}
		if t.name == "mixed" && len(*t.dst) > 0 {
			f.Metadata = append(f.Metadata, *t.dst...)
		}
	}
	devs := filepath.Join(dir, "devices")
	ents, err := hostfs.ReadDir(devs)
	if err != nil && !hostfs.Absent(err) {
		fail(devs, "list devices", err)
	}
	for _, e := range ents {
		if validDevName(e.Name()) {
			f.Present = append(f.Present, e.Name())
		}
	}
	slices.SortFunc(f.Present, natCompare)
	info := filepath.Join(dir, "devinfo")
	ids, err := hostfs.ReadDir(info)
	if err != nil && !hostfs.Absent(err) {
		fail(info, "list devinfo", err)
	}
	for _, e := range ids {
		id, err := strconv.Atoi(e.Name())
		if err != nil || id <= 0 {
			continue
		}
		d := BtrfsDevice{ID: id}
		mp := filepath.Join(info, e.Name(), "missing")
		if b, err := hostfs.ReadAttr(mp); err == nil {
			switch strings.TrimSpace(string(b)) {
			case "0":
			case "1":
				d.Missing = true
			default:
				fail(mp, "read missing", fmt.Errorf("%q is not 0 or 1", strings.TrimSpace(string(b))))
			}
		} else if !hostfs.Absent(err) {
			fail(mp, "read missing", err)
		}
		sp := filepath.Join(info, e.Name(), "error_stats")
		if b, err := hostfs.ReadAttr(sp); err == nil {
			st, perr := parseBtrfsErrorStats(b)
			if perr != nil {
				fail(sp, "parse error_stats", perr)
			}
			d.Errors = st
		} else if !hostfs.Absent(err) {
			fail(sp, "read error_stats", err)
		}
		f.Devices = append(f.Devices, d)
	}
	slices.SortFunc(f.Devices, func(a, b BtrfsDevice) int { return a.ID - b.ID })
	if len(f.Devices) == 0 {
		for _, n := range f.Present { // a kernel without devinfo/
			f.Devices = append(f.Devices, BtrfsDevice{Name: n})
		}
	} else {
		var notMissing []int
		for i, d := range f.Devices {
			if !d.Missing {
				notMissing = append(notMissing, i)
			}
		}
		if len(notMissing) == 1 && len(f.Present) == 1 {
			f.Devices[notMissing[0]].Name = f.Present[0]
		}
	}
	return f, errs
}

// addBtrfsMounts sets each filesystem's mount point and "degraded" from
// the first btrfs mount in /proc/self/mountinfo whose device is one of its
// devices.
func addBtrfsMounts(r Roots, fss []Btrfs) []Error {
	path := filepath.Join(r.Proc, "self/mountinfo")
	data, err := hostfs.ReadFile(path, 0)
	if hostfs.Absent(err) {
		return nil
	}
	if err != nil {
		return []Error{hostfs.New(BtrfsCollector, path, fmt.Errorf("read mountinfo: %w", err))}
	}
	mounts, _ := parseMountInfo(data) // the rootfs source reports lines it cannot parse
	for i := range mounts {
		m := &mounts[i]
		if m.FSType != "btrfs" {
			continue
		}
		dev := rootDevice(r, m)
		for j := range fss {
			f := &fss[j]
			if f.MountPoint != "" || !slices.Contains(f.Present, dev) {
				continue
			}
			f.MountPoint = m.MountPoint
			f.Degraded = slices.Contains(strings.Split(m.SuperOptions, ","), "degraded")
		}
	}
	return nil
}
