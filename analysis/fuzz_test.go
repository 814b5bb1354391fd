package analysis

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/custodia-ec/custodia/internal/terminates"
)

// seeds adds every file of testdata/DIR matching ext, and the malformed
// variants of the first, to f.
func seeds(f *testing.F, dir, ext string) {
	files, _ := filepath.Glob(filepath.Join("testdata", dir, "*"+ext))
	for i, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		if i == 0 {
			for _, v := range terminates.Variants(b) {
				f.Add(v)
			}
		}
	}
}

// checkImport holds what every importer promises on any input, besides
// no panic and no hang (each target's terminates.Within): counts that match what the sink got,
// and every record and reject placed in the file.
func checkImport(t *testing.T, data []byte, c *Collector, sum Summary) {
	if sum.Records != len(c.Records) || sum.Rejects != len(c.Rejects) {
		t.Fatalf("summary %+v, sink got %d records and %d rejects", sum, len(c.Records), len(c.Rejects))
	}
	lines := bytes.Count(data, []byte("\n")) + 1
	for _, r := range c.Records {
		if r.Source.Item != "E-FUZZ" || r.Source.SHA256 != testSHA {
			t.Fatalf("record without its source: %+v", r)
		}
		if r.Source.Line > lines || r.Source.Offset > int64(len(data)) || r.Source.Line < 0 || r.Source.Offset < 0 {
			t.Fatalf("record placed outside the file (%d lines, %d bytes): %+v", lines, len(data), r.Source)
		}
	}
	for _, r := range c.Rejects {
		if r.Reason == "" || r.EN == "" || r.Line > lines || r.Offset > int64(len(data)) {
			t.Fatalf("reject without reason or outside the file: %+v", r)
		}
	}
}

var fuzzSrc = Source{Item: "E-FUZZ", SHA256: testSHA}

func FuzzWhatsApp(f *testing.F) {
	seeds(f, "whatsapp", ".txt")
	f.Fuzz(func(t *testing.T, data []byte) {
		c := &Collector{}
		var sum Summary
		terminates.Within(t, data, func() { sum, _ = ImportWhatsApp(bytes.NewReader(data), fuzzSrc, WhatsAppOptions{}, c) })
		checkImport(t, data, c, sum)
	})
}

func FuzzTelegram(f *testing.F) {
	seeds(f, "telegram", ".json")
	f.Fuzz(func(t *testing.T, data []byte) {
		c := &Collector{}
		var sum Summary
		terminates.Within(t, data, func() { sum, _ = ImportTelegram(bytes.NewReader(data), fuzzSrc, TelegramOptions{}, c) })
		checkImport(t, data, c, sum)
	})
}

func FuzzVCard(f *testing.F) {
	seeds(f, "vcard", ".vcf")
	f.Fuzz(func(t *testing.T, data []byte) {
		c := &Collector{}
		var sum Summary
		terminates.Within(t, data, func() { sum, _ = ImportVCard(bytes.NewReader(data), fuzzSrc, c) })
		checkImport(t, data, c, sum)
	})
}

func FuzzCallsCSV(f *testing.F) {
	seeds(f, "csv", "calls-default.csv")
	f.Fuzz(func(t *testing.T, data []byte) {
		c := &Collector{}
		var sum Summary
		terminates.Within(t, data, func() { sum, _ = ImportCallsCSV(bytes.NewReader(data), fuzzSrc, nil, c) })
		checkImport(t, data, c, sum)
	})
}

func FuzzPaymentsCSV(f *testing.F) {
	seeds(f, "csv", "payments.csv")
	m, err := ParseMapping(mustRead(f, "testdata/csv/payments-mapping.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c := &Collector{}
		var sum Summary
		terminates.Within(t, data, func() { sum, _ = ImportPaymentsCSV(bytes.NewReader(data), fuzzSrc, m, c) })
		checkImport(t, data, c, sum)
	})
}

// FuzzMapping: a mapping file is user input too.
func FuzzMapping(f *testing.F) {
	f.Add(mustRead(f, "testdata/csv/calls-mapping.json"))
	f.Add(mustRead(f, "testdata/csv/payments-mapping.json"))
	f.Fuzz(func(t *testing.T, data []byte) {
		terminates.Within(t, data, func() {
			if m, err := ParseMapping(data); err == nil {
				ImportCallsCSV(strings.NewReader("a,b,c\n1,2,3\n"), fuzzSrc, m, &Collector{})
			}
		})
	})
}

// FuzzNormalizePhone: a normalised number is "+" and 8 to 15 digits, and
// normalising it again gives it back.
func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{"099 123 4567", "+593 (99) 123-4567", "(02) 234-5678", "00593991234567", "593991234567", "+12025550100", "1234567", "tel:+593-2-600-7000", "+593 09 123 4567"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var got string
		var err error
		terminates.Within(t, s, func() { got, err = NormalizePhone(s) })
		if err != nil {
			return
		}
		if len(got) < 9 || len(got) > 16 || got[0] != '+' || strings.Trim(got[1:], "0123456789") != "" {
			t.Fatalf("NormalizePhone(%q) = %q", s, got)
		}
		again, err := NormalizePhone(got)
		if err != nil || again != got {
			t.Fatalf("NormalizePhone(%q) = %q, then %q, %v", s, got, again, err)
		}
	})
}

func mustRead(f *testing.F, path string) []byte {
	b, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	return b
}
