package bonding

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/redwatch/redwatch/internal/hostfs"
)

// fixture is the package's own tree (testdata/README.md).
var fixture = filepath.Join("testdata", "tree")

func fixtureFS() reader {
	return reader{Sys: filepath.Join(fixture, "sys"), Proc: filepath.Join(fixture, "proc")}
}

func TestReadAllFixture(t *testing.T) {
	t.Parallel()
	bonds, errs := fixtureFS().ReadAll()
	if len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}
	if names := []string{bonds[0].Name, bonds[1].Name}; len(bonds) != 2 || !slices.Equal(names, []string{"bond0", "bond1"}) {
		t.Fatalf("bonds %v", names)
	}

	t.Run("proc+sysfs merge", func(t *testing.T) {
		b := bonds[0]
		if !slices.Equal(b.Sources, []string{SourceProc, SourceSys}) {
			t.Errorf("sources %q", b.Sources)
		}
		// From /proc: the truth, including eth1 up although sysfs says down.
		want := []slaveFacts{{"eth0", "up", "active", 1, 0, 25000}, {"eth1", "up", "backup", 2, 4, 25000}}
		if diff := cmp.Diff(want, factsOf(b)); diff != "" {
			t.Errorf("slaves (-want +got):\n%s", diff)
		}
		// From sysfs, because /proc lacked them.
		wantLACP := &LACP{Rate: "fast", AggSelect: "stable", ActiveAggregatorID: 1, NumPorts: 1, ActorKey: 15, PartnerKey: 15, PartnerMAC: "52:54:00:12:34:58"}
		if diff := cmp.Diff(wantLACP, b.LACP); diff != "" {
			t.Errorf("lacp (-want +got):\n%s", diff)
		}
		if s := b.Slaves; s[0].ActorPortState != 63 || s[0].PartnerPortState != 61 || s[1].ActorPortState != 7 || s[1].PartnerPortState != Unknown {
			t.Errorf("port states %d/%d %d/%d", s[0].ActorPortState, s[0].PartnerPortState, s[1].ActorPortState, s[1].PartnerPortState)
		}
		if b.TransmitHashPolicy != "layer3+4" || b.MIIMon != 100 {
			t.Errorf("hash %q miimon %d", b.TransmitHashPolicy, b.MIIMon)
		}
	})

	t.Run("sysfs only, slave_ layout", func(t *testing.T) {
		b := bonds[1]
		want := Bond{
			Name: "bond1", Sources: []string{SourceSys}, Mode: ModeActiveBackup, MIIStatus: "up", ActiveSlave: "eth2",
			Primary: "eth2", PrimaryReselect: "failure", MIIMon: 100, UpDelay: 200, DownDelay: 0, ARPInterval: 0,
			Slaves: []Slave{
				{Name: "eth2", MIIStatus: "up", State: "active", Speed: 1000, Duplex: "full", LinkFailures: 0, PermHWAddr: "00:1b:21:aa:bb:02",
					QueueID: 0, AggregatorID: Unknown, ActorChurnedCount: Unknown, PartnerChurnedCount: Unknown, ActorPortState: Unknown, PartnerPortState: Unknown},
				{Name: "eth3", MIIStatus: "down", State: "backup", Speed: Unknown, Duplex: "", LinkFailures: 3, PermHWAddr: "00:1b:21:aa:bb:03",
					QueueID: 0, AggregatorID: Unknown, ActorChurnedCount: Unknown, PartnerChurnedCount: Unknown, ActorPortState: Unknown, PartnerPortState: Unknown},
			},
		}
		if diff := cmp.Diff(want, b); diff != "" {
			t.Errorf("bond (-want +got):\n%s", diff)
		}
		if !b.Monitored() {
			t.Error("miimon 100: not monitored")
		}
	})

	t.Run("proc only", func(t *testing.T) {
		bonds, errs := reader{Proc: filepath.Join(fixture, "proc")}.ReadAll()
		if len(errs) != 0 || len(bonds) != 1 {
			t.Fatalf("bonds %d errs %v", len(bonds), errs)
		}
		b := bonds[0]
		if !slices.Equal(b.Sources, []string{SourceProc}) || b.Slaves[0].State != "" || b.LACP.ActiveAggregatorID != Unknown {
			t.Errorf("proc alone: sources %q state %q agg %d", b.Sources, b.Slaves[0].State, b.LACP.ActiveAggregatorID)
		}
	})
}

