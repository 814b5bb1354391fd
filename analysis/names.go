package analysis

import (
	"strings"
	"unicode"
)

// folds maps the accented letters of Spanish and its neighbours to their
// base letter.
var folds = map[rune]rune{
	'á': 'a', 'à': 'a', 'ä': 'a', 'â': 'a', 'ã': 'a', 'å': 'a',
	'é': 'e', 'è': 'e', 'ë': 'e', 'ê': 'e',
	'í': 'i', 'ì': 'i', 'ï': 'i', 'î': 'i',
	'ó': 'o', 'ò': 'o', 'ö': 'o', 'ô': 'o', 'õ': 'o',
	'ú': 'u', 'ù': 'u', 'ü': 'u', 'û': 'u',
	'ñ': 'n', 'ç': 'c', 'ý': 'y', 'ÿ': 'y',
}

// Fold is a name or column header as compared: lower case, without
// accents, with punctuation turned into spaces and runs of spaces into
// one. "José  Pérez-Gómez" and "jose perez gomez" fold alike.
func Fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := true
	for _, r := range s {
		r = unicode.ToLower(r)
		if f, ok := folds[r]; ok {
			r = f
		}
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
			space = false
		case unicode.Is(unicode.Mn, r): // a combining accent (decomposed input)
		default:
			if !space {
				b.WriteByte(' ')
				space = true
			}
		}
	}
	return strings.TrimSuffix(b.String(), " ")
}

// nameParticles are the words of Spanish surnames that carry no identity
// on their own ("de la Torre").
var nameParticles = map[string]bool{"de": true, "del": true, "la": true, "las": true, "los": true, "y": true, "da": true, "dos": true, "van": true, "von": true}

// nameTokens are a folded name's words without particles.
func nameTokens(folded string) []string {
	var out []string
	for _, w := range strings.Fields(folded) {
		if !nameParticles[w] {
			out = append(out, w)
		}
	}
	return out
}

// NameMatch compares two names and says how alike they are: 1 for the
// same folded words; between 0 and 1 for names that may be the same
// person (one name's words, initials counting for a word that starts
// with them, all within the other's: "J. Pérez" and "Juan Pérez Gómez";
// "Juan Pérez" and "Juan Carlos Pérez Gómez"); 0 when a word of the
// shorter has no counterpart, or they share no surname-length word.
func NameMatch(a, b string) float64 {
	ta, tb := nameTokens(Fold(a)), nameTokens(Fold(b))
	if len(ta) == 0 || len(tb) == 0 {
		return 0
	}
	if strings.Join(ta, " ") == strings.Join(tb, " ") {
		return 1
	}
	if len(ta) > len(tb) {
		ta, tb = tb, ta
	}
	used := make([]bool, len(tb))
	full := 0
	for _, w := range ta {
		found := false
		for i, x := range tb {
			if used[i] {
				continue
			}
			if w == x || (len(w) == 1 && strings.HasPrefix(x, w)) {
				used[i] = true
				found = true
				if len(w) > 1 {
					full++
				}
				break
			}
		}
		if !found {
			return 0
		}
	}
	if full == 0 {
		return 0 // initials alone never match
	}
	// The more of the longer name the shorter accounts for, the closer.
	return 0.5 + 0.4*float64(full)/float64(len(tb))
}

// ValidCedula reports whether s is a valid Ecuadorian cédula: ten digits,
// a province code 01–24 (or 30 for Ecuadorians abroad), a third digit
// below 6, and the modulo-10 check digit.
func ValidCedula(s string) bool {
	if len(s) != 10 {
		return false
	}
	var d [10]int
	for i := 0; i < 10; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
		d[i] = int(s[i] - '0')
	}
	prov := d[0]*10 + d[1]
	if (prov < 1 || prov > 24) && prov != 30 || d[2] >= 6 {
		return false
	}
	sum := 0
	for i := 0; i < 9; i++ {
		v := d[i]
		if i%2 == 0 {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
	}
	check := (10 - sum%10) % 10
	return check == d[9]
}

// NormalizeID returns an ID number's digits and letters in upper case
// ("171234567-8" → "1712345678"), and whether it is a valid cédula.
func NormalizeID(s string) (string, bool) {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsDigit(r) || unicode.IsLetter(r) {
			b.WriteRune(unicode.ToUpper(r))
		}
	}
	id := b.String()
	return id, ValidCedula(id)
}
