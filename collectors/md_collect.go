package collectors

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/redwatch/redwatch/internal/hostfs"
)

// mdSource reads the md arrays and flags member states nobody knows.
type mdSource struct{}

func (mdSource) Name() string { return "md" }

func (mdSource) Collect(_ context.Context, r Roots) (Part, error) {
	return mdPart(r, nil), nil
}

// Refresh re-reads /proc/mdstat and the sysfs of only the arrays whose
// block in it changed since last (see mdMemo), looked up by name without
// listing /sys/block; the others are given again as last read them. A pass that follows the block subsystem re-reads
// every array: a member's disk may have come or gone without the arrays'
// mdstat blocks changing (the block resolver's Disk and Controller).
//
// Why an unchanged block is taken for an unchanged array: the poll()
// wake-ups on /proc/mdstat are md_new_event() calls, and in drivers/md/md.c
// (linux-next 339ae1d, read whole) each one changes what md_seq_show prints
// for the array it is about:
//   - add_bound_rdev (a disk added to a running array, or re-added),
//     new_dev_store, hot_add_disk: a member appears in the array's line
//     (with "(S)" while a spare), or loses its "(F)";
//   - state_store "remove", hot_remove_disk: a member leaves the line;
//   - md_error: the member gets "(F)" and "[n/m] [U_]" changes, or the
//     array turns "broken" (no event for raid0, linear, or a member
//     already faulty);
//   - remove_and_add_spares: a spare takes a slot, its "(S)" goes;
//   - md_run, do_md_stop: the array turns active, or inactive, or goes;
//   - level_store: the personality's name changes;
//   - md_do_sync, as the sync gets under way: its progress line appears
//     (its second event, after the first request, can leave the text as it
//     was, but then no attribute read here changed either);
//   - md_reap_sync_thread, as it ends: the progress line goes, and the
//     members it made in sync show in "[n/m] [UU]".
//
// Not always, and then an md pass keeps the array's last facts:
//   - md_start_sync's event, and raid5/raid10 start_reshape's (outside
//     md.c), can come before md_do_sync sets curr_resync: mdstat shows no
//     sync yet while sync_action (and reshape_position) already name it.
//     md_do_sync's own event follows as it starts, except for a sync delayed
//     behind another array on the same disks, whose "resync=DELAYED" comes
//     without an event;
//   - a sync that starts and ends between two reads leaves no difference,
//     so what it changed in sysfs only (mismatch_cnt after a check) is not
//     re-read;
//   - what md changes with no event at all (a member's write_error or
//     blocked flag, mismatch_cnt during a check) is as silent to an event
//     pass as it was before.
//
// All of these reach redwatch by the interval's full pass, which reads
// every array's sysfs.
func (mdSource) Refresh(_ context.Context, r Roots, ev Events, last Part) (Part, error) {
	memo, _ := last.Memo.(*mdMemo)
	if slices.Contains(ev.Subsystems, SubsystemBlock) {
		memo = nil
	}
	return mdPart(r, memo), nil
}

// mdPart reads the md arrays, reusing memo's arrays whose mdstat block is
// unchanged (nil: none), and keeps the read's memo in the Part.
func mdPart(r Roots, memo *mdMemo) Part {
	arrays, errs, next := collectMDFrom(r, nil, memo)
	errs = append(errs, unknownMemberStates(r, arrays)...)
	p := Part{Set: func(s *Snapshot) { s.MD = arrays }, Errors: errs}
	if next != nil { // a nil memo in an interface would not be a nil Memo
		p.Memo = next
	}
	return p
}

// mdMemo is what one md read keeps for the next md-only incremental pass:
// for each array /proc/mdstat listed, the text of its block there and what
// the read made of it (mdstat refined by sysfs, its members' disks
// resolved) with the errors of its sysfs. There is none when mdstat could
// not be used as a whole (the arrays then come from sysfs alone).
type mdMemo struct {
	arrays map[string]mdMemoArray // by the array's block in mdstat
}

// mdMemoArray is one array as a read left it.
type mdMemoArray struct {
	array    MDArray // shared with the snapshots that hold it: never modified
	errs     []Error // what its sysfs could not give
	resolved bool    // its members' Disk and Controller were resolved
}

