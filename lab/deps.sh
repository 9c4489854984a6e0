#!/usr/bin/env bash
# deps.sh installs what the fault lab (lab/, `go test -tags e2e ./lab/...`)
# needs on a Debian 12 host, idempotently: QEMU for x86 (run under TCG) and
# busybox-static. It runs `apt-get update` only when something is missing, or
# when apt's package lists cannot name the kernel the lab downloads (the lab
# fetches linux-image-*, busybox-static and mdadm itself with `apt-get
# download`, which needs current lists).
set -euo pipefail

pkgs=(qemu-system-x86 busybox-static)

missing=()
for p in "${pkgs[@]}"; do
	if ! dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed; then
		missing+=("$p")
	fi
done

lists_ok() {
	apt-cache depends linux-image-amd64 2>/dev/null | grep -q 'Depends: linux-image-[0-9]'
}

if [ "${#missing[@]}" -gt 0 ] || ! lists_ok; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
fi
if [ "${#missing[@]}" -gt 0 ]; then
	echo "lab/deps.sh: installing ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
if ! lists_ok; then
	echo "lab/deps.sh: apt cannot resolve linux-image-amd64 even after apt-get update" >&2
	exit 1
fi
command -v qemu-system-x86_64 >/dev/null || { echo "lab/deps.sh: qemu-system-x86_64 not on PATH after install" >&2; exit 1; }
echo "lab/deps.sh: ok ($(qemu-system-x86_64 --version | head -1))"
