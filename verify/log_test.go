package verify

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/custody/fastcodec"
	"github.com/custodia-ec/custodia/internal/testkeys"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// testLog is a real RFC 6962 log held in memory, built the way Custodia's
// store builds it: tlog.StoredHashes per leaf, signed checkpoints, prev
// links per item. It enforces no custody rules, so tests can append events
// that break them.
type testLog struct {
	t      testing.TB
	origin string
	signer note.Signer
	vkey   string
	events [][]byte
	hashes []tlog.Hash
	last   map[string]int64 // item -> index of its latest event
	clock  time.Time        // recorded.at of the next event
	// signed: acts are recorded by an account and signed by the people
	// they name, whose keys are registered in the log on first use;
	// otherwise they are recorded as imported from a case file, unsigned.
	signed bool
	keys   map[string]*testkeys.Key // officer -> key
	keyIdx []int64                  // the key register's events
	// unsigned, when set, leaves the next act's signatures out (a forger).
	unsigned bool
}

// newSignedLog is newTestLog whose acts are signed.
func newSignedLog(t testing.TB) *testLog {
	l := newTestLog(t)
	l.signed = true
	return l
}

// key returns officer's key, registering it in the log first.
func (l *testLog) key(officer string) *testkeys.Key {
	if k := l.keys[officer]; k != nil {
		return k
	}
	return l.register(testkeys.Ed25519(officer))
}

// register registers k in the log as its officer's key.
func (l *testLog) register(k *testkeys.Key) *testkeys.Key {
	l.keys[k.Officer] = k
	l.keyIdx = append(l.keyIdx, l.record(custody.OpKeyRequest, k.Request(l.clock), nil), l.record(custody.OpKeyApprove, k.Approve(l.clock), nil))
	return k
}

func newTestLog(t testing.TB) *testLog {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, "custodia.test/log")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	return &testLog{t: t, origin: "custodia.test/log", signer: signer, vkey: vkey, last: map[string]int64{}, keys: map[string]*testkeys.Key{},
		clock: time.Date(2023, 9, 21, 12, 0, 0, 0, time.UTC)}
}

func (l *testLog) reader() tlog.HashReader {
	return tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = l.hashes[x]
		}
		return out, nil
	})
}

// appendBytes adds a leaf and returns its index.
func (l *testLog) appendBytes(data []byte) int64 {
	n := int64(len(l.events))
	hs, err := tlog.StoredHashes(n, data, l.reader())
	if err != nil {
		l.t.Fatal(err)
	}
	l.hashes = append(l.hashes, hs...)
	l.events = append(l.events, data)
	return n
}

// add records an op the way the ledger does: the record canonicalised,
// prev links to the previous event of every item the op acts on, a random
// salt, and the account that recorded it.
func (l *testLog) add(op string, rec any) int64 {
	l.t.Helper()
	raw, err := fastcodec.MarshalCanonical(rec)
	if err != nil {
		l.t.Fatal(err)
	}
	var sigs []custody.Sig
	if l.signed && !l.unsigned {
		signers := custody.Signers(op, raw)
		for _, role := range []string{custody.RoleBy, custody.RoleFrom, custody.RoleTo} {
			if o, ok := signers[role]; ok {
				sigs = append(sigs, l.key(o).Sign(role, custody.ActDigest(op, raw)))
			}
		}
	}
	l.unsigned = false
	return l.record(op, rec, sigs)
}

// record appends op with its signatures (see add).
func (l *testLog) record(op string, rec any, sigs []custody.Sig) int64 {
	raw, err := fastcodec.MarshalCanonical(rec)
	if err != nil {
		l.t.Fatal(err)
	}
	seq := int64(len(l.events))
	prev := map[string]int64{}
	var acts []string
	switch r := rec.(type) {
	case *custody.Seize:
		l.last[r.ID] = seq
	case *custody.Derive:
		acts = []string{r.Parent}
		defer func() { l.last[r.ID] = seq }()
	case *custody.Transfer:
		acts = []string{r.Item}
	case *custody.Open:
		acts = []string{r.Item}
	case *custody.Seal:
		acts = []string{r.Item}
	case *custody.Attach:
		acts = []string{r.Item}
	case *custody.Present:
		acts = []string{r.Item}
	case *custody.Dispose:
		acts = []string{r.Item}
	}
	for _, it := range acts {
		if p, ok := l.last[it]; ok {
			prev[it] = p
		}
		l.last[it] = seq
	}
	salt := make([]byte, 16)
	rand.Read(salt)
	ev := custody.Event{V: custody.EventVersion, Seq: seq, Salt: fmt.Sprintf("%x", salt), Op: op, Record: raw, Sigs: sigs,
		Recorded: custody.Recorded{At: l.clock.Format(time.RFC3339), Account: "u-registro"}}
	if !l.signed {
		ev.Recorded = custody.Recorded{At: ev.Recorded.At, Import: &custody.Import{SHA256: fmt.Sprintf("%064x", 1), Line: int(seq) + 1}}
	}
	if len(prev) > 0 {
		ev.Prev = prev
	}
	l.clock = l.clock.Add(time.Minute)
	data, err := ev.Encode()
	if err != nil {
		l.t.Fatal(err)
	}
	return l.appendBytes(data)
}