// collectMD reads the md arrays from /proc/mdstat and /sys/block/<md>/md.
//
// /proc/mdstat (one read for all arrays) gives the arrays, levels, "[n/m]
// [UU_]" and sync progress. Where /sys/block/<md>/md exists it refines each
// array with what mdstat does not say: array_state, sync_action (repair vs
// resync, frozen), mismatch_cnt and each member's exact state and slot (the
// rd<N> links); attributes mdstat already gave are read only when it did not
// (level, raid_disks, sync_completed). Either source alone is enough. When
// mdstat was read, it decides which arrays exist; otherwise sysfs does. No
// mdstat and no /sys/block/md* means no md: no arrays, no error.
//
// Why not github.com/prometheus/procfs's sysfs.FS.Mdraids: it stops at the
// first attribute it cannot read, so the arrays after it are lost, reads
// every attribute of every array whatever mdstat already said, and has no
// member slot (rd<N>) or mismatch_cnt; mdstat.go says why not its mdstat
// parser.
func collectMD(r Roots) ([]MDArray, []Error) {
	return collectMDLogged(r, nil)
}

// mdReadLog records the files one md pass read (tests measure it).
type mdReadLog struct{ paths []string }

func (l *mdReadLog) add(p string) {
	if l != nil {
		l.paths = append(l.paths, p)
	}
}

// collectMDLogged is collectMD, recording each file it reads in log (may be nil).
func collectMDLogged(r Roots, log *mdReadLog) ([]MDArray, []Error) {
	arrays, errs, _ := collectMDFrom(r, log, nil)
	return arrays, errs
}

