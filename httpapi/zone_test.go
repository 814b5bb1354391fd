package httpapi

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestAsOfInTheCaseZone: the instant a detention list is measured to is
// given back in the deployment's zone (America/Guayaquil), with its
// offset, not in UTC; a given as_of keeps its instant.
func TestAsOfInTheCaseZone(t *testing.T) {
	e := newEnv(t)
	e.account("fiscal", "prosecutor", "fge.salazar", "METASTASIS")
	tok := e.token("fiscal", "read", "METASTASIS")
	for _, tc := range []struct{ query, want string }{
		{"", e.now.UTC().Add(-5*3600e9).Format("2006-01-02T15:04:05") + "-05:00"},
		{"?as_of=2023-12-15T12:00:00Z", "2023-12-15T07:00:00-05:00"},
	} {
		st, body := e.do("GET", "/api/v1/cases/METASTASIS/detentions"+tc.query, tok, "")
		if st != 200 {
			t.Fatalf("%s: %d %s", tc.query, st, body)
		}
		var list []struct {
			AsOf string `json:"as_of"`
		}
		if err := json.Unmarshal(body, &list); err != nil || len(list) == 0 {
			t.Fatalf("%s: %v %s", tc.query, err, body)
		}
		if !strings.HasPrefix(list[0].AsOf, tc.want[:16]) || !strings.HasSuffix(list[0].AsOf, "-05:00") {
			t.Errorf("%s: as_of %q, want %q", tc.query, list[0].AsOf, tc.want)
		}
	}
}
