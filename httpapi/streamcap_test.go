package httpapi

import (
	"io"
	"net/http"
	"testing"
	"time"
)

// One read-only token held 800 live boards of an operation open at once
// (800 connections, goroutines and file descriptors, each stream also an
// access.read): nothing bounded them. An account may hold
// maxStreamsPerAccount; the next is refused (429) until one closes, and
// other accounts are not affected.
func TestLiveBoardsPerAccountAreBounded(t *testing.T) {
	e := newEnv(t)
	e.account("fiscal", "prosecutor", "fge.salazar", "METASTASIS")
	e.account("auditora", "auditor", "", "METASTASIS")
	tok := e.token("fiscal", "read")
	open := func(token string) *http.Response {
		t.Helper()
		req, err := http.NewRequest("GET", e.ts.URL+"/api/v1/operations/OP-METASTASIS/events", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := (&http.Client{Timeout: 20 * time.Second}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	var held []*http.Response
	defer func() {
		for _, r := range held {
			r.Body.Close()
		}
	}()
	for i := 0; i < maxStreamsPerAccount; i++ {
		r := open(tok)
		held = append(held, r)
		if r.StatusCode != 200 {
			t.Fatalf("stream %d: %d", i+1, r.StatusCode)
		}
	}
	r := open(tok)
	b, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if r.StatusCode != 429 || decodeErr(t, b).Code != "rate_limited" {
		t.Fatalf("stream %d of one account: %d %s, want 429", maxStreamsPerAccount+1, r.StatusCode, b)
	}
	if other := open(e.token("auditora", "read")); other.StatusCode != 200 {
		t.Errorf("another account's stream: %d, want 200", other.StatusCode)
	} else {
		held = append(held, other)
	}
	// Closing one frees its slot (the server notices the closed
	// connection and ends the stream).
	held[0].Body.Close()
	held = held[1:]
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := open(tok)
		if r.StatusCode == 200 {
			held = append(held, r)
			break
		}
		r.Body.Close()
		if time.Now().After(deadline) {
			t.Fatalf("a closed stream's slot was not freed: %d", r.StatusCode)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
