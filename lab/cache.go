package lab

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
)

// CacheEnv is the environment variable that overrides the cache directory.
const CacheEnv = "REDWATCH_LAB_CACHE"

// DefaultCacheDir is $REDWATCH_LAB_CACHE, or $HOME/.cache/redwatch-lab, or
// (with no $HOME, as under some CI runners) redwatch-lab-cache in the
// temporary directory.
func DefaultCacheDir() (string, error) {
	if d := os.Getenv(CacheEnv); d != "" {
		return d, nil
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".cache", "redwatch-lab"), nil
	}
	return filepath.Join(os.TempDir(), "redwatch-lab-cache"), nil
}

// Cache keeps Debian packages downloaded with apt-get download, extracted
// with dpkg-deb -x, one directory per package and version: a package is
// downloaded once per version and reused on every later run, offline.
type Cache struct {
	// Dir is the cache directory; it is created when missing.
	Dir string
	// Log, when set, is told what the cache downloads.
	Log func(format string, args ...any)
}

// Package is a Debian package extracted in the cache.
type Package struct {
	// Name and Version are the package's, as apt names them.
	Name    string
	Version string
	// Root is the directory the package was extracted into (dpkg-deb -x).
	Root string
}

// Fetch returns the candidate version of the named package, downloading and
// extracting it into the cache unless that version is already there.
func (c *Cache) Fetch(ctx context.Context, name string) (*Package, error) {
	version, err := CandidateVersion(ctx, name)
	if err != nil {
		return nil, err
	}
	return c.FetchVersion(ctx, name, version)
}

// FetchVersion is Fetch of a given version.
func (c *Cache) FetchVersion(ctx context.Context, name, version string) (*Package, error) {
	dir := filepath.Join(c.Dir, "deb", name+"_"+safeVersion(version))
	p := &Package{Name: name, Version: version, Root: filepath.Join(dir, "root")}
	if complete(dir) {
		return p, nil
	}
	if err := os.MkdirAll(filepath.Join(c.Dir, "deb"), 0o755); err != nil {
		return nil, fmt.Errorf("lab: cache: %w", err)
	}
	unlock, err := lockFile(filepath.Join(c.Dir, "deb", "."+name+".lock"))
	if err != nil {
		return nil, err
	}
	defer unlock()
	if complete(dir) { // another process fetched it while we waited
		return p, nil
	}
	if c.Log != nil {
		c.Log("lab: cache: downloading %s=%s into %s", name, version, c.Dir)
	}
	tmp, err := os.MkdirTemp(filepath.Join(c.Dir, "deb"), ".fetch-"+name+"-")
	if err != nil {
		return nil, fmt.Errorf("lab: cache: %w", err)
	}
	defer os.RemoveAll(tmp)
	if out, err := run(ctx, tmp, "apt-get", "download", "-q", name+"="+version); err != nil {
		return nil, fmt.Errorf("lab: apt-get download %s=%s failed (is the archive reachable and are apt's lists current? run lab/deps.sh): %w\n%s", name, version, err, tail(out, 15))
	}
	debs, _ := filepath.Glob(filepath.Join(tmp, "*.deb"))
	if len(debs) != 1 {
		return nil, fmt.Errorf("lab: apt-get download %s=%s left %d .deb files, want 1", name, version, len(debs))
	}
	if out, err := run(ctx, tmp, "dpkg-deb", "-x", debs[0], filepath.Join(tmp, "root")); err != nil {
		return nil, fmt.Errorf("lab: dpkg-deb -x %s: %w\n%s", filepath.Base(debs[0]), err, tail(out, 15))
	}
	if err := os.Remove(debs[0]); err != nil {
		return nil, fmt.Errorf("lab: cache: %w", err)
	}
	if err := os.WriteFile(filepath.Join(tmp, "complete"), []byte(name+" "+version+"\n"), 0o644); err != nil {
		return nil, fmt.Errorf("lab: cache: %w", err)
	}
	_ = os.RemoveAll(dir) // a half-written directory from an interrupted run
	if err := os.Rename(tmp, dir); err != nil {
		return nil, fmt.Errorf("lab: cache: %w", err)
	}
	c.prune(name, dir)
	return p, nil
}

