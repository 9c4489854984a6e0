package collectors

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/redwatch/redwatch/internal/testtree"
)

// mdCorpusDir is ../shared/corpus/<sub> (see testtree.Corpus: skipped in a
// user's clone, a failure in CI).
func mdCorpusDir(t testing.TB, sub string) string {
	t.Helper()
	return testtree.Corpus(t, sub)
}

// mdWant is what a test expects of one array; zero-valued optional fields are not checked.
type mdWant struct {
	name       string
	level      string
	inactive   bool
	n, m       int // RaidDisks, ActiveDisks (Unknown = -1)
	status     string
	faulty     []string
	spare      []string
	rebuilding []string
	sync       string  // SyncAction, "" = not checked
	progress   float64 // checked when sync is a running action
	missing    []int
	readOnly   bool
	external   string
	members    int    // 0 = not checked
	degraded   int    // checked when not 0
	pending    string // SyncPending, checked when not ""
}

func mdFind(arrays []MDArray, name string) *MDArray {
	for i := range arrays {
		if arrays[i].Name == name {
			return &arrays[i]
		}
	}
	return nil
}

func mdMembersIn(a *MDArray, state string) []string {
	var out []string
	for _, m := range a.Members {
		if m.State == state {
			out = append(out, m.Name)
		}
	}
	slices.Sort(out)
	return out
}

func mdCheck(t *testing.T, arrays []MDArray, w mdWant) {
	t.Helper()
	a := mdFind(arrays, w.name)
	if a == nil {
		t.Errorf("array %s missing; got %d arrays", w.name, len(arrays))
		return
	}
	if a.Level != w.level {
		t.Errorf("%s: level %q, want %q", w.name, a.Level, w.level)
	}
	if a.Active == w.inactive {
		t.Errorf("%s: active %v, want %v", w.name, a.Active, !w.inactive)
	}
	if a.RaidDisks != w.n || a.ActiveDisks != w.m {
		t.Errorf("%s: [%d/%d], want [%d/%d]", w.name, a.RaidDisks, a.ActiveDisks, w.n, w.m)
	}
	if a.Status != w.status {
		t.Errorf("%s: status %q, want %q", w.name, a.Status, w.status)
	}
	for _, c := range []struct {
		state string
		want  []string
	}{{MemberFaulty, w.faulty}, {MemberSpare, w.spare}, {MemberRebuilding, w.rebuilding}} {
		want := slices.Clone(c.want)
		slices.Sort(want)
		if got := mdMembersIn(a, c.state); !slices.Equal(got, want) {
			t.Errorf("%s: %s members %v, want %v", w.name, c.state, got, want)
		}
	}
	if w.sync != "" {
		if a.SyncAction != w.sync {
			t.Errorf("%s: sync_action %q, want %q", w.name, a.SyncAction, w.sync)
		}
		if w.sync != "idle" && a.SyncProgress != w.progress {
			t.Errorf("%s: sync progress %v, want %v", w.name, a.SyncProgress, w.progress)
		}
		if w.sync == "idle" && a.SyncProgress != Unknown {
			t.Errorf("%s: idle but sync progress %v", w.name, a.SyncProgress)
		}
	}
	if !slices.Equal(a.MissingSlots, w.missing) {
		t.Errorf("%s: missing slots %v, want %v", w.name, a.MissingSlots, w.missing)
	}
	if a.ReadOnly != w.readOnly {
		t.Errorf("%s: read-only %v, want %v", w.name, a.ReadOnly, w.readOnly)
	}
	if a.External != w.external {
		t.Errorf("%s: external %q, want %q", w.name, a.External, w.external)
	}
	if w.degraded != 0 && a.Degraded != w.degraded {
		t.Errorf("%s: degraded %d, want %d", w.name, a.Degraded, w.degraded)
	}
	if w.pending != "" && a.SyncPending != w.pending {
		t.Errorf("%s: sync pending %q, want %q", w.name, a.SyncPending, w.pending)
	}
	if w.members != 0 && len(a.Members) != w.members {
		t.Errorf("%s: %d members, want %d", w.name, len(a.Members), w.members)
	}
}

