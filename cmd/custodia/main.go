// Command custodia runs a Custodia deployment: a verifiable record of
// operations, detentions and chain of custody.
//
// Every command takes --data DIR (default ./custodia-data) and, where its
// output is data, --json, before or after the command's name. It exits 0 on
// success and 1 on failure, with a one-line reason on stderr (2 for a usage
// error). Messages are Spanish unless --lang en, CUSTODIA_LANG or LANG asks
// for English. `custodia COMMAND --help` prints a command's usage (help.go);
// `custodia --version` the build's version.
//
// All flag parsing of Custodia is here: the library packages take typed
// options (scripts/layers checks that no other package imports flag).
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
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/custodia-ec/custodia/casefile"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/internal/zone"
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
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	lang   string
	loc    *time.Location // --zone, when given
	now    func() time.Time
	// global holds the common flags given before the subcommand (by name,
	// without dashes: data, json, lang, zone), which apply as if given
	// after it.
	global map[string]string
}

type command struct {
	name string
	// usage is the synopsis: alternatives separated by " | ", each starting
	// with the command's name and, for a command with subcommands, the
	// subcommand's (help.go finds the subcommands there).
	usage string
	run   func(e *env, args []string) error
	// main is set for the commands that print their own errors and choose
	// their own exit status.
	main func(e *env, args []string) int
}

func commands() []command {
	return []command{
		{name: "init", usage: "init [--data DIR] [--origin NAME] [--db postgres://USER@HOST/DB] [--s3-endpoint HOST:PORT --s3-bucket B [--s3-prefix P] [--s3-region R] [--s3-insecure]]", run: cmdInit},
		{name: "import", usage: "import FILE.jsonl|EXPORT-DIR [--data DIR]", run: cmdImport},
		{name: "report", usage: "report operation OP [--as-of TIME] [--json | -o FILE.pdf|FILE.csv] [--lang es|en] | report item ITEM -o FILE.pdf [--lang es|en] | report detentions CASE -o FILE.pdf|FILE.csv [--as-of TIME] [--lang es|en]", run: cmdReport},
		{name: "label", usage: "label ITEM... -o FILE.pdf [--sheet thermal|a4]", run: cmdLabel},
		{name: "item", usage: "item history ITEM [--json]", run: cmdItem},
		{name: "export", usage: "export case CASE -o FILE.jsonl | export case CASE -o DIR/ (case.jsonl + blobs/) | export bundle ITEM -o FILE [--from-size N] [--tlog-proofs DIR] | export case-uco CASE -o FILE.jsonld [--base IRI]", run: cmdExport},
		{name: "audit", usage: "audit [--since-checkpoint N] [--json]", run: cmdAudit},
		{name: "migrate", usage: "migrate --to postgres://USER@HOST/DB [--data DIR] [--json]", run: cmdMigrate},
		{name: "checkpoint", usage: "checkpoint", run: cmdCheckpoint},
		{name: "upload", usage: "upload ITEM FILE [--server URL] [--token TOKEN] [--key FILE] [--name NAME] [--media-type T] [--at TIME] [--chunk BYTES]", run: cmdUpload},
		{name: "fsck", usage: "fsck [--case CASE] [--rate BYTES/S] [--json]", run: cmdFsck},
		{name: "serve", usage: "serve [--data DIR] [--addr 127.0.0.1:8080] [--demo] [--policy FILE] [--check-interval 24h] [--check-rate BYTES/S] [--public-url https://...] [--metrics-addr HOST:PORT]", run: cmdServe},
		{name: "user", usage: "user add ACCOUNT --role ROLE [--officer ID] [--case CASE] | user list [--json] | user disable ACCOUNT | user token ACCOUNT [--scope read|write] [--case CASE] | user token --revoke ID | user reset ACCOUNT", run: cmdUser},
		{name: "key", usage: "key new -o FILE | key add FILE --officer ID [--label TEXT] | key list [--officer ID] [--json] | key revoke KEY --reason TEXT", run: cmdKey},
		{name: "handover", usage: "handover offer ITEM --to OFFICER --key FILE [--purpose P] [--seal-condition C] [--seal S] [--location L] [--at TIME] [--wait 2h] [--server URL] [--token TOKEN] | handover list [--server URL] [--token TOKEN] | handover accept ID --key FILE [--server URL] [--token TOKEN] | handover withdraw ID [--reason TEXT] [--server URL] [--token TOKEN]", run: cmdHandover},
		{name: "settings", usage: "settings [--json] | settings set NAME=MINUTES... (rights_notice_minutes, hearing_minutes, clock_skew_minutes)", run: cmdSettings},
		{name: "access", usage: "access CASE [--since TIME] [--json]", run: cmdAccess},
		{name: "verify", usage: "verify FILE [--key KEY] [--checkpoint FILE] [--policy FILE] [--require-signatures] [--json]", run: cmdVerify},
		{name: "demo", usage: "demo [--keep]", run: cmdDemo},
		{name: "hash", usage: "hash FILE... [--algo md5,sha1,sha256] [--json]", main: cmdHash},
		{name: "witness", usage: "witness serve --data DIR [--addr HOST:PORT] [--name NAME] [--log ORIGIN=VKEY]... | witness key --data DIR [--name NAME]", main: cmdWitness},
		{name: "monitor", usage: "monitor FILE... [--key VKEY] [--log URL] [--witness VKEY]... [--json]", main: cmdMonitor},
		{name: "analyze", usage: "analyze import ITEM FILE --format whatsapp|telegram|vcard|calls-csv|payments-csv [--mapping FILE] [--data DIR] | analyze path CASE FROM TO [--after TIME] [--max-gap DURATION] [--json] | analyze brokers CASE [--top N] [--json] | analyze search CASE QUERY [--json] | analyze export CASE --format ftm|gexf|graphml|csv -o FILE | analyze review CASE [--limit N] [--json] | analyze merge CASE A B --by ACCOUNT [--note TEXT] [--json] | analyze split CASE A B --by ACCOUNT [--note TEXT] [--json] | analyze revert CASE DECISION --by ACCOUNT [--note TEXT]", run: cmdAnalyze},
		{name: "version", usage: "version", run: cmdVersion},
	}
}

