package collectors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redwatch/redwatch/internal/clock"
	"github.com/redwatch/redwatch/internal/hostfs"
)

// Live SMART defaults (docs/disks.md).
const (
	// DefaultSmartInterval is how often the daemon reads every disk's SMART
	// data: a read wakes spun-down disks and costs seconds per disk, and
	// SMART counters move slowly.
	DefaultSmartInterval = 30 * time.Minute
	// DefaultSmartTimeout bounds one smartctl run (one disk).
	DefaultSmartTimeout = 60 * time.Second
	// DefaultSmartConcurrency is how many smartctl runs go at once.
	DefaultSmartConcurrency = 4
)

// SmartStatus says where the disks' SMART facts of a pass come from.
type SmartStatus struct {
	// Source is "capture" (ROOT/smartctl in --root mode), "smartctl" (the
	// live cache), "pending" (the first live read has not finished) or
	// "unavailable" (smartctl is not installed: Note says so).
	Source string `json:"source"`
	// ReadAt is when the live cache last finished reading every disk.
	ReadAt time.Time `json:"read_at,omitzero"`
	// Note is why SMART is not read ("" when it is).
	Note string `json:"note,omitempty"`
}

// SMART sources (SmartStatus.Source).
const (
	SmartSourceCapture     = "capture"
	SmartSourceSmartctl    = "smartctl"
	SmartSourcePending     = "pending"
	SmartSourceUnavailable = "unavailable"
)

// SmartCache runs smartctl on a live host's disks and keeps the last read
// of each, for the passes to read: a pass (a scrape, an event) never starts
// a SMART read. Refresh reads every disk (at most Concurrency smartctl runs
// at once, each bounded by Timeout) and never runs concurrently with
// itself; Run refreshes every Interval. The previous read of each disk is
// kept in memory so that a counter that grew between two reads is flagged
// as growing. The zero SmartCache uses the defaults above; it must not be
// copied after first use.
type SmartCache struct {
	// Program is smartctl's name or path; "" means "smartctl".
	Program string
	// Interval is the time between two reads in Run; 0 means DefaultSmartInterval.
	Interval time.Duration
	// Timeout bounds one smartctl run; 0 means DefaultSmartTimeout.
	Timeout time.Duration
	// Concurrency is how many disks are read at once; 0 means DefaultSmartConcurrency.
	Concurrency int
	// Clock times Run's interval and stamps the reads; nil means clock.Real{}.
	Clock clock.Clock
	// Capabilities returns the process's effective capability set (CapEff
	// of /proc/self/status); nil means read it. smartctl inherits it: without
	// CAP_SYS_RAWIO it cannot send the ATA/SCSI commands that read SMART.
	Capabilities func() (uint64, error)

	refreshing sync.Mutex // held by the one Refresh under way
	mu         sync.Mutex
	done       bool // a Refresh finished
	readAt     time.Time
	missing    string // why smartctl cannot run at all
	reads      []smartRead
	previous   map[string]SmartReport // the last good read of each disk, by name
}

// smartRead is one disk's last read.
type smartRead struct {
	target smartTarget
	raw    []byte
	disk   Disk
	err    *Error
}

// smartTarget is one smartctl invocation: the disk's name (the file name
// of its capture, ROOT/smartctl/<name>.json), its device and -d type.
type smartTarget struct {
	name, device, dtype string
}

func (t smartTarget) args() []string {
	args := []string{"--json=c", "-x"}
	if t.dtype != "" {
		args = append(args, "-d", t.dtype)
	}
	return append(args, t.device)
}

// describe names the invocation in errors ("smartctl -d megaraid,8 /dev/bus/0").
func (t smartTarget) describe() string {
	if t.dtype != "" {
		return "smartctl -d " + t.dtype + " " + t.device
	}
	return "smartctl " + t.device
}

// hwRAIDDrivers are the drivers of hardware RAID controllers whose disks
// smartctl reaches only through a -d type: their block devices are
// logical volumes without SMART of their own.
var hwRAIDDrivers = map[string]bool{"megaraid_sas": true, "hpsa": true, "smartpqi": true, "cciss": true}

