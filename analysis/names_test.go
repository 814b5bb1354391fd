package analysis

import "testing"

func TestNormalizePhone(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"0991234567", "+593991234567"},
		{"099 123 4567", "+593991234567"},
		{"099-123-4567", "+593991234567"},
		{"991234567", "+593991234567"},
		{"+593 99 123 4567", "+593991234567"},
		{"+593 (99) 123-4567", "+593991234567"},
		{"+593 099 123 4567", "+593991234567"},
		{"593991234567", "+593991234567"},
		{"00593991234567", "+593991234567"},
		{"(02) 234-5678", "+59322345678"},
		{"02 234 5678", "+59322345678"},
		{"042345678", "+59342345678"},
		{"+593 2 600 7000", "+59326007000"},
		{"tel:+593-99-444-5566", "+593994445566"},
		{"+1 (202) 555-0100", "+12025550100"},
		{"+57 300 123 4567", "+573001234567"},
	} {
		got, err := NormalizePhone(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("NormalizePhone(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "2345678", "12", "099123456a", "+593 12 345", "+593 99 123 456", "0812345678", "+0123456789", "099 123 4567 ext 2"} {
		if got, err := NormalizePhone(bad); err == nil {
			t.Errorf("NormalizePhone(%q) = %q, want an error", bad, got)
		}
	}
}

func TestFold(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"José  Pérez-Gómez", "jose perez gomez"},
		{"ÑUSTE, Ángel", "nuste angel"},
		{"Jose\u0301 Perez", "jose perez"}, // decomposed accent
		{"  Dr. Wilman Terán  ", "dr wilman teran"},
		{"Número B", "numero b"},
	} {
		if got := Fold(tc.in); got != tc.want {
			t.Errorf("Fold(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestNameMatch(t *testing.T) {
	for _, tc := range []struct {
		a, b   string
		lo, hi float64
	}{
		{"José Pérez", "jose perez", 1, 1},
		{"Juan Pérez", "Juan Carlos Pérez Gómez", 0.5, 0.99},
		{"J. Pérez", "Juan Pérez Gómez", 0.5, 0.99},
		{"María de la Torre", "María Torre", 1, 1},
		{"J. P.", "Juan Pérez", 0, 0},
		{"Juan Pérez", "Pedro Pérez", 0, 0},
		{"Wilman Terán", "Dr. Wilman Terán Muñoz", 0.5, 0.99},
		{"Dr. Wilman Terán", "Wilman Terán Muñoz", 0, 0}, // "dr" has no counterpart
		{"Wilman Terán", "Wilman Terán Muñoz", 0.5, 0.99},
	} {
		got := NameMatch(tc.a, tc.b)
		if got < tc.lo || got > tc.hi {
			t.Errorf("NameMatch(%q, %q) = %v, want in [%v, %v]", tc.a, tc.b, got, tc.lo, tc.hi)
		}
		if back := NameMatch(tc.b, tc.a); back != got {
			t.Errorf("NameMatch is not symmetric on %q, %q: %v, %v", tc.a, tc.b, got, back)
		}
	}
}

func TestValidCedula(t *testing.T) {
	for _, s := range []string{"1710034065", "0926687856", "1713175071"} {
		if !ValidCedula(s) {
			t.Errorf("ValidCedula(%q) = false", s)
		}
	}
	for _, s := range []string{"1710034066", "171003406", "9910034065", "17100340a5", "1790034065"} {
		if ValidCedula(s) {
			t.Errorf("ValidCedula(%q) = true", s)
		}
	}
}
