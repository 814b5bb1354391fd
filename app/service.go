package app

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/custodia-ec/custodia/internal/zone"

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
	// Held, when set, holds the log's newest checkpoint outside its
	// database (deployment.Deployment does, in a file beside it). The
	// service checks the log against it at start and every HeldInterval
	// (default 5 s), holds each newer checkpoint, and when the log no
	// longer matches what it signed before (a database restored from a
	// backup, a fork) refuses every write and says so (Refusing).
	Held         HeldCheckpoint
	HeldInterval time.Duration
	// PublicURL is the address users reach the server at, when a proxy in
	// front of it terminates TLS (e.g. https://custodia.example.org): an
	// https URL makes cookies Secure and sends HSTS even though the
	// server itself speaks plain HTTP to the proxy.
	PublicURL string
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
	// Login throttling: after LoginFailures failed attempts on an account
	// from one client within LockoutWindow, that client's sign-ins to that
	// account are refused until the window has passed; past LoginFailures
	// failures of an account (or of a client) from anywhere, each attempt
	// waits longer, up to 8 s. No one is locked out by someone else.
	LoginFailures int           // default 5
	LockoutWindow time.Duration // default 15 min
	// Password hashes (argon2id, 19 MiB each): at most PasswordHashes run
	// at once in the process (default GOMAXPROCS), so that their memory
	// is bounded whatever the number of sign-ins; up to HashQueue more
	// (default 16 per slot) wait, at most HashWait (default 3 s), and the
	// rest are refused at once (503). One client has at most
	// LoginsPerClient sign-ins under way (default 3; more: 429), waits
	// included.
	PasswordHashes  int
	HashQueue       int
	HashWait        time.Duration
	LoginsPerClient int
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
	// Zone is the zone people read times in (web, PDFs, the API's as_of);
	// default America/Guayaquil. Events keep their own offsets.
	Zone *time.Location
	// Analysis is the investigation analysis's data (analysis.go); nil:
	// its questions answer not_found. Each question runs within
	// AnalysisTimeout (default 20 s), at most AnalysisConcurrency at once
	// (default 2); one more is answered busy (503) at once.
	Analysis            AnalysisStore
	AnalysisTimeout     time.Duration
	AnalysisConcurrency int
}

