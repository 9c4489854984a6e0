#!/usr/bin/env bash
# deps.sh installs what the fault lab (lab/, `go test -tags e2e ./lab/...`)
# needs on a Debian 12 host, idempotently: QEMU for x86 (the guests run under
# TCG) and xz-utils (to unpack the kernel for a PVH boot). The guest's own
# packages (linux-image-*, busybox-static, mdadm, smartmontools, btrfs-progs, dmsetup) are not installed: the lab
# fetches them with `apt-get download` into its cache, which needs apt's
# lists, so this runs `apt-get update` when a package is missing or when the
# lists cannot name the kernel the lab would download.
set -euo pipefail

# The guest's dynamically linked tools take their libraries from this host
# (ldd): btrfs-progs needs liblzo2 (and libzstd, libblkid, libuuid, libudev,
# zlib, present on any Debian), dmsetup libdevmapper.
pkgs=(qemu-system-x86 xz-utils liblzo2-2 libdevmapper1.02.1)

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
