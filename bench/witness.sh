#!/usr/bin/env bash
# Witness benchmarks (issue 6): the latency that witnessing adds to a
# checkpoint with three local witness processes (p50, p99), and one witness
# process's throughput in checkpoints/s. Results go to bench/witness.md by
# hand; this prints the machine and the raw numbers.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=local GOFLAGS=-buildvcs=false
N=${N:-500}
COUNT=${COUNT:-3}
echo "date: $(date -u +%FT%TZ)"
echo "nproc: $(nproc)"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
echo "go: $(go version)"
echo "command: nice go test -run '^\$' -bench 'CosignedCheckpointLatency|WitnessThroughput' -benchtime ${N}x -count $COUNT ./transparency/witness/"
nice go test -run '^$' -bench 'CosignedCheckpointLatency|WitnessThroughput' -benchtime "${N}x" -count "$COUNT" ./transparency/witness/
