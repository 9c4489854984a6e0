#!/usr/bin/env bash
# Go module downloads for the build and tests, and the pinned golangci-lint
# that `make lint` runs, nfpm and govulncheck (idempotent: a tool is built only
# when $(go env GOPATH)/bin lacks the pinned version built by the toolchain
# that runs, scripts/go-tool.sh; the first build takes a few minutes). Run by
# `make deps`, which exports GOTOOLCHAIN (go.mod's toolchain line).
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
source scripts/go-tool.sh
GOLANGCI_LINT_VERSION=v2.15.0

$GO mod download

go_tool golangci-lint github.com/golangci/golangci-lint/v2 "$GOLANGCI_LINT_VERSION" github.com/golangci/golangci-lint/v2/cmd/golangci-lint

# nfpm builds the .deb and .rpm (`make package`).
NFPM_VERSION=v2.45.2
go_tool nfpm github.com/goreleaser/nfpm/v2 "$NFPM_VERSION" github.com/goreleaser/nfpm/v2/cmd/nfpm

# govulncheck runs in `make vulncheck` (scripts/vulncheck.sh), against a local
# database built from the golang.org/x/vulndb module (downloaded here, so that
# the check needs no network).
GOVULNCHECK_VERSION=v1.9.0
go_tool govulncheck golang.org/x/vuln "$GOVULNCHECK_VERSION" golang.org/x/vuln/cmd/govulncheck
$GO mod download "golang.org/x/vulndb@$(sed -n 's/^VULNDB_VERSION=//p' scripts/vulncheck.sh)"
