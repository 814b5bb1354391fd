package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/jackc/pgx/v5"

	"github.com/custodia-ec/custodia/internal/testdeploy"
	"github.com/custodia-ec/custodia/storage/postgres/pgtest"
	"github.com/custodia-ec/custodia/storage/sqlite"
)

// TestMain lets the test binary also act as the custodia command, so that
// the scripts in testdata/script drive the real CLI as a separate process.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"custodia": func() { os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr)) },
	})
}

func TestScripts(t *testing.T) {
	metastasis := testdeploy.MetastasisPath(t)
	testscript.Run(t, testscript.Params{
		Dir: filepath.Join("testdata", "script"),
		// Every script finds the acceptance case file and a small one (three
		// sites, two detentions, a derived item, one anomaly) in its work dir.
		Setup: func(env *testscript.Env) error {
			for name, src := range map[string]string{"metastasis.jsonl": metastasis, "small.jsonl": filepath.Join("testdata", "small.jsonl")} {
				b, err := os.ReadFile(src)
				if err != nil {
					return err
				}
				if err := os.WriteFile(filepath.Join(env.WorkDir, name), b, 0o644); err != nil {
					return err
				}
			}
			return nil
		},
		// [pg]: a PostgreSQL test server is there. Its absence is an
		// error, not a skip, where PostgreSQL is required (pgtest.Required).
		Condition: func(cond string) (bool, error) {
			if cond != "pg" {
				return false, fmt.Errorf("unknown condition %q", cond)
			}
			if os.Getenv(pgtest.Env) != "" {
				return true, nil
			}
			if pgtest.Required() {
				return false, fmt.Errorf("%s is not set: this script needs a PostgreSQL server (scripts/setup-postgres)", pgtest.Env)
			}
			return false, nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exits":     cmdExits,
			"nlines":    cmdNLines,
			"jsonvalid": cmdJSONValid,
			"cmphist":   cmdCmpHist,
			"sql":       cmdSQL,
			"pgdb":      cmdPGDB,
			"pgsql":     cmdPGSQL,
		},
	})
}

// exits N PROG ARGS... runs PROG and checks that its exit status is N.
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits N PROG [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		got = ee.ExitCode()
	case err != nil:
		ts.Fatalf("%s: %v", args[1], err)
	}
	if got != want {
		ts.Fatalf("%s exited %d, want %d", strings.Join(args[1:], " "), got, want)
	}
}

// nlines FILE N checks that FILE (or stdout, stderr) has exactly N lines.
func cmdNLines(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: nlines FILE N")
	}
	want, err := strconv.Atoi(args[1])
	ts.Check(err)
	text := ts.ReadFile(args[0])
	got := strings.Count(text, "\n")
	if text != "" && !strings.HasSuffix(text, "\n") {
		got++
	}
	if got != want {
		ts.Fatalf("%s has %d lines, want %d:\n%s", args[0], got, want, text)
	}
}

// jsonvalid FILE checks that FILE (or stdout) holds exactly one JSON value.
func cmdJSONValid(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: jsonvalid FILE")
	}
	dec := json.NewDecoder(strings.NewReader(ts.ReadFile(args[0])))
	var v any
	err := dec.Decode(&v)
	if err == nil && dec.More() {
		err = errors.New("more than one JSON value")
	}
	if (err == nil) == neg {
		ts.Fatalf("%s: valid JSON = %v, want %v (%v)", args[0], err == nil, !neg, err)
	}
}

// cmphist A B compares two `item history --json` outputs, ignoring what only
// says when and through which import the events were recorded, and where in
// its log each deployment put them (seq), which must still be increasing.
func cmdCmpHist(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: cmphist A B")
	}
	load := func(name string) map[string]any {
		var h map[string]any
		ts.Check(json.Unmarshal([]byte(ts.ReadFile(name)), &h))
		evs, ok := h["events"].([]any)
		if !ok || len(evs) == 0 {
			ts.Fatalf("%s: no events", name)
		}
		last := -1.0
		for _, e := range evs {
			m := e.(map[string]any)
			seq, _ := m["seq"].(float64)
			if seq <= last {
				ts.Fatalf("%s: seq %v does not follow %v", name, m["seq"], last)
			}
			last = seq
			for _, k := range []string{"recorded_at", "recorded_by", "seq"} {
				if _, ok := m[k]; !ok {
					ts.Fatalf("%s: an event has no %s", name, k)
				}
				delete(m, k)
			}
		}
		return h
	}
	a, b := load(args[0]), load(args[1])
	if !reflect.DeepEqual(a, b) {
		ts.Fatalf("item histories %s and %s differ:\n%s\n%s", args[0], args[1], ts.ReadFile(args[0]), ts.ReadFile(args[1]))
	}
}

// sql DIR STATEMENT runs one SQL statement straight on a deployment's
// database, as an insider with database access could.
func cmdSQL(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: sql DIR STATEMENT")
	}
	st, err := sqlite.Open(context.Background(), filepath.Join(ts.MkAbs(args[0]), "custodia.db"))
	ts.Check(err)
	defer st.Close()
	res, err := st.DB().Exec(args[1])
	ts.Check(err)
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		ts.Fatalf("sql %q changed no row", args[1])
	}
}

// pgdb VAR creates a new, empty PostgreSQL database on the test server
// (pgtest) and sets VAR to its connection string; the database is dropped
// when the script ends.
func cmdPGDB(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: pgdb VAR")
	}
	base := os.Getenv(pgtest.Env)
	if base == "" {
		ts.Fatalf("%s is not set: this script needs a PostgreSQL server (scripts/setup-postgres); begin it with [!pg] skip", pgtest.Env)
	}
	dsn, drop, err := pgtest.Create(base)
	ts.Check(err)
	ts.Defer(func() { ts.Check(drop()) })
	ts.Setenv(args[0], dsn)
}

// pgsql DSN STATEMENT runs one SQL statement straight on a PostgreSQL
// database, as an insider with database access could; it must change a row.
func cmdPGSQL(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: pgsql DSN STATEMENT")
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, args[0])
	ts.Check(err)
	defer conn.Close(ctx)
	tag, err := conn.Exec(ctx, args[1])
	ts.Check(err)
	if tag.RowsAffected() == 0 {
		ts.Fatalf("pgsql %q changed no row", args[1])
	}
}
