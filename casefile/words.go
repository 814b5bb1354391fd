package casefile

import "github.com/custodia-ec/custodia/custody/vocab"

// The words of the case file's other values, Spanish and English: the one
// table the web pages and the PDFs read (vocab.Word has the custody
// record's). Kinds: "status" (a site's), "basis" (a detention's), "prole"
// (a person's role in the case), "rule" (a deadline rule), "okind" and
// "skind" (organization and site kinds).
var words = vocab.Vocabulary{
	"status": {
		"aborted":   {"abortado", "aborted"},
		"completed": {"concluido", "completed"},
		"en_route":  {"en camino", "en route"},
		"entered":   {"ingresado", "entered"},
		"planned":   {"planificado", "planned"},
		"secured":   {"asegurado", "secured"},
	},
	"basis": {
		"flagrante": {"flagrancia", "in flagrante"},
		"warrant":   {"orden judicial", "warrant"},
	},
	"prole": {
		"business":           {"empresario", "businessperson"},
		"gang_member":        {"miembro de banda", "gang member"},
		"judge":              {"juez", "judge"},
		"judiciary_official": {"funcionario judicial", "judiciary official"},
		"lawyer":             {"abogado", "lawyer"},
		"other":              {"otro", "other"},
		"police":             {"policía", "police"},
		"prison_guard":       {"guía penitenciario", "prison guard"},
		"prosecutor":         {"fiscal", "prosecutor"},
		"public_official":    {"funcionario público", "public official"},
		"trafficker":         {"narcotraficante", "trafficker"},
	},
	"rule": {
		"hearing_late":          {"audiencia tardía", "late hearing"},
		"hearing_missing":       {"sin audiencia en 24 h", "no hearing within 24 h"},
		"rights_notice_late":    {"derechos leídos tarde", "rights read late"},
		"rights_notice_missing": {"sin lectura de derechos", "rights not read"},
	},
	"okind": {
		"company":            {"empresa", "company"},
		"criminal_group":     {"grupo delictivo", "criminal group"},
		"law_firm":           {"estudio jurídico", "law firm"},
		"other":              {"otra", "other"},
		"public_institution": {"institución pública", "public institution"},
	},
	"skind": {
		"business":      {"negocio", "business"},
		"court":         {"juzgado", "court"},
		"law_office":    {"estudio jurídico", "law office"},
		"office":        {"oficina", "office"},
		"other":         {"otro", "other"},
		"prison":        {"cárcel", "prison"},
		"public_office": {"oficina pública", "public office"},
		"residence":     {"domicilio", "residence"},
		"vehicle":       {"vehículo", "vehicle"},
	},
}

// StatusColors are the colours of site statuses on every chart, web and
// PDF; each has at least 3:1 contrast with a white page.
var StatusColors = map[string]string{
	"planned": "#6b7280", "en_route": "#1d4ed8", "entered": "#b45309", "secured": "#7e22ce", "completed": "#15803d", "aborted": "#b91c1c",
}

// Word is code's name in lang ("en" English, anything else Spanish) among
// the words of kind; "" when the table does not have it.
func Word(kind, code, lang string) string { return words.Word(kind, code, lang) }

// WordCodes lists the codes the table names for kind.
func WordCodes(kind string) []string { return words.Codes(kind) }
