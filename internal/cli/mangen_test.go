package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGeneratedDocs fails when the checked-in man page or completions differ
// from what the commands' --help generates (regenerate with
// `go run ./internal/tools/gen-man`).
func TestGeneratedDocs(t *testing.T) {
	files, err := GeneratedDocs()
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join("..", "..", "packaging", name))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("packaging/%s is stale: run go run ./internal/tools/gen-man", name)
		}
	}
}

// TestManPageListsEveryFlag checks the man page against --help: every
// command and every flag spelling of its help appears.
func TestManPageListsEveryFlag(t *testing.T) {
	docs, err := helpDocs()
	if err != nil {
		t.Fatal(err)
	}
	man, err := ManPage()
	if err != nil {
		t.Fatal(err)
	}
	bash, err := Completions("bash")
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) < len(commands) {
		t.Fatalf("%d documented commands, want at least %d", len(docs), len(commands)-1)
	}
	for _, d := range docs {
		if !strings.Contains(string(man), `.SS "redwatch `+roff(strings.Join(d.path, " "))) {
			t.Errorf("man page lacks redwatch %s", strings.Join(d.path, " "))
		}
		if len(d.flags) == 0 || strings.Join(d.flags[0].names, ",") != "-h,--help" {
			t.Errorf("redwatch %s: flags parsed from --help start with %v, want -h, --help", strings.Join(d.path, " "), d.flags)
		}
		if d.path[0] == "audit" && len(d.flags) < 8 {
			t.Errorf("redwatch audit: %d flags parsed from --help, want its full list", len(d.flags))
		}
		for _, f := range d.flags {
			for _, n := range f.names {
				if n != "-h" && n != "--help" && !strings.Contains(string(man), `\fB`+roff(n)+`\fR`) {
					t.Errorf("man page lacks %s of redwatch %s", n, strings.Join(d.path, " "))
				}
				if !strings.Contains(string(bash), " "+n) && !strings.Contains(string(bash), "'"+n) {
					t.Errorf("bash completion lacks %s of redwatch %s", n, strings.Join(d.path, " "))
				}
			}
		}
	}
	if _, err := Completions("tcsh"); err == nil {
		t.Error("Completions(tcsh) succeeded")
	}
}
