package buildinfo

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func settings(kv ...string) []debug.BuildSetting {
	var s []debug.BuildSetting
	for i := 0; i+1 < len(kv); i += 2 {
		s = append(s, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
	}
	return s
}

const rev = "0a1e9b2c3d4e5f60718293a4b5c6d7e8f9012345"

func TestResolve(t *testing.T) {
	vcs := settings("vcs", "git", "vcs.revision", rev, "vcs.time", "2026-11-30T21:00:00Z", "vcs.modified", "false")
	dirtyVCS := settings("vcs", "git", "vcs.revision", rev, "vcs.time", "2026-11-30T21:00:00Z", "vcs.modified", "true")
	for _, tc := range []struct {
		name                     string
		ld                       Info
		bi                       *debug.BuildInfo
		version, revision, built string
	}{
		{"no build info", Info{}, nil, Unknown, "", ""},
		{"go test: no vcs stamp", Info{}, &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, Unknown, "", ""},
		{"go build in a clean tree", Info{},
			&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs},
			"0a1e9b2c3d4e", rev, "2026-11-30T21:00:00Z"},
		{"go build in a dirty tree", Info{},
			&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: dirtyVCS},
			"0a1e9b2c3d4e-dirty", rev, "2026-11-30T21:00:00Z"},
		{"pseudo-version is not a tag", Info{},
			&debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261130210000-0a1e9b2c3d4e+dirty"}, Settings: dirtyVCS},
			"0a1e9b2c3d4e-dirty", rev, "2026-11-30T21:00:00Z"},
		{"tagged tree", Info{},
			&debug.BuildInfo{Main: debug.Module{Version: "v1.2.0"}, Settings: vcs},
			"v1.2.0", rev, "2026-11-30T21:00:00Z"},
		{"tagged dirty tree", Info{},
			&debug.BuildInfo{Main: debug.Module{Version: "v1.2.0+dirty"}, Settings: dirtyVCS},
			"v1.2.0-dirty", rev, "2026-11-30T21:00:00Z"},
		{"go install module@version: no vcs", Info{},
			&debug.BuildInfo{Main: debug.Module{Version: "v1.2.0"}},
			"v1.2.0", "", ""},
		{"linker flags win", Info{Version: "v1.3.0-2-gabc-dirty", Revision: "abc", BuildDate: "2026-12-01T00:00:00Z"},
			&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs},
			"v1.3.0-2-gabc-dirty", "abc", "2026-12-01T00:00:00Z"},
		{"linker version only", Info{Version: "v1.3.0"},
			&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs},
			"v1.3.0", rev, "2026-11-30T21:00:00Z"},
	} {
		got := resolve(tc.ld, tc.bi)
		if got.Version != tc.version || got.Revision != tc.revision || got.BuildDate != tc.built {
			t.Errorf("%s: got version %q revision %q date %q, want %q %q %q",
				tc.name, got.Version, got.Revision, got.BuildDate, tc.version, tc.revision, tc.built)
		}
		if got.GOOS != runtime.GOOS || got.GOARCH != runtime.GOARCH || !strings.HasPrefix(got.GoVersion, "go") {
			t.Errorf("%s: platform %s/%s, go %q", tc.name, got.GOOS, got.GOARCH, got.GoVersion)
		}
	}
	if got := resolve(Info{}, &debug.BuildInfo{GoVersion: "go1.99.1"}); got.GoVersion != "go1.99.1" {
		t.Errorf("go version from build info: %q", got.GoVersion)
	}
}

func TestString(t *testing.T) {
	i := Info{Version: "v1.2.0", Revision: rev, BuildDate: "2026-11-30T21:00:00Z", GoVersion: "go1.26.8", GOOS: "linux", GOARCH: "amd64"}
	want := "redwatch, version v1.2.0 (revision: " + rev + ")\n" +
		"  build date: 2026-11-30T21:00:00Z\n  go version: go1.26.8\n  platform:   linux/amd64\n"
	if got := i.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if got := (Info{Version: "dev", GoVersion: "go1.26.8", GOOS: "linux", GOARCH: "arm64"}).String(); got != "redwatch, version dev\n  go version: go1.26.8\n  platform:   linux/arm64\n" {
		t.Errorf("unknown build: %q", got)
	}
}
