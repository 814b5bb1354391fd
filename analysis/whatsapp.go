package analysis

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// WhatsAppOptions says how to read a WhatsApp chat export.
type WhatsAppOptions struct {
	// DateOrder is "dmy", "mdy" or "" to decide from the file: the first
	// date whose day cannot be a month settles it; a file where none does
	// is read as "mdy" when it uses English AM/PM marks (the United States
	// export) and as "dmy" otherwise (Spanish and most other languages).
	DateOrder string
	// Location is the zone of the export's times (the phone's), by
	// default Ecuador's (UTC−5, no daylight saving).
	Location *time.Location
}

// Ecuador is UTC−5 without daylight saving, the zone of the phones of a
// case unless an importer is told otherwise.
var Ecuador = time.FixedZone("-05", -5*3600)

// MaxMessage bounds a multi-line message's text; lines past it are
// rejected, not silently dropped.
const MaxMessage = 1 << 20

// maxPending bounds the messages held while the date order is undecided.
const maxPending = 4096

// waHeader is the start of a message line: its date and time as written.
type waHeader struct {
	a, b, c  int // the three numbers of the date, in file order
	yearLen  int // digits of the year field (c, or a when the year leads)
	yearLead bool
	h, m, s  int
	ampm     byte // 'a', 'p' or 0
	english  bool // "AM"/"PM" without dots
	rest     []byte
}

// waMessage is a message being read: its header and text so far.
type waMessage struct {
	hdr  waHeader
	line int
	text []byte
}

// whatsApp reads one export.
type whatsApp struct {
	src     Source
	opts    WhatsAppOptions
	sink    Sink
	order   string // decided date order, "" while undecided
	english bool   // AM/PM marks seen
	pending []waMessage
}

// ImportWhatsApp reads a WhatsApp chat export (.txt, from Android or iOS,
// in any of the date formats of Spanish and English phones) and hands each
// message and system line to sink. The chat's messages name their sender
// only: the recipients are the chat's other participants. Lines that
// start no message continue the one before (a multi-line message).
func ImportWhatsApp(r io.Reader, src Source, opts WhatsAppOptions, sink Sink) (Summary, error) {
	if opts.Location == nil {
		opts.Location = Ecuador
	}
	c := &counter{Sink: sink}
	w := &whatsApp{src: src, opts: opts, sink: c, order: opts.DateOrder}
	if w.order != "" && w.order != "dmy" && w.order != "mdy" {
		return c.sum, fmt.Errorf("orden de fecha %q desconocido (dmy, mdy) / unknown date order %q (dmy, mdy)", w.order, w.order)
	}
	lr := newLineReader(r)
	var cur *waMessage
	for {
		text, num, _, tooLong, err := lr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return c.sum, err
		}
		if tooLong {
			if err := c.Reject(tooLongReject(num, text)); err != nil {
				return c.sum, err
			}
			continue
		}
		if !utf8.Valid(text) {
			if err := c.Reject(invalidUTF8Reject(num, text)); err != nil {
				return c.sum, err
			}
			continue
		}
		if h, ok := parseWAHeader(text); ok {
			if cur != nil {
				if err := w.push(*cur); err != nil {
					return c.sum, err
				}
			}
			cur = &waMessage{hdr: h, line: num, text: append([]byte(nil), h.rest...)}
			cur.hdr.rest = nil // it points into the reader's buffer
			continue
		}
		if cur == nil {
			if len(bytes.TrimSpace(text)) == 0 {
				continue
			}
			if err := c.Reject(Reject{Line: num, Reason: "línea sin fecha antes del primer mensaje", EN: "a line without a date before the first message", Text: quote(text)}); err != nil {
				return c.sum, err
			}
			continue
		}
		if len(cur.text)+1+len(text) > MaxMessage {
			if err := c.Reject(Reject{Line: num, Reason: fmt.Sprintf("el mensaje de la línea %d supera %d bytes; esta línea no se incluyó", cur.line, MaxMessage),
				EN: fmt.Sprintf("the message of line %d exceeds %d bytes; this line was not included", cur.line, MaxMessage), Text: quote(text)}); err != nil {
				return c.sum, err
			}
			continue
		}
		cur.text = append(cur.text, '\n')
		cur.text = append(cur.text, text...)
	}
	if cur != nil {
		if err := w.push(*cur); err != nil {
			return c.sum, err
		}
	}
	if w.order == "" {
		w.decide("")
	}
	return c.sum, w.flush()
}

