// Command hashmain is `custodia hash` on its own, so that bench/hash.sh can
// measure forensic.Main before the custodia command wires it.
package main

import (
	"context"
	"os"
	"os/signal"

	"github.com/custodia-ec/custodia/evidence/forensic"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := forensic.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
