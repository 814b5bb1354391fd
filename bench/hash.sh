#!/usr/bin/env bash
# Benchmarks `custodia hash` (built from cmd/custodia)
# against the tools labs use, side by side in one run, from the page cache
# (warm) and from disk (cold: caches dropped before every run).
#
#   1. --algo sha256 on a SHA_SIZE file (default 4 GiB) against
#      `openssl dgst -sha256` and `sha256sum`;
#   2. all three algorithms on an ALL_SIZE file (default 1 GiB) against
#      `hashdeep -c md5,sha1,sha256` and `dc3dd hash=md5 hash=sha1 hash=sha256`,
#      and custodia hash with each algorithm alone, to compare the wall time of
#      all three with that of the slowest one, and `openssl dgst -md5`: MD5
#      cannot be split over cores, so the fastest single-stream MD5 (OpenSSL's
#      assembly) bounds any tool that computes it.
#
# Each command runs RUNS times (default 3), the commands interleaved so that
# noise from other processes spreads over all of them; the table gives the
# median wall time and throughput (MB/s, 10^6 bytes per second), and the
# ratio to the reference. Usage: bench/hash.sh [DIR for the test files]
# (default a temporary directory on the disk of /var/tmp, removed at the end).
# Cold runs need root (/proc/sys/vm/drop_caches); without it they fall back to
# `dd iflag=nocache` on the file, which evicts that file's pages.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=local GOFLAGS=-buildvcs=false

RUNS=${RUNS:-3}
SHA_SIZE=${SHA_SIZE:-4G}
ALL_SIZE=${ALL_SIZE:-1G}
WORK=${1:-$(mktemp -d /var/tmp/custodia-hashbench.XXXXXX)}
mkdir -p "$WORK"
[ -n "${1:-}" ] || trap 'rm -rf "$WORK"' EXIT

for tool in openssl sha256sum hashdeep dc3dd python3; do
	command -v "$tool" >/dev/null || { echo "bench/hash.sh: $tool missing (run scripts/setup-blobhash)" >&2; exit 1; }
done

BIN="$WORK/custodia"
go build -o "$BIN" ./cmd/custodia

make_file() { # name size
	[ -f "$WORK/$1" ] || head -c "$2" /dev/urandom >"$WORK/$1"
}
make_file sha.bin "$SHA_SIZE"
make_file all.bin "$ALL_SIZE"

drop_cache() { # file
	sync
	if ! { echo 3 >/proc/sys/vm/drop_caches; } 2>/dev/null; then
		dd if="$1" iflag=nocache count=0 status=none
	fi
}
warm_cache() { cat "$1" >/dev/null; }

# time_cmd FILE MODE CMD...: prints the wall seconds of CMD on FILE.
time_cmd() {
	local file=$1 mode=$2
	shift 2
	if [ "$mode" = cold ]; then drop_cache "$file"; else warm_cache "$file"; fi
	local start end
	start=$(date +%s.%N)
	"$@" >/dev/null 2>&1
	end=$(date +%s.%N)
	echo "$start $end" | awk '{printf "%.3f\n", $2 - $1}'
}

RESULTS="$WORK/results.tsv"
: >"$RESULTS"

# bench GROUP FILE MODE NAME CMD... (NAME and CMD separated by |).
bench() {
	local group=$1 file=$2 mode=$3
	shift 3
	local size
	size=$(stat -c %s "$file")
	for run in $(seq "$RUNS"); do
		for spec in "$@"; do
			local name=${spec%%|*} cmd=${spec#*|}
			local secs
			# shellcheck disable=SC2086
			secs=$(time_cmd "$file" "$mode" $cmd)
			printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$group" "$mode" "$name" "$run" "$secs" "$size" >>"$RESULTS"
			echo "  $group $mode run $run: $name ${secs}s" >&2
		done
	done
}

SHA="$WORK/sha.bin"
ALL="$WORK/all.bin"

# Check once that every tool agrees before timing anything.
want=$(sha256sum "$ALL" | cut -d' ' -f1)
got=$("$BIN" hash --algo sha256 "$ALL" | sed 's/.* = //')
[ "$got" = "$want" ] || { echo "custodia hash disagrees with sha256sum" >&2; exit 1; }

for mode in warm cold; do
	bench sha256 "$SHA" "$mode" \
		"custodia hash --algo sha256|$BIN hash --algo sha256 $SHA" \
		"openssl dgst -sha256|openssl dgst -sha256 $SHA" \
		"sha256sum|sha256sum $SHA"
	bench all "$ALL" "$mode" \
		"custodia hash (md5,sha1,sha256)|$BIN hash $ALL" \
		"custodia hash --algo md5|$BIN hash --algo md5 $ALL" \
		"custodia hash --algo sha1|$BIN hash --algo sha1 $ALL" \
		"custodia hash --algo sha256|$BIN hash --algo sha256 $ALL" \
		"openssl dgst -md5|openssl dgst -md5 $ALL" \
		"hashdeep -c md5,sha1,sha256|hashdeep -c md5,sha1,sha256 $ALL" \
		"dc3dd hash=md5 hash=sha1 hash=sha256|dc3dd if=$ALL of=/dev/null hash=md5 hash=sha1 hash=sha256"
done

python3 - "$RESULTS" <<'EOF'
import collections, statistics, sys
rows = collections.defaultdict(list)
sizes = {}
order = []
for line in open(sys.argv[1]):
    group, mode, name, run, secs, size = line.rstrip("\n").split("\t")
    k = (group, mode, name)
    if k not in rows:
        order.append(k)
    rows[k].append(float(secs))
    sizes[k] = int(size)
ref = {"sha256": "openssl dgst -sha256", "all": "custodia hash (md5,sha1,sha256)"}
for group, title in [("sha256", "One algorithm (SHA-256)"), ("all", "Three algorithms (MD5, SHA-1, SHA-256)")]:
    for mode in ("warm", "cold"):
        keys = [k for k in order if k[0] == group and k[1] == mode]
        if not keys:
            continue
        size = sizes[keys[0]]
        print(f"\n### {title}, {mode} ({'page cache' if mode == 'warm' else 'caches dropped before each run'}), {size / 2**30:g} GiB\n")
        r = statistics.median(rows[(group, mode, ref[group])])
        print(f"| command | runs (s) | median (s) | MB/s | time ratio to {ref[group]} |")
        print("|---|---|---|---|---|")
        for k in keys:
            m = statistics.median(rows[k])
            runs = " ".join(f"{x:.2f}" for x in rows[k])
            print(f"| `{k[2]}` | {runs} | {m:.2f} | {size / m / 1e6:.0f} | {m / r:.2f} |")
EOF
