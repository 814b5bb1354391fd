#!/usr/bin/env bash
# Server benchmarks: custody transfers through the HTTP API with 64
# concurrent clients (bench/load, a real `custodia serve` process), and
# writes with 0 and 1,000 open live-board streams (Go benchmark).
# Usage: bench/server.sh [duration]   (default 20s)
set -euo pipefail
cd "$(dirname "$0")/.."
dur=${1:-20s}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "date: $(date -u +%FT%TZ)"
echo "nproc: $(nproc)"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "other busy processes:"; ps -eo pcpu,comm --sort=-pcpu | sed -n '2,8p'
go build -o "$tmp/custodia" ./cmd/custodia
echo; echo "== bench/load: 64 clients, $dur"
nice go run ./bench/load -bin "$tmp/custodia" -clients 64 -duration "$dur"
echo; echo "== BenchmarkWritesWithStreams (0 and 1,000 open SSE streams)"
nice go test ./server -run XXX -bench WritesWithStreams -benchtime 2000x -count 1
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
