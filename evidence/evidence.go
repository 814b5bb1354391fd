// Package evidence joins the custody log to the bytes of evidence files:
// it checks every file the log references against the blob store and
// records each check in the log (Checker, behind `custodia fsck` and the
// server's scheduled job), and it exports and imports a case together with
// its files (ExportCase, ImportDir).
//
// Which files are checked. An attachment (evidence.attach) always has its
// bytes in the blob store: the server records one only after the file was
// stored and verified, so a missing attachment is an alert. A derived item
// (evidence.derive with a sha256) may name an image kept elsewhere, recorded
// by hash only: it is checked once its blob has been seen, that is when the
// store has it or an earlier blob.check recorded it; from then on its
// disappearance is an alert too.
package evidence

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/evidence/integrity"
	"github.com/custodia-ec/custodia/ledger"
	"github.com/custodia-ec/custodia/storage/blob"
)

// Appender appends records through the deployment's one write path and
// returns each record's result (ledger.Ledger.Append, or the server's group
// committer). It sets who recorded them.
type Appender func(ctx context.Context, recs []ledger.Record) ([]ledger.Result, error)

// LedgerAppender appends straight to a ledger as account, for the CLI.
func LedgerAppender(l *ledger.Ledger, account string, now func() time.Time) Appender {
	return func(ctx context.Context, recs []ledger.Record) ([]ledger.Result, error) {
		at := now().UTC().Format(time.RFC3339Nano)
		for i := range recs {
			recs[i].Recorded = custody.Recorded{At: at, Account: account}
		}
		res, _, err := l.Append(ctx, recs)
		return res, err
	}
}

// Checker re-hashes the files a log references and records every result as
// a blob.check event.
type Checker struct {
	Ledger *ledger.Ledger // the state to read the references from
	Store  blob.Store
	Append Appender
	// BytesPerSecond caps the read rate (0: none), so that a background
	// check does not starve the server of I/O.
	BytesPerSecond int64
}

// Check is one recorded check of one file of an item.
type Check struct {
	domain.BlobCheck
	Name string `json:"name,omitempty"`
	Kind string `json:"kind"` // attachment or derived
	Seq  int64  `json:"seq"`  // the blob.check event
}

// Summary is what a run did.
type Summary struct {
	Files      int     `json:"files"`      // checked and recorded
	Problems   int     `json:"problems"`   // of them, missing or changed
	Unreadable int     `json:"unreadable"` // could not be read (not recorded; retry)
	Bytes      int64   `json:"bytes"`      // read
	Checks     []Check `json:"checks"`
	// Orphans are stored blobs that no event of the log references (a run
	// over every case only): bytes of an upload that was refused, or put
	// in the store behind the system's back. They prove nothing and are
	// reported, not recorded; the store never deletes (see package blob).
	Orphans []Orphan `json:"orphans"`
}

