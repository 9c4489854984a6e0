package packaging

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
)

const packageInstall = "scripts/deps-go.sh installs nfpm, scripts/deps-package.sh lintian and rpm"

// built is the outcome of the one `make package` the package tests share.
var built struct {
	sync.Mutex
	deb, rpm string
}

// buildPackages runs `make package` in the repository (once per test
// binary) and returns the .deb and the .rpm it made in dist/.
func buildPackages(t *testing.T) (deb, rpm string) {
	t.Helper()
	built.Lock()
	defer built.Unlock()
	if built.deb != "" {
		return built.deb, built.rpm
	}
	gopath, err := exec.Command("go", "env", "GOPATH").Output()
	if err != nil {
		t.Fatal(err)
	}
	nfpm := filepath.Join(strings.TrimSpace(string(gopath)), "bin", "nfpm")
	if _, err := os.Stat(nfpm); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("nfpm not installed (%s)", packageInstall)
		}
		t.Skipf("nfpm not installed (%s)", packageInstall)
	}
	makeTool := tool(t, "make", "Debian package make")
	run(t, "..", makeTool, "package")
	debs, _ := filepath.Glob(filepath.Join("..", "dist", "redwatch_*.deb"))
	rpms, _ := filepath.Glob(filepath.Join("..", "dist", "redwatch-*.rpm"))
	if len(debs) != 1 || len(rpms) != 1 {
		t.Fatalf("make package made %v and %v, want one .deb and one .rpm", debs, rpms)
	}
	built.deb, built.rpm = debs[0], rpms[0]
	return built.deb, built.rpm
}

// installed are the files the packages install (besides the per-format
// documentation), with their modes.
var installed = map[string]fs.FileMode{
	"usr/bin/redwatch":                                  0o755,
	"usr/lib/systemd/system/redwatch.service":           0o644,
	"usr/lib/sysusers.d/redwatch.conf":                  0o644,
	"etc/redwatch/redwatch.yaml":                        0o644,
	"usr/share/man/man1/redwatch.1.gz":                  0o644,
	"usr/share/bash-completion/completions/redwatch":    0o644,
	"usr/share/zsh/vendor-completions/_redwatch":        0o644,
	"usr/share/fish/vendor_completions.d/redwatch.fish": 0o644,
	"usr/share/redwatch/prometheus/redwatch.rules.yml":  0o644,
	"usr/share/redwatch/alertmanager/alertmanager.yml":  0o644,
	"usr/share/redwatch/grafana/redwatch-fleet.json":    0o644,
}

