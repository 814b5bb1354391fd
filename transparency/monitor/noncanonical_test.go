package monitor_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/deployment"
	"github.com/custodia-ec/custodia/internal/testdeploy"
	"github.com/custodia-ec/custodia/transparency/monitor"
	"github.com/custodia-ec/custodia/transparency/witness"
	"github.com/custodia-ec/custodia/verify"
)

// loosen returns a non-canonical spelling of the padded base64 s with the
// same bytes: the unused low bit of its last character set. Go's plain
// base64 decoder, and so x/mod's note.Open, accepts it.
func loosen(t *testing.T, s string) string {
	t.Helper()
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	i := strings.LastIndexFunc(s, func(r rune) bool { return r != '=' })
	out := s[:i] + string(alphabet[strings.IndexByte(alphabet, s[i])^1]) + s[i+1:]
	a, _ := base64.StdEncoding.DecodeString(s)
	b, err := base64.StdEncoding.DecodeString(out)
	if err != nil || string(a) != string(b) || out == s {
		t.Fatalf("loosen(%q) = %q does not decode to the same bytes", s, out)
	}
	return out
}

// TestEveryComponentRefusesANonCanonicalCheckpoint feeds the same
// checkpoints, each signed with the log's real key and each accepted by
// x/mod's note.Open, to the ledger (a held checkpoint, a cosigned one), a
// witness, the monitor and the offline verifier. The notes differ from the
// log's own only in spelling: the root, or the log's signature, in
// non-canonical base64 (the same bytes). Every component refuses them as
// malformed, since they all parse with verify's one parser; the canonical
// note, fed the same way, passes everywhere, so the refusals are the
// spelling's and nothing else's.
func TestEveryComponentRefusesANonCanonicalCheckpoint(t *testing.T) {
	ctx := context.Background()
	d, _ := testdeploy.Metastasis(t, testdeploy.Clock(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)))
	skey, err := os.ReadFile(filepath.Join(d.Dir, deployment.KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	signer, err := note.NewSigner(strings.TrimSpace(string(skey)))
	if err != nil {
		t.Fatal(err)
	}
	logKey := d.Ledger.Verifier()
	bundle, err := d.Ledger.ExportBundle(ctx, "E-CHI-03-01", d.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	good := []byte(bundle.Checkpoint)
	cp, sigs, err := verify.ParseNote(good)
	if err != nil || len(sigs) != 1 {
		t.Fatalf("the log's own checkpoint: %v, %d signatures", err, len(sigs))
	}
	root := base64.StdEncoding.EncodeToString(cp.Root[:])
	looseText := strings.Replace(cp.String(), "\n"+root+"\n", "\n"+loosen(t, root)+"\n", 1)
	looseRoot, err := note.Sign(&note.Note{Text: looseText}, signer)
	if err != nil {
		t.Fatal(err)
	}
	looseSig := []byte(cp.String() + "\n— " + sigs[0].Name + " " + loosen(t, sigs[0].Base64) + "\n")

	cases := []struct {
		name string
		note []byte
		bad  bool
	}{
		{"root in non-canonical base64", looseRoot, true},
		{"log signature in non-canonical base64", looseSig, true},
		{"the log's own checkpoint", good, false},
	}
	for _, tc := range cases {
		if _, err := note.Open(tc.note, note.VerifierList(logKey)); err != nil {
			t.Fatalf("%s: note.Open refuses it (%v), so the case tests nothing", tc.name, err)
		}
	}
	// refused checks err against tc: a malformed-checkpoint refusal for a
	// bad note, no error for the good one.
	refused := func(t *testing.T, who string, bad bool, err error, msg string) {
		t.Helper()
		switch {
		case bad && err == nil:
			t.Errorf("%s accepted it", who)
		case bad && !strings.Contains(msg, "canonical base64"):
			t.Errorf("%s refused it, but not as non-canonical: %v", who, err)
		case !bad && err != nil:
			t.Errorf("%s refused the canonical note: %v", who, err)
		}
	}

	srv, err := witness.NewServer(ctx, filepath.Join(t.TempDir(), "w.db"), witness.Config{Cosigner: newCosigner(t), Logs: []witness.Log{{Origin: d.Ledger.Origin(), Verifier: logKey}}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// The ledger: a checkpoint held beside the database, and one
			// sent back by the witnesses.
			err := d.Ledger.CheckHeld(ctx, tc.note)
			refused(t, "ledger (held checkpoint)", tc.bad, err, errText(err))
			err = d.Ledger.AddCosigned(ctx, tc.note)
			refused(t, "ledger (cosigned checkpoint)", tc.bad, err, errText(err))
			var ce *custody.Error
			if tc.bad && (!errors.As(err, &ce) || ce.Code != custody.EInvalid) {
				t.Errorf("ledger (cosigned checkpoint): %v; want a custody.EInvalid error", err)
			}

			// A witness.
			_, err = srv.AddCheckpoint(ctx, (&witness.AddCheckpointRequest{OldSize: 0, Checkpoint: tc.note}).Marshal())
			refused(t, "witness", tc.bad, err, errText(err))
			var re *witness.RequestError
			if tc.bad && (!errors.As(err, &re) || re.Status != 400) {
				t.Errorf("witness: %v; want 400", err)
			}

			// The monitor.
			rep, err := monitor.Check(ctx, monitor.Config{LogKeys: []note.Verifier{logKey}}, []monitor.Input{{Source: tc.name, Note: tc.note}})
			if err != nil {
				t.Fatal(err)
			}
			var mErr error
			var msg string
			if rep.Invalid() {
				mErr, msg = errors.New(rep.Findings[0].MessageEN), rep.Findings[0].MessageEN+" "+rep.Findings[0].Message
			}
			refused(t, "monitor", tc.bad, mErr, msg)

			// The offline verifier, with the bundle's checkpoint swapped.
			b := *bundle
			b.Checkpoint = string(tc.note)
			data, err := json.Marshal(&b)
			if err != nil {
				t.Fatal(err)
			}
			_, err = verify.Verify(data, verify.Options{TrustedKey: d.PublicKey})
			refused(t, "verifier", tc.bad, err, errText(err))
			var ve *verify.Error
			if tc.bad && (!errors.As(err, &ve) || ve.Check != verify.CheckCheckpoint || ve.Code != custody.EInvalid) {
				t.Errorf("verifier: %v; want an invalid checkpoint", err)
			}
		})
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func newCosigner(t *testing.T) *witness.Cosigner {
	t.Helper()
	skey, _, err := witness.GenerateKey(strings.NewReader(strings.Repeat("k", 64)), "witness.test/w")
	if err != nil {
		t.Fatal(err)
	}
	c, err := witness.NewCosigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