// collectMDFrom is collectMDLogged taking each array whose /proc/mdstat
// block memo holds from memo instead of reading its sysfs and resolving its
// members again (nil memo: every array is read), and returning the memo of
// this read (nil when mdstat was not usable as a whole).
func collectMDFrom(r Roots, log *mdReadLog, memo *mdMemo) ([]MDArray, []Error, *mdMemo) {
	var errs []Error
	addErr := func(path string, err error) {
		errs = append(errs, Error{Collector: "md", Path: path, Err: err})
	}

	var arrays []MDArray
	var blocks []string // of arrays, when fromMDStat
	fromMDStat := false
	bad := map[string]bool{} // arrays mdstat could not parse: never reported (so never healthy)
	mdstatPath := filepath.Join(r.Proc, "mdstat")
	data, err := hostfs.ReadFile(mdstatPath, 0)
	log.add(mdstatPath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		addErr(mdstatPath, fmt.Errorf("read mdstat: %w", err))
	default:
		arrs, blks, perr := parseMDStatBlocks(data)
		arrays, blocks = arrs, blks
		fromMDStat = true
		for _, e := range unwrapJoined(perr) {
			var ae *mdArrayError
			if errors.As(e, &ae) {
				bad[ae.Array] = true
			} else {
				fromMDStat = false // the file as a whole is unusable: let sysfs say which arrays exist
			}
			addErr(mdstatPath, e)
		}
	}

	if !fromMDStat {
		memo = nil
	}
	// From memo: the arrays whose block it holds, with their sysfs errors.
	reused := make([]*mdMemoArray, len(arrays))
	var only []string // the arrays whose md directory to open; nil: list them all
	if memo != nil {
		only = []string{}
		for i := range arrays {
			if m, ok := memo.arrays[blocks[i]]; ok {
				reused[i] = &m
			} else if !slices.Contains(only, arrays[i].Name) {
				only = append(only, arrays[i].Name)
			}
		}
	}

	rd := hostfs.NewReader()
	defer rd.Release()
	sysDirs, err := mdSysfsDirs(rd, r.Sys, only)
	if err != nil {
		addErr(filepath.Join(r.Sys, "block"), err)
	}
	sysfsListed := err == nil // a read whose listing failed leaves no memo: the next lists again
	defer func() {
		for _, d := range sysDirs {
			if d.err == nil {
				d.Close()
			}
		}
	}()
	var arrayErrs [][]Error // by arrays index, when fromMDStat: the errors of its sysfs
	if fromMDStat {
		arrayErrs = make([][]Error, len(arrays))
		for i := range arrays {
			if m := reused[i]; m != nil {
				arrays[i], arrayErrs[i] = m.array, m.errs
			} else if dir, ok := sysDirs[arrays[i].Name]; ok {
				arrayErrs[i] = readMDSysfs(rd, dir, &arrays[i], true, log)
			}
			errs = append(errs, arrayErrs[i]...)
		}
	} else {
		names := make([]string, 0, len(sysDirs))
		for name := range sysDirs {
			if !bad[name] {
				names = append(names, name)
			}
		}
		slices.Sort(names)
		for _, name := range names {
			a := newMDArray(name)
			errs = append(errs, readMDSysfs(rd, sysDirs[name], &a, false, log)...)
			if (a.ArrayState == "clear" || a.ArrayState == "") && len(a.Members) == 0 && a.Level == "" {
				continue // an md node that was opened but never assembled; mdstat does not list it either
			}
			arrays = append(arrays, a)
		}
	}

	if !fromMDStat { // the arrays came from sysfs, none from memo
		reused = make([]*mdMemoArray, len(arrays))
	}
	resolved := make([]bool, len(arrays)) // its members' disks are resolved
	var br *blockResolver
	kept := arrays[:0:0] // nil when arrays is, as the snapshot had it; never aliasing arrays
	for i, a := range arrays {
		// An active redundant array whose slot count no source gave cannot be
		// judged: neither source printed what every kernel prints for it.
		if a.Active && a.Redundant() && a.RaidDisks <= 0 && !bad[a.Name] {
			path := mdstatPath
			if dir, ok := sysDirs[a.Name]; ok && !fromMDStat {
				path = dir.Join("raid_disks")
			}
			if !slices.ContainsFunc(errs, func(e Error) bool { return e.Path == path }) {
				addErr(path, fmt.Errorf("md %s: active %s with no slot count (raid_disks)", a.Name, a.Level))
			}
			continue
		}
		if resolved[i] = reused[i] != nil && reused[i].resolved; !resolved[i] {
			if br == nil {
				br = newBlockResolver(r.Sys)
				defer br.close()
			}
			if reused[i] != nil { // the memo's members are shared: resolve a copy
				arrays[i].Members = slices.Clone(arrays[i].Members)
			}
			for j := range arrays[i].Members {
				m := &arrays[i].Members[j]
				bi := br.resolve(strings.ReplaceAll(m.Name, "/", "!"))
				m.Disk, m.Controller = bi.disk, bi.controller
			}
			resolved[i] = true
		}
		kept = append(kept, arrays[i])
	}

	var next *mdMemo
	if fromMDStat && sysfsListed {
		next = &mdMemo{arrays: make(map[string]mdMemoArray, len(arrays))}
		for i := range arrays {
			next.arrays[blocks[i]] = mdMemoArray{array: arrays[i], errs: arrayErrs[i], resolved: resolved[i]}
		}
	}
	slices.SortFunc(kept, func(a, b MDArray) int { return natCompare(a.Name, b.Name) })
	return kept, errs, next
}

