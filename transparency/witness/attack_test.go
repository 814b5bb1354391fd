package witness_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/custodia-ec/custodia/transparency/monitor"
	"github.com/custodia-ec/custodia/transparency/witness"
	"github.com/custodia-ec/custodia/verify"
	"golang.org/x/mod/sumdb/note"
)

// TestAttackRollbackFork: the operator restores an old backup (size 8 of 10)
// and appends different events. Every witness refuses the new checkpoints,
// and the monitor proves the fork from the two signed checkpoints.
func TestAttackRollbackFork(t *testing.T) {
	ctx := context.Background()
	l := newLog(t, "custodia.test/fiscalia", 10)
	ws := []*inproc{
		startWitness(t, "judiciary.test/w", l),
		startWitness(t, "defensoria.test/w", l),
		startWitness(t, "contraloria.test/w", l),
	}
	var cfg []witness.Witness
	for _, w := range ws {
		cfg = append(cfg, w.config(t))
	}
	g := gatherer(t, l, 2, cfg...)
	honest, err := g.Gather(ctx, checkpoint(t, l))
	if err != nil || !honest.QuorumMet || len(honest.Cosigners) != 3 {
		t.Fatalf("honest checkpoint: %v %+v", err, honest)
	}

	// The rollback: the database as it was at size 8, then another event.
	rolled, err := l.Fork(8)
	if err != nil {
		t.Fatal(err)
	}
	if err := rolled.Append([]byte("evento distinto 8"), []byte("evento distinto 9")); err != nil {
		t.Fatal(err)
	}
	forged := checkpoint(t, rolled) // size 10 again, another root, signed by the log's key

	// The log's own gatherer now tracks the forked tree; every witness refuses.
	g2 := gatherer(t, rolled, 2, cfg...)
	res, err := g2.Gather(ctx, forged)
	if err != nil {
		t.Fatal(err)
	}
	if res.QuorumMet || len(res.Cosigners) != 0 {
		t.Fatalf("forked checkpoint got cosigned: %+v", res)
	}
	for _, st := range res.Statuses {
		if st.Status != witness.StatusRefused {
			t.Errorf("witness %s: status %s (%s), want refused", st.Name, st.Status, st.Error)
		}
	}
	// Per c2sp.org/tlog-witness, same size with another root is 422.
	var hs *witness.HTTPError
	if _, err := (&witness.Client{}).AddCheckpoint(ctx, ws[0].http.URL, 10, nil, forged); !errors.As(err, &hs) || hs.StatusCode != 422 {
		t.Fatalf("same size, other root: err %v, want 422", err)
	}
	// A larger forked checkpoint with a proof from the forked tree: 422.
	if err := rolled.AppendN(3); err != nil {
		t.Fatal(err)
	}
	proof, err := rolled.ConsistencyProof(ctx, 10, rolled.Size())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (&witness.Client{}).AddCheckpoint(ctx, ws[1].http.URL, 10, proof, checkpoint(t, rolled)); !errors.As(err, &hs) || hs.StatusCode != 422 {
		t.Fatalf("forked extension: err %v, want 422", err)
	}

	// The monitor proves the fork from the two checkpoints alone.
	var wkeys []note.Verifier
	for _, w := range ws {
		v, _ := witness.NewVerifier(w.vkey)
		wkeys = append(wkeys, v)
	}
	mcfg := monitor.Config{LogKeys: []note.Verifier{l.Verifier()}, Witnesses: wkeys}
	rep, err := monitor.Check(ctx, mcfg, []monitor.Input{
		{Source: "cosigned", Note: honest.Checkpoint},
		{Source: "after rollback", Note: forged},
	})
	if err != nil {
		t.Fatal(err)
	}
	f := findKind(rep, monitor.KindSplitView)
	if f == nil || len(f.Evidence) != 2 || !rep.Forked() {
		t.Fatalf("monitor did not prove the fork: %+v", rep)
	}
	if f.Evidence[0].Note == f.Evidence[1].Note || f.Evidence[0].Size != 10 || f.Evidence[1].Size != 10 {
		t.Fatalf("evidence is not the two checkpoints: %+v", f.Evidence)
	}
	if got := rep.Observations[0].Cosigners; len(got) != 3 {
		t.Fatalf("cosigners of the honest checkpoint: %v", got)
	}
	// With the (rolled-back) log as proof source, the older honest
	// checkpoint and the newer forked one cannot be reconciled either.
	mcfg.Proofs = rolled
	rep, err = monitor.Check(ctx, mcfg, []monitor.Input{
		{Source: "cosigned", Note: honest.Checkpoint},
		{Source: "forked, larger", Note: checkpoint(t, rolled)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if findKind(rep, monitor.KindInconsistent) == nil {
		t.Fatalf("monitor missed the inconsistent pair: %+v", rep.Findings)
	}
	// The monitor command, reading the witness's served checkpoint over
	// HTTP and the forged checkpoint from a file, proves the fork too.
	forgedFile := filepath.Join(t.TempDir(), "forged.txt")
	if err := os.WriteFile(forgedFile, forged, 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	served := ws[2].http.URL + "/checkpoint/" + url.PathEscape(l.Origin())
	rep, err = monitor.Run(ctx, monitor.Options{Files: []string{served, forgedFile}, Keys: []string{l.VKey()}, Witnesses: []string{ws[2].vkey}})
	if err != nil || !rep.Forked() {
		t.Fatalf("monitor on the witness's checkpoint: %v %+v", err, rep)
	}
	monitor.WriteText(&out, rep)
	if !strings.Contains(out.String(), "cosignantes/cosigners "+ws[2].name) || !strings.Contains(out.String(), string(forged)) {
		t.Fatalf("monitor output:\n%s", out.String())
	}

	// The witness kept the refused, log-signed request; the monitor reads it.
	refs, err := ws[0].srv.Refusals(ctx, l.Origin())
	if err != nil || len(refs) == 0 {
		t.Fatalf("no refusal kept: %v", err)
	}
	in, err := monitor.ParseInput("refusal", refs[0].Request)
	if err != nil {
		t.Fatal(err)
	}
	rep, _ = monitor.Check(ctx, monitor.Config{LogKeys: []note.Verifier{l.Verifier()}}, []monitor.Input{in, {Source: "cosigned", Note: honest.Checkpoint}})
	if !rep.Forked() {
		t.Fatalf("the witness's kept evidence does not prove the fork: %+v", rep.Findings)
	}
}

// TestAttackSplitView: the operator keeps two databases and hands the court
// a bundle from one and the defence a bundle from the other. The witnesses
// cosign only the first history they see, so the second bundle fails the
// quorum; and the monitor, given both bundles, proves the fork.
func TestAttackSplitView(t *testing.T) {
	ctx := context.Background()
	court := newLog(t, "custodia.test/fiscalia", 9)
	ws := []*inproc{startWitness(t, "judiciary.test/w", court), startWitness(t, "defensoria.test/w", court)}
	cfg := []witness.Witness{ws[0].config(t), ws[1].config(t)}
	defence, err := court.Fork(9)
	if err != nil {
		t.Fatal(err)
	}
	if err := court.Append([]byte("A"), []byte("B"), []byte("C")); err != nil {
		t.Fatal(err)
	}
	if err := defence.Append([]byte("A"), []byte("B-otra"), []byte("C")); err != nil {
		t.Fatal(err)
	}
	courtCP, err := gatherer(t, court, 2, cfg...).Gather(ctx, checkpoint(t, court))
	if err != nil || !courtCP.QuorumMet {
		t.Fatalf("court's checkpoint: %v %+v", err, courtCP)
	}
	defenceCP, err := gatherer(t, defence, 2, cfg...).Gather(ctx, checkpoint(t, defence))
	if err != nil {
		t.Fatal(err)
	}
	if defenceCP.QuorumMet || len(defenceCP.Cosigners) != 0 {
		t.Fatalf("the second history got cosigned: %+v", defenceCP.Statuses)
	}

	// The two bundles, as files, and the monitor command.
	dir := t.TempDir()
	write := func(name string, cp []byte) string {
		b, _ := json.Marshal(map[string]any{"checkpoint": string(cp), "events": []string{}})
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a := write("court.json", courtCP.Checkpoint)
	b := write("defence.json", defenceCP.Checkpoint)
	var out bytes.Buffer
	rep, err := monitor.Run(ctx, monitor.Options{Files: []string{a, b}, Keys: []string{court.VKey()}, Witnesses: []string{ws[0].vkey}})
	if err != nil || !rep.Forked() {
		t.Fatalf("monitor: %v, want a fork: %+v", err, rep)
	}
	monitor.WriteText(&out, rep)
	for _, want := range []string{"SPLIT_VIEW", "vista dividida", "split view", string(courtCP.Checkpoint), string(defenceCP.Checkpoint)} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("monitor output lacks %q:\n%s", want, out.String())
		}
	}
	rep, err = monitor.Run(ctx, monitor.Options{Files: []string{a, b}, Keys: []string{court.VKey()}})
	if err != nil || !rep.Forked() {
		t.Fatalf("monitor without witness keys: %v %+v", err, rep)
	}
	js, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var back monitor.Report
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	f := findKind(&back, monitor.KindSplitView)
	if f == nil || len(f.Evidence) != 2 || f.Evidence[0].Note != string(courtCP.Checkpoint) || f.Evidence[1].Note != string(defenceCP.Checkpoint) {
		t.Fatalf("JSON evidence: %+v", back.Findings)
	}
	// Each bundle alone is consistent: the fork shows only side by side.
	rep, err = monitor.Run(ctx, monitor.Options{Files: []string{a}, Keys: []string{court.VKey()}})
	if err != nil || rep.Forked() || rep.Invalid() {
		t.Fatalf("one bundle alone: %v %+v", err, rep)
	}
}

// TestAttackStaleWitness: a witness that is behind (it missed checkpoints,
// or the log restarted and forgot what it sent) answers 409 with its size,
// and the gatherer catches it up with a proof from that size.
func TestAttackStaleWitness(t *testing.T) {
	ctx := context.Background()
	l := newLog(t, "custodia.test/fiscalia", 5)
	w := startWitness(t, "judiciary.test/w", l)
	first := gatherer(t, l, 1, w.config(t))
	if res, err := first.Gather(ctx, checkpoint(t, l)); err != nil || !res.QuorumMet {
		t.Fatalf("%v %+v", err, res)
	}
	if err := l.AppendN(300); err != nil {
		t.Fatal(err)
	}
	cp := checkpoint(t, l)
	// The raw answer: 409, its size.
	var conflict *witness.ConflictError
	if _, err := (&witness.Client{}).AddCheckpoint(ctx, w.http.URL, 0, nil, cp); !errors.As(err, &conflict) || conflict.KnownSize != 5 {
		t.Fatalf("stale request: %v, want 409 with size 5", err)
	}
	// A gatherer that knows nothing (a restarted log server) catches it up.
	fresh := gatherer(t, l, 1, w.config(t))
	res, err := fresh.Gather(ctx, cp)
	if err != nil {
		t.Fatal(err)
	}
	st := statusOf(res, w.name)
	if st.Status != witness.StatusOK || !st.CaughtUp || st.Size != l.Size() || !res.QuorumMet {
		t.Fatalf("catch-up: %+v", st)
	}
	latest, err := w.srv.Latest(ctx, l.Origin())
	if err != nil || !bytes.HasPrefix(latest, bytes.SplitN(cp, []byte("\n\n"), 2)[0]) {
		t.Fatalf("the witness did not move to size %d: %v\n%s", l.Size(), err, latest)
	}
	if got := fresh.Status(); len(got) != 1 || got[0].Status != witness.StatusOK {
		t.Fatalf("Status() = %+v", got)
	}
}

// rewriting wraps a witness and rewrites its 200 answers.
func rewriting(t *testing.T, inner http.Handler, rewrite func([]byte) []byte) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		inner.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		if rec.Code == 200 {
			body = rewrite(body)
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(body)
	}))
	t.Cleanup(s.Close)
	return s
}

