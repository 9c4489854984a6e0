package collectors

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCollectMDSysfsCorpus(t *testing.T) {
	t.Parallel()
	dir := mdCorpusDir(t, "mdstat")
	tests := []struct {
		tree     string
		want     mdWant
		slots    map[string]int
		degraded int
	}{
		{"sysfs_md0_raid0", mdWant{name: "md0", level: "raid0", n: 2, m: Unknown, members: 2},
			map[string]int{"sdg": 0, "sdh": 1}, Unknown},
		{"sysfs_md1_raid1", mdWant{name: "md1", level: "raid1", n: 2, m: 2, status: "UU", sync: "idle", members: 2},
			map[string]int{"sdi": 0, "sdj": 1}, 0},
		{"sysfs_md4_raid4", mdWant{name: "md4", level: "raid4", n: 3, m: 3, status: "UUU", sync: "idle", members: 3},
			map[string]int{"sdk": 0, "sdl": 1, "sdm": 2}, 0},
		{"sysfs_md10_raid10", mdWant{name: "md10", level: "raid10", n: 4, m: 4, status: "UUUU", sync: "idle", members: 4},
			map[string]int{"sdu": 0, "sdv": 1, "sdw": 2, "sdx": 3}, 0},
		// an IMSM/DDF container: inactive, level container, empty raid_disks — not a broken array
		{"sysfs_md7_container", mdWant{name: "md7", level: "container", inactive: true, n: Unknown, m: Unknown}, nil, Unknown},
	}
	for _, tc := range tests {
		t.Run(tc.tree, func(t *testing.T) {
			arrays, errs := collectMD(TreeRoots(filepath.Join(dir, tc.tree)))
			if len(errs) != 0 {
				t.Fatalf("errors: %v", errs)
			}
			if len(arrays) != 1 {
				t.Fatalf("%d arrays, want 1", len(arrays))
			}
			mdCheck(t, arrays, tc.want)
			a := arrays[0]
			if a.Degraded != tc.degraded {
				t.Errorf("degraded %d, want %d", a.Degraded, tc.degraded)
			}
			for _, m := range a.Members {
				if m.State != MemberInSync || m.Slot != tc.slots[m.Name] || m.Disk != m.Name {
					t.Errorf("member %+v, want in_sync in slot %d on its own disk", m, tc.slots[m.Name])
				}
			}
		})
	}
}

// mdLab is one live-kernel capture and what it must show.
func mdLabRoots(t *testing.T, name string) Roots {
	return TreeRoots(mdCorpusDir(t, filepath.Join("lab", name)))
}

var mdLabControllers = map[string]string{
	"vda": "0000:00:08.0", "vdb": "0000:00:09.0", "vdc": "0000:00:0a.0", "vdd": "0000:00:0b.0", "vde": "0000:00:0c.0",
}

func mdCheckLabMembers(t *testing.T, arrays []MDArray) {
	t.Helper()
	for _, a := range arrays {
		if a.ArrayState != "clean" || a.MismatchCount != 0 {
			t.Errorf("%s: array_state %q mismatch_cnt %d", a.Name, a.ArrayState, a.MismatchCount)
		}
		for _, m := range a.Members {
			if m.Disk != m.Name || m.Controller != mdLabControllers[m.Name] {
				t.Errorf("%s/%s: disk %q controller %q, want %q on %s", a.Name, m.Name, m.Disk, m.Controller, m.Name, mdLabControllers[m.Name])
			}
		}
	}
}

