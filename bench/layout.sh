#!/usr/bin/env bash
# Compares the ledger, server and verifier benchmarks of two commits side by side:
# each commit's test binaries are built once, then run in alternation
# (A B A B ...) so that the shared machine's noise falls on both alike.
# Prints every run and the medians with their ratio (B/A; < 1 is faster).
#
#   bench/layout.sh BASE [HEAD] [ROUNDS]
#
# BASE and HEAD are commits (HEAD defaults to the work tree). Example, the
# structure issue against the commit before the move:
#   bench/layout.sh 68d53f3
set -euo pipefail
base=${1:?usage: bench/layout.sh BASE [HEAD] [ROUNDS]}
head=${2:-}
rounds=${3:-7}
root=$(git rev-parse --show-toplevel)
tmp=$(mktemp -d)
trap 'git -C "$root" worktree remove --force "$tmp/a" 2>/dev/null || true; [ -n "$head" ] && git -C "$root" worktree remove --force "$tmp/b" 2>/dev/null; rm -rf "$tmp"' EXIT
export GOTOOLCHAIN=local GOFLAGS=-buildvcs=false

git -C "$root" worktree add -q --detach "$tmp/a" "$base"
b=$root
if [ -n "$head" ]; then
	git -C "$root" worktree add -q --detach "$tmp/b" "$head"
	b=$tmp/b
fi
# The server package moved (server/ → httpapi/) with the structure issue.
srv() { if [ -d "$1/httpapi" ]; then echo ./httpapi; else echo ./server; fi; }
for side in a b; do
	dir=$tmp/a
	[ $side = b ] && dir=$b
	(cd "$dir" && go test -c -o "$tmp/ledger.$side" ./ledger/ && go test -c -o "$tmp/server.$side" "$(srv "$dir")" && go test -c -o "$tmp/verify.$side" ./verify/)
done

run() { # bin dir bench side: appends "name value" lines to $tmp/results.side
	(cd "$2" && "$1" -test.run '^$' -test.bench "$3" -test.benchtime 2s -test.count 1) |
		awk '/ns\/op/ {sub(/-[0-9]+$/, "", $1); print $1, $3}' >>"$tmp/results.$4"
}
for i in $(seq "$rounds"); do
	for side in a b; do
		dir=$tmp/a
		[ $side = b ] && dir=$b
		run "$tmp/ledger.$side" "$dir/ledger" 'BenchmarkAppend64$' $side
		run "$tmp/server.$side" "$dir/$(srv "$dir")" 'BenchmarkWritesWithStreams/^(transfer|seize)$/^streams=(0|1000)$' $side
		run "$tmp/verify.$side" "$dir/verify" 'BenchmarkVerify1000$' $side
	done
	echo "round $i of $rounds done" >&2
done
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
printf '%-50s %12s %12s %7s\n' benchmark "A ns/op" "B ns/op" "B/A"
for name in $(awk '{print $1}' "$tmp/results.a" | sort -u); do
	ma=$(awk -v n="$name" '$1 == n {print $2}' "$tmp/results.a" | median)
	mb=$(awk -v n="$name" '$1 == n {print $2}' "$tmp/results.b" | median)
	printf '%-50s %12.0f %12.0f %7.3f\n' "$name" "$ma" "$mb" "$(echo "$mb / $ma" | bc -l)"
done
echo "A = $base, B = ${head:-work tree}; medians of $rounds alternated runs; $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(date -u +%F)"