// TestAttackUnknownWitnessKey: cosignatures by keys that are not configured
// count for nothing, in the gatherer and in the monitor.
func TestAttackUnknownWitnessKey(t *testing.T) {
	ctx := context.Background()
	l := newLog(t, "custodia.test/fiscalia", 7)
	good := startWitness(t, "judiciary.test/w", l)
	rogue := startWitness(t, "rogue.test/w", l)
	impostor := startWitness(t, "defensoria.test/w", l) // answers with its own key, not the configured one
	configured := startWitness(t, "defensoria.test/w", l)

	// A good witness whose answer also carries a line by an unknown key.
	padded := rewriting(t, good.srv.Handler(), func(b []byte) []byte {
		line, err := rogue.srv.Cosigner().Cosign(checkpoint(t, l), timeNow())
		if err != nil {
			t.Fatal(err)
		}
		return append(b, line...)
	})
	goodCfg := good.config(t)
	goodCfg.URL = padded.URL
	impCfg, _ := witness.NewWitness("defensoria.test/w", impostor.http.URL, configured.vkey)
	g := gatherer(t, l, 2, goodCfg, impCfg)
	res, err := g.Gather(ctx, checkpoint(t, l))
	if err != nil {
		t.Fatal(err)
	}
	if res.QuorumMet || len(res.Cosigners) != 1 || res.Cosigners[0] != good.name {
		t.Fatalf("cosigners %v, quorum %v: want only %s", res.Cosigners, res.QuorumMet, good.name)
	}
	if st := statusOf(res, "defensoria.test/w"); st.Status != witness.StatusError {
		t.Fatalf("impostor status %+v, want error", st)
	}
	if bytes.Contains(res.Checkpoint, []byte("rogue.test/w")) {
		t.Fatalf("an unknown key's cosignature was published:\n%s", res.Checkpoint)
	}
	n, err := note.Open(res.Checkpoint, note.VerifierList(l.Verifier()))
	if err != nil || len(n.Sigs) != 1 || len(n.UnverifiedSigs) != 1 {
		t.Fatalf("published note: %v\n%s", err, res.Checkpoint)
	}

	// The monitor, given a checkpoint carrying a rogue cosignature, does not
	// count it.
	line, _ := rogue.srv.Cosigner().Cosign(res.Checkpoint, timeNow())
	withRogue := append(bytes.Clone(res.Checkpoint), line...)
	gv, _ := witness.NewVerifier(good.vkey)
	cv, _ := witness.NewVerifier(configured.vkey)
	rep, err := monitor.Check(ctx, monitor.Config{LogKeys: []note.Verifier{l.Verifier()}, Witnesses: []note.Verifier{gv, cv}},
		[]monitor.Input{{Source: "x", Note: withRogue}})
	if err != nil {
		t.Fatal(err)
	}
	if got := rep.Observations[0].Cosigners; len(got) != 1 || got[0] != good.name {
		t.Fatalf("monitor counted cosigners %v, want [%s]", got, good.name)
	}
}