func TestCollectMDLab(t *testing.T) {
	t.Parallel()
	tests := []struct {
		tree  string
		want  []mdWant
		slots map[string]map[string]int
	}{
		{"kernel61_healthy", []mdWant{
			{name: "md0", level: "raid1", n: 2, m: 2, status: "UU", sync: "idle", members: 2},
			{name: "md1", level: "raid5", n: 3, m: 3, status: "UUU", sync: "idle", members: 3},
		}, map[string]map[string]int{"md0": {"vda": 0, "vdb": 1}, "md1": {"vdc": 0, "vdd": 1, "vde": 2}}},
		{"kernel61_faults", []mdWant{
			{name: "md0", level: "raid1", n: 2, m: 1, status: "U_", faulty: []string{"vdb"}, missing: []int{1}, sync: "idle", members: 2},
			{name: "md1", level: "raid5", n: 3, m: 2, status: "UU_", faulty: []string{"vde"}, missing: []int{2}, sync: "idle", members: 3},
		}, map[string]map[string]int{"md0": {"vda": 0, "vdb": Unknown}, "md1": {"vdc": 0, "vdd": 1, "vde": Unknown}}},
		{"kernel61_recovering", []mdWant{
			{name: "md0", level: "raid1", n: 2, m: 1, status: "U_", rebuilding: []string{"vdb"}, sync: "recover", progress: 1.5, members: 2},
			{name: "md1", level: "raid5", n: 3, m: 2, status: "UU_", missing: []int{2}, sync: "idle", members: 2},
		}, map[string]map[string]int{"md0": {"vda": 0, "vdb": 1}, "md1": {"vdc": 0, "vdd": 1}}},
	}
	for _, tc := range tests {
		t.Run(tc.tree, func(t *testing.T) {
			arrays, errs := collectMD(mdLabRoots(t, tc.tree))
			if len(errs) != 0 {
				t.Fatalf("errors: %v", errs)
			}
			if len(arrays) != len(tc.want) {
				t.Fatalf("%d arrays, want %d", len(arrays), len(tc.want))
			}
			for _, w := range tc.want {
				mdCheck(t, arrays, w)
			}
			for _, a := range arrays {
				for _, m := range a.Members {
					if want := tc.slots[a.Name][m.Name]; m.Slot != want {
						t.Errorf("%s/%s: slot %d, want %d", a.Name, m.Name, m.Slot, want)
					}
					if m.RawState == "" || m.DescNr == Unknown {
						t.Errorf("%s/%s: raw state %q desc %d: sysfs and mdstat not combined", a.Name, m.Name, m.RawState, m.DescNr)
					}
				}
			}
			mdCheckLabMembers(t, arrays)
		})
	}
}

// TestCollectMDLabSysfsOnly reads the live captures without /proc/mdstat:
// sysfs alone gives the same verdicts, and the progress from sync_completed.
func TestCollectMDLabSysfsOnly(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		tree string
		want []mdWant
	}{
		{"kernel61_faults", []mdWant{
			{name: "md0", level: "raid1", n: 2, m: 1, status: "U_", faulty: []string{"vdb"}, missing: []int{1}, sync: "idle", members: 2},
			{name: "md1", level: "raid5", n: 3, m: 2, status: "UU_", faulty: []string{"vde"}, missing: []int{2}, sync: "idle", members: 3},
		}},
		{"kernel61_recovering", []mdWant{
			// sync_completed "32768 / 522240" sectors
			{name: "md0", level: "raid1", n: 2, m: 1, status: "U_", rebuilding: []string{"vdb"}, sync: "recover", progress: 32768.0 * 100 / 522240, members: 2},
			{name: "md1", level: "raid5", n: 3, m: 2, status: "UU_", missing: []int{2}, sync: "idle", members: 2},
		}},
	} {
		t.Run(tc.tree, func(t *testing.T) {
			r := mdLabRoots(t, tc.tree)
			r.Proc = t.TempDir() // no mdstat
			arrays, errs := collectMD(r)
			if len(errs) != 0 {
				t.Fatalf("errors: %v", errs)
			}
			if len(arrays) != len(tc.want) {
				t.Fatalf("%d arrays, want %d", len(arrays), len(tc.want))
			}
			for _, w := range tc.want {
				mdCheck(t, arrays, w)
			}
			mdCheckLabMembers(t, arrays)
		})
	}
}

// TestCollectMDReadsFewFiles measures the files one pass reads on the
// recovering capture: mdstat once, then per array array_state, sync_action,
// mismatch_cnt (and reshape_position for a level that reshapes) and per
// member its state; rd<N> links; nothing twice.
func TestCollectMDReadsFewFiles(t *testing.T) {
	t.Parallel()
	log := &mdReadLog{}
	arrays, errs := collectMDLogged(mdLabRoots(t, "kernel61_recovering"), log)
	if len(errs) != 0 || len(arrays) != 2 {
		t.Fatalf("arrays %d errors %v", len(arrays), errs)
	}
	seen := map[string]bool{}
	for _, p := range log.paths {
		if seen[p] {
			t.Errorf("%s read twice", p)
		}
		seen[p] = true
		for _, skip := range []string{"/level", "/raid_disks", "/degraded", "/sync_completed", "/slot", "/uuid"} {
			if strings.HasSuffix(p, skip) {
				t.Errorf("read %s although mdstat already says it", p)
			}
		}
	}
	// 1 mdstat + 2 arrays × 3 attributes + 4 member states + the raid5's
	// reshape_position (a reshape that is not running shows nowhere else)
	if want := 1 + 2*3 + 4 + 1; len(log.paths) != want {
		t.Errorf("read %d files, want %d: %v", len(log.paths), want, log.paths)
	}
}

