// Package verify checks a custody bundle offline: that its events are the
// ones a Custodia log signed, and that they form a lawful chain of custody.
// It is written to be read by an outsider, such as an expert witness asked
// whether its verdict can be trusted. It imports only the standard library,
// golang.org/x/mod/sumdb/tlog (RFC 6962 Merkle proofs), .../note (signed
// notes) and Custodia's custody package (canonical events, custody rules).
// It reads no database, network or file.
//
// # The bundle
//
// A bundle is one JSON object (type Bundle), with unknown fields refused:
//
//	format       "custodia-bundle/v1"
//	item         the id of the seized item the bundle is about
//	public_key   the log's note verifier key, name+hash+key
//	checkpoint   the signed checkpoint (C2SP tlog-checkpoint) the events are
//	             proven against: origin, size, base64 root hash, extension
//	             lines, a blank line, then "— name signature" lines
//	events       [{index, event, proof}], in increasing index order: the
//	             event's canonical bytes (a custody.Event, RFC 8785 JSON) as a
//	             JSON string, and its RFC 6962 inclusion proof (tlog.RecordProof,
//	             base64 hashes) as leaf index in the checkpoint's tree
//	consistency  optional [{old_size, proof}]: tlog.TreeProof from a tree of
//	             old_size leaves to the checkpoint's tree
//
// # What Verify checks, in order
//
//  1. Shape: strict JSON, the known format, at most MaxBundleSize bytes,
//     MaxEvents events and MaxProofHashes hashes per proof.
//  2. Key: Options.TrustedKey if given, else the bundle's own key, which
//     proves only that the bundle is consistent with itself: the Result says
//     so, and the person must compare it with the key the operator published.
//  3. Checkpoint: the log key's Ed25519 signature (note.Open), an origin equal
//     to the key's name, and a well-formed body. Extension lines are ignored.
//  4. Each event: its leaf hash (tlog.RecordHash of its exact bytes) is in the
//     checkpoint's tree at its index (tlog.CheckRecord), so changing any byte
//     of it fails; its bytes are canonical (custody.DecodeEvent); its seq is
//     its index.
//  5. Custody, replaying the events in index order with custody.Item: the
//     first event is the seizure of the bundle's item; other items appear
//     only through an evidence.derive from an item already in the bundle;
//     an event of any other item fails. Every event must obey the custody
//     rules: transfers come from the holder; open, seal, derive, attach,
//     present and dispose are by the holder; an item's times never go
//     backwards; seal_condition fits the seal state; nothing happens after
//     disposal. Each event's prev links (for every item it acts on other than
//     one it creates, the index of that item's previous event) must equal
//     the previous event of that item in the bundle, so leaving out an event
//     in the middle of a history fails. Anomalies (seal_broken,
//     seal_mismatch) are recorded, not rejected, as the custody rules say.
//  6. With Options.OldCheckpoint: it is signed by the same key for the same
//     origin; if smaller, the bundle's consistency proof from its size must
//     pass tlog.CheckTree; if the same size, the roots must be equal (else the
//     log showed two histories); if larger, the bundle is stale.
//  7. With Options.Policy: the checkpoint's cosignatures are checked and the
//     policy's quorum must be met (see below).
//
// # Time
//
// Every step is bounded by the limits of step 1: each loop runs over the
// bundle's events, a proof's hashes or a policy's lines, and each parser
// moves forward on every byte, so Verify ends on any input (the package's
// fuzz targets hold each call to a time bound). A server that verifies
// bundles from anyone also gives each one a deadline: VerifyContext checks
// its context before every event and between the steps, and stops with
// Check "stopped", an error that unwraps to the context's.
//
// # What Verify does not check
//
// That no events of the item exist after the bundle's last one (a newer
// checkpoint, or witnesses, narrow that gap). That a receiver is an officer:
// it does not know the officers. Who holds the log key: with the bundle's own
// key it proves integrity, not origin. Claimed times against a clock: it
// shows the claimed time and the time the log recorded the event.
//
// # Witnesses
//
// Witnesses cosign checkpoints per C2SP tlog-cosignature (cosignature/v1,
// Ed25519, key type 0x04, see CosignatureVerifier). A policy file follows
// C2SP tlog-policy: one item per line, "#" comments, fields separated by
// spaces or tabs:
//
//	log <vkey> [url]                 a log key; if any, the log's key must be one
//	witness <name> <vkey> [url]      a witness and its cosignature/v1 key
//	group <name> all|any|<k> <name>...  k of these witnesses or groups
//	quorum <name>|none               exactly one; what must have cosigned
//
// Names are defined before they are used. A cosignature by a key not in the
// policy is ignored; one by a policy key that does not verify is a forgery
// and fails; one dated more than ten minutes after Options.Now fails.
//
// # Proofs for other tools
//
// TLogProof writes an event's proof in C2SP tlog-proof format, with the
// event's bytes as the extra data; ParseTLogProof and CheckTLogProof read and
// check such a file.
package verify
