// Package hostfs is the one layer between the collectors and the host's
// files: the filesystem roots a pass reads (Roots), the bounded reads of
// sysfs attributes and procfs files (ReadAttr, ReadAttrTimeout, ReadFile),
// and the error a source returns for what it could not read (Error).
//
// Every collector and bonding/ reads through it, so a new source gets the
// bounds, the timeout for attributes that can block and the error shape for
// free. Files redwatch writes (the state file, the alert outbox) go through
// internal/safefile's WriteAtomic; only internal/actions may write under
// /sys.
package hostfs

import "path/filepath"

// Roots are the filesystem roots a pass reads: normally /sys, /proc and
// /dev; under `audit --root DIR` they are DIR/sys, DIR/proc and DIR/dev. An
// empty root is not read.
type Roots struct {
	Sys  string
	Proc string
	Dev  string
	// Live is true when the roots are the running host's own (/sys, /proc),
	// so live-only sources (ethtool ioctls, netlink) may be used.
	Live bool
}

// HostRoots are the running host's roots.
func HostRoots() Roots { return Roots{Sys: "/sys", Proc: "/proc", Dev: "/dev", Live: true} }

// TreeRoots are the roots of a captured tree laid out like a host: dir/sys, dir/proc, dir/dev.
func TreeRoots(dir string) Roots {
	return Roots{Sys: filepath.Join(dir, "sys"), Proc: filepath.Join(dir, "proc"), Dev: filepath.Join(dir, "dev")}
}
