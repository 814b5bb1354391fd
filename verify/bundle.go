package verify

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"

	"github.com/custodia-ec/custodia/custody"
	"golang.org/x/mod/sumdb/tlog"
)

// FormatV1 is the value of Bundle.Format for the format described in the
// package documentation. A verifier refuses any other value rather than
// guess what a newer format means.
const FormatV1 = "custodia-bundle/v1"

// Limits on what Verify accepts, so that a hostile file cannot exhaust the
// memory or time of the machine checking it. A real bundle is far below them.
const (
	MaxBundleSize  = 256 << 20 // bytes of the whole file
	MaxEvents      = 1_000_000 // events in one bundle
	MaxProofHashes = 64        // hashes in one proof: enough for 2^63 leaves
	MaxEventSize   = 1 << 20   // bytes of one event
	MaxConsistency = 64        // consistency proofs in one bundle
	maxPolicySize  = 1 << 20   // bytes of a policy file
	maxPolicyLines = 10_000    // lines of a policy file
)

// Bundle is the file that `custodia export bundle` writes and that Verify
// checks: the events of one item and of the items derived from it, each with
// its inclusion proof, the signed checkpoint they are proven against, and the
// log's public key. It is marshalled with encoding/json; see the package
// documentation for the meaning of every field.
type Bundle struct {
	Format      string             `json:"format"`
	Item        string             `json:"item"`
	PublicKey   string             `json:"public_key"`
	Checkpoint  string             `json:"checkpoint"`
	Events      []BundleEvent      `json:"events"`
	Consistency []ConsistencyProof `json:"consistency,omitempty"`
	// Keys are the key register's events (key.request, key.approve,
	// key.revoke) of the keys that signed the events, with their proofs.
	Keys []BundleEvent `json:"keys,omitempty"`
}

// BundleEvent is one event with its proof of inclusion in the checkpoint.
type BundleEvent struct {
	Index int64    `json:"index"` // the event's leaf index in the log
	Event string   `json:"event"` // the event's canonical bytes (custody.Event)
	Proof []string `json:"proof"` // tlog.RecordProof, each hash in base64
}

// ConsistencyProof proves that the tree of size OldSize is a prefix of the
// checkpoint's tree (tlog.TreeProof, each hash in base64).
type ConsistencyProof struct {
	OldSize int64    `json:"old_size"`
	Proof   []string `json:"proof"`
}

// EncodeHashes returns hashes in the base64 form a Bundle holds. The
// exporter uses it for RecordProof and TreeProof values.
func EncodeHashes(hashes []tlog.Hash) []string {
	out := make([]string, len(hashes))
	for i, h := range hashes {
		out[i] = base64.StdEncoding.EncodeToString(h[:])
	}
	return out
}