func TestReadAllAbsent(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, f := range []reader{{}, {Sys: filepath.Join(dir, "sys"), Proc: filepath.Join(dir, "proc")}, {Sys: "/nonexistent/sys", Proc: "/nonexistent/proc"}} {
		bonds, errs := f.ReadAll()
		if len(bonds) != 0 || len(errs) != 0 {
			t.Errorf("%+v: bonds %v errs %v, want none", f, bonds, errs)
		}
	}
}

// writeTree writes files (path → content; content "DIR" makes a directory,
// "LINK:target" a symlink) under a new temporary root.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for p, content := range files {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		switch {
		case content == "DIR":
			err = os.MkdirAll(full, 0o755)
		case strings.HasPrefix(content, "LINK:"):
			err = os.Symlink(strings.TrimPrefix(content, "LINK:"), full)
		default:
			err = os.WriteFile(full, []byte(content), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return root
}

const goodProc = abHeader + slaveEth0 + slaveEth1Down

func TestReadAllErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		files    map[string]string
		path     string // the error's path, under the root
		msg      string
		is       error
		okBonds  []string
		noSysErr bool
	}{
		{name: "truncated proc file", files: map[string]string{
			"proc/net/bonding/bond0": goodProc[:len(goodProc)-60], "proc/net/bonding/bond1": goodProc},
			path: "proc/net/bonding/bond0", msg: `slave eth1: no "Link Failure Count" line`, is: ErrIncomplete, okBonds: []string{"bond1"}},
		{name: "proc file without mode", files: map[string]string{"proc/net/bonding/bond0": strings.Replace(goodProc, "Bonding Mode", "Bonding Mood", 1)},
			path: "proc/net/bonding/bond0", msg: `no "Bonding Mode" line`, is: ErrIncomplete},
		{name: "unreadable proc entry", files: map[string]string{"proc/net/bonding/bond0": "DIR"},
			path: "proc/net/bonding/bond0", msg: "read: is a directory"},
		{name: "listed but nowhere", files: map[string]string{"sys/class/net/bonding_masters": "bond0 bond7\n", "proc/net/bonding/bond0": goodProc},
			path: "sys/class/net/bond7/bonding", msg: "neither /proc/net/bonding/bond7 nor", is: fs.ErrNotExist, okBonds: []string{"bond0"}},
		{name: "sysfs bond dir without bonding", files: map[string]string{"sys/class/net/bonding_masters": "bond0\n", "sys/class/net/bond0/operstate": "up\n"},
			path: "sys/class/net/bond0/bonding", msg: "neither", is: fs.ErrNotExist},
		{name: "sysfs slave without mii_status", files: map[string]string{
			"sys/class/net/bonding_masters":                 "bond0\n",
			"sys/class/net/bond0/bonding/slaves":            "eth0\n",
			"sys/class/net/bond0/bonding/mode":              "balance-rr 0\n",
			"sys/class/net/eth0/bonding_slave/state":        "active\n",
			"sys/class/net/eth0/bonding_slave/queue_id":     "0\n",
			"sys/class/net/eth0/bonding_slave/perm_hwaddr":  "00:11:22:33:44:55\n",
			"sys/class/net/eth0/bonding_slave/mii_status/x": "DIR"},
			path: "sys/class/net/eth0/bonding_slave/mii_status", msg: "read: is a directory"},
		{name: "sysfs slave mii_status absent", files: map[string]string{
			"sys/class/net/bonding_masters":          "bond0\n",
			"sys/class/net/bond0/bonding/slaves":     "eth0\n",
			"sys/class/net/eth0/bonding_slave/state": "active\n"},
			path: "sys/class/net/eth0/bonding_slave/mii_status", msg: "slave eth0: no MII status", is: ErrIncomplete},
		{name: "sysfs slave without bonding_slave", files: map[string]string{
			"sys/class/net/bonding_masters":      "bond0\n",
			"sys/class/net/bond0/bonding/slaves": "eth0\n",
			"sys/class/net/eth0/operstate":       "up\n"},
			path: "sys/class/net/eth0/bonding_slave", msg: "without a bonding_slave directory", is: fs.ErrNotExist},
		{name: "sysfs bad mode", files: map[string]string{"sys/class/net/bonding_masters": "bond0\n", "sys/class/net/bond0/bonding/mode": "quantum 9\n"},
			path: "sys/class/net/bond0/bonding/mode", msg: "unknown bonding mode"},
		{name: "sysfs bad miimon", files: map[string]string{"sys/class/net/bonding_masters": "bond0\n", "sys/class/net/bond0/bonding/miimon": "soon\n"},
			path: "sys/class/net/bond0/bonding/miimon", msg: `"soon": not a non-negative number`},
		{name: "sysfs bad slave name", files: map[string]string{"sys/class/net/bonding_masters": "bond0\n", "sys/class/net/bond0/bonding/slaves": "../x\n"},
			path: "sys/class/net/bond0/bonding/slaves", msg: "not an interface name"},
		{name: "merge: unparsable supplement", files: map[string]string{
			"proc/net/bonding/bond0":                                    lacpHeader + strings.ReplaceAll(lacpSlave, "details", "ignored"),
			"sys/class/net/eth0/bonding_slave/ad_actor_oper_port_state": "lots\n"},
			path: "sys/class/net/eth0/bonding_slave/ad_actor_oper_port_state", msg: "not a non-negative number"},
		{name: "unreadable masters", files: map[string]string{"sys/class/net/bonding_masters/x": "DIR", "proc/net/bonding/bond0": goodProc},
			path: "sys/class/net/bonding_masters", msg: "read: is a directory", okBonds: []string{"bond0"}},
		{name: "captured link leaving the root is not followed", files: map[string]string{
			"sys/class/net/bonding_masters":       "bond0\n",
			"sys/class/net/bond0":                 "../../../../etc",
			"sys/devices/virtual/net/bond0/dummy": "x"},
			path: "sys/class/net/bond0/bonding", msg: "neither", is: fs.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := writeTree(t, tt.files)
			bonds, errs := reader{Sys: filepath.Join(root, "sys"), Proc: filepath.Join(root, "proc")}.ReadAll()
			var names []string
			for _, b := range bonds {
				names = append(names, b.Name)
			}
			if !slices.Equal(names, tt.okBonds) {
				t.Errorf("bonds %q, want %q (the failed one omitted)", names, tt.okBonds)
			}
			if len(errs) != 1 {
				t.Fatalf("errors %v, want 1", errs)
			}
			var pe hostfs.Error
			if !errors.As(errs[0], &pe) || pe.Collector != "bonding" {
				t.Fatalf("error %T %v is not a bonding hostfs.Error", errs[0], errs[0])
			}
			if want := filepath.Join(root, tt.path); pe.Path != want {
				t.Errorf("path %q, want %q", pe.Path, want)
			}
			msg := errs[0].Error()
			rest, ok := strings.CutPrefix(msg, "bonding: "+pe.Path+": ")
			if !ok || !strings.Contains(rest, tt.msg) || strings.HasPrefix(rest, "bonding: ") {
				t.Errorf("error %q, want prefix %q and %q", msg, "bonding: "+pe.Path, tt.msg)
			}
			if tt.is != nil && !errors.Is(errs[0], tt.is) {
				t.Errorf("error %v is not %v", errs[0], tt.is)
			}
		})
	}
}

