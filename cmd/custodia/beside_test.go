package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCommandLineBesideServer: the command line writes a SQLite
// deployment while its server runs (a setting, a token), as the README
// has administrators do. The server must not go on with the log it read at
// start: a token the command line has just issued signs in at once (it
// read before as a token "changed outside Custodia", an alarm), a proof of
// the tree the command line's checkpoint names verifies at once, and the
// server's own size follows within its poll. Then the server's own write
// continues the same log, and audit finds nothing.
func TestCommandLineBesideServer(t *testing.T) {
	data := metastasisDir(t)
	addr, _, errb, stop := serveOnce(t, "--data", data)
	base := "http://" + addr
	get := func(path, token string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest("GET", base+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var v map[string]any
		json.NewDecoder(resp.Body).Decode(&v)
		return resp.StatusCode, v
	}
	_, ready := get("/readyz", "")
	before := int64(ready["log_size"].(float64))

	mustRun(t, "user", "add", "beside", "--role", "prosecutor", "--officer", "fge.gua", "--case", "METASTASIS", "--data", data)
	token := strings.TrimSpace(mustRun(t, "user", "token", "beside", "--scope", "read", "--case", "METASTASIS", "--data", data))
	if code, v := get("/api/v1/cases/METASTASIS", token); code != http.StatusOK {
		t.Fatalf("a token the command line just issued: %d %v", code, v)
	}
	if strings.Contains(errb.String(), "changed outside Custodia") {
		t.Errorf("the server took the command line's token for one changed behind the log's back:\n%s", errb.String())
	}
	mustRun(t, "settings", "set", "rights_notice_minutes=61", "--data", data)
	resp, err := http.Get(base + "/log/checkpoint")
	if err != nil {
		t.Fatal(err)
	}
	note, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	code, cp := resp.StatusCode, string(note)
	lines := strings.Split(cp, "\n")
	if code != http.StatusOK || len(lines) < 3 {
		t.Fatalf("checkpoint: %d %q", code, cp)
	}
	var size int64
	fmt.Sscan(lines[1], &size)
	if size <= before {
		t.Fatalf("the checkpoint served names %d events; the command line wrote beyond %d", size, before)
	}
	if code, v := get(fmt.Sprintf("/log/proof/inclusion?index=0&size=%d", size), ""); code != http.StatusOK {
		t.Fatalf("inclusion proof in the command line's tree of %d: %d %v", size, code, v)
	}
	if code, v := get(fmt.Sprintf("/log/proof/consistency?old=%d&size=%d", before, size), ""); code != http.StatusOK {
		t.Fatalf("consistency proof %d -> %d: %d %v", before, size, code, v)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		if _, ready = get("/readyz", ""); int64(ready["log_size"].(float64)) == size {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server still holds %v events, %d after the command line wrote", ready["log_size"], size)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The server writes next (a token of its own, through the API) and
	// continues the one log.
	own := strings.TrimSpace(mustRun(t, "user", "token", "beside", "--scope", "write", "--case", "METASTASIS", "--data", data))
	req, _ := http.NewRequest("POST", base+"/api/v1/accounts/beside/tokens", strings.NewReader(`{"scope":"read","ttl_hours":1,"cases":["METASTASIS"]}`))
	req.Header.Set("Authorization", "Bearer "+own)
	req.Header.Set("Content-Type", "application/json")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("the server's own write after the command line's: %d %s", resp.StatusCode, body)
	}
	stop()
	if out := mustRun(t, "audit", "--data", data); !strings.Contains(out, "Correcto: cada fila, hash y punto de control coincide con el registro.") {
		t.Errorf("audit after both wrote:\n%s", out)
	}
}

// TestZoneFlag: --zone is a common flag, before or after the command, as
// the README presents it; an unknown zone is a usage error that names it.
func TestZoneFlag(t *testing.T) {
	data := metastasisDir(t)
	before := mustRun(t, "--zone", "UTC", "item", "history", "E-CHI-03-01", "--data", data)
	after := mustRun(t, "item", "history", "E-CHI-03-01", "--data", data, "--zone", "Europe/Madrid")
	if !strings.Contains(before, "2023-12-14 06:40 +00:00") || !strings.Contains(after, "2023-12-14 07:40 +01:00") {
		t.Errorf("--zone not applied:\n%s\n%s", before, after)
	}
	// One checkpoint reads in the singular (it read "1 puntos de control").
	if out := mustRun(t, "audit", "--data", data); !strings.Contains(out, "eventos, 1 punto de control, ") {
		t.Errorf("audit of one import:\n%s", out)
	}
	if code, _, errs := runCLI(t, "item", "history", "E-CHI-03-01", "--data", data, "--zone", "Nope"); code != 2 || !strings.Contains(errs, `zona horaria "Nope" desconocida`) {
		t.Errorf("an unknown zone: exit %d, %s", code, errs)
	}
}

// TestServeRefusesBeforeWriting: a second serve on a busy port, or on an
// address that is not HOST:PORT, says why in the reader's words and
// leaves nothing behind: no new deployment, no administrator account (a
// new user found both created before the listen failed).
func TestServeRefusesBeforeWriting(t *testing.T) {
	addr, _, _, stop := serveOnce(t, "--data", filepath.Join(t.TempDir(), "first"))
	defer stop()
	for _, c := range []struct {
		addr string
		code int
		msg  string
	}{
		{addr, 1, "la dirección ya está en uso"},
		{"127.0.0.1:80800", 2, `--addr: dirección no válida "127.0.0.1:80800"`},
	} {
		data := filepath.Join(t.TempDir(), "second")
		code, _, errs := runCLI(t, "serve", "--data", data, "--addr", c.addr)
		if code != c.code || !strings.Contains(errs, c.msg) {
			t.Errorf("serve --addr %s: exit %d, want %d with %q:\n%s", c.addr, code, c.code, c.msg, errs)
		}
		if _, err := os.Stat(data); !os.IsNotExist(err) {
			t.Errorf("serve --addr %s failed but left %s behind (%v)", c.addr, data, err)
		}
	}
}

// TestSystemErrorsInWords: a server that does not answer, and a document
// written into a directory that does not exist, are said in the reader's
// words and name what the user gave (a new user read "dial tcp ...:
// connection refused" and the name of an internal temporary file).
func TestSystemErrorsInWords(t *testing.T) {
	data := metastasisDir(t)
	missing := filepath.Join(t.TempDir(), "no-existe")
	code, _, errs := runCLI(t, "report", "item", "E-CHI-03-01", "-o", filepath.Join(missing, "x.pdf"), "--data", data)
	if code == 0 || !strings.Contains(errs, "no existe el directorio "+missing) || strings.Contains(errs, ".tmp-") {
		t.Errorf("report into a missing directory: exit %d: %s", code, errs)
	}
	file := filepath.Join(t.TempDir(), "f.txt")
	os.WriteFile(file, []byte("x"), 0o644)
	code, _, errs = runCLI(t, "upload", "E-CHI-03-01", file, "--server", "http://127.0.0.1:1", "--token", "t")
	if code == 0 || !strings.Contains(errs, "no se pudo conectar con el servidor http://127.0.0.1:1") || strings.Contains(errs, "dial tcp") {
		t.Errorf("upload to a server that does not answer: exit %d: %s", code, errs)
	}
}

// TestUsageSaysWhy: a usage error says what is wrong before the synopsis
// (a new user got only the synopsis back for each of these).
func TestUsageSaysWhy(t *testing.T) {
	for _, c := range []struct {
		args []string
		why  string
	}{
		{[]string{"report"}, "falta la suborden (operation, item, detentions)"},
		{[]string{"report", "foo", "x"}, `suborden desconocida "foo"; se admiten: operation, item, detentions`},
		{[]string{"report", "item"}, "falta un argumento de item"},
		{[]string{"report", "item", "a", "b"}, `sobra "b"`},
		{[]string{"key", "revoke", "abc"}, "falta --reason"},
		{[]string{"user", "add", "x"}, "falta --role"},
	} {
		code, _, errs := runCLI(t, append(c.args, "--data", t.TempDir())...)
		if code != 2 || !strings.Contains(errs, c.why) {
			t.Errorf("custodia %s: exit %d, want 2 saying %q:\n%s", strings.Join(c.args, " "), code, c.why, errs)
		}
	}
}
