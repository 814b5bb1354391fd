package web

import (
	"fmt"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// TestSignInSprayFromOneAddressIsBounded: the pages' sign-in (POST
// /entrar) takes the same path as the API's. After the address's failures
// have made each attempt wait, parallel attempts naming new accounts are
// at most three under way from the address (app.Config.LoginsPerClient),
// waits included; the others get the sign-in page again at once, with 429
// and the reason, and no password hash.
func TestSignInSprayFromOneAddressIsBounded(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	attempt := func(i int) (int, string) {
		st, body, _ := c.do("POST", "/entrar", url.Values{"account": {fmt.Sprintf("nadie-%d", i)}, "password": {"x"}}, nil)
		return st, body
	}
	// Seven failures from the address: each attempt after them waits 1 s.
	for i := range 7 {
		if st, _ := attempt(i); st != 401 {
			t.Fatalf("failure %d: %d", i, st)
		}
	}
	const n = 10
	var wg sync.WaitGroup
	var wrong, refused atomic.Int64
	for i := range n {
		wg.Go(func() {
			st, body := attempt(100 + i)
			switch {
			case st == 401:
				wrong.Add(1)
			case st == 429 && strings.Contains(body, "intentos de ingreso en curso"):
				refused.Add(1)
			default:
				t.Errorf("attempt %d: %d %.300s", i, st, body)
			}
		})
	}
	wg.Wait()
	if wrong.Load() != 3 || refused.Load() != n-3 {
		t.Errorf("%d parallel attempts from one address: %d checked, %d refused at once; want 3 checked and %d refused", n, wrong.Load(), refused.Load(), n-3)
	}
}
