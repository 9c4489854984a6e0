package engine

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redwatch/redwatch/collectors"
	"github.com/redwatch/redwatch/internal/clock"
	"github.com/redwatch/redwatch/internal/hostfs"
	"github.com/redwatch/redwatch/internal/hostgen"
)

// netHost generates a host of three 802.3ad bonds of two slaves each:
// bond0 (eth0, eth1), bond1 (eth2, eth3), bond2 (eth4, eth5).
func netHost(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := hostgen.Generate(dir, hostgen.Spec{Bonds: 3, SlavesPerBond: 2}); err != nil {
		t.Fatal(err)
	}
	return dir
}

// ifaceDir is the sysfs directory of interface name in the tree at dir.
func ifaceDir(t *testing.T, dir, name string) string {
	t.Helper()
	target, err := os.Readlink(filepath.Join(dir, "sys/class/net", name))
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "sys/class/net", target)
}

// writeFile writes content to path.
func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// slaveBlock splits bond's /proc/net/bonding file around slave's block
// ("Slave Interface: <slave>" up to the next slave or the end).
func slaveBlock(t *testing.T, dir, bond, slave string) (before, block, after string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "proc/net/bonding", bond))
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	start := strings.Index(text, "\n\nSlave Interface: "+slave+"\n")
	if start < 0 {
		t.Fatalf("no slave %s in %s", slave, bond)
	}
	end := len(text)
	if i := strings.Index(text[start+2:], "\n\nSlave Interface: "); i >= 0 {
		end = start + 2 + i
	}
	return text[:start], text[start:end], text[end:]
}

// linkDown takes slave's carrier down as the kernel leaves it: its sysfs
// carrier and operstate, and its MII status in its bond's file.
func linkDown(t *testing.T, dir, bond, slave string) {
	t.Helper()
	d := ifaceDir(t, dir, slave)
	writeFile(t, filepath.Join(d, "carrier"), "0")
	writeFile(t, filepath.Join(d, "operstate"), "down")
	before, block, after := slaveBlock(t, dir, bond, slave)
	block = strings.Replace(block, "MII Status: up", "MII Status: down", 1)
	block = strings.Replace(block, "Link Failure Count: 0", "Link Failure Count: 1", 1)
	writeFile(t, filepath.Join(dir, "proc/net/bonding", bond), before+block+after)
}

// moveSlave moves slave from bond from to bond to: its block in the bonds'
// files and its master link.
func moveSlave(t *testing.T, dir, slave, from, to string) {
	t.Helper()
	before, block, after := slaveBlock(t, dir, from, slave)
	writeFile(t, filepath.Join(dir, "proc/net/bonding", from), before+after)
	b, err := os.ReadFile(filepath.Join(dir, "proc/net/bonding", to))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "proc/net/bonding", to), string(b)+block)
	master := filepath.Join(ifaceDir(t, dir, slave), "master")
	if err := os.Remove(master); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../../../../../virtual/net/"+to, master); err != nil {
		t.Fatal(err)
	}
}

// netReads are the interfaces whose sysfs directory a pass read (by any
// source) and the bonds whose /proc/net/bonding file it read, each sorted.
type netReads struct{ ifaces, bonds []string }

var ifaceRead = regexp.MustCompile(`^sys/devices/.*/net/([^/]+)/`)

// netReadsOf runs pass with a hostfs recorder and returns what it read.
func netReadsOf(t *testing.T, dir string, pass func() *Pass) (*Pass, netReads) {
	t.Helper()
	rec := hostfs.StartRecording()
	p := pass()
	rec.Stop()
	var r netReads
	for _, rd := range rec.Reads() {
		rel, ok := strings.CutPrefix(rd.Path, dir+"/")
		if !ok {
			continue
		}
		if m := ifaceRead.FindStringSubmatch(rel); m != nil && !slices.Contains(r.ifaces, m[1]) {
			r.ifaces = append(r.ifaces, m[1])
		}
		if bond, ok := strings.CutPrefix(rel, "proc/net/bonding/"); ok && !slices.Contains(r.bonds, bond) {
			r.bonds = append(r.bonds, bond)
		}
	}
	slices.Sort(r.ifaces)
	slices.Sort(r.bonds)
	return p, r
}

