package main

import (
	"bytes"
	"context"
	"runtime/debug"
	"strings"
	"testing"
)

// helpTopics are every command and every subcommand of the usage lines.
func helpTopics() [][]string {
	var topics [][]string
	for _, c := range commands() {
		topics = append(topics, []string{c.name})
		for _, s := range subcommands(c) {
			topics = append(topics, []string{c.name, s})
		}
	}
	return topics
}

// TestHelpEveryCommand: `custodia COMMAND [SUBCOMMAND] --help` and -h print
// that command's usage to stdout, in Spanish or (--lang en) English, and exit
// 0. It walks commands() and the subcommands named in their usage, so that a
// command added without help fails here.
func TestHelpEveryCommand(t *testing.T) {
	texts := helpTexts()
	for _, topic := range helpTopics() {
		name := strings.Join(topic, " ")
		t.Run(name, func(t *testing.T) {
			text, ok := texts[name]
			if !ok || strings.TrimSpace(text.es) == "" || strings.TrimSpace(text.en) == "" || text.es == text.en {
				t.Fatalf("helpTexts() has no Spanish and English help for %q", name)
			}
			for _, flag := range []string{"--help", "-h"} {
				for _, lang := range []struct{ flag, label, text string }{
					{"es", "uso: custodia " + name, text.es},
					{"en", "usage: custodia " + name, text.en},
				} {
					for _, args := range [][]string{
						append(append([]string{}, topic...), flag, "--lang", lang.flag),
						append([]string{"--lang", lang.flag}, append(append([]string{}, topic...), flag)...),
					} {
						code, out, errs := runCLI(t, args...)
						if code != 0 || errs != "" {
							t.Fatalf("custodia %s: exit %d, stderr %q", strings.Join(args, " "), code, errs)
						}
						if !strings.Contains(out, lang.label) || !strings.Contains(out, firstLine(lang.text)) {
							t.Fatalf("custodia %s: stdout lacks %q and the %s help:\n%s", strings.Join(args, " "), lang.label, lang.flag, out)
						}
					}
				}
			}
		})
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// TestHelpWithoutSubcommandListsThem: the help of a command with
// subcommands shows each of them; `custodia help COMMAND SUB` is the same as
// `custodia COMMAND SUB --help`; the help comes before anything is done.
func TestHelpWithoutSubcommandListsThem(t *testing.T) {
	_, out, _ := runCLI(t, "user", "--help", "--lang", "en")
	for _, s := range []string{"add", "list", "disable", "token", "reset"} {
		if !strings.Contains(out, "custodia user "+s) {
			t.Errorf("user --help lacks %q:\n%s", s, out)
		}
	}
	_, a, _ := runCLI(t, "help", "export", "bundle", "--lang", "en")
	_, b, _ := runCLI(t, "export", "bundle", "-h", "--lang=en")
	if a == "" || a != b {
		t.Errorf("help export bundle:\n%s\nexport bundle -h:\n%s", a, b)
	}
	if strings.Contains(b, "custodia export case ") {
		t.Errorf("export bundle -h shows other subcommands:\n%s", b)
	}
	// Help with the other arguments of a real call: nothing is created.
	dir := t.TempDir() + "/d"
	if code, out, _ := runCLI(t, "init", "--data", dir, "-h"); code != 0 || !strings.Contains(out, "custodia init") {
		t.Fatalf("init -h: %d %q", code, out)
	}
	if code, _, _ := runCLI(t, "audit", "--data", dir); code != 1 {
		t.Fatalf("init -h created a deployment")
	}
	// After "--" an -h is an argument, not a request for help.
	if code, out, errs := runCLI(t, "hash", "--", "-h"); code != 1 || out != "" || !strings.Contains(errs, `"-h": no existe`) {
		t.Fatalf("hash -- -h: %d %q %q", code, out, errs)
	}
}

// TestUnknownFlags: an unknown flag, before or after the subcommand, is a
// usage error (2) that names the flag as typed and points to the help.
func TestUnknownFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--bogus", "audit"}, "--bogus / unknown flag --bogus (custodia --help)"},
		{[]string{"-x"}, "unknown flag -x (custodia --help)"},
		{[]string{"audit", "--bogus"}, "unknown flag --bogus (custodia audit --help)"},
		{[]string{"user", "add", "A", "--rol=x"}, "unknown flag --rol (custodia user add --help)"},
		{[]string{"witness", "key", "--bogus"}, "unknown flag --bogus (custodia witness key --help)"},
		{[]string{"monitor", "x", "-bogus"}, "unknown flag -bogus (custodia monitor --help)"},
		{[]string{"hash", "x", "--bogus"}, "unknown flag --bogus (custodia hash --help)"},
		{[]string{"--data"}, "flag --data needs a value"},
		{[]string{"--lang", "fr", "audit"}, `invalid value "fr" for --lang`},
		{[]string{"audit", "--lang", "fr"}, `invalid value "fr" for --lang`},
		{[]string{"--json", "init"}, "--json no se aplica a / does not apply to custodia init"},
	} {
		code, out, errs := runCLI(t, tc.args...)
		if code != 2 || out != "" || !strings.Contains(errs, tc.want) {
			t.Errorf("custodia %s: exit %d, stdout %q, stderr %q; want 2 and %q", strings.Join(tc.args, " "), code, out, errs, tc.want)
		}
	}
}