func TestCollectMDPartitionsOfOneDisk(t *testing.T) {
	t.Parallel()
	arrays, errs := collectMD(TreeRoots("testdata/md_partitions_one_disk"))
	if len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}
	if len(arrays) != 2 {
		t.Fatalf("%d arrays", len(arrays))
	}
	want := map[string][2]string{
		"sda1": {"sda", "0000:00:1f.2"}, "sda2": {"sda", "0000:00:1f.2"},
		"nvme0n1p1": {"nvme0n1", "0000:3d:00.0"}, "nvme1n1p1": {"nvme1n1", "0000:3e:00.0"},
	}
	for _, a := range arrays {
		mdCheck(t, arrays, mdWant{name: a.Name, level: "raid1", n: 2, m: 2, status: "UU", sync: "idle", members: 2})
		for _, m := range a.Members {
			if got := [2]string{m.Disk, m.Controller}; got != want[m.Name] {
				t.Errorf("%s/%s: disk, controller %v, want %v", a.Name, m.Name, got, want[m.Name])
			}
		}
	}
	md0 := mdFind(arrays, "md0")
	if md0 == nil || md0.Members[0].Disk != md0.Members[1].Disk {
		t.Errorf("md0's two members should resolve to one disk: %+v", md0)
	}
}

func TestCollectMDErrors(t *testing.T) {
	t.Parallel()
	t.Run("nothing there", func(t *testing.T) {
		arrays, errs := collectMD(TreeRoots(t.TempDir()))
		if arrays != nil || errs != nil {
			t.Errorf("arrays %v errs %v, want none", arrays, errs)
		}
	})
	t.Run("empty mdstat", func(t *testing.T) {
		root := t.TempDir()
		mdWriteFile(t, filepath.Join(root, "proc/mdstat"), "")
		arrays, errs := collectMD(TreeRoots(root))
		if len(arrays) != 0 || len(errs) != 1 || !strings.Contains(errs[0].Reason(), "empty") || errs[0].Collector != "md" ||
			errs[0].Path != filepath.Join(root, "proc/mdstat") {
			t.Errorf("arrays %v errs %+v, want one 'empty' error", arrays, errs)
		}
	})
	t.Run("unknown personality, sysfs cannot revive it", func(t *testing.T) {
		root := t.TempDir()
		mdWriteFile(t, filepath.Join(root, "proc/mdstat"), "Personalities : [raid1]\n"+
			"md5 : active raid99 sda1[0] sdb1[1]\n      100 blocks [2/2] [UU]\n\n"+
			"md0 : active raid1 sdc1[0] sdd1[1]\n      100 blocks [2/2] [UU]\n\nunused devices: <none>\n")
		mdWriteFile(t, filepath.Join(root, "sys/block/md5/md/level"), "raid99\n")
		mdWriteFile(t, filepath.Join(root, "sys/block/md5/md/array_state"), "clean\n")
		arrays, errs := collectMD(TreeRoots(root))
		if len(arrays) != 1 || arrays[0].Name != "md0" {
			t.Errorf("arrays %+v, want md0 only", arrays)
		}
		if len(errs) != 1 || !strings.Contains(errs[0].Reason(), "md5") || !strings.Contains(errs[0].Reason(), "raid99") {
			t.Errorf("errors %+v, want one naming md5 and raid99", errs)
		}
	})
	t.Run("unknown member state flag", func(t *testing.T) {
		root := t.TempDir()
		md := filepath.Join(root, "sys/block/md0/md")
		for name, v := range map[string]string{"level": "raid1", "raid_disks": "2", "degraded": "0", "array_state": "clean",
			"sync_action": "idle", "mismatch_cnt": "0", "dev-sda/state": "in_sync", "dev-sdb/state": "in_sync,frobnicated"} {
			mdWriteFile(t, filepath.Join(md, name), v+"\n")
		}
		mdSymlink(t, "dev-sda", filepath.Join(md, "rd0"))
		mdSymlink(t, "dev-sdb", filepath.Join(md, "rd1"))
		arrays, errs := collectMD(TreeRoots(root))
		if len(errs) != 0 || len(arrays) != 1 {
			t.Fatalf("arrays %v errs %v", arrays, errs)
		}
		want := MDMember{Name: "sdb", Slot: 1, DescNr: Unknown, State: MemberUnknown, RawState: "in_sync,frobnicated", Disk: "sdb"}
		if diff := cmp.Diff(want, arrays[0].Members[1]); diff != "" {
			t.Errorf("member sdb, unknown with the raw state kept (-want +got):\n%s", diff)
		}
		if a := arrays[0]; len(a.MissingSlots) != 0 || a.Status != "U_" {
			t.Errorf("status %q missing %v: an unknown member holds its slot but is not in sync", a.Status, a.MissingSlots)
		}
	})
	t.Run("garbage raid_disks", func(t *testing.T) {
		root := t.TempDir()
		md := filepath.Join(root, "sys/block/md0/md")
		mdWriteFile(t, filepath.Join(md, "level"), "raid1\n")
		mdWriteFile(t, filepath.Join(md, "array_state"), "clean\n")
		mdWriteFile(t, filepath.Join(md, "raid_disks"), "lots\n")
		_, errs := collectMD(TreeRoots(root))
		if len(errs) != 1 || !strings.HasSuffix(errs[0].Path, "raid_disks") || strings.HasPrefix(errs[0].Reason(), "collectors: ") {
			t.Errorf("errors %+v, want one for raid_disks", errs)
		}
	})
	t.Run("unused md node is skipped", func(t *testing.T) {
		root := t.TempDir()
		mdWriteFile(t, filepath.Join(root, "sys/block/md9/md/array_state"), "clear\n")
		mdWriteFile(t, filepath.Join(root, "sys/block/md9/md/level"), "\n")
		arrays, errs := collectMD(TreeRoots(root))
		if len(arrays) != 0 || len(errs) != 0 {
			t.Errorf("arrays %v errs %v, want none", arrays, errs)
		}
	})
}

