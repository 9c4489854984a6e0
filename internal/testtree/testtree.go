// Package testtree copies the repository's fixture trees (testdata/NAME)
// into temporary directories, for tests that edit a tree while redwatch
// watches it.
package testtree

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Dir is the repository's testdata directory.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata")
}

// Copy copies the fixture trees testdata/NAME (in order, later ones over
// earlier ones) into a new temporary directory and returns it. Symlinks stay
// symlinks, as in sysfs.
func Copy(t testing.TB, names ...string) string {
	t.Helper()
	dst := t.TempDir()
	for _, name := range names {
		if err := copyTree(filepath.Join(Dir(), name), dst); err != nil {
			t.Fatalf("testtree: copy %s: %v", name, err)
		}
	}
	return dst
}

// Bare makes a new temporary directory holding an otherwise empty host:
// sys/class/net, proc and dev, the directories a live host always has,
// and returns it. Tests of the BMC sources use it so that only the BMC
// has facts.
func Bare(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{"sys/class/net", "proc", "dev"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatalf("testtree: %v", err)
		}
	}
	return dir
}

// CopyDir copies the tree at dir (any fixture directory, e.g.
// bonding/testdata/enslave/lacp) into a new temporary directory and
// returns it, symlinks kept.
func CopyDir(t testing.TB, dir string) string {
	t.Helper()
	dst := t.TempDir()
	if err := copyTree(dir, dst); err != nil {
		t.Fatalf("testtree: copy %s: %v", dir, err)
	}
	return dst
}

func copyTree(src, dst string) error {
	return filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		out := filepath.Join(dst, rel)
		switch {
		case info.Mode()&os.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(target, out)
		case info.IsDir():
			return os.MkdirAll(out, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(out, b, 0o644)
	})
}

// Corpus returns the path under the real-world corpus (../shared/corpus
// beside the repository, see its README.md). Without ../shared (a user's
// clone) the test is skipped, except in CI (CI=true), where the corpus must
// be present and its absence fails the test; a shared folder without the
// path is a failure everywhere.
func Corpus(t testing.TB, path ...string) string {
	t.Helper()
	shared := filepath.Join(Dir(), "..", "..", "shared")
	if _, err := os.Stat(shared); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("testtree: the real-world corpus must be present in CI: %v", err)
		}
		t.Skipf("no %s beside the repository (a user's clone): the real-world corpus is not here", shared)
	}
	p := filepath.Join(append([]string{shared, "corpus"}, path...)...)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("testtree: corpus: %v", err)
	}
	return p
}
