package witness

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/custodia-ec/custodia/verify"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// maxResponseSize bounds a witness's answer: a few signature lines.
const maxResponseSize = 64 << 10

// Client sends add-checkpoint requests (c2sp.org/tlog-witness) to witnesses.
type Client struct {
	// HTTP is the client used; http.DefaultClient when nil. Timeouts come
	// from the ctx of each call.
	HTTP *http.Client
}

// ConflictError is a 409 answer: the witness's latest cosigned checkpoint
// has size KnownSize, not the old size we sent. Resend with a consistency
// proof from KnownSize. When KnownSize equals the old size sent, a witness
// following the spec before July 2026 holds a different root for that size
// (today's witnesses answer 422): a fork, which no retry can fix.
type ConflictError struct {
	KnownSize int64
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("el testigo tiene el tamaño %d / the witness is at size %d", e.KnownSize, e.KnownSize)
}

// HTTPError is any other refusal: StatusCode and the witness's message.
type HTTPError struct {
	StatusCode int
	Message    string
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("el testigo respondió %d / the witness answered %d: %s", e.StatusCode, e.StatusCode, e.Message)
}

// AddCheckpoint asks the witness at submission prefix url to cosign
// signedCheckpoint, which extends the tree of size oldSize (the size the
// witness last cosigned, or 0) as proof shows. It returns the signature
// lines of the answer, unverified: check them with the witness's key (the
// [Gatherer] does). A 409 is a *ConflictError, other refusals a *HTTPError.
func (c *Client) AddCheckpoint(ctx context.Context, url string, oldSize int64, proof tlog.TreeProof, signedCheckpoint []byte) ([]note.Signature, error) {
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	body := (&AddCheckpointRequest{OldSize: oldSize, Proof: proof, Checkpoint: signedCheckpoint}).Marshal()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(url, "/")+"/add-checkpoint", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseSize+1))
	if err != nil {
		return nil, fmt.Errorf("leer respuesta / read response: %w", err)
	}
	if len(data) > maxResponseSize {
		return nil, fmt.Errorf("respuesta de más de %d bytes / response larger than %d bytes", maxResponseSize, maxResponseSize)
	}
	switch resp.StatusCode {
	case http.StatusOK:
		return verify.ParseSignatureLines(data)
	case http.StatusConflict:
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/x.tlog.size") {
			return nil, &HTTPError{StatusCode: resp.StatusCode, Message: "409 sin text/x.tlog.size / 409 without text/x.tlog.size"}
		}
		n, err := parseDecimal(bytes.TrimSuffix(data, []byte("\n")))
		if err != nil || !bytes.HasSuffix(data, []byte("\n")) {
			return nil, &HTTPError{StatusCode: resp.StatusCode, Message: "tamaño ilegible / unreadable size"}
		}
		return nil, &ConflictError{KnownSize: n}
	default:
		msg := strings.TrimSpace(string(data))
		if !utf8.ValidString(msg) || len(msg) > 500 {
			msg = "(mensaje ilegible / unreadable message)"
		}
		return nil, &HTTPError{StatusCode: resp.StatusCode, Message: strings.ReplaceAll(msg, "\n", " / ")}
	}
}
