// Package custodia holds what the whole project shares and nothing else: the
// acceptance case file of Operation Metastasis, embedded so that
// `custodia demo` and `custodia serve --demo` work from any directory.
//
// The code lives in sibling packages named for what they provide: custody
// (canonical events and custody rules), casefile, domain, ledger, sqlite,
// deployment, verify, and cmd/custodia, which wires them.
package custodia

import _ "embed"

// Metastasis is the case file of Operation Metastasis (14 December 2023):
// 75 raids in seven provinces, 30 detentions, 155 seized items.
//
//go:embed testdata/metastasis.jsonl
var Metastasis []byte

// The ids of the case and its operation in Metastasis, which the demo uses.
const (
	MetastasisCase      = "METASTASIS"
	MetastasisOperation = "OP-METASTASIS"
)