// push queues a complete message; while the date order is undecided the
// messages wait (at most maxPending of them).
func (w *whatsApp) push(m waMessage) error {
	if m.hdr.english {
		w.english = true
	}
	if w.order == "" {
		switch {
		case m.hdr.yearLead:
		case m.hdr.a > 12 && m.hdr.b <= 12:
			w.decide("dmy")
		case m.hdr.b > 12 && m.hdr.a <= 12:
			w.decide("mdy")
		}
	}
	w.pending = append(w.pending, m)
	if w.order == "" && len(w.pending) < maxPending {
		return nil
	}
	if w.order == "" {
		w.decide("")
	}
	return w.flush()
}

func (w *whatsApp) decide(order string) {
	if order == "" {
		order = "dmy"
		if w.english {
			order = "mdy"
		}
	}
	w.order = order
}

func (w *whatsApp) flush() error {
	for _, m := range w.pending {
		if err := w.emit(m); err != nil {
			return err
		}
	}
	w.pending = w.pending[:0]
	return nil
}

// emit turns a message into a record, or a reject.
func (w *whatsApp) emit(m waMessage) error {
	at, rej := w.time(m.hdr)
	if rej != "" {
		es, en, _ := strings.Cut(rej, "|")
		return w.sink.Reject(Reject{Line: m.line, Field: "fecha/date", Reason: es, EN: en, Text: quote(m.text)})
	}
	src := w.src
	src.Line = m.line
	rec := &Record{Kind: KindMessage, Platform: "whatsapp", At: at, Chat: "whatsapp:" + w.src.SHA256, Source: src}
	text := string(m.text)
	sender, body, hasSender := strings.Cut(text, ": ")
	if strings.ContainsRune(sender, '\n') {
		hasSender = false
	}
	if !hasSender {
		rec.System = true
		rec.Text = strings.TrimLeft(text, "\u200e\u200f ")
		return w.sink.Record(rec)
	}
	sender = strings.TrimSpace(strings.Trim(sender, "\u200e\u200f"))
	sender = strings.TrimSpace(strings.TrimPrefix(sender, "~"))
	if sender == "" {
		return w.sink.Reject(Reject{Line: m.line, Field: "remitente/sender", Reason: "mensaje sin remitente", EN: "a message without a sender", Text: quote(m.text)})
	}
	marked := strings.HasPrefix(body, "\u200e")
	body = strings.TrimLeft(body, "\u200e\u200f")
	if kind, name := mediaPlaceholder(body); kind != "" {
		rec.Media = kind
		body = name
	} else if marked {
		// iOS writes a group's system lines with the group's name as
		// the sender and the text marked left-to-right.
		rec.System = true
		rec.ChatTitle = sender
		rec.Text = body
		return w.sink.Record(rec)
	}
	for _, suffix := range []string{" <Se editó este mensaje.>", " <This message was edited>"} {
		body = strings.TrimSuffix(body, suffix)
	}
	rec.Text = body
	if isPhoneLike(sender) {
		rec.From = Party{Phones: []string{sender}}
	} else {
		rec.From = Party{Name: sender}
	}
	return w.sink.Record(rec)
}

// time turns a header into an instant, or says ("es|en") why it cannot.
func (w *whatsApp) time(h waHeader) (time.Time, string) {
	var y, mo, d int
	switch {
	case h.yearLead:
		y, mo, d = h.a, h.b, h.c
	case w.order == "mdy":
		mo, d, y = h.a, h.b, h.c
	default:
		d, mo, y = h.a, h.b, h.c
	}
	if h.yearLen == 2 {
		y += 2000
	}
	hour := h.h
	switch h.ampm {
	case 'a', 'p':
		if hour < 1 || hour > 12 {
			return time.Time{}, fmt.Sprintf("hora %d no válida con a. m./p. m.|hour %d is not valid with AM/PM", hour, hour)
		}
		hour %= 12
		if h.ampm == 'p' {
			hour += 12
		}
	}
	if mo < 1 || mo > 12 || d < 1 || d > 31 || y < 2009 || y > 2100 {
		return time.Time{}, fmt.Sprintf("fecha %d/%d/%d no válida (orden %s)|date %d/%d/%d is not valid (order %s)", h.a, h.b, h.c, w.order, h.a, h.b, h.c, w.order)
	}
	if hour > 23 || h.m > 59 || h.s > 59 {
		return time.Time{}, fmt.Sprintf("hora %02d:%02d:%02d no válida|time %02d:%02d:%02d is not valid", hour, h.m, h.s, hour, h.m, h.s)
	}
	t := time.Date(y, time.Month(mo), d, hour, h.m, h.s, 0, w.opts.Location)
	if t.Day() != d {
		return time.Time{}, fmt.Sprintf("el día %d no existe en %d-%02d|day %d does not exist in %d-%02d", d, y, mo, d, y, mo)
	}
	return t, ""
}