// noSmartTransports are transports whose disks never have SMART
// (virtio-blk, Xen, eMMC, unknown paths): smartctl cannot even open them
// as a disk type, so they are not read.
var noSmartTransports = map[string]bool{TransportVirtio: true, TransportXen: true, TransportMMC: true, TransportOther: true}

// smartTargets are the invocations for the inventory's disks: one per disk
// (/dev/<name>, sysfs's "!" as "/"), except disks of a transport without
// SMART and the logical volumes of a hardware RAID controller, whose
// physical disks come from smartctl's own scan (scanned: `smartctl
// --scan-open` devices with a megaraid or cciss type).
func smartTargets(disks []BlockDisk, scanned []smartTarget) []smartTarget {
	var out []smartTarget
	for _, d := range disks {
		if hwRAIDDrivers[d.ControllerDriver] || noSmartTransports[d.Transport] {
			continue
		}
		out = append(out, smartTarget{name: d.Name, device: "/dev/" + strings.ReplaceAll(d.Name, "!", "/")})
	}
	return append(out, scanned...)
}

// hasHWRAID reports whether a disk of the inventory sits behind a hardware
// RAID controller.
func hasHWRAID(disks []BlockDisk) bool {
	for _, d := range disks {
		if hwRAIDDrivers[d.ControllerDriver] {
			return true
		}
	}
	return false
}

// parseSmartScan parses `smartctl --scan-open --json` and returns the
// devices behind a hardware RAID controller (type megaraid,N,
// sat+megaraid,N or cciss,N), each named for its capture file:
// "bus0-megaraid8" for /dev/bus/0 -d megaraid,8.
func parseSmartScan(data []byte) ([]smartTarget, error) {
	var j struct {
		Devices []struct {
			Name string `json:"name"`
			Type string `json:"type"`
		} `json:"devices"`
	}
	if err := json.Unmarshal(data, &j); err != nil {
		return nil, fmt.Errorf("collectors: smartctl --scan-open json: %w", err)
	}
	var out []smartTarget
	for _, d := range j.Devices {
		if !strings.Contains(d.Type, "megaraid,") && !strings.HasPrefix(d.Type, "cciss,") {
			continue
		}
		if !strings.HasPrefix(d.Name, "/dev/") || strings.Contains(d.Name, "..") || strings.ContainsAny(d.Type, " /") {
			continue
		}
		dev := strings.ReplaceAll(strings.TrimPrefix(d.Name, "/dev/"), "/", "")
		typ := d.Type[strings.LastIndexByte(d.Type, '+')+1:]
		out = append(out, smartTarget{name: dev + "-" + strings.ReplaceAll(typ, ",", ""), device: d.Name, dtype: d.Type})
	}
	return out, nil
}

func (c *SmartCache) program() string {
	if c.Program != "" {
		return c.Program
	}
	return "smartctl"
}

// capSysRawio is CAP_SYS_RAWIO's bit (linux/capability.h).
const capSysRawio = 17

// capabilityNote is why smartctl cannot read any disk with the process's
// capabilities ("" when it can, or when they cannot be read: smartctl's own
// errors then say what failed, disk by disk). The packaged unit grants no
// capability: there smartctl could open every disk but read none, and
// every disk would be UNKNOWN on every host of a fleet. One note (the same
// as smartctl missing) says what to do instead.
func (c *SmartCache) capabilityNote() string {
	read := c.Capabilities
	if read == nil {
		read = func() (uint64, error) {
			b, err := hostfs.ReadFile("/proc/self/status", 0)
			if err != nil {
				return 0, err
			}
			return parseCapEff(b)
		}
	}
	caps, err := read()
	if err != nil || caps&(1<<capSysRawio) != 0 {
		return ""
	}
	return "redwatch runs without CAP_SYS_RAWIO, which smartctl needs to read SMART (and CAP_SYS_ADMIN for NVMe): disk health is not read; grant them with the drop-in in docs/disks.md"
}

