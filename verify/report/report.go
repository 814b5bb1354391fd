// Package report writes a verifier's verdict for people: a judge, a
// lawyer, an expert, in Spanish or English. It renders a verify.Result and
// cannot change it, so it lies outside the verifier's trust base.
package report

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/custody/vocab"
	"github.com/custodia-ec/custodia/verify"
)

// label returns an op or anomaly in plain words, Spanish and English, from
// the one table every document reads (vocab.Word); anomalies are shouted.
func label(key string) (es, en string) {
	if es, en = vocab.Word("op", key, "es"), vocab.Word("op", key, "en"); es != "" {
		return es, en
	}
	return strings.ToUpper(vocab.Word("anomaly", key, "es")), strings.ToUpper(vocab.Word("anomaly", key, "en"))
}

// Write writes the verdict for a person: a judge, a lawyer, an expert.
// lang is "es" (the default) or "en". It says what was proven, how far the
// key can be trusted, and every event of every item with the holder and
// seal after it. Each time is shown in its act's own offset; WriteIn shows
// them in the reader's zone.
func Write(w io.Writer, r *verify.Result, lang string) error {
	return WriteIn(w, r, lang, nil)
}

// WriteIn is Write with every act's time and recording time shown in loc
// (the zone people read times in, such as America/Guayaquil): an act
// recorded live carries UTC, an imported one the offset it was typed in,
// and one history must not mix the two. A nil loc keeps each act's offset.
func WriteIn(w io.Writer, r *verify.Result, lang string, loc *time.Location) error {
	en := lang == "en"
	t := func(es, eng string) string {
		if en {
			return eng
		}
		return es
	}
	word := func(key string) string { return t(label(key)) }
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }

	// Without a key from outside the bundle, only internal consistency is
	// shown: the headline says so, not "authentic".
	if r.KeySource == verify.KeyBundle {
		p("%s\n\n", t("VEREDICTO: SOLO CONSISTENCIA INTERNA. El paquete concuerda consigo mismo y la cadena de custodia que contiene es continua, pero su autenticidad NO está demostrada: la clave se tomó del propio paquete. Vuelva a verificar con la clave publicada del registro (--key).",
			"VERDICT: INTERNAL CONSISTENCY ONLY. The bundle agrees with itself and the chain of custody it holds is unbroken, but its authenticity is NOT shown: the key was taken from the bundle itself. Verify again with the log's published key (--key)."))
	} else {
		p("%s\n\n", t("VEREDICTO: el paquete es auténtico y la cadena de custodia que contiene es continua.",
			"VERDICT: the bundle is authentic and the chain of custody it holds is unbroken."))
	}
	p(t("Evidencia: %s. El paquete contiene %d eventos de %d evidencia(s).\n", "Item: %s. The bundle holds %d events of %d item(s).\n"),
		r.Item, r.EventCount, len(r.Items))
	p(t("Registro: %s, con %d eventos en total; raíz %s.\n", "Log: %s, with %d events in all; root %s.\n"), r.Origin, r.TreeSize, r.RootHash)
	p("%s\n", t("Se comprobó: la firma del registro sobre su punto de control; que cada evento está en el registro, en su posición, sin un solo byte cambiado (prueba de inclusión); que no falta ningún evento intermedio de cada evidencia; y las reglas de custodia: solo quien tiene la evidencia la entrega o actúa sobre ella, los tiempos no retroceden, los sellos concuerdan y nada ocurre tras la disposición.",
		"Checked: the log's signature on its checkpoint; that every event is in the log at its position with not one byte changed (inclusion proof); that no intermediate event of any item is missing; and the custody rules: only the holder hands over or acts on an item, times never go backwards, seals agree, and nothing happens after disposal."))
	switch r.KeySource {
	case verify.KeyTrusted:
		p(t("Clave del registro: la proporcionada por usted (%s).\n", "Log key: the one you supplied (%s).\n"), r.LogKey)
	case verify.KeyPolicy:
		p(t("Clave del registro: la de la política de testigos (%s).\n", "Log key: the one in the witness policy (%s).\n"), r.LogKey)
	default:
		p(t("ATENCIÓN: la clave del registro se tomó del propio paquete (%s). Compárela con la clave publicada por el operador del registro; si no coincide, este veredicto no vale.\n",
			"WARNING: the log key was taken from the bundle itself (%s). Compare it with the key the log's operator published; if it differs, this verdict is worthless.\n"), r.LogKey)
	}
	if c := r.Consistency; c != nil {
		p(t("Consistencia: el registro extiende, sin reescribirlo, el punto de control anterior de %d eventos.\n",
			"Consistency: the log extends, without rewriting it, the earlier checkpoint of %d events.\n"), c.OldSize)
	}
	if wr := r.Witnesses; wr != nil {
		p(t("Testigos: se cumple el quórum %q. ", "Witnesses: quorum %q is met. "), wr.Quorum)
		for _, c := range wr.Signed {
			p(t("Firmó %s (%s). ", "%s signed (%s). "), c.Witness, c.Time)
		}
		if len(wr.Missing) > 0 {
			p(t("No firmaron: %s.", "Did not sign: %s."), strings.Join(wr.Missing, ", "))
		}
		p("\n")
	}
	signed, imported, seen := 0, 0, map[int64]bool{}
	for _, h := range r.Items {
		for _, s := range h.Events {
			if seen[s.Index] { // a derivation is a step of two items
				continue
			}
			seen[s.Index] = true
			switch s.Signature {
			case verify.SignedAll:
				signed++
			case verify.SignedImported:
				imported++
			}
		}
	}
	steps := len(seen)
	p(t("Firmas personales: %d de %d actos llevan la firma de todas las personas que nombran, comprobada con sus claves registradas en el registro; %d vienen de un archivo de caso importado, sin firma personal.\n",
		"Personal signatures: %d of %d acts carry the signature of everyone they name, checked against their keys registered in the log; %d come from an imported case file, without personal signatures.\n"), signed, steps, imported)
	if len(r.Anomalies) == 0 {
		p("%s\n", t("Anomalías de custodia: ninguna.", "Custody anomalies: none."))
	} else {
		p(t("Anomalías de custodia: %d (constan en el historial; son hechos registrados, no errores).\n",
			"Custody anomalies: %d (shown in the history; they are recorded facts, not errors).\n"), len(r.Anomalies))
	}

	for _, h := range r.Items {
		typ := vocab.Word("itype", h.Type, lang)
		if typ == "" {
			typ = h.Type
		}
		p("\n%s %s (%s, %s %s", t("Historial de", "History of"), h.ID, typ, t("caso", "case"), h.Case)
		if h.Parent != "" {
			p(t(", derivada de %s", ", derived from %s"), h.Parent)
		}
		p(")\n")
		for _, s := range h.Events {
			seal := t("sin sello", "unsealed")
			if s.Seal != "" {
				seal = t("sello ", "seal ") + s.Seal
			}
			p("  #%d  %s  %s  %s: %s", s.Index, showAt(s.At, loc), word(s.Op), t("por", "by"), s.Actor)
			if d := Detail(s, lang); d != "" {
				p("  [%s]", d)
			}
			p("\n        %s", signatures(s, t))
			p("\n        -> %s %s, %s", t("la tiene", "held by"), s.Holder, seal)
			for _, a := range s.Anomalies {
				p("  ** %s **", word(a))
			}
			p("\n")
			if by := recordedBy(s, t); recordedLater(s) || by != "" {
				p("        %s %s%s\n", t("registrado el", "recorded at"), recordedAt(s, loc), by)
			}
		}
	}
	p("\n%s\n", t("Límites: este verificador no puede probar que no existan eventos posteriores al último del paquete, ni que las personas nombradas sean agentes autorizados; para lo primero, compare el punto de control con uno más reciente (--checkpoint) o con los testigos (--policy).",
		"Limits: this verifier cannot prove that there are no events after the bundle's last one, nor that the people named are authorised officers; for the former, compare the checkpoint with a newer one (--checkpoint) or with the witnesses (--policy)."))
	_, err := io.WriteString(w, b.String())
	return err
}

