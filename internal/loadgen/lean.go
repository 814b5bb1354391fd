package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"
)

// requestTimeout bounds one request, write to last body byte, as the
// net/http client's Timeout does on the other path.
const requestTimeout = 30 * time.Second

// maxResponseBody bounds a response body. The load's responses are a
// hundred bytes or so; a larger one means the peer is not the API.
const maxResponseBody = 4 << 20

// maxHeaderLines bounds the header lines of one response.
const maxHeaderLines = 256

// leanConn is one client's keep-alive HTTP/1.1 connection, made for the
// load's few request shapes so that the generator spends as little CPU as
// it can beside the server under test: the request goes out in one write
// from a buffer that is reused, the response is read into another reused
// buffer, and nothing is allocated per request once the buffers have
// grown. It redials after any I/O error and after a response that closes
// the connection. A leanConn is used by one goroutine at a time.
type leanConn struct {
	addr, token string
	dialer      net.Dialer

	conn    net.Conn
	br      *bufio.Reader
	watched <-chan struct{} // Done of the context whose end interrupts conn
	stop    func() bool     // ends that watch

	req  []byte // the request being written
	body []byte // the last response's body
}

func newLeanConn(addr, token string) *leanConn {
	return &leanConn{addr: addr, token: token}
}

// Do sends one request with body (nil for none) and returns the response's
// status and body. The body is valid until the next call. Connection-level
// failures (refused, reset, EOF, a deadline) are returned as they come from
// the net package, so that callers can tell them from a bad response.
func (c *leanConn) Do(ctx context.Context, method, path string, body []byte) (int, []byte, error) {
	if err := ctx.Err(); err != nil {
		return 0, nil, err
	}
	if c.conn != nil && ctx.Done() != c.watched {
		// A new context: watch it instead. A watch that already fired
		// may yet set its past deadline, so that connection is dropped.
		if !c.stop() {
			c.Close()
		} else {
			c.watch(ctx)
		}
	}
	if c.conn == nil {
		if err := c.dial(ctx); err != nil {
			return 0, nil, err
		}
	}
	dl := time.Now().Add(requestTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(dl) {
		dl = d
	}
	c.conn.SetDeadline(dl)
	// The context's watch sets a past deadline when ctx ends; had it fired
	// before the line above, ctx.Err now says so.
	if err := ctx.Err(); err != nil {
		c.Close()
		return 0, nil, err
	}
	c.req = appendRequest(c.req[:0], method, path, c.addr, c.token, body)
	if _, err := c.conn.Write(c.req); err != nil {
		c.Close()
		return 0, nil, ctxErr(ctx, err)
	}
	status, b, closeConn, err := readResponse(c.br, c.body[:0])
	if err != nil {
		c.Close()
		return 0, nil, ctxErr(ctx, err)
	}
	c.body = b
	if closeConn {
		c.Close()
	}
	return status, b, nil
}

// ctxErr prefers the context's error when the context ended the request
// (its watch forces a deadline on the connection).
func ctxErr(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("%w (%v)", cerr, err)
	}
	// The connection's deadline is the context's, which may pass a moment
	// before the context's own timer marks it done.
	if d, ok := ctx.Deadline(); ok && !time.Now().Before(d) {
		return fmt.Errorf("%w (%v)", context.DeadlineExceeded, err)
	}
	return err
}

func (c *leanConn) dial(ctx context.Context) error {
	dctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	conn, err := c.dialer.DialContext(dctx, "tcp", c.addr)
	if err != nil {
		return err
	}
	c.conn = conn
	if c.br == nil {
		c.br = bufio.NewReaderSize(conn, 4096)
	} else {
		c.br.Reset(conn)
	}
	c.watch(ctx)
	return nil
}

// watch makes the end of ctx interrupt any read or write on the connection
// (by a deadline in the past), so that a request honours its context.
func (c *leanConn) watch(ctx context.Context) {
	conn := c.conn
	c.watched = ctx.Done()
	c.stop = context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
}

