package app

import (
	"context"
	"errors"
	"log/slog"
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

// Service is the application with its dependencies: what every door (the
// JSON API, the pages, the CLI's server) calls. Create it with New, start
// its committer with Start, and Close it after the doors have shut down.
type Service struct {
	cfg      Config
	l        *ledger.Ledger
	creds    accounts.Store
	log      *slog.Logger
	now      func() time.Time
	Policy   *Policy
	Broker   *Broker
	Commit   *Committer
	Metrics  *Metrics
	Sessions *Sessions
	limiter  *limiter
	tokens   *tokenCache
	accounts atomic.Pointer[map[string]Principal] // active accounts, see loadAccounts
	done     chan struct{}
	doneOnce sync.Once
	closeMu  sync.Once
}

// New builds a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Ledger == nil || cfg.Credentials == nil {
		return nil, errors.New("app: a ledger and a credential store are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxUpload == 0 {
		cfg.MaxUpload = 1 << 40 // 1 TiB
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
	s := &Service{
		cfg: cfg, l: cfg.Ledger, creds: cfg.Credentials, log: cfg.Logger, now: cfg.Now,
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
	return s, nil
}

// committed is the committer's hook after each durable batch: it refreshes
// the accounts snapshot when accounts changed and feeds the live boards.
func (s *Service) committed(evs []*custody.Event) {
	for _, ev := range evs {
		if ev.Op == domain.OpAccountCreate || ev.Op == domain.OpAccountDisable {
			s.loadAccounts()
			break
		}
	}
	s.publish(evs)
}

// Start runs the group committer until Close.
func (s *Service) Start() {
	go s.Commit.Run()
	go s.Broker.Run()
	s.startIntegrity()
}

// CloseStreams ends the live streams and makes /readyz fail. Call it
// before http.Server.Shutdown, which waits for handlers that never go idle.
func (s *Service) CloseStreams() {
	s.doneOnce.Do(func() {
		close(s.done)
		s.Broker.Close()
	})
}

// Close stops the live streams and the committer. Call it after
// http.Server.Shutdown, so that no request is left waiting for a commit.
func (s *Service) Close() {
	s.CloseStreams()
	s.closeMu.Do(s.Commit.Close)
}

// Done is closed when the server is closing; long-lived handlers (streams)
// end on it.
func (s *Service) Done() <-chan struct{} { return s.done }

// Ledger returns the ledger the server writes to.
func (s *Service) Ledger() *ledger.Ledger { return s.l }

// Config returns the service's configuration, defaults filled in.
func (s *Service) Config() Config { return s.cfg }

// Now is the service's clock.
func (s *Service) Now() time.Time { return s.now() }

// Log is the service's logger.
func (s *Service) Log() *slog.Logger { return s.log }

// Credentials is the store of sign-in secrets.
func (s *Service) Credentials() accounts.Store { return s.creds }

// View runs fn on the current state, read-only.
func (s *Service) View(fn func(st *domain.State) error) error { return s.l.View(fn) }
