// Package pgtest gives each test its own new PostgreSQL database, on the
// server that CUSTODIA_TEST_POSTGRES names (scripts/setup-postgres starts
// one and scripts/test sets the variable). Without the variable a test
// fails when it runs under CI (CI set) or when CUSTODIA_REQUIRE_POSTGRES=1,
// as scripts/test sets it; run by hand without it, the test is skipped.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Env is the variable holding the test server's connection string.
const Env = "CUSTODIA_TEST_POSTGRES"

// Server returns the test server's connection string, or stops the test:
// it fails under CI or CUSTODIA_REQUIRE_POSTGRES=1 and skips otherwise.
func Server(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(Env)
	if dsn != "" {
		return dsn
	}
	if Required() {
		t.Fatalf("%s is not set: this test needs a PostgreSQL server (scripts/setup-postgres starts one and scripts/test sets the variable)", Env)
	}
	t.Skipf("%s is not set: no PostgreSQL server to test against (run scripts/setup-postgres and set %s to the DSN it writes to .tools/postgres.dsn)", Env, Env)
	return ""
}

// Required reports whether a missing test server is a failure rather than
// a reason to skip: under CI, or with CUSTODIA_REQUIRE_POSTGRES=1.
func Required() bool {
	return os.Getenv("CI") != "" || os.Getenv("CUSTODIA_REQUIRE_POSTGRES") == "1"
}

// NewDatabase creates a new, empty database with a random name on the test
// server and returns its connection string. The database is dropped when
// the test ends, after the test's own cleanups (which close its stores).
func NewDatabase(t testing.TB) string {
	t.Helper()
	dsn, drop, err := Create(Server(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := drop(); err != nil {
			t.Error(err)
		}
	})
	return dsn
}

// Create creates a new, empty database with a random name on the server
// that base names, and returns its connection string and the function
// that drops it, for callers without a testing.TB (testscript's commands).
func Create(base string) (dsn string, drop func() error, err error) {
	b := make([]byte, 8)
	rand.Read(b)
	name := "custodia_test_" + hex.EncodeToString(b)
	if err := admin(base, "CREATE DATABASE "+name+" ENCODING 'UTF8' TEMPLATE template0"); err != nil {
		return "", nil, err
	}
	drop = func() error {
		// WITH (FORCE): a connection a failed test left open does not
		// keep the database.
		return admin(base, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	}
	dsn, err = WithDatabase(base, name)
	if err != nil {
		return "", nil, errors.Join(err, drop())
	}
	return dsn, drop, nil
}

// admin runs one statement on the server's maintenance database.
func admin(dsn, stmt string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return fmt.Errorf("pgtest: connecting to %s: %v", Env, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, stmt); err != nil {
		return fmt.Errorf("pgtest: %s: %v", stmt, err)
	}
	return nil
}

// WithDatabase returns dsn (a postgres:// URL or a key=value string) naming
// database name instead of its own.
func WithDatabase(dsn, name string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", fmt.Errorf("pgtest: %s: %w", Env, err)
		}
		u.Path = "/" + name
		q := u.Query()
		q.Del("dbname")
		u.RawQuery = q.Encode()
		return u.String(), nil
	}
	// In a key=value string the last value of a key wins.
	return dsn + " dbname=" + name, nil
}
