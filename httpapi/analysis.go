package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/custodia-ec/custodia/analysis"
	"github.com/custodia-ec/custodia/app"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/gateway"
)

// The investigation analysis of a case (issue 16; app/analysis.go): its
// questions, the message behind each link, and merge and split decisions
// with their review queue. Every read is a member's read of the case,
// recorded; inputs are bounded and every question has a time budget (503
// when over it or when the server is answering too many).

func (s *Server) registerAnalysis() {
	const base = "/api/v1/cases/{case}/analysis"
	for _, rt := range []gateway.Route{
		{Method: "GET", Path: base, Summary: "Resumen del análisis del caso / overview of the case's analysis", Handle: s.analysisSummary},
		{Method: "GET", Path: base + "/neighbours", Summary: "Vecinos de una entidad (concentradores sin expandir) / an entity's neighbours (hubs not expanded)", Query: []string{"entity", "depth", "limit", "hub"}, Handle: s.analysisNeighbours},
		{Method: "GET", Path: base + "/path", Summary: "Camino más corto, u ordenado en el tiempo con after o max_gap / shortest path, or in time order with after or max_gap", Query: []string{"from", "to", "after", "max_gap"}, Handle: s.analysisPath},
		{Method: "GET", Path: base + "/brokers", Summary: "Intermediarios (centralidad de intermediación, muestra con semilla) / brokers (betweenness, seeded sample)", Query: []string{"top", "samples", "seed"}, Handle: s.analysisBrokers},
		{Method: "GET", Path: base + "/communities", Summary: "Comunidades (Louvain con semilla) / communities (seeded Louvain)", Query: []string{"seed"}, Handle: s.analysisCommunities},
		{Method: "GET", Path: base + "/timeline", Summary: "Cronología de las comunicaciones entre entidades / timeline of communications among entities", Query: []string{"entity", "from", "until", "limit"}, Handle: s.analysisTimeline},
		{Method: "GET", Path: base + "/search", Summary: "Buscar en los mensajes (sin tildes ni mayúsculas) / search the messages (accents and case folded)", Query: []string{"q", "limit"}, Handle: s.analysisSearch},
		{Method: "GET", Path: base + "/message", Summary: "El mensaje, llamada o pago de un vínculo / the message, call or payment of a link", Query: []string{"item", "sha256", "line", "offset"}, Handle: s.analysisMessage},
		{Method: "GET", Path: base + "/review", Summary: "Cola de revisión de coincidencias inciertas / review queue of uncertain matches", Query: []string{"limit"}, Handle: s.analysisReview},
		{Method: "GET", Path: base + "/decisions", Summary: "Uniones y separaciones en vigor / merges and splits in force", Handle: s.analysisDecisions},
		{Method: "POST", Path: base + "/merges", Summary: "Unir dos entidades (queda en el registro) / merge two entities (recorded in the log)", Body: "AnalysisDecision", Handle: s.analysisDecide("merge")},
		{Method: "POST", Path: base + "/splits", Summary: "Separar dos entidades (queda en el registro) / split two entities (recorded in the log)", Body: "AnalysisDecision", Handle: s.analysisDecide("split")},
		{Method: "POST", Path: base + "/decisions/{decision}/revert", Summary: "Revertir una decisión (queda en el registro) / revert a decision (recorded in the log)", Body: "AnalysisRevert", Handle: s.analysisRevert},
	} {
		rt.Access = gateway.Account
		s.gw.Handle(rt)
	}
}

// queryInt reads an integer query parameter; absent gives 0.
func queryInt(r *http.Request, name string) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, custody.Errorf(custody.EInvalid, name, "%q no es un número entero", "%q is not a whole number", v)
	}
	return n, nil
}

// queryTime reads an RFC 3339 query parameter; absent gives the zero time.
func queryTime(r *http.Request, name string) (time.Time, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := custody.ParseTime(v)
	if err != nil {
		return t, custody.Errorf(custody.EInvalid, name, "%q no es una hora RFC 3339 con zona horaria (p. ej. 2023-12-14T21:00:00-05:00)", "%q is not an RFC 3339 time with an offset (e.g. 2023-12-14T21:00:00-05:00)", v)
	}
	return t, nil
}

func reply(w http.ResponseWriter, v any, err error) error {
	if err != nil {
		return err
	}
	gateway.WriteJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) analysisSummary(w http.ResponseWriter, r *http.Request, p *app.Principal) error {
	v, err := s.AnalysisSummaryOf(r.Context(), p, r.PathValue("case"))
	return reply(w, v, err)
}

func (s *Server) analysisNeighbours(w http.ResponseWriter, r *http.Request, p *app.Principal) error {
	q := app.NeighbourQuery{Entity: r.URL.Query().Get("entity")}
	var err error
	for _, f := range []struct {
		name string
		into *int
	}{{"depth", &q.Depth}, {"limit", &q.Limit}, {"hub", &q.HubDegree}} {
		if *f.into, err = queryInt(r, f.name); err != nil {
			return err
		}
	}
	v, err := s.Neighbours(r.Context(), p, r.PathValue("case"), q)
	return reply(w, v, err)
}