// Close closes the connection, if any; the next Do dials a new one.
func (c *leanConn) Close() {
	if c.conn == nil {
		return
	}
	c.stop()
	c.conn.Close()
	c.conn, c.stop, c.watched = nil, nil, nil
}

// appendRequest appends an HTTP/1.1 request to b: request line, Host,
// Authorization: Bearer, and for a body Content-Type and Content-Length.
func appendRequest(b []byte, method, path, host, token string, body []byte) []byte {
	b = append(b, method...)
	b = append(b, ' ')
	b = append(b, path...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, host...)
	b = append(b, "\r\nAuthorization: Bearer "...)
	b = append(b, token...)
	if body != nil {
		b = append(b, "\r\nContent-Type: application/json\r\nContent-Length: "...)
		b = strconv.AppendInt(b, int64(len(body)), 10)
	}
	b = append(b, "\r\n\r\n"...)
	return append(b, body...)
}

// ResponseError is a response that does not follow HTTP/1.1 (RFC 9112) or
// that this client does not support; Where says which part.
type ResponseError struct {
	Where string // "status line", "header", "body", "chunk"
	Es    string // what is wrong, in Spanish
	En    string // the same, in English
}

func (e *ResponseError) Error() string {
	return fmt.Sprintf("respuesta HTTP no válida (%s): %s / invalid HTTP response (%s): %s",
		whereEs(e.Where), e.Es, e.Where, e.En)
}

func whereEs(where string) string {
	switch where {
	case "status line":
		return "línea de estado"
	case "header":
		return "cabecera"
	case "body":
		return "cuerpo"
	case "chunk":
		return "bloque chunked"
	}
	return where
}

func respErr(where, es, en string) error { return &ResponseError{Where: where, Es: es, En: en} }

