package analysis

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Mapping says which column of a CSV file holds which field, and how to
// read its values. It is saved as a small JSON file beside the exports of
// one bank or one carrier, so that every file of theirs is read the same
// way:
//
//	{"delimiter": ";", "time_layout": "02/01/2006 15:04:05", "decimal": ",",
//	 "columns": {"at": "Fecha", "from": "Origen", "to": "Destino", "duration": "Duración"}}
//
// Fields of a call: at, from, to (required), duration, direction,
// from_name, to_name. Fields of a payment: at, amount (required),
// currency, reference, and for each side (from_, to_) account, name, id
// and bank, of which one at least. Column names are matched without case
// or accents. Without a mapping, DefaultMapping guesses from the header.
type Mapping struct {
	Delimiter string            `json:"delimiter,omitempty"` // one character; "," by default
	Columns   map[string]string `json:"columns"`
	// TimeLayout is a Go time layout ("02/01/2006 15:04:05"), "unix"
	// (seconds), or "" for the usual ones (RFC 3339, ISO dates, day first).
	TimeLayout string `json:"time_layout,omitempty"`
	// Zone is the offset of times without one ("-05:00"); Ecuador's by
	// default.
	Zone string `json:"zone,omitempty"`
	// Decimal is the decimal separator of amounts, "." or ","; by default
	// decided per value.
	Decimal string `json:"decimal,omitempty"`
	// Duration is "seconds" (default) or "clock" (h:mm:ss or mm:ss); a
	// value with ':' is read as a clock either way.
	Duration string `json:"duration,omitempty"`
	// Currency of amounts without one (default USD, Ecuador's).
	Currency string `json:"currency,omitempty"`
}

// ParseMapping reads a mapping file.
func ParseMapping(data []byte) (*Mapping, error) {
	var m Mapping
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("mapeo de columnas no válido / invalid column mapping: %w", err)
	}
	if len(m.Columns) == 0 {
		return nil, fmt.Errorf("el mapeo no tiene \"columns\" / the mapping has no \"columns\"")
	}
	return &m, nil
}

var callFields = map[string]bool{"at": true, "from": true, "to": true, "duration": true, "direction": true, "from_name": true, "to_name": true}
var paymentFields = map[string]bool{"at": true, "amount": true, "currency": true, "reference": true,
	"from_account": true, "from_name": true, "from_id": true, "from_bank": true, "to_account": true, "to_name": true, "to_id": true, "to_bank": true}

// headerSynonyms are the column names DefaultMapping recognises, folded.
var headerSynonyms = map[string][]string{
	"at":           {"fecha", "fecha hora", "fecha y hora", "fecha_hora", "date", "datetime", "timestamp", "time", "hora"},
	"from":         {"origen", "numero origen", "numero_origen", "llamante", "from", "caller", "calling number", "a number"},
	"to":           {"destino", "numero destino", "numero_destino", "receptor", "to", "callee", "called number", "b number"},
	"duration":     {"duracion", "duracion s", "segundos", "duration", "seconds"},
	"direction":    {"tipo", "direccion", "sentido", "direction", "type"},
	"from_name":    {"nombre origen", "from name", "ordenante", "remitente", "payer"},
	"to_name":      {"nombre destino", "to name", "beneficiario", "destinatario", "beneficiary"},
	"amount":       {"monto", "valor", "importe", "amount"},
	"currency":     {"moneda", "currency"},
	"reference":    {"referencia", "concepto", "detalle", "reference", "memo", "purpose"},
	"from_account": {"cuenta origen", "cuenta_origen", "cuenta ordenante", "from account", "payer account"},
	"to_account":   {"cuenta destino", "cuenta_destino", "cuenta beneficiario", "to account", "beneficiary account"},
	"from_id":      {"cedula ordenante", "id ordenante", "from id", "payer id"},
	"to_id":        {"cedula beneficiario", "id beneficiario", "to id", "beneficiary id"},
	"from_bank":    {"banco origen", "from bank", "payer bank"},
	"to_bank":      {"banco destino", "to bank", "beneficiary bank"},
}

