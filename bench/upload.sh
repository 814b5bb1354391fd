#!/usr/bin/env bash
# Upload benchmark: a file through the HTTP API of a real `custodia serve`
# (tus, 64 MiB chunks, as `custodia upload` sends it) into the filesystem
# blob store on loopback. Reports throughput, the server's CPU time and its
# peak memory (VmHWM). Needs about 3× SIZE free on the temporary directory.
# Usage: bench/upload.sh [SIZE] [RUNS]   (default 4GiB, 3 runs)
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-4GiB}
runs=${2:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "date: $(date -u +%FT%TZ)"
echo "nproc: $(nproc)"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "other busy processes:"; ps -eo pcpu,comm --sort=-pcpu | sed -n '2,6p'
go build -o "$tmp/custodia" ./cmd/custodia
go build -o "$tmp/uploadbench" ./bench/uploadbench
for i in $(seq 1 "$runs"); do
	echo; echo "== run $i: upload of $size"
	nice "$tmp/uploadbench" -bin "$tmp/custodia" -size "$size" -dir "$(mktemp -d -p "$tmp")"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
