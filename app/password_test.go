package app

import (
	"errors"
	"strings"
	"testing"

	"github.com/custodia-ec/custodia/custody"
)

// TestCheckNewPassword: the length, the repetition a new user found
// accepted ("aaaaaaaaaaaa"), the confirmation and the reuse of the old one
// are each refused on the right field, with a Spanish and an English
// message; a real passphrase passes.
func TestCheckNewPassword(t *testing.T) {
	for _, c := range []struct {
		old, new, confirm, field, msg string
	}{
		{"viejo", "corta", "corta", "new", "entre 12 y 1024"},
		{"viejo", "aaaaaaaaaaaa", "aaaaaaaaaaaa", "new", "al menos 5 caracteres distintos"},
		{"viejo", "abababababab", "abababababab", "new", "al menos 5 caracteres distintos"},
		{"viejo", "caballo correcto pila", "caballo correcto pla", "confirm", "no coinciden"},
		{"caballo correcto pila", "caballo correcto pila", "caballo correcto pila", "new", "distinta de la actual"},
		{"viejo", "caballo correcto pila", "caballo correcto pila", "", ""},
		{"viejo", "ñandú-2023-Riobamba", "ñandú-2023-Riobamba", "", ""},
	} {
		err := CheckNewPassword(c.old, c.new, c.confirm)
		if c.field == "" {
			if err != nil {
				t.Errorf("%q refused: %v", c.new, err)
			}
			continue
		}
		var ce *custody.Error
		if !errors.As(err, &ce) || ce.Field != c.field || !strings.Contains(ce.Message, c.msg) || ce.MessageEN == "" || ce.MessageEN == ce.Message {
			t.Errorf("%q: %v, want %q on %s in Spanish, and English", c.new, err, c.msg, c.field)
		}
	}
}