// mdCorpusWant is the expectation for every mdstat sample of the shared
// corpus (MANIFEST.tsv says what each shows).
var mdCorpusWant = map[string]struct {
	count  int
	arrays []mdWant
}{
	"check_raid_centos6": {5, []mdWant{
		{name: "md4", level: "raid1", n: 2, m: 2, status: "UU", sync: "idle", members: 2},
		{name: "md1", level: "raid0", n: Unknown, m: Unknown, members: 2},
		{name: "md2", level: "raid1", n: 2, m: 2, status: "UU"},
	}},
	"check_raid_failed": {1, []mdWant{
		{name: "md0", level: "raid5", n: 3, m: 2, status: "U_U", faulty: []string{"sdc1"}, missing: []int{1}, sync: "idle", members: 3},
	}},
	"check_raid_issue34_2": {2, []mdWant{
		{name: "md126", level: "raid1", n: 2, m: 2, status: "UU", external: "external:/md127/0"},
		{name: "md127", level: "container", inactive: true, n: Unknown, m: Unknown, spare: []string{"sdb", "sdc"}, external: "external:imsm"},
	}},
	"check_raid_issue43_readd": {1, []mdWant{
		{name: "md0", level: "raid6", n: 6, m: 5, status: "U_UUUU", rebuilding: []string{"sdc1"}, sync: "recover", progress: 0.2, members: 6},
	}},
	"check_raid_issue43_reshape": {1, []mdWant{
		{name: "md0", level: "raid6", n: 6, m: 4, status: "UUUU__", spare: []string{"sde1", "sdf1"}, sync: "reshape", progress: 48.4, missing: []int{4, 5}},
	}},
	"check_raid_issue64": {3, []mdWant{
		{name: "md2", level: "raid1", n: 2, m: 2, status: "UU", readOnly: true},
		{name: "md1", level: "raid1", n: 2, m: 2, status: "UU"},
		{name: "md0", level: "raid1", n: 2, m: 2, status: "UU", readOnly: true},
	}},
	"check_raid_linear": {2, []mdWant{
		{name: "md1", level: "raid1", n: 2, m: 2, status: "UU"},
		{name: "md0", level: "linear", n: Unknown, m: Unknown, members: 2},
	}},
	"check_raid_none": {0, nil},
	"check_raid_pr185_1": {2, []mdWant{
		{name: "md1", level: "raid5", n: 5, m: 5, status: "UUUUU", spare: []string{"sdk"}, members: 6},
		{name: "md2", level: "raid5", n: 5, m: 5, status: "UUUUU", spare: []string{"sdi", "sdl"}, members: 7},
	}},
	"check_raid_pr24": {3, []mdWant{
		{name: "md2", level: "raid1", n: 2, m: 2, status: "UU", sync: "check", progress: 98.3},
		{name: "md1", level: "raid1", n: 2, m: 2, status: "UU", sync: "idle"},
	}},
	"check_raid_pr28_0": {2, []mdWant{
		{name: "md0", level: "raid1", n: 2, m: 1, status: "_U", rebuilding: []string{"sda1"}, sync: "recover", progress: 0.4},
		{name: "md1", level: "raid1", n: 2, m: 2, status: "UU", sync: "idle"},
	}},
	"check_raid_raid0_dm": {1, []mdWant{
		{name: "md2", level: "raid0", n: Unknown, m: Unknown, members: 2},
	}},
	"check_raid_resync": {3, []mdWant{
		{name: "md0", level: "raid1", n: 2, m: 2, status: "UU", sync: "idle"},
		{name: "md2", level: "raid1", n: 2, m: 2, status: "UU", sync: "resync", progress: 11.2},
		{name: "md1", level: "raid1", n: 2, m: 2, status: "UU", sync: "resync", progress: 9.9},
	}},
	"check_raid_white-mdstat": {3, []mdWant{
		{name: "md125", level: "raid1", n: 2, m: 2, status: "UU"},
		{name: "md126", level: "raid1", n: 2, m: 1, status: "_U", rebuilding: []string{"sda2"}, sync: "recover", progress: 29.2},
		{name: "md127", level: "raid1", n: 2, m: 2, status: "UU"},
	}},
	"pymdstat_02_md_d0": {1, []mdWant{
		{name: "md_d0", level: "raid5", n: 5, m: 5, status: "UUUUU", members: 5},
	}},
	"pymdstat_03_raid5_missing": {1, []mdWant{
		{name: "md0", level: "raid5", n: 4, m: 3, status: "UUU_", missing: []int{3}, members: 3},
	}},
	"pymdstat_04_multi": {4, []mdWant{
		{name: "md3", level: "raid5", n: 10, m: 10, status: "UUUUUUUUUU", members: 10},
		{name: "md0", level: "raid1", n: 2, m: 2, status: "UU"},
	}},
	"pymdstat_05_recovery": {1, []mdWant{
		{name: "md127", level: "raid5", n: 6, m: 5, status: "UUUUU_", rebuilding: []string{"sdh1"}, sync: "recover", progress: 12.6},
	}},
	"pymdstat_06_raid6_hdb": {1, []mdWant{
		{name: "md0", level: "raid6", n: 7, m: 7, status: "UUUUUUU", members: 7},
	}},
	"pymdstat_09_inactive_spares": {3, []mdWant{
		{name: "md0", level: "raid1", n: 2, m: 2, status: "UU"},
		{name: "md2", level: "", inactive: true, n: Unknown, m: Unknown, spare: []string{"sda", "sdb", "sdc", "sdd"}},
	}},
	"pymdstat_10_nvme_raid0": {4, []mdWant{
		{name: "md126", level: "raid0", n: Unknown, m: Unknown, members: 2},
		{name: "md128", level: "raid1", n: 2, m: 2, status: "UU"},
	}},
	"pymdstat_12_loop_raid0": {1, []mdWant{
		{name: "md127", level: "raid0", n: Unknown, m: Unknown, members: 2},
	}},
	"pymdstat_16_no_trailer": {1, []mdWant{
		{name: "md1", level: "raid5", n: 8, m: 8, status: "UUUUUUUU", members: 8},
	}},
}

