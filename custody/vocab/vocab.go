// Package vocab holds the words of the custody record, Spanish and English.
package vocab

// The words of the custody record, Spanish and English: the one table the
// verifier, the PDFs, the web pages and the CASE export read, so that a
// court reads the same name for the same act everywhere. The Spanish is
// Ecuador's usage ("incautación" for what a raid takes; "secuestro" there
// means a kidnapping).
var words = Vocabulary{
	"op": {
		"evidence.seize":   {"incautación", "seizure"},
		"custody.transfer": {"entrega", "handover"},
		"custody.open":     {"apertura", "opening"},
		"custody.seal":     {"sellado", "sealing"},
		"evidence.derive":  {"derivación", "derivation"},
		"evidence.attach":  {"anexo de archivo", "file attached"},
		"court.present":    {"presentación en audiencia", "presented in court"},
		"evidence.dispose": {"disposición final", "disposal"},
	},
	"anomaly": {
		"seal_broken":   {"sello roto", "seal broken"},
		"seal_mismatch": {"número de sello distinto", "seal number differs"},
	},
	"purpose": {
		"analysis":  {"análisis", "analysis"},
		"court":     {"audiencia", "court"},
		"other":     {"otro", "other"},
		"return":    {"devolución", "return"},
		"storage":   {"bodega", "storage"},
		"transport": {"traslado", "transport"},
	},
	"cond": {
		"broken": {"roto", "broken"},
		"intact": {"intacto", "intact"},
		"none":   {"sin sello", "no seal"},
	},
	"itype": {
		"agenda":            {"agenda", "diary"},
		"ammunition":        {"munición", "ammunition"},
		"cash":              {"dinero en efectivo", "cash"},
		"computer":          {"computadora", "computer"},
		"copy":              {"copia", "copy"},
		"corporate_records": {"registros societarios", "corporate records"},
		"documents":         {"documentos", "documents"},
		"drugs":             {"drogas", "drugs"},
		"extraction":        {"extracción", "extraction"},
		"financial_records": {"registros financieros", "financial records"},
		"firearm":           {"arma de fuego", "firearm"},
		"forensic_image":    {"imagen forense", "forensic image"},
		"laptop":            {"computadora portátil", "laptop"},
		"other":             {"otro", "other"},
		"phone":             {"teléfono", "phone"},
		"photo":             {"foto", "photo"},
		"report":            {"informe", "report"},
		"storage":           {"almacenamiento", "storage"},
		"vehicle":           {"vehículo", "vehicle"},
	},
	"method": {
		"destroyed": {"destruida", "destroyed"},
		"forfeited": {"comisada", "forfeited"},
		"returned":  {"devuelta", "returned"},
	},
}

// Vocabulary is a table of words: kind → code → {Spanish, English}.
type Vocabulary map[string]map[string][2]string

// Word is code's name in lang ("en" English, anything else Spanish) among
// the words of kind; "" when the table does not have it.
func (v Vocabulary) Word(kind, code, lang string) string {
	w, ok := v[kind][code]
	switch {
	case !ok:
		return ""
	case lang == "en":
		return w[1]
	}
	return w[0]
}

// Codes lists the codes the table names for kind, for tests that hold
// every user-facing list to it.
func (v Vocabulary) Codes(kind string) []string {
	out := make([]string, 0, len(v[kind]))
	for c := range v[kind] {
		out = append(out, c)
	}
	return out
}

// Word is code's name among the custody record's words (kinds "op",
// "anomaly", "purpose", "cond", "itype", "method").
func Word(kind, code, lang string) string { return words.Word(kind, code, lang) }

// WordCodes lists the custody record's codes of kind.
func WordCodes(kind string) []string { return words.Codes(kind) }
