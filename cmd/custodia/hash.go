package main

import (
	"encoding/json"
	"fmt"

	"github.com/custodia-ec/custodia/evidence/forensic"
)

// cmdHash is `custodia hash FILE... [--algo LIST] [--json]`. It writes the
// digests to stdout, and to stderr a progress bar (only when stderr is a
// terminal) and one line per error. Every file is hashed even when one
// fails, as sha256sum does; the status is then 1.
func cmdHash(e *env, args []string) int {
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(e.stderr, "custodia hash: "+format+"\n", a...)
		return code
	}
	fs := newFlagSet("hash")
	algoFlag := fs.String("algo", "md5,sha1,sha256", "")
	jsonFlag := fs.Bool("json", false, "")
	files, err := e.flags(fs, args)
	if err != nil {
		return fail(2, "%v", err)
	}
	algos, err := forensic.ParseAlgos(*algoFlag)
	if err != nil {
		return fail(2, "--algo: %v", err)
	}
	if len(files) == 0 {
		return fail(2, "falta ARCHIVO / missing FILE (custodia hash --help)")
	}

	opts := forensic.FileOptions{Algos: algos, Stdin: e.stdin}
	if isTerminal(e.stderr) {
		opts.Progress = e.stderr
	}
	status := 0
	var results []forensic.Result
	for _, name := range files {
		res, err := forensic.HashFile(e.ctx, name, opts)
		if err != nil {
			status = fail(1, "%v", err)
			if e.ctx.Err() != nil {
				break
			}
			continue
		}
		if *jsonFlag {
			results = append(results, res)
			continue
		}
		if err := forensic.WriteBSD(e.stdout, res, algos); err != nil {
			return fail(1, "%v", err)
		}
	}
	if *jsonFlag {
		if results == nil {
			results = []forensic.Result{}
		}
		out, _ := json.MarshalIndent(results, "", "  ")
		fmt.Fprintf(e.stdout, "%s\n", out)
	}
	return status
}