// TestDebPackage builds the packages, runs lintian on the .deb (no error,
// no warning: each override in packaging/lintian/redwatch says why), then
// installs, upgrades and purges it with dpkg in a throwaway root: dpkg
// --root with --force-script-chrootless, so the maintainer scripts run on
// the host with DPKG_ROOT set (the throwaway root has no shell to chroot
// into) and must touch only that root and never start a daemon.
func TestDebPackage(t *testing.T) {
	lintian := tool(t, "lintian", packageInstall)
	dpkg := tool(t, "dpkg", "Debian package dpkg")
	deb, _ := buildPackages(t)

	out, err := exec.Command(lintian, "--fail-on", "error,warning", "--pedantic", deb).CombinedOutput()
	var tags []string
	for _, l := range strings.Split(string(out), "\n") {
		if l != "" && !strings.HasPrefix(l, "running with root privileges") {
			tags = append(tags, l)
		}
	}
	if err != nil || len(tags) > 0 {
		t.Errorf("lintian %s: %v\n%s", filepath.Base(deb), err, strings.Join(tags, "\n"))
	}

	// A tag is the version; a commit is 0.0.0~git.COMMIT, before every release.
	version := strings.TrimSpace(run(t, ".", "dpkg-deb", "-f", deb, "Version"))
	if !regexp.MustCompile(`^([0-9]+\.[0-9]+\S*|0\.0\.0~git\.[0-9a-f]+\S*)-1$`).MatchString(version) {
		t.Errorf("package version %q: want TAG-1 or 0.0.0~git.COMMIT-1", version)
	}

	root := t.TempDir()
	for _, d := range []string{"var/lib/dpkg/info", "var/lib/dpkg/updates", "etc"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "var/lib/dpkg/status"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	dpkgRoot := func(args ...string) string {
		return run(t, ".", dpkg, append([]string{"--root=" + root, "--force-script-chrootless"}, args...)...)
	}
	dpkgRoot("-i", deb)
	for p, mode := range installed {
		fi, err := os.Stat(filepath.Join(root, p))
		if err != nil {
			t.Errorf("installed: %v", err)
			continue
		}
		if fi.Mode().Perm() != mode {
			t.Errorf("%s: mode %v, want %v", p, fi.Mode().Perm(), mode)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "etc/default/redwatch")); err != nil {
		t.Errorf("installed: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "etc/sysconfig")); err == nil {
		t.Error("the .deb installs /etc/sysconfig (the .rpm's)")
	}
	fi, err := os.Stat(filepath.Join(root, "var/lib/redwatch"))
	if err != nil || fi.Mode().Perm() != 0o750 || !fi.IsDir() {
		t.Errorf("state directory: %v, %v; want a 0750 directory", fi, err)
	}
	if g, err := os.ReadFile(filepath.Join(root, "etc/group")); err != nil || !strings.Contains(string(g), "\nredwatch:x:") && !strings.HasPrefix(string(g), "redwatch:x:") {
		t.Errorf("postinst made no redwatch group in the root's /etc/group: %q, %v", g, err)
	}
	if v := run(t, ".", filepath.Join(root, "usr/bin/redwatch"), "version"); !strings.HasPrefix(v, "redwatch, version ") {
		t.Errorf("installed redwatch version: %q", v)
	}
	conffiles := dpkgRoot("-s", "redwatch")
	for _, c := range []string{"/etc/redwatch/redwatch.yaml", "/etc/default/redwatch"} {
		if !strings.Contains(conffiles, " "+c+" ") {
			t.Errorf("%s is not a conffile:\n%s", c, conffiles)
		}
	}

	// An upgrade (here: the same version again) keeps an edited conffile.
	conf := filepath.Join(root, "etc/redwatch/redwatch.yaml")
	edited := []byte("# edited by the admin\nstate_dir: /var/lib/redwatch\n")
	if err := os.WriteFile(conf, edited, 0o644); err != nil {
		t.Fatal(err)
	}
	dpkgRoot("--force-confold", "-i", deb)
	if b, err := os.ReadFile(conf); err != nil || string(b) != string(edited) {
		t.Errorf("reinstall replaced the edited conffile: %q, %v", b, err)
	}

	dpkgRoot("-P", "redwatch")
	var left []string
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if rel == "var/lib/dpkg" {
			return filepath.SkipDir
		}
		if !d.IsDir() && !slices.Contains([]string{"etc/group", "etc/gshadow", "etc/.pwd.lock"}, rel) {
			left = append(left, rel)
		}
		if d.IsDir() && slices.Contains([]string{"etc/redwatch", "var/lib/redwatch", "usr/share/redwatch", "usr/bin"}, rel) {
			left = append(left, rel+"/")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(left) > 0 {
		t.Errorf("purge left %v", left)
	}
}

// TestRPMPackage checks the .rpm's files, its config(noreplace) files and
// that it carries /etc/sysconfig/redwatch, not Debian's /etc/default.
func TestRPMPackage(t *testing.T) {
	rpmTool := tool(t, "rpm", packageInstall)
	_, rpm := buildPackages(t)
	list := run(t, ".", rpmTool, "-qp", "--list", rpm)
	for p := range installed {
		if !strings.Contains(list, "/"+p+"\n") {
			t.Errorf("%s lacks /%s:\n%s", filepath.Base(rpm), p, list)
		}
	}
	for _, p := range []string{"/etc/sysconfig/redwatch", "/usr/share/licenses/redwatch/LICENSE", "/usr/share/licenses/redwatch/NOTICE"} {
		if !strings.Contains(list, p+"\n") {
			t.Errorf("%s lacks %s", filepath.Base(rpm), p)
		}
	}
	if strings.Contains(list, "/etc/default/") {
		t.Errorf("%s carries Debian's /etc/default", filepath.Base(rpm))
	}
	configs := run(t, ".", rpmTool, "-qp", "--configfiles", rpm)
	for _, c := range []string{"/etc/redwatch/redwatch.yaml", "/etc/sysconfig/redwatch"} {
		if !strings.Contains(configs, c+"\n") {
			t.Errorf("%s: %s is not a config file:\n%s", filepath.Base(rpm), c, configs)
		}
	}
	if scripts := run(t, ".", rpmTool, "-qp", "--scripts", rpm); !strings.Contains(scripts, "/run/systemd/system") {
		t.Errorf("%s: maintainer scripts do not check for systemd:\n%s", filepath.Base(rpm), scripts)
	}
}

// TestCompletionsParse has each shell parse its shipped completion script,
// and bash complete a command, a subcommand and a flag with it.
func TestCompletionsParse(t *testing.T) {
	for _, sh := range []string{"bash", "zsh", "fish"} {
		run(t, ".", tool(t, sh, packageInstall), "-n", filepath.Join("completions", "redwatch."+sh))
	}
	bash := tool(t, "bash", packageInstall)
	script := `source completions/redwatch.bash
complete_words() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _redwatch; echo "${COMPREPLY[*]}"; }
complete_words redwatch da
complete_words redwatch baseline ac
complete_words redwatch daemon --web.l`
	got := run(t, ".", bash, "-c", script)
	if want := "daemon\naccept\n--web.listen-address\n"; got != want {
		t.Errorf("bash completions: got %q, want %q", got, want)
	}
}
