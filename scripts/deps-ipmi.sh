#!/usr/bin/env bash
# deps-ipmi.sh installs Debian's openipmi (ipmi_sim, the BMC simulator, and
# sdrcomp, its SDR compiler): collectors' TestIPMILanSim starts a real
# ipmi_sim on loopback and reads it over RMCP+, and the fault lab's in-band
# IPMI scenario puts it behind QEMU's ipmi-bmc-extern. ipmitool is installed
# for cross-checks by hand. Idempotent: apt-get update runs only when
# something is missing.
set -euo pipefail

if command -v ipmi_sim >/dev/null 2>&1 && command -v sdrcomp >/dev/null 2>&1; then
	echo "deps-ipmi: ipmi_sim and sdrcomp present"
	exit 0
fi
echo "deps-ipmi: installing openipmi"
export DEBIAN_FRONTEND=noninteractive
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
$SUDO flock /tmp/apt.lock apt-get update
$SUDO flock /tmp/apt.lock apt-get install -y --no-install-recommends openipmi ipmitool
