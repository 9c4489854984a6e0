#!/usr/bin/env bash
# Go module downloads for the build and tests, and the pinned golangci-lint
# that `make lint` runs (idempotent: it is built only when the pinned version
# is not in $(go env GOPATH)/bin already; the first build takes a few minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
GOLANGCI_LINT_VERSION=v2.15.0

$GO mod download

lint="$($GO env GOPATH)/bin/golangci-lint"
if [ -x "$lint" ] && "$lint" version 2>/dev/null | grep -q "version ${GOLANGCI_LINT_VERSION#v} "; then
	echo "deps-go: golangci-lint $GOLANGCI_LINT_VERSION present"
else
	echo "deps-go: installing golangci-lint $GOLANGCI_LINT_VERSION"
	$GO install "github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$GOLANGCI_LINT_VERSION"
fi

# nfpm builds the .deb and .rpm (`make package`).
NFPM_VERSION=v2.45.2
nfpm="$($GO env GOPATH)/bin/nfpm"
if [ -x "$nfpm" ] && $GO version -m "$nfpm" 2>/dev/null | grep -q "mod[[:space:]]*github.com/goreleaser/nfpm/v2[[:space:]]*$NFPM_VERSION"; then
	echo "deps-go: nfpm $NFPM_VERSION present"
else
	echo "deps-go: installing nfpm $NFPM_VERSION"
	$GO install "github.com/goreleaser/nfpm/v2/cmd/nfpm@$NFPM_VERSION"
fi

# govulncheck runs in `make vulncheck` (scripts/vulncheck.sh), against a local
# database built from the golang.org/x/vulndb module (downloaded here, so that
# the check needs no network).
GOVULNCHECK_VERSION=v1.9.0
govulncheck="$($GO env GOPATH)/bin/govulncheck"
if [ -x "$govulncheck" ] && $GO version -m "$govulncheck" 2>/dev/null | grep -q "mod[[:space:]]*golang.org/x/vuln[[:space:]]*$GOVULNCHECK_VERSION"; then
	echo "deps-go: govulncheck $GOVULNCHECK_VERSION present"
else
	echo "deps-go: installing govulncheck $GOVULNCHECK_VERSION"
	$GO install "golang.org/x/vuln/cmd/govulncheck@$GOVULNCHECK_VERSION"
fi
$GO mod download "golang.org/x/vulndb@$(sed -n 's/^VULNDB_VERSION=//p' scripts/vulncheck.sh)"