func TestParseMemberState(t *testing.T) {
	t.Parallel()
	tests := []struct {
		raw   string
		slot  int
		state string
	}{
		{"in_sync", 0, MemberInSync},
		{"in_sync\n", 1, MemberInSync},
		{"faulty", Unknown, MemberFaulty},
		{"faulty,in_sync,write_mostly", 0, MemberFaulty},
		{"spare", Unknown, MemberSpare},
		{"spare", 1, MemberRebuilding},
		{"spare,replacement", Unknown, MemberRebuilding},
		{"in_sync,want_replacement,blocked,write_error,failfast,external_bbl", 0, MemberInSync},
		{"journal", Unknown, MemberJournal},
		{"in_sync,spare", 0, MemberUnknown},
		{"in_sync,frobnicated", 0, MemberUnknown},
		{"", 0, MemberUnknown},
		{"write_mostly", 0, MemberUnknown},
	}
	for _, tc := range tests {
		if got := parseMemberState(tc.raw).memberState(tc.slot); got != tc.state {
			t.Errorf("%q in slot %d: %q, want %q", tc.raw, tc.slot, got, tc.state)
		}
	}
	f := parseMemberState("in_sync,want_replacement,blocked,write_error,write_mostly")
	if !f.wantReplacement || !f.blocked || !f.writeError || !f.writeMostly || f.replacement {
		t.Errorf("flags %+v", f)
	}
}

func TestParseSyncCompleted(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in          string
		done, total int64
		state       string
		err         bool
	}{
		{"32768 / 522240\n", 32768, 522240, "", false},
		{"none", 0, 0, "none", false},
		{"delayed\n", 0, 0, "delayed", false},
		{"5 / 0", 0, 0, "", true},
		{"7 / 5", 0, 0, "", true},
		{"-1 / 5", 0, 0, "", true},
		{"x / 5", 0, 0, "", true},
		{"", 0, 0, "", true},
	}
	for _, tc := range tests {
		d, tot, st, err := parseSyncCompleted(tc.in)
		if (err != nil) != tc.err || d != tc.done || tot != tc.total || st != tc.state {
			t.Errorf("%q: %d %d %q %v", tc.in, d, tot, st, err)
		}
	}
	for in, want := range map[string]int{"3": 3, "none": Unknown, " 0\n": 0} {
		if got, err := parseSlot(in); err != nil || got != want {
			t.Errorf("parseSlot(%q) = %d, %v", in, got, err)
		}
	}
	if _, err := parseSlot("-2"); err == nil {
		t.Error("parseSlot(-2) accepted")
	}
}

