package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestHandoverCLI is the command line's door to a two-party handover
// (issue 14): officers' software keys registered with `key add`, the giver
// offering with `handover offer` and a key file, the receiver seeing it
// with `handover list` and signing it with `handover accept`, all through
// a running server's API. The rules hold at this door too: the receiver
// cannot sign with someone else's key, and the giver cannot accept their
// own offer. The transfer lands in the item's history and its bundle
// verifies offline with both signatures.
//
// The purpose and the seal's condition may be typed as the words the
// reader sees ("Análisis", "intacto"), not only as codes.
func TestHandoverCLI(t *testing.T) {
	h := newHandoverDeployment(t)
	data, giverKey, takerKey, giverToken, takerToken, as, stop := h.data, h.giverKey, h.takerKey, h.giverToken, h.takerToken, h.as, h.stop

	// An offer to an officer whose account is outside the case is refused,
	// naming the receiver: it could never be accepted.
	if code, out, errs := as(giverToken, "handover", "offer", "E-CHI-03-01", "--to", "lab.2", "--key", giverKey, "--seal", "PN-100156", "--purpose", "Análisis", "--seal-condition", "intacto"); code == 0 || !strings.Contains(errs, "quien recibe (lab.2) no tiene una cuenta con acceso") {
		t.Errorf("handover offer to an officer outside the case: exit %d\n%s%s", code, out, errs)
	}

	code, out, errs := as(giverToken, "handover", "offer", "E-CHI-03-01", "--to", "lab.3", "--key", giverKey, "--seal", "PN-100156", "--purpose", "Análisis", "--seal-condition", "intacto")
	m := regexp.MustCompile(`^entrega (H-[0-9a-f]+): espera a lab\.3 hasta \d{4}-\d\d-\d\d \d\d:\d\d -05:00\n$`).FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("handover offer: exit %d\n%s%s", code, out, errs)
	}
	id := m[1]

	code, out, _ = as(takerToken, "handover", "list")
	if code != 0 || !regexp.MustCompile(id+`\s+E-CHI-03-01\s+cust\.chi\s+lab\.3\s+esperando a quien recibe\s+\d{4}-\d\d-\d\d \d\d:\d\d -05:00`).MatchString(out) {
		t.Fatalf("handover list does not show the pending offer in words:\n%s", out)
	}

	// The receiver signing with the giver's key, and the giver accepting
	// their own offer, are both refused, and nothing is recorded.
	if code, out, errs = as(takerToken, "handover", "accept", id, "--key", giverKey); code == 0 || !strings.Contains(errs, "no de lab.3") {
		t.Errorf("accepting with another officer's key: exit %d\n%s%s", code, out, errs)
	}
	if code, out, errs = as(giverToken, "handover", "accept", id, "--key", giverKey); code == 0 {
		t.Errorf("the giver accepted their own offer:\n%s%s", out, errs)
	}

	code, out, errs = as(takerToken, "handover", "accept", id, "--key", takerKey)
	if code != 0 || !strings.Contains(out, "recibe E-CHI-03-01 de cust.chi (finalidad: análisis; sello: PN-100156; estado del sello: intacto)") ||
		!regexp.MustCompile(`registrada como evento n\.º \d+`).MatchString(out) {
		t.Fatalf("handover accept: exit %d\n%s%s", code, out, errs)
	}
	if _, out, _ = as(takerToken, "handover", "list", "--lang", "en"); !regexp.MustCompile(id + `\s+E-CHI-03-01\s+cust\.chi\s+lab\.3\s+accepted`).MatchString(out) {
		t.Errorf("handover list after accepting:\n%s", out)
	}
	// The receiver, whose officer has a key, attaches a file: without the
	// key the act is refused (it must carry lab.3's signature), with it the
	// file is recorded, signed. (A new user found upload had no --key.)
	photo := filepath.Join(t.TempDir(), "foto.jpg")
	if err := os.WriteFile(photo, []byte("una foto del teléfono"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errs = as(takerToken, "upload", "E-CHI-03-01", photo); code == 0 || !strings.Contains(errs, "debe llevar su firma") {
		t.Errorf("an unsigned upload by an officer with a key: exit %d\n%s%s", code, out, errs)
	}
	if code, out, errs = as(takerToken, "upload", "E-CHI-03-01", photo, "--key", takerKey); code != 0 {
		t.Fatalf("upload --key: exit %d\n%s%s", code, out, errs)
	}
	stop()

	hist := mustRun(t, "item", "history", "E-CHI-03-01", "--data", data)
	if !regexp.MustCompile(`(?m)^\d+\s+\S+ \S+ -05:00\s+entrega\s+cust\.chi → lab\.3\s+lab\.3\s+PN-100156`).MatchString(hist) {
		t.Errorf("the history does not end with the handover to lab.3:\n%s", hist)
	}
	bundle := filepath.Join(t.TempDir(), "bundle.json")
	mustRun(t, "export", "bundle", "E-CHI-03-01", "-o", bundle, "--data", data)
	verdict := mustRun(t, "verify", bundle, "--data", data)
	if !regexp.MustCompile(`firmado por: cust\.chi \(clave [0-9a-f]{16}\) y lab\.3 \(clave [0-9a-f]{16}\)`).MatchString(verdict) {
		t.Errorf("the verdict does not name both signatures of the handover:\n%s", verdict)
	}
}

// TestHandoverCLIUnstatedSealAndWait: a new user offered a handover without
// --seal and the receiver read "sello: sin sello; estado del sello:
// intacto", as if the sealed item had no seal, though it keeps its seal
// (the web shows no seal then); the line now names no seal. And "--wait
// 30s" or "--wait 0" silently became two hours (the API counts whole
// minutes, 0 meaning its default): a wait under a minute or over 72h is a
// usage error, and nothing is offered.
func TestHandoverCLIUnstatedSealAndWait(t *testing.T) {
	h := newHandoverDeployment(t)
	defer h.stop()
	giverKey, takerKey, giverToken, takerToken, as := h.giverKey, h.takerKey, h.giverToken, h.takerToken, h.as
	for _, wait := range []string{"30s", "0", "-1h", "73h"} {
		if code, out, errs := as(giverToken, "handover", "offer", "E-CHI-03-01", "--to", "lab.3", "--key", giverKey, "--wait", wait); code != 2 || !strings.Contains(errs, "entre 1m y 72h") {
			t.Errorf("--wait %s: exit %d\n%s%s", wait, code, out, errs)
		}
	}
	if _, out, _ := as(takerToken, "handover", "list"); strings.Contains(out, "E-CHI-03-01") {
		t.Errorf("a refused --wait left an offer:\n%s", out)
	}

	code, out, errs := as(giverToken, "handover", "offer", "E-CHI-03-01", "--to", "lab.3", "--key", giverKey, "--purpose", "análisis", "--wait", "90m")
	m := regexp.MustCompile(`^entrega (H-[0-9a-f]+): espera a lab\.3`).FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("handover offer: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs = as(takerToken, "handover", "accept", m[1], "--key", takerKey)
	if code != 0 || !strings.Contains(out, "recibe E-CHI-03-01 de cust.chi (finalidad: análisis; estado del sello: intacto)") || strings.Contains(out, "sin sello") {
		t.Fatalf("handover accept of an offer that states no seal: exit %d\n%s%s", code, out, errs)
	}
}

// handoverDeployment is the case file served, with a giver (cust.chi,
// custodian, holding E-CHI-03-01 sealed PN-100156) and a taker (lab.3,
// forensic analyst) on METASTASIS, each with a write token and a key, and
// an outsider (lab.2) off the case; as runs the command line against the
// server with a token.
type handoverDeployment struct {
	data, giverKey, takerKey, giverToken, takerToken string
	as                                               func(token string, args ...string) (int, string, string)
	stop                                             func()
}

func newHandoverDeployment(t *testing.T) *handoverDeployment {
	t.Helper()
	data, dir := metastasisDir(t), t.TempDir()
	h := &handoverDeployment{data: data, giverKey: filepath.Join(dir, "giver.key"), takerKey: filepath.Join(dir, "taker.key")}
	mustRun(t, "user", "add", "giver", "--role", "custodian", "--officer", "cust.chi", "--case", "METASTASIS", "--data", data)
	mustRun(t, "user", "add", "taker", "--role", "forensic_analyst", "--officer", "lab.3", "--case", "METASTASIS", "--data", data)
	mustRun(t, "user", "add", "outsider", "--role", "forensic_analyst", "--officer", "lab.2", "--data", data)
	h.giverToken = strings.TrimSpace(mustRun(t, "user", "token", "giver", "--scope", "write", "--case", "METASTASIS", "--data", data))
	h.takerToken = strings.TrimSpace(mustRun(t, "user", "token", "taker", "--scope", "write", "--case", "METASTASIS", "--data", data))
	mustRun(t, "key", "new", "-o", h.giverKey)
	mustRun(t, "key", "new", "-o", h.takerKey)
	mustRun(t, "key", "add", h.giverKey, "--officer", "cust.chi", "--data", data)
	mustRun(t, "key", "add", h.takerKey, "--officer", "lab.3", "--data", data)
	addr, _, _, stop := serveOnce(t, "--data", data)
	server := "http://" + addr
	h.stop = stop
	h.as = func(token string, args ...string) (int, string, string) {
		t.Helper()
		return runCLI(t, append(args, "--server", server, "--token", token)...)
	}
	return h
}
