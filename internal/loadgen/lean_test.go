package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestReadResponse(t *testing.T) {
	const ok201 = "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n{\"seq\":12}"
	tests := []struct {
		name      string
		in        string
		status    int
		body      string
		closeConn bool
		err       string // a part of the error; "" for none
		eof       bool   // the error is io.ErrUnexpectedEOF
	}{
		{name: "content-length", in: ok201, status: 201, body: `{"seq":12}`},
		{name: "header case and blanks", in: "HTTP/1.1 200 OK\r\ncontent-LENGTH:   2  \r\n\r\nhi", status: 200, body: "hi"},
		{name: "bare LF", in: "HTTP/1.1 200 OK\nContent-Length: 2\n\nhi", status: 200, body: "hi"},
		{name: "no reason phrase", in: "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", status: 200},
		{name: "connection close", in: "HTTP/1.1 400 Bad Request\r\nConnection: keep-alive, Close\r\nContent-Length: 2\r\n\r\n{}", status: 400, body: "{}", closeConn: true},
		{name: "HTTP/1.0 closes", in: "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi", status: 200, body: "hi", closeConn: true},
		{name: "same length twice", in: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nhi", status: 200, body: "hi"},
		{name: "204 without length", in: "HTTP/1.1 204 No Content\r\n\r\n", status: 204},
		{name: "chunked", in: "HTTP/1.1 201 Created\r\nTransfer-Encoding: Chunked\r\n\r\n4;ext=1\r\n{\"se\r\na\r\nq\":123456}\r\n0\r\nX-Trailer: 1\r\n\r\n", status: 201, body: `{"seq":123456}`},
		{name: "chunked hex upper", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n", status: 200, body: "0123456789"},

		{name: "malformed status line", in: "HTTP/1.1 2x1 Created\r\nContent-Length: 0\r\n\r\n", err: "status line"},
		{name: "not HTTP", in: "SSH-2.0-OpenSSH\r\n\r\n", err: "does not start with HTTP/1.1"},
		{name: "HTTP/2 preface", in: "HTTP/2 200\r\n\r\n", err: "does not start with HTTP/1.1"},
		{name: "status glued to reason", in: "HTTP/1.1 2000 OK\r\n\r\n", err: "status is not 3 digits"},
		{name: "short status", in: "HTTP/1.1 20\r\n\r\n", err: "status is not 3 digits"},
		{name: "status under 100", in: "HTTP/1.1 099 X\r\n\r\n", err: "status out of range"},
		{name: "informational", in: "HTTP/1.1 100 Continue\r\n\r\n", err: "informational"},
		{name: "no length", in: "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nhi", err: "no Content-Length"},
		{name: "bad length", in: "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", err: "non-numeric Content-Length"},
		{name: "empty length", in: "HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n", err: "empty Content-Length"},
		{name: "huge length", in: "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n", err: "over"},
		{name: "two lengths", in: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nhi!", err: "two different Content-Length"},
		{name: "length and chunked", in: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n", err: "both Content-Length and Transfer-Encoding"},
		{name: "chunked in HTTP/1.0", in: "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", err: "Transfer-Encoding in an HTTP/1.0 response"},
		{name: "gzip encoding", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", err: "unsupported Transfer-Encoding"},
		{name: "header without colon", in: "HTTP/1.1 200 OK\r\nContent-Length 2\r\n\r\nhi", err: "without a name and colon"},
		{name: "blank before colon", in: "HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nhi", err: "invalid header name"},
		{name: "folded header", in: "HTTP/1.1 200 OK\r\nX: a\r\n b\r\nContent-Length: 0\r\n\r\n", err: "without a name and colon"},
		{name: "bad chunk size", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", err: "non-hex chunk size"},
		{name: "empty chunk size", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n;x\r\n", err: "missing chunk size"},
		{name: "chunk without CRLF", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhiX\r\n0\r\n\r\n", err: "missing CRLF after chunk data"},
		{name: "huge chunk", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\n", err: "chunk over"},
		{name: "long header line", in: "HTTP/1.1 200 OK\r\nX: " + strings.Repeat("a", 5000) + "\r\n\r\n", err: "line too long"},

		{name: "truncated body", in: "HTTP/1.1 201 Created\r\nContent-Length: 10\r\n\r\n{\"seq\"", err: "truncated body", eof: true},
		{name: "truncated headers", in: "HTTP/1.1 201 Created\r\nContent-Len", eof: true},
		{name: "truncated after status", in: "HTTP/1.1 201 Created\r\n", eof: true},
		{name: "truncated chunk", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", err: "truncated body", eof: true},
		{name: "truncated before last chunk", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n", eof: true},
		{name: "truncated trailers", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n", eof: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := bufio.NewReaderSize(strings.NewReader(tt.in), 4096)
			status, body, closeConn, err := readResponse(r, nil)
			if tt.err == "" && !tt.eof {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				if status != tt.status || string(body) != tt.body || closeConn != tt.closeConn {
					t.Errorf("got %d %q close=%v, want %d %q close=%v", status, body, closeConn, tt.status, tt.body, tt.closeConn)
				}
				if _, err := r.ReadByte(); err != io.EOF {
					t.Errorf("the response was not read to its end")
				}
				return
			}
			if err == nil {
				t.Fatalf("no error; got %d %q", status, body)
			}
			if !strings.Contains(err.Error(), tt.err) {
				t.Errorf("err = %v, want it to say %q", err, tt.err)
			}
			if got := errors.Is(err, io.ErrUnexpectedEOF); got != tt.eof {
				t.Errorf("errors.Is(err, io.ErrUnexpectedEOF) = %v, want %v (err %v)", got, tt.eof, err)
			}
			var re *ResponseError
			if !tt.eof && (!errors.As(err, &re) || !strings.HasPrefix(err.Error(), "respuesta HTTP no válida")) {
				t.Errorf("err = %v, want a ResponseError in Spanish then English", err)
			}
		})
	}
}

// TestReadResponseEOF: a stream that ends between responses is a plain
// io.EOF (the server closed an idle connection), not a broken response.
func TestReadResponseEOF(t *testing.T) {
	_, _, _, err := readResponse(bufio.NewReader(strings.NewReader("")), nil)
	if err != io.EOF {
		t.Errorf("err = %v, want io.EOF", err)
	}
}

// TestReadResponseReusesBuffer: keep-alive responses are read back to back
// into the same buffer, which grows once.
func TestReadResponseReusesBuffer(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "responses", "two-keepalive.http"))
	if err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(strings.NewReader(string(b)))
	buf := make([]byte, 0, 64)
	for _, want := range []string{`{"seq":12}`, `{"seq":13}`} {
		status, body, closeConn, err := readResponse(r, buf[:0])
		if err != nil || status != 201 || closeConn || string(body) != want {
			t.Fatalf("got %d %q %v %v, want 201 %q", status, body, closeConn, err, want)
		}
		if &body[0] != &buf[:1][0] {
			t.Errorf("the body did not reuse the buffer")
		}
	}
	in := bytes.NewReader(b)
	allocs := testing.AllocsPerRun(100, func() {
		in.Reset(b)
		r.Reset(in)
		for range 2 {
			if _, _, _, err := readResponse(r, buf[:0]); err != nil {
				t.Fatal(err)
			}
		}
	})
	if allocs != 0 {
		t.Errorf("%.0f allocations to read two responses, want none", allocs)
	}
}

func TestTransferSeq(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		err  string
	}{
		{in: `{"seq":10,"op":"custody.transfer","recorded_at":"2026-11-27T04:32:14.32311473Z"}`, want: 10},
		{in: ` { "op" : "x" , "nested" : {"seq": -1, "a": [1, 2.5e3, true, null, {"seq":"x"}]}, "seq" : 987654321 } `, want: 987654321},
		{in: `{"s\u0065q":7}`, want: 7},
		{in: `{"note":"say \"seq\":3","seq":4}`, want: 4},
		{in: `{}`, err: `has no "seq"`},
		{in: `{"Seq":5}`, err: `has no "seq"`},
		{in: `{"seq":0}`, err: "not a positive integer"},
		{in: `{"seq":-3}`, err: "not a positive integer"},
		{in: `{"seq":1.5}`, err: "not a positive integer"},
		{in: `{"seq":1e3}`, err: "not a positive integer"},
		{in: `{"seq":12345678901234567890}`, err: "not a positive integer"},
		{in: `{"seq":"5"}`, err: `"seq" is not a number`},
		{in: `{"seq":05}`, err: "leading zero"},
		{in: `{"seq":5,"seq":6}`, err: `"seq" twice`},
		{in: `{"seq":5`, err: "expected ',' or '}'"},
		{in: `{"seq":5}x`, err: "data after the JSON object"},
		{in: `[{"seq":5}]`, err: "expected an object"},
		{in: `{"a":[1,}`, err: "invalid value"},
		{in: `{"a":"x` + "\n" + `"}`, err: "control character"},
		{in: `{"a":"\q","seq":1}`, err: "invalid escape"},
		{in: `{"a":"\u12","seq":1}`, err: `invalid \u escape`},
		{in: `{"a":tru,"seq":1}`, err: "invalid value"},
		{in: `{"a":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `,"seq":1}`, err: "nested too deep"},
		{in: ``, err: "expected an object"},
	}
	for _, tt := range tests {
		got, err := transferSeq([]byte(tt.in))
		if tt.err == "" {
			if err != nil || got != tt.want {
				t.Errorf("transferSeq(%s) = %d, %v; want %d", tt.in, got, err, tt.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("transferSeq(%s) = %d, %v; want an error saying %q", tt.in, got, err, tt.err)
		}
	}
	b := []byte(`{"seq":10,"op":"custody.transfer","recorded_at":"2026-11-27T04:32:14.32311473Z"}`)
	if n := testing.AllocsPerRun(100, func() { transferSeq(b) }); n != 0 {
		t.Errorf("transferSeq allocates %.0f times, want 0", n)
	}
}

func TestAppendRequest(t *testing.T) {
	got := string(appendRequest(nil, "POST", "/api/v1/items/I/transfers", "127.0.0.1:9", "tok", []byte(`{"a":1}`)))
	want := "POST /api/v1/items/I/transfers HTTP/1.1\r\nHost: 127.0.0.1:9\r\nAuthorization: Bearer tok\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{\"a\":1}"
	if got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
	got = string(appendRequest(nil, "GET", "/x", "h", "t", nil))
	if want := "GET /x HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer t\r\n\r\n"; got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

// scripted is a TCP server on 127.0.0.1 that answers each connection with
// the function's behaviour, to drive the client through what a real
// custodia server does only in rare moments (closing, stalling).
func scripted(t *testing.T, serve func(n int, c net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { ln.Close(); <-done })
	go func() {
		defer close(done)
		for n := 0; ; n++ {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); serve(n, c) }()
		}
	}()
	return ln.Addr().String()
}

// readRequest reads one request's head and its Content-Length body.
func readRequest(r *bufio.Reader) (string, error) {
	var head strings.Builder
	n := 0
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return "", err
		}
		head.WriteString(line)
		if v, ok := strings.CutPrefix(line, "Content-Length: "); ok {
			fmt.Sscan(v, &n)
		}
		if line == "\r\n" {
			break
		}
	}
	b := make([]byte, n)
	_, err := io.ReadFull(r, b)
	return head.String() + string(b), err
}

// TestLeanRedial: after a response with Connection: close, and after the
// server drops the connection, the next request dials a new connection;
// requests on one connection reuse it.
func TestLeanRedial(t *testing.T) {
	addr := scripted(t, func(n int, c net.Conn) {
		r := bufio.NewReader(c)
		for i := 0; ; i++ {
			if _, err := readRequest(r); err != nil {
				return
			}
			switch {
			case n == 0 && i == 1:
				fmt.Fprintf(c, "HTTP/1.1 201 Created\r\nConnection: close\r\nContent-Length: 9\r\n\r\n{\"seq\":%d}", n)
				return
			case n == 1 && i == 1:
				return // dropped without an answer
			}
			fmt.Fprintf(c, "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nc%d/\r\n1\r\n%d\r\n0\r\n\r\n", n, i)
		}
	})
	ctx := context.Background()
	lc := newLeanConn(addr, "tok")
	defer lc.Close()
	want := []string{"c0/0", "{\"seq\":0}", "c1/0", "error", "c2/0", "c2/1"}
	for i, w := range want {
		status, body, err := lc.Do(ctx, "POST", "/p", []byte("{}"))
		got := fmt.Sprintf("%d %s", status, body)
		if w == "error" {
			if err == nil || !isConnErr(err) {
				t.Errorf("request %d: got %s %v, want a connection error", i, got, err)
			}
			continue
		}
		if err != nil || got != "201 "+w {
			t.Errorf("request %d: got %s %v, want 201 %s", i, got, err, w)
		}
	}
}

// TestLeanContext: a request waiting on a server that never answers ends
// when its context does.
func TestLeanContext(t *testing.T) {
	addr := scripted(t, func(n int, c net.Conn) { io.Copy(io.Discard, c) })
	lc := newLeanConn(addr, "tok")
	defer lc.Close()
	for _, tc := range []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		want error
	}{
		{"cancel", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(100*time.Millisecond, cancel)
			return ctx, cancel
		}, context.Canceled},
		{"deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 100*time.Millisecond)
		}, context.DeadlineExceeded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := tc.ctx()
			defer cancel()
			t0 := time.Now()
			_, _, err := lc.Do(ctx, "GET", "/", nil)
			if !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
			if d := time.Since(t0); d > 5*time.Second {
				t.Errorf("the request took %v after its context ended", d)
			}
		})
	}
}

func TestParseClient(t *testing.T) {
	for _, c := range []Client{Lean, NetHTTP} {
		got, err := ParseClient(c.String())
		if err != nil || got != c {
			t.Errorf("ParseClient(%q) = %v, %v", c.String(), got, err)
		}
	}
	if _, err := ParseClient("curl"); err == nil || !strings.Contains(err.Error(), "cliente desconocido") {
		t.Errorf("ParseClient(curl) err = %v", err)
	}
}

// TestLeanNoAllocs: once its buffers have grown, a request on a kept-alive
// connection allocates nothing (the scripted server does not either).
func TestLeanNoAllocs(t *testing.T) {
	body := []byte(`{"from":"load.a","to":"load.b","at":"2024-01-01T00:00:01Z","purpose":"storage","seal_condition":"none"}`)
	addr := scripted(t, func(n int, c net.Conn) {
		req := make([]byte, len(appendRequest(nil, "POST", "/p", c.LocalAddr().String(), "tok", body)))
		resp := []byte("HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n{\"seq\":42}")
		for {
			if _, err := io.ReadFull(c, req); err != nil {
				return
			}
			if _, err := c.Write(resp); err != nil {
				return
			}
		}
	})
	lc := newLeanConn(addr, "tok")
	defer lc.Close()
	ctx := context.Background()
	do := func() {
		status, b, err := lc.Do(ctx, "POST", "/p", body)
		if err != nil || status != 201 {
			t.Fatalf("got %d %q %v", status, b, err)
		}
		if seq, err := transferSeq(b); err != nil || seq != 42 {
			t.Fatalf("seq %d, %v", seq, err)
		}
	}
	do()
	if n := testing.AllocsPerRun(200, do); n > 0 {
		t.Errorf("%.2f allocations per request, want 0", n)
	}
}
