package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/internal/terminates"
)

// FuzzFormInput feeds untrusted form values to the pages' own parsers: a
// datetime-local field and a post-sign-in destination. They never panic; a
// time they accept is RFC 3339 with an offset; a destination they return
// stays on this site.
func FuzzFormInput(f *testing.F) {
	for _, s := range []string{"2023-12-14T01:20", "2023-12-14T01:20:05", "2023-12-14T01:20:00-05:00", "", "mañana", "2023-13-40T99:99",
		"/casos/METASTASIS", "//evil.example/", "/\\evil", "https://evil.example/", "/sitios/S-CHI-03?x=1", "/\t/evil.example", "/\n/evil"} {
		f.Add(s)
	}
	w := &Web{cfg: Config{Zone: time.FixedZone("-05", -5*3600)}, now: time.Now}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := http.NewRequest("POST", "/x", strings.NewReader(url.Values{"at": {s}}.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		var got, n string
		terminates.Within(t, s, func() {
			got, err = w.formTime(r, "at", false)
			n = safeNext(s)
		})
		if err == nil && got != "" {
			if _, perr := custody.ParseTime(got); perr != nil {
				t.Errorf("formTime(%q) = %q, which is not RFC 3339: %v", s, got, perr)
			}
		}
		if err != nil {
			if ce, ok := err.(*custody.Error); !ok || ce.Field != "at" {
				t.Errorf("formTime(%q): error %v does not name the field", s, err)
			}
		}
		if !strings.HasPrefix(n, "/") || strings.HasPrefix(n, "//") || strings.ContainsAny(n, "\\\t\n\r ") {
			t.Errorf("safeNext(%q) = %q leaves the site", s, n)
		}
		if u, err := url.Parse(n); err == nil && u.Host != "" {
			t.Errorf("safeNext(%q) = %q names a host", s, n)
		}
	})
}