// An Orphan is a stored blob no event references.
type Orphan struct {
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// Orphans lists the stored blobs that no event of the log references, in
// key order.
func Orphans(ctx context.Context, l *ledger.Ledger, store blob.Store) ([]Orphan, error) {
	known := map[string]bool{}
	l.View(func(st *domain.State) error {
		for _, r := range st.Files("") {
			known[r.SHA256] = true
		}
		return nil
	})
	out := []Orphan{}
	err := store.List(ctx, func(key string, size int64) error {
		if !known[key] {
			out = append(out, Orphan{SHA256: key, Size: size})
		}
		return ctx.Err()
	})
	return out, err
}

// OK reports whether every file was found intact.
func (s *Summary) OK() bool { return s.Problems == 0 && s.Unreadable == 0 }

// Expected returns the files of a case ("" for all) whose bytes should be
// in the store: every attachment, and every derived image already seen
// (see the package doc). seen reports whether the store has a key now.
func Expected(ctx context.Context, l *ledger.Ledger, store blob.Store, caseID string) ([]domain.FileRef, error) {
	var refs []domain.FileRef
	var checked map[[2]string]bool
	err := l.View(func(st *domain.State) error {
		if caseID != "" {
			if _, ok := st.Cases[caseID]; !ok {
				return custody.Errorf(custody.ENotFound, "case", "el caso %q no existe", "case %q does not exist", caseID)
			}
		}
		refs = st.Files(caseID)
		checked = map[[2]string]bool{}
		for _, r := range refs {
			if st.BlobCheckOf(r.Item, r.SHA256) != nil {
				checked[[2]string{r.Item, r.SHA256}] = true
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := refs[:0]
	for _, r := range refs {
		if r.Kind == "derived" && !checked[[2]string{r.Item, r.SHA256}] {
			if _, err := store.Stat(ctx, r.SHA256); errors.Is(err, blob.ErrNotFound) {
				continue // recorded by hash only: its bytes were never here
			} else if err != nil {
				return nil, err
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// Run checks the expected files of a case ("" for every case), records one
// blob.check per file, and calls report (if not nil) after each. It goes on
// after a bad file; it stops on ctx, on a failed append, or on report's
// error.
func (c *Checker) Run(ctx context.Context, caseID string, report func(Check) error) (*Summary, error) {
	refs, err := Expected(ctx, c.Ledger, c.Store, caseID)
	if err != nil {
		return nil, err
	}
	// One read per blob, however many items name it.
	byKey := map[string][]domain.FileRef{}
	var keys []string
	for _, r := range refs {
		if byKey[r.SHA256] == nil {
			keys = append(keys, r.SHA256)
		}
		byKey[r.SHA256] = append(byKey[r.SHA256], r)
	}
	seq := iter.Seq2[string, int64](func(yield func(string, int64) bool) {
		for _, k := range keys {
			if !yield(k, byKey[k][0].Size) {
				return
			}
		}
	})
	sum := &Summary{Checks: []Check{}, Orphans: []Orphan{}}
	sc := integrity.Scanner{Store: c.Store, BytesPerSecond: c.BytesPerSecond}
	_, err = sc.Scan(ctx, seq, func(res integrity.CheckResult) error {
		if res.Problem == integrity.Unreadable {
			sum.Unreadable++
			return nil
		}
		if res.GotSize > 0 {
			sum.Bytes += res.GotSize
		}
		var recs []ledger.Record
		var checks []Check
		for _, r := range byKey[res.Key] {
			bc := domain.BlobCheck{SHA256: res.Key, Item: r.Item, Result: result(res)}
			if !res.OK && res.GotSHA256 != "" {
				bc.GotSHA256 = res.GotSHA256
			}
			if res.GotSize >= 0 && !res.OK {
				n := res.GotSize
				bc.GotSize = &n
			}
			recs = append(recs, ledger.Record{Op: domain.OpBlobCheck, Rec: &bc})
			checks = append(checks, Check{BlobCheck: bc, Name: r.Name, Kind: r.Kind})
		}
		out, err := c.Append(ctx, recs)
		if err != nil {
			return err
		}
		for i, o := range out {
			if o.Err != nil {
				return fmt.Errorf("blob.check %s %s: %w", checks[i].Item, checks[i].SHA256, o.Err)
			}
			checks[i].Seq = o.Event.Seq
			sum.Files++
			if checks[i].Result != domain.BlobOK {
				sum.Problems++
			}
			sum.Checks = append(sum.Checks, checks[i])
			if report != nil {
				if err := report(checks[i]); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err == nil && caseID == "" {
		sum.Orphans, err = Orphans(ctx, c.Ledger, c.Store)
	}
	return sum, err
}

func result(r integrity.CheckResult) string {
	switch r.Problem {
	case integrity.Missing:
		return domain.BlobMissing
	case integrity.Mismatch:
		return domain.BlobMismatch
	case integrity.Size:
		return domain.BlobSize
	}
	return domain.BlobOK
}

// Alerts returns the latest checks of a case ("" for all) that found a file
// missing or changed.
func Alerts(l *ledger.Ledger, caseID string) []domain.BlobCheckState {
	var out []domain.BlobCheckState
	l.View(func(st *domain.State) error {
		for _, a := range st.BlobAlerts(caseID) {
			out = append(out, *a)
		}
		return nil
	})
	return out
}

// Describe says in Spanish and English what an alert means.
func Describe(a domain.BlobCheck) (es, en string) {
	switch a.Result {
	case domain.BlobMissing:
		return fmt.Sprintf("evidencia %s: falta el archivo sha256 %s", a.Item, a.SHA256),
			fmt.Sprintf("item %s: file sha256 %s is missing", a.Item, a.SHA256)
	case domain.BlobMismatch:
		return fmt.Sprintf("evidencia %s: el archivo sha256 %s cambió (ahora sha256 %s)", a.Item, a.SHA256, a.GotSHA256),
			fmt.Sprintf("item %s: file sha256 %s was changed (now sha256 %s)", a.Item, a.SHA256, a.GotSHA256)
	case domain.BlobSize:
		got := int64(-1)
		if a.GotSize != nil {
			got = *a.GotSize
		}
		return fmt.Sprintf("evidencia %s: el archivo sha256 %s cambió de tamaño (ahora %d bytes)", a.Item, a.SHA256, got),
			fmt.Sprintf("item %s: file sha256 %s changed size (now %d bytes)", a.Item, a.SHA256, got)
	}
	return fmt.Sprintf("evidencia %s: archivo sha256 %s correcto", a.Item, a.SHA256), fmt.Sprintf("item %s: file sha256 %s OK", a.Item, a.SHA256)
}
