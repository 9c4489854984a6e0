#!/usr/bin/env bash
# Go module downloads for the build and tests (idempotent).
set -euo pipefail
cd "$(dirname "$0")/.."
go mod download