// usageError is a mistake in how a command was called: exit status 2.
type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// usageWhy is a usage error that says first what is wrong (a missing
// argument or flag, an unknown subcommand), then the synopsis.
func usageWhy(es, en, synopsis string) error {
	return usagef("%s / %s: %s", es, en, synopsis)
}

// subcommandWhy says why pos is not one of valid followed by want
// arguments in all.
func subcommandWhy(pos []string, want int, synopsis string, valid ...string) error {
	if len(pos) == 0 {
		return usageWhy("falta la suborden ("+strings.Join(valid, ", ")+")", "missing subcommand ("+strings.Join(valid, ", ")+")", synopsis)
	}
	for _, v := range valid {
		if pos[0] != v {
			continue
		}
		if len(pos) < want {
			return usageWhy("falta un argumento de "+v, "missing an argument of "+v, synopsis)
		}
		return usageWhy(fmt.Sprintf("sobra %q", pos[want]), fmt.Sprintf("unexpected %q", pos[want]), synopsis)
	}
	return usageWhy(fmt.Sprintf("suborden desconocida %q; se admiten: %s", pos[0], strings.Join(valid, ", ")),
		fmt.Sprintf("unknown subcommand %q; one of: %s", pos[0], strings.Join(valid, ", ")), synopsis)
}

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

