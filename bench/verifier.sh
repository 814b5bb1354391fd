#!/usr/bin/env bash
# Benchmarks of the offline verifier: a 1,000-event bundle verified whole,
# beside the baseline of only decoding its events canonically.
# Usage: bench/verifier.sh [count]   (default 7 runs of each, niced)
set -euo pipefail
cd "$(dirname "$0")/.."
nproc
grep -m1 'model name' /proc/cpuinfo
date -u
uptime
nice go test ./verify -run '^$' -bench '1000$' -benchtime 30x -count "${1:-7}"