// unwrapJoined splits an errors.Join error into its parts.
func unwrapJoined(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// mdSysDir is an array's md directory, opened (the caller closes it), or
// why it could not be opened.
type mdSysDir struct {
	hostfs.Dir
	err error
}

// mdSysfsDirs lists /sys/block/md* and returns each array's md directory
// (/sys/block/<md>/md, resolved through the link in a captured tree). With
// only not nil it lists nothing: it looks up the arrays only names, each
// by its name (none: it reads nothing at all).
func mdSysfsDirs(rd *hostfs.Reader, sys string, only []string) (map[string]mdSysDir, error) {
	if only != nil && len(only) == 0 {
		return nil, nil
	}
	blockDir := filepath.Join(sys, "block")
	bd, err := rd.OpenDir(blockDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list block devices: %w", err)
	}
	defer bd.Close()
	names := only
	if only == nil {
		if err := rd.Names(bd, func(name string, _ byte) {
			if strings.HasPrefix(name, "md") && validDevName(name) {
				names = append(names, strings.Clone(name))
			}
		}); err != nil {
			return nil, fmt.Errorf("list block devices: %w", err)
		}
	}
	dirs := make(map[string]mdSysDir, len(names))
	for _, name := range names {
		// /sys/block/<md> is a relative link to the device's directory:
		// one readlink gives its path; anything else (a captured tree's
		// file holding the target, a hand-made directory) is sysDir's.
		var dev string
		if t, err := rd.ReadlinkAt(bd, name); err == nil && len(t) > 0 && t[0] != '/' {
			if p := filepath.Join(blockDir, string(t)); underRoot(sys, p) {
				dev = p
			}
		}
		if dev == "" {
			if dev, err = sysDir(sys, filepath.Join(blockDir, name)); err != nil {
				continue
			}
		}
		switch md, err := rd.OpenDir(dev + "/md"); {
		case err == nil:
			dirs[name] = mdSysDir{Dir: md}
		case !hostfs.Absent(err): // there, but not to be listed: its arrays are not healthy
			dirs[name] = mdSysDir{Dir: md, err: err}
		}
	}
	return dirs, nil
}

// mdAttrs are the array attributes of <md>/md read by name; mdAttrReader.have
// has bit i set when the directory holds mdAttrs[i].
var mdAttrs = [...]string{"array_state", "level", "metadata_version", "raid_disks", "degraded",
	"sync_action", "sync_completed", "reshape_position", "mismatch_cnt"}

// mdAttrReader reads md sysfs attributes of one array through its
// directory's fd, recording errors.
type mdAttrReader struct {
	log  *mdReadLog
	rd   *hostfs.Reader
	dir  hostfs.Dir
	have uint // bit i: mdAttrs[i] is in dir, so absent attributes are not tried
	errs []Error
}

// attr returns the trimmed bytes of the attribute name (one of mdAttrs, or
// "slot"/"state" of member sub's dev-<sub>) of the array's directory, valid
// until the next read; ok is false when it is absent or unreadable (then
// recorded).
func (ar *mdAttrReader) attr(sub, name string) ([]byte, bool) {
	if sub == "" {
		i := slices.Index(mdAttrs[:], name)
		if i < 0 || ar.have&(1<<i) == 0 {
			return nil, false
		}
	}
	if ar.log != nil {
		ar.log.add(ar.path(sub, name))
	}
	b, err := ar.rd.ReadAtSub(ar.dir, sub, name)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			ar.fail(ar.path(sub, name), fmt.Errorf("read md attribute: %w", err))
		}
		return nil, false
	}
	return bytes.TrimSpace(b), true
}

// read is attr as a string (interned when it is one of known).
func (ar *mdAttrReader) read(name string, known ...string) (string, bool) {
	b, ok := ar.attr("", name)
	if !ok {
		return "", false
	}
	return internBytes(b, known), true
}

// path is the path of sub/name (name when sub is "") in the array's directory.
func (ar *mdAttrReader) path(sub, name string) string {
	if sub == "" {
		return ar.dir.Join(name)
	}
	return ar.dir.Join(sub + "/" + name)
}

func (ar *mdAttrReader) fail(path string, err error) {
	ar.errs = append(ar.errs, Error{Collector: "md", Path: path, Err: err})
}

// readInt reads an integer attribute into *dst; an empty value (a container's
// raid_disks) leaves it Unknown, garbage is an error.
func (ar *mdAttrReader) readInt(name string, dst *int) {
	v, ok := ar.attr("", name)
	if !ok || len(v) == 0 {
		return
	}
	if i := bytes.IndexFunc(v, unicode.IsSpace); i >= 0 {
		v = v[:i] // raid_disks during a reshape: "4 (3)"
	}
	n, err := strconv.Atoi(string(v))
	if err != nil || n < 0 || n > maxMDDisks {
		ar.fail(ar.dir.Join(name), fmt.Errorf("md attribute %q is not a count", v))
		return
	}
	*dst = n
}

// internBytes returns b as the string of known it equals (no allocation),
// else as a new string.
func internBytes(b []byte, known []string) string {
	for _, k := range known {
		if string(b) == k {
			return k
		}
	}
	return string(b)
}