// mdCorpusSamples lists the single-file mdstat samples (the sysfs_* entries are trees).
func mdCorpusSamples(t testing.TB) (string, []string) {
	dir := mdCorpusDir(t, "mdstat")
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		if !e.IsDir() {
			names = append(names, e.Name())
		}
	}
	return dir, names
}

func TestParseMDStatCorpus(t *testing.T) {
	t.Parallel()
	dir, names := mdCorpusSamples(t)
	if len(names) < 20 {
		t.Fatalf("only %d mdstat samples in %s", len(names), dir)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			want, ok := mdCorpusWant[name]
			if !ok {
				t.Fatalf("no expectation for corpus sample %s: add one", name)
			}
			data, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			arrays, err := parseMDStat(data)
			if err != nil {
				t.Fatalf("parseMDStat: %v", err)
			}
			if len(arrays) != want.count {
				t.Fatalf("%d arrays, want %d", len(arrays), want.count)
			}
			for _, w := range want.arrays {
				mdCheck(t, arrays, w)
			}
			// Each array's block (what an md pass compares) is its own text.
			_, blocks, _ := parseMDStatBlocks(data)
			if len(blocks) != len(arrays) {
				t.Fatalf("%d blocks for %d arrays", len(blocks), len(arrays))
			}
			for i, b := range blocks {
				if !strings.HasPrefix(b, arrays[i].Name+" : ") || strings.Count(string(data), b) == 0 ||
					(i+1 < len(blocks) && strings.Contains(b, arrays[i+1].Name+" : ")) {
					t.Errorf("block %d of %s is %q", i, arrays[i].Name, b)
				}
			}
		})
	}
}