// Service is the application with its dependencies: what every door (the
// JSON API, the pages, the CLI's server) calls. Create it with New, start
// its committer with Start, and Close it after the doors have shut down.
type Service struct {
	cfg       Config
	l         *ledger.Ledger
	creds     accounts.Store
	log       *slog.Logger
	now       func() time.Time
	Policy    *Policy
	Broker    *Broker
	Commit    *Committer
	Metrics   *Metrics
	Sessions  *Sessions
	limiter   *limiter
	hashes    *hashGate // password hashes at once, sign-ins per client
	pendingMu sync.Mutex
	accessMu  sync.Mutex
	refusing  atomic.Pointer[custody.Error] // see Refusing
	accessCh  chan struct{}                 // see AccessChanged
	pending   map[string]pendingLogin       // sign-ins awaiting their TOTP code
	tokens    *tokenCache
	accounts  atomic.Pointer[map[string]Principal] // active accounts, see loadAccounts
	done      chan struct{}
	doneOnce  sync.Once
	// Field syncs (field.go): one at a time per device, and the tests'
	// hook after each entry.
	fieldLocks fieldLocks
	fieldHook  atomic.Pointer[func(context.Context, FieldResult)]
	closeMu    sync.Once
	// The investigation analysis (analysis.go): graphs by case, and one
	// token per question under way.
	graphs        graphCache
	analysisSlots chan struct{}
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
	if cfg.Zone == nil {
		cfg.Zone = zone.Default()
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
	if cfg.PasswordHashes <= 0 {
		cfg.PasswordHashes = runtime.GOMAXPROCS(0)
	}
	if cfg.HashQueue <= 0 {
		cfg.HashQueue = 16 * cfg.PasswordHashes
	}
	if cfg.HashWait <= 0 {
		cfg.HashWait = 3 * time.Second
	}
	if cfg.LoginsPerClient <= 0 {
		cfg.LoginsPerClient = 3
	}
	if cfg.AnalysisTimeout <= 0 {
		cfg.AnalysisTimeout = DefaultAnalysisTimeout
	}
	if cfg.AnalysisConcurrency <= 0 {
		cfg.AnalysisConcurrency = DefaultAnalysisConcurrency
	}
	s := &Service{
		cfg: cfg, l: cfg.Ledger, creds: cfg.Credentials, log: cfg.Logger, now: cfg.Now,
		Policy:   &Policy{},
		Broker:   NewBroker(64, cfg.BoardInterval),
		Metrics:  NewMetrics(),
		Sessions: newSessions(cfg.SessionTTL, cfg.Now),
		limiter:  newLimiter(cfg.LoginFailures, cfg.LockoutWindow, cfg.Now),
		hashes:   newHashGate(cfg.PasswordHashes, cfg.HashQueue, cfg.LoginsPerClient, cfg.HashWait),
		pending:  map[string]pendingLogin{},
		accessCh: make(chan struct{}),
		tokens:   &tokenCache{m: map[[32]byte]cachedToken{}},
		done:     make(chan struct{}),

		analysisSlots: make(chan struct{}, cfg.AnalysisConcurrency),
	}
	s.Metrics.logSize = func() int64 { return s.l.Size() }
	s.loadAccounts()
	s.Sessions.onEnd = s.bumpAccess
	s.Commit = NewCommitter(s.l, cfg.CommitDelay, s.Metrics, s.log, s.committed)
	// Events other servers sharing the database committed, as the ledger
	// reads them, take the path of this server's own: accounts, access,
	// live boards. Too many to hand over (a large import elsewhere): any
	// account, membership or board may have changed.
	s.l.Observe(func(evs []*custody.Event) {
		if evs == nil {
			s.loadAccounts()
			s.bumpAccess()
			s.Broker.PublishAll([]byte("event: board\ndata: {\"op\":\"refresh\"}\n\n"))
			return
		}
		s.committed(evs)
	})
	return s, nil
}

// committed is the committer's hook after each durable batch: it refreshes
// the accounts snapshot when accounts changed and feeds the live boards.
func (s *Service) committed(evs []*custody.Event) {
	reload, access := false, false
	for _, ev := range evs {
		switch ev.Op {
		case domain.OpAccountCreate:
			reload = true
		case domain.OpAccountDisable:
			reload, access = true, true
			var r domain.AccountDisable
			if json.Unmarshal(ev.Record, &r) == nil {
				s.Sessions.DeleteAccount(r.Account)
			}
		case domain.OpAccountCredential:
			// A password change may set or clear the must-change mark.
			reload, access = true, true
		case domain.OpGrantRevoke:
			access = true
		}
	}
	if reload {
		s.loadAccounts()
	}
	if access {
		// Before the batch reaches the streams: a stream that was allowed
		// its operation re-checks before it sends anything more.
		s.bumpAccess()
	}
	s.publish(evs)
}

// AccessChanged is closed when something changed who may see what: a
// membership revoked, an account disabled, a credential changed, a session
// ended. Long-lived readers (the live board's streams) wait on it and then
// re-check their caller with Recheck; call it again for the next change.
func (s *Service) AccessChanged() <-chan struct{} {
	s.accessMu.Lock()
	defer s.accessMu.Unlock()
	return s.accessCh
}

func (s *Service) bumpAccess() {
	s.accessMu.Lock()
	close(s.accessCh)
	s.accessCh = make(chan struct{})
	s.accessMu.Unlock()
}

// Recheck reports whether p may still read case c: its session still
// lives (or its token is still valid), its account is still active, and
// the policy still lets it read the case. A long-lived read calls it before
// it sends more.
func (s *Service) Recheck(ctx context.Context, p *Principal, c string) error {
	var q *Principal
	if p.Session != nil {
		if q = s.SessionPrincipal(p.Session.ID); q == nil {
			return ErrUnauthenticated()
		}
	} else {
		var err error
		if q, err = s.tokenPrincipal(ctx, p.tokenHash); err != nil {
			return err
		}
	}
	return s.View(func(st *domain.State) error { return s.Policy.Read(st, q, c) })
}

// Start runs the group committer until Close.
func (s *Service) Start() {
	go s.Commit.Run()
	go s.Broker.Run()
	s.startIntegrity()
	s.startHeld()
}

// HeldCheckpoint keeps the log's newest checkpoint outside its database.
// CheckHeld returns an error with code custody.ETampered when the log
// does not match the checkpoint held; Hold keeps the newest checkpoint
// (and refuses, the same way, when the log does not match).
type HeldCheckpoint interface {
	CheckHeld(ctx context.Context) error
	Hold(ctx context.Context) error
}

// Refusing is why the service refuses writes (its log does not match a
// checkpoint it signed before), or nil.
func (s *Service) Refusing() *custody.Error { return s.refusing.Load() }

func (s *Service) startHeld() {
	if s.cfg.Held == nil {
		return
	}
	interval := cmp.Or(s.cfg.HeldInterval, 5*time.Second)
	check := func() {
		ctx := context.Background()
		err := s.cfg.Held.CheckHeld(ctx)
		if err == nil {
			err = s.cfg.Held.Hold(ctx)
		}
		if err == nil {
			// A ledger that found its database lost or forked what it
			// wrote (one shared with other servers) has stopped writing.
			err = s.l.Halted()
		}
		var ce *custody.Error
		if errors.As(err, &ce) && ce.Code == custody.ETampered {
			if s.refusing.Load() == nil {
				s.log.Error("log inconsistent with a checkpoint it signed: refusing writes", "reason", ce.MessageEN)
			}
			s.refusing.Store(&custody.Error{Code: custody.EBusy,
				Message:   "el servidor no acepta escrituras: " + ce.Message + ". Avise al administrador; no restaure copias sobre un registro en uso.",
				MessageEN: "the server accepts no writes: " + ce.MessageEN + ". Tell the administrator; never restore a backup over a running log."})
		} else if err != nil {
			s.log.Warn("holding the checkpoint failed", "err", err.Error())
		}
	}
	check()
	go func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-s.done:
				return
			case <-t.C:
				check()
			}
		}
	}()
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

// Now is the service's clock, in the zone people read times in.
func (s *Service) Now() time.Time { return s.now().In(s.cfg.Zone) }

// Zone is the zone people read times in.
func (s *Service) Zone() *time.Location { return s.cfg.Zone }

// Log is the service's logger.
func (s *Service) Log() *slog.Logger { return s.log }

// Credentials is the store of sign-in secrets.
func (s *Service) Credentials() accounts.Store { return s.creds }

// View runs fn on the current state, read-only.
func (s *Service) View(fn func(st *domain.State) error) error { return s.l.View(fn) }