// other adds an event about something else in the deployment.
func (l *testLog) other() int64 {
	return l.add("case.create", map[string]string{"id": fmt.Sprintf("C-%d", len(l.events))})
}

// checkpoint returns the signed checkpoint of the first size leaves.
func (l *testLog) checkpoint(size int64, signers ...note.Signer) string {
	l.t.Helper()
	root, err := tlog.TreeHash(size, l.reader())
	if err != nil {
		l.t.Fatal(err)
	}
	if signers == nil {
		signers = []note.Signer{l.signer}
	}
	msg, err := note.Sign(&note.Note{Text: (&Checkpoint{Origin: l.origin, Size: size, Root: root}).String()}, signers...)
	if err != nil {
		l.t.Fatal(err)
	}
	return string(msg)
}

// bundle exports item the way `custodia export bundle` does: every event of
// the item and of the items derived from it, proven against the checkpoint
// of the whole log.
func (l *testLog) bundle(item string) *Bundle {
	l.t.Helper()
	size := int64(len(l.events))
	b := &Bundle{Format: FormatV1, Item: item, PublicKey: l.vkey, Checkpoint: l.checkpoint(size)}
	in := map[string]bool{item: true}
	for i, data := range l.events {
		ev, err := custody.DecodeEvent(data)
		if err != nil || !custody.IsItemOp(ev.Op) { // filler leaves, other ops
			continue
		}
		rec, err := custody.DecodeItemRecord(ev.Op, ev.Record)
		if err != nil {
			l.t.Fatal(err)
		}
		id, _, _, _ := describe(rec)
		if d, ok := rec.(*custody.Derive); ok && in[d.Parent] {
			in[d.ID] = true
		}
		if s, ok := rec.(*custody.Seize); ok {
			id = s.ID
		}
		if in[id] {
			b.Events = append(b.Events, l.proven(int64(i), size))
		}
	}
	for _, i := range l.keyIdx {
		b.Keys = append(b.Keys, l.proven(i, size))
	}
	return b
}

// proven returns event i with its inclusion proof in the tree of size leaves.
func (l *testLog) proven(i, size int64) BundleEvent {
	p, err := tlog.ProveRecord(size, i, l.reader())
	if err != nil {
		l.t.Fatal(err)
	}
	return BundleEvent{Index: i, Event: string(l.events[i]), Proof: EncodeHashes(p)}
}

// consistency returns the proof that the tree of old leaves is a prefix of
// the whole log.
func (l *testLog) consistency(old int64) ConsistencyProof {
	p, err := tlog.ProveTree(int64(len(l.events)), old, l.reader())
	if err != nil {
		l.t.Fatal(err)
	}
	return ConsistencyProof{OldSize: old, Proof: EncodeHashes(p)}
}