func TestNatCompare(t *testing.T) {
	t.Parallel()
	names := []string{"md10", "md2", "md_d0", "md127", "md0", "md1"}
	slices.SortFunc(names, natCompare)
	if want := []string{"md0", "md1", "md2", "md10", "md127", "md_d0"}; !slices.Equal(names, want) {
		t.Errorf("%v, want %v", names, want)
	}
}

func FuzzParseMemberState(f *testing.F) {
	for _, s := range []string{"in_sync", "faulty,write_mostly", "spare,replacement", "", ",,", "journal"} {
		f.Add(s, 0)
	}
	f.Fuzz(func(t *testing.T, raw string, slot int) {
		switch st := parseMemberState(raw).memberState(slot); st {
		case MemberInSync, MemberFaulty, MemberSpare, MemberRebuilding, MemberUnknown, MemberJournal:
		default:
			t.Fatalf("state %q", st)
		}
	})
}

func FuzzParseSyncCompleted(f *testing.F) {
	for _, s := range []string{"32768 / 522240", "none", "delayed", "1/0", "9223372036854775807 / 9223372036854775807"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		done, total, state, err := parseSyncCompleted(s)
		if err != nil || state != "" {
			return
		}
		p := float64(done) * 100 / float64(total)
		if done < 0 || total <= 0 || done > total || math.IsNaN(p) || p > 100 {
			t.Fatalf("%q: %d / %d", s, done, total)
		}
	})
}

