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
// The witness ([Server], run from its data directory by [ServeDir]) keeps
// its state in its own SQLite file and its own key in that directory. It
// never reads the log's database: everything it knows arrives in
// add-checkpoint requests, and it trusts only the log's public key and the
// Merkle consistency proofs.
//
// The log's side is [Client] (one request) and [Gatherer] (all configured
// witnesses at once, with catch-up of stale witnesses and a quorum rule).
//
// # Running a witness
//
//	custodia witness serve --data DIR --addr 127.0.0.1:7380 [--name NAME] [--log ORIGIN=VKEY]...
//
// DIR belongs to the witness alone:
//
//   - witness.key: its Ed25519 private key, created with mode 0600 on first
//     start (named by --name, or custodia-witness-XXXXXXXX). Its public
//     cosignature key (a vkey of type 0x04) is printed at every start and by
//     "custodia witness key --data DIR"; give it to the log's operator and to
//     whoever writes the verification policy.
//   - witness.db: its SQLite state (WAL, synchronous=FULL): per log, the
//     latest cosigned size, root and checkpoint, and the log-signed requests
//     it refused (possible evidence of a fork).
//   - logs (optional): the logs it witnesses, one per line, "ORIGIN=VKEY" or
//     just "VKEY" (a checkpoint key's name is its log's origin); '#' starts a
//     comment. --log adds more.
//
// The key and the database go together. A witness that lost its database
// must get a new key (a new data directory): with the old key and an empty
// database it would cosign a rolled-back log again.
//
// Endpoints: POST /add-checkpoint (c2sp.org/tlog-witness), GET
// /{origin hash}/checkpoint (tlog-witness monitor retrieval: the latest
// cosigned checkpoint, SHA-256 of the origin in lowercase hex), GET
// /checkpoint/{origin} (the same, origin path-escaped), GET / (name, key,
// logs and sizes, as text).
//
// A checkpoint of the size the witness already holds but with another root
// is answered 422 Unprocessable Entity, as a bad consistency proof is
// (c2sp.org/tlog-witness since July 2026; it used to be 409). Either way the
// witness keeps the request as evidence and does not cosign.
package witness
