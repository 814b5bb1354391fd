package courtdata

// The words courtdata puts into documents itself (site descriptions, the
// night's timeline, who recorded an event): Spanish first, English second.
// Everything else is translated by courtdoc's own catalogue.

type msg struct{ es, en string }

func t(lang string, m msg) string {
	if lang == "en" {
		return m.en
	}
	return m.es
}

func word(lang string, table map[string]msg, code string) string {
	if m, ok := table[code]; ok {
		return t(lang, m)
	}
	return code
}

var siteKinds = map[string]msg{
	"residence":     {"domicilio", "residence"},
	"office":        {"oficina", "office"},
	"public_office": {"oficina pública", "public office"},
	"law_office":    {"estudio jurídico", "law office"},
	"court":         {"unidad judicial", "court"},
	"prison":        {"centro de privación de libertad", "prison"},
	"business":      {"local comercial", "business"},
	"vehicle":       {"vehículo", "vehicle"},
	"other":         {"otro", "other"},
}

// siteEvents is how the timeline says a site reached a status.
var siteEvents = map[string]msg{
	"en_route":  {"Equipo en camino al sitio", "Team en route to the site"},
	"entered":   {"Ingreso al sitio", "Site entered"},
	"secured":   {"Sitio asegurado", "Site secured"},
	"completed": {"Allanamiento concluido", "Search completed"},
	"aborted":   {"Allanamiento abortado", "Search aborted"},
}

var disposeMethods = map[string]msg{
	"returned":  {"devuelto", "returned"},
	"destroyed": {"destruido", "destroyed"},
	"forfeited": {"comisado", "forfeited"},
}

var (
	tDetention    = msg{"Detención %s: %s (%s)", "Detention %s: %s (%s)"}
	tSeizure      = msg{"Incautación %s: %s", "Seizure %s: %s"}
	tWarrant      = msg{"orden judicial", "warrant"}
	tFlagrante    = msg{"flagrancia", "in flagrante"}
	tFrom         = msg{"de %s", "from %s"}
	tExpectedSeal = msg{"(sello registrado: %s)", "(recorded seal: %s)"}
	tOrder        = msg{"orden %s", "order %s"}
	tAccount      = msg{"cuenta %s", "account %s"}
	tDerivedPlace = msg{"donde estaba %s: %s", "where %s was: %s"}
	// tTargetWithheld stands for a site's address the reader may not see.
	tTargetWithheld = msg{"dirección reservada", "address withheld"}
)
