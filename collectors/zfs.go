package collectors

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/redwatch/redwatch/internal/hostfs"
)

// ZFSCollector is the Collector of the errors of the ZFS source.
const ZFSCollector = "zfs"

// ZpoolStatusCapturePath is where a captured tree holds `zpool status -p
// -P` (ZpoolStatusArgs), relative to the tree.
const ZpoolStatusCapturePath = "zfs/zpool-status.txt"

// ZpoolStatusArgs are the arguments of the zpool command the ZFS source
// runs: every pool, exact counters (-p), full device paths (-P).
var ZpoolStatusArgs = []string{"status", "-p", "-P"}

// ZFS pool and vdev states (zpool(8) and zpoolconcepts(7) "Device Failure
// and Recovery"; the kstat file holds the pool's).
const (
	ZFSOnline    = "ONLINE"
	ZFSDegraded  = "DEGRADED"
	ZFSFaulted   = "FAULTED"
	ZFSOffline   = "OFFLINE"
	ZFSUnavail   = "UNAVAIL"
	ZFSRemoved   = "REMOVED"
	ZFSSuspended = "SUSPENDED"
)

// ZPool is one imported ZFS pool.
type ZPool struct {
	// Name is the pool, the /proc/spl/kstat/zfs/<pool> directory.
	Name string `json:"name"`
	// State is /proc/spl/kstat/zfs/<pool>/state (ONLINE, DEGRADED, FAULTED,
	// SUSPENDED, UNAVAIL, OFFLINE, REMOVED), else the state line of
	// `zpool status`.
	State string `json:"state"`
	// Vdevs are the pool's top-level vdevs by section (zpool status
	// config: data, then logs, special, dedup, cache, spares); nil when
	// zpool status is not available.
	Vdevs []ZVdev `json:"vdevs,omitempty"`
	// Status is the "status:" paragraph of zpool status, "" when none.
	Status string `json:"status,omitempty"`
}

// ZVdev is one vdev of a pool's config tree.
type ZVdev struct {
	// Name is the vdev as zpool status prints it: "mirror-0", "raidz2-1",
	// "/dev/sda1" (-P), a GUID for a device that is gone.
	Name string `json:"name"`
	// Section is where it is: "" for data, "logs", "special", "dedup",
	// "cache" or "spares".
	Section string `json:"section,omitempty"`
	// State is its state column (ONLINE, DEGRADED, UNAVAIL, ...; AVAIL or
	// INUSE for spares).
	State string `json:"state"`
	// Read, Write and Checksum are its error counters; Unknown when the
	// line has none (spares).
	Read     int64 `json:"read_errors"`
	Write    int64 `json:"write_errors"`
	Checksum int64 `json:"checksum_errors"`
	// Note is what follows the counters ("was /dev/sdb1", "too many errors").
	Note string `json:"note,omitempty"`
	// Device is a leaf's kernel block device ("sda1"), resolved from its
	// path through the /dev links; "" when it cannot be.
	Device string `json:"device,omitempty"`
	// Children are its children (leaf devices have none).
	Children []ZVdev `json:"children,omitempty"`
}

// Leaf reports whether v is a device, not a mirror, raidz or replacing vdev.
func (v *ZVdev) Leaf() bool { return len(v.Children) == 0 }

// Tolerance is how many children v can lose and still serve data: n-1
// for a mirror, the parity of a raidz or draid, 0 for a device.
func (v *ZVdev) Tolerance() int {
	if v.Leaf() {
		return 0
	}
	kind := strings.SplitN(v.Name, "-", 2)[0]
	switch {
	case kind == "mirror", kind == "replacing", kind == "spare":
		return len(v.Children) - 1
	case kind == "raidz", kind == "raidz1":
		return 1
	case strings.HasPrefix(kind, "raidz"):
		p, err := strconv.Atoi(strings.TrimPrefix(kind, "raidz"))
		if err == nil && p > 0 && p <= 3 {
			return p
		}
	case strings.HasPrefix(kind, "draid"):
		// "draid2:4d:8c:1s-0": parity right after "draid".
		p := strings.TrimPrefix(kind, "draid")
		p, _, _ = strings.Cut(p, ":")
		if p == "" {
			return 1
		}
		if n, err := strconv.Atoi(p); err == nil && n > 0 && n <= 3 {
			return n
		}
	}
	return 0
}

// Leaves returns the leaf devices under v (v itself for a leaf).
func (v *ZVdev) Leaves() []*ZVdev {
	if v.Leaf() {
		return []*ZVdev{v}
	}
	var out []*ZVdev
	for i := range v.Children {
		out = append(out, v.Children[i].Leaves()...)
	}
	return out
}

