package custody_test

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/internal/testkeys"
)

// TestPasskeyClientData: CheckSig reads a passkey's client data in the form
// browsers write it (type and challenge first, WebAuthn §5.8.1.2) without a
// JSON parser, and any other form as JSON, and in both forms accepts only
// an assertion (webauthn.get) whose challenge is the act's digest.
func TestPasskeyClientData(t *testing.T) {
	digest := custody.ActDigest(custody.OpTransfer, []byte(`{"item":"E-1"}`))
	other := custody.ActDigest(custody.OpTransfer, []byte(`{"item":"E-2"}`))
	enc := base64.RawURLEncoding.EncodeToString
	c, o := enc(digest[:]), enc(other[:])
	cases := []struct {
		name, client string
		ok           bool
	}{
		{"as a browser writes it", `{"type":"webauthn.get","challenge":"` + c + `","origin":"https://custodia.example","crossOrigin":false}`, true},
		{"members in another order", `{"origin":"https://custodia.example","challenge":"` + c + `","type":"webauthn.get"}`, true},
		{"with spaces", `{ "type": "webauthn.get", "challenge": "` + c + `" }`, true},
		{"an enrolment, not an assertion", `{"type":"webauthn.create","challenge":"` + c + `","origin":"https://custodia.example"}`, false},
		{"another act's challenge", `{"type":"webauthn.get","challenge":"` + o + `","origin":"https://custodia.example"}`, false},
		{"another act's challenge, other order", `{"challenge":"` + o + `","type":"webauthn.get"}`, false},
		{"the challenge and more", `{"type":"webauthn.get","challenge":"` + c + `AAAA","origin":"https://custodia.example"}`, false},
		{"the challenge cut short", `{"type":"webauthn.get","challenge":"` + c[:40] + `","origin":"https://custodia.example"}`, false},
		{"no type", `{"challenge":"` + c + `"}`, false},
		{"not JSON", `type=webauthn.get&challenge=` + c, false},
		{"empty", ``, false},
	}
	for _, eddsa := range []bool{false, true} {
		k := testkeys.Passkey("P-A", "custodia.example", eddsa)
		pub, err := custody.ParseKey(k.Request(time.Now()))
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range cases {
			t.Run(fmt.Sprintf("%s/eddsa=%v", tc.name, eddsa), func(t *testing.T) {
				err := custody.CheckSig(pub, digest, k.SignClientData(custody.RoleBy, []byte(tc.client)))
				if (err == nil) != tc.ok {
					t.Fatalf("CheckSig = %v, want ok %v", err, tc.ok)
				}
				if !tc.ok && (err.MessageEN != "the passkey assertion is not for this act" || err.Message != "la aserción de la llave de acceso no es de este acto") {
					t.Fatalf("CheckSig = %q / %q, want the assertion refused as not for this act, in both languages", err.Message, err.MessageEN)
				}
			})
		}
	}
	// The browser's form, signed, then altered: the signature no longer
	// verifies, though the challenge still reads right.
	k := testkeys.Passkey("P-A", "custodia.example", false)
	pub, _ := custody.ParseKey(k.Request(time.Now()))
	s := k.Sign(custody.RoleBy, digest)
	client, _ := base64.RawURLEncoding.DecodeString(s.ClientDataJSON)
	s.ClientDataJSON = enc([]byte(strings.Replace(string(client), "custodia.example", "evil.example", 1)))
	if err := custody.CheckSig(pub, digest, s); err == nil || err.Message != "la firma no se verifica con la clave" || !strings.Contains(err.Error(), "does not verify") {
		t.Fatalf("altered client data: CheckSig = %v, want the signature refused", err)
	}
}