func (s *Server) analysisPath(w http.ResponseWriter, r *http.Request, p *app.Principal) error {
	q := app.PathQuery{From: r.URL.Query().Get("from"), To: r.URL.Query().Get("to")}
	var err error
	if q.After, err = queryTime(r, "after"); err != nil {
		return err
	}
	if v := r.URL.Query().Get("max_gap"); v != "" {
		if q.MaxGap, err = time.ParseDuration(v); err != nil {
			return custody.Errorf(custody.EInvalid, "max_gap", "%q no es una duración (p. ej. 90m, 2h)", "%q is not a duration (e.g. 90m, 2h)", v)
		}
	}
	v, err := s.AnalysisPath(r.Context(), p, r.PathValue("case"), q)
	return reply(w, v, err)
}

func (s *Server) analysisBrokers(w http.ResponseWriter, r *http.Request, p *app.Principal) error {
	var q app.BrokerQuery
	var err error
	if q.Top, err = queryInt(r, "top"); err != nil {
		return err
	}
	if q.Samples, err = queryInt(r, "samples"); err != nil {
		return err
	}
	if q.Seed, err = querySeed(r); err != nil {
		return err
	}
	v, err := s.Brokers(r.Context(), p, r.PathValue("case"), q)
	return reply(w, v, err)
}

// querySeed reads ?seed (default 1).
func querySeed(r *http.Request) (uint64, error) {
	v := r.URL.Query().Get("seed")
	if v == "" {
		return 1, nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, custody.Errorf(custody.EInvalid, "seed", "%q no es un número entero no negativo", "%q is not a non-negative whole number", v)
	}
	return n, nil
}

func (s *Server) analysisCommunities(w http.ResponseWriter, r *http.Request, p *app.Principal) error {
	seed, err := querySeed(r)
	if err != nil {
		return err
	}
	v, err := s.Communities(r.Context(), p, r.PathValue("case"), seed)
	return reply(w, v, err)
}

func (s *Server) analysisTimeline(w http.ResponseWriter, r *http.Request, p *app.Principal) error {
	q := app.TimelineQuery{Entities: r.URL.Query()["entity"]}
	var err error
	if q.From, err = queryTime(r, "from"); err != nil {
		return err
	}
	if q.Until, err = queryTime(r, "until"); err != nil {
		return err
	}
	if q.Limit, err = queryInt(r, "limit"); err != nil {
		return err
	}
	v, err := s.Timeline(r.Context(), p, r.PathValue("case"), q)
	return reply(w, v, err)
}

func (s *Server) analysisSearch(w http.ResponseWriter, r *http.Request, p *app.Principal) error {
	limit, err := queryInt(r, "limit")
	if err != nil {
		return err
	}
	hits, err := s.AnalysisSearch(r.Context(), p, r.PathValue("case"), r.URL.Query().Get("q"), limit)
	return reply(w, map[string]any{"hits": hits}, err)
}

func (s *Server) analysisMessage(w http.ResponseWriter, r *http.Request, p *app.Principal) error {
	src := analysis.Source{Item: r.URL.Query().Get("item"), SHA256: r.URL.Query().Get("sha256")}
	var err error
	if src.Line, err = queryInt(r, "line"); err != nil {
		return err
	}
	off, err := queryInt(r, "offset")
	if err != nil {
		return err
	}
	src.Offset = int64(off)
	v, err := s.AnalysisMessage(r.Context(), p, r.PathValue("case"), src)
	return reply(w, v, err)
}

func (s *Server) analysisReview(w http.ResponseWriter, r *http.Request, p *app.Principal) error {
	limit, err := queryInt(r, "limit")
	if err != nil {
		return err
	}
	v, err := s.Review(r.Context(), p, r.PathValue("case"), limit)
	return reply(w, map[string]any{"review": v}, err)
}

func (s *Server) analysisDecisions(w http.ResponseWriter, r *http.Request, p *app.Principal) error {
	v, err := s.AnalysisDecisions(r.Context(), p, r.PathValue("case"))
	return reply(w, map[string]any{"decisions": v}, err)
}

// decisionBody is the body of a merge or split: the two sides (identifier
// keys, phone numbers as written or entity ids) and why.
type decisionBody struct {
	A    string `json:"a"`
	B    string `json:"b"`
	Note string `json:"note,omitempty"`
}

func (s *Server) analysisDecide(kind string) func(http.ResponseWriter, *http.Request, *app.Principal) error {
	return func(w http.ResponseWriter, r *http.Request, p *app.Principal) error {
		var b decisionBody
		if err := decodeJSON(r, &b); err != nil {
			return err
		}
		res, err := s.Decide(r.Context(), p, r.PathValue("case"), kind, b.A, b.B, b.Note)
		if err != nil {
			return err
		}
		gateway.WriteJSON(w, http.StatusCreated, res)
		return nil
	}
}

func (s *Server) analysisRevert(w http.ResponseWriter, r *http.Request, p *app.Principal) error {
	n, err := strconv.ParseInt(r.PathValue("decision"), 10, 64)
	if err != nil || n < 0 {
		return custody.Errorf(custody.EInvalid, "decision", "debe ser el número de evento de una decisión", "must be the event number of a decision")
	}
	var b struct {
		Note string `json:"note,omitempty"`
	}
	if err := decodeJSON(r, &b); err != nil {
		return err
	}
	res, err := s.RevertDecision(r.Context(), p, r.PathValue("case"), n, b.Note)
	if err != nil {
		return err
	}
	gateway.WriteJSON(w, http.StatusCreated, res)
	return nil
}