// parseCapEff returns the effective capability set from the contents of
// /proc/PID/status (its CapEff line, 16 hex digits).
func parseCapEff(data []byte) (uint64, error) {
	for line := range strings.Lines(string(data)) {
		if v, ok := strings.CutPrefix(line, "CapEff:"); ok {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			if err != nil {
				return 0, fmt.Errorf("collectors: status CapEff: %w", err)
			}
			return n, nil
		}
	}
	return 0, errors.New("collectors: status has no CapEff line")
}

func (c *SmartCache) clock() clock.Clock {
	if c.Clock != nil {
		return c.Clock
	}
	return clock.Real{}
}

// Refresh reads every disk of the inventory under sys once, unless a
// Refresh is already under way (it then returns at once: never two at a
// time). It returns when every read finished or ctx ended.
func (c *SmartCache) Refresh(ctx context.Context, sys string) {
	if !c.refreshing.TryLock() {
		return
	}
	defer c.refreshing.Unlock()
	prog, err := findProgram(c.program())
	if err != nil {
		c.mu.Lock()
		c.done, c.readAt, c.reads = true, c.clock().Now(), nil
		c.missing = fmt.Sprintf("%s not found (%v): disk health (SMART, NVMe) is not read; install smartmontools", c.program(), err)
		c.mu.Unlock()
		return
	}
	if note := c.capabilityNote(); note != "" {
		c.mu.Lock()
		c.done, c.readAt, c.reads, c.missing = true, c.clock().Now(), nil, note
		c.mu.Unlock()
		return
	}
	disks, _ := collectBlockDisks(sys) // the pass reports the inventory's own errors
	var scanned []smartTarget
	var scanErr *Error
	if hasHWRAID(disks) {
		out, _, err := c.run(ctx, prog, "--scan-open", "--json=c")
		if err == nil {
			scanned, err = parseSmartScan(out)
		}
		if err != nil {
			e := Error{Collector: SmartCollector, Path: "smartctl --scan-open",
				Err: fmt.Errorf("find the disks behind the hardware RAID controller: %w", err)}
			scanErr = &e
		}
	}
	targets := smartTargets(disks, scanned)
	reads := make([]smartRead, len(targets))
	n := c.Concurrency
	if n <= 0 {
		n = DefaultSmartConcurrency
	}
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			reads[i] = c.readOne(ctx, prog, t)
		}()
	}
	wg.Wait()
	if scanErr != nil {
		reads = append(reads, smartRead{err: scanErr})
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.previous == nil {
		c.previous = map[string]SmartReport{}
	}
	for i := range reads {
		r := &reads[i]
		if r.err != nil {
			continue
		}
		if prev, ok := c.previous[r.disk.Name]; ok {
			r.disk.Grew = smartGrowth(prev, r.disk.Smart)
		}
		c.previous[r.disk.Name] = r.disk.Smart
	}
	c.done, c.readAt, c.missing, c.reads = true, c.clock().Now(), "", reads
}

// run runs smartctl with args under the per-disk timeout and returns its
// standard output and exit status. A non-zero exit status is not an error:
// it is a bit mask (smartctl(8)) the JSON repeats.
func (c *SmartCache) run(ctx context.Context, prog string, args ...string) ([]byte, int, error) {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultSmartTimeout
	}
	out, err := toolCmd{prog: prog, args: args, timeout: timeout, maxOutput: smartctlMaxBytes}.run(ctx)
	var f *toolFailure
	switch {
	case errors.As(err, &f) && f.exit >= 0:
		return out, f.exit, nil
	case f != nil:
		return nil, 0, fmt.Errorf("run %s: %w (%s)", prog, f.err, f.stderr)
	case errors.Is(err, hostfs.ErrTooLarge):
		return nil, 0, fmt.Errorf("output larger than %d bytes", smartctlMaxBytes) // smartctl's own wording
	case err != nil:
		return nil, 0, err
	}
	return out, 0, nil
}

