package verify

import (
	"context"
	"encoding/base64"
	"slices"
	"strings"
	"time"

	"github.com/custodia-ec/custodia/custody"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Options are what the person verifying brings from outside the bundle.
// All are optional; each one the caller gives makes the verdict stronger.
type Options struct {
	// TrustedKey is the log's verifier key as published by its operator
	// (note format, name+hash+key). When set, it is used instead of the
	// key the bundle carries.
	TrustedKey string
	// OldCheckpoint is a signed checkpoint the caller obtained earlier
	// and trusts (from a court record, a witness, a previous bundle).
	// Verify checks that the bundle's checkpoint extends it.
	OldCheckpoint []byte
	// Policy is a witness policy file (C2SP tlog-policy). Verify checks
	// that the checkpoint carries the cosignatures it requires.
	Policy []byte
	// Now is the time of the verification; zero means time.Now(). A
	// cosignature dated more than ten minutes after Now is refused.
	Now time.Time
	// RequireSignatures fails verification on any act that does not carry
	// the personal signature of everyone it names (an imported act too).
	RequireSignatures bool
}

// Where the log key came from (Result.KeySource).
const (
	KeyTrusted = "trusted" // Options.TrustedKey
	KeyPolicy  = "policy"  // the bundle's key, listed as a log in the policy
	KeyBundle  = "bundle"  // the bundle's own key: compare it with the published one
)

// Result is everything Verify checked. It exists only for a bundle that
// passed every check; it marshals to JSON for machine-readable output.
type Result struct {
	Item       string         `json:"item"`
	Origin     string         `json:"origin"`    // the log's name
	TreeSize   int64          `json:"tree_size"` // the checkpoint's size
	RootHash   string         `json:"root_hash"` // base64
	LogKey     string         `json:"log_key"`   // the verifier key used
	KeySource  string         `json:"key_source"`
	EventCount int            `json:"event_count"`
	Items      []*ItemHistory `json:"items"` // the bundle's item first
	Anomalies  []Anomaly      `json:"anomalies"`
	// Consistency is set when an older checkpoint was given.
	Consistency *ConsistencyResult `json:"consistency,omitempty"`
	// Witnesses is set when a policy was given.
	Witnesses  *WitnessResult `json:"witnesses,omitempty"`
	VerifiedAt string         `json:"verified_at"`
}

// ConsistencyResult says that the bundle's checkpoint extends an older one.
type ConsistencyResult struct {
	OldSize int64  `json:"old_size"`
	OldRoot string `json:"old_root"`
}

// WitnessResult says who cosigned the checkpoint and whether that meets
// the policy's quorum (it always does in a Result: otherwise Verify fails).
type WitnessResult struct {
	Quorum  string        `json:"quorum"`
	Met     bool          `json:"met"`
	Signed  []Cosignature `json:"signed"`
	Missing []string      `json:"missing"`
	// Ignored are signature lines by keys the policy does not know.
	Ignored []string `json:"ignored,omitempty"`
}

// Cosignature is one valid cosignature by a policy witness.
type Cosignature struct {
	Witness string `json:"witness"`
	Time    string `json:"time"` // when the witness says it cosigned, UTC
}

// maxClockSkew is how far in the future a cosignature may be dated.
const maxClockSkew = 10 * time.Minute

// Verify checks a bundle (see the package documentation for exactly what is
// checked) and returns what it verified, or an *Error saying which check
// failed, where, and why.
func Verify(bundle []byte, opts Options) (*Result, error) {
	return VerifyContext(context.Background(), bundle, opts)
}

// VerifyContext is Verify that stops when ctx is done: a server gives each
// bundle a deadline, and the command line stops on Ctrl-C or SIGTERM. It
// checks ctx between its steps and before each event, whose own checks are
// bounded by the limits of ParseBundle; a stopped verification fails with
// Check CheckStopped, whose error unwraps to ctx.Err(). It verifies nothing
// less than Verify: the bundle passes all the checks or none.
func VerifyContext(ctx context.Context, bundle []byte, opts Options) (*Result, error) {
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	if err := stopped(ctx, -1); err != nil {
		return nil, err
	}
	b, err := ParseBundle(bundle)
	if err != nil {
		return nil, err
	}
	if err := stopped(ctx, -1); err != nil {
		return nil, err
	}
	var policy *Policy
	if opts.Policy != nil {
		if policy, err = ParsePolicy(opts.Policy); err != nil {
			return nil, invalid(CheckPolicy, -1, "", "la política de testigos no es válida: %v", "the witness policy is invalid: %v", err)
		}
	}

	// The key: the caller's, or else the bundle's own.
	res := &Result{Item: b.Item, LogKey: strings.TrimSpace(opts.TrustedKey), KeySource: KeyTrusted, EventCount: len(b.Events),
		VerifiedAt: now.UTC().Format(time.RFC3339), Anomalies: []Anomaly{}}
	if res.LogKey == "" {
		res.LogKey, res.KeySource = b.PublicKey, KeyBundle
		if policy != nil && len(policy.Logs) > 0 {
			res.KeySource = KeyPolicy
		}
	}
	logKey, err := note.NewVerifier(res.LogKey)
	if err != nil {
		return nil, invalid(CheckKey, -1, "public_key", "la clave del registro %q no es válida: %v", "the log key %q is invalid: %v", res.LogKey, err)
	}
	if policy != nil && len(policy.Logs) > 0 && !slices.Contains(policy.Logs, res.LogKey) {
		return nil, tampered(CheckKey, -1, "public_key", "la clave del registro %q no figura en la política", "the log key %q is not in the policy", res.LogKey)
	}

	// The checkpoint, signed by the log and cosigned by witnesses.
	known := []note.Verifier{logKey}
	if policy != nil {
		for _, w := range policy.Witnesses {
			known = append(known, w.verifier)
		}
	}
	n, cp, err := openCheckpoint([]byte(b.Checkpoint), logKey, note.VerifierList(known...), "")
	if err != nil {
		return nil, err
	}
	res.Origin, res.TreeSize, res.RootHash = cp.Origin, cp.Size, base64.StdEncoding.EncodeToString(cp.Root[:])
	if policy != nil {
		if res.Witnesses, err = checkWitnesses(n, policy, now); err != nil {
			return nil, err
		}
	}

	// Every event: in the tree, well formed, and lawful in custody.
	keys, err := readKeys(b.Keys, cp)
	if err != nil {
		return nil, err
	}
	evs, wait, stop, err := checkAll(ctx, b.Events, cp, keys)
	if err != nil {
		return nil, err
	}
	defer stop()
	r := &replay{root: b.Item, items: map[string]*custody.Item{}, hist: map[string]*ItemHistory{}, keys: keys, require: opts.RequireSignatures}
	for i, e := range b.Events {
		if err := stopped(ctx, e.Index); err != nil {
			return nil, err
		}
		wait(i)
		if err := r.apply(e.Index, &evs[i]); err != nil {
			return nil, err
		}
	}
	if r.items[b.Item] == nil {
		return nil, invalid(CheckCustody, -1, "item", "el paquete no contiene el secuestro de %s", "the bundle does not hold the seizure of %s", b.Item)
	}
	for _, id := range r.order {
		res.Items = append(res.Items, r.hist[id])
	}
	res.Anomalies = append(res.Anomalies, r.anomalies...)
	if opts.OldCheckpoint != nil {
		if err := stopped(ctx, -1); err != nil {
			return nil, err
		}
		if res.Consistency, err = checkConsistency(b, cp, logKey, opts.OldCheckpoint); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// checkEvent checks that one event is in the checkpoint's tree at its index,
// and that its bytes are a canonical event with that sequence number.
func checkEvent(e BundleEvent, cp *Checkpoint) (*custody.Event, error) {
	if e.Index >= cp.Size {
		return nil, tampered(CheckProof, e.Index, "index", "el índice no es menor que el tamaño del registro (%d)",
			"the index is not below the log's size (%d)", cp.Size)
	}
	proof, err := decodeHashes(e.Proof, CheckProof, e.Index, "proof")
	if err != nil {
		return nil, err
	}
	event := []byte(e.Event)
	if err := tlog.CheckRecord(proof, cp.Size, cp.Root, e.Index, tlog.RecordHash(event)); err != nil {
		return nil, tampered(CheckProof, e.Index, "event", "el evento no es el que el registro contiene en esa posición: su hash no concuerda con la prueba de inclusión y el punto de control firmado (el evento o la prueba fueron alterados)",
			"the event is not the one the log holds at that position: its hash does not match the inclusion proof and the signed checkpoint (the event or the proof was altered)")
	}
	ev, err := custody.DecodeEvent(event)
	if err != nil {
		return nil, invalid(CheckEvent, e.Index, "event", "el evento no está bien formado: %v", "the event is malformed: %v", err)
	}
	if ev.Seq != e.Index {
		return nil, tampered(CheckEvent, e.Index, "seq", "el evento dice ser el %d", "the event says it is number %d", ev.Seq)
	}
	return ev, nil
}

// checkConsistency checks the bundle's checkpoint against an older trusted
// one: signed by the same key, and either the same tree or a tree that the
// bundle's consistency proof shows to extend it.
func checkConsistency(b *Bundle, cp *Checkpoint, logKey note.Verifier, old []byte) (*ConsistencyResult, error) {
	_, oc, err := openCheckpoint(old, logKey, note.VerifierList(logKey), "old")
	if err != nil {
		return nil, err
	}
	res := &ConsistencyResult{OldSize: oc.Size, OldRoot: base64.StdEncoding.EncodeToString(oc.Root[:])}
	switch {
	case oc.Size > cp.Size:
		return nil, fail(custody.EInvalid, CheckConsistency, -1, "", "el punto de control anterior (tamaño %d) es más reciente que el del paquete (%d): pida un paquete nuevo",
			"the older checkpoint (size %d) is newer than the bundle's (%d): ask for a newer bundle", oc.Size, cp.Size)
	case oc.Size == cp.Size && oc.Root != cp.Root:
		return nil, tampered(CheckConsistency, -1, "", "el registro firmó dos raíces distintas para el tamaño %d: es una bifurcación, prueba de que se mostraron dos historias",
			"the log signed two different roots for size %d: a fork, proof that two histories were shown", cp.Size)
	case oc.Size == cp.Size:
		return res, nil
	}
	for _, c := range b.Consistency {
		if c.OldSize != oc.Size {
			continue
		}
		proof, err := decodeHashes(c.Proof, CheckConsistency, -1, "consistency.proof")
		if err != nil {
			return nil, err
		}
		if err := tlog.CheckTree(proof, cp.Size, cp.Root, oc.Size, oc.Root); err != nil {
			return nil, tampered(CheckConsistency, -1, "consistency.proof", "el punto de control del paquete no extiende al anterior de tamaño %d: la historia fue reescrita o la prueba alterada",
				"the bundle's checkpoint does not extend the older one of size %d: history was rewritten or the proof altered", oc.Size)
		}
		return res, nil
	}
	return nil, fail(custody.EInvalid, CheckConsistency, -1, "consistency", "el paquete no trae una prueba de consistencia desde el tamaño %d: pida un paquete exportado con ese punto de control",
		"the bundle carries no consistency proof from size %d: ask for a bundle exported with that checkpoint", oc.Size)
}

// checkWitnesses lists the policy witnesses that validly cosigned the
// checkpoint (note.Open has already refused a forged cosignature by a policy
// key) and fails unless they meet the quorum.
func checkWitnesses(n *note.Note, p *Policy, now time.Time) (*WitnessResult, error) {
	res := &WitnessResult{Quorum: p.Quorum, Signed: []Cosignature{}, Missing: []string{}}
	var signers []string
	for _, w := range p.Witnesses {
		signed := false
		for _, s := range n.Sigs {
			if s.Name != w.verifier.Name() || s.Hash != w.verifier.KeyHash() {
				continue
			}
			// note.Open has verified this signature with w's
			// CosignatureVerifier, which takes only the right length; the
			// length is checked again here, where the bytes are read.
			sig, err := base64.StdEncoding.DecodeString(s.Base64)
			if err != nil || len(sig) != cosignatureSize {
				return nil, invalid(CheckPolicy, -1, "", "la cofirma de %s no es una cofirma Ed25519: tiene %d bytes, no %d (identificador de clave, fecha y firma)",
					"the cosignature of %s is not an Ed25519 cosignature: it has %d bytes, not %d (key ID, timestamp and signature)", w.Name, len(sig), cosignatureSize)
			}
			t := cosignatureTime(sig[4:])
			if t.After(now.Add(maxClockSkew)) {
				return nil, tampered(CheckPolicy, -1, "", "la cofirma de %s está fechada en el futuro (%s)",
					"the cosignature of %s is dated in the future (%s)", w.Name, t.Format(time.RFC3339))
			}
			res.Signed = append(res.Signed, Cosignature{Witness: w.Name, Time: t.Format(time.RFC3339)})
			signers, signed = append(signers, w.Name), true
		}
		if !signed {
			res.Missing = append(res.Missing, w.Name)
		}
	}
	for _, s := range n.UnverifiedSigs {
		res.Ignored = append(res.Ignored, s.Name)
	}
	if res.Met = p.Satisfied(signers); !res.Met {
		return nil, fail(custody.ERule, CheckPolicy, -1, "", "las cofirmas no alcanzan el quórum %q de la política: firmaron [%s]; faltan [%s]",
			"the cosignatures do not meet the policy's quorum %q: signed [%s]; missing [%s]", p.Quorum, strings.Join(signers, ", "), strings.Join(res.Missing, ", "))
	}
	return res, nil
}