// ParseBundle decodes a bundle strictly: unknown fields, trailing data,
// an unknown format, events out of order and anything over the limits
// are refused. It checks the shape of the file only, nothing cryptographic.
func ParseBundle(data []byte) (*Bundle, error) {
	if len(data) > MaxBundleSize {
		return nil, fail(custody.ETooLarge, CheckBundle, -1, "",
			"el paquete ocupa %d bytes; el máximo es %d", "the bundle is %d bytes; the limit is %d", len(data), MaxBundleSize)
	}
	b, err := parseQuick(data)
	if err != nil { // whatever the quick path leaves, encoding/json reads whole, and says what is wrong
		b = &Bundle{}
		if err := decodeJSON(data, b); err != nil {
			es, en := jsonProblem(err)
			return nil, invalid(CheckBundle, -1, "", "el paquete no es un JSON válido: %[1]s", "the bundle is not valid JSON: %[2]s", es, en)
		}
	}
	switch {
	case b.Format != FormatV1:
		return nil, invalid(CheckBundle, -1, "format", "formato %q desconocido; se esperaba %q", "unknown format %q; want %q", b.Format, FormatV1)
	case b.Item == "":
		return nil, invalid(CheckBundle, -1, "item", "falta el identificador de la evidencia", "the item id is missing")
	case len(b.Events) == 0:
		return nil, invalid(CheckBundle, -1, "events", "el paquete no contiene eventos", "the bundle holds no events")
	case len(b.Events) > MaxEvents:
		return nil, fail(custody.ETooLarge, CheckBundle, -1, "events", "%d eventos; el máximo es %d", "%d events; the limit is %d", len(b.Events), MaxEvents)
	case len(b.Consistency) > MaxConsistency:
		return nil, fail(custody.ETooLarge, CheckBundle, -1, "consistency", "%d pruebas de consistencia; el máximo es %d",
			"%d consistency proofs; the limit is %d", len(b.Consistency), MaxConsistency)
	case len(b.Keys) > MaxEvents:
		return nil, fail(custody.ETooLarge, CheckBundle, -1, "keys", "%d eventos; el máximo es %d", "%d events; the limit is %d", len(b.Keys), MaxEvents)
	}
	for _, list := range [][]BundleEvent{b.Events, b.Keys} {
		if err := checkList(list); err != nil {
			return nil, err
		}
	}
	for _, c := range b.Consistency {
		if c.OldSize < 1 {
			return nil, invalid(CheckBundle, -1, "consistency.old_size", "tamaño %d no válido", "invalid size %d", c.OldSize)
		}
		if _, err := decodeHashes(c.Proof, CheckBundle, -1, "consistency.proof"); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// decodeJSON decodes one JSON value, the whole of data, into v, refusing
// members v does not have.
func decodeJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if len(bytes.TrimLeft(data[dec.InputOffset():], " \t\r\n")) != 0 {
		return errTrailing
	}
	return nil
}

var errTrailing, errNotQuick = errors.New("data after the JSON value"), errors.New("left to the whole decode")

// parseQuick decodes a bundle's events on every core: a scan that follows
// only strings and brackets finds the one member "events" and its array's
// elements, and encoding/json decodes the rest of the file (with that array
// emptied) and each element, as strictly as the whole; each core reads its
// run of elements, put back to back, with one decoder, which reuses its
// buffer, and each value must end where its element does. Anything unusual
// (no such member, or two, or an error) is an error, and ParseBundle
// decodes the whole file instead, so this changes how fast, never what.
func parseQuick(data []byte) (*Bundle, error) {
	var b Bundle
	rest, elems := splitEvents(data)
	if elems == nil || decodeJSON(rest, &b) != nil || len(b.Events) != 0 {
		return nil, errNotQuick
	}
	b.Events = make([]BundleEvent, len(elems))
	cores := runtime.GOMAXPROCS(0)
	errs := make([]error, cores)
	parallel(cores, func(w int) bool { // a run of elements on each core, back to back, read by one decoder
		lo, hi := w*len(elems)/cores, (w+1)*len(elems)/cores
		dec, end := json.NewDecoder(bytes.NewReader(bytes.Join(elems[lo:hi], nil))), int64(0)
		dec.DisallowUnknownFields()
		for i := lo; i < hi && errs[w] == nil; i++ {
			if end += int64(len(elems[i])); dec.Decode(&b.Events[i]) != nil || dec.InputOffset() != end {
				errs[w] = errNotQuick
			}
		}
		return true
	})
	return &b, errors.Join(errs...)
}

// splitEvents returns data with the array of its one member "events"
// emptied, and that array's elements; nil when it finds no such array.
func splitEvents(data []byte) (rest []byte, elems [][]byte) {
	key := []byte(`"events"`)
	k := bytes.Index(data, key)
	if k < 0 || bytes.Contains(data[k+1:], key) { // not LastIndex: it reads byte by byte
		return nil, nil
	}
	i := skipSpace(data, k+len(key))
	if i == len(data) || data[i] != ':' {
		return nil, nil
	}
	start := skipSpace(data, i+1)
	if start == len(data) || data[start] != '[' {
		return nil, nil
	}
	for i = skipSpace(data, start+1); ; i = skipSpace(data, i+1) {
		e := valueEnd(data, i)
		if e < 0 {
			return nil, nil
		}
		elems = append(elems, data[i:e])
		if i = skipSpace(data, e); i == len(data) || data[i] != ',' {
			break
		}
	}
	if i == len(data) || data[i] != ']' {
		return nil, nil
	}
	return append(append(append([]byte(nil), data[:start]...), "[]"...), data[i+1:]...), elems
}

// valueEnd returns where the object, array or string at data[i] ends,
// following only strings and brackets (encoding/json checks the rest), or
// -1 if it does not.
func valueEnd(data []byte, i int) int {
	for depth := 0; i < len(data); i++ {
		switch c := data[i]; {
		case c == '"':
			for i++; i < len(data) && data[i] != '"'; i++ {
				if data[i] == '\\' {
					i++
				}
			}
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			depth--
		case depth == 0:
			return -1
		}
		if depth <= 0 && i < len(data) {
			return i + 1
		}
	}
	return -1
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// checkList checks the shape of a list of events: indexes increasing,
// sizes and proofs within the limits.
func checkList(list []BundleEvent) error {
	for i, e := range list {
		switch {
		case e.Index < 0:
			return invalid(CheckBundle, e.Index, "index", "índice negativo", "negative index")
		case i > 0 && e.Index <= list[i-1].Index:
			return invalid(CheckBundle, e.Index, "index", "los eventos no están en orden creciente de índice (sigue al %d)",
				"events are not in increasing index order (it follows %d)", list[i-1].Index)
		case len(e.Event) > MaxEventSize:
			return fail(custody.ETooLarge, CheckBundle, e.Index, "event", "el evento ocupa %d bytes; el máximo es %d",
				"the event is %d bytes; the limit is %d", len(e.Event), MaxEventSize)
		}
		if _, err := decodeHashes(e.Proof, CheckBundle, e.Index, "proof"); err != nil {
			return err
		}
	}
	return nil
}

// decodeHashes decodes a proof's base64 hashes, refusing more than
// MaxProofHashes and any hash that is not exactly 32 bytes in canonical
// base64.
func decodeHashes(in []string, check string, index int64, field string) ([]tlog.Hash, error) {
	if len(in) > MaxProofHashes {
		return nil, fail(custody.ETooLarge, check, index, field, "la prueba tiene %d hashes; el máximo es %d",
			"the proof has %d hashes; the limit is %d", len(in), MaxProofHashes)
	}
	out := make([]tlog.Hash, len(in))
	for i, s := range in {
		h, err := decodeHash(s)
		if err != nil {
			return nil, invalid(check, index, field, "el hash %d no es un hash SHA-256 en base64", "hash %d is not a base64 SHA-256 hash", i)
		}
		out[i] = h
	}
	return out, nil
}

// decodeHash decodes one 32-byte hash in canonical standard base64: 44
// characters, strict padding, no line breaks (which would shorten the result).
func decodeHash(s string) (h tlog.Hash, err error) {
	var buf [tlog.HashSize + 1]byte // 44 characters decode to at most 33 bytes
	n := 0
	if len(s) == 44 {
		n, err = base64.StdEncoding.Strict().Decode(buf[:], []byte(s))
	}
	if err != nil || n != tlog.HashSize {
		return h, errBadHash
	}
	copy(h[:], buf[:n])
	return h, nil
}

// jsonProblem says where and why a bundle's JSON did not decode, in
// Spanish and English, without the decoder's English text.
func jsonProblem(err error) (es, en string) {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("carácter inesperado en el byte %d", se.Offset), fmt.Sprintf("unexpected character at byte %d", se.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "el archivo termina antes de cerrar el JSON", "the file ends before the JSON closes"
	case errors.Is(err, errTrailing):
		return "hay datos después del objeto JSON", "there is data after the JSON object"
	case errors.As(err, &te):
		return fmt.Sprintf("el campo %q no admite un valor de tipo %s (byte %d)", te.Field, te.Value, te.Offset),
			fmt.Sprintf("field %q does not take a %s value (byte %d)", te.Field, te.Value, te.Offset)
	}
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return "campo desconocido " + f, "unknown field " + f
	}
	return "no se pudo leer", "could not be read"
}
