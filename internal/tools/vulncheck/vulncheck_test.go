package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeOSV(t *testing.T, dir, id string, modules ...string) {
	t.Helper()
	var aff []string
	for _, m := range modules {
		aff = append(aff, `{"package":{"name":"`+m+`","ecosystem":"Go"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.2.3"}]}]}`)
	}
	b := `{"schema_version":"1.3.1","id":"` + id + `","modified":"2024-01-02T03:04:05Z","affected":[` + strings.Join(aff, ",") + `]}`
	if err := os.WriteFile(filepath.Join(dir, id+".json"), []byte(b), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestBuildDB(t *testing.T) {
	src, out := t.TempDir(), filepath.Join(t.TempDir(), "db")
	writeOSV(t, src, "GO-2024-0002", "stdlib", "example.com/b")
	writeOSV(t, src, "GO-2024-0001", "example.com/b")
	mod := time.Date(2026, 11, 5, 23, 49, 57, 0, time.UTC)
	n, err := buildDB(src, out, mod)
	if err != nil || n != 2 {
		t.Fatalf("buildDB = %d, %v", n, err)
	}
	b, err := os.ReadFile(filepath.Join(out, "index", "modules.json"))
	if err != nil {
		t.Fatal(err)
	}
	var mods []moduleMeta
	if err := json.Unmarshal(b, &mods); err != nil {
		t.Fatal(err)
	}
	if len(mods) != 2 || mods[0].Path != "example.com/b" || mods[1].Path != "stdlib" ||
		len(mods[0].Vulns) != 2 || mods[0].Vulns[0].ID != "GO-2024-0001" || mods[1].Vulns[0].ID != "GO-2024-0002" {
		t.Errorf("modules.json = %s", b)
	}
	if b, _ := os.ReadFile(filepath.Join(out, "index", "db.json")); string(b) != `{"modified":"2026-11-05T23:49:57Z"}` {
		t.Errorf("db.json = %s", b)
	}
	if _, err := os.Stat(filepath.Join(out, "ID", "GO-2024-0001.json")); err != nil {
		t.Error(err)
	}
	// Without -modified, the newest entry's time.
	out2 := filepath.Join(t.TempDir(), "db")
	if _, err := buildDB(src, out2, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(out2, "index", "db.json")); string(b) != `{"modified":"2024-01-02T03:04:05Z"}` {
		t.Errorf("db.json = %s", b)
	}
}

func TestBuildDBRefusesBadEntries(t *testing.T) {
	for name, content := range map[string]string{
		"GO-2024-0003.json": `{"id":"GO-2024-9999"}`,
		"GO-2024-0004.json": `{"id":`,
	} {
		src, dir := t.TempDir(), t.TempDir()
		if err := os.WriteFile(filepath.Join(src, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := buildDB(src, filepath.Join(dir, "db"), time.Time{}); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: err = %v, want one naming the file", name, err)
		}
		if ents, _ := os.ReadDir(dir); len(ents) != 0 {
			t.Errorf("%s: left %d entries behind", name, len(ents))
		}
	}
	if _, err := buildDB(t.TempDir(), filepath.Join(t.TempDir(), "db"), time.Time{}); err == nil {
		t.Error("an empty source gave no error")
	}
}

// stream is govulncheck -format json output: a called stdlib finding, a
// called module finding and one only imported.
const stream = `{"config":{"protocol_version":"v1.0.0","go_version":"go1.26.8","db":"file:///db","db_last_modified":"2026-11-05T23:49:57Z","scan_level":"symbol"}}
{"finding":{"osv":"GO-2026-0001","fixed_version":"v1.26.9","trace":[{"module":"stdlib","version":"v1.26.8","package":"net/http","function":"Get"},{"module":"github.com/redwatch/redwatch","package":"github.com/redwatch/redwatch/alerts/notify","function":"PostJSON","position":{"filename":"alerts/notify/http.go","line":60}}]}}
{"finding":{"osv":"GO-2026-0001","fixed_version":"v1.26.9","trace":[{"module":"stdlib","version":"v1.26.8","package":"net/http","function":"Get"}]}}
{"finding":{"osv":"GO-2026-0002","fixed_version":"v0.60.0","trace":[{"module":"golang.org/x/net","version":"v0.59.0","package":"golang.org/x/net/http2","receiver":"*Framer","function":"ReadFrame"}]}}
{"finding":{"osv":"GO-2026-0003","trace":[{"module":"example.com/m","version":"v1.0.0","package":"example.com/m"}]}}
`

func TestCheck(t *testing.T) {
	var out bytes.Buffer
	err := check(strings.NewReader(stream), &out, map[string]string{"GO-2026-0001": "stdlib, toolchain"})
	if err == nil || !strings.Contains(err.Error(), "GO-2026-0002") || strings.Contains(err.Error(), "GO-2026-0001") {
		t.Fatalf("err = %v, want GO-2026-0002 alone refused", err)
	}
	for _, want := range []string{
		"GO-2026-0001 stdlib@v1.26.8 (fixed in v1.26.9) net/http.Get, reached from alerts/notify/http.go:60",
		"accepted: stdlib, toolchain",
		"GO-2026-0002 golang.org/x/net@v0.59.0 (fixed in v0.60.0) golang.org/x/net/http2.Framer.ReadFrame",
		"NOT ACCEPTED",
		"2 called (1 accepted), 1 more",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	acc := map[string]string{"GO-2026-0001": "r", "GO-2026-0002": "r", "GO-2026-0009": "r"}
	if err := check(strings.NewReader(stream), &out, acc); err != nil {
		t.Errorf("all accepted: %v", err)
	}
	if !strings.Contains(out.String(), "GO-2026-0009 is accepted but no longer found") {
		t.Errorf("stale accept not reported:\n%s", out.String())
	}
	if err := check(strings.NewReader(""), &out, nil); err == nil {
		t.Error("no scan output passed")
	}
	if err := check(strings.NewReader(`{"config":`), &out, nil); err == nil {
		t.Error("truncated output passed")
	}
}

func TestParseAccept(t *testing.T) {
	m, err := parseAccept("a.txt", []byte("# c\n\nGO-2026-0001 why not\n"))
	if err != nil || m["GO-2026-0001"] != "why not" {
		t.Fatalf("parseAccept = %v, %v", m, err)
	}
	if _, err := parseAccept("a.txt", []byte("GO-2026-0001\n")); err == nil || !strings.Contains(err.Error(), "a.txt:1") {
		t.Errorf("reasonless line: err = %v", err)
	}
}

func TestAcceptFileParses(t *testing.T) {
	b, err := os.ReadFile("../../../scripts/vulncheck-accepted.txt")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := parseAccept("scripts/vulncheck-accepted.txt", b); err != nil {
		t.Error(err)
	}
}
