package cli

import (
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/redwatch/redwatch/collectors"
	"github.com/redwatch/redwatch/internal/capture"
	"github.com/redwatch/redwatch/internal/clock"
	"github.com/redwatch/redwatch/internal/config"
	"github.com/redwatch/redwatch/internal/hostgen"
)

// captureAndExtract runs `redwatch capture --root tree -o X.tgz` and extracts
// X.tgz with the real tar into a new directory, which it returns with the
// archive's path.
func captureAndExtract(t *testing.T, tree string, extra ...string) (dir, archive string) {
	t.Helper()
	archive = filepath.Join(t.TempDir(), "capture.tgz")
	code, _, stderr := runCLI(t, append([]string{"capture", "--root", tree, "-o", archive}, extra...)...)
	if code != 0 {
		t.Fatalf("capture --root %s: exit %d, stderr %s", tree, code, stderr)
	}
	dir = t.TempDir()
	if out, err := exec.Command("tar", "-xzf", archive, "-C", dir).CombinedOutput(); err != nil {
		t.Fatalf("tar -xzf %s: %v: %s", archive, err, out)
	}
	return dir, archive
}

// auditRootJSON is `audit --root tree -o json` with the tree's path replaced by
// ROOT (errors name the files they could not read).
func auditRootJSON(t *testing.T, tree string) string {
	t.Helper()
	_, out, _ := runCLI(t, "audit", "--root", tree, "-o", "json")
	return strings.ReplaceAll(out, tree, "ROOT")
}

// readArchive returns the archive's headers and its manifest.
func readArchive(t *testing.T, archive string) ([]*tar.Header, capture.Manifest) {
	t.Helper()
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var hs []*tar.Header
	var m capture.Manifest
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		hs = append(hs, h)
		if h.Name == capture.ManifestName {
			if err := json.NewDecoder(tr).Decode(&m); err != nil {
				t.Fatalf("manifest: %v", err)
			}
		}
	}
	return hs, m
}

// checkContained fails when an archive entry or a symlink's target is
// outside the tree, or an entry is anything but the manifest and sys/,
// proc/, dev/ and smartctl/ (a captured tree's smartctl outputs).
//
// outputs are the tool outputs the manifest lists (docs/capture.md: e.g.
// lldp/neighbors.json): they and their directories may be elsewhere too.
func checkContained(t *testing.T, hs []*tar.Header, outputs ...string) {
	t.Helper()
	isOutput := func(name string) bool {
		for _, o := range outputs {
			if o == name || strings.HasPrefix(o, name+"/") {
				return true
			}
		}
		return false
	}
	for _, h := range hs {
		name := strings.TrimSuffix(h.Name, "/")
		if !filepath.IsLocal(name) || path.Clean(name) != name {
			t.Errorf("entry %q is not a clean relative path", h.Name)
		}
		top, _, _ := strings.Cut(name, "/")
		if name != capture.ManifestName && top != "sys" && top != "proc" && top != "dev" && top != "smartctl" && !isOutput(name) {
			t.Errorf("entry %q is outside sys/, proc/, dev/, smartctl/ and the tool outputs", h.Name)
		}
		if h.Typeflag == tar.TypeSymlink {
			if to := path.Join(path.Dir(name), h.Linkname); path.IsAbs(h.Linkname) || !filepath.IsLocal(to) {
				t.Errorf("symlink %s -> %s leaves the tree", name, h.Linkname)
			}
		}
	}
}

// TestCaptureReproducesAudit captures every scenario under testdata/ (and
// the corpus's lab trees), extracts the archive with tar and checks that
// `audit --root` of the extract says exactly what it says of the scenario:
// status, findings, groups and errors.
func TestCaptureReproducesAudit(t *testing.T) {
	trees, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "*", "audit.golden.json"))
	if len(trees) < 20 {
		t.Fatalf("only %d scenarios found", len(trees))
	}
	for i := range trees {
		trees[i] = filepath.Dir(trees[i])
	}
	if labs, _ := filepath.Glob(filepath.Join(corpusDir, "lab", "*")); len(labs) > 0 {
		trees = append(trees, labs...)
	} else if os.Getenv("CI") == "true" {
		t.Fatalf("the corpus must be present in CI (%s)", corpusDir)
	}
	for _, tree := range trees {
		t.Run(filepath.Base(tree), func(t *testing.T) {
			dir, archive := captureAndExtract(t, tree)
			want, got := auditRootJSON(t, tree), auditRootJSON(t, dir)
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("audit of the capture differs (-tree +capture):\n%s", d)
			}
			hs, m := readArchive(t, archive)
			checkContained(t, hs, m.Outputs...)
			if len(m.Files) == 0 || m.Format != 1 || m.Time.IsZero() {
				t.Errorf("manifest lists no files or lacks its header: %+v", m)
			}
			for _, f := range m.Files {
				if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
					t.Errorf("manifest file %s is not in the capture: %v", f, err)
				}
			}
		})
	}
}

