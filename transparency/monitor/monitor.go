// Package monitor checks that a set of checkpoints of a log can all be true
// at once, and when they cannot, produces the evidence.
//
// A log that is honest shows everyone one history: two of its checkpoints of
// the same size have the same root, and a larger one extends a smaller one
// (an RFC 6962 consistency proof verifies between them). Checkpoints come
// from anywhere: bundles handed to the court or the defence, witnesses'
// latest cosigned checkpoints, the log itself. Two checkpoints signed by the
// log's key with the same origin and size and different roots are the proof
// of a split view, and need nothing else to convince a third party: the
// monitor prints both notes, signatures included. Checkpoints of different
// sizes are checked with consistency proofs when a proof source (the log's
// tiles) is available.
package monitor

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/custodia-ec/custodia/transparency/witness"
	"github.com/custodia-ec/custodia/verify"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Input is one checkpoint note to check, and where it came from.
type Input struct {
	Source string // a file name, a URL, "bundle X": shown in the report
	Note   []byte // the signed checkpoint note
}

// Config says whom to trust.
type Config struct {
	// LogKeys verify the log's signature. A checkpoint without a valid
	// signature by one of them proves nothing and is set aside. When empty,
	// signatures are not checked and the report says so.
	LogKeys []note.Verifier
	// Witnesses are the cosignature/v1 keys of known witnesses; the report
	// lists which of them cosigned each checkpoint. Other cosignatures are
	// ignored.
	Witnesses []note.Verifier
	// Proofs, when set, gives consistency proofs to check checkpoints of
	// different sizes against each other.
	Proofs witness.ProofSource
}

// Observation is one checkpoint as the monitor read it.
type Observation struct {
	Source    string   `json:"source"`
	Origin    string   `json:"origin"`
	Size      int64    `json:"size"`
	Root      string   `json:"root"`
	LogSigned bool     `json:"log_signed"` // the log's signature verified (false when no key was given)
	Cosigners []string `json:"cosigners"`  // known witnesses whose cosignature verified
	Note      string   `json:"note"`       // the note exactly as given: the evidence
	hash      tlog.Hash
}

// Finding kinds.
const (
	// KindSplitView: two log-signed checkpoints, same origin and size,
	// different roots. Conclusive on its own.
	KindSplitView = "split_view"
	// KindInconsistent: two checkpoints of different sizes for which the
	// consistency proof from the proof source does not verify.
	KindInconsistent = "inconsistent"
	// KindInvalid: an input that is not a checkpoint signed by the log.
	KindInvalid = "invalid"
	// KindUnchecked: two checkpoints of different sizes that could not be
	// checked (no proof source, or it had no proof).
	KindUnchecked = "unchecked"
)

// Finding is one problem, with the checkpoints that show it.
type Finding struct {
	Kind      string        `json:"kind"`
	Origin    string        `json:"origin,omitempty"`
	Message   string        `json:"message"`    // Spanish
	MessageEN string        `json:"message_en"` // English
	Evidence  []Observation `json:"evidence,omitempty"`
}

// Report is the monitor's result.
type Report struct {
	Observations []Observation `json:"checkpoints"`
	Findings     []Finding     `json:"findings"`
	KeyChecked   bool          `json:"log_key_checked"`
}

// Forked reports whether the report proves or shows that the log is not one
// history: a split view or a failed consistency proof.
func (r *Report) Forked() bool {
	for _, f := range r.Findings {
		if f.Kind == KindSplitView || f.Kind == KindInconsistent {
			return true
		}
	}
	return false
}

// Invalid reports whether some input was set aside as not a valid checkpoint.
func (r *Report) Invalid() bool {
	for _, f := range r.Findings {
		if f.Kind == KindInvalid {
			return true
		}
	}
	return false
}