// csvImport reads one CSV file against a mapping.
type csvImport struct {
	m      Mapping
	kind   string
	loc    *time.Location
	delim  byte
	col    map[string]int // field → column index
	fields map[string]bool
}

// ImportCallsCSV reads call records (one call per row) with mapping m;
// nil guesses the columns from the header.
func ImportCallsCSV(r io.Reader, src Source, m *Mapping, sink Sink) (Summary, error) {
	return importCSV(r, src, m, KindCall, sink)
}

// ImportPaymentsCSV reads bank transfers (one per row) with mapping m;
// nil guesses the columns from the header.
func ImportPaymentsCSV(r io.Reader, src Source, m *Mapping, sink Sink) (Summary, error) {
	return importCSV(r, src, m, KindPayment, sink)
}

func importCSV(r io.Reader, src Source, m *Mapping, kind string, sink Sink) (Summary, error) {
	c := &counter{Sink: sink}
	ci := &csvImport{kind: kind, loc: Ecuador, delim: ','}
	ci.fields = callFields
	if kind == KindPayment {
		ci.fields = paymentFields
	}
	if m != nil {
		ci.m = *m
	}
	if ci.m.Delimiter != "" {
		if len(ci.m.Delimiter) != 1 || ci.m.Delimiter == "\"" || ci.m.Delimiter == "\n" {
			return c.sum, fmt.Errorf("delimitador %q no válido (un carácter ASCII) / invalid delimiter %q (one ASCII character)", ci.m.Delimiter, ci.m.Delimiter)
		}
		ci.delim = ci.m.Delimiter[0]
	}
	if ci.m.Zone != "" {
		t, err := time.Parse("-07:00", ci.m.Zone)
		if err != nil {
			return c.sum, fmt.Errorf("zona %q no válida (p. ej. -05:00) / invalid zone %q (e.g. -05:00)", ci.m.Zone, ci.m.Zone)
		}
		_, off := t.Zone()
		ci.loc = time.FixedZone(ci.m.Zone, off)
	}
	switch ci.m.Decimal {
	case "", ".", ",":
	default:
		return c.sum, fmt.Errorf("separador decimal %q no válido (. o ,) / invalid decimal separator %q (. or ,)", ci.m.Decimal, ci.m.Decimal)
	}
	for f := range ci.m.Columns {
		if !ci.fields[f] {
			return c.sum, fmt.Errorf("el mapeo nombra el campo %q, que no existe para %s / the mapping names field %q, which %s records do not have", f, kind, f, kind)
		}
	}
	lr := ci.reader(r)
	header := true
	for {
		rec, num, rej, err := ci.readRecord(lr)
		if err == io.EOF {
			break
		}
		if err != nil {
			return c.sum, err
		}
		if rej != nil {
			if header {
				return c.sum, rej
			}
			if err := c.Reject(*rej); err != nil {
				return c.sum, err
			}
			continue
		}
		if header {
			if len(rec) == 1 && ci.m.Delimiter == "" && strings.Count(lr.lastRaw, ";") > 0 {
				// A header with no comma but semicolons: the spreadsheet
				// export of a Spanish-language system.
				ci.delim = ';'
				rec = splitSimple(lr.lastRaw, ';')
			}
			if err := ci.header(rec, num); err != nil {
				return c.sum, err
			}
			header = false
			continue
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		out, rej2 := ci.row(rec, num, src)
		if rej2 != nil {
			if err := c.Reject(*rej2); err != nil {
				return c.sum, err
			}
			continue
		}
		if err := c.Record(out); err != nil {
			return c.sum, err
		}
	}
	if header {
		return c.sum, fmt.Errorf("archivo vacío: falta la fila de encabezados / empty file: the header row is missing")
	}
	return c.sum, nil
}

func splitSimple(s string, sep byte) []string { return strings.Split(s, string(sep)) }

// header finds the mapped columns.
func (ci *csvImport) header(names []string, num int) error {
	folded := make([]string, len(names))
	for i, n := range names {
		folded[i] = Fold(n)
	}
	ci.col = map[string]int{}
	find := func(field string, candidates []string) {
		for _, cand := range candidates {
			for i, f := range folded {
				if f == Fold(cand) {
					ci.col[field] = i
					return
				}
			}
		}
	}
	if len(ci.m.Columns) > 0 {
		for field, name := range ci.m.Columns {
			find(field, []string{name})
			if _, ok := ci.col[field]; !ok {
				return fmt.Errorf("línea %d: no hay columna %q (campo %s) en el encabezado / line %d: no column %q (field %s) in the header", num, name, field, num, name, field)
			}
		}
	} else {
		for field := range ci.fields {
			find(field, headerSynonyms[field])
		}
	}
	var required []string
	if ci.kind == KindCall {
		required = []string{"at", "from", "to"}
	} else {
		required = []string{"at", "amount"}
	}
	for _, f := range required {
		if _, ok := ci.col[f]; !ok {
			return fmt.Errorf("línea %d: falta la columna del campo %s (use --mapping) / line %d: no column for field %s (use --mapping)", num, f, num, f)
		}
	}
	if ci.kind == KindPayment {
		for _, side := range []string{"from", "to"} {
			found := false
			for _, f := range []string{"_account", "_name", "_id"} {
				if _, ok := ci.col[side+f]; ok {
					found = true
				}
			}
			if !found {
				return fmt.Errorf("línea %d: ninguna columna identifica al lado %s (cuenta, nombre o cédula) / line %d: no column identifies the %s side (account, name or id)", num, side, num, side)
			}
		}
	}
	return nil
}

func (ci *csvImport) get(rec []string, field string) string {
	i, ok := ci.col[field]
	if !ok || i >= len(rec) {
		return ""
	}
	return strings.TrimSpace(rec[i])
}

// row turns one CSV row into a record.
func (ci *csvImport) row(rec []string, num int, src Source) (*Record, *Reject) {
	bad := func(field, es, en string) (*Record, *Reject) {
		return nil, &Reject{Line: num, Field: field, Reason: es, EN: en, Text: quote([]byte(strings.Join(rec, string(ci.delim))))}
	}
	atText := ci.get(rec, "at")
	at, err := ci.parseTime(atText)
	if err != nil {
		return bad("at", fmt.Sprintf("fecha %q no válida", atText), fmt.Sprintf("invalid date %q", atText))
	}
	s := src
	s.Line = num
	out := &Record{Kind: ci.kind, At: at, Source: s}
	if ci.kind == KindCall {
		out.Platform = "calls"
		from, to := ci.get(rec, "from"), ci.get(rec, "to")
		if from == "" {
			return bad("from", "número de origen vacío", "empty caller number")
		}
		if to == "" {
			return bad("to", "número de destino vacío", "empty receiver number")
		}
		out.From = Party{Phones: []string{from}, Name: ci.get(rec, "from_name")}
		out.To = []Party{{Phones: []string{to}, Name: ci.get(rec, "to_name")}}
		if d := ci.get(rec, "duration"); d != "" {
			dur, err := parseDuration(d)
			if err != nil {
				return bad("duration", fmt.Sprintf("duración %q no válida", d), fmt.Sprintf("invalid duration %q", d))
			}
			out.Duration = dur
		}
		out.Direction = normDirection(ci.get(rec, "direction"))
		return out, nil
	}
	out.Platform = "payments"
	amtText := ci.get(rec, "amount")
	amt, err := parseAmount(amtText, ci.m.Decimal)
	if err != nil {
		return bad("amount", fmt.Sprintf("monto %q no válido", amtText), fmt.Sprintf("invalid amount %q", amtText))
	}
	out.Amount = amt
	out.Currency = strings.ToUpper(ci.get(rec, "currency"))
	if out.Currency == "" {
		out.Currency = ci.m.Currency
	}
	if out.Currency == "" {
		out.Currency = "USD"
	}
	out.Reference = ci.get(rec, "reference")
	side := func(p string) Party {
		return Party{Account: ci.get(rec, p+"_account"), Name: ci.get(rec, p+"_name"), IDNumber: ci.get(rec, p+"_id"), Bank: ci.get(rec, p+"_bank")}
	}
	out.From = side("from")
	out.To = []Party{side("to")}
	if out.From.IsZero() {
		return bad("from", "el ordenante no tiene cuenta, nombre ni cédula", "the payer has no account, name or id")
	}
	if out.To[0].IsZero() {
		return bad("to", "el beneficiario no tiene cuenta, nombre ni cédula", "the beneficiary has no account, name or id")
	}
	return out, nil
}

var defaultLayouts = []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02 15:04", "02/01/2006 15:04:05", "02/01/2006 15:04", "2/1/2006 15:04:05", "2/1/2006 15:04", "02-01-2006 15:04:05"}

func (ci *csvImport) parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, fmt.Errorf("empty")
	}
	switch ci.m.TimeLayout {
	case "unix":
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 || n > 1<<40 {
			return time.Time{}, fmt.Errorf("bad unix time")
		}
		return time.Unix(n, 0).In(ci.loc), nil
	case "":
		for _, l := range defaultLayouts {
			if t, err := time.ParseInLocation(l, s, ci.loc); err == nil {
				return t, nil
			}
		}
		return time.Time{}, fmt.Errorf("no layout")
	}
	return time.ParseInLocation(ci.m.TimeLayout, s, ci.loc)
}