// prune removes the other cached versions of a package: the kernel alone is
// 400 MB extracted, and Debian replaces it with every security update.
func (c *Cache) prune(name, keep string) {
	others, _ := filepath.Glob(filepath.Join(c.Dir, "deb", name+"_*"))
	for _, o := range others {
		if o != keep {
			_ = os.RemoveAll(o)
		}
	}
}

func complete(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "complete"))
	return err == nil
}

// safeVersion makes a Debian version usable in a file name (the epoch's colon).
func safeVersion(v string) string { return strings.ReplaceAll(v, ":", "%3a") }

// lockFile takes an exclusive flock on path, so that two test processes do
// not download the same package at once.
func lockFile(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lab: cache lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lab: cache lock %s: %w", path, err)
	}
	return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}

// CandidateVersion is the version apt would install of the named package
// (`apt-cache policy`); it reads apt's local lists and needs no network.
func CandidateVersion(ctx context.Context, name string) (string, error) {
	vs, err := CandidateVersions(ctx, name)
	if err != nil {
		return "", err
	}
	return vs[name], nil
}

// CandidateVersions is CandidateVersion for several packages with one
// apt-cache call (each call reads all of apt's lists, about a second).
func CandidateVersions(ctx context.Context, names ...string) (map[string]string, error) {
	out, err := run(ctx, "", "apt-cache", append([]string{"policy"}, names...)...)
	if err != nil {
		return nil, fmt.Errorf("lab: apt-cache policy %s: %w\n%s", strings.Join(names, " "), err, tail(out, 5))
	}
	vs := parseCandidates(out)
	for _, n := range names {
		if vs[n] == "" {
			return nil, fmt.Errorf("lab: apt knows no candidate version of %s (run lab/deps.sh, which runs apt-get update)", n)
		}
	}
	return vs, nil
}

// parseCandidates reads the Candidate line of each package in `apt-cache
// policy` output (a "name:" line at the start of a line opens a package);
// a package whose candidate is "(none)" is left out.
func parseCandidates(out []byte) map[string]string {
	vs := map[string]string{}
	pkg := ""
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if line != "" && line[0] != ' ' && strings.HasSuffix(line, ":") {
			pkg = strings.TrimSuffix(line, ":")
			continue
		}
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if ok && k == "Candidate" && pkg != "" {
			if v = strings.TrimSpace(v); v != "(none)" {
				vs[pkg] = v
			}
			pkg = ""
		}
	}
	return vs
}

// KernelMeta is the metapackage whose dependency names the lab's kernel.
const KernelMeta = "linux-image-amd64"

// KernelPackage is the exact kernel package (linux-image-6.1.0-NN-amd64)
// that `apt-cache depends linux-image-amd64` names.
func KernelPackage(ctx context.Context) (string, error) {
	out, err := run(ctx, "", "apt-cache", "depends", KernelMeta)
	if err != nil {
		return "", fmt.Errorf("lab: apt-cache depends %s: %w\n%s", KernelMeta, err, tail(out, 5))
	}
	name := parseKernelDepends(out)
	if name == "" {
		return "", fmt.Errorf("lab: apt-cache depends %s names no linux-image-<version> package (run lab/deps.sh, which runs apt-get update)", KernelMeta)
	}
	return name, nil
}

var kernelDep = regexp.MustCompile(`(?m)^\s*Depends:\s*(linux-image-[0-9][^\s<>]*)\s*$`)

// parseKernelDepends finds the first "Depends: linux-image-<version>" line.
func parseKernelDepends(out []byte) string {
	m := kernelDep.FindSubmatch(out)
	if m == nil {
		return ""
	}
	return string(m[1])
}

// run runs a command in dir and returns its combined output.
func run(ctx context.Context, dir, name string, args ...string) ([]byte, error) {
	if _, err := exec.LookPath(name); err != nil {
		return nil, fmt.Errorf("lab: %s is not installed (run lab/deps.sh): %w", name, err)
	}
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LC_ALL=C", "DEBIAN_FRONTEND=noninteractive")
	out, err := cmd.CombinedOutput()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return out, fmt.Errorf("%s: %w", name, err)
		}
		return out, err
	}
	return out, nil
}

// tail is the last n lines of b, for error messages.
func tail(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