// Check reads every input and compares every pair of checkpoints of the same
// origin. An error means ctx ended; problems with the inputs are findings.
func Check(ctx context.Context, cfg Config, inputs []Input) (*Report, error) {
	rep := &Report{KeyChecked: len(cfg.LogKeys) > 0}
	for _, in := range inputs {
		obs, err := observe(cfg, in)
		if err != nil {
			rep.Findings = append(rep.Findings, Finding{Kind: KindInvalid,
				Message:   fmt.Sprintf("%s: %s", in.Source, spanish(err)),
				MessageEN: fmt.Sprintf("%s: %s", in.Source, english(err))})
			continue
		}
		rep.Observations = append(rep.Observations, obs)
	}

	byOrigin := make(map[string][]Observation)
	var origins []string
	for _, o := range rep.Observations {
		if _, ok := byOrigin[o.Origin]; !ok {
			origins = append(origins, o.Origin)
		}
		byOrigin[o.Origin] = append(byOrigin[o.Origin], o)
	}
	sort.Strings(origins)
	for _, origin := range origins {
		obs := byOrigin[origin]
		sort.SliceStable(obs, func(i, j int) bool { return obs[i].Size < obs[j].Size })
		// Same size: every distinct root after the first is a split view.
		var heads []Observation // one per distinct size
		for i := 0; i < len(obs); {
			j := i
			for j < len(obs) && obs[j].Size == obs[i].Size {
				j++
			}
			group := obs[i:j]
			reported := map[tlog.Hash]bool{group[0].hash: true}
			for _, o := range group[1:] {
				if reported[o.hash] {
					continue
				}
				reported[o.hash] = true
				rep.Findings = append(rep.Findings, Finding{
					Kind: KindSplitView, Origin: origin,
					Message: fmt.Sprintf("vista dividida: el log %q firmó dos raíces distintas para el tamaño %d (%s y %s)",
						origin, o.Size, group[0].Source, o.Source),
					MessageEN: fmt.Sprintf("split view: log %q signed two different roots for size %d (%s and %s)",
						origin, o.Size, group[0].Source, o.Source),
					Evidence: []Observation{group[0], o},
				})
			}
			heads = append(heads, group[0])
			i = j
		}
		// Different sizes: consistency of each with the next larger one is
		// enough, since consistency is transitive.
		for k := 0; k+1 < len(heads); k++ {
			a, b := heads[k], heads[k+1]
			if f := checkPair(ctx, cfg, a, b); f != nil {
				rep.Findings = append(rep.Findings, *f)
			}
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
	}
	return rep, nil
}

func checkPair(ctx context.Context, cfg Config, a, b Observation) *Finding {
	if a.Size == 0 {
		return nil // everything extends the empty tree
	}
	if cfg.Proofs == nil {
		return &Finding{Kind: KindUnchecked, Origin: a.Origin,
			Message:   fmt.Sprintf("sin fuente de pruebas: no se comprobó que el tamaño %d extienda el %d", b.Size, a.Size),
			MessageEN: fmt.Sprintf("no proof source: did not check that size %d extends size %d", b.Size, a.Size),
			Evidence:  []Observation{a, b}}
	}
	proof, err := cfg.Proofs.ConsistencyProof(ctx, a.Size, b.Size)
	if err != nil {
		return &Finding{Kind: KindUnchecked, Origin: a.Origin,
			Message:   fmt.Sprintf("no se obtuvo la prueba de consistencia %d→%d: %v", a.Size, b.Size, err),
			MessageEN: fmt.Sprintf("could not get the consistency proof %d→%d: %v", a.Size, b.Size, err),
			Evidence:  []Observation{a, b}}
	}
	if err := tlog.CheckTree(proof, b.Size, b.hash, a.Size, a.hash); err != nil {
		return &Finding{Kind: KindInconsistent, Origin: a.Origin,
			Message: fmt.Sprintf("el punto de control de tamaño %d (%s) no extiende el de tamaño %d (%s): la prueba de consistencia no verifica",
				b.Size, b.Source, a.Size, a.Source),
			MessageEN: fmt.Sprintf("the checkpoint of size %d (%s) does not extend the one of size %d (%s): the consistency proof does not verify",
				b.Size, b.Source, a.Size, a.Source),
			Evidence: []Observation{a, b}}
	}
	return nil
}

// bilingual is an error with a Spanish and an English message.
type bilingual struct{ es, en string }

func (e *bilingual) Error() string { return e.en }

func spanish(err error) string {
	var b *bilingual
	if errors.As(err, &b) {
		return b.es
	}
	return err.Error()
}

func english(err error) string { return err.Error() }

func observe(cfg Config, in Input) (Observation, error) {
	o := Observation{Source: in.Source, Note: string(in.Note)}
	cp, _, err := verify.ParseNote(in.Note)
	var bad *verify.Error
	if errors.As(err, &bad) {
		return o, &bilingual{bad.Message, bad.MessageEN}
	}
	if err != nil {
		return o, err
	}
	o.Origin, o.Size, o.Root, o.hash = cp.Origin, cp.Size, cp.Root.String(), cp.Root
	if len(cfg.LogKeys) > 0 {
		n, err := note.Open(in.Note, note.VerifierList(cfg.LogKeys...))
		if err != nil {
			return o, &bilingual{
				fmt.Sprintf("sin firma válida del log %q: %v", cp.Origin, err),
				fmt.Sprintf("no valid signature of log %q: %v", cp.Origin, err)}
		}
		for _, s := range n.Sigs {
			// A checkpoint key's name is its log's origin.
			o.LogSigned = o.LogSigned || s.Name == cp.Origin
		}
		if !o.LogSigned {
			return o, &bilingual{
				fmt.Sprintf("firmado por una clave que no es la del log %q", cp.Origin),
				fmt.Sprintf("signed by a key that is not log %q's", cp.Origin)}
		}
	}
	// Cosignatures: each known witness separately, so that one witness's
	// forged line does not hide another's valid one. Forged or unknown
	// lines are simply not counted.
	o.Cosigners = []string{}
	for _, w := range cfg.Witnesses {
		if n, err := note.Open(in.Note, note.VerifierList(w)); err == nil && len(n.Sigs) > 0 {
			o.Cosigners = append(o.Cosigners, w.Name())
		}
	}
	return o, nil
}
