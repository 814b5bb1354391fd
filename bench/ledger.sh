#!/usr/bin/env bash
# Benchmarks of the core ledger (issue 2), all in one run, side by side:
#   - import of a generated case file of EVENTS custody events (default
#     1,000,000), durable, against a raw SQLite baseline inserting the same
#     number of rows of the same size with no ledger; rounds alternate;
#   - custodia audit on that database;
#   - inclusion-proof latency on that log;
#   - verification of a 1,000-event bundle (in process and through the CLI).
# Usage: bench/ledger.sh [EVENTS] [ROUNDS]   Results: bench/out/ledger.txt
# With LEDGER_BASE=REV (a git revision), each round also imports with the
# ledger of REV, just before this one: a before/after in one run. Every
# import line carries its CPU time per event, which the machine's other
# load distorts far less than events/s. LEDGER_ONLY_IMPORT=1 stops after
# the imports and the raw baseline.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=local GOFLAGS=-buildvcs=false
EVENTS=${1:-1000000}
ROUNDS=${2:-3}
out=bench/out; mkdir -p "$out"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
go build -o "$work/lb" ./bench/ledgerbench
go build -o "$work/custodia" ./cmd/custodia
if [ -n "${LEDGER_BASE:-}" ]; then
	mkdir "$work/base"
	git archive "$LEDGER_BASE" | tar -x -C "$work/base"
	cp bench/ledgerbench/main.go "$work/base/bench/ledgerbench/main.go"
	(cd "$work/base" && go build -o "$work/lb-base" ./bench/ledgerbench)
fi
log="$out/ledger.txt"; : > "$log"
say() { echo "$*" | tee -a "$log"; }
say "# $(date -u +%FT%TZ)  nproc=$(nproc)  cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
say "# load before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$work/lb" gen "$work/load.jsonl" "$EVENTS"
say "# case file: $(wc -l < "$work/load.jsonl") lines, $(du -m "$work/load.jsonl" | cut -f1) MB"
rowbytes=0
# settle starts each measured run on a quiet disk: the file system is
# mounted with discard, so the deletes before a run (the last run's
# database and WAL, over a gigabyte) otherwise still keep the virtual disk
# busy with TRIM while the run writes and syncs. Every import and every raw
# run gets the same.
settle() { sync; sleep "${LEDGER_SETTLE:-3}"; }
for r in $(seq 1 "$ROUNDS"); do
	if [ -n "${LEDGER_BASE:-}" ]; then
		rm -rf "$work/base-d"
		settle
		say "round $r base $("$work/lb-base" import "$work/load.jsonl" "$work/base-d")"
		rm -rf "$work/base-d"
	fi
	rm -rf "$work/d$r"
	settle
	line=$("$work/lb" import "$work/load.jsonl" "$work/d$r"); say "round $r $line"
	rowbytes=$(echo "$line" | sed 's/.*"event_row_bytes":\([0-9.]*\).*/\1/' | cut -d. -f1)
	rm -f "$work/raw.db"*
	settle
	say "round $r $("$work/lb" raw "$work/load.jsonl" "$work/raw.db" "$rowbytes")"
	[ "$r" -lt "$ROUNDS" ] && rm -rf "$work/d$r"
done
if [ -n "${LEDGER_ONLY_IMPORT:-}" ]; then
	say "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
	exit 0
fi
rm -f "$work/raw.db"*
for r in $(seq 1 "$ROUNDS"); do settle; say "audit $("$work/lb" audit "$work/d$ROUNDS")"; done
say "proofs $("$work/lb" proofs "$work/d$ROUNDS" 10000)"
"$work/lb" bundle "$work/b" 1000 "$work/bundle.json"
say "verify $("$work/lb" verify "$work/bundle.json" 21)"
cli=()
for i in 1 2 3 4 5 6 7; do
	s=$(date +%s%N); "$work/custodia" verify "$work/bundle.json" --key "$work/bundle.key" > /dev/null; e=$(date +%s%N)
	cli+=($(( (e - s) / 1000000 )))
done
say "verify-cli-ms ${cli[*]}"
say "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