// readOne runs smartctl on one target.
func (c *SmartCache) readOne(ctx context.Context, prog string, t smartTarget) smartRead {
	out, _, err := c.run(ctx, prog, t.args()...)
	if err != nil {
		e := Error{Collector: SmartCollector, Path: t.describe(), Err: fmt.Errorf("disk %s: %w", t.name, err)}
		return smartRead{target: t, err: &e}
	}
	d, e := smartDisk(t.name, t.describe(), out)
	return smartRead{target: t, raw: out, disk: d, err: e}
}

// smartDisk parses one smartctl output of disk name, read from where; an
// output that is no JSON or says smartctl could not read the disk is an
// Error (UNKNOWN for that disk) with where and the reason.
func smartDisk(name, where string, data []byte) (Disk, *Error) {
	rep, err := parseSmartctl(data)
	if err != nil {
		e := Error{Collector: SmartCollector, Path: where, Err: err}
		return Disk{}, &e
	}
	rep.Disk = name
	if why := rep.Unreadable(); why != "" {
		e := Error{Collector: SmartCollector, Path: where, Err: fmt.Errorf("disk %s: smartctl could not read it: %s", name, why)}
		return Disk{}, &e
	}
	return Disk{Name: name, Smart: rep}, nil
}

// smartGrowth returns the counters of cur that are higher than in prev,
// with their previous value (both known).
func smartGrowth(prev, cur SmartReport) map[string]int64 {
	out := map[string]int64{}
	for _, c := range []struct {
		name      string
		prev, cur int64
	}{
		{SmartMediaErrors, prev.MediaErrors, cur.MediaErrors},
		{SmartReallocated, prev.Reallocated, cur.Reallocated},
		{SmartPending, prev.Pending, cur.Pending},
		{SmartOfflineUncorrectable, prev.OfflineUncorrectable, cur.OfflineUncorrectable},
		{SmartGrownDefects, prev.GrownDefects, cur.GrownDefects},
	} {
		if c.prev != Unknown && c.cur != Unknown && c.cur > c.prev {
			out[c.name] = c.prev
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// SMART counters that can grow (Disk.Grew keys), named as their JSON fields.
const (
	SmartMediaErrors          = "media_errors"
	SmartReallocated          = "reallocated_sectors"
	SmartPending              = "pending_sectors"
	SmartOfflineUncorrectable = "offline_uncorrectable"
	SmartGrownDefects         = "grown_defects"
)

// Run refreshes at once, then every Interval, until ctx ends.
func (c *SmartCache) Run(ctx context.Context, sys string) {
	iv := c.Interval
	if iv <= 0 {
		iv = DefaultSmartInterval
	}
	clk := c.clock()
	for {
		c.Refresh(ctx, sys)
		t := clk.NewTimer(iv)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
		}
	}
}

// read returns the cache's disks, errors and status, for a pass.
func (c *SmartCache) read() ([]Disk, []Error, SmartStatus, []smartRead) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case !c.done:
		return nil, nil, SmartStatus{Source: SmartSourcePending}, nil
	case c.missing != "":
		return nil, nil, SmartStatus{Source: SmartSourceUnavailable, ReadAt: c.readAt, Note: c.missing}, nil
	}
	var (
		disks []Disk
		errs  []Error
	)
	for _, r := range c.reads {
		if r.err != nil {
			errs = append(errs, *r.err)
			continue
		}
		disks = append(disks, r.disk)
	}
	sort.Slice(disks, func(i, j int) bool { return disks[i].Name < disks[j].Name })
	return disks, errs, SmartStatus{Source: SmartSourceSmartctl, ReadAt: c.readAt}, c.reads
}

// SmartCaptureName is where `redwatch capture` writes a disk's smartctl
// output in the tree, which --root reads back.
func SmartCaptureName(disk string) string { return filepath.Join("smartctl", disk+".json") }

// WithSmart returns list with its SMART source reading the live cache
// smart on a live host.
func WithSmart(list []Source, smart *SmartCache) []Source {
	out := make([]Source, len(list))
	for i, s := range list {
		if s.Name() == SmartCollector {
			s = smartSource{cache: smart}
		}
		out[i] = s
	}
	return out
}