// parseWAHeader reads "DATE, TIME - " (Android) or "[DATE, TIME] " (iOS)
// at the start of a line.
func parseWAHeader(s []byte) (waHeader, bool) {
	var h waHeader
	s = trimMarks(s)
	bracket := len(s) > 0 && s[0] == '['
	if bracket {
		s = s[1:]
	}
	var n [3]int
	var digits [3]int
	var sep byte
	for i := 0; i < 3; i++ {
		v, k := leadingInt(s, 4)
		if k == 0 {
			return h, false
		}
		n[i], digits[i] = v, k
		s = s[k:]
		if i < 2 {
			if len(s) == 0 || (s[0] != '/' && s[0] != '.' && s[0] != '-') {
				return h, false
			}
			if i == 0 {
				sep = s[0]
			} else if s[0] != sep {
				return h, false
			}
			s = s[1:]
		}
	}
	switch {
	case digits[0] == 4 && digits[1] <= 2 && digits[2] <= 2:
		h.yearLead, h.yearLen = true, 4
	case digits[0] <= 2 && digits[1] <= 2 && (digits[2] == 2 || digits[2] == 4):
		h.yearLen = digits[2]
	default:
		return h, false
	}
	h.a, h.b, h.c = n[0], n[1], n[2]
	if len(s) > 0 && s[0] == '.' { // "14.12.23." in some locales
		s = s[1:]
	}
	if len(s) > 0 && s[0] == ',' {
		s = s[1:]
	}
	s = trimSpaces(s)
	var k int
	if h.h, k = leadingInt(s, 2); k == 0 || len(s) <= k || s[k] != ':' {
		return h, false
	}
	s = s[k+1:]
	if h.m, k = leadingInt(s, 2); k != 2 {
		return h, false
	}
	s = s[2:]
	if len(s) > 0 && s[0] == ':' {
		if h.s, k = leadingInt(s[1:], 2); k != 2 {
			return h, false
		}
		s = s[3:]
	}
	s, h.ampm, h.english = ampm(s)
	if bracket {
		if len(s) == 0 || s[0] != ']' {
			return h, false
		}
		s = s[1:]
		if len(s) > 0 && s[0] == ' ' {
			s = s[1:]
		}
		h.rest = s
		return h, true
	}
	s = trimSpaces(s)
	if len(s) == 0 || s[0] != '-' {
		return h, false
	}
	s = s[1:]
	if len(s) > 0 && s[0] == ' ' {
		s = s[1:]
	}
	h.rest = s
	return h, true
}

// ampm reads an optional " a. m.", " p.m.", " AM", " pm" after a time.
func ampm(s []byte) (rest []byte, mark byte, english bool) {
	t := trimSpaces(s)
	if len(t) == 0 {
		return s, 0, false
	}
	var m byte
	switch t[0] {
	case 'a', 'A':
		m = 'a'
	case 'p', 'P':
		m = 'p'
	default:
		return s, 0, false
	}
	u := t[1:]
	dotted := false
	if len(u) > 0 && u[0] == '.' {
		u, dotted = u[1:], true
	}
	u = trimSpaces(u)
	if len(u) == 0 || (u[0] != 'm' && u[0] != 'M') {
		return s, 0, false
	}
	english = !dotted && t[0] == 'A' || !dotted && t[0] == 'P'
	u = u[1:]
	if len(u) > 0 && u[0] == '.' {
		u = u[1:]
	}
	return u, m, english
}