func mdSymlink(t testing.TB, target, link string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

// mdMemberName is the i-th SCSI disk name: sda..sdz, sdaa..
func mdMemberName(i int) string {
	const l = "abcdefghijklmnopqrstuvwxyz"
	if i < 26 {
		return "sd" + string(l[i])
	}
	return "sd" + string(l[i/26-1]) + string(l[i%26])
}

// mdSyntheticMDStat is a /proc/mdstat of n RAID6 arrays of m whole-disk members.
func mdSyntheticMDStat(n, m int) string {
	var b strings.Builder
	b.WriteString("Personalities : [raid1] [raid6] [raid5] [raid4] \n")
	for a := n - 1; a >= 0; a-- {
		fmt.Fprintf(&b, "md%d : active raid6", a)
		for j := m - 1; j >= 0; j-- {
			fmt.Fprintf(&b, " %s[%d]", mdMemberName(a*m+j), j)
		}
		fmt.Fprintf(&b, "\n      11720294400 blocks super 1.2 level 6, 512k chunk, algorithm 2 [%d/%d] [%s]\n", m, m, strings.Repeat("U", m))
		b.WriteString("      bitmap: 0/15 pages [0KB], 65536KB chunk\n\n")
	}
	b.WriteString("unused devices: <none>\n")
	return b.String()
}

// mdWriteSyntheticTree lays out n arrays of m members as the kernel does:
// /sys/block/mdN → devices/virtual/block/mdN with md/ attributes, rd<N>
// links and dev-*/state; /sys/class/block/sdX → a SAS HBA's PCI path.
func mdWriteSyntheticTree(t testing.TB, root string, n, m int) {
	mdWriteFile(t, filepath.Join(root, "proc/mdstat"), mdSyntheticMDStat(n, m))
	for a := 0; a < n; a++ {
		name := fmt.Sprintf("md%d", a)
		dev := filepath.Join(root, "sys/devices/virtual/block", name)
		md := filepath.Join(dev, "md")
		for attr, v := range map[string]string{"level": "raid6", "raid_disks": fmt.Sprint(m), "degraded": "0",
			"array_state": "clean", "sync_action": "idle", "sync_completed": "none", "mismatch_cnt": "0",
			"metadata_version": "1.2", "uuid": "00000000-0000-0000-0000-000000000000"} {
			mdWriteFile(t, filepath.Join(md, attr), v+"\n")
		}
		mdSymlink(t, "../devices/virtual/block/"+name, filepath.Join(root, "sys/block", name))
		mdSymlink(t, "../../devices/virtual/block/"+name, filepath.Join(root, "sys/class/block", name))
		for j := 0; j < m; j++ {
			disk := mdMemberName(a*m + j)
			mdWriteFile(t, filepath.Join(md, "dev-"+disk, "state"), "in_sync\n")
			mdWriteFile(t, filepath.Join(md, "dev-"+disk, "slot"), fmt.Sprint(j)+"\n")
			mdSymlink(t, "dev-"+disk, filepath.Join(md, fmt.Sprintf("rd%d", j)))
			pci := fmt.Sprintf("devices/pci0000:00/0000:00:%02x.0/0000:%02x:00.0/host%d/port-%d:%d/end_device-%d:%d/target%d:0:%d/%d:0:%d:0/block/%s",
				a%4+1, a%4+2, a, a, j, a, j, a, j, a, j, disk)
			mdWriteFile(t, filepath.Join(root, "sys", pci, "dev"), "8:0\n")
			mdSymlink(t, "../../"+pci, filepath.Join(root, "sys/class/block", disk))
		}
	}
}

func TestCollectMDSyntheticTree(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	mdWriteSyntheticTree(t, root, 16, 8)
	log := &mdReadLog{}
	arrays, errs := collectMDLogged(TreeRoots(root), log)
	if len(errs) != 0 || len(arrays) != 16 {
		t.Fatalf("%d arrays, errors %v", len(arrays), errs)
	}
	for _, a := range arrays {
		if a.Level != "raid6" || len(a.Members) != 8 || a.Status != "UUUUUUUU" || len(a.MissingSlots) != 0 {
			t.Errorf("%s: %+v", a.Name, a)
		}
		for i, m := range a.Members {
			if m.Slot != i || m.State != MemberInSync || m.Disk != m.Name || !isPCIFunction(m.Controller) {
				t.Errorf("%s/%s: %+v", a.Name, m.Name, m)
			}
		}
	}
	// mdstat + 16 × (array_state, sync_action, mismatch_cnt) + 128 member states
	if want := 1 + 16*3 + 16*8; len(log.paths) != want {
		t.Errorf("read %d files, want %d", len(log.paths), want)
	}
}

func BenchmarkCollectMD16x8(b *testing.B) {
	root := b.TempDir()
	mdWriteSyntheticTree(b, root, 16, 8)
	r := TreeRoots(root)
	b.ReportAllocs()
	for b.Loop() {
		arrays, errs := collectMD(r)
		if len(arrays) != 16 || len(errs) != 0 {
			b.Fatalf("%d arrays, %v", len(arrays), errs)
		}
	}
}

func isPCIFunction(s string) bool { _, ok := parsePCIFunction(s); return ok }

// TestMDSysfsKernelForms follows what drivers/md/md.c prints in sysfs for
// the forms of issue 9 item 5: slot_show ("journal", "none"), level_show (a
// number before the array runs), reshape_position_show with action_show
// "frozen" (a reshape that does not run), and degraded_show deciding when
// no member's slot can be read.
func TestMDSysfsKernelForms(t *testing.T) {
	for in, want := range map[string]int{"3": 3, "none": Unknown, "journal": Unknown} {
		if got, err := parseSlot(in); err != nil || got != want {
			t.Errorf("parseSlot(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for in, want := range map[string]string{"1": "raid1", "5": "raid5", "10": "raid10", "-1": "linear", "raid6": "raid6", "container": "container"} {
		if got := mdLevelName(in); got != want {
			t.Errorf("mdLevelName(%q) = %q, want %q", in, got, want)
		}
	}
	read := func(t *testing.T, tree string) MDArray {
		t.Helper()
		arrays, errs := collectMD(TreeRoots(filepath.Join("..", "testdata", tree)))
		if len(errs) != 0 || len(arrays) == 0 {
			t.Fatalf("%s: arrays %v errors %v", tree, arrays, errs)
		}
		return arrays[0]
	}
	t.Run("frozen reshape (lab capture)", func(t *testing.T) {
		a := read(t, "md_raid5_reshape_frozen")
		if a.Name != "md0" || a.SyncAction != "reshape" || a.SyncPending != "frozen" || a.SyncProgress != Unknown || a.RaidDisks != 4 {
			t.Errorf("md0 %+v, want a frozen reshape of 4 slots", a)
		}
	})
	t.Run("slots unreadable: md/degraded decides", func(t *testing.T) {
		a := read(t, "md_sysfs_slots_unreadable")
		if len(a.MissingSlots) != 0 || a.Degraded != 0 || a.ActiveDisks != 2 {
			t.Errorf("md0 missing %v degraded %d active %d, want none missing, 0, 2", a.MissingSlots, a.Degraded, a.ActiveDisks)
		}
	})
	t.Run("journal slot", func(t *testing.T) {
		a := read(t, "md_raid5_journal")
		if got := mdMembersIn(&a, MemberJournal); !slices.Equal(got, []string{"sdd1"}) || len(a.MissingSlots) != 0 {
			t.Errorf("journal members %v missing %v", got, a.MissingSlots)
		}
	})
}
