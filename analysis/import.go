package analysis

import (
	"fmt"
	"io"
	"time"
)

// Formats are the importers' names, as the CLI takes them.
var Formats = []string{"whatsapp", "telegram", "vcard", "calls-csv", "payments-csv"}

// ImportOptions are the options of every importer; each reads those that
// apply to it.
type ImportOptions struct {
	Mapping   *Mapping       // calls-csv, payments-csv
	DateOrder string         // whatsapp: "dmy", "mdy" or "" (see WhatsAppOptions)
	Location  *time.Location // whatsapp, telegram: the zone of local times
}

// Import runs the importer of format on r.
func Import(format string, r io.Reader, src Source, opts ImportOptions, sink Sink) (Summary, error) {
	switch format {
	case "whatsapp":
		return ImportWhatsApp(r, src, WhatsAppOptions{DateOrder: opts.DateOrder, Location: opts.Location}, sink)
	case "telegram":
		return ImportTelegram(r, src, TelegramOptions{Location: opts.Location}, sink)
	case "vcard":
		return ImportVCard(r, src, sink)
	case "calls-csv":
		return ImportCallsCSV(r, src, opts.Mapping, sink)
	case "payments-csv":
		return ImportPaymentsCSV(r, src, opts.Mapping, sink)
	}
	return Summary{}, fmt.Errorf("formato %q desconocido (whatsapp, telegram, vcard, calls-csv, payments-csv) / unknown format %q", format, format)
}
