// Package courtdoc renders what Custodia hands to a court: the chain-of-custody
// record of one evidence item (COIP art. 456), evidence labels with QR codes,
// the operation report and the detention-compliance report, as PDF and CSV.
//
// It takes plain input structs (ItemRecord, Label, OperationReport,
// DetentionRow) that the caller fills from the ledger; it does no I/O of its
// own beyond the io.Writer it is given, and it imports no storage, server or
// domain package. Every document is Spanish by default and English when lang
// is "en"; all text goes through one catalogue (text.go).
//
// PDFs embed the DejaVu Sans fonts (fonts/, Bitstream Vera licence), so that
// names such as "Terán", "Álex" or "Cañizares" print exactly as recorded, and
// every page carries "Página X de Y" and the generation time.
//
// The last section of the item record carries the verification data: the
// log's origin, the checkpoint's size and root hash, the leaf index of every
// event, and QR codes whose payload is described in qr.go (format
// CUSTODIA-V1), so that a printout can be checked against the log offline.
package courtdoc
