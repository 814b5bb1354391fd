// Package demodata embeds the acceptance case file (a copy of
// testdata/metastasis.jsonl), so that `custodia serve --demo` works from the
// binary alone.
package demodata

import _ "embed"

// Metastasis is the case file of the Metástasis operation.
//
//go:embed metastasis.jsonl
var Metastasis []byte

// Case and Operation are the ids in it that the demo grants access to.
const (
	Case      = "METASTASIS"
	Operation = "OP-METASTASIS"
)
