package ledger

// AuditChunked is Audit reading the log in chunks of chunk events, for
// tests that show the result does not depend on where chunks are cut.
var AuditChunked = audit
