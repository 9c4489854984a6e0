#!/usr/bin/env bash
# `make vulncheck` (part of `make test`): govulncheck (pinned in
# scripts/deps-go.sh) over every package, against a local copy of the Go
# vulnerability database. The database host is not reachable from these
# machines; the golang.org/x/vulndb module, which holds the database's OSV
# entries, is served by the Go module proxy. internal/tools/vulncheck turns
# its data/osv into the v1 layout govulncheck reads (-db file://DIR), once per
# vulndb version, cached in $REDWATCH_VULNDB_CACHE (default
# ~/.cache/redwatch-vulndb). The findings are judged by
# `internal/tools/vulncheck check`: a called vulnerability not listed in
# scripts/vulncheck-accepted.txt fails.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
# Bump both together (the version's time is the database's "modified").
VULNDB_VERSION=v0.0.0-20261105234957-e22db6528018
VULNDB_MODIFIED=2026-11-05T23:49:57Z

cache=${REDWATCH_VULNDB_CACHE:-$HOME/.cache/redwatch-vulndb}
db="$cache/$VULNDB_VERSION"
if [ ! -f "$db/index/modules.json" ]; then
	mkdir -p "$cache"
	src=$($GO mod download -json "golang.org/x/vulndb@$VULNDB_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
	[ -d "$src/data/osv" ] || { echo "vulncheck: golang.org/x/vulndb@$VULNDB_VERSION has no data/osv (at '$src')" >&2; exit 1; }
	rm -rf "$db"
	$GO run ./internal/tools/vulncheck build-db -src "$src/data/osv" -modified "$VULNDB_MODIFIED" -out "$db"
fi

govulncheck="$($GO env GOPATH)/bin/govulncheck"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
# govulncheck -format json exits 0 whatever it finds; the check decides.
"$govulncheck" -db "file://$db" -format json ./... >"$out"
$GO run ./internal/tools/vulncheck check -accept scripts/vulncheck-accepted.txt <"$out"