// TestCaptureKeepsSymlinks checks that sysfs's symlinks come out as the same
// symlinks, and that sysfs attributes keep what was read.
func TestCaptureKeepsSymlinks(t *testing.T) {
	tree := filepath.Join("..", "..", "testdata", "bond_dual_port_card")
	dir, archive := captureAndExtract(t, tree)
	_, m := readArchive(t, archive)
	if len(m.Links) == 0 {
		t.Fatal("no symlink captured from bond_dual_port_card")
	}
	for _, l := range m.Links {
		want, err := os.Readlink(filepath.Join(tree, l.Path))
		if err != nil {
			t.Fatalf("%s: %v", l.Path, err)
		}
		got, err := os.Readlink(filepath.Join(dir, l.Path))
		if err != nil || got != want || l.Target != want {
			t.Errorf("%s -> %q (manifest %q), want -> %q (%v)", l.Path, got, l.Target, want, err)
		}
	}
	for _, f := range m.Files {
		want, _ := os.ReadFile(filepath.Join(tree, f))
		got, _ := os.ReadFile(filepath.Join(dir, f))
		if string(got) != string(want) {
			t.Errorf("%s: captured %q, tree has %q", f, got, want)
		}
	}
}

// TestCaptureFailuresAndSecrets checks that a file that cannot be read is in
// the manifest's failures with why, and that neither the state directory nor
// the configuration's files are archived even when they sit in the tree.
func TestCaptureFailuresAndSecrets(t *testing.T) {
	tree := t.TempDir()
	if err := os.CopyFS(tree, os.DirFS(filepath.Join("..", "..", "testdata", "md_raid1_degraded"))); err != nil {
		t.Fatal(err)
	}
	// /proc/net/bonding/bond0 is a directory: its read fails with EISDIR.
	if err := os.MkdirAll(filepath.Join(tree, "proc", "net", "bonding", "bond0"), 0o755); err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(tree, "proc", "state")
	secretFile := filepath.Join(tree, "proc", "redwatch.yml")
	if err := os.MkdirAll(state, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(secretFile, []byte("state_dir: "+state+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, archive := captureAndExtract(t, tree, "--config", secretFile)
	hs, m := readArchive(t, archive)
	checkContained(t, hs)
	found := false
	for _, f := range m.Failures {
		if strings.HasSuffix(f.Path, "proc/net/bonding/bond0") && strings.Contains(f.Error, "directory") {
			found = true
		}
	}
	if !found {
		t.Errorf("the unreadable proc/net/bonding/bond0 is not in the failures: %+v", m.Failures)
	}
	for _, h := range hs {
		if strings.Contains(h.Name, "state") || strings.Contains(h.Name, "redwatch.yml") {
			t.Errorf("archive holds %s", h.Name)
		}
	}
}

// TestCaptureLargeHost captures internal/hostgen's large host: the audit of
// the capture is the audit of the host.
func TestCaptureLargeHost(t *testing.T) {
	tree := t.TempDir()
	if err := hostgen.Generate(tree, hostgen.Large); err != nil {
		t.Fatal(err)
	}
	dir, _ := captureAndExtract(t, tree)
	if d := cmp.Diff(auditRootJSON(t, tree), auditRootJSON(t, dir)); d != "" {
		t.Errorf("audit of the capture of the large host differs (-tree +capture):\n%s", d)
	}
}

// TestCaptureHelp checks that capture answers -h with its flags.
func TestCaptureHelp(t *testing.T) {
	code, out, _ := runCLI(t, "capture", "-h")
	if code != 0 || !strings.Contains(out, "-output") || !strings.Contains(out, "-root") {
		t.Errorf("capture -h: exit %d, %s", code, out)
	}
}

// TestCaptureStdoutAndBadRoot checks `-o -` (the archive on standard
// output, the summary on standard error) and that a missing root is a
// usage error (exit 3) that writes nothing.
func TestCaptureStdoutAndBadRoot(t *testing.T) {
	code, out, stderr := runCLI(t, "capture", "--root", filepath.Join("..", "..", "testdata", "md_raid1_degraded"), "-o", "-")
	if code != 0 || !strings.HasPrefix(out, "\x1f\x8b") || !strings.Contains(stderr, "wrote standard output") {
		t.Errorf("capture -o -: exit %d, stdout %d bytes starting %q, stderr %s", code, len(out), out[:min(len(out), 4)], stderr)
	}
	archive := filepath.Join(t.TempDir(), "x.tgz")
	code, _, stderr = runCLI(t, "capture", "--root", filepath.Join(t.TempDir(), "missing"), "-o", archive)
	if code != exitError || !strings.Contains(stderr, "no such directory") {
		t.Errorf("capture of a missing root: exit %d, stderr %s", code, stderr)
	}
	if _, err := os.Stat(archive); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("capture of a missing root wrote %s", archive)
	}
}

// TestCaptureBMCReaders: a capture of a live host reads the BMC its
// configuration names (power.ipmi over LAN, power.redfish); a captured tree
// reads none (its ipmi/ and redfish/ files are its BMC).
func TestCaptureBMCReaders(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "bmc.password")
	if err := os.WriteFile(pw, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse("redwatch.yaml", []byte("power:\n  ipmi:\n    address: 10.0.0.21\n    username: monitor\n    password_file: "+pw+
		"\n  redfish:\n    endpoint: https://10.0.0.5\n    username: monitor\n    password_file: "+pw+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	live := collectors.HostRoots()
	if b := bmcReaders(cfg, live, clock.Real{}); b.IPMI == nil || b.Redfish == nil {
		t.Errorf("live host: readers %+v, want IPMI and Redfish", b)
	}
	if b := bmcReaders(config.Default(), live, clock.Real{}); b.IPMI == nil || b.Redfish != nil {
		t.Errorf("live host, no configuration: readers %+v, want in-band IPMI only", b)
	}
	if b := bmcReaders(cfg, collectors.TreeRoots(dir), clock.Real{}); b.IPMI != nil || b.Redfish != nil {
		t.Errorf("captured tree: readers %+v, want none", b)
	}
}
