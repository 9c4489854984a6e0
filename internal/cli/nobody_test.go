package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/redwatch/redwatch/internal/testtree"
)

// cliArgsEnv carries the arguments of a CLI run in a child process.
const cliArgsEnv = "REDWATCH_TEST_CLI_ARGS"

// TestHelperCLI is not a test: run as a child process with cliArgsEnv set,
// it is `redwatch ARGS...` (the arguments separated by newlines) and exits
// with its code, so a test can run the CLI as another user.
func TestHelperCLI(t *testing.T) {
	args := os.Getenv(cliArgsEnv)
	if args == "" {
		return
	}
	os.Exit(Run(context.Background(), strings.Split(args, "\n"), os.Stdout, os.Stderr))
}

// asUser runs the CLI as uid/gid 65534 (nobody) with the supplementary
// groups, through util-linux setpriv, from a copy of the test binary that
// nobody can execute. It needs root; in CI (CI=true) it runs, never skips.
type asUser struct {
	t   *testing.T
	bin string
}

func newAsUser(t *testing.T) *asUser {
	t.Helper()
	if _, err := exec.LookPath("setpriv"); os.Geteuid() != 0 || err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the non-root audit test needs root and setpriv (util-linux): euid %d, %v", os.Geteuid(), err)
		}
		t.Skipf("needs root and setpriv: euid %d, %v", os.Geteuid(), err)
	}
	dir := t.TempDir()
	// t.TempDir's parent is 0700: open the way for nobody.
	if err := os.Chmod(filepath.Dir(dir), 0o755); err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "cli.test")
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return &asUser{t: t, bin: bin}
}

// run runs the CLI; groups are nobody's supplementary groups (none: nobody
// is in no group), and root=true runs it as root instead.
func (u *asUser) run(root bool, groups []int, args ...string) (int, string, string) {
	u.t.Helper()
	var cmd *exec.Cmd
	if root {
		cmd = exec.Command(u.bin, "-test.run=^TestHelperCLI$")
	} else {
		pa := []string{"--reuid=65534", "--regid=65534"}
		if len(groups) == 0 {
			pa = append(pa, "--clear-groups")
		} else {
			var g []string
			for _, n := range groups {
				g = append(g, strconv.Itoa(n))
			}
			pa = append(pa, "--groups="+strings.Join(g, ","))
		}
		cmd = exec.Command("setpriv", append(pa, u.bin, "-test.run=^TestHelperCLI$")...)
	}
	cmd.Env = append(os.Environ(), cliArgsEnv+"="+strings.Join(args, "\n"), "HOME=/")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		u.t.Fatalf("%v: %v", cmd.Args, err)
	}
	return code, out.String(), errb.String()
}

// openTree copies fixture trees into one where nobody can read it.
func openTree(t *testing.T, names ...string) string {
	t.Helper()
	dir := testtree.Copy(t, names...)
	if err := exec.Command("chmod", "-R", "a+rX", filepath.Dir(dir)).Run(); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestAuditAsNobody: the audit as a Nagios user. A state directory nobody
// may read (root's 0700) is UNKNOWN in the status line itself, not OK with
// a pending clock that restarts on every run nor OK with the baseline
// silently off. With the directory 0750 in a group the Nagios user is in
// (the package's setup), the same audit reads the baseline and the
// first-seen times root recorded: the removed bond member is WARNING, as for
// root, and md_degraded stays pending on root's clock; a clock that only the
// Nagios user's run would start cannot be kept, which is UNKNOWN.
func TestAuditAsNobody(t *testing.T) {
	u := newAsUser(t)
	const group = 65533 // the redwatch group: any gid works for setpriv
	cfg := filepath.Join(t.TempDir(), "redwatch.yaml")
	if err := os.WriteFile(cfg, []byte("baseline: {settle: 0s}\nrules:\n  - id: md_degraded\n    for: 30s\n  - id: bond_member_down\n    for: 30s\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(t.TempDir(), "state")
	if err := exec.Command("chmod", "a+rX", filepath.Dir(state), filepath.Dir(cfg)).Run(); err != nil {
		t.Fatal(err)
	}
	md := "md_raid1_degraded"
	healthy := openTree(t, filepath.Join("baseline_bond_member_removed", "before"), md)
	removed := openTree(t, filepath.Join("baseline_bond_member_removed", "after"), md)
	slaveDown := openTree(t, "bond_slave_down", md)
	audit := func(tree string) []string {
		return []string{"audit", "-o", "nagios", "--root", tree, "--state-dir", state, "--config", cfg}
	}
	statusLine := func(out string) string { return strings.SplitN(out, "\n", 2)[0] }

	// Root records bond0's baseline (three slaves) and md_degraded's first
	// sighting, in a directory only root may read.
	if code, out, stderr := u.run(true, nil, audit(healthy)...); code != 0 || !strings.HasPrefix(out, "REDWATCH OK - [1 pending]") {
		t.Fatalf("root: exit %d\n%s%s", code, out, stderr)
	}
	if err := os.Chmod(state, 0o700); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := u.run(false, nil, audit(removed)...)
	if line := statusLine(out); code != 3 || !strings.HasPrefix(line, "REDWATCH UNKNOWN - ") ||
		!strings.Contains(line, "state directory cannot be read or written (permission denied)") {
		t.Errorf("nobody, 0700 state: exit %d, status line %q\n%s", code, line, stderr)
	}

	// The package's way: 0750 root:redwatch, the Nagios user in the group.
	if err := exec.Command("chown", "-R", "0:"+strconv.Itoa(group), state).Run(); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(state, 0o750); err != nil {
		t.Fatal(err)
	}
	code, out, stderr = u.run(false, []int{group}, audit(removed)...)
	if line := statusLine(out); code != 1 || !strings.HasPrefix(line, "REDWATCH WARNING - [1 pending]") || !strings.Contains(out, "baseline_member_missing") {
		t.Errorf("nobody in the group, bond member removed: exit %d\n%s%s", code, out, stderr)
	}
	code, out, _ = u.run(false, []int{group}, audit(slaveDown)...)
	if code != 3 || !strings.Contains(statusLine(out), "the `for` clock of bond_member_down bond0/eth1 cannot be kept") {
		t.Errorf("nobody in the group, a clock only this run starts: exit %d\n%s", code, out)
	}
}
