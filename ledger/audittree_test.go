package ledger

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"testing"

	"golang.org/x/mod/sumdb/tlog"
)

// TestAuditTree: audit's tree gives exactly the stored hashes and roots of
// tlog, which the log writes, for every size up to 1,100.
func TestAuditTree(t *testing.T) {
	var at auditTree
	f := &frontier{hashes: map[int64]tlog.Hash{}}
	for i := int64(0); i < 1100; i++ {
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], uint64(i))
		leaf := tlog.RecordHash(sha256.New().Sum(b[:]))
		want, err := f.appendLeaf(leaf)
		if err != nil {
			t.Fatal(err)
		}
		if got := at.append(leaf); !bytes.Equal(got, want) {
			t.Fatalf("record %d: stored hashes differ:\n%x\n%x", i, got, want)
		}
		wantRoot, err := f.root()
		if err != nil {
			t.Fatal(err)
		}
		if got := at.root(); got != wantRoot {
			t.Fatalf("size %d: root %x, tlog %x", at.size, got, wantRoot)
		}
	}
	if (&auditTree{}).root() != (tlog.Hash{}) {
		t.Fatal("empty tree root is not zero")
	}
}