// TestCollectMDCorpusMDStatOnly runs the whole collector on each sample placed
// as proc/mdstat of an otherwise empty tree: no errors, the same arrays,
// sorted, and member disks from the kernel's partition naming.
func TestCollectMDCorpusMDStatOnly(t *testing.T) {
	t.Parallel()
	dir, names := mdCorpusSamples(t)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			root := t.TempDir()
			mdWriteFile(t, filepath.Join(root, "proc/mdstat"), string(data))
			arrays, errs := collectMD(TreeRoots(root))
			if len(errs) != 0 {
				t.Fatalf("errors: %v", errs)
			}
			if len(arrays) != mdCorpusWant[name].count {
				t.Fatalf("%d arrays, want %d", len(arrays), mdCorpusWant[name].count)
			}
			if !slices.IsSortedFunc(arrays, func(a, b MDArray) int { return natCompare(a.Name, b.Name) }) {
				t.Errorf("arrays not sorted: %v", arrays)
			}
			for _, a := range arrays {
				for _, m := range a.Members {
					if m.Disk == "" || m.Controller != "" {
						t.Errorf("%s/%s: disk %q controller %q", a.Name, m.Name, m.Disk, m.Controller)
					}
				}
			}
		})
	}
	// spot checks of the name-derived disks
	data, err := os.ReadFile(filepath.Join(dir, "pymdstat_10_nvme_raid0"))
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	mdWriteFile(t, filepath.Join(root, "proc/mdstat"), string(data))
	arrays, _ := collectMD(TreeRoots(root))
	if a := mdFind(arrays, "md129"); a == nil || a.Members[0].Disk != "sda" {
		t.Errorf("md129 member disk: %+v", a)
	}
	if a := mdFind(arrays, "md126"); a == nil || a.Members[0].Disk != "nvme0n1" {
		t.Errorf("md126 member disk: %+v", a)
	}
}

