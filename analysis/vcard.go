package analysis

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// maxCardProps bounds the properties of one vCard.
const maxCardProps = 10000

// vcardLine is one unfolded content line and where it started.
type vcardLine struct {
	text []byte
	num  int
}

// ImportVCard reads contacts in vCard 3.0 or 4.0 (and the 2.1 of older
// phones, quoted-printable included): one contact record per card, with
// its name, nicknames, telephone numbers, e-mail addresses, organisation
// and, from an X-CEDULA or X-ID-NUMBER property, an ID number. Folded
// lines (continued by a leading space or tab) are unfolded first. A card
// whose structure is broken (END without BEGIN, no name and no number) is
// rejected with its line number.
func ImportVCard(r io.Reader, src Source, sink Sink) (Summary, error) {
	c := &counter{Sink: sink}
	lr := newLineReader(r)
	var pending *vcardLine // the logical line being unfolded
	var card *vcardCard
	flush := func() error {
		if pending == nil {
			return nil
		}
		l := *pending
		pending = nil
		return vcardProperty(l, &card, src, c)
	}
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
		if len(text) > 0 && (text[0] == ' ' || text[0] == '\t') && pending != nil {
			if len(pending.text)+len(text) > MaxLine {
				if err := c.Reject(tooLongReject(num, text)); err != nil {
					return c.sum, err
				}
				continue
			}
			pending.text = append(pending.text, text[1:]...)
			continue
		}
		// A quoted-printable value of vCard 2.1 continues after a soft
		// line break "=".
		if pending != nil && bytes.HasSuffix(pending.text, []byte("=")) && bytes.Contains(bytes.ToUpper(pending.text), []byte("QUOTED-PRINTABLE")) {
			pending.text = append(pending.text[:len(pending.text)-1], text...)
			continue
		}
		if err := flush(); err != nil {
			return c.sum, err
		}
		if len(bytes.TrimSpace(text)) == 0 {
			continue
		}
		pending = &vcardLine{text: append([]byte(nil), text...), num: num}
	}
	if err := flush(); err != nil {
		return c.sum, err
	}
	if card != nil {
		if err := c.Reject(Reject{Line: card.line, Reason: "tarjeta sin END:VCARD al final del archivo", EN: "a card without END:VCARD at the end of the file"}); err != nil {
			return c.sum, err
		}
	}
	return c.sum, nil
}

type vcardCard struct {
	line    int
	version string
	fn      string
	n       string
	party   Party
	props   int
}

