package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// `custodia handover` and `custodia upload` sent the bearer token (and the
// evidence's bytes) in clear text to any http:// server, such as
// http://192.0.2.2:18556 on the office network: anyone on the path could
// take the token. http:// is now taken only for this machine.
func TestPlainHTTPServerIsRefusedOffThisMachine(t *testing.T) {
	file := filepath.Join(t.TempDir(), "foto.jpg")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"handover", "list", "--server", "http://192.0.2.1:9", "--token", "cst_secreto"},
		{"upload", "E-1", file, "--server", "http://fiscalia.example:8080", "--token", "cst_secreto"},
		{"handover", "list", "--server", "http://[2001:db8::1]:8080", "--token", "cst_secreto", "--lang", "en"},
	} {
		code, _, errs := runCLI(t, args...)
		if code == 0 || !(strings.Contains(errs, "enviaría el token sin cifrar") || strings.Contains(errs, "would send the token unencrypted")) {
			t.Errorf("custodia %s: exit %d, stderr %q; want the plain http:// server refused", strings.Join(args, " "), code, errs)
		}
	}
	// This machine's addresses, and https anywhere, pass the check (and
	// then fail only to connect: nothing listens there).
	for _, server := range []string{"http://127.0.0.1:1", "http://localhost:1", "http://[::1]:1", "https://127.0.0.1:1"} {
		_, _, errs := runCLI(t, "handover", "list", "--server", server, "--token", "cst_secreto")
		if strings.Contains(errs, "sin cifrar") {
			t.Errorf("--server %s refused as unencrypted: %s", server, errs)
		}
	}
	if code, _, errs := runCLI(t, "handover", "list", "--server", "ftp://x", "--token", "t"); code == 0 || !strings.Contains(errs, "http(s)://") {
		t.Errorf("--server ftp://x: exit %d, %s", code, errs)
	}
}

// TestNotACustodiaServer: --server pointing at something that answers
// without a Custodia message (a 404 page, a proxy's 502) is said in words,
// not as a bare "GET /api/v1/handovers: 404".
func TestNotACustodiaServer(t *testing.T) {
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "not here", http.StatusNotFound)
	}))
	defer other.Close()
	code, _, errs := runCLI(t, "handover", "list", "--server", other.URL, "--token", "cst_x")
	if code == 0 || !strings.Contains(errs, "respondió 404 Not Found a GET /api/v1/handovers sin un mensaje de Custodia") || !strings.Contains(errs, "¿es --server la dirección de un servidor Custodia?") {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
}
