//go:build race

package ledger_test

// raceEnabled is true under the race detector, which makes audits about ten
// times slower; the tamper test then draws fewer random cases.
const raceEnabled = true
