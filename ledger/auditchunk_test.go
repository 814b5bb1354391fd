package ledger_test

import (
	"context"
	"database/sql"
	"fmt"
	mrand "math/rand/v2"
	"reflect"
	"testing"

	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/ledger"
	"github.com/custodia-ec/custodia/storage/sqlite"
)

// TestAuditChunks: Audit reads the log in chunks on several workers; cut
// into chunks of any size (down to one event), it gives exactly the report
// of a single read, on the clean fixture, with many events appended by
// plain SQL at far seqs, and after every named tampering and a random
// sample of the generated ones.
func TestAuditChunks(t *testing.T) {
	f := newFixture(t)
	meta := f.copyDB(t)
	tables := loadSchemas(t, meta.DB())
	cases := named(f)
	r := mrand.New(mrand.NewPCG(7, 2026))
	n := 12
	if raceEnabled || testing.Short() {
		n = 4
	}
	for i := 0; i < n; i++ {
		cases = append(cases, generate(r, 10000+i, tables, f))
	}
	cases = append(cases, tampering{name: "far seqs", do: func(t *testing.T, db *sql.DB) error {
		return execAll(db,
			`INSERT INTO events SELECT seq + 100000, item, case_id, data, hashes, prev, case_prev FROM events WHERE seq < 5`,
			`INSERT INTO events SELECT 9223372036854775807, item, case_id, data, hashes, prev, case_prev FROM events WHERE seq = 6`,
			`INSERT INTO events SELECT -3, item, case_id, data, hashes, prev, case_prev FROM events WHERE seq = 7`)
	}})
	single := f.sizes[len(f.sizes)-1] + 1 // one open-ended chunk: a plain scan
	cases = append([]tampering{{name: "clean", do: func(*testing.T, *sql.DB) error { return nil }}}, cases...)
	sem := make(chan struct{}, 2) // two cores
	for i, tm := range cases {
		// Every size on the clean log and the far seqs; two on the others.
		chunks := []int64{7, 100}
		if i == 0 || i == len(cases)-1 {
			chunks = []int64{1, 2, 3, 7, 64, 1000}
		}
		if raceEnabled { // ten times slower: the orderings, not the volume
			chunks = []int64{7}
			if i == 0 || i == len(cases)-1 {
				chunks = []int64{3, 64}
			}
		}
		t.Run(tm.name, func(t *testing.T) {
			t.Parallel()
			sem <- struct{}{}
			defer func() { <-sem }()
			st, ok := tampered(t, f, tm)
			if !ok {
				return
			}
			want := auditChunked(t, f, st, single)
			for _, chunk := range chunks {
				got := auditChunked(t, f, st, chunk)
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("chunks of %d: report differs from a single read:\n%s\n%s", chunk, summary(got), summary(want))
				}
			}
		})
	}
}

func auditChunked(t *testing.T, f *fixture, st *sqlite.Store, chunk int64) *ledger.AuditReport {
	t.Helper()
	rep, err := ledger.AuditChunked(context.Background(), st, f.verifier, domain.DefaultConfig, chunk, 0)
	if err != nil {
		t.Fatalf("audit in chunks of %d: %v", chunk, err)
	}
	rep.State = nil // a pointer to each audit's own replay
	return rep
}

func summary(r *ledger.AuditReport) string {
	s := fmt.Sprintf("OK %v, %d events, %d rows, %d problems", r.OK, r.Events, r.Rows, len(r.Problems))
	for i, p := range r.Problems {
		if i == 5 {
			break
		}
		s += "\n  " + p.Kind + ": " + p.MessageEN
	}
	return s
}
