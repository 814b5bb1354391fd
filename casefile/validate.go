package casefile

import (
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/custodia-ec/custodia/custody"
)

// Validate checks a record on its own: required fields, ids, times, enums,
// numbers and hashes. It does not look at any other record.
func Validate(op string, rec any) *custody.Error {
	v := &validator{}
	switch r := rec.(type) {
	case *Agency:
		v.id("id", r.ID)
		v.text("name", r.Name, true)
		v.enum("kind", r.Kind, AgencyKinds)
	case *Officer:
		v.id("id", r.ID)
		v.text("name", r.Name, true)
		v.id("agency", r.Agency)
		v.enum("role", r.Role, OfficerRoles)
	case *Case:
		v.id("id", r.ID)
		v.text("title", r.Title, true)
		v.time("at", r.At, true)
		v.id("by", r.By)
		v.text("summary", r.Summary, false)
	case *Person:
		v.id("id", r.ID)
		v.id("case", r.Case)
		v.text("name", r.Name, true)
		v.list("roles", r.Roles, PersonRoles, true)
		v.text("institution", r.Institution, false)
		v.text("position", r.Position, false)
	case *Organization:
		v.id("id", r.ID)
		v.id("case", r.Case)
		v.text("name", r.Name, true)
		v.enum("kind", r.Kind, OrganizationKinds)
		v.text("jurisdiction", r.Jurisdiction, false)
	case *Link:
		v.id("id", r.ID)
		v.id("case", r.Case)
		v.id("from", r.From)
		v.id("to", r.To)
		v.text("kind", r.Kind, true)
		v.time("at", r.At, false)
		v.optID("source", r.Source)
		v.text("note", r.Note, false)
	case *Operation:
		v.id("id", r.ID)
		v.id("case", r.Case)
		v.text("name", r.Name, true)
		v.time("h_hour", r.HHour, true)
		v.count("personnel", r.Personnel, 0, true)
		if r.Agencies == nil {
			v.fail("agencies", "campo obligatorio", "required field")
		}
		v.ids("agencies", r.Agencies)
		v.time("at", r.At, true)
		v.id("by", r.By)
	case *Site:
		v.id("id", r.ID)
		v.id("operation", r.Operation)
		v.text("province", r.Province, true)
		v.text("city", r.City, true)
		v.enum("kind", r.Kind, SiteKinds)
		v.id("lead", r.Lead)
		v.text("address", r.Address, false)
		v.text("warrant", r.Warrant, false)
		v.ids("team", r.Team)
	case *SiteStatus:
		v.id("site", r.Site)
		v.enum("status", r.Status, SiteStatuses)
		v.time("at", r.At, true)
		v.id("by", r.By)
		v.text("note", r.Note, false)
	case *Detention:
		v.id("id", r.ID)
		v.id("case", r.Case)
		v.id("person", r.Person)
		v.enum("basis", r.Basis, DetentionBases)
		v.time("arrested_at", r.ArrestedAt, true)
		v.id("arrested_by", r.ArrestedBy)
		v.optID("operation", r.Operation)
		v.optID("site", r.Site)
		v.text("place", r.Place, false)
		v.text("charge", r.Charge, false)
		v.time("rights_notified_at", r.RightsNotifiedAt, false)
		v.time("hearing_at", r.HearingAt, false)
		v.time("released_at", r.ReleasedAt, false)
		v.text("note", r.Note, false)
	case *DetentionUpdate:
		v.id("detention", r.Detention)
		v.time("at", r.At, true)
		v.id("by", r.By)
		v.time("rights_notified_at", r.RightsNotifiedAt, false)
		v.time("hearing_at", r.HearingAt, false)
		v.time("released_at", r.ReleasedAt, false)
		if v.err == nil && r.RightsNotifiedAt == "" && r.HearingAt == "" && r.ReleasedAt == "" {
			v.fail("rights_notified_at", "falta al menos uno de rights_notified_at, hearing_at o released_at", "at least one of rights_notified_at, hearing_at or released_at is required")
		}
	case *Statement:
		v.id("id", r.ID)
		v.id("case", r.Case)
		v.time("at", r.At, true)
		v.text("source", r.Source, true)
		v.text("text", r.Text, true)
		v.text("speaker", r.Speaker, false)
	case *custody.Seize:
		v.id("id", r.ID)
		v.id("case", r.Case)
		v.enum("type", r.Type, ItemTypes)
		v.text("description", r.Description, true)
		v.time("seized_at", r.SeizedAt, true)
		v.id("seized_by", r.SeizedBy)
		v.optID("site", r.Site)
		v.text("place", r.Place, false)
		v.count("quantity", r.Quantity, 1, false)
		v.text("seal", r.Seal, false)
	case *custody.Transfer:
		v.id("item", r.Item)
		v.id("from", r.From)
		v.id("to", r.To)
		v.time("at", r.At, true)
		v.enum("purpose", r.Purpose, Purposes)
		v.enum("seal_condition", r.SealCondition, SealConditions)
		v.text("seal", r.Seal, false)
		v.text("location", r.Location, false)
	case *custody.Open:
		v.id("item", r.Item)
		v.time("at", r.At, true)
		v.id("by", r.By)
		v.text("reason", r.Reason, true)
	case *custody.Seal:
		v.id("item", r.Item)
		v.text("seal", r.Seal, true)
		v.time("at", r.At, true)
		v.id("by", r.By)
	case *custody.Derive:
		v.id("id", r.ID)
		v.id("parent", r.Parent)
		v.enum("type", r.Type, DerivedTypes)
		v.text("description", r.Description, true)
		v.time("at", r.At, true)
		v.id("by", r.By)
		v.sha256("sha256", r.SHA256, false)
		v.count("size", r.Size, 0, false)
		v.text("tool", r.Tool, false)
	case *custody.Attach:
		v.id("item", r.Item)
		v.text("name", r.Name, true)
		v.sha256("sha256", r.SHA256, true)
		v.count("size", r.Size, 0, true)
		v.time("at", r.At, true)
		v.id("by", r.By)
		v.text("media_type", r.MediaType, false)
	case *custody.Present:
		v.id("item", r.Item)
		v.time("at", r.At, true)
		v.id("by", r.By)
		v.text("hearing", r.Hearing, true)
	case *custody.Dispose:
		v.id("item", r.Item)
		v.time("at", r.At, true)
		v.id("by", r.By)
		v.enum("method", r.Method, DisposeMethods)
		v.text("order", r.Order, false)
	default:
		return custody.Errorf(custody.EInvalid, "op", "operación desconocida %q", "unknown op %q", op)
	}
	return v.err
}

