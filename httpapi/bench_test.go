package httpapi

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/casefile"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/internal/testkeys"
	"github.com/custodia-ec/custodia/ledger"
)

// openStreams opens n real SSE connections to the operation's board, each
// read by its own goroutine, and returns how many board events they saw and
// a function that closes them.
func openStreams(tb testing.TB, e *testEnv, tok string, n int) (*atomic.Int64, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var seen atomic.Int64
	var wg sync.WaitGroup
	tr := &http.Transport{MaxConnsPerHost: 0, MaxIdleConnsPerHost: n}
	c := &http.Client{Transport: tr}
	for i := 0; i < n; i++ {
		req, _ := http.NewRequestWithContext(ctx, "GET", e.ts.URL+"/api/v1/operations/OP-METASTASIS/events", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := c.Do(req)
		if err != nil {
			tb.Fatalf("stream %d: %v", i, err)
		}
		if resp.StatusCode != 200 {
			tb.Fatalf("stream %d: %d", i, resp.StatusCode)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer resp.Body.Close()
			sc := bufio.NewScanner(resp.Body)
			for sc.Scan() {
				if len(sc.Bytes()) > 6 && string(sc.Bytes()[:6]) == "data: " {
					seen.Add(1)
				}
			}
		}()
	}
	for e.s.Broker.Subscribers() < n {
		time.Sleep(time.Millisecond)
	}
	return &seen, func() { cancel(); wg.Wait(); tr.CloseIdleConnections() }
}

// BenchmarkWritesWithStreams measures board-visible writes (seizures at a
// site, each pushed to every stream) through the HTTP API, with 0 and with
// 1,000 open streams. Compare ns/op of the two.
//
// "seize" writes are board events (worst case: each one is pushed to every
// stream); "transfer" writes, most of an operation's load, are not.
func BenchmarkWritesWithStreams(b *testing.B) {
	for _, kind := range []string{"transfer", "seize", "seize-signed"} {
		for _, streams := range []int{0, 1000} {
			b.Run(fmt.Sprintf("%s/streams=%d", kind, streams), func(b *testing.B) {
				benchStreams(b, newEnv(b), kind, streams)
			})
		}
	}
}

func benchStreams(b *testing.B, e *testEnv, kind string, streams int) {
	e.account("bench", "agent", "pn.s-pic-01.lead", "METASTASIS")
	tok := e.token("bench", "write")
	// A site still open: a concluded one takes no more seizures.
	var recs = []ledger.Record{{Op: casefile.OpSite, Rec: &casefile.Site{ID: "S-PIC-96", Operation: "OP-METASTASIS", Province: "Pichincha", City: "Quito", Kind: "office", Lead: "pn.s-pic-01.lead"}}}
	for i := range 64 {
		recs = append(recs, ledger.Record{Op: custody.OpSeize, Rec: &custody.Seize{ID: fmt.Sprintf("BT-%d", i), Case: "METASTASIS", Type: "phone", Description: "x", SeizedAt: "2024-05-01T10:00:00-05:00", SeizedBy: "pn.s-pic-01.1"}})
	}
	e.append(recs...)
	// Every handover is signed by both parties; "seize-signed" is a seizure
	// by an officer with a key (signed), beside "seize" (no key: unsigned).
	keys := map[string]*testkeys.Key{"pn.s-pic-01.1": testkeys.Ed25519("pn.s-pic-01.1")}
	if kind != "seize" {
		keys["pn.s-pic-01.lead"] = testkeys.Ed25519("pn.s-pic-01.lead")
	}
	for _, k := range keys {
		e.enrol(k)
	}
	seen, closeStreams := openStreams(b, e, tok, streams)
	defer closeStreams()
	var n atomic.Int64
	b.SetParallelism(4)
	b.ResetTimer()
	var workers atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		c := &http.Client{}
		g := workers.Add(1) - 1
		var j int64
		for pb.Next() {
			j++
			i := n.Add(1)
			path := "/api/v1/records"
			body := fmt.Sprintf(`{"op":"evidence.seize","id":"BENCH-%d","case":"METASTASIS","type":"cash","description":"x","seized_at":"2024-05-02T10:00:00-05:00","seized_by":"pn.s-pic-01.lead","site":"S-PIC-96"}`, i)
			if kind == "seize-signed" {
				sz := &custody.Seize{ID: fmt.Sprintf("BENCH-%d", i), Case: "METASTASIS", Type: "cash", Description: "x", SeizedAt: "2024-05-02T10:00:00-05:00", SeizedBy: "pn.s-pic-01.lead", Site: "S-PIC-96"}
				sig, _ := json.Marshal(keys["pn.s-pic-01.lead"].SignAct(custody.RoleBy, custody.OpSeize, sz))
				body = strings.TrimSuffix(body, "}") + `,"sigs":[` + string(sig) + `]}`
			}
			if kind == "transfer" {
				// Each writer moves its own item back and forth.
				item := fmt.Sprintf("BT-%d", g)
				from, to := "pn.s-pic-01.1", "pn.s-pic-01.lead"
				if j%2 == 0 {
					from, to = to, from
				}
				path = "/api/v1/items/" + item + "/transfers"
				tr := &custody.Transfer{Item: item, From: from, To: to, At: time.Date(2024, 5, 2, 0, 0, 0, 0, time.UTC).Add(time.Duration(j) * time.Second).Format(time.RFC3339), Purpose: "storage", SealCondition: "none"}
				body = signedTransfer(tr, keys[from], keys[to])
			}
			req, _ := http.NewRequest("POST", e.ts.URL+path, strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+tok)
			resp, err := c.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			readAll(resp)
			if resp.StatusCode != 201 {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	b.StopTimer()
	if streams > 0 && kind != "transfer" {
		deadline := time.Now().Add(10 * time.Second)
		for seen.Load() < int64(streams)*n.Load()-int64(e.s.Broker.Dropped())*n.Load() && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		b.ReportMetric(float64(seen.Load())/float64(n.Load()), "deliveries/write")
		b.ReportMetric(float64(e.s.Broker.Dropped()), "dropped")
	}
}
