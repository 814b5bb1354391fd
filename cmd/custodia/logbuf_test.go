package main

import (
	"strings"
	"testing"
	"time"
)

// TestServeLoggerBuffers: info lines are held back for at most the delay,
// a warning goes out at once with everything before it, and Flush empties
// the buffer.
func TestServeLoggerBuffers(t *testing.T) {
	var out lockedBuffer
	logger, logs := newServeLogger(&out)
	logger.Info("request", "route", "POST /api/v1/items/{item}/transfers", "status", 201)
	if out.String() != "" {
		t.Fatalf("an info line was written at once: %q", out.String())
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(out.String(), "status=201") {
		if time.Now().After(deadline) {
			t.Fatal("the buffered line was never written")
		}
		time.Sleep(10 * time.Millisecond)
	}
	logger.Info("second")
	logger.With("component", "committer").Warn("batch failed")
	got := out.String()
	if !strings.Contains(got, "msg=second") || !strings.Contains(got, "level=WARN") || !strings.Contains(got, "component=committer") {
		t.Fatalf("a warning did not flush the log at once: %q", got)
	}
	logger.Info("last")
	if err := logs.Flush(); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(out.String(), "msg=last\n") {
		t.Fatalf("Flush left the last line behind: %q", out.String())
	}
}
