#!/usr/bin/env bash
# deps-lldp.sh installs what the LLDP tests run: Debian's lldpd (lldpd and
# lldpcli), iproute2 (ip netns, veth) and util-linux (setpriv).
# collectors' TestLLDPLive runs a real lldpd in its own network namespace
# and reads it with lldpcli, as the LLDP source does on a host;
# internal/lldprecv's TestReceiverNetns runs lldpd as two switches' sender
# in network namespaces cabled to a server namespace by veth pairs, and
# TestReceiverWithoutCapNetRaw runs the receiver under setpriv without
# capabilities. The package's own service start is blocked where no init
# system runs; the tests start their own.
# Idempotent: apt-get update runs only when something is missing.
set -euo pipefail

pkgs=()
if ! command -v lldpd >/dev/null 2>&1 || ! command -v lldpcli >/dev/null 2>&1; then pkgs+=(lldpd); fi
if ! command -v ip >/dev/null 2>&1; then pkgs+=(iproute2); fi
if ! command -v setpriv >/dev/null 2>&1; then pkgs+=(util-linux); fi
if [ ${#pkgs[@]} -eq 0 ]; then
	echo "deps-lldp: lldpd, lldpcli, ip and setpriv present"
	exit 0
fi
echo "deps-lldp: installing ${pkgs[*]}"
export DEBIAN_FRONTEND=noninteractive
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
$SUDO flock /tmp/apt.lock apt-get update
$SUDO flock /tmp/apt.lock apt-get install -y --no-install-recommends "${pkgs[@]}"