func TestReadBondName(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"", "..", "../../etc/passwd", "a/b"} {
		if _, err := fixtureFS().ReadBond(name); err == nil || !strings.HasPrefix(err.Error(), "bonding: ") {
			t.Errorf("ReadBond(%q) err = %v, want a bonding: error", name, err)
		}
	}
}

// TestReadLab reads the live-kernel captures three ways: proc+sysfs,
// sysfs alone and proc alone, and checks that they agree on what the
// rules read.
func TestReadLab(t *testing.T) {
	t.Parallel()
	lab := needCorpus(t, "lab")
	for _, tree := range labTrees {
		t.Run(tree, func(t *testing.T) {
			sys, proc := filepath.Join(lab, tree, "sys"), filepath.Join(lab, tree, "proc")
			merged, errs := reader{Sys: sys, Proc: proc}.ReadAll()
			if len(errs) != 0 || len(merged) != 3 {
				t.Fatalf("merged: %d bonds, errors %v", len(merged), errs)
			}
			sysOnly, errs := reader{Sys: sys}.ReadAll()
			if len(errs) != 0 || len(sysOnly) != 3 {
				t.Fatalf("sysfs only: %d bonds, errors %v", len(sysOnly), errs)
			}
			procOnly, errs := reader{Proc: proc}.ReadAll()
			if len(errs) != 0 || len(procOnly) != 3 {
				t.Fatalf("proc only: %d bonds, errors %v", len(procOnly), errs)
			}
			for i := range merged {
				m, s, p := merged[i], sysOnly[i], procOnly[i]
				if !slices.Equal(m.Sources, []string{SourceProc, SourceSys}) || !slices.Equal(s.Sources, []string{SourceSys}) {
					t.Errorf("%s: sources merged %q sysfs %q", m.Name, m.Sources, s.Sources)
				}
				if !reflect.DeepEqual(factsOf(m), factsOf(s)) {
					t.Errorf("%s: merged and sysfs-only slaves differ\nmerged %+v\nsysfs  %+v", m.Name, factsOf(m), factsOf(s))
				}
				if m.Mode != s.Mode || m.MIIStatus != s.MIIStatus || m.ActiveSlave != s.ActiveSlave || m.MIIMon != s.MIIMon ||
					m.ARPInterval != s.ARPInterval || m.Monitored() != s.Monitored() || m.TransmitHashPolicy != s.TransmitHashPolicy {
					t.Errorf("%s: bond facts differ\nmerged %+v\nsysfs  %+v", m.Name, m, s)
				}
				if (m.LACP == nil) != (s.LACP == nil) || m.LACP != nil && (*m.LACP != LACP{SystemMAC: m.LACP.SystemMAC, Rate: s.LACP.Rate,
					AggSelect: s.LACP.AggSelect, ActiveAggregatorID: s.LACP.ActiveAggregatorID, NumPorts: s.LACP.NumPorts,
					ActorKey: s.LACP.ActorKey, PartnerKey: s.LACP.PartnerKey, PartnerMAC: s.LACP.PartnerMAC}) {
					t.Errorf("%s: LACP differs: merged %+v sysfs %+v", m.Name, m.LACP, s.LACP)
				}
				for j := range m.Slaves {
					ms, ss := m.Slaves[j], s.Slaves[j]
					// Port states move while a capture is taken (LACP after a
					// cable pull): compare them where the host was settled.
					settled := tree == "kernel61_healthy"
					if settled && (ms.ActorPortState != ss.ActorPortState || ms.PartnerPortState != ss.PartnerPortState) || ms.PermHWAddr != ss.PermHWAddr ||
						ms.Duplex != ss.Duplex || ms.QueueID != ss.QueueID {
						t.Errorf("%s/%s: merged %+v sysfs %+v", m.Name, ms.Name, ms, ss)
					}
				}
				// proc alone: the same except the slaves' state.
				pf, mf := factsOf(p), factsOf(m)
				for j := range mf {
					mf[j].State = ""
				}
				if diff := cmp.Diff(mf, pf); diff != "" {
					t.Errorf("%s: proc-only slaves (-merged +proc-only):\n%s", p.Name, diff)
				}
			}
			if tree == "kernel61_faults" {
				b0, b2 := bondByName(t, merged, "bond0"), bondByName(t, merged, "bond2")
				if s := b0.Slaves[1]; s.Name != "eth1" || s.MIIStatus != "down" || s.State != "backup" {
					t.Errorf("faults bond0 eth1 %+v, want down backup", s)
				}
				if b2.Mode != ModeActiveBackup || b2.Slaves[1].MIIStatus != "down" || b2.Slaves[0].State != "active" || b2.Slaves[1].State != "backup" {
					t.Errorf("faults bond2 %+v", b2)
				}
			}
		})
	}
}

