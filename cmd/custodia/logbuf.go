package main

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// logBuffer gathers the server's log lines into fewer writes. The request
// log has a line per request, and a write system call for each was 2-3% of
// the server's CPU under load (bench/load). A line reaches w at most delay
// after it was logged, at once when the buffer is full, and on Close; a
// warning or an error goes out at once (see newServeLogger). A crash loses
// at most delay of request lines, never a ledger record.
type logBuffer struct {
	mu    sync.Mutex
	w     *bufio.Writer
	delay time.Duration
	timer *time.Timer // armed while the buffer holds lines
}

func newLogBuffer(w io.Writer, delay time.Duration) *logBuffer {
	return &logBuffer{w: bufio.NewWriterSize(w, 64<<10), delay: delay}
}

// Write buffers p, one log line.
func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n, err := b.w.Write(p)
	if b.w.Buffered() > 0 && b.timer == nil {
		b.timer = time.AfterFunc(b.delay, func() { b.Flush() })
	}
	return n, err
}

// Flush writes out what is buffered.
func (b *logBuffer) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.timer != nil {
		b.timer.Stop()
		b.timer = nil
	}
	return b.w.Flush()
}

// flushing is a slog handler that flushes its logBuffer after every record
// of level warning or above, so that problems are never held back.
type flushing struct {
	slog.Handler
	b *logBuffer
}

func (h flushing) Handle(ctx context.Context, r slog.Record) error {
	err := h.Handler.Handle(ctx, r)
	if r.Level >= slog.LevelWarn {
		h.b.Flush()
	}
	return err
}

func (h flushing) WithAttrs(as []slog.Attr) slog.Handler {
	return flushing{h.Handler.WithAttrs(as), h.b}
}

func (h flushing) WithGroup(name string) slog.Handler {
	return flushing{h.Handler.WithGroup(name), h.b}
}

// newServeLogger is the server's logger: text lines to w through a
// logBuffer, which the caller flushes when the server stops.
func newServeLogger(w io.Writer) (*slog.Logger, *logBuffer) {
	b := newLogBuffer(w, 100*time.Millisecond)
	return slog.New(flushing{slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelInfo}), b}), b
}
