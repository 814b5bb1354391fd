package fastcodec

import (
	"bytes"
	"encoding/json"

	"github.com/custodia-ec/custodia/custody"
)

// DecodeEvent is custody.DecodeEvent. An event's canonical form has a fixed
// member order, so it is read in one pass, requiring every string and
// number to be written as RFC 8785 writes it; the record, the one free-form
// part, must be canonical too. Anything else goes to custody.DecodeEvent,
// which accepts exactly the same events and gives the errors.
func DecodeEvent(data []byte) (*custody.Event, error) {
	e, ok := readEvent(data)
	if !ok {
		return custody.DecodeEvent(data)
	}
	if err := e.Check(); err != nil {
		return nil, err
	}
	return e, nil
}

// event reads the fixed layout of a canonical event.
type event struct {
	scanner
	scratch bytes.Buffer
}

// canonString reads a string and checks it is escaped as RFC 8785 does.
func (p *event) canonString() (string, bool) {
	start := p.i
	s, ok := p.str()
	if !ok {
		return "", false
	}
	// str refuses control characters, so a string without escapes is
	// written as writeString writes it.
	if bytes.IndexByte(p.data[start:p.i], '\\') < 0 {
		return s, true
	}
	p.scratch.Reset()
	writeString(&p.scratch, s)
	return s, bytes.Equal(p.scratch.Bytes(), p.data[start:p.i])
}

// canonInt reads an integer written canonically.
func (p *event) canonInt() (int64, bool) {
	if p.i >= len(p.data) || p.data[p.i] != '-' && (p.data[p.i] < '0' || p.data[p.i] > '9') {
		return 0, false
	}
	return p.num()
}

// readEvent reads an event written exactly as custody's Event.Encode writes
// it, or gives up.
func readEvent(data []byte) (*custody.Event, bool) {
	p := &event{scanner: scanner{data: data}}
	e := &custody.Event{}
	var ok bool
	if !p.lit(`{"op":`) {
		return nil, false
	}
	if e.Op, ok = p.canonString(); !ok {
		return nil, false
	}
	if p.lit(`,"prev":{`) {
		e.Prev = map[string]int64{}
		last := ""
		for first := true; ; first = false {
			if p.lit("}") {
				if first {
					return nil, false
				}
				break
			}
			if !first && !p.lit(",") {
				return nil, false
			}
			k, ok := p.canonString()
			if !ok || !first && !lessUTF16(last, k) || !p.lit(":") {
				return nil, false
			}
			last = k
			if e.Prev[k], ok = p.canonInt(); !ok {
				return nil, false
			}
		}
	}
	if !p.lit(`,"record":`) {
		return nil, false
	}
	start := p.i
	if p.i >= len(p.data) || p.data[p.i] != '{' || !p.skip(0) {
		return nil, false
	}
	rec := data[start:p.i]
	if !isCanonical(rec) { // a string with escapes, most likely
		if canon, err := custody.Canonical(rec); err != nil || !bytes.Equal(canon, rec) {
			return nil, false
		}
	}
	e.Record = json.RawMessage(rec)
	if !p.lit(`,"recorded":{`) {
		return nil, false
	}
	if p.lit(`"account":`) {
		if e.Recorded.Account, ok = p.canonString(); !ok || !p.lit(",") {
			return nil, false
		}
	}
	if !p.lit(`"at":`) {
		return nil, false
	}
	if e.Recorded.At, ok = p.canonString(); !ok || !p.lit(`,"commit":`) {
		return nil, false
	}
	if e.Recorded.Commit, ok = p.canonInt(); !ok {
		return nil, false
	}
	if p.lit(`,"import":{"line":`) {
		imp := &custody.Import{}
		line, ok := p.canonInt()
		if !ok || !p.lit(`,"sha256":`) {
			return nil, false
		}
		imp.Line = int(line)
		if imp.SHA256, ok = p.canonString(); !ok || !p.lit("}") {
			return nil, false
		}
		e.Recorded.Import = imp
	}
	if !p.lit(`},"salt":`) {
		return nil, false
	}
	if e.Salt, ok = p.canonString(); !ok || !p.lit(`,"seq":`) {
		return nil, false
	}
	if e.Seq, ok = p.canonInt(); !ok {
		return nil, false
	}
	if p.lit(`,"sigs":[`) {
		for first := true; ; first = false {
			if p.lit("]") {
				if first { // omitted when empty
					return nil, false
				}
				break
			}
			if !first && !p.lit(",") {
				return nil, false
			}
			g, ok := p.sig()
			if !ok {
				return nil, false
			}
			e.Sigs = append(e.Sigs, g)
		}
	}
	if !p.lit(`,"v":`) {
		return nil, false
	}
	v, ok := p.canonInt()
	if !ok || !p.lit("}") || p.i != len(data) {
		return nil, false
	}
	e.V = int(v)
	return e, true
}

// sig reads one signature of an event's sigs, its members in canonical
// order; the passkeys' two members are omitted when empty.
func (p *event) sig() (custody.Sig, bool) {
	var g custody.Sig
	var ok bool
	if !p.lit("{") {
		return g, false
	}
	if p.lit(`"authenticator_data":`) {
		if g.AuthenticatorData, ok = p.canonString(); !ok || g.AuthenticatorData == "" || !p.lit(",") {
			return g, false
		}
	}
	if p.lit(`"client_data_json":`) {
		if g.ClientDataJSON, ok = p.canonString(); !ok || g.ClientDataJSON == "" || !p.lit(",") {
			return g, false
		}
	}
	if !p.lit(`"key":`) {
		return g, false
	}
	if g.Key, ok = p.canonString(); !ok || !p.lit(`,"role":`) {
		return g, false
	}
	if g.Role, ok = p.canonString(); !ok || !p.lit(`,"sig":`) {
		return g, false
	}
	if g.Sig, ok = p.canonString(); !ok || !p.lit("}") {
		return g, false
	}
	return g, true
}
