package collectors

import (
	"errors"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/redwatch/redwatch/internal/hostfs"
)

// SourceCollector is the Collector of the Error that says a tree holds
// none of the sources redwatch reads.
const SourceCollector = "sources"

// sourcePaths are the files and directories under the roots where the
// collectors start reading: mdstat and the md sysfs, the bonding files, the
// NICs, the power supplies (power_supply and hwmon), the routes and the mount table.
func sourcePaths(r Roots) []string {
	paths := []string{
		filepath.Join(r.Proc, "mdstat"),
		filepath.Join(r.Proc, "net/bonding"),
		filepath.Join(r.Proc, "net/route"),
		filepath.Join(r.Proc, "self/mountinfo"),
		filepath.Join(r.Sys, "class/net"),
		filepath.Join(r.Sys, "block"),
		filepath.Join(r.Sys, "class/power_supply"),
		filepath.Join(r.Sys, "class/hwmon"),
		filepath.Join(r.Sys, "fs/btrfs"),
		filepath.Join(r.Proc, "spl/kstat/zfs"),
	}
	if d := SmartctlDir(r); d != "" {
		paths = append(paths, d)
	}
	if !r.Live && r.Sys != "" {
		paths = append(paths, filepath.Join(filepath.Dir(r.Sys), RedfishCaptureDir))
		paths = append(paths, filepath.Join(filepath.Dir(r.Sys), HWRaidDir))
		paths = append(paths, filepath.Join(filepath.Dir(r.Sys), "ipmi"))
	}
	return paths
}

// NoSource returns an Error when none of the sources the collectors read
// exists under r: a wrong --root or an empty capture must be UNKNOWN, not a
// host without redundancy. A live host always has /sys/class/net.
func NoSource(r Roots) *Error {
	paths := sourcePaths(r)
	for _, p := range paths {
		if _, err := hostfs.Lstat(p); err == nil || !errors.Is(err, fs.ErrNotExist) {
			return nil // there, or there but unreadable: the collector says so itself
		}
	}
	where := r.Sys + ", " + r.Proc
	if d := filepath.Dir(r.Sys); d == filepath.Dir(r.Proc) && d != "/" {
		where = d // a captured tree's root
	}
	return &Error{Collector: SourceCollector, Path: where,
		Err: errors.New("no source found: looked for " + strings.Join(paths, ", "))}
}
