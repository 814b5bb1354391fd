package web

import (
	"fmt"
	"strings"
	"testing"
)

// TestVerifyPageNumbersRaw: the verdict names the log's size as the
// checkpoint writes it, with no thousands separator, so that it can be
// compared with the checkpoint's size line.
func TestVerifyPageNumbersRaw(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.login("fiscal")
	st, bundle, _ := c.do("GET", "/api/v1/items/E-PIC-01-01/bundle", nil, nil)
	if st != 200 {
		t.Fatalf("bundle: %d", st)
	}
	size := e.d.Ledger.Size()
	if size < 1000 {
		t.Fatalf("log of %d events: too small to show a separator", size)
	}
	_, body := postBundleKey(t, e, []byte(bundle), e.s.PublicKey(), false)
	// The bundle's checkpoint may be older than the log; find its size.
	var tree int64
	for n := size; n > 0 && tree == 0; n-- {
		if strings.Contains(body, fmt.Sprintf("registro de %d eventos", n)) {
			tree = n
		}
	}
	if tree < 1000 {
		t.Fatalf("the verdict names no log size of 1000 events or more as digits alone:\n%.2000s", body)
	}
	grouped := fmt.Sprintf("%d.%03d", tree/1000, tree%1000)
	if strings.Contains(body, grouped) {
		t.Errorf("the verdict groups the log size as %s", grouped)
	}
}