// recordedLater reports whether the log recorded an event a minute or more
// after (or before) the time the record claims: a court must be able to
// tell a seizure recorded on the spot from one typed in a week later.
func recordedLater(s verify.Step) bool {
	at, err1 := custody.ParseTime(s.At)
	rec, err2 := custody.ParseTime(s.RecordedAt)
	if err1 != nil || err2 != nil {
		return true
	}
	d := rec.Sub(at)
	return d >= time.Minute || d <= -time.Minute
}

// showAt is an act's time in loc, or as the record wrote it when loc is
// nil or the time does not parse.
func showAt(at string, loc *time.Location) string {
	t, err := custody.ParseTime(at)
	if loc == nil || err != nil {
		return at
	}
	return t.In(loc).Format(time.RFC3339Nano)
}

// recordedAt is when the log recorded s, to the second, in loc or else in
// the offset of the act's own time, so that a reader compares the two at a
// glance (the log keeps it in UTC, to the nanosecond).
func recordedAt(s verify.Step, loc *time.Location) string {
	rec, err := custody.ParseTime(s.RecordedAt)
	if err != nil {
		return s.RecordedAt
	}
	if loc != nil {
		rec = rec.In(loc)
	} else if at, err := custody.ParseTime(s.At); err == nil {
		rec = rec.In(at.Location())
	}
	return rec.Truncate(time.Second).Format(time.RFC3339)
}

