package collectors

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"

	"github.com/redwatch/redwatch/internal/hostfs"
)

// MultipathCollector is the Collector of the errors of the multipath source.
const MultipathCollector = "multipath"

// MultipathCapturePath is where a captured tree holds multipathd's path
// table, relative to the tree: the output of MultipathdArgs.
const MultipathCapturePath = "multipath/paths.txt"

// MultipathdArgs are the arguments of the one multipathd command the
// multipath source runs: one line per path, "dev|map|dm_st|chk_st|dev_st"
// (`multipathd show wildcards`: %d dev, %m multipath alias, %t the
// device-mapper state active/failed, %T the path checker's state
// ready/ghost/faulty/shaky/i/o pending/..., %o the SCSI device state
// running/offline/...), with no header and no padding (raw). "|" appears in
// none of the values, unlike the spaces of "i/o pending".
var MultipathdArgs = []string{"show", "paths", "raw", "format", "%d|%m|%t|%T|%o"}

// multipathdPIDFiles say that multipathd runs (its socket is in the
// abstract namespace, "@/org/kernel/linux/storage/multipathd", which no
// stat finds); /run/multipathd.socket is the socket-activation path some
// distributions use.
var multipathdPIDFiles = []string{"/run/multipathd.pid", "/run/multipathd.socket", "/var/run/multipathd.pid"}

// Multipath path states the source adds to the kernel's SCSI device states.
const (
	// PathActive is a path that the kernel runs and multipathd (when it
	// runs) considers active and its checker ready.
	PathActive = "active"
	// PathMissing is a path named in the map's slaves/ whose device is gone
	// (hot-unplugged: the link dangles).
	PathMissing = "missing"
	// PathFailed is a path that device-mapper marked failed (dm_st).
	PathFailed = "failed"
	// PathFaulty is a path whose multipathd checker says faulty or shaky.
	PathFaulty = "faulty"
	// PathUnknown is a path whose state could not be read.
	PathUnknown = "unknown"
)

// MultipathMap is one device-mapper multipath map
// (/sys/block/dm-*/dm/uuid starting "mpath-").
type MultipathMap struct {
	// Name is /sys/block/<dm>/dm/name, e.g. "mpatha" or the WWID.
	Name string `json:"name"`
	// Device is the dm device, e.g. "dm-0".
	Device string `json:"device"`
	// WWID is dm/uuid without its "mpath-" prefix.
	WWID string `json:"wwid"`
	// Paths are the map's paths (/sys/block/<dm>/slaves), in natural order.
	Paths []MultipathPath `json:"paths"`
}

// MultipathPath is one path of a multipath map.
type MultipathPath struct {
	// Name is the path's block device, e.g. "sdb".
	Name string `json:"name"`
	// DeviceState is /sys/block/<path>/device/state (SCSI: running,
	// offline, blocked, transport-offline, ...); "missing" when the device
	// is gone, "" when the device has no state file (not SCSI).
	DeviceState string `json:"device_state"`
	// DMState and CheckerState are multipathd's %t (active, failed) and %T
	// (ready, ghost, faulty, shaky, ...) for the path; "" without multipathd.
	DMState      string `json:"dm_state,omitempty"`
	CheckerState string `json:"checker_state,omitempty"`
	// State is the summary: "active" when every view says the path
	// works, else the first complaint (missing, the device state,
	// failed, faulty) or "unknown".
	State string `json:"state"`
}

// multipathdPath is one line of MultipathdArgs' output.
type multipathdPath struct {
	Dev, Map, DMState, CheckerState, DevState string
}

