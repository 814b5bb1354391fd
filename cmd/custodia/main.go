// Command custodia runs a Custodia deployment: a verifiable record of
// operations, detentions and chain of custody.
//
// Every command takes --data DIR (default ./custodia-data) and, where its
// output is data, --json. It exits 0 on success and 1 on failure, with a
// one-line reason on stderr (2 for a usage error). Messages are Spanish
// unless CUSTODIA_LANG or LANG asks for English.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/custodia-ec/custodia/casefile"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/evidence/forensic"
	"github.com/custodia-ec/custodia/transparency/monitor"
	"github.com/custodia-ec/custodia/transparency/witness"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	done := profile(os.Getenv("CUSTODIA_CPUPROFILE"))
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	done()
	stop()
	os.Exit(code)
}

// profile writes a CPU profile of the whole command to path when it is set
// (CUSTODIA_CPUPROFILE, for the benchmarks under bench/), and returns what
// ends it. A profile holds no case data, only function names and times.
func profile(path string) func() {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "custodia: CUSTODIA_CPUPROFILE:", err)
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

// env is what every command gets.
type env struct {
	ctx    context.Context
	stdout io.Writer
	stderr io.Writer
	lang   string
	now    func() time.Time
}

type command struct {
	name  string
	usage string
	run   func(e *env, args []string) error
	// main is set for commands that live in their own package with a
	// main-like entry point, which prints its own errors.
	main func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{name: "init", usage: "init [--data DIR] [--origin NAME] [--s3-endpoint HOST:PORT --s3-bucket B [--s3-prefix P] [--s3-region R] [--s3-insecure]]", run: cmdInit},
		{name: "import", usage: "import FILE.jsonl|EXPORT-DIR [--data DIR]", run: cmdImport},
		{name: "report", usage: "report operation OP [--as-of TIME] [--json | -o FILE.pdf|FILE.csv] [--lang es|en] | report item ITEM -o FILE.pdf [--lang es|en] | report detentions CASE -o FILE.pdf|FILE.csv [--as-of TIME] [--lang es|en]", run: cmdReport},
		{name: "label", usage: "label ITEM... -o FILE.pdf [--sheet thermal|a4]", run: cmdLabel},
		{name: "item", usage: "item history ITEM [--json]", run: cmdItem},
		{name: "export", usage: "export case CASE -o FILE.jsonl | export case CASE -o DIR/ (case.jsonl + blobs/) | export bundle ITEM -o FILE [--from-size N] [--tlog-proofs DIR] | export case-uco CASE -o FILE.jsonld [--base IRI]", run: cmdExport},
		{name: "audit", usage: "audit [--json]", run: cmdAudit},
		{name: "checkpoint", usage: "checkpoint", run: cmdCheckpoint},
		{name: "upload", usage: "upload ITEM FILE [--server URL] [--token TOKEN] [--name NAME] [--media-type T]", run: cmdUpload},
		{name: "fsck", usage: "fsck [--case CASE] [--rate BYTES/S] [--json]", run: cmdFsck},
		{name: "serve", usage: "serve [--data DIR] [--addr 127.0.0.1:8080] [--demo] [--policy FILE] [--check-interval 24h] [--check-rate BYTES/S] [--public-url https://...] [--metrics-addr HOST:PORT]", run: cmdServe},
		{name: "user", usage: "user add ACCOUNT --role ROLE [--officer ID] [--case CASE] | user list [--json] | user disable ACCOUNT | user token ACCOUNT [--scope read|write] [--case CASE] | user token --revoke ID | user reset ACCOUNT", run: cmdUser},
		{name: "settings", usage: "settings [--json] | settings set NAME=MINUTES... (rights_notice_minutes, hearing_minutes, clock_skew_minutes)", run: cmdSettings},
		{name: "access", usage: "access CASE [--since TIME] [--json]", run: cmdAccess},
		{name: "verify", usage: "verify FILE [--key KEY] [--checkpoint FILE] [--policy FILE] [--json]", run: cmdVerify},
		{name: "demo", usage: "demo [--keep]", run: cmdDemo},
		{name: "hash", usage: "hash FILE... [--algo md5,sha1,sha256] [--json]", main: forensic.Main},
		{name: "witness", usage: "witness serve --data DIR [--addr HOST:PORT] [--log ORIGIN=VKEY]... | witness key --data DIR", main: witness.Main},
		{name: "monitor", usage: "monitor FILE... [--key VKEY] [--log URL] [--witness VKEY]... [--json]", main: monitor.Main},
	}
}

// usageError is a mistake in how a command was called: exit status 2.
type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

func langFromEnv() string {
	for _, v := range []string{os.Getenv("CUSTODIA_LANG"), os.Getenv("LC_ALL"), os.Getenv("LANG")} {
		if v == "" {
			continue
		}
		if strings.HasPrefix(v, "en") {
			return "en"
		}
		return "es"
	}
	return "es"
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	e := &env{ctx: ctx, stdout: stdout, stderr: stderr, lang: langFromEnv(), now: time.Now}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name == args[0] {
			if c.main != nil {
				return c.main(ctx, args[1:], stdout, stderr)
			}
			err := c.run(e, args[1:])
			if err == nil {
				return 0
			}
			var u usageError
			if errors.As(err, &u) {
				fmt.Fprintf(stderr, "custodia %s: %s\nuso/usage: custodia %s\n", c.name, u.msg, c.usage)
				return 2
			}
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			fmt.Fprintf(stderr, "custodia %s: %s\n", c.name, e.message(err))
			return 1
		}
	}
	fmt.Fprintf(stderr, "custodia: orden desconocida %q / unknown command %q\n", args[0], args[0])
	printUsage(stderr)
	return 2
}

// message renders an error on one line in the user's language.
func (e *env) message(err error) string {
	var le *casefile.LineError
	var ce *custody.Error
	var msg string
	switch {
	case errors.As(err, &le):
		msg = le.Localized(e.lang)
	case errors.As(err, &ce):
		msg = ce.Localized(e.lang)
	default:
		msg = err.Error()
	}
	return strings.ReplaceAll(msg, "\n", " ")
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "Custodia: registro verificable de operativos, detenciones y cadena de custodia.")
	fmt.Fprintln(w, "A verifiable record of operations, detentions and chain of custody.")
	fmt.Fprintln(w, "\nuso/usage:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  custodia %s\n", c.usage)
	}
	fmt.Fprintln(w, "\nOpciones comunes / common flags: --data DIR (por omisión/default ./custodia-data), --json")
}

// flags parses flags that may come before, between or after positional
// arguments, and returns the positionals.
func flags(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usagef("%v", err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func newFlags(name string) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	data := fs.String("data", "custodia-data", "data directory")
	return fs, data
}
