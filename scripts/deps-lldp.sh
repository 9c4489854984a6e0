#!/usr/bin/env bash
# deps-lldp.sh installs Debian's lldpd (lldpd and lldpcli): collectors'
# TestLLDPLive runs a real lldpd in its own network namespace and reads it
# with lldpcli, as the LLDP source does on a host. The package's own service
# start is blocked where no init system runs; the test starts its own.
# Idempotent: apt-get update runs only when something is missing.
set -euo pipefail

if command -v lldpd >/dev/null 2>&1 && command -v lldpcli >/dev/null 2>&1; then
	echo "deps-lldp: lldpd and lldpcli present"
	exit 0
fi
echo "deps-lldp: installing lldpd"
export DEBIAN_FRONTEND=noninteractive
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
$SUDO flock /tmp/apt.lock apt-get update
$SUDO flock /tmp/apt.lock apt-get install -y --no-install-recommends lldpd
