package httpapi

import (
	"testing"
	"time"

	"github.com/custodia-ec/custodia/app"
)

// Issue 12 point 6: a case-scoped write token asked for an unscoped
// one-year token and got it.
func TestWithinMinterRefusesWiderOrLonger(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tok := &app.Principal{Account: "a", Scope: "write", Cases: []string{"C-1"}, Expires: now.Add(48 * time.Hour)}
	cases := []struct {
		name string
		req  app.TokenRequest
		ok   bool
	}{
		{"unscoped one year", app.TokenRequest{Scope: "write", TTLHours: 8760}, false},
		{"unscoped short", app.TokenRequest{Scope: "write", TTLHours: 1}, false},
		{"other case", app.TokenRequest{Scope: "read", Cases: []string{"C-2"}, TTLHours: 1}, false},
		{"outlives", app.TokenRequest{Scope: "read", Cases: []string{"C-1"}, TTLHours: 49}, false},
		{"within", app.TokenRequest{Scope: "read", Cases: []string{"C-1"}, TTLHours: 24}, true},
	}
	for _, c := range cases {
		err := app.WithinMinter(tok, c.req, now)
		if (err == nil) != c.ok {
			t.Errorf("%s: err = %v, want ok=%v", c.name, err, c.ok)
		}
	}
	ro := &app.Principal{Account: "a", Scope: "read", Expires: now.Add(48 * time.Hour)}
	if app.WithinMinter(ro, app.TokenRequest{Scope: "write", TTLHours: 1}, now) == nil {
		t.Error("a read token minted a write token")
	}
}
