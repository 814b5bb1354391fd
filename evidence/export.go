package evidence

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/evidence/integrity"
	"github.com/custodia-ec/custodia/internal/durable"
	"github.com/custodia-ec/custodia/ledger"
	"github.com/custodia-ec/custodia/storage/blob"
	"github.com/custodia-ec/custodia/storage/blob/fsblob"
)

// Files of a case export directory: the case file, and the blobs as a
// filesystem store (DIR/blobs/sha256/ab/cd/abcd…, fsblob's layout, so that
// the directory is itself a store anyone can check with sha256sum).
const (
	CaseFile    = "case.jsonl"
	ExportBlobs = "blobs"
)

// ExportResult says what ExportCase wrote.
type ExportResult struct {
	Records int      // lines of case.jsonl
	Blobs   int      // files copied
	Bytes   int64    // their bytes
	Missing []string // attachments whose blob the store lacks (sha256), not exported
}

// ExportCase writes a case into dir: dir/case.jsonl and every blob the case
// references that the store holds, each verified against its hash on the
// way (blob.Store.Put does). dir is created if needed; blobs already there
// are kept if they match.
func ExportCase(ctx context.Context, l *ledger.Ledger, store blob.Store, caseID, dir string) (*ExportResult, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	refs, err := Expected(ctx, l, store, caseID)
	if err != nil {
		return nil, err
	}
	out, err := fsblob.Open(filepath.Join(dir, ExportBlobs))
	if err != nil {
		return nil, err
	}
	res := &ExportResult{}
	done := map[string]bool{}
	for _, r := range refs {
		if done[r.SHA256] {
			continue
		}
		done[r.SHA256] = true
		rc, err := store.Get(ctx, r.SHA256)
		if errors.Is(err, blob.ErrNotFound) {
			res.Missing = append(res.Missing, r.SHA256)
			continue
		}
		if err != nil {
			return nil, err
		}
		cr := &countReader{r: rc}
		err = out.Put(ctx, r.SHA256, cr, r.Size)
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", r.Item, r.SHA256, err)
		}
		res.Blobs++
		res.Bytes += cr.n
	}
	var n int
	err = durable.WriteFunc(filepath.Join(dir, CaseFile), 0o644, func(f io.Writer) error {
		w := bufio.NewWriterSize(f, 1<<20)
		var err error
		if n, err = l.ExportCase(ctx, caseID, w); err != nil {
			return err
		}
		return w.Flush()
	})
	if err != nil {
		return nil, err
	}
	res.Records = n
	return res, nil
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// fileRef is a file a case-file line references.
type fileRef struct {
	Line   int
	SHA256 string
	Size   int64
}

// refsOf reads the sha256 and size of every evidence.attach and
// evidence.derive line of a case file. It is lenient: the import that
// follows decodes every line strictly and reports errors by line.
func refsOf(data []byte) []fileRef {
	var out []fileRef
	for i, line := range bytes.Split(data, []byte("\n")) {
		var v struct {
			Op     string `json:"op"`
			SHA256 string `json:"sha256"`
			Size   *int64 `json:"size"`
		}
		if json.Unmarshal(line, &v) != nil || v.SHA256 == "" || (v.Op != custody.OpAttach && v.Op != custody.OpDerive) {
			continue
		}
		size := int64(-1)
		if v.Size != nil {
			size = *v.Size
		}
		out = append(out, fileRef{Line: i + 1, SHA256: v.SHA256, Size: size})
	}
	return out
}

// ImportResult says what ImportDir did.
type ImportResult struct {
	*ledger.ImportResult
	Blobs   int   // blobs checked and stored
	Bytes   int64 // their bytes
	Missing int   // attachments of the case file with no blob in the directory
}

// IsExportDir reports whether dir looks like a case export (a directory
// with case.jsonl).
func IsExportDir(dir string) bool {
	st, err := os.Stat(filepath.Join(dir, CaseFile))
	return err == nil && st.Mode().IsRegular()
}

// ImportDir imports a case export directory, all or nothing: first it
// reads every blob the case file references and that the directory holds
// and checks its SHA-256 and size (one wrong blob aborts the import before
// anything is written), then it copies them into store (verified again on
// the way in), and last it imports case.jsonl through ledger.Import (itself
// all or nothing). A failure at the last step can leave verified blobs in
// the store with no record naming them, which is harmless: blobs are
// content-addressed.
func ImportDir(ctx context.Context, l *ledger.Ledger, store blob.Store, dir string) (*ImportResult, error) {
	data, err := os.ReadFile(filepath.Join(dir, CaseFile))
	if err != nil {
		return nil, err
	}
	src, err := fsblob.Open(filepath.Join(dir, ExportBlobs))
	if err != nil {
		return nil, err
	}
	refs := refsOf(data)
	sort.SliceStable(refs, func(i, j int) bool { return refs[i].SHA256 < refs[j].SHA256 })
	res := &ImportResult{}
	var present []fileRef
	seen := map[string]bool{}
	for _, r := range refs {
		if seen[r.SHA256] {
			continue
		}
		seen[r.SHA256] = true
		if blob.CheckKey(r.SHA256) != nil {
			continue // the import reports the bad line
		}
		cr, err := integrity.Check(ctx, src, r.SHA256, r.Size)
		if err != nil {
			return nil, fmt.Errorf("%s/%s: %w", ExportBlobs, r.SHA256, err)
		}
		switch cr.Problem {
		case "":
			present = append(present, r)
		case integrity.Missing:
			res.Missing++
		default:
			return nil, custody.Errorf(custody.ETampered, "sha256",
				"%s, línea %d: el archivo %s no coincide con su hash (%s; llegó sha256 %s, %d bytes): no se importó nada",
				"%s, line %d: file %s does not match its hash (%s; got sha256 %s, %d bytes): nothing was imported",
				CaseFile, r.Line, r.SHA256, cr.Problem, cr.GotSHA256, cr.GotSize)
		}
	}
	for _, r := range present {
		rc, err := src.Get(ctx, r.SHA256)
		if err != nil {
			return nil, err
		}
		cr := &countReader{r: rc}
		err = store.Put(ctx, r.SHA256, cr, r.Size)
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("%s/%s: %w", ExportBlobs, r.SHA256, err)
		}
		res.Blobs++
		res.Bytes += cr.n
	}
	ir, err := l.Import(ctx, bytes.NewReader(data), custody.FileSHA256(data), nil)
	if err != nil {
		return nil, err
	}
	res.ImportResult = ir
	return res, nil
}