var (
	allIfaces = []string{"bond0", "bond1", "bond2", "eth0", "eth1", "eth2", "eth3", "eth4", "eth5"}
	allBonds  = []string{"bond0", "bond1", "bond2"}
)

// netEvent is the events of a pass after link changes named links.
func netEvent(links ...string) collectors.Events {
	return collectors.Events{Subsystems: []collectors.Subsystem{collectors.SubsystemNet}, Links: links}
}

// checkNetPass runs, on an engine whose full pass read dir before change,
// the pass after ev: it must equal a fresh full pass over the changed tree,
// which must differ from the pass before; it returns what the pass read.
func checkNetPass(t *testing.T, dir string, change func(), ev collectors.Events) netReads {
	t.Helper()
	roots := collectors.TreeRoots(dir)
	clk := clock.NewFake(time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC))
	e := &Engine{Roots: roots, Clock: clk}
	before, reads := netReadsOf(t, dir, func() *Pass { return e.Run(context.Background()) })
	if !slices.Equal(reads.ifaces, allIfaces) || !slices.Equal(reads.bonds, allBonds) {
		t.Fatalf("the first full pass read %+v, want every interface and bond", reads)
	}
	change()
	clk.Add(time.Second)
	got, reads := netReadsOf(t, dir, func() *Pass { return e.RunAfter(context.Background(), ev) })
	want, all := netReadsOf(t, dir, func() *Pass { return (&Engine{Roots: roots, Clock: clk}).Run(context.Background()) })
	if g, w := passJSON(t, got), passJSON(t, want); g != w {
		t.Fatalf("the pass after %+v differs from a full pass:\n--- incremental\n%s\n--- full\n%s", ev, g, w)
	}
	if passJSON(t, before) == passJSON(t, want) {
		t.Fatal("the change changed nothing: the test proves nothing")
	}
	clk.Add(time.Second)
	if _, full := netReadsOf(t, dir, func() *Pass { return e.Run(context.Background()) }); !slices.Equal(full.ifaces, all.ifaces) || !slices.Equal(full.bonds, all.bonds) {
		t.Errorf("the full pass after the event pass read %+v, want every interface and bond, %+v", full, all)
	}
	return reads
}

// TestIncrementalNetRereadsNamedLink: a slave's carrier goes down; the
// pass after the link event naming it equals a full pass, yet it read
// that slave and its bond, no other bond or interface.
func TestIncrementalNetRereadsNamedLink(t *testing.T) {
	dir := netHost(t)
	reads := checkNetPass(t, dir, func() { linkDown(t, dir, "bond1", "eth3") }, netEvent("eth3"))
	if w := []string{"bond1"}; !slices.Equal(reads.bonds, w) {
		t.Errorf("the link pass read the bonding files of %v, want %v", reads.bonds, w)
	}
	if w := []string{"bond1", "eth3"}; !slices.Equal(reads.ifaces, w) {
		t.Errorf("the link pass read the sysfs of %v, want %v", reads.ifaces, w)
	}
}

// TestIncrementalNetNamedBond: an event naming a bond re-reads it and all
// of its slaves.
func TestIncrementalNetNamedBond(t *testing.T) {
	dir := netHost(t)
	reads := checkNetPass(t, dir, func() { linkDown(t, dir, "bond2", "eth4") }, netEvent("bond2"))
	if w := []string{"bond2"}; !slices.Equal(reads.bonds, w) {
		t.Errorf("the bond pass read the bonding files of %v, want %v", reads.bonds, w)
	}
	if w := []string{"bond2", "eth4", "eth5"}; !slices.Equal(reads.ifaces, w) {
		t.Errorf("the bond pass read the sysfs of %v, want %v", reads.ifaces, w)
	}
}