func TestParseMDStatHandWritten(t *testing.T) {
	t.Parallel()
	const pers = "Personalities : [raid1] [raid6] [raid5] [raid4]\n"
	tests := []struct {
		name    string
		in      string
		count   int
		arrays  []mdWant
		errFor  []string // arrays that must be reported as errors
		fileErr bool     // a whole-file error
	}{
		{name: "empty", in: "", fileErr: true},
		{name: "blank", in: "\n  \n", fileErr: true},
		{name: "garbage", in: "hello world\n", fileErr: true},
		{name: "personalities only", in: "Personalities : \n", count: 0},
		{name: "unknown personality", count: 1,
			in:     pers + "md5 : active raid99 sda1[0] sdb1[1]\n      100 blocks [2/2] [UU]\n\nmd0 : active raid1 sdc1[0] sdd1[1]\n      100 blocks [2/2] [UU]\n\nunused devices: <none>\n",
			arrays: []mdWant{{name: "md0", level: "raid1", n: 2, m: 2, status: "UU", sync: "idle"}}, errFor: []string{"md5"}},
		{name: "resync delayed and pending", count: 2,
			in: pers + "md1 : active raid1 sda2[0] sdb2[1]\n      100 blocks [2/2] [UU]\n        resync=DELAYED\n\nmd2 : active raid1 sda3[0] sdb3[1]\n      100 blocks [2/2] [UU]\n        resync=PENDING\n",
			arrays: []mdWant{{name: "md1", level: "raid1", n: 2, m: 2, status: "UU", sync: "resync", progress: Unknown},
				{name: "md2", level: "raid1", n: 2, m: 2, status: "UU", sync: "resync", progress: Unknown}}},
		{name: "recovery without spaces, CRLF, trailing spaces", count: 1,
			in:     "Personalities : [raid1] \r\nmd126 : active raid1 sdb2[1] sda2[2]   \r\n      100 blocks [2/1] [_U]\r\n      [=====>......]  recovery=29.2% (2/100) finish=212.1min speed=40742K/sec\r\n",
			arrays: []mdWant{{name: "md126", level: "raid1", n: 2, m: 1, status: "_U", rebuilding: []string{"sda2"}, sync: "recover", progress: 29.2}}},
		{name: "member flags", count: 1,
			in: pers + "md0 : active raid5 sda1[0](W) sdb1[1](W)(F) sdc1[2] sdd1[3](J) sde1[4](R) sdf1[5](X) sdg1[6](S)\n      100 blocks level 5, 64k chunk, algorithm 2 [3/2] [UU_]\n",
			arrays: []mdWant{{name: "md0", level: "raid5", n: 3, m: 2, status: "UU_", faulty: []string{"sdb1"}, spare: []string{"sdg1"},
				rebuilding: []string{"sde1"}, sync: "idle", members: 7}}},
		// raid1_status prints conf->raid_disks - mddev->degraded and each
		// slot's In_sync flag without one lock: the worse of the two counts.
		{name: "status disagrees with counts: the worse wins", count: 1,
			in:     pers + "md0 : active raid1 sda1[0] sdb1[1]\n      100 blocks [2/2] [U_]\n",
			arrays: []mdWant{{name: "md0", level: "raid1", n: 2, m: 2, status: "U_", sync: "idle", degraded: 1}}},
		{name: "counts disagree with status: the worse wins", count: 1,
			in:     pers + "md0 : active raid5 sda1[0] sdb1[1] sdc1[2] sdd1[3]\n      300 blocks level 5, 64k chunk, algorithm 2 [4/3] [UUUU]\n      [>....]  reshape =  1.0% (1/100) finish=1.0min speed=1K/sec\n",
			arrays: []mdWant{{name: "md0", level: "raid5", n: 4, m: 3, status: "UUUU", sync: "reshape", progress: 1, degraded: 1}}},
		// Issue 9 item 4: inputs that read as OK.
		{name: "cut off right after the array line (head -c 100)", count: 0, errFor: []string{"md0"},
			in: "Personalities : [raid1] [raid6] [raid5] [raid4] [raid10] \nmd0 : active raid1 sda1[0]\n      976630464"},
		{name: "cut off after the array line, no detail at all", count: 0, errFor: []string{"md0"},
			in: pers + "md0 : active raid1 sda1[0]\n"},
		{name: "cut off inside the status", count: 0, errFor: []string{"md0"},
			in: pers + "md0 : active raid1 sda1[0] sdb1[1]\n      100 blocks super 1.2 [2/2] [U"},
		{name: "cut off inside the progress bar", count: 0, errFor: []string{"md0"},
			in: pers + "md0 : active raid1 sda1[0] sdb1[1]\n      100 blocks super 1.2 [2/1] [U_]\n      [==>......"},
		{name: "zero slots", count: 0, errFor: []string{"md0"},
			in: pers + "md0 : active raid1\n      100 blocks [0/0] []\n"},
		{name: "no space before the colon", count: 0, errFor: []string{"line 2"},
			in: pers + "md0: active raid1 sda1[0] sdb1[1]\n      100 blocks [2/1] [U_]\n"},
		{name: "tab before the colon", count: 0, errFor: []string{"line 2"},
			in: pers + "md0\t: active raid1 sda1[0] sdb1[1]\n      100 blocks [2/1] [U_]\n"},
		{name: "upper-case name", count: 0, errFor: []string{"line 2"},
			in: pers + "MD0 : active raid1 sda1[0] sdb1[1]\n      100 blocks [2/1] [U_]\n"},
		{name: "control character in the name", count: 1, errFor: []string{"line 2"},
			in:     pers + "md\x010 : active raid1 sda1[0] sdb1[1]\n      100 blocks [2/1] [U_]\n\nmd1 : active raid1 sdc1[0] sdd1[1]\n      100 blocks [2/2] [UU]\n",
			arrays: []mdWant{{name: "md1", level: "raid1", n: 2, m: 2, status: "UU", sync: "idle"}}},
		{name: "a prompt before and after the arrays", count: 1,
			in:     "mdhost:~# cat /proc/mdstat\n" + pers + "md0 : active raid1 sda1[0] sdb1[1]\n      100 blocks [2/2] [UU]\nmdhost:~# \n",
			arrays: []mdWant{{name: "md0", level: "raid1", n: 2, m: 2, status: "UU", sync: "idle"}}},
		{name: "a prompt right after a cut-off array", count: 0, errFor: []string{"md0"},
			in: pers + "md0 : active raid1 sda1[0] sdb1[1]\nroot@host:~# \n"},
		{name: "an indented line the kernel never prints", count: 0, errFor: []string{"md0"},
			in: pers + "md0 : active raid1 sda1[0] sdb1[1]\n      100 blocks [2/1] [U_]\n      something else\n"},
		// status_resync's forms for a cluster array (md-cluster) and a sync
		// waiting for its turn.
		{name: "REMOTE syncs", count: 3,
			in: pers + "md0 : active raid1 sdb[4] sdc[3] sdd[2]\n      1046528 blocks super 1.2 [3/2] [UU_]\n        recover=REMOTE\n      bitmap: 1/1 pages [4KB], 65536KB chunk\n\n" +
				"md1 : active raid1 sda2[0] sdb2[1]\n      100 blocks [2/2] [UU]\n        resync=REMOTE\n\n" +
				"md2 : active raid5 sda3[0] sdb3[1] sdc3[2]\n      200 blocks level 5, 64k chunk, algorithm 2 [3/3] [UUU]\n        reshape=REMOTE\n",
			arrays: []mdWant{
				{name: "md0", level: "raid1", n: 3, m: 2, status: "UU_", sync: "recover", progress: Unknown, pending: "remote"},
				{name: "md1", level: "raid1", n: 2, m: 2, status: "UU", sync: "resync", progress: Unknown, pending: "remote"},
				{name: "md2", level: "raid5", n: 3, m: 3, status: "UUU", sync: "reshape", progress: Unknown, pending: "remote"}}},
		{name: "malformed member", count: 0, errFor: []string{"md0"},
			in: pers + "md0 : active raid1 sda1[x] sdb1[1]\n      100 blocks [2/2] [UU]\n"},
		{name: "progress over 100", count: 0, errFor: []string{"md0"},
			in: pers + "md0 : active raid1 sda1[0] sdb1[1]\n      100 blocks [2/2] [UU]\n      [=>...]  resync = 101.0% (1/2) finish=1min speed=1K/sec\n"},
		{name: "unknown array state", count: 0, errFor: []string{"md0"},
			in: pers + "md0 : sleeping raid1 sda1[0] sdb1[1]\n      100 blocks [2/2] [UU]\n"},
		{name: "read-only and cciss member", count: 1,
			in:     pers + "md0 : active (read-only) raid1 cciss/c0d0p1[0] cciss/c0d1p1[1]\n      100 blocks [2/2] [UU]\n",
			arrays: []mdWant{{name: "md0", level: "raid1", n: 2, m: 2, status: "UU", readOnly: true, members: 2}}},
		{name: "rebuilding member not identifiable", count: 1,
			in:     pers + "md0 : active raid5 sda1[0] sdb1[1] sdc1[2]\n      100 blocks [3/2] [U_U]\n      [>....]  recovery =  1.0% (1/100) finish=1.0min speed=1K/sec\n",
			arrays: []mdWant{{name: "md0", level: "raid5", n: 3, m: 2, status: "U_U", sync: "recover", progress: 1}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			arrays, err := parseMDStat([]byte(tc.in))
			var bad []string
			fileErr := false
			for _, e := range unwrapJoined(err) {
				var ae *mdArrayError
				if errors.As(e, &ae) {
					bad = append(bad, ae.Array)
				} else {
					fileErr = true
				}
				if strings.HasPrefix(e.Error(), "collectors: ") {
					t.Errorf("error %q repeats the package prefix (the hostfs.Error around it names the collector)", e)
				}
			}
			if fileErr != tc.fileErr {
				t.Fatalf("whole-file error %v (%v), want %v", fileErr, err, tc.fileErr)
			}
			if !slices.Equal(bad, tc.errFor) {
				t.Errorf("arrays in error %v, want %v (%v)", bad, tc.errFor, err)
			}
			if len(arrays) != tc.count {
				t.Fatalf("%d arrays, want %d: %+v", len(arrays), tc.count, arrays)
			}
			for _, w := range tc.arrays {
				mdCheck(t, arrays, w)
			}
		})
	}
}

