#!/usr/bin/env bash
# Crash test: kill -9 a loaded custodia server at random moments, many
# times; every acknowledged transfer must survive and audit must pass.
# Usage: bench/crashtest.sh [-rounds N] [-clients N]
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/custodia" ./cmd/custodia
go run ./bench/crashtest -bin "$tmp/custodia" -data "$tmp/data" "$@"
