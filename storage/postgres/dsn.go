package postgres

import (
	"net/url"
	"regexp"
	"strings"
)

// Option changes how Open connects.
type Option func(*options)

type options struct {
	password string
}

// WithPassword gives the password to connect with, when the connection
// string has none: deployments keep it out of config.json and out of
// command lines, in an environment variable (deployment.DatabaseConfig).
func WithPassword(pw string) Option { return func(o *options) { o.password = pw } }

// HasPassword reports whether a connection string (URL or key=value)
// carries a password. It does not read PGPASSWORD or a password file.
func HasPassword(dsn string) bool {
	if isURL(dsn) {
		u, err := url.Parse(dsn)
		if err != nil {
			return strings.Contains(dsn, "@") || strings.Contains(strings.ToLower(dsn), "password=")
		}
		if _, ok := u.User.Password(); ok {
			return true
		}
		return u.Query().Has("password")
	}
	return kvPassword.MatchString(dsn)
}

func isURL(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// kvPassword matches the password of a key=value connection string, quoted
// or not.
var kvPassword = regexp.MustCompile(`(?i)(^|\s)password\s*=\s*('(\\.|[^'])*'|\S*)`)

// Redact returns dsn with its password, if any, replaced by "xxxxx": the
// form in which a connection string may appear in a message or a log.
func Redact(dsn string) string {
	if isURL(dsn) {
		u, err := url.Parse(dsn)
		if err != nil {
			// Unparseable: keep the scheme only, rather than risk
			// printing a password.
			return dsn[:strings.Index(dsn, "://")+3] + "…"
		}
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
		if q := u.Query(); q.Has("password") {
			q.Set("password", "xxxxx")
			u.RawQuery = q.Encode()
		}
		return u.String()
	}
	return kvPassword.ReplaceAllString(dsn, "${1}password=xxxxx")
}

// redactError returns err with every occurrence of the password removed
// from its text; the driver already redacts connection strings, but an
// error of any layer below must never carry the secret.
func redactError(err error, passwords ...string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	changed := false
	for _, pw := range passwords {
		if pw != "" && strings.Contains(msg, pw) {
			msg = strings.ReplaceAll(msg, pw, "xxxxx")
			changed = true
		}
	}
	if !changed {
		return err
	}
	return &redacted{msg: msg, err: err}
}

// redacted is an error whose text hides a password; errors.Is and As still
// reach the driver's error beneath.
type redacted struct {
	msg string
	err error
}

func (r *redacted) Error() string { return r.msg }
func (r *redacted) Unwrap() error { return r.err }