// The values md's attributes usually hold (drivers/md/md.c), interned.
var (
	mdArrayStates  = []string{"clean", "active", "inactive", "clear", "readonly", "read-auto", "write-pending", "active-idle", "suspended", "broken"}
	mdSyncActions  = []string{"idle", "resync", "recover", "check", "repair", "reshape", "frozen", "none"}
	mdLevelNames   = []string{"raid0", "raid1", "raid4", "raid5", "raid6", "raid10", "linear", "multipath", "faulty", "container"}
	mdMemberStates = []string{"in_sync", "spare", "faulty", "in_sync,write_mostly", "faulty,write_mostly", "journal", "in_sync,journal"}
)

// mdDirEntries are what readMDSysfs needs of an md directory's listing.
type mdDirEntries struct {
	devs []string // the members' directories, "dev-<name>"
	// rd are the rd<N> links read: slot and target's base name (the
	// member's directory "dev-<name>", "dev-" cut), in arena[off:end].
	rd    []mdSlotLink
	arena []byte
}

type mdSlotLink struct{ slot, off, end int }

// slotOf returns the slot of member d from the rd<N> links (the last link
// naming it wins, as a map filled in listing order would).
func (e *mdDirEntries) slotOf(d string) (int, bool) {
	slot, ok := 0, false
	for _, l := range e.rd {
		if string(e.arena[l.off:l.end]) == d {
			slot, ok = l.slot, true
		}
	}
	return slot, ok
}

