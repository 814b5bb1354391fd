// Package deployment creates and opens a Custodia deployment: a data
// directory with the log's signing key and its configuration, and the
// database it names: SQLite inside the directory (the default) or a
// PostgreSQL database that several servers share (DatabaseConfig). Init
// refuses to touch an existing deployment or a database in use, so that a
// log is never re-created over its own history.
package deployment

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/custodia-ec/custodia/internal/durable"

	"golang.org/x/mod/sumdb/note"

	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/ledger"
	"github.com/custodia-ec/custodia/storage/blob"
	"github.com/custodia-ec/custodia/storage/postgres"
	"github.com/custodia-ec/custodia/storage/sqlite"
)

// Files of a deployment, inside its data directory.
const (
	DBFile     = "custodia.db"
	KeyFile    = "log.key" // the log's private key (note format), mode 0600
	PubFile    = "log.pub" // the log's public key (note verifier format)
	ConfigFile = "config.json"
)

// Config is a deployment's configuration, written by Init.
type Config struct {
	Origin string `json:"origin"`
	// Deadline rules, in minutes (defaults: 60 and 1440).
	RightsNoticeMinutes int64 `json:"rights_notice_minutes"`
	HearingMinutes      int64 `json:"hearing_minutes"`
	// ClockSkewMinutes is how far ahead of the server's clock a new
	// record's claimed time may be; absent or 0, 5 minutes.
	ClockSkewMinutes int64 `json:"clock_skew_minutes,omitempty"`
	// Blobs says where the bytes of evidence files are kept (see
	// BlobConfig); absent, on disk under DATA/blobs.
	Blobs *BlobConfig `json:"blobs,omitempty"`
	// Database says where the log and its tables are kept (see
	// DatabaseConfig); absent, SQLite in DATA/custodia.db.
	Database *DatabaseConfig `json:"database,omitempty"`
}

// Deployment is an open deployment.
type Deployment struct {
	Dir    string
	Config Config
	Store  Store
	Ledger *ledger.Ledger
	// Blobs keeps the bytes of evidence files (blobs.go).
	Blobs blob.Store
	// PublicKey is the log's verifier key, in note format: what outsiders
	// need to check checkpoints and bundles.
	PublicKey string
}

// ErrExists is returned by Init on an existing deployment.
var ErrExists = errors.New("deployment already exists")

// Init creates a deployment in dir with a new Ed25519 log key and returns
// its public key. origin names the log; when empty a unique one is made.
func Init(ctx context.Context, dir, origin string) (string, error) {
	return InitWith(ctx, dir, InitOptions{Origin: origin})
}

// InitOptions are the choices of a new deployment.
type InitOptions struct {
	Origin string // the log's name; when empty a unique one is made
	// Database, when it names PostgreSQL, is where the log will be kept:
	// a new, empty database, which Init claims for this log. nil: SQLite
	// in the data directory.
	Database *DatabaseConfig
}

// InitWith creates a deployment in dir as Init does, with its database
// where o says. The log's private key is written to dir only, whatever the
// database.
func InitWith(ctx context.Context, dir string, o InitOptions) (string, error) {
	origin := o.Origin
	if err := o.Database.check(); err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(dir, KeyFile)); err == nil {
		return "", custody.Errorf(custody.EConflict, "", "ya hay un despliegue en %s: no se vuelve a crear un registro sobre su propia historia", "a deployment already exists in %s: a log is never re-created over its own history", dir)
	}
	if _, err := os.Stat(filepath.Join(dir, DBFile)); err == nil {
		return "", custody.Errorf(custody.EConflict, "", "ya hay una base de datos en %s", "a database already exists in %s", dir)
	}
	if origin == "" {
		b := make([]byte, 6)
		if _, err := rand.Read(b); err != nil {
			return "", err
		}
		origin = "custodia.local/" + hex.EncodeToString(b)
	}
	if strings.ContainsAny(origin, " +\n\t") {
		return "", custody.Errorf(custody.EInvalid, "origin", "el origen no puede tener espacios ni '+'", "the origin cannot contain spaces or '+'")
	}
	skey, vkey, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		return "", err
	}
	cfg := Config{Origin: origin, RightsNoticeMinutes: domain.DefaultConfig.RightsNoticeMinutes, HearingMinutes: domain.DefaultConfig.HearingMinutes}
	if o.Database.IsPostgres() {
		cfg.Database = o.Database
		// The database first: one that is not empty, or not reachable,
		// leaves no half-made deployment behind.
		st, err := claimPostgres(ctx, o.Database, origin, vkey)
		if err != nil {
			return "", err
		}
		if err := st.Close(); err != nil {
			return "", err
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	cj, _ := json.MarshalIndent(cfg, "", "  ")
	for _, f := range []struct {
		name string
		data []byte
		mode os.FileMode
	}{{KeyFile, []byte(skey + "\n"), 0o600}, {PubFile, []byte(vkey + "\n"), 0o644}, {ConfigFile, append(cj, '\n'), 0o644}} {
		if err := writeFileSync(filepath.Join(dir, f.name), f.data, f.mode); err != nil {
			if o.Database.IsPostgres() {
				err = fmt.Errorf("%w; the database %s now belongs to a log whose key was not saved: drop it and create it again before retrying", err, postgres.Redact(o.Database.DSN))
			}
			return "", err
		}
	}
	if o.Database.IsPostgres() {
		return vkey, nil
	}
	st, err := sqlite.Open(ctx, filepath.Join(dir, DBFile))
	if err != nil {
		return "", err
	}
	return vkey, st.Close()
}

// writeFileSync writes a new file durably: it must not exist.
func writeFileSync(path string, data []byte, mode os.FileMode) error {
	return durable.Create(path, data, mode)
}

// Exists reports whether dir holds a deployment.
func Exists(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, KeyFile))
	return err == nil
}

