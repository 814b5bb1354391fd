package analysis

import (
	"fmt"
	"strings"
)

// NormalizePhone returns a telephone number as written in a chat, an
// address book or a carrier's records in E.164 ("+593991234567"), with
// Ecuador's defaults for numbers without a country code:
//
//	099 123 4567, 0991234567, 991234567   mobile  → +593991234567
//	(02) 234-5678, 022345678              Quito   → +59322345678
//	593991234567, 00593991234567          → +593991234567
//	+593 (99) 123-4567                    → +593991234567
//	+1 (202) 555-0100                     another country, kept → +12025550100
//
// Spaces, dashes, dots, parentheses and a "tel:" prefix are ignored. A
// number that cannot be placed (a seven-digit local number without its
// area code, letters, too few or too many digits) is an error.
func NormalizePhone(s string) (string, error) {
	t := strings.TrimSpace(s)
	t = strings.TrimPrefix(strings.TrimPrefix(t, "tel:"), "TEL:")
	plus := false
	var d []byte
	for i, r := range t {
		switch {
		case r >= '0' && r <= '9':
			d = append(d, byte(r))
		case r == '+' && len(d) == 0 && !plus:
			plus = true
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')' || r == '/' || r == '\u00a0' || r == '\u202f' || r == '\u2011' || r == '\u200e' || r == '\u200f':
		default:
			return "", fmt.Errorf("%q: carácter %q no válido en un teléfono / character %q is not valid in a phone number (posición/position %d)", s, r, r, i)
		}
		if len(d) > 20 {
			return "", fmt.Errorf("%q: demasiados dígitos / too many digits", s)
		}
	}
	digits := string(d)
	if !plus && strings.HasPrefix(digits, "00") {
		plus, digits = true, digits[2:]
	}
	switch {
	case plus || (strings.HasPrefix(digits, "593") && len(digits) == 12):
		if strings.HasPrefix(digits, "593") {
			rest := digits[3:]
			rest = strings.TrimPrefix(rest, "0") // "+593 09..." written with the trunk 0
			if !ecuadorNational(rest) {
				return "", fmt.Errorf("%q: número de Ecuador no válido (+593 y 8 o 9 dígitos) / not a valid Ecuadorian number (+593 and 8 or 9 digits)", s)
			}
			return "+593" + rest, nil
		}
		if len(digits) < 8 || len(digits) > 15 || digits[0] == '0' {
			return "", fmt.Errorf("%q: número internacional no válido (8 a 15 dígitos) / not a valid international number (8 to 15 digits)", s)
		}
		return "+" + digits, nil
	case len(digits) == 10 && strings.HasPrefix(digits, "09"):
		return "+593" + digits[1:], nil
	case len(digits) == 9 && digits[0] == '9':
		return "+593" + digits, nil
	case len(digits) == 9 && digits[0] == '0' && digits[1] >= '2' && digits[1] <= '7':
		return "+593" + digits[1:], nil
	case len(digits) == 7:
		return "", fmt.Errorf("%q: número local sin código de provincia (p. ej. 02) / a local number without its area code (e.g. 02)", s)
	}
	return "", fmt.Errorf("%q: no es un teléfono reconocible / not a recognisable phone number", s)
}

// ecuadorNational reports whether digits (after +593, without the trunk
// 0) are a mobile (9 and eight digits) or a landline (area 2–7 and seven
// digits).
func ecuadorNational(digits string) bool {
	switch {
	case len(digits) == 9 && digits[0] == '9':
		return true
	case len(digits) == 8 && digits[0] >= '2' && digits[0] <= '7':
		return true
	}
	return false
}