// parseDuration reads seconds ("75", "75.0") or a clock ("1:15",
// "0:01:15").
func parseDuration(s string) (time.Duration, error) {
	if strings.Contains(s, ":") {
		parts := strings.Split(s, ":")
		if len(parts) > 3 {
			return 0, fmt.Errorf("too many parts")
		}
		total := 0
		for i, p := range parts {
			v, err := strconv.Atoi(p)
			if err != nil || v < 0 || (i > 0 && v > 59) || v > 1e6 {
				return 0, fmt.Errorf("bad clock")
			}
			total = total*60 + v
		}
		return time.Duration(total) * time.Second, nil
	}
	f, err := strconv.ParseFloat(strings.ReplaceAll(s, ",", "."), 64)
	if err != nil || f < 0 || f > 1e7 {
		return 0, fmt.Errorf("bad seconds")
	}
	return time.Duration(f * float64(time.Second)), nil
}

func normDirection(s string) string {
	switch Fold(s) {
	case "":
		return ""
	case "entrante", "recibida", "incoming", "in", "mtc":
		return "incoming"
	case "saliente", "realizada", "outgoing", "out", "moc":
		return "outgoing"
	case "perdida", "missed", "no contestada":
		return "missed"
	}
	return Fold(s)
}

// parseAmount normalises an amount to a decimal with "." and no grouping:
// "1.234,56", "1,234.56", "$ 1234.5", "-20" → "1234.56", "1234.56",
// "1234.5", "-20". decimal is the decimal separator, or "" to decide from
// the value (the last of "." and "," when both appear; a lone ","
// followed by one or two digits).
func parseAmount(s, decimal string) (string, error) {
	t := strings.TrimSpace(s)
	t = strings.TrimPrefix(t, "US$")
	t = strings.TrimPrefix(t, "USD")
	t = strings.TrimPrefix(t, "$")
	t = strings.TrimSuffix(t, "USD")
	t = strings.ReplaceAll(t, " ", "")
	t = strings.ReplaceAll(t, "\u00a0", "")
	neg := false
	if strings.HasPrefix(t, "-") {
		neg, t = true, t[1:]
	} else if strings.HasPrefix(t, "(") && strings.HasSuffix(t, ")") {
		neg, t = true, t[1:len(t)-1]
	}
	if decimal == "" {
		lastDot, lastComma := strings.LastIndexByte(t, '.'), strings.LastIndexByte(t, ',')
		switch {
		case lastDot >= 0 && lastComma >= 0:
			decimal = "."
			if lastComma > lastDot {
				decimal = ","
			}
		case lastComma >= 0 && strings.Count(t, ",") == 1 && len(t)-lastComma-1 <= 2:
			decimal = ","
		default:
			decimal = "."
		}
	}
	group := ","
	if decimal == "," {
		group = "."
	}
	t = strings.ReplaceAll(t, group, "")
	if decimal == "," {
		t = strings.ReplaceAll(t, ",", ".")
	}
	if t == "" || strings.Count(t, ".") > 1 || t[0] == '.' || t[len(t)-1] == '.' {
		return "", fmt.Errorf("bad amount")
	}
	for i := 0; i < len(t); i++ {
		if (t[i] < '0' || t[i] > '9') && t[i] != '.' {
			return "", fmt.Errorf("bad amount")
		}
	}
	if len(t) > 30 {
		return "", fmt.Errorf("too long")
	}
	t = strings.TrimLeft(t, "0")
	if t == "" || t[0] == '.' {
		t = "0" + t
	}
	if neg && strings.Trim(t, "0.") != "" {
		t = "-" + t
	}
	return t, nil
}