// readMDSysfs refines (withMDStat) or fills a from its md sysfs directory.
func readMDSysfs(rd *hostfs.Reader, md mdSysDir, a *MDArray, withMDStat bool, log *mdReadLog) []Error {
	dir := md.Dir
	if md.err != nil {
		var pe *fs.PathError
		if errors.As(md.err, &pe) {
			return []Error{{Collector: "md", Path: pe.Path, Err: fmt.Errorf("list md directory: %w", md.err)}}
		}
	}
	ar := &mdAttrReader{log: log, rd: rd, dir: dir}
	var ents mdDirEntries
	err := rd.Names(dir, func(n string, _ byte) {
		if i := slices.Index(mdAttrs[:], n); i >= 0 {
			ar.have |= 1 << i
			return
		}
		switch {
		case strings.HasPrefix(n, "dev-") && validDevName(n[4:]):
			if ents.devs == nil {
				ents.devs = make([]string, 0, max(len(a.Members), 8))
			}
			ents.devs = append(ents.devs, strings.Clone(n)) // "dev-<name>": the member's name is its tail
		case strings.HasPrefix(n, "rd"):
			slot, err := strconv.Atoi(n[2:])
			if err != nil || slot < 0 || slot >= maxMDDisks {
				return
			}
			if t, err := readLinkAt(rd, dir, n); err == nil {
				t = bytes.TrimPrefix(baseBytes(t), []byte("dev-"))
				if ents.arena == nil {
					ents.arena = make([]byte, 0, 256)
					ents.rd = make([]mdSlotLink, 0, max(len(a.Members), 8))
				}
				off := len(ents.arena)
				ents.arena = append(ents.arena, t...)
				ents.rd = append(ents.rd, mdSlotLink{slot: slot, off: off, end: len(ents.arena)})
			}
		}
	})
	if err != nil {
		return []Error{{Collector: "md", Path: dir.Path(), Err: fmt.Errorf("list md directory: %w", err)}}
	}

	if st, ok := ar.read("array_state", mdArrayStates...); ok {
		a.ArrayState = st
		a.Active = st != "inactive" && st != "clear"
		a.ReadOnly = a.ReadOnly || st == "readonly" || st == "read-auto"
	}
	if !withMDStat || a.Level == "" {
		if lv, ok := ar.attr("", "level"); ok && len(lv) > 0 {
			a.Level = mdLevelName(internBytes(lv, mdLevelNames))
		}
	}
	if !withMDStat {
		if mv, ok := ar.read("metadata_version"); ok && strings.HasPrefix(mv, "external:") {
			a.External = mv
		}
	}
	if a.RaidDisks == Unknown {
		ar.readInt("raid_disks", &a.RaidDisks)
	}
	if a.Degraded == Unknown {
		ar.readInt("degraded", &a.Degraded)
	}
	if a.Redundant() {
		if sa, ok := ar.read("sync_action", mdSyncActions...); ok && sa != "" && sa != "none" {
			if a.SyncAction == "" || sa != "idle" {
				a.SyncAction = sa // sysfs tells repair from resync; mdstat's kind stays when sysfs says idle (a sync that just ended)
			}
		}
		if a.SyncProgress == Unknown && a.SyncPending == "" && a.SyncAction != "" && a.SyncAction != "idle" && a.SyncAction != "frozen" {
			if sc, ok := ar.read("sync_completed"); ok {
				done, total, state, err := parseSyncCompleted(sc)
				switch {
				case err != nil:
					ar.fail(dir.Join("sync_completed"), err)
				case state == "delayed":
					a.SyncPending = "delayed"
				case state == "":
					a.SyncProgress = float64(done) * 100 / float64(total)
				}
			}
		}
		if mdReshapes[a.Level] && (a.SyncAction == "" || a.SyncAction == "idle" || a.SyncAction == "frozen") {
			// md/reshape_position is a sector while a reshape is under way,
			// "none" otherwise (reshape_position_show). A reshape that is not
			// running (frozen, or an array assembled mid-reshape and still
			// read-only) shows in neither mdstat nor sync_action.
			if rp, ok := ar.attr("", "reshape_position"); ok && string(rp) != "none" {
				if _, err := strconv.ParseUint(string(rp), 10, 64); err != nil {
					ar.fail(dir.Join("reshape_position"), fmt.Errorf("md attribute %q is neither a sector nor \"none\"", rp))
				} else {
					if a.SyncAction == "frozen" {
						a.SyncPending = "frozen"
					} else {
						a.SyncPending = "pending"
					}
					a.SyncAction = "reshape"
				}
			}
		}
		if mc, ok := ar.attr("", "mismatch_cnt"); ok {
			if n, err := strconv.ParseInt(string(mc), 10, 64); err == nil && n >= 0 {
				a.MismatchCount = n
			} else {
				ar.fail(dir.Join("mismatch_cnt"), fmt.Errorf("md attribute %q is not a count", mc))
			}
		}
	}

	devs := ents.devs
	if len(devs) > 0 {
		// Slots come from the rd<N> links; without any (a partial capture),
		// from each member's slot attribute.
		slotsKnown := len(ents.rd) > 0
		var attrSlots []int // by devs index, when read from dev-<name>/slot
		if !slotsKnown && a.Active {
			attrSlots = make([]int, len(devs))
			for i, dev := range devs {
				attrSlots[i] = Unknown
				sl, ok := ar.attr(dev, "slot")
				if !ok {
					continue
				}
				s, err := parseSlot(string(sl))
				if err != nil {
					ar.fail(filepath.Join(dir.Path(), dev, "slot"), err)
					continue
				}
				slotsKnown = true
				attrSlots[i] = s
			}
		}
		members := make([]MDMember, 0, len(devs)+len(a.Members))
		for i, dev := range devs {
			d := dev[len("dev-"):]
			j := slices.IndexFunc(a.Members, func(m MDMember) bool { return sysfsDevName(m.Name) == d })
			var m MDMember
			had := j >= 0
			if had {
				m = a.Members[j]
				a.Members = slices.Delete(a.Members, j, j+1)
			} else {
				m = MDMember{Name: d, DescNr: Unknown}
			}
			m.Slot = Unknown
			if s, ok := ents.slotOf(d); ok {
				m.Slot = s
			} else if attrSlots != nil {
				m.Slot = attrSlots[i]
			}
			b, ok := ar.attr(dev, "state")
			if !ok {
				if !had {
					m.State, m.RawState = MemberUnknown, ""
				}
				members = append(members, m)
				continue
			}
			raw := internBytes(b, mdMemberStates)
			fl := parseMemberState(raw)
			m.RawState = raw
			m.State = fl.memberState(m.Slot)
			m.WriteMostly, m.WantReplacement, m.Replacement = fl.writeMostly, fl.wantReplacement, fl.replacement
			m.Blocked, m.WriteError = fl.blocked, fl.writeError
			members = append(members, m)
		}
		members = append(members, a.Members...) // in mdstat but gone from sysfs between the two reads
		slices.SortFunc(members, compareMembers)
		a.Members = members
		if slotsKnown || !withMDStat {
			sysfsSlots(a, withMDStat)
		}
	}
	return ar.errs
}

