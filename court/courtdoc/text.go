package courtdoc

import (
	"strings"

	"github.com/custodia-ec/custodia/casefile"
	"github.com/custodia-ec/custodia/custody/vocab"
)

// The one catalogue of user-facing text: Spanish first, English second.

type msg struct{ es, en string }

// lang selects the language of a document: "en" is English; anything else,
// the empty string included, is Spanish, the language of Ecuadorian courts.
type lang bool

const (
	spanish lang = false
	english lang = true
)

func langOf(s string) lang { return lang(s == "en") }

func (l lang) t(m msg) string {
	if l == english {
		return m.en
	}
	return m.es
}

var (
	tPage           = msg{"Página %d de %s", "Page %d of %s"}
	tGenerated      = msg{"Generado: %s", "Generated: %s"}
	tYes            = msg{"sí", "yes"}
	tNo             = msg{"no", "no"}
	tNone           = msg{"—", "—"}
	tUnsealed       = msg{"sin sellar", "unsealed"}
	tItemTitle      = msg{"Registro de cadena de custodia", "Chain-of-custody record"}
	tItemSubtitle   = msg{"Código Orgánico Integral Penal, art. 456", "Código Orgánico Integral Penal (Ecuador), art. 456"}
	tCase           = msg{"Causa", "Case"}
	tItem           = msg{"Indicio", "Item"}
	tSecIdentity    = msg{"1. Identificación del indicio", "1. Identity of the item"}
	tSecSeizure     = msg{"2. Fijación y recolección (estado original)", "2. Seizure (original state)"}
	tSecDerivation  = msg{"2. Derivación (estado original)", "2. Derivation (original state)"}
	tSecEvents      = msg{"3. Eventos de custodia", "3. Custody events"}
	tSecDerived     = msg{"4. Indicios derivados", "4. Derived items"}
	tSecAttach      = msg{"5. Archivos adjuntos", "5. Attached files"}
	tSecHolder      = msg{"6. Custodia actual", "6. Current custody"}
	tSecReceipt     = msg{"7. Recepción", "7. Receipt"}
	tSecVerify      = msg{"8. Datos de verificación", "8. Verification data"}
	tType           = msg{"Tipo", "Type"}
	tDescription    = msg{"Descripción", "Description"}
	tQuantity       = msg{"Cantidad", "Quantity"}
	tDigital        = msg{"Digital", "Digital"}
	tDerivedFrom    = msg{"Derivado de", "Derived from"}
	tSite           = msg{"Sitio", "Site"}
	tPlace          = msg{"Lugar", "Place"}
	tTime           = msg{"Fecha y hora", "Date and time"}
	tSeizedBy       = msg{"Recolectado por", "Seized by"}
	tSeal           = msg{"Sello", "Seal"}
	tDerivedBy      = msg{"Derivado por", "Derived by"}
	tColAttachedBy  = msg{"Adjuntado por", "Attached by"}
	tHolder         = msg{"Custodio actual", "Current holder"}
	tCurrentSeal    = msg{"Sello actual", "Current seal"}
	tState          = msg{"Estado", "State"}
	tDisposed       = msg{"dispuesto", "disposed"}
	tActive         = msg{"en custodia", "in custody"}
	tColNo          = msg{"N.º", "No."}
	tColTime        = msg{"Fecha y hora", "Date and time"}
	tColOp          = msg{"Operación", "Operation"}
	tColFrom        = msg{"Entrega / actúa", "From / by"}
	tColTo          = msg{"Recibe", "To"}
	tColPurpose     = msg{"Propósito / motivo", "Purpose / reason"}
	tColPlace       = msg{"Lugar", "Place"}
	tColSeal        = msg{"Sello y estado", "Seal and condition"}
	tColLeaf        = msg{"Hoja", "Leaf"}
	tColSHA         = msg{"SHA-256", "SHA-256"}
	tColSize        = msg{"Tamaño", "Size"}
	tColName        = msg{"Nombre", "Name"}
	tNoEvents       = msg{"No hay eventos de custodia.", "No custody events."}
	tNoDerived      = msg{"No hay indicios derivados.", "No derived items."}
	tNoAttach       = msg{"No hay archivos adjuntos.", "No attached files."}
	tAnomaly        = msg{"ANOMALÍA", "ANOMALY"}
	tSignedBoth     = msg{"Firmado por ambas partes:", "Signed by both parties:"}
	tSignedOne      = msg{"FIRMADO POR UNA SOLA PARTE:", "SIGNED BY ONE PARTY ONLY:"}
	tSignedBy       = msg{"Firmado por:", "Signed by:"}
	tSignedNone     = msg{"Sin firma personal.", "No personal signature."}
	tSignedImported = msg{"Lo registrado «por importación» no lleva firma personal: lo respalda el expediente en papel.", "What was recorded \"by import\" carries no personal signature: the paper file stands behind it."}
	tPasskey        = msg{"llave de acceso", "passkey"}
	tSoftwareKey    = msg{"clave de software", "software key"}
	tAnd            = msg{" y ", " and "}
	tRecordedLine   = msg{"Registrado en el sistema el %s por %s", "Recorded in the system on %s by %s"}
	tFieldDevice    = msg{"; hecho sin red en el dispositivo de campo %s", "; made offline on field device %s"}
	tFieldLate      = msg{" — SINCRONIZADO TARDE", " — SYNCED LATE"}
	tRecordedNote   = msg{"Cuando el registro en el sistema difiere de la fecha o del actor declarados, se indica debajo del evento (línea «Registrado…»).", "Where the system's record differs from the claimed time or actor, it is shown under the event (\"Recorded…\" line)."}
	tImportRef      = msg{"importación %s…, línea %d", "import %s…, line %d"}
	tBytes          = msg{"%s bytes", "%s bytes"}
	tTool           = msg{"Herramienta", "Tool"}
	tReceiverBlock  = msg{"Recibí conforme el indicio descrito, con el sello y en el estado indicados:", "I received the item described above, with the seal and in the condition stated:"}
	tSigName        = msg{"Nombre y apellidos", "Full name"}
	tSigID          = msg{"Cédula de identidad", "Identity card no."}
	tSigRole        = msg{"Cargo / dependencia", "Position / office"}
	tSigDate        = msg{"Fecha y hora de recepción", "Date and time of receipt"}
	tSigSign        = msg{"Firma", "Signature"}
	tLogOrigin      = msg{"Origen del registro (log)", "Log origin"}
	tCkptSize       = msg{"Tamaño del checkpoint", "Checkpoint size"}
	tRootHash       = msg{"Hash raíz", "Root hash"}
	tLeaves         = msg{"Hojas de los eventos", "Event leaves"}
	tCheckpoint     = msg{"Checkpoint firmado", "Signed checkpoint"}
	tVerifyHow      = msg{"Verificación fuera de línea: el código QR contiene el checkpoint firmado y los índices de hoja de este indicio (formato CUSTODIA-V1). Con el paquete (bundle) del indicio, un verificador comprueba la firma del checkpoint, recalcula el hash de cada evento y su prueba de inclusión en el árbol de Merkle (RFC 6962) de tamaño y raíz indicados.", "Offline verification: the QR code carries the signed checkpoint and this item's leaf indexes (format CUSTODIA-V1). With the item's bundle, a verifier checks the checkpoint's signature, recomputes each event's hash and its inclusion proof in the Merkle tree (RFC 6962) of the size and root stated."}
	tQRPart         = msg{"QR %d de %d", "QR %d of %d"}
	tNoCheckpoint   = msg{"No se proporcionó checkpoint: este documento no puede verificarse contra el registro.", "No checkpoint was provided: this document cannot be checked against the log."}
)

