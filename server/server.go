// Package server is Custodia's HTTP server: the JSON API under /api/v1, the
// sign-in (passwords, TOTP, sessions, API tokens), the authorization policy,
// audited reads, the live operation board (Server-Sent Events) and the public,
// read-only log endpoints (C2SP tlog-tiles, hash tiles only).
//
// # Writes
//
// POST /api/v1/records takes one case-file line ({"op": ..., fields}),
// decoded by casefile.Decode: the same rules and the same messages as
// import. REST routes (POST /api/v1/items/{item}/transfers, POST
// /api/v1/sites/{site}/status) take the same fields minus those in the path.
// A record's actor (by, seized_by, arrested_by; from or to of a transfer,
// which either party may record) must be the account's own officer, else
// 422 rule on that field: records are recorded as that officer. System ops
// (grants, disclosures, releases, accounts) have their own routes and never
// pass through /records.
//
// # Statuses
//
// One table (statusOf) maps error codes to statuses: invalid 400,
// unauthenticated 401, forbidden 403 (a member whose role may not),
// not_found 404 (absent, or in a case the caller is not a member of: never
// 403), duplicate/conflict 409, too_large 413, unknown_reference and rule
// 422, rate_limited 429. A record naming a case, item or site the caller
// cannot see is unknown_reference (422), word for word what a record naming
// nothing gets, so that the two cannot be told apart.
//
// # One write path
//
// Every write, every grant and every audited read goes through one group
// committer (Committer) into ledger.Ledger.Append. A write's authorization
// is checked by the committer itself, just before the append, against the
// very state the record is applied to (no window between check and write),
// and a write request never waits for the ledger's lock. A request is
// answered only when its batch is durable; an audited read is recorded
// before the data is sent. Sessions, rate-limit counters, the token cache and stream
// subscribers live in memory: they prove nothing and are lost on restart.
//
// # For the web pages
//
// Package web mounts its routes on the same Server with Handle (NoDoc for
// pages, Error to render HTML errors; every route needs a row in the
// authorization matrix test), and reuses Login, Sessions (cookies, CSRF:
// checked by Handle on every state-changing session request, from the
// X-CSRF-Token header or the csrf_token form field), Policy, Broker,
// WriteRecord (every write) and the read methods (Cases, Case, Persons,
// Person, Detentions, Items, AccessLog, OperationReport, Sites, Site, Item,
// ItemHistory, Bundle), each of which applies the policy and records the
// audited read before it returns the data.
//
// Logs (slog) carry the route pattern, status, duration and account: never
// bodies, query strings, credentials or reserved identities.
package server

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/custodia-ec/custodia/accounts"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/ledger"
	"github.com/custodia-ec/custodia/storage/blob"
)

// Config holds the server's dependencies. Nothing in the package is global.
type Config struct {
	Ledger *ledger.Ledger
	// Audit runs a full audit of the store (ledger.Audit over the
	// deployment's store); nil disables GET /api/v1/audit.
	Audit func(ctx context.Context) (*ledger.AuditReport, error)
	// Credentials keeps password hashes, TOTP secrets and token hashes.
	Credentials accounts.Store
	// PublicKey is the log's verifier key (note format), for bundles.
	PublicKey string
	Logger    *slog.Logger     // request and error logs; never secrets
	Now       func() time.Time // the clock; time.Now when nil
	// MaxBody limits request bodies (default 1 MiB); larger gives 413.
	MaxBody int64
	// CommitDelay is the longest the committer waits for write requests
	// already in flight to join a batch (default 5 ms). An idle server
	// commits a lone request at once.
	CommitDelay time.Duration
	// BoardInterval is how often live boards are pushed to streams (default
	// 250 ms): each stream wakes at most that often, whatever the write rate.
	BoardInterval time.Duration
	// SessionTTL is the lifetime of a browser session (default 12 h).
	SessionTTL time.Duration
	// Login throttling: after LoginFailures failures for an account (four
	// times as many for an address) within LockoutWindow, sign-in is
	// refused until the window has passed.
	LoginFailures int           // default 5
	LockoutWindow time.Duration // default 15 min
	// Evidence files (upload.go, integrity.go): Blobs keeps their bytes
	// (nil: uploads answer 503 and no integrity job runs); MaxUpload caps
	// one file (default 1 TiB).
	Blobs     blob.Store
	MaxUpload int64
	// CheckInterval is how often the background job re-hashes every file
	// the log references (0: never); CheckBytesPerSecond caps its reads
	// (default 64 MiB/s) so that it does not starve requests of I/O.
	CheckInterval       time.Duration
	CheckBytesPerSecond int64
}

