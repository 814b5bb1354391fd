package ledger

import (
	"github.com/custodia-ec/custodia/casefile"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/domain"
)

// decodeRecord decodes a stored record of any op: the case-file ops and the
// system ops of domain/access.go (accounts, grants, audited reads). Case files
// never carry system ops: casefile.Decode, the import path, refuses them.
func decodeRecord(op string, raw []byte) (any, error) {
	if domain.IsSystemOp(op) {
		return domain.DecodeSystemRecord(op, raw)
	}
	return casefile.DecodeRecord(op, raw)
}

// validateRecord is casefile.Validate extended to the system ops.
func validateRecord(op string, rec any) *custody.Error {
	if domain.IsSystemOp(op) {
		return domain.ValidateSystem(rec)
	}
	return casefile.Validate(op, rec)
}
