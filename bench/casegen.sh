#!/usr/bin/env bash
# Measures casegen.WriteCustodyLoad, the generator of the import benchmark's
# case file (1,000,000 custody events). Prints the go test -bench output.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=local GOFLAGS=-buildvcs=false
nice go test ./casegen -run '^$' -bench BenchmarkWriteCustodyLoad -benchtime 3x -count "${COUNT:-5}"
