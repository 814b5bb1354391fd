// Package integrity re-hashes stored blobs to find the ones that rotted,
// vanished or were swapped behind the store's back.
//
// A blob store refuses wrong bytes on the way in (package blob), but disks
// rot, operators make mistakes and people with access to the disk or the
// bucket can change files. Custody records are only worth the bytes they
// point to, so those bytes are checked again, on demand (`custodia fsck`)
// and on a schedule in the server: [Check] reads one blob back and compares
// its SHA-256 and size with what the ledger recorded; [Scanner] runs Check
// over many blobs with a cap on the bytes per second it reads, so that a
// background job does not starve the server of I/O.
//
// This package decides and reports; recording each result as a ledger event
// and raising the alert is the caller's.
package integrity

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"

	"golang.org/x/time/rate"

	"github.com/custodia-ec/custodia/evidence/forensic"
	"github.com/custodia-ec/custodia/storage/blob"
)

// Problem says what is wrong with a blob.
type Problem string

// The problems a check finds. Each is a fact about the stored bytes, not
// about the checker: a check that could not be completed is an error of
// Check, not a Problem.
const (
	// Missing: the store has no blob under the key.
	Missing Problem = "missing"
	// Mismatch: the blob has the recorded size but its bytes no longer
	// hash to its key (a flipped bit, a file replaced by another of the
	// same size).
	Mismatch Problem = "mismatch"
	// Size: the blob's size differs from the recorded one (truncated,
	// appended to, replaced).
	Size Problem = "size"
	// Unreadable: the check could not read the blob (an I/O error of the
	// store, the store unreachable). Only Scanner reports it, so that a
	// scan goes on; it says nothing about the bytes and should be retried.
	Unreadable Problem = "unreadable"
)

// CheckResult is the outcome of one check: what the ledger event of the
// check records.
type CheckResult struct {
	Key          string  // the blob's key, its recorded SHA-256
	OK           bool    // the blob is there, with the recorded size and hash
	Problem      Problem // "" when OK
	ExpectedSize int64   // the recorded size; -1 if none was given
	GotSize      int64   // bytes read back; -1 when missing or unreadable
	GotSHA256    string  // SHA-256 of the bytes read back, hex; "" when missing or unreadable
	Detail       string  // for Unreadable, the error
}

// Check reads the blob stored under key, hashes it, and compares it with
// the key and with expectedSize (-1 to skip the size). A blob that is
// missing or wrong is a result, not an error; Check returns an error only
// when it could not finish reading (an I/O error, ctx done) or key is not a
// valid key.
func Check(ctx context.Context, store blob.Store, key string, expectedSize int64) (CheckResult, error) {
	return check(ctx, store, key, expectedSize, nil)
}

func check(ctx context.Context, store blob.Store, key string, expectedSize int64, lim *rate.Limiter) (CheckResult, error) {
	res := CheckResult{Key: key, ExpectedSize: expectedSize, GotSize: -1}
	if err := blob.CheckKey(key); err != nil {
		return res, err
	}
	rc, err := store.Get(ctx, key)
	if errors.Is(err, blob.ErrNotFound) {
		res.Problem = Missing
		return res, nil
	}
	if err != nil {
		return res, err
	}
	defer rc.Close()

	var r io.Reader = rc
	if lim != nil {
		r = &limitedReader{ctx: ctx, r: rc, lim: lim}
	}
	sums, err := forensic.Sum(ctx, r, forensic.SHA256, nil)
	if err != nil {
		return res, fmt.Errorf("blob %s: %w", key, err)
	}
	res.GotSize = sums.Size
	res.GotSHA256 = sums.Hex(forensic.SHA256)
	switch {
	case expectedSize >= 0 && sums.Size != expectedSize:
		res.Problem = Size
	case res.GotSHA256 != key:
		res.Problem = Mismatch
	default:
		res.OK = true
	}
	return res, nil
}

// Scanner checks many blobs one after the other, reading at most
// BytesPerSecond bytes per second in all. Its zero value is not usable: set
// Store.
type Scanner struct {
	// Store is where the blobs are.
	Store blob.Store

	// BytesPerSecond caps the read rate of a Scan; 0 means no cap. A
	// server's background job should leave most of the disk to requests:
	// a quarter of the disk's sequential throughput is a fair start.
	BytesPerSecond int64
}

// Summary counts what a Scan did.
type Summary struct {
	Checked  int   // blobs checked, whatever the outcome
	Problems int   // results that were not OK, Unreadable included
	Bytes    int64 // bytes read
}

// Scan checks each blob that keys yields (key and recorded size, -1 for
// unknown) and calls report with each result, in order, from the calling
// goroutine. A problem with one blob does not stop the scan; an error from
// report does, and so does ctx being done. A blob that cannot be read (an
// I/O error) is reported with Problem Unreadable and the scan goes on.
// Scan returns what it did and the error that stopped it, if any.
func (s *Scanner) Scan(ctx context.Context, keys iter.Seq2[string, int64], report func(CheckResult) error) (Summary, error) {
	var lim *rate.Limiter
	if s.BytesPerSecond > 0 {
		lim = rate.NewLimiter(rate.Limit(s.BytesPerSecond), burst(s.BytesPerSecond))
	}
	var sum Summary
	for key, size := range keys {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		res, err := check(ctx, s.Store, key, size, lim)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
				return sum, err
			}
			res = CheckResult{Key: key, ExpectedSize: size, GotSize: -1, Problem: Unreadable, Detail: err.Error()}
		}
		sum.Checked++
		if res.GotSize > 0 {
			sum.Bytes += res.GotSize
		}
		if !res.OK {
			sum.Problems++
		}
		if err := report(res); err != nil {
			return sum, err
		}
	}
	return sum, nil
}

// burst is how many bytes one read may take at once: small enough that the
// rate is smooth at a fraction of a second's scale, large enough that reads
// stay efficient.
func burst(bps int64) int {
	const most = 256 << 10
	return int(max(1, min(bps, most)))
}

// limitedReader waits for the limiter before returning bytes, and never
// reads more than the limiter's burst at once.
type limitedReader struct {
	ctx context.Context
	r   io.Reader
	lim *rate.Limiter
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if b := l.lim.Burst(); len(p) > b {
		p = p[:b]
	}
	n, err := l.r.Read(p)
	if n > 0 {
		if werr := l.lim.WaitN(l.ctx, n); werr != nil {
			if l.ctx.Err() == nil {
				// The limiter gives up early when the wait would
				// outlast ctx's deadline: that is the deadline.
				return n, fmt.Errorf("%w: %v", context.DeadlineExceeded, werr)
			}
			return n, l.ctx.Err()
		}
	}
	return n, err
}