// commonFlag says whether name is a flag that may come before the
// subcommand, and whether it takes a value. --help and --version are
// handled apart.
func commonFlag(name string) (takesValue, ok bool) {
	switch name {
	case "data", "lang", "zone":
		return true, true
	case "json":
		return false, true
	}
	return false, false
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	e := &env{ctx: ctx, stdin: os.Stdin, stdout: stdout, stderr: stderr, lang: langFromEnv(), now: time.Now, global: map[string]string{}}
	args, help, version, err := e.globalFlags(args)
	if err != nil {
		fmt.Fprintf(stderr, "custodia: %s\n", e.message(err))
		return 2
	}
	switch {
	case version:
		fmt.Fprintln(stdout, versionLine())
		return 0
	case len(args) == 0 && help:
		printUsage(stdout)
		return 0
	case len(args) == 0:
		printUsage(stderr)
		return 2
	case args[0] == "help":
		return e.helpCommand(args[1:])
	}
	var c command
	for _, x := range commands() {
		if x.name == args[0] {
			c = x
		}
	}
	if c.name == "" {
		fmt.Fprintf(stderr, "custodia: orden desconocida %q / unknown command %q (custodia --help)\n", args[0], args[0])
		printUsage(stderr)
		return 2
	}
	args = args[1:]
	if e.scanHelp(args) || help {
		if err := e.printHelp(stdout, c, subcommandIn(c, args)); err != nil {
			fmt.Fprintf(stderr, "custodia %s: %v\n", c.name, err)
			return 1
		}
		return 0
	}
	if c.main != nil {
		return c.main(e, args)
	}
	err = c.run(e, args)
	if err == nil {
		return 0
	}
	if errors.Is(err, flag.ErrHelp) {
		if err := e.printHelp(stdout, c, subcommandIn(c, args)); err != nil {
			return 1
		}
		return 0
	}
	var u usageError
	if errors.As(err, &u) {
		fmt.Fprintf(stderr, "custodia %s: %s\nuso/usage: custodia %s\n", c.name, u.msg, c.usage)
		return 2
	}
	fmt.Fprintf(stderr, "custodia %s: %s\n", c.name, e.message(err))
	return 1
}

// globalFlags reads the flags before the subcommand: the common ones
// (--data, --json, --lang), --help and --version. It returns the subcommand
// and what follows it.
func (e *env) globalFlags(args []string) (rest []string, help, version bool, err error) {
	for len(args) > 0 {
		a := args[0]
		if a == "--" {
			return args[1:], help, version, nil
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			break
		}
		args = args[1:]
		name, val, hasVal := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-"), "=")
		switch name {
		case "h", "help":
			help = true
			continue
		case "version":
			version = true
			continue
		}
		takesValue, common := commonFlag(name)
		if !common {
			return nil, false, false, usagef("opción desconocida %s / unknown flag %s (custodia --help)", a, a)
		}
		if takesValue && !hasVal {
			if len(args) == 0 {
				return nil, false, false, usagef("a la opción %s le falta su valor / flag %s needs a value (custodia --help)", a, a)
			}
			val, args = args[0], args[1:]
		}
		if !takesValue {
			if !hasVal {
				val = "true"
			}
			if _, err := strconv.ParseBool(val); err != nil {
				return nil, false, false, usagef("valor no válido %q para --%s / invalid value %q for --%s (custodia --help)", val, name, val, name)
			}
		}
		if name == "lang" {
			if _, err := docLang(val); err != nil {
				return nil, false, false, usagef("valor no válido %q para --lang / invalid value %q for --lang: es, en", val, val)
			}
			e.lang = val
		}
		if name == "zone" {
			loc, err := zone.Load(val)
			if err != nil {
				return nil, false, false, usagef("--zone: %v", err)
			}
			e.loc = loc
		}
		e.global[name] = val
	}
	return args, help, version, nil
}

