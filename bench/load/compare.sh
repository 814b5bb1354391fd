#!/usr/bin/env bash
# Side-by-side comparison of the load generator's two HTTP clients against
# the same custodia binary: alternating runs, lean then nethttp, ROUNDS each.
# Usage: bench/load/compare.sh [ROUNDS] [DURATION] [CLIENTS]
# Output: one block per run; bench/gen.md has the summary.
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-3} duration=${2:-10s} clients=${3:-64}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/custodia" ./cmd/custodia
go build -o "$tmp/load" ./bench/load
echo "nproc $(nproc); $(grep -m1 'model name' /proc/cpuinfo); $(date -u +%FT%TZ)"
for r in $(seq "$rounds"); do
	for c in lean nethttp; do
		echo "== round $r, -client $c"
		nice -n 10 "$tmp/load" -bin "$tmp/custodia" -clients "$clients" -duration "$duration" -client "$c" | sed -n '1,5p'
	done
done