func marshal(t testing.TB, b *Bundle) []byte {
	t.Helper()
	data, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// witness is a cosigner with an Ed25519 key, as a witness institution runs.
type witness struct {
	name string
	key  ed25519.PrivateKey
	vkey string
}

func newWitness(t testing.TB, name string) *witness {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &witness{name: name, key: priv, vkey: CosignatureVKey(name, pub)}
}

// cosign returns the witness's cosignature line for a signed checkpoint.
func (w *witness) cosign(t testing.TB, checkpoint string, ts time.Time) string {
	t.Helper()
	n, err := note.Open([]byte(checkpoint), nil)
	if n == nil {
		uerr, ok := err.(*note.UnverifiedNoteError)
		if !ok {
			t.Fatal(err)
		}
		n = uerr.Note
	}
	sig := make([]byte, 4+8)
	v, err := NewCosignatureVerifier(w.vkey)
	if err != nil {
		t.Fatal(err)
	}
	binary.BigEndian.PutUint32(sig, v.KeyHash())
	binary.BigEndian.PutUint64(sig[4:], uint64(ts.Unix()))
	sig = append(sig, ed25519.Sign(w.key, CosignatureMessage(n.Text, uint64(ts.Unix())))...)
	return "— " + w.name + " " + base64.StdEncoding.EncodeToString(sig) + "\n"
}

// history builds a realistic custody history of a seized phone: sealed at
// seizure, handed to storage and to a forensic analyst, opened, imaged
// (a derived forensic image), resealed, handed back with a seal number that
// differs from the recorded one, then taken to court with the seal broken.
// Unrelated events of other items and cases are interleaved, as in a real
// deployment.
func history(l *testLog) {
	one := int64(1)
	l.other()
	l.add(custody.OpSeize, &custody.Seize{ID: "E-OTRO-01", Case: "C-2", Type: "cash", Description: "efectivo", SeizedAt: "2023-09-12T05:00:00-05:00", SeizedBy: "P-AGENTE9"})
	l.add(custody.OpSeize, &custody.Seize{ID: "E-CHI-03-01", Case: "C-1", Type: "phone", Description: "teléfono Samsung negro", SeizedAt: "2023-09-12T05:10:00-05:00", SeizedBy: "P-AGENTE1", Site: "S-CHI-03", Seal: "S-100", Quantity: &one})
	l.add(custody.OpTransfer, &custody.Transfer{Item: "E-CHI-03-01", From: "P-AGENTE1", To: "P-CUSTODIO", At: "2023-09-12T09:00:00-05:00", Purpose: "storage", SealCondition: "intact", Seal: "S-100"})
	l.add(custody.OpTransfer, &custody.Transfer{Item: "E-OTRO-01", From: "P-AGENTE9", To: "P-CUSTODIO", At: "2023-09-12T09:30:00-05:00", Purpose: "storage", SealCondition: "none"})
	l.other()
	l.add(custody.OpTransfer, &custody.Transfer{Item: "E-CHI-03-01", From: "P-CUSTODIO", To: "P-PERITO", At: "2023-09-13T08:00:00-05:00", Purpose: "analysis", SealCondition: "intact"})
	l.add(custody.OpOpen, &custody.Open{Item: "E-CHI-03-01", At: "2023-09-13T08:30:00-05:00", By: "P-PERITO", Reason: "adquisición forense"})
	l.add(custody.OpDerive, &custody.Derive{ID: "E-CHI-03-01-IMG", Parent: "E-CHI-03-01", Type: "forensic_image", Description: "imagen forense", At: "2023-09-13T11:00:00-05:00", By: "P-PERITO", SHA256: fmt.Sprintf("%064x", 7), Tool: "dd"})
	l.add(custody.OpSeal, &custody.Seal{Item: "E-CHI-03-01", Seal: "S-200", At: "2023-09-13T11:30:00-05:00", By: "P-PERITO"})
	l.add(custody.OpAttach, &custody.Attach{Item: "E-CHI-03-01-IMG", Name: "acta.pdf", SHA256: fmt.Sprintf("%064x", 9), Size: &one, At: "2023-09-13T11:40:00-05:00", By: "P-PERITO"})
	l.add(custody.OpTransfer, &custody.Transfer{Item: "E-CHI-03-01", From: "P-PERITO", To: "P-CUSTODIO", At: "2023-09-13T15:00:00-05:00", Purpose: "storage", SealCondition: "intact", Seal: "S-2OO"})
	l.add(custody.OpTransfer, &custody.Transfer{Item: "E-CHI-03-01-IMG", From: "P-PERITO", To: "P-FISCAL", At: "2023-09-14T10:00:00-05:00", Purpose: "court", SealCondition: "none"})
	l.other()
	l.add(custody.OpTransfer, &custody.Transfer{Item: "E-CHI-03-01", From: "P-CUSTODIO", To: "P-FISCAL", At: "2023-09-20T09:00:00-05:00", Purpose: "court", SealCondition: "broken"})
	l.add(custody.OpPresent, &custody.Present{Item: "E-CHI-03-01", At: "2023-09-20T10:00:00-05:00", By: "P-FISCAL", Hearing: "H-2023-118"})
	l.other()
}

// VerifyCosignature (a test helper: the verifier checks cosignatures through
// note.Open) checks one cosignature line ("— name base64") on a
// checkpoint body (the note text, ending in a newline) with a witness's
// vkey. It returns the time at which the witness says it cosigned. The line
// must be by that key: a line by another name or key ID is an error.
func VerifyCosignature(body, line, vkey string) (time.Time, error) {
	v, err := NewCosignatureVerifier(vkey)
	if err != nil {
		return time.Time{}, err
	}
	name, b64, ok := strings.Cut(strings.TrimSuffix(strings.TrimPrefix(line, "— "), "\n"), " ")
	sig, err := base64.StdEncoding.DecodeString(b64)
	switch {
	case !strings.HasPrefix(line, "— ") || !ok || err != nil || len(sig) < 4:
		return time.Time{}, errors.New("the cosignature line is malformed")
	case name != v.name || binary.BigEndian.Uint32(sig) != v.hash:
		return time.Time{}, fmt.Errorf("the cosignature line is not by key %s", v.name)
	case !v.Verify([]byte(body), sig[4:]):
		return time.Time{}, fmt.Errorf("the cosignature by %s does not verify", v.name)
	}
	return cosignatureTime(sig[4:]), nil
}
