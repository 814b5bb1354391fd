package postgres

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestRedact(t *testing.T) {
	for _, tc := range []struct {
		dsn, want string
		has       bool
	}{
		{"postgres://custodia:s3cr3t@db1:5432/custodia?sslmode=verify-full", "postgres://custodia:xxxxx@db1:5432/custodia?sslmode=verify-full", true},
		{"postgresql://custodia@db1/custodia", "postgresql://custodia@db1/custodia", false},
		{"postgres://db1/custodia?user=c&password=s3cr3t", "postgres://db1/custodia?password=xxxxx&user=c", true},
		{"host=db1 user=custodia password=s3cr3t dbname=custodia", "host=db1 user=custodia password=xxxxx dbname=custodia", true},
		{"host=db1 password='s3 cr\\'3t' dbname=custodia", "host=db1 password=xxxxx dbname=custodia", true},
		{"host=db1 PASSWORD = s3cr3t", "host=db1 password=xxxxx", true},
		{"host=db1 dbname=custodia passfile=/etc/custodia/pgpass", "host=db1 dbname=custodia passfile=/etc/custodia/pgpass", false},
		{"postgres://u:s3cr3t@[::1/x", "postgres://…", true},
	} {
		got := Redact(tc.dsn)
		if got != tc.want {
			t.Errorf("Redact(%q) = %q, want %q", tc.dsn, got, tc.want)
		}
		if strings.Contains(got, "s3") {
			t.Errorf("Redact(%q) = %q keeps the password", tc.dsn, got)
		}
		if h := HasPassword(tc.dsn); h != tc.has {
			t.Errorf("HasPassword(%q) = %v, want %v", tc.dsn, h, tc.has)
		}
	}
}

// No error of Open carries the password, whether the string does not
// parse, names an unreachable server, or the password came as an option.
func TestOpenErrorsHideThePassword(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const pw = "s3cr3t-Pw"
	for _, tc := range []struct {
		dsn  string
		opts []Option
	}{
		{"postgres://custodia:" + pw + "@127.0.0.1:1/custodia?connect_timeout=2", nil},
		{"postgres://custodia:" + pw + "@127.0.0.1:1/custodia?sslmode=nonsense", nil},
		{"host=127.0.0.1 port=1 user=custodia password=" + pw + " connect_timeout=2", nil},
		{"postgres://custodia@127.0.0.1:1/custodia?connect_timeout=2", []Option{WithPassword(pw)}},
		{"postgres://custodia@127.0.0.1:1/" + pw + "?connect_timeout=2&bogus_option=1", []Option{WithPassword(pw)}},
	} {
		s, err := Open(ctx, tc.dsn, tc.opts...)
		if err == nil {
			s.Close()
			t.Fatalf("Open(%s) succeeded", Redact(tc.dsn))
		}
		if strings.Contains(err.Error(), pw) {
			t.Errorf("Open(%s): error holds the password: %v", Redact(tc.dsn), err)
		}
	}
}