// DataVdevs returns the top-level vdevs that hold the pool's blocks: the
// data vdevs and the special and dedup allocation classes (losing one loses
// the pool); not logs, cache or spares.
func (p *ZPool) DataVdevs() []*ZVdev {
	var out []*ZVdev
	for i := range p.Vdevs {
		switch p.Vdevs[i].Section {
		case "", "special", "dedup":
			out = append(out, &p.Vdevs[i])
		}
	}
	return out
}

// Redundant reports whether every data vdev of the pool tolerates losing a
// device; false when the vdevs are not known.
func (p *ZPool) Redundant() bool {
	data := p.DataVdevs()
	for _, v := range data {
		if v.Tolerance() < 1 {
			return false
		}
	}
	return len(data) > 0
}

// zpoolSections are the config section headers of zpool status.
var zpoolSections = map[string]bool{"logs": true, "cache": true, "spares": true, "special": true, "dedup": true}

// parseZpoolStatus parses `zpool status -p -P` text, one "pool:" block per
// pool: its state line, status paragraph and config tree (children
// indented two spaces deeper than their parent under the pool's own line).
// A config line it cannot read is an error naming its line number; the
// pools are returned with what could be read.
func parseZpoolStatus(data []byte) ([]ZPool, error) {
	var (
		pools []ZPool
		errs  []error
		cur   *ZPool
		// inConfig is set from the NAME header to the blank line after the tree.
		inConfig, inStatus bool
		base               = -1 // indentation of the pool's own line
		section            string
		stack              []*ZVdev // stack[d] is the last vdev at depth d+1
	)
	fail := func(n int, format string, args ...any) {
		if len(errs) < 10 {
			errs = append(errs, fmt.Errorf("zpool status line %d: "+format, append([]any{n}, args...)...))
		}
	}
	n := 0
	for raw := range strings.SplitSeq(string(data), "\n") {
		n++
		line := strings.TrimRight(raw, "\r \t")
		trimmed := strings.TrimSpace(line)
		// Key lines are indented with spaces ("  pool: tank"); the config
		// and the continuation of a paragraph with a tab.
		if k, v, ok := strings.Cut(trimmed, ":"); ok && !inConfig && !strings.HasPrefix(line, "\t") && isZpoolKey(k) {
			inStatus = false
			switch k {
			case "pool":
				pools = append(pools, ZPool{Name: strings.TrimSpace(v)})
				cur = &pools[len(pools)-1]
			case "state":
				if cur != nil {
					cur.State = strings.TrimSpace(v)
				}
			case "status":
				if cur != nil {
					cur.Status = strings.TrimSpace(v)
					inStatus = true
				}
			}
			continue
		}
		if inStatus && trimmed != "" && cur != nil {
			cur.Status += " " + trimmed
			continue
		}
		inStatus = false
		if cur == nil {
			continue
		}
		if !inConfig {
			if f := strings.Fields(trimmed); len(f) >= 2 && f[0] == "NAME" && f[1] == "STATE" {
				inConfig, base, section, stack = true, -1, "", nil
			}
			continue
		}
		if trimmed == "" {
			if base >= 0 {
				inConfig = false
			}
			continue
		}
		indent := zpoolIndent(line)
		f := strings.Fields(trimmed)
		if base < 0 {
			if f[0] != cur.Name {
				fail(n, "config starts with %q, not pool %q", f[0], cur.Name)
				inConfig = false
				continue
			}
			base = indent
			continue
		}
		if indent <= base {
			if len(f) == 1 && zpoolSections[f[0]] {
				section, stack = f[0], nil
				continue
			}
			fail(n, "%q is not a vdev of pool %q nor a section", trimmed, cur.Name)
			continue
		}
		depth := (indent - base) / 2
		if (indent-base)%2 != 0 || depth < 1 || depth > len(stack)+1 || len(f) < 2 {
			fail(n, "cannot place %q in the config tree", trimmed)
			continue
		}
		v := ZVdev{Name: f[0], Section: section, State: f[1], Read: Unknown, Write: Unknown, Checksum: Unknown}
		if len(f) >= 5 {
			var err1, err2, err3 error
			v.Read, err1 = strconv.ParseInt(f[2], 10, 64)
			v.Write, err2 = strconv.ParseInt(f[3], 10, 64)
			v.Checksum, err3 = strconv.ParseInt(f[4], 10, 64)
			if err := errors.Join(err1, err2, err3); err != nil || v.Read < 0 || v.Write < 0 || v.Checksum < 0 {
				fail(n, "counters %q are not exact counts (zpool status -p)", strings.Join(f[2:5], " "))
				v.Read, v.Write, v.Checksum = Unknown, Unknown, Unknown
			}
			v.Note = strings.Join(f[5:], " ")
		} else {
			v.Note = strings.Join(f[2:], " ")
		}
		stack = stack[:depth-1]
		var added *ZVdev
		if depth == 1 {
			cur.Vdevs = append(cur.Vdevs, v)
			added = &cur.Vdevs[len(cur.Vdevs)-1]
		} else {
			parent := stack[depth-2]
			parent.Children = append(parent.Children, v)
			added = &parent.Children[len(parent.Children)-1]
		}
		stack = append(stack, added)
	}
	for i := range pools {
		if pools[i].Name == "" {
			errs = append(errs, errors.New("zpool status: a pool with no name"))
		}
	}
	return pools, errors.Join(errs...)
}

