package sqlite

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/custodia-ec/custodia/casefile"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/custody/fastcodec"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/ledger"
)

// sharedFile opens n ledgers, each on a Store of its own over one SQLite
// file, as a server and the command line beside it do.
func sharedFile(t *testing.T, n int) ([]*ledger.Ledger, []*Store) {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, "custodia.test/sqlite")
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := note.NewSigner(skey)
	verifier, _ := note.NewVerifier(vkey)
	path := filepath.Join(t.TempDir(), "custodia.db")
	var ls []*ledger.Ledger
	var ss []*Store
	for range n {
		s, err := Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		l, err := ledger.Open(context.Background(), s, ledger.Config{Signer: signer, Verifier: verifier, Rules: domain.DefaultConfig})
		if err != nil {
			t.Fatal(err)
		}
		ls, ss = append(ls, l), append(ss, s)
	}
	return ls, ss
}

func agencyRec(id string) ledger.Record {
	return ledger.Record{Op: casefile.OpAgency, Rec: &casefile.Agency{ID: id, Name: "Agencia " + id, Kind: "other"},
		Recorded: custody.Recorded{At: "2024-02-01T12:00:00Z", Account: "sqlitetest"}}
}

func appendOK(t *testing.T, l *ledger.Ledger, recs ...ledger.Record) {
	t.Helper()
	res, _, err := l.Append(context.Background(), recs)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Err != nil {
			t.Fatalf("record %d: %v", i, r.Err)
		}
	}
}

// A server's ledger and the command line's, on one SQLite file: what one
// writes the other reads before its own next write (no fork, no refused
// write), Refresh brings the server up to the file so that its proofs of
// the larger tree verify, both hold one tree, and audit finds nothing.
// Before, a server went on with the log as it had read it at start: its
// proofs failed for the checkpoint the command line had stored.
func TestProcessesShareOneFile(t *testing.T) {
	ctx := context.Background()
	ls, ss := sharedFile(t, 2)
	server, cli := ls[0], ls[1]
	appendOK(t, server, agencyRec("A-1"))
	appendOK(t, cli, agencyRec("A-2"), agencyRec("A-3")) // reads A-1 first
	appendOK(t, server, agencyRec("A-4"))                // reads first
	appendOK(t, cli, agencyRec("A-5"))
	if got := server.Size(); got != 4 {
		t.Fatalf("the server holds %d events before refreshing, want 4", got)
	}
	var seen []*custody.Event
	server.Observe(func(evs []*custody.Event) { seen = append(seen, evs...) })
	if err := server.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if server.Size() != 5 || cli.Size() != 5 || len(seen) != 1 || seen[0].Seq != 4 {
		t.Fatalf("after refresh: server %d, command line %d events; observer saw %d", server.Size(), cli.Size(), len(seen))
	}
	cp, err := server.LatestCheckpoint(ctx)
	if err != nil || cp.Size != 5 {
		t.Fatalf("latest checkpoint %+v, %v", cp, err)
	}
	for seq := range int64(5) {
		p, err := server.InclusionProof(ctx, 5, seq)
		if err != nil {
			t.Fatalf("proof of %d: %v", seq, err)
		}
		evs, err := ss[0].ReadEvents(ctx, []int64{seq})
		if err != nil {
			t.Fatal(err)
		}
		if err := tlog.CheckRecord(p, 5, cp.Root, seq, tlog.RecordHash(evs[0].Data)); err != nil {
			t.Fatalf("event %d does not verify in the command line's checkpoint: %v", seq, err)
		}
	}
	var ids []string
	err = ss[0].ScanEvents(ctx, 0, func(se ledger.StoredEvent) error {
		ev, err := fastcodec.DecodeEvent(se.Data)
		if err != nil {
			return err
		}
		var a casefile.Agency
		if err := json.Unmarshal(ev.Record, &a); err != nil {
			return err
		}
		ids = append(ids, a.ID)
		return nil
	})
	if err != nil || len(ids) != 5 || ids[0] != "A-1" || ids[4] != "A-5" {
		t.Fatalf("the log reads %v (%v)", ids, err)
	}
	rep, err := ledger.Audit(ctx, ss[1], server.Verifier(), domain.DefaultConfig)
	if err != nil || !rep.OK {
		t.Fatalf("audit: %v, %+v", err, rep)
	}
}

// Both processes writing at once: the write lock orders their
// transactions, each reads the other's before appending, and every
// acknowledged record is in the log exactly once.
func TestProcessesWriteOneFileAtOnce(t *testing.T) {
	ctx := context.Background()
	ls, ss := sharedFile(t, 2)
	var wg sync.WaitGroup
	for w, l := range ls {
		wg.Go(func() {
			for i := range 25 {
				res, _, err := l.Append(ctx, []ledger.Record{agencyRec(string(rune('A'+w)) + "-" + time.Duration(i).String())})
				if err != nil || res[0].Err != nil {
					t.Errorf("writer %d, record %d: %v %v", w, i, err, res)
					return
				}
			}
		})
	}
	wg.Wait()
	for _, l := range ls {
		if err := l.Refresh(ctx); err != nil || l.Size() != 50 {
			t.Fatalf("a ledger holds %d events after refresh (%v), want 50", l.Size(), err)
		}
	}
	rep, err := ledger.Audit(ctx, ss[0], ls[0].Verifier(), domain.DefaultConfig)
	if err != nil || !rep.OK {
		t.Fatalf("audit: %v, %+v", err, rep)
	}
}

// WatchLog reports the file's size every poll, so that a server follows
// what the command line writes (deployment.Follow).
func TestWatchLogPolls(t *testing.T) {
	ls, ss := sharedFile(t, 2)
	ctx, cancel := context.WithCancel(context.Background())
	sizes := make(chan int64, 100)
	done := make(chan error, 1)
	go func() { done <- ss[0].WatchLog(ctx, 10*time.Millisecond, func(n int64) { sizes <- n }) }()
	appendOK(t, ls[1], agencyRec("A-1"), agencyRec("A-2"))
	deadline := time.After(10 * time.Second)
	for got := int64(0); got != 2; {
		select {
		case got = <-sizes:
		case <-deadline:
			t.Fatalf("WatchLog never reported the command line's 2 events (last %d)", got)
		}
	}
	cancel()
	if err := <-done; err != context.Canceled {
		t.Fatalf("WatchLog ended with %v, want context.Canceled", err)
	}
}
