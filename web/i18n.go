package web

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"sync"

	"github.com/custodia-ec/custodia/casefile"
	"github.com/custodia-ec/custodia/custody/vocab"
)

//go:embed messages.json
var messagesJSON []byte

// Languages are the catalogue's languages; the first is the default.
var Languages = []string{"es", "en"}

// LangCookie keeps a user's language choice (per browser).
const LangCookie = "custodia_lang"

// Catalogue is every piece of text the pages show, by key, in every
// language. It is the only place text lives: templates and handlers ask it
// by key.
type Catalogue struct {
	m map[string]map[string]string
}

// LoadCatalogue parses the embedded catalogue and checks that every key
// has a non-empty text in every language.
func LoadCatalogue() (*Catalogue, error) {
	return ParseCatalogue(messagesJSON)
}

// ParseCatalogue parses a catalogue ({"key": {"es": ..., "en": ...}}) and
// fails on a key missing a language.
func ParseCatalogue(b []byte) (*Catalogue, error) {
	var m map[string]map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("web: catalogue: %w", err)
	}
	var missing []string
	for k, tr := range m {
		for _, l := range Languages {
			if tr[l] == "" {
				missing = append(missing, l+":"+k)
			}
		}
		for l := range tr {
			if l != "es" && l != "en" {
				missing = append(missing, "unknown language "+l+":"+k)
			}
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, fmt.Errorf("web: catalogue: missing texts: %v", missing)
	}
	return &Catalogue{m: m}, nil
}

// Has reports whether key exists.
func (c *Catalogue) Has(key string) bool { _, ok := c.m[key]; return ok }

// Keys returns every key, sorted.
func (c *Catalogue) Keys() []string {
	out := make([]string, 0, len(c.m))
	for k := range c.m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// T returns key's text in lang; a key that does not exist shows as
// "⟦key⟧", which the tests look for on every page.
func (c *Catalogue) T(lang, key string) string {
	if tr, ok := c.m[key]; ok {
		if s := tr[lang]; s != "" {
			return s
		}
		return tr["es"]
	}
	return "⟦" + key + "⟧"
}

// Label names an enumerated value in lang, as the pages do: Label "es"
// "status" "entered" is the name of the entered status. The values of the
// record (ops, statuses, types...) are named by the one table the PDFs and
// the verifier read too (vocab.Word, casefile.Word); the others (a read's
// kind, a key's state...) by the catalogue's prefix.value keys.
func (c *Catalogue) Label(lang, prefix, value string) string {
	if value == "" {
		return ""
	}
	if w := vocab.Word(prefix, value, lang); w != "" {
		return w
	}
	if w := casefile.Word(prefix, value, lang); w != "" {
		return w
	}
	return c.T(lang, prefix+"."+value)
}

// Label is the embedded catalogue's Label, for the command line, which
// names values as the pages do.
func Label(lang, prefix, value string) string {
	c, err := embedded()
	if err != nil { // the catalogue is checked by every test run: cannot happen in a build that passed them
		return value
	}
	return c.Label(lang, prefix, value)
}

var embedded = sync.OnceValues(LoadCatalogue)

// lang returns the request's language: the cookie when set to a known
// language, else Spanish.
func lang(r *http.Request) string {
	if c, err := r.Cookie(LangCookie); err == nil && c.Value == "en" {
		return "en"
	}
	return "es"
}
