package collectors

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Unknown marks an integer fact that could not be read.
const Unknown = -1

// collector is one subsystem's reader: it fills its part of the snapshot from
// the roots and returns what it could not read.
type collector struct {
	name string
	run  func(r Roots, s *Snapshot) []Error
}

// all lists the collectors in the order a pass runs them. NICs come after
// bonds and md so that they can be read once and shared.
var all = []collector{
	{"bonding", func(r Roots, s *Snapshot) (errs []Error) { s.Bonds, errs = collectBonds(r); return }},
	{"md", func(r Roots, s *Snapshot) (errs []Error) { s.MD, errs = collectMD(r); return }},
	{"net", func(r Roots, s *Snapshot) (errs []Error) { s.NICs, errs = collectNICs(r); return }},
	{"route", func(r Roots, s *Snapshot) (errs []Error) { s.DefaultRoutes, errs = collectRoutes(r); return }},
	{"rootfs", func(r Roots, s *Snapshot) (errs []Error) { s.RootFS, errs = collectRootFS(r); return }},
	{"power", func(r Roots, s *Snapshot) (errs []Error) { s.PSUs, errs = collectPSUs(r); return }},
}

// Collect runs every collector against the roots and returns the snapshot.
// It never fails as a whole: what a collector could not read is in Errors.
func Collect(ctx context.Context, r Roots, now func() time.Time) *Snapshot {
	s := &Snapshot{Time: now(), Host: hostname(r), Durations: make(map[string]time.Duration, len(all))}
	for _, c := range all {
		if ctx.Err() != nil {
			s.Errors = append(s.Errors, Error{Collector: c.name, Path: "", Err: ctx.Err().Error()})
			continue
		}
		start := now()
		s.Errors = append(s.Errors, c.run(r, s)...)
		s.Durations[c.name] = now().Sub(start)
	}
	return s
}

// hostname is the kernel's host name under the proc root, or the running
// host's name on a live host.
func hostname(r Roots) string {
	if b, err := readAttr(filepath.Join(r.Proc, "sys/kernel/hostname")); err == nil {
		if h := strings.TrimSpace(string(b)); h != "" {
			return h
		}
	}
	if r.Live {
		if h, err := os.Hostname(); err == nil {
			return h
		}
	}
	return ""
}
