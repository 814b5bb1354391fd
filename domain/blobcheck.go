package domain

import (
	"sort"

	"github.com/custodia-ec/custodia/custody"
)

// OpBlobCheck is blob.check, a system op: the result of re-reading one
// stored evidence file (an attachment, or the image behind a derived item)
// and comparing it with the SHA-256 and size the log recorded for it. Every
// check is an event, so that the history of a file's integrity is as
// tamper-evident as its custody; the latest check of each file is what the
// item's data and the audit show.
const OpBlobCheck = "blob.check"

// TBlobChecks is blob.check's projection table: the latest check of each
// file of an item.
const TBlobChecks = "blob_checks"

// Results of a blob check. Missing, mismatch and size are alerts: the bytes
// the log points to are gone or changed.
const (
	BlobOK       = "ok"
	BlobMissing  = "missing"
	BlobMismatch = "mismatch" // same size, different bytes
	BlobSize     = "size"     // a different size
)

// BlobResults are the results a blob.check may record.
var BlobResults = map[string]bool{BlobOK: true, BlobMissing: true, BlobMismatch: true, BlobSize: true}

// BlobCheck is blob.check. SHA256 is the file's recorded hash (its blob
// key); GotSHA256 and GotSize say what was read back, when something was.
type BlobCheck struct {
	SHA256    string `json:"sha256"`
	Item      string `json:"item"`
	Result    string `json:"result"`
	GotSHA256 string `json:"got_sha256,omitempty"`
	GotSize   *int64 `json:"got_size,omitempty"`
}

// BlobCheckState is the latest check of one file of an item.
type BlobCheckState struct {
	BlobCheck
	Seq int64
}

// OK reports whether the latest check found the file intact.
func (b *BlobCheckState) OK() bool { return b.Result == BlobOK }

// FileRef is a file the log references by hash: an attachment of an item,
// or the image a derived item was made from (its sha256 and size).
type FileRef struct {
	Item   string
	Case   string
	SHA256 string
	Size   int64  // -1 when the record gave none
	Name   string // the attachment's name; "" for a derived item's image
	Seq    int64  // the event that recorded the file
	Kind   string // "attachment" or "derived"
}

// ItemFiles returns the files recorded for an item, in log order.
func (s *State) ItemFiles(item string) []FileRef {
	var out []FileRef
	it := s.Items[item]
	if it == nil {
		return nil
	}
	if it.Derive != nil && it.Derive.SHA256 != "" {
		size := int64(-1)
		if it.Derive.Size != nil {
			size = *it.Derive.Size
		}
		out = append(out, FileRef{Item: item, Case: it.Case, SHA256: it.Derive.SHA256, Size: size, Seq: it.OriginSeq, Kind: "derived"})
	}
	var atts []*Attachment
	for _, a := range s.Attachments {
		if a.Item == item {
			atts = append(atts, a)
		}
	}
	sort.Slice(atts, func(i, j int) bool { return atts[i].Seq < atts[j].Seq })
	for _, a := range atts {
		size := int64(-1)
		if a.Size != nil {
			size = *a.Size
		}
		out = append(out, FileRef{Item: item, Case: it.Case, SHA256: a.SHA256, Size: size, Name: a.Name, Seq: a.Seq, Kind: "attachment"})
	}
	return out
}

// Files returns every file the log references, of one case or of all
// (caseID ""), ordered by item then log order.
func (s *State) Files(caseID string) []FileRef {
	ids := make([]string, 0, len(s.Items))
	for id, it := range s.Items {
		if caseID == "" || it.Case == caseID {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	var out []FileRef
	for _, id := range ids {
		out = append(out, s.ItemFiles(id)...)
	}
	return out
}

// BlobCheckOf returns the latest check of an item's file, or nil.
func (s *State) BlobCheckOf(item, sha256 string) *BlobCheckState {
	return s.BlobChecks[item][sha256]
}

// BlobAlerts returns the latest checks that found a file missing or
// changed, of one case or of all (caseID ""), by item and hash.
func (s *State) BlobAlerts(caseID string) []*BlobCheckState {
	var out []*BlobCheckState
	for item, m := range s.BlobChecks {
		if caseID != "" {
			if it := s.Items[item]; it == nil || it.Case != caseID {
				continue
			}
		}
		for _, c := range m {
			if !c.OK() {
				out = append(out, c)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Item != out[j].Item {
			return out[i].Item < out[j].Item
		}
		return out[i].SHA256 < out[j].SHA256
	})
	return out
}

func validateBlobCheck(r *BlobCheck) *custody.Error {
	if !validHex(r.SHA256) {
		return custody.Errorf(custody.EInvalid, "sha256", "se esperan 64 dígitos hexadecimales en minúscula", "64 lowercase hexadecimal digits expected")
	}
	if r.GotSHA256 != "" && !validHex(r.GotSHA256) {
		return custody.Errorf(custody.EInvalid, "got_sha256", "se esperan 64 dígitos hexadecimales en minúscula", "64 lowercase hexadecimal digits expected")
	}
	if r.GotSize != nil && *r.GotSize < 0 {
		return custody.Errorf(custody.EInvalid, "got_size", "no puede ser negativo", "cannot be negative")
	}
	if !BlobResults[r.Result] {
		return custody.Errorf(custody.EInvalid, "result", "valor %q no admitido (ok, missing, mismatch, size)", "value %q is not allowed (ok, missing, mismatch, size)", r.Result)
	}
	if r.Result == BlobOK && r.GotSHA256 != "" && r.GotSHA256 != r.SHA256 {
		return custody.Errorf(custody.EInvalid, "got_sha256", "un resultado ok no puede tener otro hash", "an ok result cannot carry another hash")
	}
	return nil
}

func validHex(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// applyBlobCheck records a check of a file the log references: the item
// must exist and have recorded that hash.
func (s *State) applyBlobCheck(r *BlobCheck, seq int64) (*Applied, *custody.Error) {
	it, e := s.item("item", r.Item)
	if e != nil {
		return nil, e
	}
	found := false
	for _, f := range s.ItemFiles(r.Item) {
		if f.SHA256 == r.SHA256 {
			found = true
			break
		}
	}
	if !found {
		return nil, rule("sha256", "la evidencia %s no tiene ningún archivo con sha256 %s", "item %s has no file with sha256 %s", r.Item, r.SHA256)
	}
	if s.BlobChecks[r.Item] == nil {
		s.BlobChecks[r.Item] = map[string]*BlobCheckState{}
	}
	s.BlobChecks[r.Item][r.SHA256] = &BlobCheckState{BlobCheck: *r, Seq: seq}
	return &Applied{Case: it.Case, Touched: []Key{{TBlobChecks, pairKey{r.Item, r.SHA256}}}}, nil
}

func (s *State) blobCheckRow(pk pairKey) Row {
	c := s.BlobChecks[pk.a][pk.b]
	if c == nil {
		return nil
	}
	var got, size any
	if c.GotSHA256 != "" {
		got = c.GotSHA256
	}
	if c.GotSize != nil {
		size = *c.GotSize
	}
	return Row{pk.a, pk.b, c.Result, got, size, c.Seq}
}
