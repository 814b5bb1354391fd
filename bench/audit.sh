#!/usr/bin/env bash
# Audit throughput, before and after, side by side (issue 2's audit target):
# runs `ledgerbench audit` of two builds alternately on one database, then
# `custodia audit` of two builds alternately, and prints one line per run.
# Usage: bench/audit.sh DIR BEFORE_LB AFTER_LB BEFORE_CUSTODIA AFTER_CUSTODIA [ROUNDS]
#   DIR: a deployment made by `ledgerbench import` (see bench/ledger.sh).
set -euo pipefail
dir=$1 lb0=$2 lb1=$3 c0=$4 c1=$5 rounds=${6:-3}
echo "# $(date -u +%FT%TZ) nproc=$(nproc) cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq 1 "$rounds"); do
	echo "lb before $r $(nice -n 10 "$lb0" audit "$dir")"
	echo "lb after  $r $(nice -n 10 "$lb1" audit "$dir")"
done
for r in $(seq 1 "$rounds"); do
	for which in before after; do
		bin=$c0; [ "$which" = after ] && bin=$c1
		s=$(date +%s%N)
		nice -n 10 "$bin" audit --data "$dir" > /dev/null
		e=$(date +%s%N)
		echo "cli $which $r seconds=$(( (e - s) / 1000000 ))e-3"
	done
done
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
