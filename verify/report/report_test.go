package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/internal/terminates"
	"github.com/custodia-ec/custodia/verify"
)

var update = flag.Bool("update", false, "rewrite the golden verdicts")

func testdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func verified(t testing.TB, bundle string, opts verify.Options) *verify.Result {
	t.Helper()
	res, err := verify.Verify(testdata(t, bundle), opts)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func text(t testing.TB, res *verify.Result, lang string) string {
	var b bytes.Buffer
	if err := Write(&b, res, lang); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestGolden compares the verdict of verify's valid test bundle, verified
// with the log's key, with the golden files (go test -update rewrites them).
func TestGolden(t *testing.T) {
	key := string(bytes.TrimSpace(testdata(t, "log.vkey")))
	res := verified(t, "bundle-valid.json", verify.Options{TrustedKey: key})
	for _, lang := range []string{"es", "en"} {
		got := text(t, res, lang)
		golden := "verdict." + lang + ".txt"
		if *update {
			os.WriteFile(filepath.Join("..", "testdata", golden), []byte(got), 0o644)
		}
		if want := testdata(t, golden); got != string(want) {
			t.Errorf("%s differs from the verdict:\n%s", golden, got)
		}
	}
	for lang, wants := range map[string][]string{
		"es": {"Historial de E-CHI-03-01-IMG (imagen forense, caso C-1, derivada de E-CHI-03-01)", "[finalidad: bodega; estado del sello: intacto; sello: S-100]",
			"incautación  por: P-AGENTE1", "** SELLO ROTO **", "** NÚMERO DE SELLO DISTINTO **", "por la cuenta u-registro", "Anomalías de custodia: 2"},
		"en": {"** SEAL NUMBER DIFFERS **", "presented in court  by: P-FISCAL"},
	} {
		got := text(t, res, lang)
		for _, w := range wants {
			if !strings.Contains(got, w) {
				t.Errorf("%s text lacks %q:\n%s", lang, w, got)
			}
		}
	}
}

// TestHeadlineNamesWhatWasShown: with the log's key given, the headline
// says authentic; with the bundle's own key, it never does.
func TestHeadlineNamesWhatWasShown(t *testing.T) {
	key := string(bytes.TrimSpace(testdata(t, "log.vkey")))
	for _, tc := range []struct {
		opts       verify.Options
		want, lack string
	}{
		{verify.Options{TrustedKey: key}, "VEREDICTO: el paquete es auténtico", "SOLO CONSISTENCIA"},
		{verify.Options{}, "VEREDICTO: SOLO CONSISTENCIA INTERNA", "auténtico"},
	} {
		got := text(t, verified(t, "bundle-valid.json", tc.opts), "es")
		first, _, _ := strings.Cut(got, "\n")
		if !strings.Contains(first, tc.want) || strings.Contains(first, tc.lack) {
			t.Errorf("key %q: headline %q", tc.opts.TrustedKey, first)
		}
		if tc.opts.TrustedKey == "" && !strings.Contains(got, "ATENCIÓN: la clave del registro se tomó del propio paquete") {
			t.Errorf("without a key, the warning is missing:\n%s", got)
		}
	}
}

// TestWitnessesNamed: the cosigned test bundle's verdict names who signed
// and who did not.
func TestWitnessesNamed(t *testing.T) {
	res := verified(t, "bundle-cosigned.json", verify.Options{Policy: testdata(t, "policy.txt")})
	got := text(t, res, "es")
	if !strings.Contains(got, `Testigos: se cumple el quórum "dos-de-tres". Firmó W1`) || !strings.Contains(got, "No firmaron: W2.") {
		t.Errorf("text:\n%s", got)
	}
}

// FuzzWrite: whatever a bundle the verifier accepts, its verdict is written
// without a panic, within the bound.
func FuzzWrite(f *testing.F) {
	for _, name := range []string{"bundle-valid.json", "bundle-consistency.json", "bundle-cosigned.json"} {
		f.Add(testdata(f, name))
	}
	f.Fuzz(func(t *testing.T, bundle []byte) {
		terminates.Within(t, bundle, func() {
			res, err := verify.Verify(bundle, verify.Options{})
			if err != nil {
				return
			}
			for _, lang := range []string{"es", "en"} {
				if err := Write(&bytes.Buffer{}, res, lang); err != nil {
					t.Fatal(err)
				}
			}
		})
	})
}

// TestRecordedByNamesEveryOtherAccount: the account that recorded a step is
// named unless it is exactly one of those who acted, however similar its
// name (the test once was a substring test: account P-AGENTE passed for
// actor P-AGENTE1).
func TestRecordedByNamesEveryOtherAccount(t *testing.T) {
	en := func(_, en string) string { return en }
	for _, tc := range []struct {
		actors  []string
		account string
		named   bool
	}{
		{[]string{"P-AGENTE1"}, "P-AGENTE1", false},
		{[]string{"P-AGENTE1"}, "P-AGENTE", true},
		{[]string{"P-AGENTE1"}, "AGENTE1", true},
		{[]string{"P-A", "P-B"}, "P-B", false},
		{[]string{"P-A", "P-B"}, "P-A", false},
		{[]string{"P-A", "P-B"}, "P-A -> P-B", true},
		{[]string{"P-A", "P-B"}, "-", true},
		{nil, "P-A", true},
	} {
		s := verify.Step{Actor: strings.Join(tc.actors, " -> "), Account: tc.account, Actors: tc.actors}
		got := recordedBy(s, en)
		if named := got == " by account "+tc.account; named != tc.named {
			t.Errorf("actors %q, account %q: recordedBy = %q; want named %v", tc.actors, tc.account, got, tc.named)
		}
	}
	if got := recordedBy(verify.Step{ImportFile: "ab", ImportLine: 3, Account: "x"}, en); got != " by import of file sha256:ab, line 3" {
		t.Errorf("import: %q", got)
	}
}

// TestRecordedAtInTheActsOffset: the time the log recorded a step is shown
// in the offset of the act's own time, to the second, so that a step typed
// in later reads as such without converting zones; a time that does not
// parse is shown as it is.
func TestRecordedAtInTheActsOffset(t *testing.T) {
	guayaquil := time.FixedZone("-05", -5*3600)
	// In a reader's zone, the act's time and its recording both are in it.
	if got := recordedAt(verify.Step{At: "2023-12-18T14:00:00Z", RecordedAt: "2023-12-18T19:00:00.5Z"}, guayaquil); got != "2023-12-18T14:00:00-05:00" {
		t.Errorf("recorded in the reader's zone: %q", got)
	}
	if got := showAt("2023-12-18T14:00:00Z", guayaquil); got != "2023-12-18T09:00:00-05:00" {
		t.Errorf("act in the reader's zone: %q", got)
	}
	if got := showAt("2023-12-18T14:00:00Z", nil); got != "2023-12-18T14:00:00Z" {
		t.Errorf("act without a zone: %q", got)
	}
	for _, tc := range []struct{ at, recorded, want string }{
		{"2023-12-18T14:00:00-05:00", "2026-12-05T23:17:41.958171032Z", "2026-12-05T18:17:41-05:00"},
		{"2023-12-18T14:00:00Z", "2023-12-18T19:00:00.5+05:00", "2023-12-18T14:00:00Z"},
		{"not a time", "2023-12-18T19:00:00.5Z", "2023-12-18T19:00:00Z"},
		{"2023-12-18T14:00:00-05:00", "mañana", "mañana"},
	} {
		if got := recordedAt(verify.Step{At: tc.at, RecordedAt: tc.recorded}, nil); got != tc.want {
			t.Errorf("act at %s, recorded %s: shown %q, want %q", tc.at, tc.recorded, got, tc.want)
		}
	}
	key := string(bytes.TrimSpace(testdata(t, "log.vkey")))
	got := text(t, verified(t, "bundle-valid.json", verify.Options{TrustedKey: key}), "es")
	if !strings.Contains(got, "registrado el 2023-09-21T07:06:00-05:00 por la cuenta u-registro") {
		t.Errorf("the verdict does not show the recording time in the act's offset:\n%s", got)
	}
}