// ReadPublicKey reads a deployment's public key without opening it.
func ReadPublicKey(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, PubFile))
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

// OpenStore opens only the database of a deployment, for audit. opts
// apply to a SQLite database only.
func OpenStore(ctx context.Context, dir string, opts ...sqlite.Option) (Store, Config, note.Verifier, error) {
	var cfg Config
	if !Exists(dir) {
		return nil, cfg, nil, custody.Errorf(custody.ENotFound, "", "no hay un despliegue en %s (cree uno con custodia init)", "no deployment in %s (create one with custodia init)", dir)
	}
	b, err := os.ReadFile(filepath.Join(dir, ConfigFile))
	if err != nil {
		return nil, cfg, nil, err
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		return nil, cfg, nil, fmt.Errorf("%s: %w", ConfigFile, err)
	}
	vkey, err := ReadPublicKey(dir)
	if err != nil {
		return nil, cfg, nil, err
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, cfg, nil, fmt.Errorf("%s: %w", PubFile, err)
	}
	st, err := openDatabase(ctx, dir, cfg, vkey, opts...)
	if err != nil {
		return nil, cfg, nil, err
	}
	return st, cfg, v, nil
}

// Rules returns the deployment's deadline rules.
func (c Config) Rules() domain.Config {
	return domain.Config{RightsNoticeMinutes: c.RightsNoticeMinutes, HearingMinutes: c.HearingMinutes, ClockSkewMinutes: c.ClockSkewMinutes}
}

// RecordRules are the rules a log starts from: the spec's deadlines. Only a
// logged deployment.settings event changes them (custodia settings set);
// config.json's copies are checked against the log by audit and never
// change the record, or a report, on their own.
var RecordRules = domain.DefaultConfig

// Open opens a deployment and loads its ledger.
func Open(ctx context.Context, dir string, now func() time.Time) (*Deployment, error) {
	st, cfg, v, err := OpenStore(ctx, dir)
	if err != nil {
		return nil, err
	}
	skey, err := os.ReadFile(filepath.Join(dir, KeyFile))
	if err != nil {
		st.Close()
		return nil, err
	}
	signer, err := note.NewSigner(strings.TrimSpace(string(skey)))
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("%s: %w", KeyFile, err)
	}
	l, err := ledger.Open(ctx, st, ledger.Config{Signer: signer, Verifier: v, Rules: RecordRules, Now: now})
	if err != nil {
		st.Close()
		return nil, err
	}
	blobs, err := OpenBlobs(dir, cfg.Blobs)
	if err != nil {
		st.Close()
		return nil, err
	}
	vkey, _ := ReadPublicKey(dir)
	return &Deployment{Dir: dir, Config: cfg, Store: st, Ledger: l, Blobs: blobs, PublicKey: vkey}, nil
}

// Close holds the log's newest checkpoint beside the database (Hold: only
// when the log still matches the one held before) and closes the database.
func (d *Deployment) Close() error {
	herr := d.Hold(context.Background())
	return errors.Join(herr, d.Store.Close())
}
