// Package witness is an independent cosigner for Custodia's custody log, and
// the log's side of the conversation with such cosigners.
//
// A signed checkpoint proves only that the log's key signed it. An operator
// who holds that key, or an insider with a copy of the database, could show
// one history to the court and another to the defence, or restore an old
// backup and sign a different continuation. A witness run by another
// institution (the Judiciary, the Public Defender's Office, the Comptroller)
// cosigns a checkpoint only after checking that it extends everything that
// witness has cosigned before, so a checkpoint carrying enough cosignatures
// cannot be quietly rewritten by any single party.
//
// The package speaks the public C2SP specifications, so that any other
// implementation can talk to it:
//
//   - c2sp.org/tlog-checkpoint: the checkpoint note (origin, size, root hash);
//   - c2sp.org/signed-note: the note and its signature lines;
//   - c2sp.org/tlog-cosignature: cosignature/v1, a timestamped Ed25519 note
//     signature (see [Cosigner]);
//   - c2sp.org/tlog-witness: POST /add-checkpoint (see [Server] and [Client]).
//
// The witness ([Server], run by [Main]) keeps its state in its own SQLite file
// and its own key in its own data directory. It never reads the log's
// database: everything it knows arrives in add-checkpoint requests, and it
// trusts only the log's public key and the Merkle consistency proofs.
//
// The log's side is [Client] (one request) and [Gatherer] (all configured
// witnesses at once, with catch-up of stale witnesses and a quorum rule).
package witness
