#!/usr/bin/env bash
# Upload benchmark: a file through the HTTP API of a real `custodia serve`
# (tus, 64 MiB chunks, as `custodia upload` sends it) into the filesystem
# blob store on loopback. Reports throughput, the server's CPU time and its
# peak memory (VmHWM), per run and as medians.
#
# Usage: bench/upload.sh [SIZE] [RUNS] [BASE]   (default 4GiB, 3 runs)
#
# With BASE (a git revision), the same runs are made with the server and the
# upload client of BASE too, alternating (before, after; after, before; ...)
# so that the machine's load weighs on both alike; both use this tree's
# bench/uploadbench harness and one shared source file. Needs about 2× SIZE
# free under ${TMPDIR:-/var/tmp}, removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-4GiB}
runs=${2:-3}
base=${3:-}
tmp=$(mktemp -d -p "${TMPDIR:-/var/tmp}" custodia-upload-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
echo "date: $(date -u +%FT%TZ)"
echo "nproc: $(nproc)"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "other busy processes:"; ps -eo pcpu,comm --sort=-pcpu | sed -n '2,6p'
nice go build -o "$tmp/after/custodia" ./cmd/custodia
nice go build -o "$tmp/after/uploadbench" ./bench/uploadbench
labels=(after)
if [ -n "$base" ]; then
	mkdir -p "$tmp/src"
	git archive "$base" | tar -x -C "$tmp/src"
	cp bench/uploadbench/main.go "$tmp/src/bench/uploadbench/main.go"
	(cd "$tmp/src" && nice go build -o "$tmp/before/custodia" ./cmd/custodia &&
		nice go build -o "$tmp/before/uploadbench" ./bench/uploadbench)
	rm -rf "$tmp/src"
	labels=(before after)
fi
results=$tmp/results
for i in $(seq 1 "$runs"); do
	order=("${labels[@]}")
	if [ $((i % 2)) -eq 0 ] && [ ${#labels[@]} -eq 2 ]; then order=(after before); fi
	for l in "${order[@]}"; do
		echo; echo "== run $i, $l: upload of $size"
		work=$(mktemp -d -p "$tmp")
		nice "$tmp/$l/uploadbench" -bin "$tmp/$l/custodia" -size "$size" -dir "$work" \
			-file "$tmp/image.bin" -label "$l" | tee -a "$results"
		rm -rf "$work"
	done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "medians of $runs runs (throughput, time, server CPU-seconds, MB per server CPU-second, VmHWM):"
for l in "${labels[@]}"; do
	grep "^result: $l " "$results" | awk -v l="$l" '
		{ t[NR]=$3; mb[NR]=$4; cpu[NR]=$5; eff[NR]=$6; hwm[NR]=$7 }
		function med(a, n,   i, j, x) {
			for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { x = a[i]; a[i] = a[j]; a[j] = x }
			return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
		}
		END { printf "  %-6s %5.0f MB/s  %6.2f s  %5.2f CPU-s  %5.0f MB/CPU-s  VmHWM %5.1f MB\n", l, med(mb, NR), med(t, NR), med(cpu, NR), med(eff, NR), med(hwm, NR) }'
done