// TestIncrementalNetSlaveMoves: a slave leaves bond0 for bond1; the event
// names the slave only, and both bonds are right (the one it left is found
// from the last read, the one it joined from its master link now).
func TestIncrementalNetSlaveMoves(t *testing.T) {
	dir := netHost(t)
	reads := checkNetPass(t, dir, func() { moveSlave(t, dir, "eth1", "bond0", "bond1") }, netEvent("eth1"))
	if w := []string{"bond0", "bond1"}; !slices.Equal(reads.bonds, w) {
		t.Errorf("the link pass read the bonding files of %v, want %v", reads.bonds, w)
	}
	if slices.Contains(reads.ifaces, "eth4") || slices.Contains(reads.ifaces, "bond2") {
		t.Errorf("the link pass read the sysfs of %v, none of bond2's", reads.ifaces)
	}
	// The bond it left may have lost its carrier or speed with it: its own
	// sysfs is read again too, found from the last read's master.
	for _, w := range []string{"eth1", "bond0", "bond1"} {
		if !slices.Contains(reads.ifaces, w) {
			t.Errorf("the link pass read the sysfs of %v, want %s among them", reads.ifaces, w)
		}
	}
}

// TestIncrementalNetFallsBack: what the names cannot cover re-reads every
// interface: a new interface, one that vanished, an event with no name,
// a name with another subsystem in the same pass.
func TestIncrementalNetFallsBack(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(t *testing.T, dir string)
		ev     collectors.Events
		ifaces []string // read
	}{
		{"new interface", func(t *testing.T, dir string) {
			d := "sys/devices/pci0000:00/0000:00:01.0/0000:20:00.0/net/eth9"
			for k, v := range map[string]string{"carrier": "1", "operstate": "up", "speed": "10000", "duplex": "full"} {
				if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
					t.Fatal(err)
				}
				writeFile(t, filepath.Join(dir, d, k), v)
			}
			if err := os.Symlink("../../"+strings.TrimPrefix(d, "sys/"), filepath.Join(dir, "sys/class/net/eth9")); err != nil {
				t.Fatal(err)
			}
		}, netEvent("eth9"), append(slices.Clone(allIfaces), "eth9")},
		{"vanished interface", func(t *testing.T, dir string) {
			moveSlave(t, dir, "eth5", "bond2", "bond1") // out of bond2
			before, _, after := slaveBlock(t, dir, "bond1", "eth5")
			writeFile(t, filepath.Join(dir, "proc/net/bonding/bond1"), before+after)
			if err := os.RemoveAll(ifaceDir(t, dir, "eth5")); err != nil {
				t.Fatal(err)
			}
			if err := os.Remove(filepath.Join(dir, "sys/class/net/eth5")); err != nil {
				t.Fatal(err)
			}
		}, netEvent("eth5"), slices.DeleteFunc(slices.Clone(allIfaces), func(s string) bool { return s == "eth5" })},
		{"no name", func(t *testing.T, dir string) { linkDown(t, dir, "bond0", "eth0") }, netEvent(), allIfaces},
		{"another subsystem", func(t *testing.T, dir string) { linkDown(t, dir, "bond0", "eth0") },
			collectors.Events{Subsystems: []collectors.Subsystem{collectors.SubsystemMD, collectors.SubsystemNet}, Links: []string{"eth0"}}, allIfaces},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := netHost(t)
			reads := checkNetPass(t, dir, func() { tc.change(t, dir) }, tc.ev)
			if !slices.Equal(reads.ifaces, tc.ifaces) {
				t.Errorf("the pass read the sysfs of %v, want %v", reads.ifaces, tc.ifaces)
			}
		})
	}
}
