package collectors

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/redwatch/redwatch/bonding"
)

// bondNames lists the names of bonds.
func bondNames(bonds []bonding.Bond) []string {
	var names []string
	for _, b := range bonds {
		names = append(names, b.Name)
	}
	return names
}

func TestCollectBondsFixture(t *testing.T) {
	t.Parallel()
	// The bonding package's own tree: bond0 from /proc completed by sysfs,
	// bond1 from sysfs alone.
	bonds, errs := collectBonds(TreeRoots(filepath.Join("..", "bonding", "testdata", "tree")))
	if len(errs) != 0 {
		t.Fatalf("errors %v", errs)
	}
	if got := bondNames(bonds); !slices.Equal(got, []string{"bond0", "bond1"}) {
		t.Fatalf("bonds %q", got)
	}
	if b := bonds[0]; b.LACP == nil || b.LACP.ActiveAggregatorID != 1 || b.Slaves[1].AggregatorID != 2 || b.Slaves[1].State != "backup" {
		t.Errorf("bond0 %+v", b)
	}
	if b := bonds[1]; b.Mode != bonding.ModeActiveBackup || b.Slaves[1].Name != "eth3" || b.Slaves[1].MIIStatus != "down" {
		t.Errorf("bond1 %+v", b)
	}
}

func TestCollectBondsAbsent(t *testing.T) {
	t.Parallel()
	bonds, errs := collectBonds(TreeRoots(t.TempDir()))
	if len(bonds) != 0 || errs != nil {
		t.Errorf("no bonding module: bonds %v errors %v, want none", bonds, errs)
	}
}

func TestCollectBondsErrors(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	write := func(p, content string) {
		t.Helper()
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	good, err := os.ReadFile(filepath.Join("..", "testdata", "bond_ab_healthy", "proc", "net", "bonding", "bond0"))
	if err != nil {
		t.Fatal(err)
	}
	write("proc/net/bonding/bond0", string(good))
	write("proc/net/bonding/bond1", "Ethernet Channel Bonding Driver: v6.1.0\n\n")
	if err := os.MkdirAll(filepath.Join(root, "proc/net/bonding/bond2"), 0o755); err != nil { // exists, unreadable
		t.Fatal(err)
	}
	write("sys/class/net/bonding_masters", "bond0 bond1 bond2 bond3\n")

	bonds, errs := collectBonds(TreeRoots(root))
	if got := bondNames(bonds); !slices.Equal(got, []string{"bond0"}) {
		t.Errorf("bonds %q, want only bond0: a bond that cannot be read is never reported", got)
	}
	want := []struct{ Collector, Path, Err string }{
		{Collector: "bonding", Path: filepath.Join(root, "proc/net/bonding/bond1"), Err: `no "Bonding Mode" line`},
		{Collector: "bonding", Path: filepath.Join(root, "proc/net/bonding/bond2"), Err: "read: is a directory"},
		{Collector: "bonding", Path: filepath.Join(root, "sys/class/net/bond3/bonding"), Err: "neither /proc/net/bonding/bond3 nor a sysfs bonding directory exists"},
	}
	if len(errs) != len(want) {
		t.Fatalf("errors %v, want %d", errs, len(want))
	}
	for i, e := range errs {
		if e.Collector != want[i].Collector || e.Path != want[i].Path || !strings.HasPrefix(e.Reason(), want[i].Err) {
			t.Errorf("error %d = %+v, want %+v", i, e, want[i])
		}
		if strings.HasPrefix(e.Reason(), "bonding:") || strings.Contains(e.Reason(), e.Path) {
			t.Errorf("error %d repeats the prefix or path: %q", i, e.Error())
		}
	}
}

func TestCollectBondsRepoScenarios(t *testing.T) {
	t.Parallel()
	for dir, want := range map[string]struct {
		bonds []string
		errs  int
	}{
		"bond_ab_healthy":       {[]string{"bond0"}, 0},
		"bond_lacp_healthy":     {[]string{"bond0"}, 0},
		"bond_two_cards":        {[]string{"bond0"}, 0}, // bonding_masters without a sysfs bond dir: /proc suffices
		"bond_dual_port_card":   {[]string{"bond0"}, 0}, // sysfs bond dir without bonding/
		"bad_bonding_truncated": {nil, 1},
		"bad_bonding_empty":     {nil, 1},
	} {
		bonds, errs := collectBonds(TreeRoots(filepath.Join("..", "testdata", dir)))
		if got := bondNames(bonds); !slices.Equal(got, want.bonds) || len(errs) != want.errs {
			t.Errorf("%s: bonds %q errors %v, want %q and %d errors", dir, got, errs, want.bonds, want.errs)
		}
		for _, e := range errs {
			if e.Collector != "bonding" || !strings.HasSuffix(e.Path, filepath.Join("proc", "net", "bonding", "bond0")) {
				t.Errorf("%s: error %+v", dir, e)
			}
		}
	}
}

func TestCollectBondsLab(t *testing.T) {
	t.Parallel()
	for _, tree := range []string{"kernel61_healthy", "kernel61_faults"} {
		bonds, errs := collectBonds(TreeRoots(labTree(t, tree)))
		if len(errs) != 0 || !slices.Equal(bondNames(bonds), []string{"bond0", "bond1", "bond2"}) {
			t.Fatalf("%s: bonds %q errors %v", tree, bondNames(bonds), errs)
		}
		down := map[string]bool{}
		for _, b := range bonds {
			for _, s := range b.Slaves {
				if s.MIIStatus != "up" {
					down[b.Name+"/"+s.Name] = true
				}
			}
		}
		want := map[string]bool{}
		if tree == "kernel61_faults" {
			want = map[string]bool{"bond0/eth1": true, "bond2/eth5": true}
		}
		if !maps.Equal(down, want) {
			t.Errorf("%s: down slaves %v, want %v", tree, down, want)
		}
		if bonds[2].Mode != bonding.ModeActiveBackup || bonds[0].Mode != bonding.Mode8023AD {
			t.Errorf("%s: modes %s %s", tree, bonds[0].Mode, bonds[2].Mode)
		}
	}
}