func TestReadNodeExporterTree(t *testing.T) {
	t.Parallel()
	dir := needCorpus(t, "bonding", "node_exporter_sysfs_3bonds")
	bonds, errs := reader{Sys: filepath.Join(dir, "sys"), Proc: filepath.Join(dir, "proc")}.ReadAll()
	if len(errs) != 0 || len(bonds) != 3 {
		t.Fatalf("%d bonds, errors %v", len(bonds), errs)
	}
	want := map[string][]slaveFacts{
		"bond0": {},
		"dmz":   {{"eth0", "up", "", Unknown, Unknown, Unknown}, {"eth4", "up", "", Unknown, Unknown, Unknown}},
		"int":   {{"eth5", "up", "", Unknown, Unknown, Unknown}, {"eth1", "down", "", Unknown, Unknown, Unknown}},
	}
	for _, b := range bonds {
		if diff := cmp.Diff(want[b.Name], factsOf(b)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", b.Name, diff)
		}
		// Nothing else is in this tree: unknown, not zero, so no finding
		// claims miimon 0.
		if b.Mode != "" || b.MIIMon != Unknown || !b.Monitored() || !slices.Equal(b.Sources, []string{SourceSys}) {
			t.Errorf("%s: mode %q miimon %d monitored %v sources %q", b.Name, b.Mode, b.MIIMon, b.Monitored(), b.Sources)
		}
	}
}

