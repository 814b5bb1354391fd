package witness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/custodia-ec/custodia/verify"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Quorum decides whether a set of witnesses that cosigned is enough. names
// are the Names of the [Witness]es whose cosignature verified. The policy
// parser (c2sp.org/tlog-policy style: witnesses, groups, k-of-n) provides
// the real one; [Threshold] is the simplest.
type Quorum interface {
	Satisfied(names []string) bool
}

// Threshold is a k-of-n quorum: at least K of Names.
type Threshold struct {
	K     int
	Names []string
}

// Satisfied implements Quorum.
func (t Threshold) Satisfied(names []string) bool {
	in := make(map[string]bool, len(t.Names))
	for _, n := range t.Names {
		in[n] = true
	}
	got := 0
	for _, n := range names {
		if in[n] {
			got++
			in[n] = false // count each witness once
		}
	}
	return got >= t.K
}

var _ Quorum = Threshold{}

// ProofSource gives RFC 6962 consistency proofs of the log being witnessed:
// a proof that the tree of size newSize extends the tree of size oldSize,
// 0 < oldSize <= newSize. It must return an error, never a wrong proof,
// when it cannot (the witness would refuse a wrong proof anyway).
type ProofSource interface {
	ConsistencyProof(ctx context.Context, oldSize, newSize int64) (tlog.TreeProof, error)
}

// Witness is one witness as the log knows it.
type Witness struct {
	Name     string        // the name the quorum rule uses
	URL      string        // the submission prefix; requests go to URL/add-checkpoint
	Verifier note.Verifier // the witness's cosignature/v1 key
}

// NewWitness builds a Witness from its cosignature vkey (see [NewVerifier]).
func NewWitness(name, url, vkey string) (Witness, error) {
	v, err := NewVerifier(vkey)
	if err != nil {
		return Witness{}, fmt.Errorf("testigo %q / witness %q: %w", name, name, err)
	}
	return Witness{Name: name, URL: url, Verifier: v}, nil
}

// Status is a witness's state as the last gathering found it.
type Status string

const (
	StatusOK      Status = "ok"      // it cosigned
	StatusDown    Status = "down"    // unreachable, timed out, or a 5xx
	StatusStale   Status = "stale"   // it stayed behind (409) after the catch-up attempts
	StatusRefused Status = "refused" // it refused the checkpoint (fork, bad proof, unknown log, bad signature)
	StatusError   Status = "error"   // its answer was wrong: no valid cosignature, a forged one, garbage
)

// WitnessStatus is what happened with one witness for one checkpoint.
type WitnessStatus struct {
	Name     string        `json:"name"`
	URL      string        `json:"url"`
	Status   Status        `json:"status"`
	Size     int64         `json:"size"`                // the size it is known to have cosigned
	CaughtUp bool          `json:"caught_up,omitempty"` // it was stale, and was sent a proof from its own size
	Latency  time.Duration `json:"latency_ns"`
	Error    string        `json:"error,omitempty"`
	At       time.Time     `json:"at"`
}

// Cosigned is the result of one gathering.
type Cosigned struct {
	// Checkpoint is the checkpoint note with the log's signatures and then
	// every verified cosignature: the checkpoint that bundles carry.
	Checkpoint []byte
	Cosigners  []string        // names of the witnesses whose cosignature verified
	Statuses   []WitnessStatus // one per configured witness, in configuration order
	QuorumMet  bool
}

// GathererConfig configures a [Gatherer].
type GathererConfig struct {
	Witnesses []Witness
	Quorum    Quorum      // when nil, every witness must cosign
	Proofs    ProofSource // consistency proofs for witnesses that are behind
	Client    *Client     // nil: a Client with http.DefaultClient
	Timeout   time.Duration
	// Attempts bounds the requests per witness per checkpoint (the first,
	// and catch-ups after a 409). Default 3.
	Attempts int
	Now      func() time.Time
}