// readLine reads one line without its CRLF (or bare LF). A line longer than
// the reader's buffer is an error. A stream that ends before the line does
// gives io.ErrUnexpectedEOF, or io.EOF when it ends before the line starts.
func readLine(r *bufio.Reader, where string) ([]byte, error) {
	line, err := r.ReadSlice('\n')
	if err != nil {
		if errors.Is(err, bufio.ErrBufferFull) {
			return nil, respErr(where, "línea demasiado larga", "line too long")
		}
		if errors.Is(err, io.EOF) && len(line) > 0 {
			return nil, io.ErrUnexpectedEOF
		}
		return nil, err
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

// readResponse reads one response from r: it returns the status, the body
// (appended to body, which it may grow) and whether the server closes the
// connection after it. The body must be framed by Content-Length or by
// chunked Transfer-Encoding; other framings are errors, as are 1xx
// responses (the client never asks for them). A stream cut short gives an
// error wrapping io.ErrUnexpectedEOF; one that ends before the response
// starts gives io.EOF.
func readResponse(r *bufio.Reader, body []byte) (status int, out []byte, closeConn bool, err error) {
	line, err := readLine(r, "status line")
	if err != nil {
		return 0, body, false, err
	}
	status, http10, err := parseStatusLine(line)
	if err != nil {
		return 0, body, false, err
	}
	closeConn = http10
	length := int64(-1)
	chunked := false
	for n := 0; ; n++ {
		if n == maxHeaderLines {
			return 0, body, false, respErr("header", "demasiadas cabeceras", "too many header lines")
		}
		line, err := readLine(r, "header")
		if err != nil {
			return 0, body, false, unexpected(err)
		}
		if len(line) == 0 {
			break
		}
		name, value, err := splitHeader(line)
		if err != nil {
			return 0, body, false, err
		}
		switch {
		case asciiEqualFold(name, "content-length"):
			v, err := parseLength(value)
			if err != nil {
				return 0, body, false, err
			}
			if length >= 0 && v != length {
				return 0, body, false, respErr("header", "dos Content-Length distintos", "two different Content-Length values")
			}
			length = v
		case asciiEqualFold(name, "transfer-encoding"):
			if !asciiEqualFold(value, "chunked") {
				return 0, body, false, respErr("header", fmt.Sprintf("Transfer-Encoding %q no soportado", value),
					fmt.Sprintf("unsupported Transfer-Encoding %q", value))
			}
			chunked = true
		case asciiEqualFold(name, "connection"):
			if hasToken(value, "close") {
				closeConn = true
			}
		}
	}
	switch {
	case status < 200:
		return 0, body, false, respErr("status line", fmt.Sprintf("respuesta informativa %d inesperada", status),
			fmt.Sprintf("unexpected informational response %d", status))
	case status == 204 || status == 304:
		return status, body, closeConn, nil
	case chunked && http10:
		return 0, body, false, respErr("header", "Transfer-Encoding en una respuesta HTTP/1.0", "Transfer-Encoding in an HTTP/1.0 response")
	case chunked && length >= 0:
		return 0, body, false, respErr("header", "Content-Length y Transfer-Encoding a la vez", "both Content-Length and Transfer-Encoding")
	case chunked:
		body, err = readChunked(r, body)
		return status, body, closeConn, err
	case length < 0:
		return 0, body, false, respErr("header", "falta Content-Length", "no Content-Length (nor chunked Transfer-Encoding)")
	}
	body, err = readN(r, body, int(length))
	return status, body, closeConn, err
}

// unexpected turns an io.EOF inside a response into io.ErrUnexpectedEOF.
func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// parseStatusLine parses "HTTP/1.x SSS reason".
func parseStatusLine(line []byte) (status int, http10 bool, err error) {
	bad := func(es, en string) error {
		return respErr("status line", fmt.Sprintf("%s en %q", es, clip(line)), fmt.Sprintf("%s in %q", en, clip(line)))
	}
	switch {
	case bytes.HasPrefix(line, []byte("HTTP/1.1 ")):
	case bytes.HasPrefix(line, []byte("HTTP/1.0 ")):
		http10 = true
	default:
		return 0, false, bad("no empieza por HTTP/1.1 o HTTP/1.0", "does not start with HTTP/1.1 or HTTP/1.0")
	}
	s := line[len("HTTP/1.1 "):]
	if len(s) < 3 || (len(s) > 3 && s[3] != ' ') {
		return 0, false, bad("el estado no tiene 3 cifras", "status is not 3 digits")
	}
	for _, d := range s[:3] {
		if d < '0' || d > '9' {
			return 0, false, bad("el estado no tiene 3 cifras", "status is not 3 digits")
		}
		status = status*10 + int(d-'0')
	}
	if status < 100 {
		return 0, false, bad("estado fuera de rango", "status out of range")
	}
	return status, http10, nil
}

// clip shortens a line for an error message.
func clip(b []byte) string {
	if len(b) > 64 {
		return string(b[:64]) + "…"
	}
	return string(b)
}

// splitHeader splits "Name: value", trimming the value's surrounding
// blanks. The name must be a token (RFC 9110 §5.1), so an obsolete folded
// line or a blank before the colon is rejected.
func splitHeader(line []byte) (name, value []byte, err error) {
	i := bytes.IndexByte(line, ':')
	if i <= 0 {
		return nil, nil, respErr("header", fmt.Sprintf("línea sin «nombre:» %q", clip(line)), fmt.Sprintf("line without a name and colon %q", clip(line)))
	}
	name = line[:i]
	for _, ch := range name {
		if !isTokenChar(ch) {
			return nil, nil, respErr("header", fmt.Sprintf("nombre de cabecera no válido %q", clip(name)), fmt.Sprintf("invalid header name %q", clip(name)))
		}
	}
	return name, bytes.Trim(line[i+1:], " \t"), nil
}

func isTokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
		return true
	}
	return false
}

// parseLength parses a Content-Length: decimal digits only, at most
// maxResponseBody.
func parseLength(v []byte) (int64, error) {
	if len(v) == 0 {
		return 0, respErr("header", "Content-Length vacío", "empty Content-Length")
	}
	var n int64
	for _, d := range v {
		if d < '0' || d > '9' {
			return 0, respErr("header", fmt.Sprintf("Content-Length no numérico %q", clip(v)), fmt.Sprintf("non-numeric Content-Length %q", clip(v)))
		}
		n = n*10 + int64(d-'0')
		if n > maxResponseBody {
			return 0, respErr("header", fmt.Sprintf("Content-Length %q mayor que %d", clip(v), maxResponseBody), fmt.Sprintf("Content-Length %q over %d", clip(v), maxResponseBody))
		}
	}
	return n, nil
}

