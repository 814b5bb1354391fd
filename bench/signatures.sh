#!/usr/bin/env bash
# Personal signatures (issue 14), side by side in one run: the machine's
# bound (the standard library's Ed25519 and P-256 verification on one
# core), the verifier on a 1,000-act bundle unsigned, Ed25519-signed and
# with a P-256 passkey, the audit of 2,000 unsigned and 2,000 signed acts,
# and the server's durable writes: unsigned seizures, signed seizures and
# handovers (always signed by both parties). Each round runs every
# benchmark once; the medians are printed at the end: wall-clock rates,
# and the processor time each signature adds (cpu-ns/sig), which the
# machine's other load distorts least, to hold against the bound's ns/op.
# Then the verifier and audit against the bound measured moments apart
# (BenchmarkSignaturesAgainstBound, BenchmarkAuditAgainstBound: the bound
# and the checker alternate within each round, package internal/sigbound),
# which a shared machine's changing speed distorts least of all: the
# medians over PAIRED rounds of each.
#
#   bench/signatures.sh [ROUNDS] [PAIRED]    (default 5 and 60)
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=local GOFLAGS=-buildvcs=false
rounds=${1:-5}
paired=${2:-60}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "nproc: $(nproc); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $(date -u +%FT%TZ)"
go test -c -o "$tmp/verify.test" ./verify
go test -c -o "$tmp/ledger.test" ./ledger
go test -c -o "$tmp/httpapi.test" ./httpapi
for i in $(seq "$rounds"); do
	(cd verify && "$tmp/verify.test" -test.run '^$' -test.bench 'SignatureBound|VerifySignatures|CheckSignatures' -test.benchtime 1s) >>"$tmp/out"
	(cd ledger && "$tmp/ledger.test" -test.run '^$' -test.bench 'AuditSignatures' -test.benchtime 5x) >>"$tmp/out"
	(cd httpapi && "$tmp/httpapi.test" -test.run '^$' -test.bench 'WritesWithStreams/(transfer|seize|seize-signed)/streams=0$' -test.benchtime 2s) >>"$tmp/out"
	echo "round $i of $rounds done" >&2
done
grep '^Benchmark' "$tmp/out" | sed 's/-[0-9]* / /' | awk '
{
	name = $1; ns[name] = ns[name] " " $3
	for (i = 4; i < NF; i++) {
		if ($(i+1) == "sigchecks/s" || $(i+1) == "verifies/s") extra[name] = extra[name] " " $i
		if ($(i+1) == "cpu-ns/sig") cpu[name] = cpu[name] " " $i
	}
}
function median(s,   a, n, i, j, t) {
	n = split(s, a, " ")
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
	return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
END {
	for (k in ns) {
		printf "%-60s %14.0f ns/op", k, median(ns[k])
		if (k in extra) printf "  %10.0f/s", median(extra[k])
		if (k in cpu) printf "  %8.0f cpu-ns/sig", median(cpu[k])
		printf "\n"
	}
}' | sort
echo
echo "paired rounds ($paired each): the medians of the rate and of the rate over the bound"
(cd verify && "$tmp/verify.test" -test.run '^$' -test.bench 'SignaturesAgainstBound' -test.benchtime "${paired}x") | grep '^Benchmark'
(cd ledger && "$tmp/ledger.test" -test.run '^$' -test.bench 'AuditAgainstBound' -test.benchtime "${paired}x") | grep '^Benchmark'