// parseMultipathdPaths parses the output of `multipathd` MultipathdArgs.
// Blank lines are skipped; a line that is not five "|"-separated fields
// with a valid device name is an error naming its number (the lines before
// and after it are kept).
func parseMultipathdPaths(data []byte) ([]multipathdPath, error) {
	var (
		out  []multipathdPath
		errs []error
	)
	n := 0
	for line := range strings.SplitSeq(string(data), "\n") {
		n++
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		f := strings.Split(line, "|")
		if len(f) != 5 {
			if len(errs) < 10 {
				errs = append(errs, fmt.Errorf("multipathd paths line %d: %d fields, want 5 (dev|map|dm_st|chk_st|dev_st)", n, len(f)))
			}
			continue
		}
		for i := range f {
			f[i] = strings.TrimSpace(f[i])
		}
		if !validDevName(f[0]) {
			if len(errs) < 10 {
				errs = append(errs, fmt.Errorf("multipathd paths line %d: %q is not a device name", n, f[0]))
			}
			continue
		}
		out = append(out, multipathdPath{Dev: f[0], Map: f[1], DMState: f[2], CheckerState: f[3], DevState: f[4]})
	}
	return out, errors.Join(errs...)
}

// pathState summarises a path's views: the device state first (a path whose
// device is gone or offline is down whatever multipathd last saw), then
// device-mapper's, then the checker's.
func pathState(p *MultipathPath) string {
	switch {
	case p.DeviceState == PathMissing:
		return PathMissing
	case p.DeviceState != "" && p.DeviceState != "running":
		return p.DeviceState
	case p.DMState == "failed":
		return PathFailed
	case p.CheckerState == "faulty" || p.CheckerState == "shaky":
		return PathFaulty
	case p.DeviceState == "" && p.DMState == "":
		return PathUnknown
	}
	return PathActive
}

// multipathSource reads the device-mapper multipath maps.
type multipathSource struct{ tool storageTool }

func (multipathSource) Name() string { return MultipathCollector }

func (src multipathSource) Collect(ctx context.Context, r Roots) (Part, error) {
	maps, errs := src.collect(ctx, r)
	return Part{Set: func(s *Snapshot) { s.Multipath = maps }, Errors: errs}, nil
}

// collect lists /sys/block/dm-*, keeps the maps whose dm/uuid starts with
// "mpath-", and reads each path's device state; multipathd's view is added
// when it runs (live) or the tree holds MultipathCapturePath. A host without
// multipath maps has none and no error.
func (src multipathSource) collect(ctx context.Context, r Roots) ([]MultipathMap, []Error) {
	if r.Sys == "" {
		return nil, nil
	}
	blockDir := filepath.Join(r.Sys, "block")
	ents, err := hostfs.ReadDir(blockDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, []Error{hostfs.New(MultipathCollector, blockDir, fmt.Errorf("list block devices: %w", err))}
	}
	var (
		maps []MultipathMap
		errs []Error
	)
	for _, e := range ents {
		name := e.Name()
		if !strings.HasPrefix(name, "dm-") || !validDevName(name) {
			continue
		}
		// The resolved device directory: the slaves/ links are relative
		// to it, not to the /sys/block link.
		dir, err := sysDir(r.Sys, filepath.Join(blockDir, name))
		if err != nil {
			errs = append(errs, hostfs.New(MultipathCollector, filepath.Join(blockDir, name), fmt.Errorf("resolve: %w", err)))
			continue
		}
		uuidPath := filepath.Join(dir, "dm/uuid")
		b, err := hostfs.ReadAttr(uuidPath)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			errs = append(errs, hostfs.New(MultipathCollector, uuidPath, fmt.Errorf("read dm uuid: %w", err)))
			continue
		}
		wwid, ok := strings.CutPrefix(strings.TrimSpace(string(b)), "mpath-")
		if !ok {
			continue // LVM, crypt, ...: not multipath
		}
		m := MultipathMap{Device: name, WWID: wwid, Name: name}
		namePath := filepath.Join(dir, "dm/name")
		if nb, err := hostfs.ReadAttr(namePath); err == nil && strings.TrimSpace(string(nb)) != "" {
			m.Name = strings.TrimSpace(string(nb))
		} else if err != nil {
			errs = append(errs, hostfs.New(MultipathCollector, namePath, fmt.Errorf("read dm name: %w", err)))
		}
		slaves, err := hostfs.ReadDir(filepath.Join(dir, "slaves"))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, hostfs.New(MultipathCollector, filepath.Join(dir, "slaves"), fmt.Errorf("list paths: %w", err)))
		}
		for _, s := range slaves {
			if !validDevName(s.Name()) {
				continue
			}
			p, perr := readPathState(r.Sys, filepath.Join(dir, "slaves", s.Name()), s.Name())
			if perr != nil {
				errs = append(errs, *perr)
			}
			m.Paths = append(m.Paths, p)
		}
		slices.SortFunc(m.Paths, func(a, b MultipathPath) int { return natCompare(a.Name, b.Name) })
		maps = append(maps, m)
	}
	if len(maps) == 0 {
		return nil, errs
	}
	slices.SortFunc(maps, func(a, b MultipathMap) int { return natCompare(a.Device, b.Device) })
	if e := src.addMultipathd(ctx, r, maps); e != nil {
		errs = append(errs, *e)
	}
	for i := range maps {
		for j := range maps[i].Paths {
			maps[i].Paths[j].State = pathState(&maps[i].Paths[j])
		}
	}
	return maps, errs
}

