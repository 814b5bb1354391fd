#!/usr/bin/env bash
# Issue 16's analysis benchmarks, two revisions side by side: builds the
# test binaries of ./analysis and ./storage/analysisdb at BEFORE (from
# `git archive`, so the work tree is untouched) and of the work tree, then
# runs each benchmark of both alternately, ROUNDS times, one line per run
# with the process's CPU time (GNU time).
# Usage: bench/analysis-side-by-side.sh BEFORE [ROUNDS]
#   e.g. bench/analysis-side-by-side.sh 93c36d7 3
set -euo pipefail
before=$1 rounds=${2:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/src"
git -C "$root" archive "$before" | tar -x -C "$tmp/src"
(cd "$tmp/src" && go test -c -o "$tmp/old-analysis.test" ./analysis && go test -c -o "$tmp/old-analysisdb.test" ./storage/analysisdb)
(cd "$root" && go test -c -o "$tmp/new-analysis.test" ./analysis && go test -c -o "$tmp/new-analysisdb.test" ./storage/analysisdb)
echo "# $(date -u +%FT%TZ) nproc=$(nproc) cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs) $(go version)"
echo "# before=$before after=$(git -C "$root" rev-parse --short HEAD) (work tree)"
echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq 1 "$rounds"); do
	for v in old new; do
		(cd "$root/analysis" && /usr/bin/time -f "$v $r cpu user=%Us sys=%Ss wall=%es" "$tmp/$v-analysis.test" -test.run '^$' -test.bench '^BenchmarkBetweennessSampled100k$' -test.benchtime 1x 2>&1 | grep -E '^Benchmark|cpu' | sed "s/^Benchmark/$v $r Benchmark/")
		(cd "$root/storage/analysisdb" && /usr/bin/time -f "$v $r cpu user=%Us sys=%Ss wall=%es" "$tmp/$v-analysisdb.test" -test.run '^$' -test.bench . -test.benchtime 1x 2>&1 | grep -E '^Benchmark|cpu' | sed "s/^Benchmark/$v $r Benchmark/")
		(cd "$root/analysis" && "$tmp/$v-analysis.test" -test.run '^$' -test.bench '^BenchmarkImportWhatsApp1M$' -test.benchtime 1x | grep '^Benchmark' | sed "s/^/$v $r /")
		(cd "$root/analysis" && "$tmp/$v-analysis.test" -test.run '^$' -test.bench 'ShortestPath1MEdges|TemporalPath1MEdges' -test.benchtime 50x | grep '^Benchmark' | sed "s/^/$v $r /")
		echo "$v $r load $(cut -d' ' -f1-3 /proc/loadavg)"
	done
done
