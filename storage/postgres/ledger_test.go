package postgres

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
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
	"github.com/custodia-ec/custodia/storage/postgres/pgtest"
)

// logKey is one log's key, which every server of a deployment holds.
type logKey struct {
	signer   note.Signer
	verifier note.Verifier
}

func newLogKey(t *testing.T) logKey {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, "custodia.test/shared")
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return logKey{s, v}
}

// server opens a ledger on a Store of its own over dsn: one server of the
// deployment.
func (k logKey) server(t *testing.T, dsn string) (*ledger.Ledger, *Store) {
	t.Helper()
	s := openDSN(t, dsn)
	l, err := ledger.Open(context.Background(), s, ledger.Config{Signer: k.signer, Verifier: k.verifier, Rules: domain.DefaultConfig})
	if err != nil {
		t.Fatal(err)
	}
	return l, s
}

func agency(id string) ledger.Record {
	return ledger.Record{Op: casefile.OpAgency, Rec: &casefile.Agency{ID: id, Name: "Agencia " + id, Kind: "other"},
		Recorded: custody.Recorded{At: "2024-02-01T12:00:00Z", Account: "pgtest"}}
}

func mustAppend(t *testing.T, l *ledger.Ledger, recs ...ledger.Record) *ledger.Checkpoint {
	t.Helper()
	res, cp, err := l.Append(context.Background(), recs)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Err != nil {
			t.Fatalf("record %d: %v", i, r.Err)
		}
	}
	return cp
}

func mustAudit(t *testing.T, s ledger.Store, v note.Verifier) *ledger.AuditReport {
	t.Helper()
	rep, err := ledger.Audit(context.Background(), s, v, domain.DefaultConfig)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK {
		t.Fatalf("audit found problems: %+v", rep.Problems)
	}
	return rep
}

