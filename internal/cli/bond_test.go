package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redwatch/redwatch/internal/testtree"
)

// enslaveTree copies bonding/testdata/enslave/NAME (symlinks kept) into a
// temporary directory and returns it.
func enslaveTree(t *testing.T, name string) string {
	t.Helper()
	return testtree.CopyDir(t, filepath.Join("..", "..", "bonding", "testdata", "enslave", name))
}

// TestBondReenslave is `redwatch bond reenslave` on a fixture tree: the
// sysfs write lands in the tree's bonding/slaves file only without
// --dry-run; exit 0 done, 1 refused (each with its reason), 2 failed.
func TestBondReenslave(t *testing.T) {
	tree := enslaveTree(t, "lacp")
	slaves := filepath.Join(tree, "sys", "class", "net", "bond0", "bonding", "slaves")
	cfg := filepath.Join(t.TempDir(), "redwatch.yaml")
	if err := os.WriteFile(cfg, []byte("expect:\n  bonds:\n    - {name: bond0, members: [eth0, eth1, eth2, eth5]}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	read := func() string {
		b, err := os.ReadFile(slaves)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	for _, tc := range []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"bond0", "eth1", "--dry-run"}, 0, "bond0: dry run: would write +eth1 to " + slaves},
		{[]string{"bond0", "--dry-run"}, 1, "would write +eth1"},
		{[]string{"bond0", "eth3"}, 1, "refused to add eth3: eth3 is not a declared member of bond0"},
		{[]string{"bond0", "eth5"}, 1, "refused to add eth5: eth5 is 1000 Mb/s full, bond0's active aggregator 10000 Mb/s full"},
		{[]string{"bond0", "eth2"}, 1, "refused to add eth2: eth2 is down: its carrier cannot be read"},
		{[]string{"bond0", "eth0"}, 1, "eth0 is already a slave of bond0"},
		{[]string{"bond9", "eth1"}, 1, "no bond bond9"},
	} {
		code, stdout, stderr := runCLI(t, append([]string{"bond", "reenslave", "--root", tree, "--config", cfg}, tc.args...)...)
		if code != tc.code || !strings.Contains(stdout, tc.out) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want %d with %q", tc.args, code, stdout, stderr, tc.code, tc.out)
		}
		if got := read(); got != "eth0\n" {
			t.Fatalf("%v wrote the tree's slaves file: %q", tc.args, got)
		}
	}
	code, stdout, stderr := runCLI(t, "bond", "reenslave", "bond0", "eth1", "--root", tree, "--config", cfg)
	if code != 0 || !strings.Contains(stdout, "bond0: added eth1 back (wrote +eth1 to "+slaves) {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if got := read(); got != "+eth1\n" {
		t.Errorf("slaves file %q, want +eth1", got)
	}

	// A slaves attribute that cannot be written (a link where it belongs:
	// never followed) fails: exit 2.
	tree = enslaveTree(t, "lacp")
	slaves = filepath.Join(tree, "sys", "class", "net", "bond0", "bonding", "slaves")
	if err := os.Rename(slaves, slaves+".real"); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("slaves.real", slaves); err != nil {
		t.Fatal(err)
	}
	code, stdout, _ = runCLI(t, "bond", "reenslave", "bond0", "eth1", "--root", tree, "--config", cfg)
	if code != 2 || !strings.Contains(stdout, "bond0: failed to add eth1") {
		t.Errorf("exit %d, stdout %q; want 2, failed", code, stdout)
	}
	if code, _, stderr := runCLI(t, "bond", "reenslave"); code != exitError || !strings.Contains(stderr, "usage") {
		t.Errorf("no bond: exit %d, %q", code, stderr)
	}
}