// TestAttackForgedCosignature: a cosignature line that names a configured
// witness but does not verify is rejected, not published, not counted.
func TestAttackForgedCosignature(t *testing.T) {
	ctx := context.Background()
	l := newLog(t, "custodia.test/fiscalia", 7)
	w := startWitness(t, "judiciary.test/w", l)
	forge := func(b []byte) []byte {
		sigs, err := verify.ParseSignatureLines(b)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := base64.StdEncoding.DecodeString(sigs[0].Base64)
		raw[len(raw)-1] ^= 0x40 // keep the key ID, break the signature
		return []byte("— " + sigs[0].Name + " " + base64.StdEncoding.EncodeToString(raw) + "\n")
	}
	proxy := rewriting(t, w.srv.Handler(), forge)
	cfg := w.config(t)
	cfg.URL = proxy.URL
	res, err := gatherer(t, l, 1, cfg).Gather(ctx, checkpoint(t, l))
	if err != nil {
		t.Fatal(err)
	}
	st := statusOf(res, w.name)
	if st.Status != witness.StatusError || !strings.Contains(st.Error, "forged") || res.QuorumMet {
		t.Fatalf("forged cosignature: %+v", st)
	}
	if !bytes.Equal(res.Checkpoint, checkpoint(t, l)) {
		t.Fatalf("the forged line was published:\n%s", res.Checkpoint)
	}

	// The monitor does not count a forged line either.
	resp, err := http.Post(w.http.URL+"/add-checkpoint", "text/plain", bytes.NewReader((&witness.AddCheckpointRequest{OldSize: l.Size(), Checkpoint: checkpoint(t, l)}).Marshal()))
	if err != nil {
		t.Fatal(err)
	}
	good, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	v, _ := witness.NewVerifier(w.vkey)
	cfgM := monitor.Config{LogKeys: []note.Verifier{l.Verifier()}, Witnesses: []note.Verifier{v}}
	for _, tc := range []struct {
		line string
		want int
	}{{string(good), 1}, {string(forge(good)), 0}} {
		rep, err := monitor.Check(ctx, cfgM, []monitor.Input{{Source: "x", Note: append(checkpoint(t, l), tc.line...)}})
		if err != nil {
			t.Fatal(err)
		}
		if got := len(rep.Observations[0].Cosigners); got != tc.want {
			t.Errorf("line %q: %d cosigners, want %d", tc.line, got, tc.want)
		}
	}
	// A checkpoint whose log signature is forged is set aside by the monitor.
	text, sigs, _ := bytes.Cut(checkpoint(t, l), []byte("\n\n"))
	parsed, err := verify.ParseSignatureLines(sigs)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.StdEncoding.DecodeString(parsed[0].Base64)
	raw[10] ^= 1
	bad := []byte(string(text) + "\n\n— " + parsed[0].Name + " " + base64.StdEncoding.EncodeToString(raw) + "\n")
	rep, _ := monitor.Check(ctx, cfgM, []monitor.Input{{Source: "forged log signature", Note: bad}})
	if !rep.Invalid() || len(rep.Observations) != 0 {
		t.Fatalf("forged log signature accepted: %+v", rep)
	}
}

func findKind(r *monitor.Report, kind string) *monitor.Finding {
	for i := range r.Findings {
		if r.Findings[i].Kind == kind {
			return &r.Findings[i]
		}
	}
	return nil
}
