package app

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/custodia-ec/custodia/analysis"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/ledger"
)

// Investigation analysis (issue 16) for the doors: the questions a
// prosecutor asks of a case's network (neighbours, paths, brokers,
// communities, timelines, search), the message behind each link, and the
// analysts' merge and split decisions with their review queue.
//
// Every question is a read of the case: need to know applies (a
// non-member gets not_found), the role must be one that reads analyses
// (ActReadAnalysis), and the read is recorded (access.read of kind
// "analysis") before the answer is sent. Every question runs within a
// time budget (Config.AnalysisTimeout) and at most
// Config.AnalysisConcurrency at once; one more is answered busy at once.
// Inputs are bounded (the Max constants below). Decisions are events of
// the log (domain.OpAnalysisMerge, OpAnalysisSplit, OpAnalysisRevert),
// recorded as the account that decided.

// AnalysisStore is the analysis's derived data (storage/analysisdb
// implements it). Records reads a case's records in import order, as many
// times as asked; Version changes whenever a case's stored records do;
// Record returns the record at a source, or an error wrapping
// analysis.ErrNoRecord; Search finds messages by their words.
type AnalysisStore interface {
	Records(ctx context.Context, caseID string) analysis.Records
	Version(ctx context.Context, caseID string) (string, error)
	Record(ctx context.Context, caseID, item, sha256 string, line int, offset int64) (*analysis.Record, error)
	Search(ctx context.Context, caseID, query string, limit int) ([]analysis.Hit, error)
}

// Actions of the investigation analysis. Reading it is need-to-know
// beyond membership: the people who investigate, prosecute, judge or
// audit read it; field agents, custodians and clerks, who handle evidence
// but do not investigate its contents, do not (forbidden); the defence
// does not see the case (not found). Those who investigate decide merges
// and splits.
const (
	ActReadAnalysis   = "read_analysis"
	ActDecideAnalysis = "analysis.decide"
)

// Limits of the analysis questions' inputs.
const (
	MaxAnalysisRef      = 200  // bytes of an entity reference or identifier key
	MaxNeighbourDepth   = 3    // hops from the entity
	MaxNeighbours       = 300  // entities listed around one
	MaxBrokers          = 100  // the top brokers asked for
	MaxSamples          = 5000 // sources of a sampled betweenness
	MaxTimelineEntities = 20
	MaxTimelineLinks    = 2000
	MaxSearchQuery      = 500 // bytes
	MaxSearchHits       = 200
	MaxReview           = 500

	// ExactBrokersUpTo is the largest graph whose betweenness is exact by
	// default; above it, a seeded sample of DefaultSamples sources.
	ExactBrokersUpTo = 5000
	DefaultSamples   = 1000

	DefaultAnalysisTimeout     = 20 * time.Second
	DefaultAnalysisConcurrency = 2
)

// readAnalysis checks a read of case c's analysis.
func (s *Service) readAnalysis(p *Principal, c string) error {
	if s.cfg.Analysis == nil {
		return s.View(func(st *domain.State) error {
			if err := s.Policy.Case(st, p, c); err != nil {
				return err
			}
			return custody.Errorf(custody.ENotFound, "", "este servidor no tiene base de análisis", "this server has no analysis database")
		})
	}
	return s.View(func(st *domain.State) error { return s.Policy.Act(st, p, c, ActReadAnalysis, false) })
}

// budget gives a question its slot and its deadline; release when done.
func (s *Service) budget(ctx context.Context) (context.Context, func(), error) {
	select {
	case s.analysisSlots <- struct{}{}:
	default:
		return nil, nil, custody.Errorf(custody.EBusy, "", "el servidor está respondiendo otras consultas de análisis; intente de nuevo en un momento",
			"the server is answering other analysis questions; try again in a moment")
	}
	c, cancel := context.WithTimeout(ctx, s.cfg.AnalysisTimeout)
	return c, func() { cancel(); <-s.analysisSlots }, nil
}

// overBudget turns a question cut by its deadline into an answer that
// says so.
func (s *Service) overBudget(ctx context.Context, err error) error {
	if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return custody.Errorf(custody.EBusy, "", "la consulta superó su tiempo (%s): acótela (menos saltos, menos orígenes) o intente más tarde",
			"the question ran out of time (%s): narrow it (fewer hops, fewer sources) or try later", s.cfg.AnalysisTimeout)
	}
	return err
}