// isZpoolKey reports whether k is one of zpool status's "key:" lines.
func isZpoolKey(k string) bool {
	switch k {
	case "pool", "id", "state", "status", "action", "see", "scan", "remove", "checkpoint", "errors", "config", "comment", "vdev_rebuild":
		return true
	}
	return false
}

// zpoolIndent is the indentation of a config line, a leading tab counting
// as none (zpool status starts every config line with one).
func zpoolIndent(line string) int {
	line = strings.TrimPrefix(line, "\t")
	return len(line) - len(strings.TrimLeft(line, " "))
}

// parseKstatState parses /proc/spl/kstat/zfs/<pool>/state: one word.
func parseKstatState(data []byte) (string, error) {
	s := strings.TrimSpace(string(data))
	switch s {
	case ZFSOnline, ZFSDegraded, ZFSFaulted, ZFSOffline, ZFSUnavail, ZFSRemoved, ZFSSuspended:
		return s, nil
	}
	return "", fmt.Errorf("pool state %q is not one ZFS knows", s)
}

// zfsSource reads the imported ZFS pools.
type zfsSource struct{ tool storageTool }

func (zfsSource) Name() string { return ZFSCollector }

func (src zfsSource) Collect(ctx context.Context, r Roots) (Part, error) {
	pools, errs := src.collect(ctx, r)
	return Part{Set: func(s *Snapshot) { s.ZFS = pools }, Errors: errs}, nil
}

// collect reads each pool's state from /proc/spl/kstat/zfs/<pool>/state
// (OpenZFS ≥ 0.8) and, when zpool is installed (or the tree holds
// ZpoolStatusCapturePath), the vdev tree of `zpool status -p -P`. Without
// the zfs module there is no kstat directory: no pools and no error.
func (src zfsSource) collect(ctx context.Context, r Roots) ([]ZPool, []Error) {
	if r.Proc == "" {
		return nil, nil
	}
	base := filepath.Join(r.Proc, "spl/kstat/zfs")
	ents, err := hostfs.ReadDir(base)
	if hostfs.Absent(err) {
		return nil, nil
	}
	if err != nil {
		return nil, []Error{hostfs.New(ZFSCollector, base, fmt.Errorf("list pools: %w", err))}
	}
	var (
		pools []ZPool
		errs  []Error
	)
	for _, e := range ents {
		if !e.IsDir() || !validDevName(e.Name()) {
			continue
		}
		sp := filepath.Join(base, e.Name(), "state")
		b, err := hostfs.ReadAttr(sp)
		if hostfs.Absent(err) {
			continue // not a pool directory
		}
		p := ZPool{Name: e.Name()}
		if err == nil {
			p.State, err = parseKstatState(b)
		}
		if err != nil {
			errs = append(errs, hostfs.New(ZFSCollector, sp, fmt.Errorf("pool %s: %w", e.Name(), err)))
		}
		pools = append(pools, p)
	}
	if len(pools) == 0 {
		return nil, errs
	}
	data, err := src.tool.output(ctx, r, ZpoolStatusCapturePath, "zpool", ZpoolStatusArgs...)
	if errors.Is(err, errToolAbsent) {
		return pools, errs
	}
	where := "zpool " + strings.Join(ZpoolStatusArgs, " ")
	if !r.Live {
		where = filepath.Join(filepath.Dir(r.Sys), filepath.FromSlash(ZpoolStatusCapturePath))
	}
	if err != nil {
		return pools, append(errs, hostfs.New(ZFSCollector, where, err))
	}
	status, perr := parseZpoolStatus(data)
	if perr != nil {
		errs = append(errs, hostfs.New(ZFSCollector, where, perr))
	}
	for i := range pools {
		p := &pools[i]
		j := slices.IndexFunc(status, func(s ZPool) bool { return s.Name == p.Name })
		if j < 0 {
			errs = append(errs, hostfs.New(ZFSCollector, where, fmt.Errorf("pool %s is imported but not in zpool status", p.Name)))
			continue
		}
		p.Vdevs, p.Status = status[j].Vdevs, status[j].Status
		for k := range p.Vdevs {
			for _, l := range p.Vdevs[k].Leaves() {
				if strings.HasPrefix(l.Name, "/dev/") {
					l.Device = rootDevice(r, &mountInfo{Source: l.Name})
				}
			}
		}
		if p.State == "" {
			p.State = status[j].State
		}
	}
	return pools, errs
}