// recordedBy says who recorded an event when it was none of those who
// acted: an account of another person, or an import of a case file.
func recordedBy(s verify.Step, t func(es, en string) string) string {
	switch {
	case s.ImportFile != "":
		return fmt.Sprintf(t(" por importación del archivo sha256:%s, línea %d", " by import of file sha256:%s, line %d"), s.ImportFile, s.ImportLine)
	case s.Account != "" && !slices.Contains(s.Actors, s.Account):
		return fmt.Sprintf(t(" por la cuenta %s", " by account %s"), s.Account)
	}
	return ""
}

// fieldOrder is the order in which a step's fields are named.
var fieldOrder = []string{"id", "parent", "type", "case", "purpose", "seal_condition", "seal", "site", "place", "location", "reason", "name", "sha256", "tool", "hearing", "method", "order"}

// fieldNames name a record's fields for a person, Spanish and English.
var fieldNames = map[string][2]string{
	"type": {"tipo", "type"}, "case": {"caso", "case"}, "seal": {"sello", "seal"}, "site": {"sitio", "site"},
	"place": {"lugar", "place"}, "purpose": {"finalidad", "purpose"}, "seal_condition": {"estado del sello", "seal condition"},
	"location": {"lugar", "place"}, "reason": {"motivo", "reason"}, "id": {"nueva evidencia", "new item"},
	"parent": {"de", "from"}, "sha256": {"SHA-256", "SHA-256"}, "tool": {"herramienta", "tool"}, "name": {"archivo", "file"},
	"hearing": {"audiencia", "hearing"}, "method": {"forma", "method"}, "order": {"orden", "order"},
}

// valueKinds are the fields whose values are codes of vocab.Word.
var valueKinds = map[string]string{"type": "itype", "purpose": "purpose", "seal_condition": "cond", "method": "method"}

// Detail is a step's Detail for a person, in lang ("en" English, else Spanish):
// field names and coded values in words ("finalidad: bodega"), never codes.
func Detail(s verify.Step, lang string) string {
	i := 0
	if lang == "en" {
		i = 1
	}
	var parts []string
	for _, k := range fieldOrder {
		v := s.Detail[k]
		if v == "" {
			continue
		}
		if w := vocab.Word(valueKinds[k], v, lang); w != "" {
			v = w
		}
		name := k
		if n, ok := fieldNames[k]; ok {
			name = n[i]
		}
		parts = append(parts, name+": "+v)
	}
	return strings.Join(parts, "; ")
}

// signatures says who signed a step, with each key's fingerprint.
func signatures(s verify.Step, t func(es, en string) string) string {
	switch s.Signature {
	case verify.SignedImported:
		return t("sin firma personal (importado)", "no personal signature (imported)")
	case verify.SignedNone:
		return t("SIN FIRMA PERSONAL", "NO PERSONAL SIGNATURE")
	}
	var who []string
	for _, g := range s.Signers {
		officer := ""
		if i := map[string]int{"by": 0, "from": 0, "to": 1}[g.Role]; i < len(s.Actors) {
			officer = s.Actors[i]
		}
		fp := g.Key
		if len(fp) > 16 {
			fp = fp[:16]
		}
		who = append(who, fmt.Sprintf("%s (%s %s)", officer, t("clave", "key"), fp))
	}
	head := t("firmado por", "signed by")
	if s.Signature == verify.SignedPartly {
		head = t("FIRMADO SOLO POR", "SIGNED ONLY BY")
	}
	return head + ": " + strings.Join(who, t(" y ", " and "))
}

// SignedBy says in lang who signed a step ("firmado por: ..."), as Write
// does.
func SignedBy(s verify.Step, lang string) string {
	return signatures(s, func(es, en string) string {
		if lang == "en" {
			return en
		}
		return es
	})
}