// The names of the record's values come from the one shared table
// (vocab.Word, casefile.Word) that the web and the verifier read too.
var (
	opNames        = shared(vocab.Word, "op")
	purposeNames   = shared(vocab.Word, "purpose")
	conditionNames = shared(vocab.Word, "cond")
	anomalyNames   = shared(vocab.Word, "anomaly")
	typeNames      = shared(vocab.Word, "itype")
	statusNames    = shared(casefile.Word, "status")
	roleNames      = shared(casefile.Word, "prole")
	basisNames     = shared(casefile.Word, "basis")
	ruleNames      = shared(casefile.Word, "rule")
)

// shared builds a table of kind from a word source.
func shared(word func(kind, code, lang string) string, kind string) map[string]msg {
	codes := vocab.WordCodes(kind)
	if len(codes) == 0 {
		codes = casefile.WordCodes(kind)
	}
	out := make(map[string]msg, len(codes))
	for _, c := range codes {
		m := msg{word(kind, c, "es"), word(kind, c, "en")}
		if kind == "op" { // an act heads its table row: capitalised
			m = msg{capital(m.es), capital(m.en)}
		}
		out[c] = m
	}
	return out
}

// word translates a code through table, falling back to the code itself so
// that a value this catalogue does not know is still shown, never dropped.
func (l lang) word(table map[string]msg, code string) string {
	if m, ok := table[code]; ok {
		return l.t(m)
	}
	return code
}

// capital upper-cases s's first letter.
func capital(s string) string {
	for i, r := range s {
		return strings.ToUpper(string(r)) + s[i+len(string(r)):]
	}
	return s
}

// The item's condition when it entered custody, and the place of an act
// that records none (issue 15, 8).
var (
	tCondition       = msg{"Estado al recolectar", "Condition at collection"}
	tConditionDerive = msg{"Estado al derivar", "Condition when derived"}
	tSealedWith      = msg{"sellado con %s", "sealed with %s"}
	tUnits           = msg{"%d unidad(es)", "%d unit(s)"}
	tHoldsDigital    = msg{"contiene datos digitales", "holds digital data"}
	tPlaceInferred   = msg{"* Lugar donde estaba el indicio: el acto no registra lugar propio; es el de su recolección o el de la entrega a quien lo tenía, que lo conservó desde entonces.", "* Where the item was: the act records no place of its own; it is the place of its seizure or of the handover to its holder, who kept it since."}
)
