package loadgen

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/custodia-ec/custodia/internal/terminates"
)

// seedResponses adds the responses in testdata/responses (real responses
// of `custodia serve`, a chunked one and two back to back) to f, whole or
// as their bodies.
func seedResponses(f *testing.F, bodies bool) {
	files, err := filepath.Glob(filepath.Join("testdata", "responses", "*.http"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seeds in testdata/responses: %v", err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		if !bodies {
			f.Add(b)
			for _, v := range terminates.Variants(b) {
				f.Add(v)
			}
			continue
		}
		r := bufio.NewReader(bytes.NewReader(b))
		for {
			_, body, _, err := readResponse(r, nil)
			if err != nil {
				break
			}
			f.Add(body)
			for _, v := range terminates.Variants(body) {
				f.Add(v)
			}
		}
	}
}

// FuzzReadResponse: the response parser never panics, never returns more
// than its body limit, and when net/http's parser also accepts the first
// response, both agree on its status and body.
func FuzzReadResponse(f *testing.F) {
	seedResponses(f, false)
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bufio.NewReaderSize(bytes.NewReader(data), 4096)
		var buf []byte
		for i := 0; i < 8; i++ {
			var status int
			var body []byte
			var err error
			terminates.Within(t, data, func() { status, body, _, err = readResponse(r, buf[:0]) })
			if err != nil {
				break
			}
			if status < 200 || status > 999 {
				t.Fatalf("status %d accepted", status)
			}
			if len(body) > maxResponseBody {
				t.Fatalf("body of %d bytes accepted", len(body))
			}
			if i == 0 {
				resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(data)), nil)
				if err == nil {
					want, err := io.ReadAll(resp.Body)
					if err == nil && (resp.StatusCode != status || !bytes.Equal(want, body)) {
						t.Fatalf("got %d %q, net/http reads %d %q", status, body, resp.StatusCode, want)
					}
				}
			}
			buf = body
		}
	})
}

// FuzzTransferSeq: the seq scanner never panics, accepts only valid JSON,
// and returns the top-level "seq" that encoding/json finds.
func FuzzTransferSeq(f *testing.F) {
	seedResponses(f, true)
	f.Add([]byte(`{"a":[{"seq":1},"\u0073",-0.5e+3,true,false,null],"s\u0065q":42}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var seq int64
		var err error
		terminates.Within(t, data, func() { seq, err = transferSeq(data) })
		if err != nil {
			return
		}
		if !json.Valid(data) {
			t.Fatalf("accepted invalid JSON %q (seq %d)", data, seq)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatalf("encoding/json: %v", err)
		}
		want, err := strconv.ParseInt(string(m["seq"]), 10, 64)
		if err != nil || want != seq || seq <= 0 {
			t.Fatalf("seq %d, encoding/json finds %s", seq, m["seq"])
		}
	})
}