// readN appends exactly n bytes from r to b.
func readN(r *bufio.Reader, b []byte, n int) ([]byte, error) {
	if len(b)+n > maxResponseBody {
		return b, respErr("body", fmt.Sprintf("cuerpo mayor que %d bytes", maxResponseBody), fmt.Sprintf("body over %d bytes", maxResponseBody))
	}
	start := len(b)
	b = grow(b, n)
	if _, err := io.ReadFull(r, b[start:]); err != nil {
		return b[:start], fmt.Errorf("cuerpo truncado / truncated body (%d bytes expected): %w", n, unexpected(err))
	}
	return b, nil
}

// grow extends b by n bytes, reallocating only when its capacity is short.
func grow(b []byte, n int) []byte {
	if cap(b)-len(b) < n {
		nb := make([]byte, len(b), len(b)+n)
		copy(nb, b)
		b = nb
	}
	return b[:len(b)+n]
}

// readChunked appends a chunked body (RFC 9112 §7.1) to b: chunk-size lines
// in hex with optional extensions, data each followed by CRLF, a last chunk
// of size 0, then trailer lines (ignored) up to a blank line.
func readChunked(r *bufio.Reader, b []byte) ([]byte, error) {
	for {
		line, err := readLine(r, "chunk")
		if err != nil {
			return b, unexpected(err)
		}
		if i := bytes.IndexByte(line, ';'); i >= 0 {
			line = line[:i]
		}
		line = bytes.TrimRight(line, " \t")
		if len(line) == 0 {
			return b, respErr("chunk", "falta el tamaño del bloque", "missing chunk size")
		}
		var n int64
		for _, d := range line {
			var v byte
			switch {
			case '0' <= d && d <= '9':
				v = d - '0'
			case 'a' <= d && d <= 'f':
				v = d - 'a' + 10
			case 'A' <= d && d <= 'F':
				v = d - 'A' + 10
			default:
				return b, respErr("chunk", fmt.Sprintf("tamaño de bloque no hexadecimal %q", clip(line)), fmt.Sprintf("non-hex chunk size %q", clip(line)))
			}
			n = n*16 + int64(v)
			if n > maxResponseBody {
				return b, respErr("chunk", fmt.Sprintf("bloque mayor que %d bytes", maxResponseBody), fmt.Sprintf("chunk over %d bytes", maxResponseBody))
			}
		}
		if n == 0 {
			break
		}
		if b, err = readN(r, b, int(n)); err != nil {
			return b, err
		}
		end, err := readLine(r, "chunk")
		if err != nil {
			return b, unexpected(err)
		}
		if len(end) != 0 {
			return b, respErr("chunk", "falta CRLF tras los datos del bloque", "missing CRLF after chunk data")
		}
	}
	for n := 0; ; n++ {
		if n == maxHeaderLines {
			return b, respErr("chunk", "demasiadas líneas de trailer", "too many trailer lines")
		}
		line, err := readLine(r, "chunk")
		if err != nil {
			return b, unexpected(err)
		}
		if len(line) == 0 {
			return b, nil
		}
	}
}

// asciiEqualFold reports whether b equals s, ignoring ASCII case; s is lower case.
func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

// hasToken reports whether the comma-separated list v holds token tok
// (lower case), ignoring ASCII case.
func hasToken(v []byte, tok string) bool {
	for len(v) > 0 {
		var t []byte
		if i := bytes.IndexByte(v, ','); i >= 0 {
			t, v = v[:i], v[i+1:]
		} else {
			t, v = v, nil
		}
		if asciiEqualFold(bytes.Trim(t, " \t"), tok) {
			return true
		}
	}
	return false
}
