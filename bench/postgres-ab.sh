#!/usr/bin/env bash
# The durable-throughput part of bench/postgres.sh for two builds side by
# side: the load (bench/load, CLIENTS clients, DURATION each) with 1, 2 and
# 3 servers on one durable PostgreSQL, the build of git revision REV and
# this tree's alternating in every round.
# Usage: bench/postgres-ab.sh REV [ROUNDS] [DURATION] [CLIENTS]
#        (defaults 2 15s 64)     Results: bench/out/postgres-ab.txt
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=local GOFLAGS=-buildvcs=false
REV=${1:?usage: bench/postgres-ab.sh REV [ROUNDS] [DURATION] [CLIENTS]}
ROUNDS=${2:-2}
DUR=${3:-15s}
CLIENTS=${4:-64}
out=bench/out; mkdir -p "$out"
work=$(mktemp -d)
pair=""
cleanup() {
	[ -n "$pair" ] && scripts/pg-replicated remove "$pair" || true
	rm -rf "$work"
}
trap cleanup EXIT
log="$out/postgres-ab.txt"; : > "$log"
say() { echo "$*" | tee -a "$log"; }
mkdir "$work/base"
git archive "$REV" | tar -x -C "$work/base"
(cd "$work/base" && go build -o "$work/custodia-base" ./cmd/custodia)
go build -o "$work/custodia-head" ./cmd/custodia
go build -o "$work/load" ./bench/load
scripts/pg-replicated start-single > "$work/pg.env"
pair=$(sed -n 's/^DIR=//p' "$work/pg.env")
BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
if [ "$(id -u)" = 0 ]; then as() { runuser -u postgres -- "$@"; }; else as() { "$@"; }; fi
say "# $(date -u +%FT%TZ)  nproc=$(nproc)  base=$REV  head=$(git rev-parse --short HEAD)  load: $(cut -d' ' -f1-3 /proc/loadavg)"
n=0
for r in $(seq 1 "$ROUNDS"); do
	for s in 1 2 3; do
		for v in base head; do
			n=$((n + 1))
			as "$BIN/psql" -h "$pair/run1" -U postgres -d postgres -qc "CREATE DATABASE ab$n ENCODING 'UTF8' TEMPLATE template0" >/dev/null
			sync; sleep 2
			line=$("$work/load" -bin "$work/custodia-$v" -clients "$CLIENTS" -duration "$DUR" -json -servers "$s" \
				-db "postgres:///ab$n?host=$pair/run1&port=5432&user=postgres&sslmode=disable" | sed -n 's/^json //p')
			say "ab round $r servers $s $v $line  load=$(cut -d' ' -f1 /proc/loadavg)"
			as "$BIN/psql" -h "$pair/run1" -U postgres -d postgres -qc "DROP DATABASE ab$n WITH (FORCE)" >/dev/null
		done
	done
done
