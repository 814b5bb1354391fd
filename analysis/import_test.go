package analysis

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// testSHA is the fake file hash the golden files carry.
const testSHA = "0000000000000000000000000000000000000000000000000000000000000000"

// importFile runs the importer of format on a test file.
func importFile(t *testing.T, format, path, mapping string) (*Collector, Summary, error) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var m *Mapping
	if mapping != "" {
		b, err := os.ReadFile(mapping)
		if err != nil {
			t.Fatal(err)
		}
		if m, err = ParseMapping(b); err != nil {
			t.Fatal(err)
		}
	}
	c := &Collector{}
	sum, err := Import(format, f, Source{Item: "E-TEST", SHA256: testSHA}, ImportOptions{Mapping: m}, c)
	return c, sum, err
}

// render is the golden form of an import: one JSON line per record and
// per reject, then the summary or the error.
func render(c *Collector, sum Summary, err error) []byte {
	var b bytes.Buffer
	for _, r := range c.Records {
		j, _ := json.Marshal(r)
		b.Write(j)
		b.WriteByte('\n')
	}
	for _, r := range c.Rejects {
		j, _ := json.Marshal(r)
		b.WriteString("reject ")
		b.Write(j)
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "summary %d records, %d rejects\n", sum.Records, sum.Rejects)
	if err != nil {
		fmt.Fprintf(&b, "error %v\n", err)
	}
	return b.Bytes()
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./analysis -run Golden -update writes it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// TestImportGolden: each importer on each format variant, against its
// golden file (testdata/FORMAT/FILE.golden): every record with its source
// line or offset, every reject with its reason in both languages.
func TestImportGolden(t *testing.T) {
	for _, tc := range []struct {
		format, file, mapping string
	}{
		{"whatsapp", "whatsapp/android-es.txt", ""},
		{"whatsapp", "whatsapp/android-es-ampm.txt", ""},
		{"whatsapp", "whatsapp/android-en-us.txt", ""},
		{"whatsapp", "whatsapp/ios-es.txt", ""},
		{"whatsapp", "whatsapp/ios-en-gb.txt", ""},
		{"whatsapp", "whatsapp/rejects.txt", ""},
		{"telegram", "telegram/result.json", ""},
		{"telegram", "telegram/chat.json", ""},
		{"telegram", "telegram/truncated.json", ""},
		{"vcard", "vcard/contacts30.vcf", ""},
		{"vcard", "vcard/contacts40.vcf", ""},
		{"vcard", "vcard/contacts21.vcf", ""},
		{"vcard", "vcard/bad.vcf", ""},
		{"calls-csv", "csv/calls-default.csv", ""},
		{"calls-csv", "csv/calls-mapped.csv", "csv/calls-mapping.json"},
		{"payments-csv", "csv/payments.csv", "csv/payments-mapping.json"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			mapping := ""
			if tc.mapping != "" {
				mapping = filepath.Join("testdata", tc.mapping)
			}
			c, sum, err := importFile(t, tc.format, filepath.Join("testdata", tc.file), mapping)
			golden(t, filepath.Join("testdata", tc.file+".golden"), render(c, sum, err))
			if sum.Records != len(c.Records) || sum.Rejects != len(c.Rejects) {
				t.Errorf("summary %+v, sink got %d records and %d rejects", sum, len(c.Records), len(c.Rejects))
			}
		})
	}
}

// TestImportLinesAreNeverLost: every non-blank line of a WhatsApp export
// is in a record (as its first line or a continuation) or in a reject.
func TestImportLinesAreNeverLost(t *testing.T) {
	for _, name := range []string{"android-es.txt", "ios-es.txt", "rejects.txt"} {
		path := filepath.Join("testdata", "whatsapp", name)
		c, _, err := importFile(t, "whatsapp", path, "")
		if err != nil {
			t.Fatal(err)
		}
		data, _ := os.ReadFile(path)
		headers := map[int]bool{}
		for _, r := range c.Records {
			headers[r.Source.Line] = true
		}
		for _, r := range c.Rejects {
			headers[r.Line] = true
		}
		lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
		covered := false
		for i, l := range lines {
			n := i + 1
			if headers[n] {
				covered = true
				continue
			}
			if strings.TrimSpace(l) == "" {
				continue
			}
			if _, ok := parseWAHeader([]byte(l)); ok || !covered {
				t.Errorf("%s line %d %q is in no record and no reject", name, n, l)
			}
		}
	}
}

// TestWhatsAppStreams: a reader that fails the test if read past what a
// line needs is not needed; instead, the importer reads a 200,000-line
// export through a pipe and its records arrive before the writer ends.
func TestWhatsAppStreams(t *testing.T) {
	pr, pw := io.Pipe()
	go func() {
		for i := 0; i < 200000; i++ {
			fmt.Fprintf(pw, "14/12/2023, 22:%02d - Persona %d: mensaje %d\n", i%60, i%50, i)
		}
		pw.Close()
	}()
	n := 0
	sink := funcSink(func(r *Record) error { n++; return nil })
	sum, err := ImportWhatsApp(pr, Source{Item: "E", SHA256: testSHA}, WhatsAppOptions{}, sink)
	if err != nil || sum.Records != 200000 || n != 200000 || sum.Rejects != 0 {
		t.Fatalf("%+v %v %d", sum, err, n)
	}
}

type funcSink func(*Record) error

func (f funcSink) Record(r *Record) error { return f(r) }
func (f funcSink) Reject(Reject) error    { return nil }

func TestImportUnknownFormat(t *testing.T) {
	_, err := Import("pdf", strings.NewReader(""), Source{}, ImportOptions{}, &Collector{})
	if err == nil || !strings.Contains(err.Error(), "whatsapp") {
		t.Fatalf("Import(pdf) = %v", err)
	}
}