// agencyIDs reads the log back: the agency id of each event, by seq.
func agencyIDs(t *testing.T, s *Store) []string {
	t.Helper()
	var ids []string
	err := s.ScanEvents(context.Background(), 0, func(se ledger.StoredEvent) error {
		if se.Seq != int64(len(ids)) {
			return fmt.Errorf("event %d where %d belongs", se.Seq, len(ids))
		}
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
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// Three servers append to one log at once, each through its own ledger
// and connections: every acknowledged record is in the log exactly once,
// with consecutive seqs; every transaction ends in a checkpoint signed
// after its commit (audit checks them all, and every row); after a
// refresh the three hold the same tree; and each server's observer saw
// exactly the events the others committed.
func TestLedgersShareOneLog(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	key := newLogKey(t)
	const servers, writers, each = 3, 3, 12
	type server struct {
		l        *ledger.Ledger
		s        *Store
		mu       sync.Mutex
		own      map[int64]bool
		observed map[int64]int
	}
	var srv [servers]*server
	for i := range srv {
		l, s := key.server(t, dsn)
		sv := &server{l: l, s: s, own: map[int64]bool{}, observed: map[int64]int{}}
		l.Observe(func(evs []*custody.Event) {
			sv.mu.Lock()
			defer sv.mu.Unlock()
			for _, ev := range evs {
				sv.observed[ev.Seq]++
			}
		})
		srv[i] = sv
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	acked := map[string]int64{}
	errs := make(chan error, servers*writers*each)
	for i, sv := range srv {
		for w := range writers {
			wg.Go(func() {
				for n := range each {
					id := fmt.Sprintf("S%d-W%d-%d", i, w, n)
					res, _, err := sv.l.Append(ctx, []ledger.Record{agency(id)})
					if err == nil {
						err = res[0].Err
					}
					if err != nil {
						errs <- fmt.Errorf("%s: %w", id, err)
						continue
					}
					sv.mu.Lock()
					sv.own[res[0].Event.Seq] = true
					sv.mu.Unlock()
					mu.Lock()
					acked[id] = res[0].Event.Seq
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	const total = servers * writers * each
	ids := agencyIDs(t, srv[0].s)
	if len(ids) != total || len(acked) != total {
		t.Fatalf("the log holds %d events, %d were acknowledged; want %d of each", len(ids), len(acked), total)
	}
	seen := map[string]bool{}
	for seq, id := range ids {
		if seen[id] {
			t.Fatalf("%s is in the log twice", id)
		}
		seen[id] = true
		if acked[id] != int64(seq) {
			t.Fatalf("%s acknowledged as event %d, stored as %d", id, acked[id], seq)
		}
	}
	rep := mustAudit(t, srv[1].s, key.verifier)
	if rep.Events != total {
		t.Fatalf("audit read %d events, want %d", rep.Events, total)
	}
	var root tlog.Hash
	for i, sv := range srv {
		if err := sv.l.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		if sv.l.Size() != total {
			t.Fatalf("server %d holds %d events after a refresh, want %d", i, sv.l.Size(), total)
		}
		r, err := tlog.TreeHash(total, sv.l.HashReader(ctx))
		if err != nil {
			t.Fatal(err)
		}
		if i > 0 && r != root {
			t.Fatalf("server %d's tree has another root", i)
		}
		root = r
		cp, err := sv.l.LatestCheckpoint(ctx)
		if err != nil || cp.Size != total || cp.Root != root {
			t.Fatalf("server %d: latest checkpoint %+v, %v; want size %d with the tree's root", i, cp, err, total)
		}
		sv.mu.Lock()
		for seq := range int64(total) {
			n := sv.observed[seq]
			switch {
			case sv.own[seq] && n != 0:
				t.Errorf("server %d observed its own event %d", i, seq)
			case !sv.own[seq] && n != 1:
				t.Errorf("server %d observed event %d %d times, want once", i, seq, n)
			}
		}
		sv.mu.Unlock()
	}
}

// A server that dies between its commit and its checkpoint leaves a
// transaction without one; the next server to read the transaction signs
// it, and so does a server that loads the log from the start. The roots are
// the tree's, and the audit is clean.
func TestMissingCheckpointSignedByTheNextServer(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	key := newLogKey(t)
	a, sa := key.server(t, dsn)
	b, _ := key.server(t, dsn)
	mustAppend(t, a, agency("A1"))
	want := mustAppend(t, a, agency("A2"), agency("A3"))
	dropCheckpoint := func() {
		t.Helper()
		tag, err := sa.pool.Exec(ctx, `DELETE FROM checkpoints WHERE size = $1`, want.Size)
		if err != nil || tag.RowsAffected() != 1 {
			t.Fatalf("deleting checkpoint %d: %v, %d rows", want.Size, err, tag.RowsAffected())
		}
		if miss, err := sa.MissingCheckpoints(ctx, []int64{1, want.Size}); err != nil || len(miss) != 1 || miss[0] != want.Size {
			t.Fatalf("MissingCheckpoints = %v, %v; want [%d]", miss, err, want.Size)
		}
	}
	check := func(who string) {
		t.Helper()
		cps, err := sa.Checkpoints(ctx)
		if err != nil {
			t.Fatal(err)
		}
		last := cps[len(cps)-1]
		if last.Size != want.Size || last.Root != want.Root || string(last.Note) != string(want.Note) {
			t.Fatalf("after %s: the newest checkpoint is %d (root %x), want the one server A signed", who, last.Size, last.Root)
		}
		mustAudit(t, sa, key.verifier)
	}
	dropCheckpoint()
	if rep, err := ledger.Audit(ctx, sa, key.verifier, domain.DefaultConfig); err != nil || rep.OK {
		t.Fatalf("audit with a transaction's checkpoint missing: %v, ok=%v; want a problem", err, rep != nil && rep.OK)
	}
	if err := b.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	check("server B read the transaction")

	dropCheckpoint()
	key.server(t, dsn) // a third server starting: it loads the whole log
	check("server C loaded the log")

	// A write signs it too, in the catch-up before its append.
	mustAppend(t, a, agency("A4"))
	if tag, err := sa.pool.Exec(ctx, `DELETE FROM checkpoints WHERE size = 4`); err != nil || tag.RowsAffected() != 1 {
		t.Fatalf("deleting checkpoint 4: %v", err)
	}
	mustAppend(t, b, agency("B1"))
	if rep := mustAudit(t, sa, key.verifier); rep.Events != 5 {
		t.Fatalf("audit read %d events, want 5", rep.Events)
	}
}

// Two roots for one size are a fork: a server whose commit makes a tree of
// a size for which the database holds a checkpoint with another root
// stops writing, and says why.
func TestForkHaltsWrites(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	key := newLogKey(t)
	a, sa := key.server(t, dsn)
	mustAppend(t, a, agency("A1"))
	// A checkpoint of size 2 signed with the log's key for another tree,
	// as a server holding another history would have stored it.
	var other tlog.Hash
	other[0] = 1
	forged, err := note.Sign(&note.Note{Text: fmt.Sprintf("custodia.test/shared\n2\n%s\n", other)}, key.signer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sa.PutCheckpoint(ctx, ledger.Checkpoint{Size: 2, Root: other, Note: forged}); err != nil {
		t.Fatal(err)
	}
	_, _, err = a.Append(ctx, []ledger.Record{agency("A2")})
	var ce *custody.Error
	if !errors.As(err, &ce) || ce.Code != custody.ETampered {
		t.Fatalf("Append whose tree forks from a stored checkpoint: %v, want an integrity error", err)
	}
	if a.Halted() == nil {
		t.Fatal("the server still writes after a fork")
	}
	if _, _, err := a.Append(ctx, []ledger.Record{agency("A3")}); err == nil {
		t.Fatal("a halted server appended")
	}
	if n, _ := sa.Size(ctx); n != 2 {
		t.Fatalf("the log holds %d events, want 2 (nothing after the halt)", n)
	}
}

// A database that lost or replaced committed events (restored, or a
// replica promoted before it had every commit) no longer holds the events a
// server wrote: the server refuses to write on, instead of continuing
// another history.
func TestLostCommitsHaltWrites(t *testing.T) {
	for _, tc := range []struct {
		name    string
		replace bool // another server writes other events in their place
	}{{"rolled back", false}, {"replaced", true}} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			dsn := pgtest.NewDatabase(t)
			key := newLogKey(t)
			a, sa := key.server(t, dsn)
			mustAppend(t, a, agency("A1"))
			mustAppend(t, a, agency("A2"))
			for _, q := range []string{`DELETE FROM events WHERE seq = 1`, `DELETE FROM checkpoints WHERE size = 2`, `DELETE FROM agencies WHERE id = 'A2'`} {
				if _, err := sa.pool.Exec(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
			if tc.replace {
				other, _ := key.server(t, dsn)
				mustAppend(t, other, agency("X2"))
			}
			_, _, err := a.Append(ctx, []ledger.Record{agency("A3")})
			var ce *custody.Error
			if !errors.As(err, &ce) || ce.Code != custody.ETampered {
				t.Fatalf("Append after the database lost committed events: %v, want an integrity error", err)
			}
			if a.Halted() == nil {
				t.Fatal("the server still writes")
			}
			if ids := agencyIDs(t, sa); len(ids) != map[bool]int{false: 1, true: 2}[tc.replace] {
				t.Fatalf("the log holds %v: the halted server wrote", ids)
			}
		})
	}
}

// WatchLog calls back when another server commits, and again after its
// connection was cut and it listens anew; it ends with its context.
func TestWatchLog(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dsn := pgtest.NewDatabase(t)
	key := newLogKey(t)
	_, watcher := key.server(t, dsn)
	w, sw := key.server(t, dsn)
	got := make(chan int64, 16)
	done := make(chan error, 1)
	go func() { done <- watcher.WatchLog(ctx, 0, func(n int64) { got <- n }) }()
	next := func(what string) int64 {
		t.Helper()
		select {
		case n := <-got:
			return n
		case <-time.After(10 * time.Second):
			t.Fatalf("no call after %s", what)
		}
		return 0
	}
	// Wait for the LISTEN: a commit before it is not announced to it.
	waitListening := func() int {
		t.Helper()
		for range 100 {
			var pid int
			err := sw.pool.QueryRow(ctx, `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'`).Scan(&pid)
			if err == nil {
				return pid
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatal("the watcher never listened")
		return 0
	}
	pid := waitListening()
	mustAppend(t, w, agency("W1"), agency("W2"))
	if n := next("a commit"); n != 2 {
		t.Fatalf("announced size %d, want 2", n)
	}
	if _, err := sw.pool.Exec(ctx, `SELECT pg_terminate_backend($1)`, pid); err != nil {
		t.Fatal(err)
	}
	if n := next("the connection was cut"); n != -1 {
		t.Fatalf("after a reconnection: %d, want -1 (size unknown)", n)
	}
	waitListening()
	mustAppend(t, w, agency("W3"))
	if n := next("a commit after the reconnection"); n != 3 {
		t.Fatalf("announced size %d, want 3", n)
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("WatchLog ended with %v, want its context's error", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("WatchLog did not end with its context")
	}
}

// A server asked for a proof in a tree larger than it holds (the client
// has its checkpoint from another server) reads the other's commits first.
func TestProofOfATreeAnotherServerGrew(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	key := newLogKey(t)
	a, _ := key.server(t, dsn)
	b, _ := key.server(t, dsn)
	mustAppend(t, a, agency("A1"), agency("A2"))
	cp := mustAppend(t, a, agency("A3"))
	if b.Size() != 0 {
		t.Fatalf("server B holds %d events before it read any", b.Size())
	}
	p, err := b.InclusionProof(ctx, cp.Size, 2)
	if err != nil {
		t.Fatalf("server B's proof in server A's tree: %v", err)
	}
	evs, err := a.HashReader(ctx).ReadHashes([]int64{tlog.StoredHashIndex(0, 2)})
	if err != nil {
		t.Fatal(err)
	}
	if err := tlog.CheckRecord(p, cp.Size, cp.Root, 2, evs[0]); err != nil {
		t.Fatal(err)
	}
	if b.Size() != cp.Size {
		t.Fatalf("server B holds %d events after the proof, want %d", b.Size(), cp.Size)
	}
	if _, err := b.ConsistencyProof(ctx, 1, cp.Size+1); err == nil {
		t.Fatal("a consistency proof to a size no server has")
	}
}

// A server that reads more events from the others than it keeps for its
// observer (a large import elsewhere) tells the observer so, with nil,
// instead of holding them all; smaller batches come whole, in order.
func TestObserverOverflow(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	key := newLogKey(t)
	a, _ := key.server(t, dsn)
	b, _ := key.server(t, dsn)
	var calls [][]*custody.Event
	b.Observe(func(evs []*custody.Event) { calls = append(calls, evs) })
	mustAppend(t, a, agency("A1"), agency("A2"))
	if err := b.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if len(calls) != 1 || len(calls[0]) != 2 || calls[0][0].Seq != 0 || calls[0][1].Seq != 1 {
		t.Fatalf("observer calls after two events: %v", calls)
	}
	var many []ledger.Record
	for i := range 16400 {
		many = append(many, agency(fmt.Sprintf("M%05d", i)))
	}
	mustAppend(t, a, many...)
	if err := b.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if len(calls) != 2 || calls[1] != nil {
		t.Fatalf("after %d events at once: observer got %d calls, the last with %d events; want nil", len(many), len(calls), len(calls[len(calls)-1]))
	}
	if b.Size() != a.Size() {
		t.Fatalf("server B holds %d events, A %d", b.Size(), a.Size())
	}
	mustAppend(t, a, agency("A3"))
	if err := b.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if len(calls) != 3 || len(calls[2]) != 1 {
		t.Fatalf("after the overflow, one more event: %d calls", len(calls))
	}
}

// A snapshot shows one moment of the database to every read, on any
// connection, while servers go on writing; an audit of it is clean. One
// taken while the newest transaction has no checkpoint yet waits for it
// (up to its limit).
func TestSnapshotSeesOneMoment(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	key := newLogKey(t)
	a, sa := key.server(t, dsn)
	mustAppend(t, a, agency("A1"), agency("A2"))
	mustAppend(t, a, agency("A3"))
	snap, err := sa.Snapshot(ctx, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Close()
	for i := range 5 {
		mustAppend(t, a, agency(fmt.Sprintf("B%d", i)))
	}
	if n, err := snap.Size(ctx); err != nil || n != 3 {
		t.Fatalf("the snapshot's size after more writes: %d, %v; want 3", n, err)
	}
	cps, err := snap.Checkpoints(ctx)
	if err != nil || len(cps) != 2 {
		t.Fatalf("the snapshot's checkpoints: %d, %v; want 2", len(cps), err)
	}
	tab, _ := domain.TableByName(domain.TAgencies)
	rows := 0
	if err := snap.ScanRows(ctx, tab, func(domain.Row) error { rows++; return nil }); err != nil || rows != 3 {
		t.Fatalf("the snapshot's agencies: %d, %v; want 3", rows, err)
	}
	rep := mustAudit(t, snap, key.verifier)
	if rep.Events != 3 {
		t.Fatalf("audit of the snapshot read %d events, want 3", rep.Events)
	}
	if _, err := snap.Begin(ctx); err == nil {
		t.Fatal("a snapshot began a write")
	}
	if n, _ := sa.Size(ctx); n != 8 {
		t.Fatalf("the database holds %d events, want 8", n)
	}

	// The newest transaction without its checkpoint, as between a commit
	// and its checkpoint: the snapshot waits for one, up to its limit.
	if _, err := sa.pool.Exec(ctx, `DELETE FROM checkpoints WHERE size = 8`); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	late, err := sa.Snapshot(ctx, 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	late.Close()
	if time.Since(start) < 200*time.Millisecond {
		t.Fatalf("a snapshot of a transaction without its checkpoint came after %v, without waiting", time.Since(start))
	}
}
