# redwatch — see README.md. `make test` is what CI runs.
GO      ?= go
# The Go toolchain every go command (and every tool go installs) runs with:
# go.mod's toolchain line, go1.27.3; go1.26.8's standard library has twelve
# advisories that it fixes (docs/security.md). A machine whose GOTOOLCHAIN is
# `local` (these machines and CI set it so) ignores that line, so make
# exports it; the go command fetches that toolchain from the Go module proxy
# the first time (about 76 MB). `make GOTOOLCHAIN=local ...` overrides it.
GOTOOLCHAIN := $(shell sed -n 's/^toolchain //p' go.mod)
export GOTOOLCHAIN
# The version is the git tag when there is one, else the commit, "-dirty" for a
# tree with uncommitted changes; BUILD_DATE honours SOURCE_DATE_EPOCH
# (reproducible builds). A `go build`/`go install` without these flags takes
# them from the Go toolchain's VCS stamp instead (internal/buildinfo).
VERSION    ?= $(shell git describe --tags --always --dirty --abbrev=12 2>/dev/null || echo dev)
REVISION   ?= $(shell git rev-parse HEAD 2>/dev/null)
BUILD_DATE ?= $(shell date -u $${SOURCE_DATE_EPOCH:+-d @$$SOURCE_DATE_EPOCH} +%Y-%m-%dT%H:%M:%SZ)
BUILDINFO  := github.com/redwatch/redwatch/internal/buildinfo
LDFLAGS    := -s -w -X $(BUILDINFO).version=$(VERSION) -X $(BUILDINFO).revision=$(REVISION) -X $(BUILDINFO).buildDate=$(BUILD_DATE)
# An execution count, not a duration: a count has no deadline, so the run is
# the same size on a loaded machine, and an older Go's fuzz coordinator cannot
# report a spurious "context deadline exceeded" (go1.26: golang/go#75804).
FUZZTIME ?= 30000x

.PHONY: all build audit deps test unit fuzz fuzz-long e2e bench bench-go vet lint tidy vulncheck clean package

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o redwatch ./cmd/redwatch

## audit: audit the machine this runs on (no config needed).
audit: build
	@./redwatch audit || echo "(redwatch audit exit status $$?: 1 warning, 2 critical, 3 unknown)"

## deps: install what the tests need (idempotent).
deps:
	@for s in scripts/deps-*.sh lab/deps.sh; do [ -f "$$s" ] || continue; echo "== $$s"; bash "$$s" || exit 1; done

## test: everything CI runs: deps, vet, lint, the tidy check, govulncheck, unit tests with -race,
## every fuzz target briefly, the lab.
test: deps vet lint tidy vulncheck unit fuzz e2e

vet:
	$(GO) vet ./...
	$(GO) vet -tags e2e ./lab/...

## lint: golangci-lint (pinned in scripts/deps-go.sh; the rules and their reasons are in .golangci.yml).
GOLANGCI_LINT ?= $(shell $(GO) env GOPATH)/bin/golangci-lint
# --allow-parallel-runners: another checkout's lint on the same machine waits
# for its lock instead of failing this run.
lint:
	$(GOLANGCI_LINT) run --allow-parallel-runners ./...

## tidy: fails when `go mod tidy` would change go.mod or go.sum.
tidy:
	$(GO) mod tidy -diff

## vulncheck: govulncheck (pinned in scripts/deps-go.sh) against a local database built from the
## golang.org/x/vulndb module; a called vulnerability not in scripts/vulncheck-accepted.txt fails.
vulncheck:
	GO=$(GO) bash scripts/vulncheck.sh

unit:
	$(GO) test -race -count=1 ./...

## fuzz: run every fuzz target for FUZZTIME (executions) each.
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  dir=$$($(GO) list -f '{{.Dir}}' $$pkg); \
	  for t in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go 2>/dev/null | sed 's/func //'); do \
	    echo "== fuzz $$pkg $$t"; \
	    $(GO) test -run='^$$' -fuzz="^$$t$$" -fuzztime=$(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

## fuzz-long: every fuzz target for FUZZTIME each (a duration; 2m unless FUZZTIME is given, e.g.
## `make fuzz-long FUZZTIME=10m`), then a table of executions, new corpus entries and crashers
## (scripts/fuzz-long.sh); not part of `make test`. A crasher stays in testdata/fuzz as a seed.
fuzz-long:
	GO=$(GO) FUZZTIME=$(if $(filter file,$(origin FUZZTIME)),2m,$(FUZZTIME)) bash scripts/fuzz-long.sh

e2e:
	$(GO) test -tags e2e -count=1 -v -timeout 40m ./lab/...

## bench: redwatch daemon vs node_exporter v1.12.1 on generated hosts of ¼×, 1×, 4×, 16× (interleaved
## rounds, CPU from schedstat; internal/tools/bench), idle cost and wrk; prints the table and writes it
## into README.md's performance section. BENCHFLAGS passes flags (e.g. BENCHFLAGS='-rounds 5').
## Not part of `make test`. bench-go: the Go benchmarks.
BENCHFLAGS ?=
bench: build
	GO=$(GO) bash scripts/bench-deps.sh
	$(GO) run ./internal/tools/bench -redwatch ./redwatch -node-exporter $$($(GO) env GOPATH)/bin/node_exporter -readme README.md $(BENCHFLAGS)

bench-go:
	$(GO) test -run='^$$' -bench=. -benchmem ./...

## package: dist/redwatch_*.deb and dist/redwatch-*.rpm with nfpm (scripts/deps-go.sh installs it)
## from packaging/nfpm.yaml. A tag v1.2.3 is version 1.2.3; a version that is not a tag (a commit,
## even one whose hash starts with a digit) becomes 0.0.0~git.COMMIT, sorting before every release.
NFPM     ?= $(shell $(GO) env GOPATH)/bin/nfpm
PKG_VERSION ?= $(shell echo '$(VERSION)' | sed -E 's/^v([0-9]+\.)/\1/; /^[0-9]+\.[0-9]/!s/^/0.0.0~git./; s/-/+/g')
ARCH     ?= $(shell $(GO) env GOARCH)
package: build
	mkdir -p dist
	gzip -9n < packaging/man/redwatch.1 > dist/redwatch.1.gz
	packaging/debian-copyright.sh NOTICE > dist/copyright
	printf 'redwatch (%s-1) unstable; urgency=medium\n\n  * Built from revision %s.\n\n -- redwatch maintainers <redwatch@users.noreply.github.com>  %s\n' \
	  '$(PKG_VERSION)' '$(REVISION)' "$$(date -u -R $${SOURCE_DATE_EPOCH:+-d @$$SOURCE_DATE_EPOCH})" | gzip -9n > dist/changelog.Debian.gz
	rm -f dist/*.deb dist/*.rpm
	PKG_VERSION='$(PKG_VERSION)' ARCH='$(ARCH)' $(NFPM) package -f packaging/nfpm.yaml -p deb -t dist/
	PKG_VERSION='$(PKG_VERSION)' ARCH='$(ARCH)' $(NFPM) package -f packaging/nfpm.yaml -p rpm -t dist/

clean:
	rm -f redwatch
	rm -rf dist