// Server is the handler with its dependencies. Create it with New, start
// its committer with Start, serve Handler(), and Close it after the HTTP
// server has shut down.
type Server struct {
	cfg      Config
	l        *ledger.Ledger
	creds    accounts.Store
	log      *slog.Logger
	now      func() time.Time
	mux      *http.ServeMux
	routes   []Route
	Policy   *Policy
	Broker   *Broker
	Commit   *Committer
	Metrics  *Metrics
	Sessions *Sessions
	limiter  *limiter
	tokens   *tokenCache
	accounts atomic.Pointer[map[string]Principal] // active accounts, see loadAccounts
	uploads  *uploads                             // resumable uploads in progress (upload.go)
	done     chan struct{}
	doneOnce sync.Once
	closeMu  sync.Once
}

// New builds a Server and registers the API and log routes.
func New(cfg Config) (*Server, error) {
	if cfg.Ledger == nil || cfg.Credentials == nil {
		return nil, errors.New("server: a ledger and a credential store are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxBody == 0 {
		cfg.MaxBody = 1 << 20
	}
	if cfg.BoardInterval == 0 {
		cfg.BoardInterval = 250 * time.Millisecond
	}
	if cfg.SessionTTL == 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	if cfg.LoginFailures == 0 {
		cfg.LoginFailures = 5
	}
	if cfg.LockoutWindow == 0 {
		cfg.LockoutWindow = 15 * time.Minute
	}
	s := &Server{
		cfg: cfg, l: cfg.Ledger, creds: cfg.Credentials, log: cfg.Logger, now: cfg.Now,
		mux:      http.NewServeMux(),
		Policy:   &Policy{},
		Broker:   NewBroker(64, cfg.BoardInterval),
		Metrics:  NewMetrics(),
		Sessions: newSessions(cfg.SessionTTL, cfg.Now),
		limiter:  newLimiter(cfg.LoginFailures, cfg.LockoutWindow, cfg.Now),
		tokens:   &tokenCache{m: map[[32]byte]cachedToken{}},
		done:     make(chan struct{}),
	}
	s.Metrics.logSize = func() int64 { return s.l.Size() }
	s.loadAccounts()
	s.Commit = NewCommitter(s.l, cfg.CommitDelay, s.Metrics, s.log, s.committed)
	s.registerAPI()
	s.registerUploads()
	s.registerLog()
	return s, nil
}

// committed is the committer's hook after each durable batch: it refreshes
// the accounts snapshot when accounts changed and feeds the live boards.
func (s *Server) committed(evs []*custody.Event) {
	for _, ev := range evs {
		if ev.Op == domain.OpAccountCreate || ev.Op == domain.OpAccountDisable {
			s.loadAccounts()
			break
		}
	}
	s.publish(evs)
}

// Start runs the group committer until Close.
func (s *Server) Start() {
	go s.Commit.Run()
	go s.Broker.Run()
	s.startIntegrity()
}

// CloseStreams ends the live streams and makes /readyz fail. Call it
// before http.Server.Shutdown, which waits for handlers that never go idle.
func (s *Server) CloseStreams() {
	s.doneOnce.Do(func() {
		close(s.done)
		s.Broker.Close()
	})
}

// Close stops the live streams and the committer. Call it after
// http.Server.Shutdown, so that no request is left waiting for a commit.
func (s *Server) Close() {
	s.CloseStreams()
	s.closeMu.Do(s.Commit.Close)
}

// Done is closed when the server is closing; long-lived handlers (streams)
// end on it.
func (s *Server) Done() <-chan struct{} { return s.done }

// Ledger returns the ledger the server writes to.
func (s *Server) Ledger() *ledger.Ledger { return s.l }

// Handler returns the whole server: security headers, body limits, request
// logs and metrics around the router.
func (s *Server) Handler() http.Handler {
	return s.secure(s.mux)
}

// Routes lists every registered route, in registration order.
func (s *Server) Routes() []Route { return append([]Route(nil), s.routes...) }

// secure sets the security headers every response carries.
func (s *Server) secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if r.TLS != nil {
			h.Set("Strict-Transport-Security", "max-age=63072000")
		}
		next.ServeHTTP(w, r)
	})
}

// Lang returns the user's language from Accept-Language: "en" when English
// is preferred over Spanish, else "es".
func Lang(r *http.Request) string {
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		switch {
		case strings.HasPrefix(tag, "en"):
			return "en"
		case strings.HasPrefix(tag, "es"):
			return "es"
		}
	}
	return "es"
}

// writeJSONHead sends the status and headers of a JSON answer.
func writeJSONHead(w http.ResponseWriter, status int) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
}

// WriteJSON writes v as JSON with the given status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	writeJSONHead(w, status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}