// trimSpaces drops leading spaces, including the no-break and narrow
// no-break spaces newer exports put before "p. m.".
func trimSpaces(s []byte) []byte {
	for {
		switch {
		case len(s) > 0 && (s[0] == ' ' || s[0] == '\t'):
			s = s[1:]
		case bytes.HasPrefix(s, []byte("\u00a0")):
			s = s[2:]
		case bytes.HasPrefix(s, []byte("\u202f")):
			s = s[3:]
		default:
			return s
		}
	}
}

// trimMarks drops leading left-to-right and right-to-left marks.
func trimMarks(s []byte) []byte {
	for bytes.HasPrefix(s, []byte("\u200e")) || bytes.HasPrefix(s, []byte("\u200f")) {
		s = s[3:]
	}
	return s
}

// leadingInt reads up to max decimal digits.
func leadingInt(s []byte, max int) (v, n int) {
	for n < len(s) && n < max && '0' <= s[n] && s[n] <= '9' {
		v = v*10 + int(s[n]-'0')
		n++
	}
	return v, n
}

// mediaPlaceholders maps what exports write instead of an attachment (in
// Spanish and English, Android and iOS) to the kind of attachment.
var mediaPlaceholders = map[string]string{
	"<multimedia omitido>":           "media",
	"<media omitted>":                "media",
	"<archivo omitido>":              "media",
	"imagen omitida":                 "image",
	"image omitted":                  "image",
	"video omitido":                  "video",
	"video omitted":                  "video",
	"audio omitido":                  "audio",
	"audio omitted":                  "audio",
	"sticker omitido":                "sticker",
	"sticker omitted":                "sticker",
	"gif omitido":                    "gif",
	"gif omitted":                    "gif",
	"documento omitido":              "document",
	"document omitted":               "document",
	"tarjeta de contacto omitida":    "contact",
	"contact card omitted":           "contact",
	"se eliminó este mensaje.":       "deleted",
	"se eliminó este mensaje":        "deleted",
	"eliminaste este mensaje.":       "deleted",
	"eliminaste este mensaje":        "deleted",
	"este mensaje fue eliminado":     "deleted",
	"this message was deleted":       "deleted",
	"you deleted this message":       "deleted",
	"<se omitió el archivo adjunto>": "media",
}

// mediaPlaceholder returns the kind of attachment a message's text stands
// for, and the attachment's file name when the text gives one.
func mediaPlaceholder(text string) (kind, name string) {
	t := strings.TrimSpace(text)
	if k, ok := mediaPlaceholders[strings.ToLower(t)]; ok {
		return k, ""
	}
	for _, p := range []string{"<adjunto: ", "<attached: "} {
		if strings.HasPrefix(t, p) && strings.HasSuffix(t, ">") {
			name := t[len(p) : len(t)-1]
			return mediaKindOf(name), name
		}
	}
	for _, suffix := range []string{" (archivo adjunto)", " (file attached)"} {
		if name, ok := strings.CutSuffix(t, suffix); ok && !strings.ContainsRune(name, '\n') {
			return mediaKindOf(name), name
		}
	}
	return "", ""
}

func mediaKindOf(name string) string {
	lower := strings.ToLower(name)
	switch {
	case strings.HasSuffix(lower, ".jpg"), strings.HasSuffix(lower, ".jpeg"), strings.HasSuffix(lower, ".png"), strings.HasSuffix(lower, ".webp") && !strings.Contains(lower, "stk"):
		return "image"
	case strings.HasSuffix(lower, ".mp4"), strings.HasSuffix(lower, ".mov"):
		return "video"
	case strings.HasSuffix(lower, ".opus"), strings.HasSuffix(lower, ".ogg"), strings.HasSuffix(lower, ".m4a"), strings.HasSuffix(lower, ".mp3"):
		return "audio"
	case strings.HasSuffix(lower, ".webp"):
		return "sticker"
	case strings.HasSuffix(lower, ".vcf"):
		return "contact"
	}
	return "document"
}

// isPhoneLike reports whether a sender is a number rather than a name:
// only digits, "+", spaces, dashes, dots and parentheses, with 7 to 15
// digits (an unsaved contact).
func isPhoneLike(s string) bool {
	digits := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '+' || r == ' ' || r == '-' || r == '(' || r == ')' || r == '.' || r == '\u00a0' || r == '\u202f' || r == '\u2011':
		default:
			return false
		}
	}
	return digits >= 7 && digits <= 15
}