// sysfsDevName is a member's name as sysfs spells it ("cciss/c0d0" → "cciss!c0d0").
func sysfsDevName(name string) string { return strings.ReplaceAll(name, "/", "!") }

// compareMembers orders members by slot (spares and unknown last), then name.
func compareMembers(x, y MDMember) int {
	xs, ys := x.Slot, y.Slot
	if xs < 0 {
		xs = maxMDDisks
	}
	if ys < 0 {
		ys = maxMDDisks
	}
	return cmp.Or(cmp.Compare(xs, ys), natCompare(x.Name, y.Name))
}

// sysfsSlots recomputes MissingSlots (and, without mdstat, Status and
// ActiveDisks) from the members' slots: a slot is missing when no member
// holds it or only a faulty one does; a member in an unknown state still
// holds its slot (its state is reported as unknown, not as a removal).
//
// A member that must hold a slot (in sync, rebuilding, or in a state not
// understood) but whose slot could not be read makes the slot view
// incomplete: then the kernel's own counters decide (md/degraded, mdstat's
// "[n/m]"), rather than every slot counting as missing.
func sysfsSlots(a *MDArray, withMDStat bool) {
	if a.RaidDisks <= 0 || !a.Active || a.Level == "container" {
		return
	}
	for _, m := range a.Members {
		if m.Slot < 0 && (m.State == MemberInSync || m.State == MemberRebuilding || m.State == MemberUnknown) {
			if !withMDStat {
				a.MissingSlots, a.Status = nil, ""
				if a.Degraded != Unknown {
					a.ActiveDisks = a.RaidDisks - a.Degraded
				}
			}
			return
		}
	}
	filled := make([]byte, a.RaidDisks)
	for i := range filled {
		filled[i] = '_'
	}
	working := make([]bool, a.RaidDisks)
	for _, m := range a.Members {
		if m.Slot < 0 || m.Slot >= a.RaidDisks {
			continue
		}
		switch m.State {
		case MemberInSync:
			filled[m.Slot] = 'U'
			working[m.Slot] = true
		case MemberFaulty:
		default: // rebuilding, or a state never seen: the slot is held (the unknown state is its own finding)
			working[m.Slot] = true
		}
	}
	a.MissingSlots = nil
	for i, w := range working {
		if !w {
			a.MissingSlots = append(a.MissingSlots, i)
		}
	}
	if !withMDStat && a.Redundant() {
		a.Status = string(filled)
		if a.Degraded != Unknown {
			a.ActiveDisks = a.RaidDisks - a.Degraded
		} else {
			a.ActiveDisks = strings.Count(a.Status, "U")
			a.Degraded = a.RaidDisks - a.ActiveDisks
		}
	}
}

// mdStateFlags are the flags of /sys/block/<md>/md/dev-<name>/state
// (drivers/md/md.c state_show).
type mdStateFlags struct {
	faulty, inSync, journal, writeMostly, blocked, spare, writeError bool
	wantReplacement, replacement, externalBBL, failFast              bool
	// unknown are flags this code has never seen.
	unknown []string
}

// parseMemberState parses a comma-separated md member state
// ("in_sync", "faulty,write_mostly", "spare,replacement").
func parseMemberState(raw string) mdStateFlags {
	var f mdStateFlags
	raw = strings.TrimSpace(raw)
	if raw == "" {
		f.unknown = append(f.unknown, "")
		return f
	}
	for flag := range strings.SplitSeq(raw, ",") {
		switch strings.TrimSpace(flag) {
		case "faulty":
			f.faulty = true
		case "in_sync":
			f.inSync = true
		case "journal":
			f.journal = true
		case "write_mostly":
			f.writeMostly = true
		case "blocked":
			f.blocked = true
		case "spare":
			f.spare = true
		case "write_error":
			f.writeError = true
		case "want_replacement":
			f.wantReplacement = true
		case "replacement":
			f.replacement = true
		case "external_bbl":
			f.externalBBL = true
		case "failfast":
			f.failFast = true
		default:
			if len(f.unknown) < 8 {
				f.unknown = append(f.unknown, flag)
			}
		}
	}
	return f
}

