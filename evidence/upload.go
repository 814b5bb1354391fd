package evidence

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/custodia-ec/custodia/custody"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// DefaultChunk is the most bytes an Uploader sends in one request: what a
// dropped connection can cost at most.
const DefaultChunk = 64 << 20

// Uploader sends one file to a Custodia server by the tus 1.0 protocol the
// server speaks (server/upload.go), in chunks, resuming from the offset the
// server reports after any dropped connection or server error.
type Uploader struct {
	Server string       // base URL, e.g. http://127.0.0.1:8080
	Token  string       // an API token with write scope
	Client *http.Client // nil: http.DefaultClient
	Chunk  int64        // bytes per PATCH; 0: DefaultChunk
	// Retries is how many failed requests in a row without progress are
	// tolerated before giving up (0: 20); RetryDelay the first wait
	// between them, doubled each time up to 5 s (0: 200 ms).
	Retries    int
	RetryDelay time.Duration
	// Progress, when not nil, is called with the offset the server has
	// confirmed, after each chunk and each resume.
	Progress func(offset int64)
	// Sigs are the record's personal signatures (over the record with the
	// path's field filled in; see POST /api/v1/acts/digest).
	Sigs []custody.Sig
}

// APIError is an error answer of the server, with its status and message.
type APIError struct {
	Status  int
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field"`
}

func (e *APIError) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%d %s: %s: %s", e.Status, e.Code, e.Field, e.Message)
	}
	return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message)
}

// final reports whether retrying cannot help: the server refused the
// request itself (4xx but a conflict on the offset, a lock, or a limit).
func (e *APIError) final() bool {
	return e.Status >= 400 && e.Status < 500 && e.Status != http.StatusConflict && e.Status != http.StatusTooManyRequests && e.Status != http.StatusRequestTimeout
}

func (u *Uploader) client() *http.Client {
	if u.Client != nil {
		return u.Client
	}
	return http.DefaultClient
}

func (u *Uploader) do(ctx context.Context, method, path string, body io.Reader, size int64, hdr map[string]string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(u.Server, "/")+path, body)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.ContentLength = size
	}
	req.Header.Set("Tus-Resumable", "1.0.0")
	if u.Token != "" {
		req.Header.Set("Authorization", "Bearer "+u.Token)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := u.client().Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 300 {
		defer resp.Body.Close()
		e := &APIError{Status: resp.StatusCode}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		if json.Unmarshal(b, e) != nil || e.Message == "" {
			e.Message = strings.TrimSpace(string(b))
			if e.Message == "" {
				e.Message = http.StatusText(resp.StatusCode)
			}
		}
		return nil, e
	}
	return resp, nil
}

// Me returns the officer of the token's account, which the server requires
// as the actor of a record.
func (u *Uploader) Me(ctx context.Context) (officer string, err error) {
	resp, err := u.do(ctx, "GET", "/api/v1/me", nil, 0, nil)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var me struct {
		Officer string `json:"officer"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&me); err != nil {
		return "", err
	}
	return me.Officer, nil
}

// Upload sends size bytes of f as the file of a record of op about item
// (evidence.attach: item is the item; evidence.derive: item is the parent,
// record the new item), and returns the seq of the record the server
// appended once the file was stored and verified. record must declare the
// file's sha256 and size and leave out the field the path gives.
func (u *Uploader) Upload(ctx context.Context, item, op string, record any, f io.ReaderAt, size int64) (int64, error) {
	rj, err := json.Marshal(record)
	if err != nil {
		return 0, err
	}
	if len(u.Sigs) > 0 {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(rj, &m); err != nil {
			return 0, err
		}
		m["sigs"], _ = json.Marshal(u.Sigs)
		rj, _ = json.Marshal(m)
	}
	enc := base64.StdEncoding.EncodeToString
	resp, err := u.do(ctx, "POST", "/api/v1/items/"+item+"/uploads", nil, 0, map[string]string{
		"Upload-Length":   strconv.FormatInt(size, 10),
		"Upload-Metadata": "op " + enc([]byte(op)) + ",record " + enc(rj),
	})
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if !strings.HasPrefix(loc, "/api/v1/uploads/") {
		return 0, fmt.Errorf("el servidor no dio la ubicación de la subida / the server gave no upload location (%q)", loc)
	}
	return u.resume(ctx, loc, f, size)
}

func (u *Uploader) resume(ctx context.Context, loc string, f io.ReaderAt, size int64) (int64, error) {
	chunk := u.Chunk
	if chunk <= 0 {
		chunk = DefaultChunk
	}
	retries := u.Retries
	if retries <= 0 {
		retries = 20
	}
	delay := u.RetryDelay
	if delay <= 0 {
		delay = 200 * time.Millisecond
	}
	var off int64
	failures := 0
	var lastErr error
	for {
		if failures > retries {
			return 0, fmt.Errorf("la subida no avanza tras %d intentos / the upload makes no progress after %d tries: %w", retries, retries, lastErr)
		}
		if failures > 0 {
			select {
			case <-ctx.Done():
				return 0, ctx.Err()
			case <-time.After(min(delay<<min(failures-1, 5), 5*time.Second)):
			}
			// Where did the server get to?
			resp, err := u.do(ctx, "HEAD", loc, nil, 0, nil)
			if err != nil {
				if ae := (*APIError)(nil); errors.As(err, &ae) && ae.final() {
					return 0, err
				}
				lastErr = err
				failures++
				continue
			}
			resp.Body.Close()
			if seq := resp.Header.Get("Custodia-Seq"); seq != "" {
				u.report(size)
				return strconv.ParseInt(seq, 10, 64)
			}
			n, err := strconv.ParseInt(resp.Header.Get("Upload-Offset"), 10, 64)
			if err != nil || n < 0 || n > size {
				return 0, fmt.Errorf("Upload-Offset no válido / invalid Upload-Offset %q", resp.Header.Get("Upload-Offset"))
			}
			if n > off {
				failures = 0
			}
			off = n
			u.report(off)
		}
		n := min(chunk, size-off)
		resp, err := u.do(ctx, "PATCH", loc, io.NewSectionReader(f, off, n), n, map[string]string{
			"Content-Type":  "application/offset+octet-stream",
			"Upload-Offset": strconv.FormatInt(off, 10),
		})
		if err != nil {
			if ctx.Err() != nil {
				return 0, ctx.Err()
			}
			if ae := (*APIError)(nil); errors.As(err, &ae) && ae.final() {
				return 0, err
			}
			lastErr = err
			failures++
			continue
		}
		resp.Body.Close()
		got, perr := strconv.ParseInt(resp.Header.Get("Upload-Offset"), 10, 64)
		if perr != nil || got < off || got > size {
			return 0, fmt.Errorf("Upload-Offset no válido / invalid Upload-Offset %q", resp.Header.Get("Upload-Offset"))
		}
		off = got
		failures = 0
		u.report(off)
		if seq := resp.Header.Get("Custodia-Seq"); seq != "" {
			return strconv.ParseInt(seq, 10, 64)
		}
		if off == size {
			return 0, errors.New("el servidor recibió todo pero no registró nada / the server got everything but recorded nothing")
		}
	}
}

func (u *Uploader) report(off int64) {
	if u.Progress != nil {
		u.Progress(off)
	}
}
