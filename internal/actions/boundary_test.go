package actions

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The boundary ARCHITECTURE.md draws: only internal/actions changes the
// system. .golangci.yml's forbidigo says the same to the linter; this test
// says it without one, over every non-test Go file of the module.

// netlinkSetter matches the rtnetlink calls that change the system (as
// .golangci.yml's forbidigo pattern does).
var netlinkSetter = regexp.MustCompile(`^(Link|Addr|Route|Neigh|Rule|Qdisc|Class|Filter|Xfrm[A-Za-z]*)(Set|Add|Del|Replace|Change|Append|Modify|Flush)[A-Za-z]*$`)

// fileWriters are the calls that can open a file for writing (os.OpenFile
// and the raw opens only with a write flag), by import path.
var fileWriters = map[string]map[string]bool{
	"os":                             {"WriteFile": true, "Create": true, "OpenFile": true, "Truncate": true},
	"syscall":                        {"Open": true, "Openat": true, "Creat": true, "Truncate": true},
	"golang.org/x/sys/unix":          {"Open": true, "Openat": true, "Openat2": true, "Creat": true, "Truncate": true},
	"github.com/vishvananda/netlink": {},
}

// writeFlags are the open flags that make an open a write.
var writeFlags = map[string]bool{"O_WRONLY": true, "O_RDWR": true, "O_CREAT": true, "O_TRUNC": true, "O_APPEND": true}

// writersAllowed are the packages, besides internal/actions, that may
// write files, and why none of them can write under /sys: safefile writes
// by rename into its directory (a rename into sysfs fails); hostgen,
// testtree and tools build fixture trees under a directory they are given;
// the alerts' test utilities, the Redfish test server, the ipmi_sim helper
// (internal/ipmisimtest) and the lab harness write temporary files on the
// host running the tests.
var writersAllowed = []string{"internal/safefile", "internal/hostgen", "internal/testtree", "internal/tools", "alerts/internal/testutil", "redfish/redfishtest", "internal/ipmisimtest", "lab"}

// violation is one call outside internal/actions that could change the system.
type violation struct{ pos, what string }

// scanFile reports f's calls that change the system: netlink setters,
// set-ioctls (SIOCS*), and, unless writes is true, file writes.
func scanFile(fset *token.FileSet, f *ast.File, writes bool) []violation {
	imports := map[string]string{} // local name -> path
	for _, im := range f.Imports {
		p, _ := strconv.Unquote(im.Path.Value)
		name := filepath.Base(p)
		if im.Name != nil {
			name = im.Name.Name
		}
		imports[name] = p
	}
	_, hasNetlink := func() (string, bool) {
		for _, p := range imports {
			if p == "github.com/vishvananda/netlink" {
				return p, true
			}
		}
		return "", false
	}()
	var out []violation
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.SelectorExpr:
			// Any setter-named selector in a file that imports netlink: a
			// package function or a Handle's method alike.
			if hasNetlink && netlinkSetter.MatchString(n.Sel.Name) {
				out = append(out, violation{fset.Position(n.Pos()).String(), "netlink setter " + n.Sel.Name})
			}
		case *ast.Ident:
			if strings.HasPrefix(n.Name, "SIOCS") {
				out = append(out, violation{fset.Position(n.Pos()).String(), "set ioctl " + n.Name})
			}
		case *ast.CallExpr:
			sel, ok := n.Fun.(*ast.SelectorExpr)
			if !ok || writes {
				return true
			}
			x, ok := sel.X.(*ast.Ident)
			if !ok || !fileWriters[imports[x.Name]][sel.Sel.Name] {
				return true
			}
			if opensForRead(imports[x.Name], sel.Sel.Name, n) {
				return true
			}
			out = append(out, violation{fset.Position(n.Pos()).String(), "file write " + x.Name + "." + sel.Sel.Name})
		}
		return true
	})
	return out
}

// opensForRead reports whether an open call's flags hold no write flag.
func opensForRead(pkg, fn string, call *ast.CallExpr) bool {
	flagArg := map[string]int{"OpenFile": 1, "Open": 1, "Openat": 2}[fn]
	if pkg == "os" && fn != "OpenFile" || flagArg == 0 || len(call.Args) <= flagArg {
		return false
	}
	read := true
	ast.Inspect(call.Args[flagArg], func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok && writeFlags[id.Name] {
			read = false
		}
		return true
	})
	return read
}

// TestOnlyActionsChangeTheSystem fails if any package but internal/actions
// calls a netlink setter or a set-ioctl, or writes a file outside the
// packages that may (writersAllowed).
func TestOnlyActionsChangeTheSystem(t *testing.T) {
	root := filepath.Join("..", "..")
	fset := token.NewFileSet()
	files := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if strings.HasPrefix(d.Name(), ".") && rel != "." || d.Name() == "testdata" || d.Name() == "vendor" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") || strings.HasPrefix(rel, "internal/actions/") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		files++
		writes := false
		for _, w := range writersAllowed {
			if strings.HasPrefix(rel, w+"/") {
				writes = true
			}
		}
		for _, v := range scanFile(fset, f, writes) {
			t.Errorf("%s: %s: only internal/actions changes the system (ARCHITECTURE.md)", v.pos, v.what)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 100 {
		t.Fatalf("scanned %d files: not the module", files)
	}
}

// TestScanFileCatches: the scanner sees each kind of change, and lets
// read-only opens pass.
func TestScanFileCatches(t *testing.T) {
	src := `package x
import (
	"os"
	nl "github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)
func f() {
	l, _ := nl.LinkByName("eth1")
	_ = nl.LinkSetMaster(l, nil)
	h, _ := nl.NewHandle()
	_ = h.LinkSetDown(l)
	_ = os.WriteFile("/sys/class/net/bond0/bonding/slaves", []byte("+eth1"), 0)
	f, _ := os.OpenFile("/sys/x", os.O_WRONLY, 0)
	g, _ := os.OpenFile("/proc/x", os.O_RDONLY, 0)
	fd, _ := unix.Open("/sys/x", unix.O_RDONLY|unix.O_DIRECTORY, 0)
	wd, _ := unix.Openat(fd, "x", unix.O_RDWR, 0)
	_ = unix.SIOCSIFFLAGS
	_, _, _, _ = f, g, wd, h
}
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "x.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range scanFile(fset, f, false) {
		got = append(got, v.what)
	}
	want := []string{"netlink setter LinkSetMaster", "netlink setter LinkSetDown", "file write os.WriteFile", "file write os.OpenFile", "file write unix.Openat", "set ioctl SIOCSIFFLAGS"}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("found\n %q\nwant\n %q", got, want)
	}
}
