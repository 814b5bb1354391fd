// Package casegen generates case files for tests and benchmarks, and checks
// Custodia's answers about them against an independent computation.
//
// It is written from the case-file specification alone
// (shared/spec/scenario.md), without the domain, casefile or storage
// packages, so that a mistake in the real implementation is not repeated in
// the oracle that tests it:
//
//   - Generate draws a valid case file from a seed: agencies, officers, one or
//     two cases, operations, sites with their status history, detentions that
//     trip each deadline rule, and evidence items whose custody chains use
//     every op of the spec, with anomalies.
//   - GenerateBad and MakeBad make one line of such a file invalid, in one of
//     many ways the spec forbids (BadKinds), and say which line and op the
//     import error must name.
//   - WriteCustodyLoad streams a large valid file of custody events, in
//     constant memory, for the import benchmark.
//   - Validate replays a case file with the spec's rules, and Oracle computes
//     the `report operation` object from it.
//   - CheckAgainstOracle and CheckBadRejected are the helpers that the real
//     implementation's tests call.
//
// Every time the generators write is a whole minute, so that "more than 60
// minutes" and "whole minutes, rounded down" never depend on seconds.
package casegen