// vcardProperty applies one unfolded line to the card being read.
func vcardProperty(l vcardLine, cardp **vcardCard, src Source, sink Sink) error {
	card := *cardp
	if !utf8.Valid(l.text) {
		return sink.Reject(invalidUTF8Reject(l.num, l.text))
	}
	head, value, ok := bytes.Cut(l.text, []byte(":"))
	if !ok {
		return sink.Reject(Reject{Line: l.num, Reason: "línea sin ':' (NOMBRE:VALOR)", EN: "a line without ':' (NAME:VALUE)", Text: quote(l.text)})
	}
	parts := strings.Split(string(head), ";")
	name := strings.ToUpper(strings.TrimSpace(parts[0]))
	if _, after, found := strings.Cut(name, "."); found { // "item1.TEL"
		name = after
	}
	params := map[string]string{}
	for _, p := range parts[1:] {
		k, v, found := strings.Cut(p, "=")
		if !found { // vCard 2.1: "TEL;CELL:..."
			params["TYPE"] += "," + strings.ToLower(k)
			continue
		}
		params[strings.ToUpper(strings.TrimSpace(k))] += strings.ToLower(strings.Trim(v, `"`))
	}
	val := string(value)
	if strings.EqualFold(params["ENCODING"], "quoted-printable") {
		val = decodeQP(val)
	}
	switch name {
	case "BEGIN":
		if !strings.EqualFold(strings.TrimSpace(val), "VCARD") {
			return nil // another object (VCALENDAR): not a contact
		}
		if card != nil {
			if err := sink.Reject(Reject{Line: card.line, Reason: fmt.Sprintf("tarjeta sin END:VCARD antes de la línea %d", l.num), EN: fmt.Sprintf("a card without END:VCARD before line %d", l.num)}); err != nil {
				return err
			}
		}
		*cardp = &vcardCard{line: l.num}
		return nil
	case "END":
		if card == nil {
			return sink.Reject(Reject{Line: l.num, Reason: "END:VCARD sin BEGIN:VCARD", EN: "END:VCARD without BEGIN:VCARD"})
		}
		*cardp = nil
		return finishCard(card, src, sink)
	}
	if card == nil {
		return sink.Reject(Reject{Line: l.num, Reason: "propiedad fuera de una tarjeta (falta BEGIN:VCARD)", EN: "a property outside a card (BEGIN:VCARD is missing)", Text: quote(l.text)})
	}
	card.props++
	if card.props > maxCardProps {
		if card.props == maxCardProps+1 {
			return sink.Reject(Reject{Line: l.num, Reason: fmt.Sprintf("tarjeta de más de %d propiedades; el resto se ignora", maxCardProps), EN: fmt.Sprintf("a card of more than %d properties; the rest is ignored", maxCardProps)})
		}
		return nil
	}
	p := &card.party
	switch name {
	case "VERSION":
		card.version = strings.TrimSpace(val)
	case "FN":
		card.fn = strings.TrimSpace(unescapeVCard(val))
	case "N":
		comps := splitVCard(val, ';')
		// Family;Given;Additional;Prefix;Suffix → "Given Additional Family".
		var order []string
		for _, i := range []int{1, 2, 0} {
			if i < len(comps) && strings.TrimSpace(comps[i]) != "" {
				order = append(order, strings.TrimSpace(strings.ReplaceAll(comps[i], ",", " ")))
			}
		}
		card.n = strings.Join(order, " ")
	case "NICKNAME":
		for _, a := range splitVCard(val, ',') {
			if a = strings.TrimSpace(a); a != "" {
				p.Aliases = append(p.Aliases, a)
			}
		}
	case "TEL":
		v := strings.TrimSpace(unescapeVCard(val))
		v = strings.TrimPrefix(strings.TrimPrefix(v, "tel:"), "TEL:")
		if i := strings.IndexByte(v, ';'); i >= 0 { // "tel:+593...;ext=2"
			v = v[:i]
		}
		if v == "" {
			return sink.Reject(Reject{Line: l.num, Field: "TEL", Reason: "teléfono vacío", EN: "an empty telephone number"})
		}
		p.Phones = append(p.Phones, v)
	case "EMAIL":
		v := strings.TrimSpace(unescapeVCard(val))
		if v == "" || !strings.Contains(v, "@") {
			return sink.Reject(Reject{Line: l.num, Field: "EMAIL", Reason: fmt.Sprintf("%q no es una dirección de correo", v), EN: fmt.Sprintf("%q is not an e-mail address", v)})
		}
		p.Emails = append(p.Emails, v)
	case "ORG":
		p.Org = strings.TrimSpace(strings.Join(splitVCard(val, ';'), " "))
	case "X-CEDULA", "X-ID-NUMBER", "X-IDNUMBER":
		p.IDNumber = strings.TrimSpace(unescapeVCard(val))
	}
	return nil
}

func finishCard(card *vcardCard, src Source, sink Sink) error {
	switch card.version {
	case "", "2.1", "3.0", "4.0":
	default:
		return sink.Reject(Reject{Line: card.line, Field: "VERSION", Reason: fmt.Sprintf("versión %q de vCard no admitida (2.1, 3.0, 4.0)", card.version), EN: fmt.Sprintf("vCard version %q is not supported (2.1, 3.0, 4.0)", card.version)})
	}
	p := card.party
	p.Name = card.fn
	if p.Name == "" {
		p.Name = card.n
	} else if card.n != "" && !strings.EqualFold(card.n, p.Name) {
		p.Aliases = append(p.Aliases, card.n)
	}
	if p.Name == "" && len(p.Phones) == 0 && len(p.Emails) == 0 {
		return sink.Reject(Reject{Line: card.line, Reason: "tarjeta sin nombre, teléfono ni correo", EN: "a card with no name, telephone or e-mail"})
	}
	s := src
	s.Line = card.line
	return sink.Record(&Record{Kind: KindContact, Platform: "vcard", From: p, Source: s})
}

// splitVCard splits a value at unescaped sep and unescapes each part.
func splitVCard(v string, sep byte) []string {
	var out []string
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		switch {
		case v[i] == '\\' && i+1 < len(v):
			i++
			switch v[i] {
			case 'n', 'N':
				b.WriteByte('\n')
			default:
				b.WriteByte(v[i])
			}
		case v[i] == sep:
			out = append(out, b.String())
			b.Reset()
		default:
			b.WriteByte(v[i])
		}
	}
	return append(out, b.String())
}

func unescapeVCard(v string) string {
	if !strings.ContainsRune(v, '\\') {
		return v
	}
	return strings.Join(splitVCard(v, 0), "")
}

// decodeQP decodes quoted-printable ("=C3=A9"), leaving bad escapes as
// they are.
func decodeQP(v string) string {
	var b []byte
	for i := 0; i < len(v); i++ {
		if v[i] == '=' && i+2 < len(v) && isHex(v[i+1]) && isHex(v[i+2]) {
			b = append(b, unhex(v[i+1])<<4|unhex(v[i+2]))
			i += 2
			continue
		}
		b = append(b, v[i])
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}
