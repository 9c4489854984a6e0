#!/usr/bin/env bash
# deps-package.sh installs what packaging/'s package tests run: lintian (the
# .deb's checks), rpm (reads the .rpm), make, and zsh and fish (parse the
# shipped completions). nfpm itself is a Go tool
# (scripts/deps-go.sh). Idempotent: apt-get update runs only when something is missing.
set -euo pipefail

missing=()
command -v lintian >/dev/null 2>&1 || missing+=(lintian)
command -v rpm >/dev/null 2>&1 || missing+=(rpm)
command -v make >/dev/null 2>&1 || missing+=(make)
command -v zsh >/dev/null 2>&1 || missing+=(zsh)
command -v fish >/dev/null 2>&1 || missing+=(fish)

if [ ${#missing[@]} -eq 0 ]; then
	echo "deps-package: lintian, rpm, make, zsh and fish present"
	exit 0
fi

echo "deps-package: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends "${missing[@]}"
