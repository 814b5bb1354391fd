// Command crashtest kills a loaded `custodia serve` with SIGKILL at random
// moments, many times, and checks after each restart that every
// acknowledged transfer is in the log and that `custodia audit` exits 0.
//
//	go run ./bench/crashtest -bin ./custodia -rounds 10
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/custodia-ec/custodia/internal/loadgen"
)

func main() {
	bin := flag.String("bin", "./custodia", "custodia binary")
	data := flag.String("data", "", "empty data directory (default: a temporary one)")
	rounds := flag.Int("rounds", 10, "kills")
	clients := flag.Int("clients", 32, "concurrent clients")
	minRun := flag.Duration("min", 300*time.Millisecond, "shortest load before a kill")
	maxRun := flag.Duration("max", 3*time.Second, "longest load before a kill")
	flag.Parse()
	if *data == "" {
		dir, err := os.MkdirTemp("", "custodia-crash-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		defer os.RemoveAll(dir)
		*data = dir + "/data"
	}
	n, err := loadgen.Crash(context.Background(), loadgen.CrashConfig{Binary: *bin, Data: *data, Rounds: *rounds, Clients: *clients, MinRun: *minRun, MaxRun: *maxRun, Log: os.Stdout})
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		os.Exit(1)
	}
	fmt.Printf("ok: %d rounds, %d acknowledged transfers all in the log, audit clean after every kill\n", *rounds, n)
}
