package domain

import "github.com/custodia-ec/custodia/custody"

// OpAnalysisImport is analysis.import, a system op: a file of an evidence
// item (an attachment, or the extraction a derived item recorded) was
// read into the case's investigation analysis (chats, contacts, calls,
// transfers). The file's SHA-256 must be one the log recorded for the
// item, so that every link the analysis draws from it points to bytes
// whose custody the log holds. The event itself is the record: it changes
// no row.
const OpAnalysisImport = "analysis.import"

// AnalysisFormats are the importers of package analysis.
var AnalysisFormats = map[string]bool{"whatsapp": true, "telegram": true, "vcard": true, "calls-csv": true, "payments-csv": true}

// AnalysisImport is analysis.import: which file of which item was read,
// in what format, and how many records and rejected lines it gave.
type AnalysisImport struct {
	Item    string `json:"item"`
	SHA256  string `json:"sha256"`
	Format  string `json:"format"`
	Records int64  `json:"records"`
	Rejects int64  `json:"rejects"`
}

func validateAnalysisImport(r *AnalysisImport) *custody.Error {
	if !validHex(r.SHA256) {
		return custody.Errorf(custody.EInvalid, "sha256", "se esperan 64 dígitos hexadecimales en minúscula", "64 lowercase hexadecimal digits expected")
	}
	if !AnalysisFormats[r.Format] {
		return custody.Errorf(custody.EInvalid, "format", "formato %q no admitido (whatsapp, telegram, vcard, calls-csv, payments-csv)", "format %q is not allowed (whatsapp, telegram, vcard, calls-csv, payments-csv)", r.Format)
	}
	if r.Records < 0 || r.Rejects < 0 {
		return custody.Errorf(custody.EInvalid, "records", "los recuentos no pueden ser negativos", "counts cannot be negative")
	}
	return nil
}

// applyAnalysisImport checks that the item exists and recorded a file
// with that hash.
func (s *State) applyAnalysisImport(r *AnalysisImport) (*Applied, *custody.Error) {
	it, e := s.item("item", r.Item)
	if e != nil {
		return nil, e
	}
	for _, f := range s.ItemFiles(r.Item) {
		if f.SHA256 == r.SHA256 {
			return &Applied{Case: it.Case}, nil
		}
	}
	return nil, rule("sha256", "la evidencia %s no tiene ningún archivo con sha256 %s", "item %s has no file with sha256 %s", r.Item, r.SHA256)
}
