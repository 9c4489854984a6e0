#!/usr/bin/env bash
# deps-alerts.sh installs the real parts the alerts tests run against:
# Debian's prometheus-alertmanager (also amtool, for packaging/'s
# check-config test), Mailpit, and msmtp (the MTA binary the
# sendmail transport is tested with; the msmtp package alone, not msmtp-mta,
# so that a machine's own MTA is never replaced). Idempotent: it only touches
# apt when the binary is missing, and only builds Mailpit when it is not on
# PATH or in $(go env GOPATH)/bin already.
set -euo pipefail

GO=${GO:-go}
MAILPIT_VERSION=v1.33.1

if ! command -v amtool >/dev/null 2>&1 || { ! command -v prometheus-alertmanager >/dev/null 2>&1 && ! command -v alertmanager >/dev/null 2>&1; }; then
	echo "deps-alerts: installing prometheus-alertmanager"
	export DEBIAN_FRONTEND=noninteractive
	SUDO=""
	if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
	$SUDO apt-get update
	$SUDO apt-get install -y prometheus-alertmanager
else
	echo "deps-alerts: alertmanager present"
fi

if ! command -v msmtp >/dev/null 2>&1; then
	echo "deps-alerts: installing msmtp"
	export DEBIAN_FRONTEND=noninteractive
	SUDO=""
	if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
	$SUDO apt-get update
	$SUDO apt-get install -y --no-install-recommends msmtp
else
	echo "deps-alerts: msmtp present"
fi

gobin="$($GO env GOPATH)/bin"
if command -v mailpit >/dev/null 2>&1 || [ -x "$gobin/mailpit" ]; then
	echo "deps-alerts: mailpit present"
else
	echo "deps-alerts: installing mailpit $MAILPIT_VERSION (about a minute)"
	$GO install "github.com/axllent/mailpit@$MAILPIT_VERSION"
fi
