package analysis

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// TelegramOptions says how to read a Telegram Desktop export.
type TelegramOptions struct {
	// Location is the zone of the export's "date" fields, used only for
	// messages without "date_unixtime" (older exports); Ecuador's by
	// default.
	Location *time.Location
}

// maxJSONDepth bounds the nesting the Telegram importer walks.
const maxJSONDepth = 64

// tgMessage is the part of a Telegram message the importer reads.
type tgMessage struct {
	ID           json.RawMessage `json:"id"`
	Type         string          `json:"type"`
	Date         string          `json:"date"`
	DateUnix     string          `json:"date_unixtime"`
	From         *string         `json:"from"`
	FromID       string          `json:"from_id"`
	Actor        *string         `json:"actor"`
	ActorID      string          `json:"actor_id"`
	Action       string          `json:"action"`
	Duration     *float64        `json:"duration_seconds"`
	Discard      string          `json:"discard_reason"`
	Text         json.RawMessage `json:"text"`
	MediaType    string          `json:"media_type"`
	Photo        string          `json:"photo"`
	File         string          `json:"file"`
	ContactPhone string          `json:"contact_vcard"`
}

// tgContact is an entry of the export's contact list.
type tgContact struct {
	UserID    json.Number `json:"user_id"`
	FirstName string      `json:"first_name"`
	LastName  string      `json:"last_name"`
	Phone     string      `json:"phone_number"`
}

// tgChat is what is known of the chat whose messages are being read.
type tgChat struct {
	name, typ string
	id        string
}

type telegram struct {
	dec   *json.Decoder
	src   Source
	opts  TelegramOptions
	sink  *counter
	owner Party // the account holder (personal_information)
}