func TestReadMonitoringplugTree(t *testing.T) {
	t.Parallel()
	dir := needCorpus(t, "bonding", "monitoringplug_proc_2bonds")
	bonds, errs := reader{Sys: filepath.Join(dir, "sys"), Proc: filepath.Join(dir, "proc")}.ReadAll()
	if len(errs) != 0 || len(bonds) != 2 {
		t.Fatalf("%d bonds, errors %v", len(bonds), errs)
	}
	checkCorpusBond(t, bonds[0], corpusSamples["monitoringplug_proc_2bonds/proc/net/bonding/bond0"])
	checkCorpusBond(t, bonds[1], corpusSamples["monitoringplug_proc_2bonds/proc/net/bonding/bond1"])
}

// readLog records the files a reader reads.
type readLog struct{ paths []string }

func (l *readLog) fs(sys, proc string) reader {
	return reader{Sys: sys, Proc: proc, onRead: func(p string) { l.paths = append(l.paths, p) }}
}

// checkReads fails on a file read twice and returns the reads that are not
// captured-tree link files (a live host has real symlinks there, no read).
func (l *readLog) checkReads(t *testing.T, sys string) []string {
	t.Helper()
	seen := map[string]bool{}
	var attrs []string
	for _, p := range l.paths {
		if seen[p] {
			t.Errorf("%s read twice", p)
		}
		seen[p] = true
		rel, _ := filepath.Rel(sys, p)
		if dir := filepath.Dir(rel); dir == filepath.Join("class", "net") && filepath.Base(p) != "bonding_masters" {
			continue // /sys/class/net/<if>: a captured link
		}
		attrs = append(attrs, p)
	}
	return attrs
}

// TestReadLabReadsFewFiles: with the /proc file present (as root: it has
// the aggregator and port states), sysfs adds one read per slave (state).
func TestReadLabReadsFewFiles(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(needCorpus(t, "lab"), "kernel61_healthy")
	sys := filepath.Join(dir, "sys")
	log := &readLog{}
	bonds, errs := log.fs(sys, filepath.Join(dir, "proc")).ReadAll()
	if len(errs) != 0 || len(bonds) != 3 {
		t.Fatalf("%d bonds, errors %v", len(bonds), errs)
	}
	reads := log.checkReads(t, sys)
	// bonding_masters, 3 /proc files, 6 slave states.
	if len(reads) != 1+3+6 {
		t.Errorf("read %d files, want 10: %q", len(reads), reads)
	}
	for _, p := range reads {
		if strings.Contains(p, "bonding_slave") && filepath.Base(p) != "state" {
			t.Errorf("read %s although /proc has it", p)
		}
	}
}

// TestReadMergeReadsFewFiles: an unprivileged /proc file (no aggregator,
// no port states) makes sysfs fill exactly those.
func TestReadMergeReadsFewFiles(t *testing.T) {
	t.Parallel()
	sys := filepath.Join(fixture, "sys")
	log := &readLog{}
	if _, err := log.fs(sys, filepath.Join(fixture, "proc")).ReadBond("bond0"); err != nil {
		t.Fatal(err)
	}
	reads := log.checkReads(t, sys)
	// /proc file, 2 slaves × (state + 2 port states), 5 ad_* attributes.
	if len(reads) != 1+2*3+5 {
		t.Errorf("read %d files, want 12: %q", len(reads), reads)
	}
	for _, p := range reads {
		if b := filepath.Base(p); b == "mii_status" || b == "link_failure_count" || b == "mode" || b == "miimon" {
			t.Errorf("read %s although /proc has it", p)
		}
	}
}