// TestGlobalFlagsBeforeSubcommand: --data, --json and --lang before the
// subcommand act as after it, and after it they win.
func TestGlobalFlagsBeforeSubcommand(t *testing.T) {
	dir := t.TempDir()
	d := dir + "/d"
	mustRun(t, "--data", d, "init")
	mustRun(t, "--data="+d, "import", "testdata/small.jsonl")
	before := mustRun(t, "--json", "--data", d, "audit")
	after := mustRun(t, "audit", "--json", "--data", d)
	if before != after || !strings.HasPrefix(before, "{") {
		t.Fatalf("--json --data before audit:\n%s\nafter:\n%s", before, after)
	}
	// The same flag after the subcommand wins.
	if code, _, errs := runCLI(t, "--data", dir+"/nowhere", "audit", "--data", d); code != 0 {
		t.Fatalf("--data after the subcommand did not win: %s", errs)
	}
	// --lang before the subcommand: the messages' language.
	_, _, es := runCLI(t, "--lang", "es", "item", "history", "E-NONE", "--data", d)
	_, _, en := runCLI(t, "--lang", "en", "item", "history", "E-NONE", "--data", d)
	if es == en || !strings.Contains(es, "E-NONE") || !strings.Contains(en, "E-NONE") {
		t.Fatalf("--lang es: %q\n--lang en: %q", es, en)
	}
	// Nested subcommands take them too.
	var out bytes.Buffer
	if code := run(context.Background(), []string{"--data", d, "--json", "user", "list"}, &out, &out); code != 0 || !strings.HasPrefix(out.String(), "[") {
		t.Fatalf("--data --json user list: %d %s", code, out.String())
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"version"}, {"--data", "x", "--version"}} {
		code, out, errs := runCLI(t, args...)
		if code != 0 || errs != "" || !strings.HasPrefix(out, "custodia ") || strings.Count(out, "\n") != 1 {
			t.Errorf("custodia %s: %d %q %q", strings.Join(args, " "), code, out, errs)
		}
	}
	if code, _, _ := runCLI(t, "version", "extra"); code != 2 {
		t.Errorf("version extra: exit %d, want 2", code)
	}
	for _, tc := range []struct {
		bi   *debug.BuildInfo
		want string
	}{
		{nil, "custodia (devel)"},
		{&debug.BuildInfo{GoVersion: "go1.26.8"}, "custodia (devel) go1.26.8"},
		{&debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.3"}}, "custodia v1.2.3 go1.26.8"},
		{&debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "3f8e140c1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d"},
			{Key: "vcs.time", Value: "2026-12-05T07:00:00Z"},
			{Key: "vcs.modified", Value: "true"},
		}}, "custodia (devel) 3f8e140c1a2b+dirty 2026-12-05T07:00:00Z go1.26.8"},
	} {
		if got := versionOf(tc.bi); got != tc.want {
			t.Errorf("versionOf(%+v) = %q, want %q", tc.bi, got, tc.want)
		}
	}
}

// TestUsageNamesTheFlags: the usage lines name the flags a new user needs
// that they once left out (upload's --key, --at and --chunk; the server
// flags of every handover subcommand, which a note in English after the
// last one stood for), and the general help names --zone.
func TestUsageNamesTheFlags(t *testing.T) {
	for _, tc := range []struct {
		topic []string
		flags []string
	}{
		{[]string{"upload"}, []string{"--server", "--token", "--key", "--at", "--chunk", "--name", "--media-type"}},
		{[]string{"handover", "offer"}, []string{"--to", "--key", "--wait", "--server", "--token"}},
		{[]string{"handover", "list"}, []string{"--server", "--token"}},
		{[]string{"handover", "accept"}, []string{"--key", "--server", "--token"}},
		{[]string{"handover", "withdraw"}, []string{"--reason", "--server", "--token"}},
	} {
		_, out, _ := runCLI(t, append(append([]string{}, tc.topic...), "--help")...)
		usage := firstLine(out)
		for _, f := range tc.flags {
			if !strings.Contains(usage, f+" ") && !strings.HasSuffix(usage, f) && !strings.Contains(usage, f+"]") {
				t.Errorf("%s: the usage line lacks %s: %q", strings.Join(tc.topic, " "), f, usage)
			}
		}
		if strings.Contains(usage, "(with") {
			t.Errorf("%s: the Spanish usage line carries an English note: %q", strings.Join(tc.topic, " "), usage)
		}
	}
	if _, out, _ := runCLI(t, "--help"); !strings.Contains(out, "--zone") {
		t.Errorf("custodia --help does not name --zone:\n%s", out)
	}
}
