package engine

import (
	"slices"

	"github.com/redwatch/redwatch/bonding"
	"github.com/redwatch/redwatch/collectors"
)

// keepStale puts back into cur what a collector that failed in cur (an
// error of its own, or no source at all) read in prev and cannot see now:
// a bond, md array, NIC or power supply by name, the default routes and the
// root filesystem as a whole. Each is listed in cur.Stale with the time it
// was last read and the collector's error. What the failed collector still
// read is taken as read: a source that fails can add findings, never
// resolve one. prev is the previous pass's snapshot after its own
// keepStale; nil (a one-shot audit) keeps nothing.
func keepStale(prev, cur *collectors.Snapshot) {
	if prev == nil {
		return
	}
	failed := failedCollectors(cur.Errors)
	if len(failed) == 0 {
		return
	}
	since := map[staleKey]collectors.Stale{}
	for _, s := range prev.Stale {
		since[staleKey{s.Collector, s.Name}] = s
	}
	mark := func(collector, name string) {
		s := collectors.Stale{Collector: collector, Name: name, Since: prev.Time, Error: failed[collector]}
		if at, ok := prev.ReadAt[collector]; ok {
			s.Since = at // a cached source (the BMC) read it then
		}
		if old, ok := since[staleKey{collector, name}]; ok {
			s.Since = old.Since // stale since the last pass that read it
		}
		cur.Stale = append(cur.Stale, s)
	}
	if _, ok := failed["bonding"]; ok {
		cur.Bonds = carry(prev.Bonds, cur.Bonds, func(b bonding.Bond) string { return b.Name }, func(n string) { mark("bonding", n) })
	}
	if _, ok := failed["md"]; ok {
		cur.MD = carry(prev.MD, cur.MD, func(a collectors.MDArray) string { return a.Name }, func(n string) { mark("md", n) })
	}
	if _, ok := failed["net"]; ok {
		cur.NICs = carry(prev.NICs, cur.NICs, func(n collectors.NIC) string { return n.Name }, func(n string) { mark("net", n) })
	}
	if _, ok := failed["power"]; ok {
		cur.PSUs = carry(prev.PSUs, cur.PSUs, func(p collectors.PSU) string { return p.Name }, func(n string) { mark("power", n) })
	}
	// The supplies and redundancy sets of the other power sources (hwmon,
	// Redfish, IPMI: a BMC that stopped answering), by their Source: one
	// failing keeps its own.
	for _, c := range []string{collectors.HwmonCollector, collectors.RedfishCollector, collectors.IPMICollector} {
		if _, ok := failed[c]; !ok {
			continue
		}
		var psus []collectors.PSU
		for _, p := range prev.PSUs {
			if p.Source == c {
				psus = append(psus, p)
			}
		}
		cur.PSUs = carry(psus, cur.PSUs, func(p collectors.PSU) string { return p.Name }, func(n string) { mark(c, n) })
		var sets []collectors.PowerRedundancy
		for _, r := range prev.PowerRedundancy {
			if r.Source == c {
				sets = append(sets, r)
			}
		}
		cur.PowerRedundancy = carry(sets, cur.PowerRedundancy, func(r collectors.PowerRedundancy) string { return r.Name },
			func(n string) { mark(c, n) })
	}
	if _, ok := failed[collectors.MultipathCollector]; ok {
		cur.Multipath = carry(prev.Multipath, cur.Multipath, func(m collectors.MultipathMap) string { return m.Name }, func(n string) { mark(collectors.MultipathCollector, n) })
	}
	if _, ok := failed[collectors.BtrfsCollector]; ok {
		cur.Btrfs = carry(prev.Btrfs, cur.Btrfs, func(f collectors.Btrfs) string { return f.Name() }, func(n string) { mark(collectors.BtrfsCollector, n) })
	}
	if _, ok := failed[collectors.ZFSCollector]; ok {
		cur.ZFS = carry(prev.ZFS, cur.ZFS, func(p collectors.ZPool) string { return p.Name }, func(n string) { mark(collectors.ZFSCollector, n) })
	}
	if _, ok := failed["route"]; ok && cur.DefaultRoutes == nil && prev.DefaultRoutes != nil {
		cur.DefaultRoutes = prev.DefaultRoutes
		mark("route", "")
	}
	if _, ok := failed["rootfs"]; ok && cur.RootFS == nil && prev.RootFS != nil {
		cur.RootFS = prev.RootFS
		mark("rootfs", "")
	}
}

type staleKey struct{ collector, name string }

// failedCollectors maps each collector with an error in errs to its first
// error; a tree with no source at all fails every collector.
func failedCollectors(errs []collectors.Error) map[string]string {
	failed := map[string]string{}
	for _, e := range errs {
		if e.Collector == collectors.SourceCollector {
			for _, c := range []string{"bonding", "md", "net", "power", "route", "rootfs"} {
				if _, ok := failed[c]; !ok {
					failed[c] = e.Reason()
				}
			}
			continue
		}
		if _, ok := failed[e.Collector]; !ok {
			failed[e.Collector] = e.Error()
		}
	}
	return failed
}

// carry returns cur followed by every item of prev whose name cur lacks;
// kept is called with each name carried over.
func carry[T any](prev, cur []T, name func(T) string, kept func(string)) []T {
	have := make(map[string]bool, len(cur))
	for _, c := range cur {
		have[name(c)] = true
	}
	out := cur
	for _, p := range prev {
		if n := name(p); !have[n] {
			out = append(slices.Clip(out), p)
			kept(n)
		}
	}
	return out
}
