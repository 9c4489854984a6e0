#!/usr/bin/env bash
# What `make bench` needs besides Go (idempotent; not part of `make deps`,
# since `make test` does not run the bench): node_exporter v1.12.1, built
# with `go install` by the toolchain that builds redwatch (scripts/go-tool.sh),
# to compare against, and wrk for the endpoint under load.
set -euo pipefail
GO=${GO:-go}
source "$(dirname "$0")/go-tool.sh"
NODE_EXPORTER_VERSION=v1.12.1
go_tool node_exporter github.com/prometheus/node_exporter "$NODE_EXPORTER_VERSION" github.com/prometheus/node_exporter
if ! command -v wrk >/dev/null; then
	echo "bench-deps: installing wrk"
	if [ "$(id -u)" = 0 ]; then apt-get install -y wrk; else sudo apt-get install -y wrk; fi
fi