// validator keeps the first error; later checks are no-ops once one failed.
type validator struct{ err *custody.Error }

func (v *validator) fail(field, es, en string, args ...any) {
	if v.err == nil {
		v.err = custody.Errorf(custody.EInvalid, field, es, en, args...)
	}
}

// ValidID reports whether s is an id of the spec:
// ^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$.
func ValidID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || c != '.' && c != '_' && c != ':' && c != '-') {
			return false
		}
	}
	return true
}

func (v *validator) id(field, s string) {
	if s == "" {
		v.fail(field, "campo obligatorio", "required field")
	} else if !ValidID(s) {
		v.fail(field, "%q no es un identificador válido (letras, dígitos y ._:-, hasta 64)", "%q is not a valid id (letters, digits and ._:-, up to 64)", s)
	}
}

func (v *validator) optID(field, s string) {
	if s != "" {
		v.id(field, s)
	}
}

func (v *validator) ids(field string, list []string) {
	if len(list) > MaxListLen {
		v.fail(field, "más de %d elementos", "more than %d elements", MaxListLen)
		return
	}
	seen := make(map[string]bool, len(list))
	for _, s := range list {
		v.id(field, s)
		if seen[s] {
			v.fail(field, "%q está repetido", "%q is repeated", s)
		}
		seen[s] = true
	}
}

func (v *validator) text(field, s string, required bool) {
	switch {
	case s == "" && required:
		v.fail(field, "campo obligatorio", "required field")
	case len(s) > MaxFieldBytes:
		v.fail(field, "más de %d bytes", "longer than %d bytes", MaxFieldBytes)
	case !utf8.ValidString(s):
		v.fail(field, "no es UTF-8 válido", "not valid UTF-8")
	}
}

func (v *validator) time(field, s string, required bool) {
	if s == "" {
		if required {
			v.fail(field, "campo obligatorio", "required field")
		}
		return
	}
	if _, err := custody.ParseTime(s); err != nil {
		v.fail(field, "%q no es una hora RFC 3339 con zona horaria (p. ej. 2023-12-14T06:30:00-05:00)", "%q is not an RFC 3339 time with an offset (e.g. 2023-12-14T06:30:00-05:00)", s)
	}
}

func (v *validator) enum(field, s string, allowed map[string]bool) {
	if s == "" {
		v.fail(field, "campo obligatorio", "required field")
	} else if !allowed[s] {
		v.fail(field, "valor %q no admitido; se admiten: %s", "value %q is not allowed; allowed: %s", s, Allowed(allowed))
	}
}

// Allowed lists an enum's values, sorted and comma-separated, for the
// messages that refuse a value outside it.
func Allowed(allowed map[string]bool) string {
	vals := make([]string, 0, len(allowed))
	for k := range allowed {
		vals = append(vals, k)
	}
	sort.Strings(vals)
	return strings.Join(vals, ", ")
}

func (v *validator) list(field string, list []string, allowed map[string]bool, nonEmpty bool) {
	if nonEmpty && len(list) == 0 {
		v.fail(field, "hace falta al menos un valor", "at least one value is required")
		return
	}
	seen := map[string]bool{}
	for _, s := range list {
		v.enum(field, s, allowed)
		if seen[s] {
			v.fail(field, "%q está repetido", "%q is repeated", s)
		}
		seen[s] = true
	}
}

func (v *validator) count(field string, n *int64, min int64, required bool) {
	switch {
	case n == nil:
		if required {
			v.fail(field, "campo obligatorio", "required field")
		}
	case *n < min:
		v.fail(field, "debe ser un entero ≥ %d", "must be an integer ≥ %d", min)
	case *n > custody.MaxSafeInteger:
		v.fail(field, "número demasiado grande", "number too large")
	}
}

func (v *validator) sha256(field, s string, required bool) {
	if s == "" {
		if required {
			v.fail(field, "campo obligatorio", "required field")
		}
		return
	}
	ok := len(s) == 64
	for i := 0; ok && i < len(s); i++ {
		c := s[i]
		ok = c >= '0' && c <= '9' || c >= 'a' && c <= 'f'
	}
	if !ok {
		v.fail(field, "debe ser un SHA-256 de 64 dígitos hexadecimales en minúscula", "must be a SHA-256 of 64 lowercase hex digits")
	}
}