// scanHelp reports whether the arguments after the subcommand ask for help
// (-h, --help), and then takes the language of the help from --lang, which
// may come later. (Otherwise --lang is the command's to read: for report it
// is the document's language, not the messages'.) "--" ends the flags.
func (e *env) scanHelp(args []string) bool {
	help, lang := false, ""
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		name, val, hasVal := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-"), "=")
		if !strings.HasPrefix(a, "-") {
			continue
		}
		switch name {
		case "h", "help":
			help = true
		case "lang":
			if !hasVal && i+1 < len(args) {
				i++
				val = args[i]
			}
			if val == "es" || val == "en" {
				lang = val
			}
		}
	}
	if help && lang != "" {
		e.lang = lang
	}
	return help
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
		var ok bool
		if msg, ok = e.plainError(err); !ok {
			msg = err.Error()
		}
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
	fmt.Fprintln(w, "\nOpciones comunes / common flags: --data DIR (por omisión/default ./custodia-data), --json, --lang es|en,")
	fmt.Fprintln(w, "--zone ZONA/ZONE (IANA; por omisión/default $CUSTODIA_ZONE o/or America/Guayaquil),")
	fmt.Fprintln(w, "antes o después de la orden / before or after the command.")
	fmt.Fprintln(w, "custodia ORDEN --help: ayuda de una orden / a command's help. custodia --version: versión / version.")
}

// newFlagSet is a flag set whose errors are returned, not printed.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

func newFlags(name string) (*flag.FlagSet, *string) {
	fs := newFlagSet(name)
	data := fs.String("data", "custodia-data", "data directory")
	return fs, data
}

// flags parses flags that may come before, between or after positional
// arguments, and returns the positionals; "--" ends the flags. The common
// flags given before the subcommand apply first, so that the same flag after
// it wins. Every command accepts --lang (the language of its messages).
func (e *env) flags(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	if fs.Lookup("lang") == nil {
		fs.Func("lang", "language of the messages: es or en", func(v string) error {
			if v != "es" && v != "en" {
				return errors.New("es, en")
			}
			e.lang = v
			return nil
		})
	}
	if fs.Lookup("zone") == nil {
		fs.Func("zone", "IANA time zone times are shown in (default $CUSTODIA_ZONE or "+zone.DefaultName+")", func(v string) error {
			loc, err := zone.Load(v)
			if err != nil {
				return err
			}
			e.loc = loc
			return nil
		})
	}
	for _, name := range []string{"data", "json", "lang", "zone"} {
		v, ok := e.global[name]
		if !ok {
			continue
		}
		if fs.Lookup(name) == nil {
			return nil, usagef("--%s no se aplica a / does not apply to custodia %s (custodia %s --help)", name, fs.Name(), fs.Name())
		}
		if err := fs.Set(name, v); err != nil {
			return nil, usagef("--%s: %v", name, err)
		}
	}
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, flagError(err, args, fs.Name())
		}
		rest := fs.Args()
		consumed := args[:len(args)-len(rest)]
		if len(consumed) > 0 && consumed[len(consumed)-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// flagError turns an error of the flag package (English only, and naming
// the flag with one dash) into a usage error that names the flag as it was
// typed, in both languages, and points to the command's help.
func flagError(err error, args []string, cmd string) error {
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	msg := err.Error()
	hint := fmt.Sprintf("(custodia %s --help)", cmd)
	typed := func(name string) string {
		for _, a := range args {
			n, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
			if strings.HasPrefix(a, "-") && n == name {
				s, _, _ := strings.Cut(a, "=")
				return s
			}
		}
		return "--" + name
	}
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		f := typed(name)
		return usagef("opción desconocida %s / unknown flag %s %s", f, f, hint)
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: -"); ok {
		f := typed(name)
		return usagef("a la opción %s le falta su valor / flag %s needs a value %s", f, f, hint)
	}
	var val, name, why string
	if n, _ := fmt.Sscanf(msg, "invalid boolean value %q for -%s", &val, &name); n == 2 {
		name = strings.TrimSuffix(name, ":")
		f := typed(name)
		return usagef("valor no válido %q para %s / invalid value %q for %s: true, false %s", val, f, val, f, hint)
	}
	if n, _ := fmt.Sscanf(msg, "invalid value %q for flag -%s", &val, &name); n == 2 {
		name = strings.TrimSuffix(name, ":")
		_, why, _ = strings.Cut(msg, ": ")
		f := typed(name)
		return usagef("valor no válido %q para %s / invalid value %q for %s: %s %s", val, f, val, f, why, hint)
	}
	return usagef("%s %s", msg, hint)
}
