// Command witnessmain runs witness.Main, so that tests can start witnesses
// as separate processes without the full custodia command.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/custodia-ec/custodia/transparency/witness"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := witness.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
