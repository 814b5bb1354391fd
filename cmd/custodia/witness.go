package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/custodia-ec/custodia/transparency/witness"
)

// cmdWitness is `custodia witness serve|key`: an independent witness with
// its own data directory (see package witness). serve runs until the
// command is interrupted, then shuts down gracefully. Errors are printed as
// they are, one line.
func cmdWitness(e *env, args []string) int {
	sub := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sub, args = args[0], args[1:]
	}
	if sub != "serve" && sub != "key" {
		return e.usageFail("witness", usagef("orden desconocida %q / unknown command %q", sub, sub))
	}
	fs := newFlagSet("witness " + sub)
	data := fs.String("data", "", "")
	name := fs.String("name", "", "")
	addr := fs.String("addr", witness.DefaultAddr, "")
	var logs listFlag
	fs.Var(&logs, "log", "")
	pos, err := e.flags(fs, args)
	if err != nil {
		return e.usageFail("witness", err)
	}
	if len(pos) > 0 {
		return e.usageFail("witness", usagef("argumento inesperado %q / unexpected argument %q", pos[0], pos[0]))
	}
	if *data == "" {
		return e.usageFail("witness", usagef("falta --data / missing --data"))
	}
	if sub == "key" {
		cos, err := witness.KeyOfDir(*data, *name)
		if err != nil {
			fmt.Fprintln(e.stderr, err)
			return 1
		}
		fmt.Fprintln(e.stdout, cos.VerifierKey())
		return 0
	}
	opts := witness.DirOptions{Dir: *data, Addr: *addr, Name: *name, Logs: logs}
	if err := witness.ServeDir(e.ctx, opts, e.stdout); err != nil {
		fmt.Fprintln(e.stderr, err)
		return 1
	}
	return 0
}

// usageFail reports a usage error of the command called name as run does,
// and returns exit status 2.
func (e *env) usageFail(name string, err error) int {
	var u usageError
	if !errors.As(err, &u) {
		u.msg = err.Error()
	}
	fmt.Fprintf(e.stderr, "custodia %s: %s\nuso/usage: custodia %s\n", name, u.msg, synopsis(name))
	return 2
}

// synopsis is the usage line of the command called name.
func synopsis(name string) string {
	for _, c := range commands() {
		if c.name == name {
			return c.usage
		}
	}
	return name
}