func TestParseMDStatMemberDetails(t *testing.T) {
	t.Parallel()
	in := "Personalities : [raid1]\nmd0 : active raid1 sda1[0](W) sdb1[3](X)(F)\n      100 blocks [2/1] [U_]\n"
	arrays, err := parseMDStat([]byte(in))
	if err != nil || len(arrays) != 1 {
		t.Fatalf("arrays %v err %v", arrays, err)
	}
	want := []MDMember{
		{Name: "sda1", Slot: Unknown, DescNr: 0, State: MemberInSync, RawState: "(W)", WriteMostly: true},
		{Name: "sdb1", Slot: Unknown, DescNr: 3, State: MemberUnknown, RawState: "(X)(F)"}, // an unknown flag
	}
	if diff := cmp.Diff(want, arrays[0].Members); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
}

// mdWriteFile writes content to path, creating the parent directories.
func mdWriteFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func FuzzParseMDStat(f *testing.F) {
	if dir := filepath.Join("..", "..", "shared", "corpus", "mdstat"); dirExists(dir) {
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if b, err := os.ReadFile(filepath.Join(dir, e.Name())); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte("Personalities : [raid1]\nmd0 : active raid1 sda1[0](W)(F) sdb1[1]\n      100 blocks [2/1] [_U]\n      [>..] recovery = 1.5% (1/2) finish=1min speed=1K/sec\n"))
	f.Add([]byte("Personalities : x\nmd0 : inactive sdb[1](S)\n  5288 blocks super external:imsm\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		arrays, blocks, _ := parseMDStatBlocks(data)
		// The md source's memo is keyed by these blocks: each is the
		// array's own text, in file order, and no two overlap.
		if len(blocks) != len(arrays) {
			t.Fatalf("%d blocks for %d arrays", len(blocks), len(arrays))
		}
		rest := string(data)
		for i, b := range blocks {
			at := strings.Index(rest, b)
			if at < 0 || !strings.HasPrefix(b, arrays[i].Name) {
				t.Fatalf("block %d %q is not %s's text in order", i, b, arrays[i].Name)
			}
			rest = rest[at+len(b):]
		}
		for _, a := range arrays {
			if a.Name == "" || !validDevName(a.Name) {
				t.Fatalf("bad array name %q", a.Name)
			}
			if a.RaidDisks > maxMDDisks || a.ActiveDisks > a.RaidDisks {
				t.Fatalf("%s: [%d/%d]", a.Name, a.RaidDisks, a.ActiveDisks)
			}
			if a.Status != "" && len(a.Status) != a.RaidDisks {
				t.Fatalf("%s: status %q for %d disks", a.Name, a.Status, a.RaidDisks)
			}
			if a.SyncProgress != Unknown && !(a.SyncProgress >= 0 && a.SyncProgress <= 100) {
				t.Fatalf("%s: progress %v", a.Name, a.SyncProgress)
			}
			for _, s := range a.MissingSlots {
				if s < 0 || s >= a.RaidDisks {
					t.Fatalf("%s: missing slot %d of %d", a.Name, s, a.RaidDisks)
				}
			}
			for _, m := range a.Members {
				if m.Name == "" {
					t.Fatalf("%s: member without a name", a.Name)
				}
				switch m.State {
				case MemberInSync, MemberFaulty, MemberSpare, MemberRebuilding, MemberUnknown, MemberJournal:
				default:
					t.Fatalf("%s/%s: state %q", a.Name, m.Name, m.State)
				}
			}
		}
	})
}

func dirExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

func BenchmarkParseMDStat(b *testing.B) {
	data := []byte(mdSyntheticMDStat(16, 8))
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		arrays, err := parseMDStat(data)
		if err != nil || len(arrays) != 16 {
			b.Fatalf("%d arrays, %v", len(arrays), err)
		}
	}
}