// CaseParties are the persons and organizations of a case that entities
// are tied to by name. Reserved identities are left out: an entity of the
// analysis never reveals that a chat's "Juan" is a protected witness.
func CaseParties(st *domain.State, c string) []analysis.CaseParty {
	var out []analysis.CaseParty
	for _, pe := range st.Persons {
		if pe.Case == c && !pe.IsReserved() {
			out = append(out, analysis.CaseParty{ID: pe.ID, Name: pe.Name})
		}
	}
	for _, o := range st.Organizations {
		if o.Case == c {
			out = append(out, analysis.CaseParty{ID: o.ID, Name: o.Name, Org: true})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// CaseDecisions are a case's merge and split decisions in force, as the
// log records them, for analysis.Build.
func CaseDecisions(st *domain.State, c string) []analysis.Decision {
	var out []analysis.Decision
	for _, d := range st.AnalysisDecisions(c) {
		out = append(out, analysis.Decision{ID: d.Seq, Kind: d.Kind, A: d.A, B: d.B, By: d.By, Note: d.Note})
	}
	return out
}

// graphCache keeps the graphs of the cases last asked about, each for the
// version of the log and of the store it was built from.
type graphCache struct {
	mu sync.Mutex
	m  map[string]*cachedGraph
}

type cachedGraph struct {
	key   string
	ready chan struct{}
	g     *analysis.Graph
	err   error
	used  time.Time
	mu    sync.Mutex
	bc    map[analysis.BetweennessOptions][]float64
}

// maxCachedGraphs bounds the cache: a graph of a million links is tens of
// megabytes.
const maxCachedGraphs = 4

// caseGraph returns case c's graph as the log and the store have it now,
// building it once for concurrent callers.
func (s *Service) caseGraph(ctx context.Context, c string) (*cachedGraph, error) {
	var parties []analysis.CaseParty
	var decisions []analysis.Decision
	var version int64
	s.View(func(st *domain.State) error {
		parties, decisions = CaseParties(st, c), CaseDecisions(st, c)
		if ac := st.AnalysisOf(c); ac != nil {
			version = ac.Version
		}
		return nil
	})
	sv, err := s.cfg.Analysis.Version(ctx, c)
	if err != nil {
		return nil, err
	}
	key := fmt.Sprintf("%d/%s/%d", version, sv, len(parties))
	gc := &s.graphs
	gc.mu.Lock()
	if gc.m == nil {
		gc.m = map[string]*cachedGraph{}
	}
	cg := gc.m[c]
	if cg == nil || cg.key != key || cg.err != nil && isReady(cg) {
		cg = &cachedGraph{key: key, ready: make(chan struct{}), bc: map[analysis.BetweennessOptions][]float64{}}
		gc.m[c] = cg
		if len(gc.m) > maxCachedGraphs {
			oldest := ""
			for k, v := range gc.m {
				if k != c && (oldest == "" || v.used.Before(gc.m[oldest].used)) {
					oldest = k
				}
			}
			delete(gc.m, oldest)
		}
		go func() {
			// Built once for everyone waiting, so not cut by one caller's
			// deadline; a graph nobody waits for any longer is still kept.
			cg.g, cg.err = analysis.Build(s.cfg.Analysis.Records(context.Background(), c), decisions, parties)
			close(cg.ready)
		}()
	}
	cg.used = time.Now()
	gc.mu.Unlock()
	select {
	case <-cg.ready:
		return cg, cg.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func isReady(cg *cachedGraph) bool {
	select {
	case <-cg.ready:
		return true
	default:
		return false
	}
}

// analysisRead runs a question on case c's graph for p: the checks, the
// budget, the graph, the audited read, then fn.
func (s *Service) analysisRead(ctx context.Context, p *Principal, c string, fn func(ctx context.Context, cg *cachedGraph) error) error {
	if err := s.readAnalysis(p, c); err != nil {
		return err
	}
	qctx, release, err := s.budget(ctx)
	if err != nil {
		return err
	}
	defer release()
	cg, err := s.caseGraph(qctx, c)
	if err != nil {
		return s.overBudget(qctx, err)
	}
	if err := s.AuditedRead(ctx, p, domain.AccessRead{Case: c, Kind: "analysis", ID: c}); err != nil {
		return err
	}
	return s.overBudget(qctx, fn(qctx, cg))
}

// AnalysisEntity is an entity as the doors show it.
type AnalysisEntity struct {
	Entity string   `json:"entity"`
	Name   string   `json:"name"`
	Phones []string `json:"phones"`
	Schema string   `json:"schema"`
	// Person is the case's person or organization the entity is, when
	// its name matched one.
	Person string `json:"person,omitempty"`
	Degree int    `json:"degree"`
}

// AnalysisLink is one message, call, payment or membership, with the
// evidence it came from.
type AnalysisLink struct {
	ID       string          `json:"id"`
	Kind     string          `json:"kind"`
	At       string          `json:"at,omitempty"`
	From     string          `json:"from"`
	To       string          `json:"to"`
	Source   analysis.Source `json:"source"`
	Amount   string          `json:"amount,omitempty"`
	Currency string          `json:"currency,omitempty"`
	Seconds  int64           `json:"duration_seconds,omitempty"`
	Media    string          `json:"media,omitempty"`
}

// EntityView is node v of g as the doors show it.
func EntityView(g *analysis.Graph, v int32) AnalysisEntity {
	e := g.Entities[v]
	phones := e.Phones
	if phones == nil {
		phones = []string{}
	}
	return AnalysisEntity{Entity: e.ID, Name: e.Name, Phones: phones, Schema: e.Schema, Person: e.Case, Degree: g.Degree(v)}
}

// LinkView is link li of g, its time in loc.
func LinkView(g *analysis.Graph, li int32, loc *time.Location) AnalysisLink {
	l := &g.Links[li]
	v := AnalysisLink{ID: g.LinkID(li), Kind: l.Schema(), From: g.Entities[l.From].ID, To: g.Entities[l.To].ID, Source: g.Source(l)}
	if l.At != 0 {
		v.At = l.Time().In(loc).Format(time.RFC3339)
	}
	if x := g.Extra(l); x != nil {
		v.Amount, v.Currency, v.Seconds, v.Media = x.Amount, x.Currency, int64(x.Duration/time.Second), x.Media
	}
	return v
}

// findEntity resolves a reference as the doors take it (an entity id, a
// phone number as written, a case person's id, an identifier key, a
// name), with the field named in the error.
func findEntity(g *analysis.Graph, field, ref string) (int32, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return -1, Invalid(field, "indique una entidad: su id, un teléfono, una persona del caso o un nombre", "name an entity: its id, a phone number, a case person or a name")
	}
	if len(ref) > MaxAnalysisRef {
		return -1, Invalid(field, fmt.Sprintf("hasta %d bytes", MaxAnalysisRef), fmt.Sprintf("up to %d bytes", MaxAnalysisRef))
	}
	v, err := g.Find(ref)
	if err != nil {
		es, en, _ := strings.Cut(err.Error(), " / ")
		return -1, &custody.Error{Code: custody.ENotFound, Field: field, Message: es, MessageEN: en}
	}
	return v, nil
}

// AnalysisSummary is the overview of a case's analysis.
type AnalysisSummary struct {
	Case      string           `json:"case"`
	Entities  int              `json:"entities"`
	Links     int              `json:"links"`
	Files     []analysis.File  `json:"files"`
	Decisions int              `json:"decisions"`
	Review    int              `json:"review"`
	Busiest   []AnalysisEntity `json:"busiest"` // the entities with most neighbours
}

// AnalysisSummaryOf is the overview of case c's analysis for p.
func (s *Service) AnalysisSummaryOf(ctx context.Context, p *Principal, c string) (*AnalysisSummary, error) {
	var out *AnalysisSummary
	err := s.analysisRead(ctx, p, c, func(ctx context.Context, cg *cachedGraph) error {
		g := cg.g
		out = &AnalysisSummary{Case: c, Entities: len(g.Entities), Links: len(g.Links), Files: append([]analysis.File{}, g.Files...), Review: len(g.Review), Busiest: []AnalysisEntity{}}
		s.View(func(st *domain.State) error { out.Decisions = len(st.AnalysisDecisions(c)); return nil })
		idx := make([]int32, 0, len(g.Entities))
		for i := range g.Entities {
			if g.Entities[i].Chat == "" {
				idx = append(idx, int32(i))
			}
		}
		sort.SliceStable(idx, func(a, b int) bool { return g.Degree(idx[a]) > g.Degree(idx[b]) })
		for _, v := range idx[:min(10, len(idx))] {
			out.Busiest = append(out.Busiest, EntityView(g, v))
		}
		return nil
	})
	return out, err
}

// Neighbourhood is an entity and those around it, with the links between
// them (the first linksPerPair of each pair, by time) and how many each
// pair has.
type Neighbourhood struct {
	Center   AnalysisEntity   `json:"center"`
	Entities []AnalysisEntity `json:"entities"`
	Pairs    []AnalysisPair   `json:"pairs"`
	// Hubs are entities listed but not expanded: more neighbours than
	// the cap.
	Hubs []string `json:"hubs"`
}

// AnalysisPair is two entities with the links between them.
type AnalysisPair struct {
	A     string         `json:"a"`
	B     string         `json:"b"`
	Count int            `json:"count"`
	Links []AnalysisLink `json:"links"`
}

const linksPerPair = 5

// NeighbourQuery is a neighbourhood question.
type NeighbourQuery struct {
	Entity string
	Depth  int // hops, 1 to MaxNeighbourDepth (0: 1)
	Limit  int // entities listed, up to MaxNeighbours (0: 50)
	// HubDegree: an entity with more neighbours is not expanded (0: 50).
	HubDegree int
}

// Neighbours answers a neighbourhood question on case c for p.
func (s *Service) Neighbours(ctx context.Context, p *Principal, c string, q NeighbourQuery) (*Neighbourhood, error) {
	if q.Depth == 0 {
		q.Depth = 1
	}
	if q.Limit == 0 {
		q.Limit = 50
	}
	if q.HubDegree == 0 {
		q.HubDegree = 50
	}
	switch {
	case q.Depth < 1 || q.Depth > MaxNeighbourDepth:
		return nil, Invalid("depth", fmt.Sprintf("de 1 a %d saltos", MaxNeighbourDepth), fmt.Sprintf("1 to %d hops", MaxNeighbourDepth))
	case q.Limit < 1 || q.Limit > MaxNeighbours:
		return nil, Invalid("limit", fmt.Sprintf("de 1 a %d entidades", MaxNeighbours), fmt.Sprintf("1 to %d entities", MaxNeighbours))
	case q.HubDegree < 1:
		return nil, Invalid("hub", "al menos 1", "at least 1")
	}
	var out *Neighbourhood
	err := s.analysisRead(ctx, p, c, func(ctx context.Context, cg *cachedGraph) error {
		g := cg.g
		v, err := findEntity(g, "entity", q.Entity)
		if err != nil {
			return err
		}
		out = NeighbourhoodOf(g, v, q.Depth, q.HubDegree, q.Limit, s.cfg.Zone)
		return nil
	})
	return out, err
}

// NeighbourhoodOf is node v's neighbourhood in g: at most limit entities
// within depth hops, hubs (above hubDegree neighbours) not expanded.
func NeighbourhoodOf(g *analysis.Graph, v int32, depth, hubDegree, limit int, loc *time.Location) *Neighbourhood {
	out := &Neighbourhood{Center: EntityView(g, v), Entities: []AnalysisEntity{}, Pairs: []AnalysisPair{}, Hubs: []string{}}
	nodes := []int32{v}
	for _, nb := range g.Neighborhood(v, depth, hubDegree, limit) {
		if len(nodes) > limit {
			break
		}
		nodes = append(nodes, nb.Node)
	}
	in := map[int32]bool{}
	for _, n := range nodes {
		in[n] = true
		out.Entities = append(out.Entities, EntityView(g, n))
		if n != v && g.Degree(n) > hubDegree {
			out.Hubs = append(out.Hubs, g.Entities[n].ID)
		}
	}
	out.Pairs = pairsAmong(g, nodes, in, loc)
	return out
}

// pairsAmong lists the pairs of nodes (both in in) that links join.
func pairsAmong(g *analysis.Graph, nodes []int32, in map[int32]bool, loc *time.Location) []AnalysisPair {
	type pk struct{ a, b int32 }
	pairs := map[pk]*AnalysisPair{}
	var order []pk
	for _, n := range nodes {
		for _, li := range g.LinksOf(n) {
			l := &g.Links[li]
			a, b := l.From, l.To
			if a == b || !in[a] || !in[b] || n != min(a, b) {
				continue
			}
			k := pk{min(a, b), max(a, b)}
			pr := pairs[k]
			if pr == nil {
				pr = &AnalysisPair{A: g.Entities[k.a].ID, B: g.Entities[k.b].ID, Links: []AnalysisLink{}}
				pairs[k] = pr
				order = append(order, k)
			}
			pr.Count++
			if len(pr.Links) < linksPerPair {
				pr.Links = append(pr.Links, LinkView(g, li, loc))
			}
		}
	}
	out := make([]AnalysisPair, 0, len(order))
	for _, k := range order {
		out = append(out, *pairs[k])
	}
	return out
}

// PathQuery is a path question: from and to as findEntity takes them;
// with After or MaxGap, the path respects time.
type PathQuery struct {
	From, To string
	After    time.Time
	MaxGap   time.Duration
}

// PathView is a path as issue 16 gives it: the entities in order and one
// link between each consecutive two.
type PathView struct {
	Path  []AnalysisEntity `json:"path"`
	Links []AnalysisLink   `json:"links"`
}

// PathOf is the path p of g.
func PathOf(g *analysis.Graph, p analysis.Path, loc *time.Location) *PathView {
	out := &PathView{Path: []AnalysisEntity{}, Links: []AnalysisLink{}}
	for _, v := range p.Nodes {
		out.Path = append(out.Path, EntityView(g, v))
	}
	for _, li := range p.Links {
		out.Links = append(out.Links, LinkView(g, li, loc))
	}
	return out
}

// AnalysisPath answers a path question on case c for p: not_found when
// no path exists under the conditions.
func (s *Service) AnalysisPath(ctx context.Context, p *Principal, c string, q PathQuery) (*PathView, error) {
	if q.MaxGap < 0 {
		return nil, Invalid("max_gap", "no puede ser negativo", "cannot be negative")
	}
	var out *PathView
	err := s.analysisRead(ctx, p, c, func(ctx context.Context, cg *cachedGraph) error {
		g := cg.g
		from, err := findEntity(g, "from", q.From)
		if err != nil {
			return err
		}
		to, err := findEntity(g, "to", q.To)
		if err != nil {
			return err
		}
		var path analysis.Path
		var ok bool
		if !q.After.IsZero() || q.MaxGap > 0 {
			path, ok = g.TemporalPath(from, to, q.After, q.MaxGap)
		} else {
			path, ok = g.ShortestPath(from, to)
		}
		if !ok {
			return custody.Errorf(custody.ENotFound, "to", "no hay camino entre %s y %s con esas condiciones", "there is no path between %s and %s under those conditions", g.Entities[from], g.Entities[to])
		}
		out = PathOf(g, path, s.cfg.Zone)
		return nil
	})
	return out, err
}

// BrokerView is an entity with its betweenness.
type BrokerView struct {
	AnalysisEntity
	Score float64 `json:"score"`
}

// BrokersView is the answer to a brokers question.
type BrokersView struct {
	Brokers []BrokerView `json:"brokers"`
	// Samples is how many sources the scores were summed from, 0 for
	// exact; Seed chose them.
	Samples int    `json:"samples"`
	Seed    uint64 `json:"seed"`
}

// BrokerQuery is a brokers question.
type BrokerQuery struct {
	Top     int // 1 to MaxBrokers (0: 10)
	Samples int // 0: exact up to ExactBrokersUpTo entities, else DefaultSamples
	Seed    uint64
}

// Brokers answers a brokers question on case c for p. Scores are kept
// with the graph, so asking again costs nothing.
func (s *Service) Brokers(ctx context.Context, p *Principal, c string, q BrokerQuery) (*BrokersView, error) {
	if q.Top == 0 {
		q.Top = 10
	}
	if q.Top < 1 || q.Top > MaxBrokers {
		return nil, Invalid("top", fmt.Sprintf("de 1 a %d", MaxBrokers), fmt.Sprintf("1 to %d", MaxBrokers))
	}
	if q.Samples < 0 || q.Samples > MaxSamples {
		return nil, Invalid("samples", fmt.Sprintf("de 0 (automático) a %d orígenes", MaxSamples), fmt.Sprintf("0 (automatic) to %d sources", MaxSamples))
	}
	var out *BrokersView
	err := s.analysisRead(ctx, p, c, func(ctx context.Context, cg *cachedGraph) error {
		scores, opts, err := cg.betweenness(ctx, q.Samples, q.Seed)
		if err != nil {
			return err
		}
		g := cg.g
		out = &BrokersView{Brokers: []BrokerView{}, Samples: opts.Samples, Seed: opts.Seed}
		for _, r := range g.Brokers(scores, q.Top) {
			out.Brokers = append(out.Brokers, BrokerView{EntityView(g, r.Node), r.Score})
		}
		return nil
	})
	return out, err
}

// BrokersOf are the top brokers of g for the doors that hold a graph
// themselves (the CLI), with the same defaults as Brokers.
func BrokersOf(ctx context.Context, g *analysis.Graph, samples int, seed uint64) ([]float64, analysis.BetweennessOptions, error) {
	opts := analysis.BetweennessOptions{Samples: samples, Seed: seed}
	if opts.Samples == 0 && len(g.Entities) > ExactBrokersUpTo {
		opts.Samples = DefaultSamples
	}
	if opts.Samples >= len(g.Entities) {
		opts.Samples = 0
	}
	scores, err := g.BetweennessContext(ctx, opts)
	return scores, opts, err
}

func (cg *cachedGraph) betweenness(ctx context.Context, samples int, seed uint64) ([]float64, analysis.BetweennessOptions, error) {
	key := analysis.BetweennessOptions{Samples: samples, Seed: seed}
	cg.mu.Lock()
	if sc, ok := cg.bc[key]; ok {
		cg.mu.Unlock()
		opts := key
		if opts.Samples == 0 && len(cg.g.Entities) > ExactBrokersUpTo {
			opts.Samples = DefaultSamples
		}
		return sc, opts, nil
	}
	cg.mu.Unlock()
	scores, opts, err := BrokersOf(ctx, cg.g, samples, seed)
	if err != nil {
		return nil, opts, err
	}
	cg.mu.Lock()
	cg.bc[key] = scores
	cg.mu.Unlock()
	return scores, opts, nil
}

// CommunitiesView is a partition of the entities.
type CommunitiesView struct {
	Modularity  float64          `json:"modularity"`
	Seed        uint64           `json:"seed"`
	Communities []CommunityGroup `json:"communities"`
}

// CommunityGroup is one community, its members by neighbours.
type CommunityGroup struct {
	ID      int              `json:"id"`
	Size    int              `json:"size"`
	Members []AnalysisEntity `json:"members"` // the first 20
}

// Communities answers a communities question on case c for p.
func (s *Service) Communities(ctx context.Context, p *Principal, c string, seed uint64) (*CommunitiesView, error) {
	var out *CommunitiesView
	err := s.analysisRead(ctx, p, c, func(ctx context.Context, cg *cachedGraph) error {
		g := cg.g
		comm, q := g.Communities(seed)
		groups := map[int][]int32{}
		for v, k := range comm {
			if g.Entities[v].Chat == "" {
				groups[k] = append(groups[k], int32(v))
			}
		}
		out = &CommunitiesView{Modularity: q, Seed: seed, Communities: []CommunityGroup{}}
		for k, vs := range groups {
			sort.SliceStable(vs, func(a, b int) bool { return g.Degree(vs[a]) > g.Degree(vs[b]) })
			grp := CommunityGroup{ID: k, Size: len(vs), Members: []AnalysisEntity{}}
			for _, v := range vs[:min(20, len(vs))] {
				grp.Members = append(grp.Members, EntityView(g, v))
			}
			out.Communities = append(out.Communities, grp)
		}
		sort.Slice(out.Communities, func(a, b int) bool {
			x, y := out.Communities[a], out.Communities[b]
			return x.Size > y.Size || x.Size == y.Size && x.ID < y.ID
		})
		return nil
	})
	return out, err
}

// TimelineQuery is a timeline question: the links among the entities
// (two to MaxTimelineEntities), between two times (zero for no bound).
type TimelineQuery struct {
	Entities    []string
	From, Until time.Time
	Limit       int // up to MaxTimelineLinks (0: 500)
}

// TimelineView is the links among chosen entities, by time.
type TimelineView struct {
	Entities []AnalysisEntity `json:"entities"`
	Links    []AnalysisLink   `json:"links"`
	Total    int              `json:"total"` // before the limit
}

// Timeline answers a timeline question on case c for p.
func (s *Service) Timeline(ctx context.Context, p *Principal, c string, q TimelineQuery) (*TimelineView, error) {
	if q.Limit == 0 {
		q.Limit = 500
	}
	switch {
	case len(q.Entities) < 2 || len(q.Entities) > MaxTimelineEntities:
		return nil, Invalid("entity", fmt.Sprintf("indique de 2 a %d entidades", MaxTimelineEntities), fmt.Sprintf("name 2 to %d entities", MaxTimelineEntities))
	case q.Limit < 1 || q.Limit > MaxTimelineLinks:
		return nil, Invalid("limit", fmt.Sprintf("de 1 a %d vínculos", MaxTimelineLinks), fmt.Sprintf("1 to %d links", MaxTimelineLinks))
	case !q.From.IsZero() && !q.Until.IsZero() && q.Until.Before(q.From):
		return nil, Invalid("until", "es anterior a from", "is before from")
	}
	var out *TimelineView
	err := s.analysisRead(ctx, p, c, func(ctx context.Context, cg *cachedGraph) error {
		g := cg.g
		var nodes []int32
		out = &TimelineView{Entities: []AnalysisEntity{}, Links: []AnalysisLink{}}
		for _, ref := range q.Entities {
			v, err := findEntity(g, "entity", ref)
			if err != nil {
				return err
			}
			nodes = append(nodes, v)
			out.Entities = append(out.Entities, EntityView(g, v))
		}
		links := g.Timeline(nodes, q.From, q.Until)
		out.Total = len(links)
		for _, li := range links[:min(q.Limit, len(links))] {
			out.Links = append(out.Links, LinkView(g, li, s.cfg.Zone))
		}
		return nil
	})
	return out, err
}

// SearchHit is a message found by a search.
type SearchHit struct {
	At      string          `json:"at,omitempty"`
	Kind    string          `json:"kind"`
	From    analysis.Party  `json:"from"`
	Chat    string          `json:"chat,omitempty"`
	Text    string          `json:"text"`
	Snippet string          `json:"snippet"`
	Source  analysis.Source `json:"source"`
}

// HitView is a search hit, its time in loc.
func HitView(h analysis.Hit, loc *time.Location) SearchHit {
	r := h.Record
	x := SearchHit{Kind: r.Kind, From: r.From, Chat: r.ChatTitle, Text: r.Text, Snippet: h.Snippet, Source: r.Source}
	if !r.At.IsZero() {
		x.At = r.At.In(loc).Format(time.RFC3339)
	}
	return x
}

// AnalysisSearch finds case c's messages with every word of query, for p.
func (s *Service) AnalysisSearch(ctx context.Context, p *Principal, c, query string, limit int) ([]SearchHit, error) {
	if limit == 0 {
		limit = 50
	}
	switch {
	case strings.TrimSpace(query) == "":
		return nil, Invalid("q", "escriba al menos una palabra", "type at least one word")
	case len(query) > MaxSearchQuery:
		return nil, Invalid("q", fmt.Sprintf("hasta %d bytes", MaxSearchQuery), fmt.Sprintf("up to %d bytes", MaxSearchQuery))
	case limit < 1 || limit > MaxSearchHits:
		return nil, Invalid("limit", fmt.Sprintf("de 1 a %d resultados", MaxSearchHits), fmt.Sprintf("1 to %d hits", MaxSearchHits))
	}
	if err := s.readAnalysis(p, c); err != nil {
		return nil, err
	}
	qctx, release, err := s.budget(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	if err := s.AuditedRead(ctx, p, domain.AccessRead{Case: c, Kind: "analysis", ID: c}); err != nil {
		return nil, err
	}
	hits, err := s.cfg.Analysis.Search(qctx, c, query, limit)
	if err != nil {
		return nil, s.overBudget(qctx, err)
	}
	out := make([]SearchHit, 0, len(hits))
	for _, h := range hits {
		out = append(out, HitView(h, s.cfg.Zone))
	}
	return out, nil
}

// MessageView is the record a link came from.
type MessageView struct {
	Kind      string           `json:"kind"`
	Platform  string           `json:"platform"`
	At        string           `json:"at,omitempty"`
	From      analysis.Party   `json:"from"`
	To        []analysis.Party `json:"to,omitempty"`
	Chat      string           `json:"chat,omitempty"`
	Text      string           `json:"text,omitempty"`
	Media     string           `json:"media,omitempty"`
	Seconds   int64            `json:"duration_seconds,omitempty"`
	Direction string           `json:"direction,omitempty"`
	Amount    string           `json:"amount,omitempty"`
	Currency  string           `json:"currency,omitempty"`
	Reference string           `json:"reference,omitempty"`
	Source    analysis.Source  `json:"source"`
}

// AnalysisMessage returns the message, call or payment of case c read
// from src (an item's file at a line or byte offset), for p.
func (s *Service) AnalysisMessage(ctx context.Context, p *Principal, c string, src analysis.Source) (*MessageView, error) {
	switch {
	case src.Item == "" || len(src.Item) > 64:
		return nil, Invalid("item", "indique la evidencia", "name the item")
	case !validSHA(src.SHA256):
		return nil, Invalid("sha256", "se esperan 64 dígitos hexadecimales en minúscula", "64 lowercase hexadecimal digits expected")
	case src.Line < 0 || src.Offset < 0 || src.Line == 0 && src.Offset == 0:
		return nil, Invalid("line", "indique la línea (o el byte, en un JSON) del registro", "give the record's line (or byte, in a JSON file)")
	}
	if err := s.readAnalysis(p, c); err != nil {
		return nil, err
	}
	qctx, release, err := s.budget(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	r, err := s.cfg.Analysis.Record(qctx, c, src.Item, src.SHA256, src.Line, src.Offset)
	if errors.Is(err, analysis.ErrNoRecord) {
		return nil, NotFound()
	}
	if err != nil {
		return nil, s.overBudget(qctx, err)
	}
	if err := s.AuditedRead(ctx, p, domain.AccessRead{Case: c, Kind: "analysis", ID: c}); err != nil {
		return nil, err
	}
	v := &MessageView{Kind: r.Kind, Platform: r.Platform, From: r.From, To: r.To, Chat: r.ChatTitle, Text: r.Text, Media: r.Media,
		Seconds: int64(r.Duration / time.Second), Direction: r.Direction, Amount: r.Amount, Currency: r.Currency, Reference: r.Reference, Source: r.Source}
	if !r.At.IsZero() {
		v.At = r.At.In(s.cfg.Zone).Format(time.RFC3339)
	}
	return v, nil
}

func validSHA(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// ReviewItem is an uncertain match for an analyst: two entities and the
// identifier keys a decision would name.
type ReviewItem struct {
	A        AnalysisEntity `json:"a"`
	B        AnalysisEntity `json:"b"`
	KeyA     string         `json:"key_a"`
	KeyB     string         `json:"key_b"`
	Score    float64        `json:"score"`
	Reason   string         `json:"reason"`
	ReasonEN string         `json:"reason_en"`
}

// Review lists case c's uncertain matches, most likely first, for p.
func (s *Service) Review(ctx context.Context, p *Principal, c string, limit int) ([]ReviewItem, error) {
	if limit == 0 {
		limit = 100
	}
	if limit < 1 || limit > MaxReview {
		return nil, Invalid("limit", fmt.Sprintf("de 1 a %d", MaxReview), fmt.Sprintf("1 to %d", MaxReview))
	}
	var out []ReviewItem
	err := s.analysisRead(ctx, p, c, func(ctx context.Context, cg *cachedGraph) error {
		out = ReviewOf(cg.g, limit)
		return nil
	})
	return out, err
}

// ReviewOf is g's review queue, at most limit.
func ReviewOf(g *analysis.Graph, limit int) []ReviewItem {
	out := []ReviewItem{}
	for _, rv := range g.Review {
		if len(out) == limit {
			break
		}
		a, b := g.Node(rv.A), g.Node(rv.B)
		if a < 0 || b < 0 {
			continue
		}
		out = append(out, ReviewItem{A: EntityView(g, a), B: EntityView(g, b), KeyA: rv.KeyA, KeyB: rv.KeyB, Score: rv.Score, Reason: rv.Reason, ReasonEN: rv.EN})
	}
	return out
}

// DecisionView is a decision in force.
type DecisionView struct {
	Decision int64  `json:"decision"` // its event's number
	Kind     string `json:"kind"`
	A        string `json:"a"`
	B        string `json:"b"`
	By       string `json:"by"`
	Note     string `json:"note,omitempty"`
}

// AnalysisDecisions lists case c's decisions in force, for p.
func (s *Service) AnalysisDecisions(ctx context.Context, p *Principal, c string) ([]DecisionView, error) {
	if err := s.readAnalysis(p, c); err != nil {
		return nil, err
	}
	out := []DecisionView{}
	s.View(func(st *domain.State) error {
		for _, d := range st.AnalysisDecisions(c) {
			out = append(out, DecisionView{Decision: d.Seq, Kind: d.Kind, A: d.A, B: d.B, By: d.By, Note: d.Note})
		}
		return nil
	})
	if err := s.AuditedRead(ctx, p, domain.AccessRead{Case: c, Kind: "analysis", ID: c}); err != nil {
		return nil, err
	}
	return out, nil
}

// DecisionKey turns what a door was given for one side of a decision
// into an identifier key: a key as it is (phone:+593..., name:...), a
// phone number as written, or an entity id (its first identifier other
// than a name). field names it in errors.
func DecisionKey(g *analysis.Graph, field, ref string) (string, error) {
	ref = strings.TrimSpace(ref)
	if len(ref) > MaxAnalysisRef {
		return "", Invalid(field, fmt.Sprintf("hasta %d bytes", MaxAnalysisRef), fmt.Sprintf("up to %d bytes", MaxAnalysisRef))
	}
	if kind, _, ok := strings.Cut(ref, ":"); ok && domain.AnalysisKeyKinds[kind] {
		if e := domain.ValidAnalysisKey(field, ref); e != nil {
			return "", e
		}
		return ref, nil
	}
	if v := g.Node(ref); v >= 0 {
		e := g.Entities[v]
		for _, k := range e.Keys {
			if !strings.HasPrefix(k, analysis.IDName+":") {
				return k, nil
			}
		}
		return e.Keys[0], nil
	}
	if n, err := analysis.NormalizePhone(ref); err == nil {
		return analysis.IDPhone + ":" + n, nil
	}
	return "", Invalid(field, fmt.Sprintf("%q no es una clave (tipo:valor), un teléfono ni el id de una entidad", ref), fmt.Sprintf("%q is not a key (kind:value), a phone number or an entity id", ref))
}

// Decide records a merge or split (kind) of case c by p, naming two sides
// as DecisionKey takes them. A merge of keys already one entity is
// refused (nothing would change); a key the case's analysis does not hold
// is refused too.
func (s *Service) Decide(ctx context.Context, p *Principal, c, kind, a, b, note string) (*RecordResult, error) {
	if kind != "merge" && kind != "split" {
		return nil, Invalid("kind", "merge o split", "merge or split")
	}
	if err := s.View(func(st *domain.State) error { return s.Policy.Act(st, p, c, ActDecideAnalysis, true) }); err != nil {
		return nil, err
	}
	if s.cfg.Analysis == nil {
		return nil, custody.Errorf(custody.ENotFound, "", "este servidor no tiene base de análisis", "this server has no analysis database")
	}
	qctx, release, err := s.budget(ctx)
	if err != nil {
		return nil, err
	}
	cg, err := s.caseGraph(qctx, c)
	release()
	if err != nil {
		return nil, s.overBudget(qctx, err)
	}
	ka, kb, err := CheckDecision(cg.g, kind, a, b)
	if err != nil {
		return nil, err
	}
	dec := domain.AnalysisDecision{Case: c, A: ka, B: kb, By: p.Account, Note: strings.TrimSpace(note)}
	var rec any
	op := domain.OpAnalysisMerge
	if kind == "merge" {
		m := domain.AnalysisMerge(dec)
		rec = &m
	} else {
		sp := domain.AnalysisSplit(dec)
		rec, op = &sp, domain.OpAnalysisSplit
	}
	return s.writeAnalysis(ctx, p, c, op, rec)
}

// CheckDecision turns the two sides of a merge or split into identifier
// keys (DecisionKey) and checks them against g: each names an entity of
// it, and a merge joins two.
func CheckDecision(g *analysis.Graph, kind, a, b string) (ka, kb string, err error) {
	if ka, err = DecisionKey(g, "a", a); err != nil {
		return "", "", err
	}
	if kb, err = DecisionKey(g, "b", b); err != nil {
		return "", "", err
	}
	ea, eb := entityOfKey(g, ka), entityOfKey(g, kb)
	switch {
	case ea == nil:
		return "", "", custody.Errorf(custody.ENotFound, "a", "ninguna entidad del análisis del caso tiene %s", "no entity of the case's analysis has %s", ka)
	case eb == nil:
		return "", "", custody.Errorf(custody.ENotFound, "b", "ninguna entidad del análisis del caso tiene %s", "no entity of the case's analysis has %s", kb)
	case kind == "merge" && ea == eb:
		return "", "", custody.Errorf(custody.EConflict, "b", "%s y %s ya son la misma entidad (%s)", "%s and %s are already one entity (%s)", ka, kb, ea.ID)
	}
	return ka, kb, nil
}

func entityOfKey(g *analysis.Graph, key string) *analysis.Entity {
	for _, e := range g.Entities {
		for _, k := range e.Keys {
			if k == key {
				return e
			}
		}
	}
	return nil
}

// RevertDecision records that decision (an event number) of case c no
// longer holds, by p.
func (s *Service) RevertDecision(ctx context.Context, p *Principal, c string, decision int64, note string) (*RecordResult, error) {
	if err := ReadOnly(p); err != nil {
		return nil, err
	}
	if s.cfg.Analysis == nil {
		return nil, custody.Errorf(custody.ENotFound, "", "este servidor no tiene base de análisis", "this server has no analysis database")
	}
	return s.writeAnalysis(ctx, p, c, domain.OpAnalysisRevert, &domain.AnalysisRevert{Case: c, Decision: decision, By: p.Account, Note: strings.TrimSpace(note)})
}

// writeAnalysis appends a decision or revert as p, the policy checked
// again in the committer against the state it is applied to.
func (s *Service) writeAnalysis(ctx context.Context, p *Principal, c, op string, rec any) (*RecordResult, error) {
	if e := domain.ValidateSystem(rec); e != nil {
		return nil, e
	}
	check := func(st *domain.State) error { return s.Policy.Act(st, p, c, ActDecideAnalysis, true) }
	ev, err := s.appendThen(ctx, p, check, nil, ledger.Record{Op: op, Rec: rec})
	if err != nil {
		return nil, err
	}
	return &RecordResult{Seq: ev.Seq, Op: ev.Op, RecordedAt: ev.Recorded.At}, nil
}

// AnalysisPageQuery is what the web's analysis page asks at once.
type AnalysisPageQuery struct {
	Entity   string // the entity whose neighbours are shown; "" for the top broker
	From, To string // a path, when both are given
	After    time.Time
	MaxGap   time.Duration
}

// AnalysisPage is the web's analysis page: an overview, an entity's
// neighbours, the path asked for, the top brokers and a timeline, in one
// audited read. A reference that names no entity, or a path that does
// not exist, is reported in its part (CenterErr, PathErr) with the rest
// of the page answered.
type AnalysisPage struct {
	Entities, Links, Review, Decisions int
	Center                             *Neighbourhood
	CenterErr                          *custody.Error
	Path                               *PathView
	PathErr                            *custody.Error
	Brokers                            []BrokerView
	Samples                            int
	Timeline                           *TimelineView
	// Queue is the top of the review queue, Decided the decisions in
	// force.
	Queue   []ReviewItem
	Decided []DecisionView
}

// pageBrokers and pageTimeline bound the page's lists.
const (
	pageBrokers   = 10
	pageNeighbour = 40
	pageTimeline  = 25
	pageReview    = 10
)

// AnalysisPageOf answers the analysis page of case c for p.
func (s *Service) AnalysisPageOf(ctx context.Context, p *Principal, c string, q AnalysisPageQuery) (*AnalysisPage, error) {
	if q.MaxGap < 0 {
		return nil, Invalid("max_gap", "no puede ser negativo", "cannot be negative")
	}
	var out *AnalysisPage
	err := s.analysisRead(ctx, p, c, func(ctx context.Context, cg *cachedGraph) error {
		g := cg.g
		out = &AnalysisPage{Entities: len(g.Entities), Links: len(g.Links), Review: len(g.Review), Brokers: []BrokerView{}}
		out.Queue, out.Decided = ReviewOf(g, pageReview), []DecisionView{}
		s.View(func(st *domain.State) error {
			for _, d := range st.AnalysisDecisions(c) {
				out.Decided = append(out.Decided, DecisionView{Decision: d.Seq, Kind: d.Kind, A: d.A, B: d.B, By: d.By, Note: d.Note})
			}
			out.Decisions = len(out.Decided)
			return nil
		})
		scores, opts, err := cg.betweenness(ctx, 0, 1)
		if err != nil {
			return err
		}
		out.Samples = opts.Samples
		for _, r := range g.Brokers(scores, pageBrokers) {
			out.Brokers = append(out.Brokers, BrokerView{EntityView(g, r.Node), r.Score})
		}
		center := int32(-1)
		if q.Entity != "" {
			v, err := findEntity(g, "entidad", q.Entity)
			if err != nil {
				out.CenterErr = asCustody(err)
			} else {
				center = v
			}
		} else if len(out.Brokers) > 0 {
			center = g.Node(out.Brokers[0].Entity)
		}
		if center >= 0 {
			out.Center = NeighbourhoodOf(g, center, 1, 50, pageNeighbour, s.cfg.Zone)
		}
		var among []int32
		if q.From != "" || q.To != "" {
			from, err := findEntity(g, "desde", q.From)
			var to int32
			if err == nil {
				to, err = findEntity(g, "hasta", q.To)
			}
			var path analysis.Path
			ok := false
			if err == nil {
				if !q.After.IsZero() || q.MaxGap > 0 {
					path, ok = g.TemporalPath(from, to, q.After, q.MaxGap)
				} else {
					path, ok = g.ShortestPath(from, to)
				}
				if !ok {
					err = custody.Errorf(custody.ENotFound, "hasta", "no hay camino entre %s y %s con esas condiciones", "there is no path between %s and %s under those conditions", g.Entities[from], g.Entities[to])
				}
			}
			if err != nil {
				out.PathErr = asCustody(err)
			} else {
				out.Path = PathOf(g, path, s.cfg.Zone)
				among = path.Nodes
			}
		}
		if among == nil && center >= 0 {
			// The center and the neighbour it has most links with.
			if nb := g.Neighborhood(center, 1, 0, 1); len(nb) > 0 {
				among = []int32{center, nb[0].Node}
			}
		}
		if len(among) >= 2 {
			links := g.Timeline(among, time.Time{}, time.Time{})
			tl := &TimelineView{Entities: []AnalysisEntity{}, Links: []AnalysisLink{}, Total: len(links)}
			for _, v := range among {
				tl.Entities = append(tl.Entities, EntityView(g, v))
			}
			for _, li := range links[:min(pageTimeline, len(links))] {
				tl.Links = append(tl.Links, LinkView(g, li, s.cfg.Zone))
			}
			out.Timeline = tl
		}
		return nil
	})
	return out, err
}

func asCustody(err error) *custody.Error {
	var ce *custody.Error
	if errors.As(err, &ce) {
		return ce
	}
	return custody.Errorf(custody.EInternal, "", "error interno", "internal error")
}