// readPathState reads one path's SCSI device state through its slaves/
// link: a link whose target is gone is PathMissing; a device without a
// state file (not SCSI) has DeviceState "".
func readPathState(sys, link, name string) (MultipathPath, *Error) {
	p := MultipathPath{Name: name}
	dir, err := sysDir(sys, link)
	if err != nil {
		if hostfs.Absent(err) || errors.Is(err, fs.ErrNotExist) {
			p.DeviceState = PathMissing
			return p, nil
		}
		return p, &Error{Collector: MultipathCollector, Path: link, Err: fmt.Errorf("resolve path %s: %w", name, err)}
	}
	if !exists(dir) {
		p.DeviceState = PathMissing
		return p, nil
	}
	sp := filepath.Join(dir, "device/state")
	b, err := hostfs.ReadAttr(sp)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		p.DeviceState = PathUnknown
		return p, &Error{Collector: MultipathCollector, Path: sp, Err: fmt.Errorf("read path %s state: %w", name, err)}
	default:
		p.DeviceState = strings.TrimSpace(string(b))
	}
	return p, nil
}

// addMultipathd adds multipathd's view of each path (live: when multipathd
// runs; tree: MultipathCapturePath). Lines of paths not in a map are
// ignored; a path multipathd lists under a map is matched by device name.
func (src multipathSource) addMultipathd(ctx context.Context, r Roots, maps []MultipathMap) *Error {
	if r.Live && !multipathdRuns() {
		return nil
	}
	data, err := src.tool.output(ctx, r, MultipathCapturePath, "multipathd", MultipathdArgs...)
	if errors.Is(err, errToolAbsent) {
		return nil
	}
	where := "multipathd " + strings.Join(MultipathdArgs, " ")
	if !r.Live {
		where = filepath.Join(filepath.Dir(r.Sys), filepath.FromSlash(MultipathCapturePath))
	}
	if err != nil {
		return &Error{Collector: MultipathCollector, Path: where, Err: err}
	}
	paths, perr := parseMultipathdPaths(data)
	byDev := make(map[string]multipathdPath, len(paths))
	for _, p := range paths {
		byDev[p.Dev] = p
	}
	for i := range maps {
		for j := range maps[i].Paths {
			p := &maps[i].Paths[j]
			if mp, ok := byDev[p.Name]; ok {
				p.DMState, p.CheckerState = mp.DMState, mp.CheckerState
			}
		}
	}
	if perr != nil {
		return &Error{Collector: MultipathCollector, Path: where, Err: perr}
	}
	return nil
}

// multipathdRuns reports whether multipathd runs on this host.
func multipathdRuns() bool {
	for _, p := range multipathdPIDFiles {
		if _, err := hostfs.Stat(p); err == nil {
			return true
		}
	}
	return false
}
