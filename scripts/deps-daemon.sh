#!/usr/bin/env bash
# deps-daemon.sh installs what the daemon and endpoint tests run against:
# Debian's prometheus (promtool for packaging/'s rule tests, the server for its
# fleet test; the service the package starts where an init system runs is
# stopped and disabled, the test starts its own on loopback), chromium (the status page in a real
# browser), wrk (the request-flood test), systemd-analyze (unit verify) and
# setpriv (util-linux: the audit run as nobody, internal/cli TestAuditAsNobody).
# Idempotent: apt-get update runs only when something is missing.
set -euo pipefail

missing=()
{ command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1; } || missing+=(prometheus)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
command -v setpriv >/dev/null 2>&1 || missing+=(util-linux)

if [ ${#missing[@]} -eq 0 ]; then
	echo "deps-daemon: prometheus, promtool, chromium, wrk, systemd-analyze and setpriv present"
	exit 0
fi

echo "deps-daemon: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
$SUDO flock /tmp/apt.lock apt-get update
$SUDO flock /tmp/apt.lock apt-get install -y --no-install-recommends "${missing[@]}"
if [[ " ${missing[*]} " == *" prometheus "* ]]; then
	# Leave no Prometheus listening on :9090 behind.
	if [ -d /run/systemd/system ]; then
		$SUDO systemctl disable --now prometheus.service || true
	else
		$SUDO invoke-rc.d prometheus stop || true
	fi
fi
