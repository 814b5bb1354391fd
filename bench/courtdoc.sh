#!/usr/bin/env bash
# Runs the court-document benchmarks (issue 7) and prints Go's benchmark
# output. Results and their reading are in bench/courtdoc.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=local
nice go test ./court/courtdoc/ ./court/caseuco/ -run '^$' -bench . -benchtime 3x -count "${COUNT:-5}" -benchmem
