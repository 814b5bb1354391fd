#!/usr/bin/env bash
# Benchmarks of issue 17 (PostgreSQL), side by side in one run:
#   - durable events/s and latency through the HTTP API (bench/load: signed
#     custody transfers, CLIENTS concurrent clients, DURATION each) with 1,
#     2 and 3 `custodia serve` on one PostgreSQL database and with 1 on
#     SQLite, ROUNDS rounds, the four configurations alternating in each;
#   - import of a generated case file of EVENTS events into PostgreSQL
#     against a raw COPY of the very rows the ledger stored (its events
#     table, dumped, into a table of the same schema), alternating;
#   - custodia audit on the PostgreSQL database.
# PostgreSQL is a durable server of its own for the run (fsync on,
# synchronous_commit on; scripts/pg-replicated start-single), not the
# tests' throwaway cluster; SQLite runs with synchronous=FULL, as always.
# Usage: bench/postgres.sh [ROUNDS] [DURATION] [CLIENTS] [EVENTS]
#        (defaults 3 15s 64 1000000)     Results: bench/out/postgres.txt
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=local GOFLAGS=-buildvcs=false
ROUNDS=${1:-3}
DUR=${2:-15s}
CLIENTS=${3:-64}
EVENTS=${4:-1000000}
out=bench/out; mkdir -p "$out"
work=$(mktemp -d)
chmod 0755 "$work"
pair=""
cleanup() {
	[ -n "$pair" ] && scripts/pg-replicated remove "$pair" || true
	rm -rf "$work"
}
trap cleanup EXIT
log="$out/postgres.txt"; : > "$log"
say() { echo "$*" | tee -a "$log"; }

go build -o "$work/custodia" ./cmd/custodia
go build -o "$work/load" ./bench/load
go build -o "$work/lb" ./bench/ledgerbench
scripts/pg-replicated start-single > "$work/pg.env"
pair=$(sed -n 's/^DIR=//p' "$work/pg.env")
BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
if [ "$(id -u)" = 0 ]; then as() { runuser -u postgres -- "$@"; }; else as() { "$@"; }; fi
n=0
newdb() { # creates database b$1, empty; prints its DSN
	as "$BIN/psql" -h "$pair/run1" -U postgres -d postgres -qc "CREATE DATABASE b$1 ENCODING 'UTF8' TEMPLATE template0" >/dev/null
	printf 'postgres:///b%s?host=%s&port=5432&user=postgres&sslmode=disable' "$1" "$pair/run1"
}
dropdb() { as "$BIN/psql" -h "$pair/run1" -U postgres -d postgres -qc "DROP DATABASE IF EXISTS b$1 WITH (FORCE)" >/dev/null; }

say "# $(date -u +%FT%TZ)  nproc=$(nproc)  cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
say "# postgres: $("$BIN/postgres" --version)  (fsync on, synchronous_commit on, unix socket)"
say "# load before: $(cut -d' ' -f1-3 /proc/loadavg)"

for r in $(seq 1 "$ROUNDS"); do
	for cfg in sqlite pg1 pg2 pg3; do
		sync; sleep 2
		case $cfg in
		sqlite) args=() ;;
		pg*) n=$((n + 1)); args=(-db "$(newdb $n)" -servers "${cfg#pg}") ;;
		esac
		line=$("$work/load" -bin "$work/custodia" -clients "$CLIENTS" -duration "$DUR" -json "${args[@]}" | sed -n 's/^json //p')
		say "load round $r $cfg $line  load=$(cut -d' ' -f1 /proc/loadavg)"
		[ "$cfg" != sqlite ] && dropdb "$n"
	done
done

"$work/lb" gen "$work/case.jsonl" "$EVENTS"
say "# case file: $(wc -l < "$work/case.jsonl") lines, $(du -m "$work/case.jsonl" | cut -f1) MB"
for r in $(seq 1 "$ROUNDS"); do
	rm -rf "$work/d"
	sync; sleep 3
	n=$((n + 1)); imp=$(newdb $n); impn=$n
	say "import round $r $("$work/lb" import "$work/case.jsonl" "$work/d" "$imp")  load=$(cut -d' ' -f1 /proc/loadavg)"
	n=$((n + 1)); raw=$(newdb $n); rawn=$n
	sync; sleep 3
	say "rawcopy round $r $("$work/lb" rawpg "$imp" "$raw" "$work/events.copy")  load=$(cut -d' ' -f1 /proc/loadavg)"
	dropdb "$rawn"
	if [ "$r" -lt "$ROUNDS" ]; then dropdb "$impn"; fi
done
for r in $(seq 1 "$ROUNDS"); do
	sync; sleep 2
	say "audit round $r $("$work/lb" audit "$work/d")  load=$(cut -d' ' -f1 /proc/loadavg)"
done
say "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
