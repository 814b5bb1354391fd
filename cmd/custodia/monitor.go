package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/custodia-ec/custodia/transparency/monitor"
)

// cmdMonitor is `custodia monitor`: it checks that checkpoints are
// consistent with each other. Exit status: 0 consistent, 1 a fork or
// inconsistency, 2 bad usage or input.
func cmdMonitor(e *env, args []string) int {
	fs := newFlagSet("monitor")
	var opts monitor.Options
	fs.Var((*listFlag)(&opts.Keys), "key", "")
	fs.StringVar(&opts.LogURL, "log", "", "")
	fs.Var((*listFlag)(&opts.Witnesses), "witness", "")
	asJSON := fs.Bool("json", false, "")
	files, err := e.flags(fs, args)
	if err != nil {
		return e.usageFail("monitor", err)
	}
	opts.Files = files
	// --key takes the key or a file holding it (DATA/log.pub), as verify's.
	for i, k := range opts.Keys {
		if b, err := os.ReadFile(k); err == nil {
			opts.Keys[i] = string(trimSpace(b))
		}
	}
	if len(opts.Files) == 0 && opts.LogURL == "" {
		return e.usageFail("monitor", usagef("faltan puntos de control / no checkpoints given"))
	}
	rep, err := monitor.Run(e.ctx, opts)
	if err != nil {
		// A missing file in the user's language, not the system's English.
		fmt.Fprintf(e.stderr, "custodia monitor: %s\n", e.message(err))
		return 2
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			fmt.Fprintln(e.stderr, err)
			return 2
		}
	} else {
		monitor.WriteText(e.stdout, rep)
	}
	switch {
	case rep.Forked():
		return 1
	case rep.Invalid():
		return 2
	}
	return 0
}
