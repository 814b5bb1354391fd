// Package httpapi is Custodia's JSON API under /api/v1, the resumable
// uploads of evidence files (tus), the live operation board (Server-Sent
// Events) and the public, read-only log endpoints (C2SP tlog-tiles, hash
// tiles only). It holds only HTTP: the policy, the audited reads, the
// accounts and the group committer are package app's, and the router,
// authentication and error statuses package gateway's.
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
// One table (gateway.StatusOf) maps error codes to statuses: invalid 400,
// unauthenticated 401, forbidden 403 (a member whose role may not),
// not_found 404 (absent, or in a case the caller is not a member of: never
// 403), duplicate/conflict 409, too_large 413, unknown_reference and rule
// 422, rate_limited 429. A record naming a case, item or site the caller
// cannot see is unknown_reference (422), word for word what a record naming
// nothing gets, so that the two cannot be told apart.
//
// # One write path
//
// Every write, every grant and every audited read goes through package
// app's group committer (app.Committer) into ledger.Ledger.Append. A write's authorization
// is checked by the committer itself, just before the append, against the
// very state the record is applied to (no window between check and write),
// and a write request never waits for the ledger's lock. A request is
// answered only when its batch is durable; an audited read is recorded
// before the data is sent. app.Sessions, rate-limit counters, the token cache and stream
// subscribers live in memory: they prove nothing and are lost on restart.
//
// # The pages
//
// Package web mounts its routes on the same gateway and calls the same
// app.Service; it does not import this package.
//
// Logs (slog) carry the route pattern, status, duration and account: never
// bodies, query strings, credentials or reserved identities.
package httpapi

import (
	"net/http"

	"github.com/custodia-ec/custodia/app"
	"github.com/custodia-ec/custodia/gateway"
)

// Server is the JSON API: its handlers, over the application service.
type Server struct {
	*app.Service
	gw      *gateway.Gateway
	uploads *uploads // resumable uploads in progress (upload.go)
	streams streams  // live boards open, per account (stream.go)
}

// New registers the API, upload and log routes on gw, over gw's service.
func New(gw *gateway.Gateway) *Server {
	s := &Server{Service: gw.Service(), gw: gw}
	s.registerAPI()
	s.registerKeys()
	s.registerUploads()
	s.registerField()
	s.registerAnalysis()
	s.registerLog()
	return s
}

// Handler is the gateway's handler: every route of every door.
func (s *Server) Handler() http.Handler { return s.gw.Handler() }

// Routes lists every route of every door registered so far.
func (s *Server) Routes() []gateway.Route { return s.gw.Routes() }

// Gateway is the router the API is mounted on.
func (s *Server) Gateway() *gateway.Gateway { return s.gw }
