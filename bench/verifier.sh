#!/usr/bin/env bash
# Benchmarks of the offline verifier: a 1,000-event bundle verified whole
# (BenchmarkVerify1000, target under 100 ms), beside the baseline of only
# decoding its 1,000 events canonically (BenchmarkDecodeEvents1000). The two
# run back to back in each round, so that they share the machine's load.
# Usage: bench/verifier.sh [rounds]   (default 7; niced)
set -euo pipefail
cd "$(dirname "$0")/.."
echo "nproc: $(nproc)"
grep -m1 'model name' /proc/cpuinfo
date -u
uptime
bin=$(mktemp)
trap 'rm -f "$bin"' EXIT
go test -c -o "$bin" ./verify
for _ in $(seq "${1:-7}"); do
	(cd verify && nice "$bin" -test.run '^$' -test.bench '1000$' -test.benchtime 30x -test.benchmem) | grep '^Benchmark'
done
uptime
