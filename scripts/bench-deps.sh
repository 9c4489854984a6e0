#!/usr/bin/env bash
# What `make bench` needs besides Go (idempotent; not part of `make deps`,
# since `make test` does not run the bench): node_exporter v1.12.1, built
# with `go install`, to compare against, and wrk for the endpoint under load.
set -euo pipefail
GO=${GO:-go}
NODE_EXPORTER_VERSION=v1.12.1
ne="$($GO env GOPATH)/bin/node_exporter"
if [ -x "$ne" ] && $GO version -m "$ne" 2>/dev/null | grep -q "mod[[:space:]]*github.com/prometheus/node_exporter[[:space:]]*$NODE_EXPORTER_VERSION"; then
	echo "bench-deps: node_exporter $NODE_EXPORTER_VERSION present"
else
	echo "bench-deps: installing node_exporter $NODE_EXPORTER_VERSION"
	$GO install "github.com/prometheus/node_exporter@$NODE_EXPORTER_VERSION"
fi
if ! command -v wrk >/dev/null; then
	echo "bench-deps: installing wrk"
	if [ "$(id -u)" = 0 ]; then apt-get install -y wrk; else sudo apt-get install -y wrk; fi
fi
