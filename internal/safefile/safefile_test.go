package safefile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

func TestOpenRefusesWhatIsNotAFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		fifo:        "is a FIFO (named pipe), not a regular file",
		dir:         "is a directory, not a regular file",
		"/dev/null": "is a character device, not a regular file",
	} {
		_, err := Open(path)
		if !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), path+" "+want) {
			t.Errorf("Open(%s) = %v, want %q", path, err, want)
		}
	}
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("abc"), 0o600); err != nil {
		t.Fatal(err)
	}
	if b, err := ReadFile(file, 3); err != nil || string(b) != "abc" {
		t.Errorf("ReadFile = %q, %v", b, err)
	}
	if _, err := ReadFile(file, 2); !errors.Is(err, ErrTooLarge) {
		t.Errorf("ReadFile over the bound = %v", err)
	}
}

// TestNoFollow: a link planted where a state file belongs is neither read
// nor created through, and WriteAtomic replaces the link, not its target.
func TestNoFollow(t *testing.T) {
	dir, elsewhere := t.TempDir(), t.TempDir()
	target := filepath.Join(elsewhere, "newlock")
	link := filepath.Join(dir, "state.lock")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	_, err := OpenFileNoFollow(link, unix.O_RDWR|unix.O_CREAT, 0o640)
	if !errors.Is(err, ErrSymlink) || !strings.Contains(err.Error(), link+" is a symbolic link") {
		t.Fatalf("OpenFileNoFollow through a link = %v", err)
	}
	if _, err := os.Lstat(target); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the link's target was created: %v", err)
	}
	if _, err := ReadFileNoFollow(link, 10); !errors.Is(err, ErrSymlink) {
		t.Fatalf("ReadFileNoFollow through a link = %v", err)
	}
	if err := WriteAtomic(link, []byte("x"), 0o640, true); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(link)
	if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o640 {
		t.Fatalf("after WriteAtomic: %v %v", fi, err)
	}
	if _, err := os.Lstat(target); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("WriteAtomic wrote through the link: %v", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("temporary files left: %v", ents)
	}
}

func TestCheckDir(t *testing.T) {
	for _, c := range []struct {
		mode os.FileMode
		want string // "" = accepted
	}{
		{0o700, ""},
		{0o750, ""}, // group-readable: a non-root Nagios user may read the state
		{0o755, ""},
		{0o770, "is writable by its group (mode 0770)"},
		{0o777, "is writable by others (mode 0777)"},
		{0o1777, "is writable by others (mode 0777)"},
	} {
		d := filepath.Join(t.TempDir(), "state")
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(d, c.mode); err != nil {
			t.Fatal(err)
		}
		err := CheckDir(d)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("mode %04o: %v", c.mode, err)
		case c.want != "" && (!errors.Is(err, ErrInsecureDir) || !strings.Contains(err.Error(), c.want)):
			t.Errorf("mode %04o: %v, want %q", c.mode, err, c.want)
		}
	}
	if os.Geteuid() == 0 {
		d := t.TempDir()
		if err := os.Chown(d, 4242, 4242); err != nil {
			t.Fatal(err)
		}
		if err := CheckDir(d); !errors.Is(err, ErrInsecureDir) || !strings.Contains(err.Error(), "owned by uid 4242") {
			t.Errorf("a directory another user owns: %v", err)
		}
	}
}