// Gatherer sends each new checkpoint to every witness at once and collects
// their cosignatures. It remembers the size each witness last cosigned, so
// that it sends the right consistency proof; a witness that restarted
// behind, or that it has never talked to, answers 409 with its size and is
// caught up with a proof from there. A witness that is down costs one
// timeout and does not stop the others. It is safe for concurrent use.
type Gatherer struct {
	cfg   GathererConfig
	mu    sync.Mutex
	known map[string]int64
	last  map[string]WitnessStatus
}

// NewGatherer checks the configuration.
func NewGatherer(cfg GathererConfig) (*Gatherer, error) {
	seen := make(map[string]bool)
	for _, w := range cfg.Witnesses {
		if w.Name == "" || w.URL == "" || w.Verifier == nil {
			return nil, fmt.Errorf("testigo %q incompleto / witness %q incomplete", w.Name, w.Name)
		}
		if seen[w.Name] {
			return nil, fmt.Errorf("testigo %q repetido / witness %q repeated", w.Name, w.Name)
		}
		seen[w.Name] = true
	}
	if cfg.Proofs == nil {
		return nil, errors.New("falta la fuente de pruebas / missing proof source")
	}
	if cfg.Client == nil {
		cfg.Client = &Client{}
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	if cfg.Attempts <= 0 {
		cfg.Attempts = 3
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Gatherer{cfg: cfg, known: make(map[string]int64), last: make(map[string]WitnessStatus)}, nil
}

// Status returns each witness's state after the latest gathering, for the
// server to report (a witness never contacted yet is absent).
func (g *Gatherer) Status() []WitnessStatus {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []WitnessStatus
	for _, w := range g.cfg.Witnesses {
		if st, ok := g.last[w.Name]; ok {
			out = append(out, st)
		}
	}
	return out
}

// Gather sends signedCheckpoint (a checkpoint note signed by the log) to
// all witnesses and returns it with the cosignatures that verified. Not
// reaching the quorum is not an error: see Cosigned.QuorumMet and the
// statuses. Gather returns an error only for a malformed checkpoint or a
// cancelled ctx.
func (g *Gatherer) Gather(ctx context.Context, signedCheckpoint []byte) (*Cosigned, error) {
	cp, existing, err := verify.ParseNote(signedCheckpoint)
	if err != nil {
		return nil, err
	}
	text := []byte(cp.String())

	statuses := make([]WitnessStatus, len(g.cfg.Witnesses))
	sigs := make([][]note.Signature, len(g.cfg.Witnesses))
	var wg sync.WaitGroup
	for i, w := range g.cfg.Witnesses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i], sigs[i] = g.one(ctx, w, cp, text, signedCheckpoint)
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	have := make(map[string]bool)
	for _, s := range existing {
		have[fmt.Sprintf("%s+%08x", s.Name, s.Hash)] = true
	}
	out := bytes.Clone(signedCheckpoint)
	res := &Cosigned{Statuses: statuses}
	for i, w := range g.cfg.Witnesses {
		if statuses[i].Status != StatusOK {
			continue
		}
		res.Cosigners = append(res.Cosigners, w.Name)
		for _, s := range sigs[i] {
			if k := fmt.Sprintf("%s+%08x", s.Name, s.Hash); !have[k] {
				have[k] = true
				out = append(out, formatSig(s)...)
			}
		}
	}
	res.Checkpoint = out
	if g.cfg.Quorum != nil {
		res.QuorumMet = g.cfg.Quorum.Satisfied(res.Cosigners)
	} else {
		res.QuorumMet = len(res.Cosigners) == len(g.cfg.Witnesses)
	}

	g.mu.Lock()
	for _, st := range statuses {
		g.last[st.Name] = st
	}
	g.mu.Unlock()
	return res, nil
}

// one runs the conversation with one witness for one checkpoint.
func (g *Gatherer) one(ctx context.Context, w Witness, cp *verify.Checkpoint, text, signed []byte) (WitnessStatus, []note.Signature) {
	start := g.cfg.Now()
	ctx, cancel := context.WithTimeout(ctx, g.cfg.Timeout)
	defer cancel()
	st := WitnessStatus{Name: w.Name, URL: w.URL, At: start}
	finish := func(s Status, err error) (WitnessStatus, []note.Signature) {
		st.Status = s
		if err != nil {
			st.Error = err.Error()
		}
		st.Latency = g.cfg.Now().Sub(start)
		return st, nil
	}

	g.mu.Lock()
	old := g.known[w.Name]
	g.mu.Unlock()
	setKnown := func(n int64) {
		st.Size = n
		g.mu.Lock()
		g.known[w.Name] = n
		g.mu.Unlock()
	}
	st.Size = old
	for attempt := 0; attempt < g.cfg.Attempts; attempt++ {
		if old > cp.Size {
			return finish(StatusRefused, fmt.Errorf("el testigo ya cosignó el tamaño %d, mayor que %d / the witness already cosigned size %d, larger than %d", old, cp.Size, old, cp.Size))
		}
		var proof tlog.TreeProof
		if old > 0 && old < cp.Size {
			p, err := g.cfg.Proofs.ConsistencyProof(ctx, old, cp.Size)
			if err != nil {
				return finish(StatusError, fmt.Errorf("prueba de consistencia %d→%d / consistency proof %d→%d: %w", old, cp.Size, old, cp.Size, err))
			}
			proof = p
		}
		got, err := g.cfg.Client.AddCheckpoint(ctx, w.URL, old, proof, signed)
		var conflict *ConflictError
		var status *HTTPError
		switch {
		case err == nil:
			verified, err := verifyCosignatures(text, got, w.Verifier, g.cfg.Now())
			if err != nil {
				return finish(StatusError, err)
			}
			setKnown(cp.Size)
			st.Status = StatusOK
			st.Latency = g.cfg.Now().Sub(start)
			return st, verified
		case errors.As(err, &conflict):
			setKnown(conflict.KnownSize)
			if conflict.KnownSize == old {
				// Our old size was right, so the conflict is about the root:
				// the witness cosigned another tree of this size.
				return finish(StatusRefused, fmt.Errorf("el testigo cosignó otra raíz para el tamaño %d: bifurcación / the witness cosigned another root for size %d: a fork", old, old))
			}
			old = conflict.KnownSize
			st.CaughtUp = true
		case errors.As(err, &status):
			if status.StatusCode >= 500 {
				return finish(StatusDown, err)
			}
			return finish(StatusRefused, err)
		default:
			// Connection refused, reset, timeout, unreadable answer: for
			// the log's purposes the witness is down.
			return finish(StatusDown, err)
		}
	}
	return finish(StatusStale, fmt.Errorf("el testigo sigue atrás en el tamaño %d / the witness is still behind at size %d", old, old))
}

// maxClockSkew is how far in the future a cosignature's timestamp may be.
const maxClockSkew = 10 * time.Minute

// verifyCosignatures keeps the signatures in got that are valid
// cosignatures of text by v. A signature line that claims v's key but does
// not verify is a forgery, and an error; lines of other keys are ignored.
// No valid cosignature at all is an error.
func verifyCosignatures(text []byte, got []note.Signature, v note.Verifier, now time.Time) ([]note.Signature, error) {
	var msg bytes.Buffer
	msg.Write(text)
	msg.WriteByte('\n')
	for _, s := range got {
		msg.WriteString(formatSig(s))
	}
	n, err := note.Open(msg.Bytes(), note.VerifierList(v))
	if err != nil {
		var invalid *note.InvalidSignatureError
		if errors.As(err, &invalid) {
			return nil, fmt.Errorf("cosignatura falsificada de %q / forged cosignature from %q", invalid.Name, invalid.Name)
		}
		return nil, fmt.Errorf("ninguna cosignatura válida de %q / no valid cosignature from %q: %w", v.Name(), v.Name(), err)
	}
	for _, s := range n.Sigs {
		t, err := CosignatureTime(s)
		if err != nil {
			return nil, err
		}
		if t.After(now.Add(maxClockSkew)) {
			return nil, fmt.Errorf("cosignatura de %q fechada en el futuro (%s) / cosignature from %q dated in the future (%s)", s.Name, t, s.Name, t)
		}
	}
	return n.Sigs, nil
}