// ImportTelegram reads a Telegram Desktop JSON export (result.json of a
// whole account, or of one chat) with a streaming decoder: one message or
// contact at a time. Messages become message records (service messages of
// phone calls become call records); the contact list becomes contact
// records. Each record's source is the byte offset of its JSON object. A
// message that cannot be read is rejected; a file that is not JSON stops
// the import with the offset of the error.
func ImportTelegram(r io.Reader, src Source, opts TelegramOptions, sink Sink) (Summary, error) {
	if opts.Location == nil {
		opts.Location = Ecuador
	}
	dec := json.NewDecoder(bufio.NewReaderSize(r, 64<<10))
	dec.UseNumber()
	t := &telegram{dec: dec, src: src, opts: opts, sink: &counter{Sink: sink}}
	tok, err := dec.Token()
	if err != nil {
		return t.sink.sum, t.syntax(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return t.sink.sum, fmt.Errorf("byte 0: se esperaba un objeto JSON (result.json de Telegram Desktop) / a JSON object was expected (Telegram Desktop's result.json)")
	}
	if err := t.object(0, "", &tgChat{}); err != nil {
		return t.sink.sum, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return t.sink.sum, fmt.Errorf("byte %d: datos después del objeto JSON / data after the JSON object", dec.InputOffset())
	}
	return t.sink.sum, nil
}

func (t *telegram) syntax(err error) error {
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("byte %d: JSON no válido / invalid JSON: %w", t.dec.InputOffset(), err)
}

// object walks the members of an object whose '{' was read. parent is the
// member name the object is the value of; chat collects a chat's name,
// type and id for its messages.
func (t *telegram) object(depth int, parent string, chat *tgChat) error {
	if depth > maxJSONDepth {
		return fmt.Errorf("byte %d: JSON anidado a más de %d niveles / JSON nested deeper than %d levels", t.dec.InputOffset(), maxJSONDepth, maxJSONDepth)
	}
	for t.dec.More() {
		tok, err := t.dec.Token()
		if err != nil {
			return t.syntax(err)
		}
		key, ok := tok.(string)
		if !ok {
			return t.syntax(fmt.Errorf("clave no textual / non-string key"))
		}
		switch {
		case key == "messages":
			if err := t.array(func() error { return t.message(chat) }); err != nil {
				return err
			}
		case key == "list" && parent == "contacts":
			if err := t.array(t.contact); err != nil {
				return err
			}
		case key == "list" && (parent == "chats" || parent == "left_chats"):
			if err := t.array(func() error {
				tok, err := t.dec.Token()
				if err != nil {
					return t.syntax(err)
				}
				if d, ok := tok.(json.Delim); !ok || d != '{' {
					return t.reject(t.dec.InputOffset(), "", "un chat debe ser un objeto", "a chat must be an object")
				}
				return t.object(depth+1, "chat", &tgChat{})
			}); err != nil {
				return err
			}
		case key == "personal_information":
			var pi struct {
				UserID    json.Number `json:"user_id"`
				FirstName string      `json:"first_name"`
				LastName  string      `json:"last_name"`
				Phone     string      `json:"phone_number"`
			}
			off := t.dec.InputOffset()
			if err := t.dec.Decode(&pi); err != nil {
				var ute *json.UnmarshalTypeError
				if errors.As(err, &ute) {
					if err := t.reject(off, "personal_information", "campos de tipo inesperado", "fields of an unexpected type"); err != nil {
						return err
					}
					continue
				}
				return t.syntax(err)
			}
			t.owner = Party{Name: strings.TrimSpace(pi.FirstName + " " + pi.LastName)}
			if pi.Phone != "" {
				t.owner.Phones = []string{pi.Phone}
			}
			if pi.UserID != "" {
				t.owner.UserID = "user" + pi.UserID.String()
			}
		case (key == "name" || key == "type" || key == "id") && chat != nil:
			tok, err := t.dec.Token()
			if err != nil {
				return t.syntax(err)
			}
			if d, ok := tok.(json.Delim); ok {
				if err := t.skip(depth+1, d); err != nil {
					return err
				}
				continue
			}
			v := fmt.Sprint(tok)
			if tok == nil {
				v = ""
			}
			switch key {
			case "name":
				chat.name = v
			case "type":
				chat.typ = v
			case "id":
				chat.id = v
			}
		default:
			tok, err := t.dec.Token()
			if err != nil {
				return t.syntax(err)
			}
			if d, ok := tok.(json.Delim); ok {
				if d == '{' {
					if err := t.object(depth+1, key, nil); err != nil {
						return err
					}
					continue
				}
				if err := t.skip(depth+1, d); err != nil {
					return err
				}
			}
		}
	}
	if _, err := t.dec.Token(); err != nil { // '}'
		return t.syntax(err)
	}
	return nil
}

// skip reads past a value whose opening delimiter d was read.
func (t *telegram) skip(depth int, d json.Delim) error {
	if d != '{' && d != '[' {
		return t.syntax(fmt.Errorf("delimitador inesperado %v / unexpected delimiter %v", d, d))
	}
	level := 1
	for level > 0 {
		if depth+level > maxJSONDepth {
			return fmt.Errorf("byte %d: JSON anidado a más de %d niveles / JSON nested deeper than %d levels", t.dec.InputOffset(), maxJSONDepth, maxJSONDepth)
		}
		tok, err := t.dec.Token()
		if err != nil {
			return t.syntax(err)
		}
		if d, ok := tok.(json.Delim); ok {
			if d == '{' || d == '[' {
				level++
			} else {
				level--
			}
		}
	}
	return nil
}

// array reads an array value, calling each for every element (which must
// consume it).
func (t *telegram) array(each func() error) error {
	tok, err := t.dec.Token()
	if err != nil {
		return t.syntax(err)
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return nil // a scalar where a list was expected: nothing to read
	}
	if d != '[' {
		return t.skip(1, d)
	}
	for t.dec.More() {
		if err := each(); err != nil {
			return err
		}
	}
	if _, err := t.dec.Token(); err != nil {
		return t.syntax(err)
	}
	return nil
}

func (t *telegram) reject(off int64, field, es, en string) error {
	return t.sink.Reject(Reject{Offset: off, Field: field, Reason: es, EN: en})
}

// element decodes one element of a list into v. A syntax error stops
// the import; a value of the wrong shape is rejected (ok false).
func (t *telegram) element(v any) (off int64, ok bool, err error) {
	var raw json.RawMessage
	if err := t.dec.Decode(&raw); err != nil {
		return t.dec.InputOffset(), false, t.syntax(err)
	}
	// The decoder stands at the element's end; raw is its exact bytes.
	off = t.dec.InputOffset() - int64(len(raw))
	if err := json.Unmarshal(raw, v); err != nil {
		return off, false, t.reject(off, "", "un elemento con campos de tipo inesperado: "+err.Error(), "an element with fields of an unexpected type: "+err.Error())
	}
	return off, true, nil
}

func (t *telegram) contact() error {
	var c tgContact
	off, ok, err := t.element(&c)
	if err != nil || !ok {
		return err
	}
	p := Party{Name: strings.TrimSpace(c.FirstName + " " + c.LastName)}
	if c.Phone != "" {
		p.Phones = []string{c.Phone}
	}
	if c.UserID != "" {
		p.UserID = "user" + c.UserID.String()
	}
	if p.IsZero() {
		return t.reject(off, "", "contacto sin nombre ni teléfono", "a contact with neither name nor phone")
	}
	src := t.src
	src.Offset = off
	return t.sink.Record(&Record{Kind: KindContact, Platform: "telegram", From: p, Source: src})
}

func (t *telegram) message(chat *tgChat) error {
	var m tgMessage
	off, ok, err := t.element(&m)
	if err != nil || !ok {
		return err
	}
	src := t.src
	src.Offset = off
	at, err := t.time(m)
	if err != nil {
		return t.reject(off, "date", "fecha no válida: "+err.Error(), "invalid date: "+err.Error())
	}
	rec := &Record{Kind: KindMessage, Platform: "telegram", At: at, Source: src, ChatTitle: chat.name}
	if chat.id != "" {
		rec.Chat = "telegram:" + chat.id
	}
	text, err := tgText(m.Text)
	if err != nil {
		return t.reject(off, "text", "texto de forma inesperada", "text of an unexpected shape")
	}
	rec.Text = text
	switch m.Type {
	case "message":
		if m.FromID == "" && m.From == nil {
			return t.reject(off, "from", "mensaje sin remitente", "a message without a sender")
		}
		rec.From = Party{UserID: m.FromID}
		if m.From != nil {
			rec.From.Name = *m.From
		}
		switch {
		case m.Photo != "":
			rec.Media = "image"
		case m.MediaType != "":
			rec.Media = m.MediaType
		case m.File != "":
			rec.Media = "document"
		}
	case "service":
		rec.From = Party{UserID: m.ActorID}
		if m.Actor != nil {
			rec.From.Name = *m.Actor
		}
		if m.Action == "phone_call" || m.Action == "group_call" {
			rec.Kind = KindCall
			if m.Duration != nil && *m.Duration >= 0 && *m.Duration < 1e7 {
				rec.Duration = time.Duration(*m.Duration) * time.Second
			}
			if m.Discard == "missed" || m.Discard == "busy" {
				rec.Direction = "missed"
			}
		} else {
			rec.System = true
			if rec.Text == "" {
				rec.Text = m.Action
			}
			rec.From = Party{}
		}
	default:
		return t.reject(off, "type", fmt.Sprintf("tipo de mensaje %q desconocido", m.Type), fmt.Sprintf("unknown message type %q", m.Type))
	}
	// In a personal chat the chat's id is the other person's: the
	// recipient is whoever of the two did not send.
	if chat.typ == "personal_chat" && chat.id != "" && !rec.System {
		peer := Party{Name: chat.name, UserID: "user" + chat.id}
		if rec.From.UserID == peer.UserID {
			if !t.owner.IsZero() {
				rec.To = []Party{t.owner}
			}
		} else {
			rec.To = []Party{peer}
		}
	}
	return t.sink.Record(rec)
}

func (t *telegram) time(m tgMessage) (time.Time, error) {
	if m.DateUnix != "" {
		s, err := strconv.ParseInt(m.DateUnix, 10, 64)
		if err != nil || s < 0 || s > 1<<40 {
			return time.Time{}, fmt.Errorf("date_unixtime %q", m.DateUnix)
		}
		return time.Unix(s, 0).In(t.opts.Location), nil
	}
	at, err := time.ParseInLocation("2006-01-02T15:04:05", m.Date, t.opts.Location)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q", m.Date)
	}
	return at, nil
}

// tgText flattens a message's text: a string, or an array of strings and
// {"type":..., "text":...} entities.
func tgText(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	if raw[0] == '"' {
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err
	}
	var parts []json.RawMessage
	if err := json.Unmarshal(raw, &parts); err != nil {
		return "", err
	}
	var b strings.Builder
	for _, p := range parts {
		p = bytes.TrimSpace(p)
		if len(p) > 0 && p[0] == '"' {
			var s string
			if err := json.Unmarshal(p, &s); err != nil {
				return "", err
			}
			b.WriteString(s)
			continue
		}
		var e struct {
			Text string `json:"text"`
		}
		if err := json.Unmarshal(p, &e); err != nil {
			return "", err
		}
		b.WriteString(e.Text)
	}
	return b.String(), nil
}
