// Package buildinfo says which build of redwatch is running: the version,
// the commit, the build date and the Go toolchain, for `redwatch version`,
// the daemon's log and redwatch_build_info on /metrics.
//
// A release build sets the values with the linker (the Makefile's LDFLAGS:
// -X github.com/redwatch/redwatch/internal/buildinfo.version=...); a plain
// `go build` or `go install` inside a git tree gets them from the VCS
// stamp the Go toolchain writes into the binary (runtime/debug.BuildInfo:
// vcs.revision, vcs.time, vcs.modified), and `go install module@vX.Y.Z`
// from the module version.
package buildinfo

import (
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"
)

// Set by the linker (-X); empty when the build did not set them.
var (
	version   string
	revision  string
	buildDate string
)

// Unknown is the version of a build that carries no version at all (go test,
// a build outside a git tree).
const Unknown = "dev"

// Info describes one build.
type Info struct {
	// Version is the git tag when the commit has one (git describe), else
	// the abbreviated commit; "-dirty" when the tree had uncommitted changes.
	Version string
	// Revision is the full commit hash; empty when unknown.
	Revision string
	// BuildDate is when the binary was built (RFC 3339, UTC); a build
	// without linker flags reports the commit time instead. Empty when
	// unknown.
	BuildDate string
	// GoVersion is the Go toolchain that built the binary.
	GoVersion string
	// GOOS and GOARCH are the platform the binary runs on.
	GOOS, GOARCH string
}

// Get returns the running binary's build information.
func Get() Info {
	bi, _ := debug.ReadBuildInfo()
	return resolve(Info{Version: version, Revision: revision, BuildDate: buildDate}, bi)
}

// pseudoVersion matches a Go pseudo-version's tail (vX.Y.Z-yyyymmddhhmmss-abcdefabcdef,
// optionally +dirty): a version the toolchain made up, not a tag.
var pseudoVersion = regexp.MustCompile(`\d{14}-[0-9a-f]{12}(\+dirty)?$`)

// shortRevision is how many hex digits of the commit a version shows
// (the Makefile's git describe --abbrev and Go's pseudo-versions use 12).
const shortRevision = 12

// resolve fills what the linker flags in ld left empty from the build
// information bi (nil when the binary has none).
func resolve(ld Info, bi *debug.BuildInfo) Info {
	out := ld
	out.GoVersion, out.GOOS, out.GOARCH = runtime.Version(), runtime.GOOS, runtime.GOARCH
	var vcsRevision, vcsTime string
	var modified bool
	if bi != nil {
		if bi.GoVersion != "" {
			out.GoVersion = bi.GoVersion
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				vcsRevision = s.Value
			case "vcs.time":
				vcsTime = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if out.Revision == "" {
		out.Revision = vcsRevision
	}
	if out.BuildDate == "" {
		out.BuildDate = vcsTime
	}
	if out.Version != "" {
		return out
	}
	dirty := ""
	if modified {
		dirty = "-dirty"
	}
	switch {
	case bi != nil && bi.Main.Version != "" && bi.Main.Version != "(devel)" && !pseudoVersion.MatchString(bi.Main.Version):
		// A tag: go install module@vX.Y.Z, or a build in a tagged tree.
		out.Version = strings.TrimSuffix(bi.Main.Version, "+dirty") + dirty
	case vcsRevision != "":
		out.Version = vcsRevision[:min(len(vcsRevision), shortRevision)] + dirty
	default:
		out.Version = Unknown
	}
	return out
}

// String is the multi-line `redwatch version` text, in the layout of the
// Prometheus tools' --version.
func (i Info) String() string {
	var b strings.Builder
	b.WriteString("redwatch, version " + i.Version)
	if i.Revision != "" {
		b.WriteString(" (revision: " + i.Revision + ")")
	}
	b.WriteString("\n")
	if i.BuildDate != "" {
		b.WriteString("  build date: " + i.BuildDate + "\n")
	}
	b.WriteString("  go version: " + i.GoVersion + "\n")
	b.WriteString("  platform:   " + i.GOOS + "/" + i.GOARCH + "\n")
	return b.String()
}
