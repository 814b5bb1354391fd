package witness_test

import (
	"context"
	"crypto/rand"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/transparency/witness"
	"github.com/custodia-ec/custodia/transparency/witness/witnesstest"
)

// inproc is a witness served in this process, with its own SQLite file.
type inproc struct {
	name string
	skey string
	vkey string
	srv  *witness.Server
	http *httptest.Server
}

func startWitness(t testing.TB, name string, logs ...*witnesstest.Log) *inproc {
	t.Helper()
	skey, vkey, err := witness.GenerateKey(rand.Reader, name)
	if err != nil {
		t.Fatal(err)
	}
	cos, err := witness.NewCosigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	var cfg []witness.Log
	for _, l := range logs {
		pl, err := witness.ParseLog(l.VKey())
		if err != nil {
			t.Fatal(err)
		}
		cfg = append(cfg, pl)
	}
	srv, err := witness.NewServer(context.Background(), filepath.Join(t.TempDir(), "witness.db"), witness.Config{Cosigner: cos, Logs: cfg})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { hs.Close(); srv.Close() })
	return &inproc{name: name, skey: skey, vkey: vkey, srv: srv, http: hs}
}

func (w *inproc) config(t testing.TB) witness.Witness {
	t.Helper()
	c, err := witness.NewWitness(w.name, w.http.URL, w.vkey)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newLog(t testing.TB, origin string, n int) *witnesstest.Log {
	t.Helper()
	l, err := witnesstest.NewLog(origin)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.AppendN(n); err != nil {
		t.Fatal(err)
	}
	return l
}

func checkpoint(t testing.TB, l *witnesstest.Log) []byte {
	t.Helper()
	cp, err := l.Checkpoint()
	if err != nil {
		t.Fatal(err)
	}
	return cp
}

func gatherer(t testing.TB, proofs witness.ProofSource, k int, ws ...witness.Witness) *witness.Gatherer {
	t.Helper()
	var names []string
	for _, w := range ws {
		names = append(names, w.Name)
	}
	g, err := witness.NewGatherer(witness.GathererConfig{
		Witnesses: ws,
		Quorum:    witness.Threshold{K: k, Names: names},
		Proofs:    proofs,
	})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func statusOf(c *witness.Cosigned, name string) witness.WitnessStatus {
	for _, s := range c.Statuses {
		if s.Name == name {
			return s
		}
	}
	return witness.WitnessStatus{}
}

func timeNow() time.Time { return time.Now() }
