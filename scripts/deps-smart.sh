#!/usr/bin/env bash
# deps-smart.sh installs Debian's smartmontools: the collectors' live SMART
# tests run the real smartctl (its exit-status bits on a device it cannot
# read, its --scan-open JSON). The package's smartd service start is blocked
# where no init system runs; redwatch never needs smartd.
# Idempotent: apt-get update runs only when smartctl is missing.
set -euo pipefail

if command -v smartctl >/dev/null 2>&1; then
	echo "deps-smart: smartctl present"
	exit 0
fi
echo "deps-smart: installing smartmontools"
export DEBIAN_FRONTEND=noninteractive
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
$SUDO flock /tmp/apt.lock apt-get update
$SUDO flock /tmp/apt.lock apt-get install -y --no-install-recommends smartmontools