// readRecord reads one CSV record (RFC 4180: quoted fields may hold the
// delimiter, doubled quotes and newlines) of at most MaxLine bytes. A
// malformed record is returned as a reject, and reading goes on after it.
func (ci *csvImport) readRecord(lr *lineReaderCSV) ([]string, int, *Reject, error) {
	return lr.read(ci.delim)
}

// maxFieldLines bounds the lines of one quoted field.
const maxFieldLines = 1000

// lineReaderCSV is a lineReader that joins the lines of a quoted field.
type lineReaderCSV struct {
	*lineReader
	lastRaw string
}

func (ci *csvImport) reader(r io.Reader) *lineReaderCSV {
	return &lineReaderCSV{lineReader: newLineReader(r)}
}

func (lr *lineReaderCSV) read(delim byte) ([]string, int, *Reject, error) {
	text, num, _, tooLong, err := lr.next()
	if err != nil {
		return nil, 0, nil, err
	}
	if tooLong {
		r := tooLongReject(num, text)
		return nil, num, &r, nil
	}
	line := append([]byte(nil), text...)
	for lines := 1; ; lines++ {
		fields, open := splitCSV(line, delim)
		if !open {
			if !utf8.Valid(line) {
				r := invalidUTF8Reject(num, line)
				return nil, num, &r, nil
			}
			lr.lastRaw = string(line)
			return fields, num, nil, nil
		}
		// A quoted field goes on on the next line.
		more, _, _, tooLong, err := lr.next()
		if err == io.EOF || tooLong || len(line)+1+len(more) > MaxLine || lines >= maxFieldLines {
			last := lr.line
			r := Reject{Line: num, Reason: fmt.Sprintf("comilla sin cerrar: las líneas %d a %d no se leyeron", num, last), EN: fmt.Sprintf("an unclosed quote: lines %d to %d were not read", num, last), Text: quote(line)}
			return nil, num, &r, nil
		}
		if err != nil {
			return nil, 0, nil, err
		}
		line = append(append(line, '\n'), more...)
	}
}

// splitCSV splits a record; open reports a quoted field still open at the
// end of the line. A quote inside an unquoted field is kept as it is.
func splitCSV(line []byte, delim byte) (fields []string, open bool) {
	var b strings.Builder
	inQuotes, quoted := false, false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case inQuotes && c == '"' && i+1 < len(line) && line[i+1] == '"':
			b.WriteByte('"')
			i++
		case inQuotes && c == '"':
			inQuotes = false
		case inQuotes:
			b.WriteByte(c)
		case c == '"' && !quoted && b.Len() == 0:
			inQuotes, quoted = true, true
		case c == delim:
			fields = append(fields, b.String())
			b.Reset()
			quoted = false
		default:
			b.WriteByte(c)
		}
	}
	if inQuotes {
		return nil, true
	}
	return append(fields, b.String()), false
}