// memberState maps the flags to a member state: faulty wins; "spare" in a
// slot is a member being rebuilt (the kernel says "spare" for every member
// that is neither in sync, faulty nor a journal); a flag never seen, or
// contradicting flags, is MemberUnknown.
func (f mdStateFlags) memberState(slot int) string {
	switch {
	case len(f.unknown) > 0:
		return MemberUnknown
	case f.faulty:
		return MemberFaulty
	case f.journal:
		return MemberJournal
	case f.inSync && f.spare:
		return MemberUnknown
	case f.inSync:
		return MemberInSync
	case f.spare && (slot >= 0 || f.replacement):
		return MemberRebuilding
	case f.spare:
		return MemberSpare
	}
	return MemberUnknown
}

// mdReshapes are the levels whose reshape runs over time (raid1's is instant).
var mdReshapes = map[string]bool{"raid4": true, "raid5": true, "raid6": true, "raid10": true}

// mdLevelNumbers maps the numbers md/level prints for an array that has a
// level but no personality yet (level_show: "%d" of mddev->level, e.g. an
// inactive array assembled from its superblocks) to the personality names.
var mdLevelNumbers = map[string]string{
	"0": "raid0", "1": "raid1", "4": "raid4", "5": "raid5", "6": "raid6", "10": "raid10",
	"-1": "linear", "-4": "multipath", "-5": "faulty",
}

// mdLevelName is md/level as a personality name: the name itself, or the
// name of a level printed as a number.
func mdLevelName(lv string) string {
	if n, ok := mdLevelNumbers[lv]; ok {
		return n
	}
	return lv
}

// parseSlot parses md/dev-<name>/slot: a number, or "none" or "journal"
// (slot_show: a spare and a journal device hold no slot), both Unknown.
func parseSlot(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "none" || s == "journal" {
		return Unknown, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n >= maxMDDisks {
		return Unknown, fmt.Errorf("md slot %q is not a slot number", s)
	}
	return n, nil
}

// parseSyncCompleted parses md/sync_completed: "done / total" sectors, or
// "none" (no sync running) or "delayed" (waiting for another array on the
// same disks), returned as state with done and total zero.
func parseSyncCompleted(s string) (done, total int64, state string, err error) {
	s = strings.TrimSpace(s)
	switch s {
	case "none", "delayed":
		return 0, 0, s, nil
	}
	ds, ts, ok := strings.Cut(s, "/")
	if !ok {
		return 0, 0, "", fmt.Errorf("sync_completed %q is not \"done / total\"", s)
	}
	done, err1 := strconv.ParseInt(strings.TrimSpace(ds), 10, 64)
	total, err2 := strconv.ParseInt(strings.TrimSpace(ts), 10, 64)
	if err1 != nil || err2 != nil || done < 0 || total <= 0 || done > total {
		return 0, 0, "", fmt.Errorf("sync_completed %q is not \"done / total\"", s)
	}
	return done, total, "", nil
}

// natCompare orders names with embedded numbers naturally (md2 before md10).
func natCompare(a, b string) int {
	for a != "" && b != "" {
		ai, bi := leadingDigits(a), leadingDigits(b)
		if ai > 0 && bi > 0 {
			an, bn := strings.TrimLeft(a[:ai], "0"), strings.TrimLeft(b[:bi], "0")
			if c := cmp.Or(cmp.Compare(len(an), len(bn)), strings.Compare(an, bn)); c != 0 {
				return c
			}
			a, b = a[ai:], b[bi:]
			continue
		}
		if a[0] != b[0] {
			return cmp.Compare(a[0], b[0])
		}
		a, b = a[1:], b[1:]
	}
	return cmp.Compare(len(a), len(b))
}

func leadingDigits(s string) int {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}
