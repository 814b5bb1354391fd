package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/internal/analysisgen"
)

// analyzeCase writes a deployment with a case whose seized phones' lab
// extractions (evidence.derive, with each file's sha256) are the files of
// the synthetic data set, and returns the data directory, the data set's
// directory and its manifest.
func analyzeCase(t *testing.T) (string, string, *analysisgen.Manifest) {
	t.Helper()
	tmp := t.TempDir()
	set := filepath.Join(tmp, "set")
	m, err := analysisgen.Generate(set, 16)
	if err != nil {
		t.Fatal(err)
	}
	lines := []string{
		`{"op":"agency.add","id":"FGE","name":"Fiscalía General del Estado","kind":"prosecution"}`,
		`{"op":"agency.add","id":"LAB","name":"Laboratorio","kind":"forensics"}`,
		`{"op":"officer.add","id":"fiscal","name":"Fiscal","agency":"FGE","role":"prosecutor"}`,
		`{"op":"officer.add","id":"perito","name":"Perito","agency":"LAB","role":"forensic_analyst"}`,
		`{"op":"case.open","id":"C-SYN","title":"Caso sintético","at":"2024-01-10T09:00:00-05:00","by":"fiscal"}`,
		fmt.Sprintf(`{"op":"person.add","id":"P-JEFE","case":"C-SYN","name":%q,"roles":["trafficker"]}`, m.Boss.Name),
		`{"op":"evidence.seize","id":"E-TEL","case":"C-SYN","type":"phone","description":"Teléfonos","seized_at":"2024-01-10T10:00:00-05:00","seized_by":"perito"}`,
	}
	for i, f := range m.Files {
		data, err := os.ReadFile(filepath.Join(set, f.Path))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		lines = append(lines, fmt.Sprintf(`{"op":"evidence.derive","id":"E-EXT-%d","parent":"E-TEL","type":"extraction","description":"Extracción %s","at":"2024-01-11T10:%02d:00-05:00","by":"perito","sha256":"%s","size":%d}`,
			i, f.Path, i, hex.EncodeToString(sum[:]), len(data)))
	}
	casePath := filepath.Join(tmp, "caso.jsonl")
	if err := os.WriteFile(casePath, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(tmp, "data")
	mustRun(t, "init", "--data", data)
	mustRun(t, "import", casePath, "--data", data)
	return data, set, m
}

// TestAnalyzeEndToEnd: the synthetic case through the CLI: every file
// imported against its evidence item and recorded in the log; a wrong file
// and a second import refused; the planted path (by phone numbers written
// as people write them) and broker found, in the JSON shapes of issue 16;
// search folds accents; every export cites the evidence; the log audits
// clean.
func TestAnalyzeEndToEnd(t *testing.T) {
	data, set, m := analyzeCase(t)
	for i, f := range m.Files {
		args := []string{"analyze", "import", fmt.Sprintf("E-EXT-%d", i), filepath.Join(set, f.Path), "--format", f.Format, "--data", data, "--json"}
		if f.Mapping != "" {
			args = append(args, "--mapping", filepath.Join(set, f.Mapping))
		}
		var res struct {
			Records, Rejected int
			Event             int64
			SHA256            string
		}
		if err := json.Unmarshal([]byte(mustRun(t, args...)), &res); err != nil {
			t.Fatal(err)
		}
		if res.Records == 0 || res.Rejected != 0 || res.Event == 0 || len(res.SHA256) != 64 {
			t.Errorf("%s: %+v", f.Path, res)
		}
	}
	// A file that is not the item's: refused, in both languages, nothing kept.
	other := filepath.Join(t.TempDir(), "otro.txt")
	os.WriteFile(other, []byte("14/12/2023, 22:00 - Alguien: hola\n"), 0o644)
	code, out, errs := runCLI(t, "analyze", "import", "E-EXT-1", other, "--format", "whatsapp", "--data", data)
	if code != 1 || out != "" || !strings.Contains(errs, "no es el de ningún archivo registrado para la evidencia E-EXT-1") {
		t.Errorf("a file of another hash: exit %d, %q, %q", code, out, errs)
	}
	_, _, errsEN := runCLI(t, "analyze", "import", "E-EXT-1", other, "--format", "whatsapp", "--data", data, "--lang", "en")
	if !strings.Contains(errsEN, "is not that of any file recorded for item E-EXT-1") {
		t.Errorf("English refusal: %q", errsEN)
	}
	code, _, errs = runCLI(t, "analyze", "import", "E-EXT-1", filepath.Join(set, m.Files[1].Path), "--format", "whatsapp", "--data", data)
	if code != 1 || !strings.Contains(errs, "ya se importó") {
		t.Errorf("a second import: exit %d, %q", code, errs)
	}
	if code, _, errs := runCLI(t, "analyze", "import", "E-TEL", other, "--format", "whatsapp", "--data", data); code != 1 || !strings.Contains(errs, "no tiene archivos registrados") {
		t.Errorf("an item without files: exit %d, %q", code, errs)
	}
	if code, _, _ := runCLI(t, "analyze", "import", "E-EXT-1", other, "--format", "pdf", "--data", data); code != 2 {
		t.Errorf("--format pdf: exit %d, want 2", code)
	}

	// The path, from the boss as a case person to the judge by a number
	// written with spaces and the trunk 0.
	judge := "0" + m.Judge.Phone[4:6] + " " + m.Judge.Phone[6:9] + " " + m.Judge.Phone[9:]
	var path struct {
		Path []struct {
			Entity, Name string
			Phones       []string
		}
		Links []struct {
			Kind, At string
			Source   struct {
				Item, SHA256 string
				Line         int
				Offset       int64
			}
		}
	}
	raw := mustRun(t, "analyze", "path", "C-SYN", "P-JEFE", judge, "--data", data, "--json")
	if err := json.Unmarshal([]byte(raw), &path); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range path.Path {
		names = append(names, p.Name)
	}
	want := []string{m.Boss.Name, m.Broker.Name, m.Clerk.Name, m.Judge.Name}
	if strings.Join(names, "|") != strings.Join(want, "|") || len(path.Links) != 3 {
		t.Fatalf("path %v, want %v:\n%s", names, want, raw)
	}
	if path.Path[3].Phones[0] != m.Judge.Phone {
		t.Errorf("the judge's phones: %v", path.Path[3].Phones)
	}
	for _, l := range path.Links {
		if l.Kind == "" || l.At == "" || !strings.HasPrefix(l.Source.Item, "E-EXT-") || len(l.Source.SHA256) != 64 || (l.Source.Line == 0 && l.Source.Offset == 0) {
			t.Errorf("link without its evidence: %+v", l)
		}
	}
	// In time, on the planted night, within the hour.
	raw = mustRun(t, "analyze", "path", "C-SYN", m.Boss.Phone, m.Judge.Phone, "--after", "2023-12-14T21:00:00-05:00", "--max-gap", "1h", "--data", data, "--json")
	if err := json.Unmarshal([]byte(raw), &path); err != nil {
		t.Fatal(err)
	}
	prev, _ := time.Parse(time.RFC3339, "2023-12-14T21:00:00-05:00")
	for i, l := range path.Links {
		at, err := time.Parse(time.RFC3339, l.At)
		if err != nil || at.Before(prev) || (i > 0 && at.Sub(prev) > time.Hour) {
			t.Errorf("time-respecting path, hop %d at %s after %s:\n%s", i, l.At, prev, raw)
		}
		prev = at
	}
	if len(path.Links) != 3 {
		t.Errorf("time-respecting path of %d hops:\n%s", len(path.Links), raw)
	}
	if code, _, errs := runCLI(t, "analyze", "path", "C-SYN", m.Boss.Phone, m.Judge.Phone, "--after", "2023-12-15T00:00:00-05:00", "--max-gap", "1m", "--data", data); code != 1 || !strings.Contains(errs, "no hay camino") {
		t.Errorf("impossible path: exit %d, %q", code, errs)
	}
	text := mustRun(t, "analyze", "path", "C-SYN", "P-JEFE", judge, "--data", data, "--lang", "en")
	if !strings.Contains(text, "1. "+m.Boss.Name) || !strings.Contains(text, "item E-EXT-") {
		t.Errorf("path as text:\n%s", text)
	}

	var brokers struct {
		Brokers []struct {
			Entity, Name string
			Score        float64
		}
	}
	if err := json.Unmarshal([]byte(mustRun(t, "analyze", "brokers", "C-SYN", "--top", "3", "--data", data, "--json")), &brokers); err != nil {
		t.Fatal(err)
	}
	if len(brokers.Brokers) != 3 || brokers.Brokers[0].Name != m.Broker.Name || brokers.Brokers[0].Score <= brokers.Brokers[1].Score {
		t.Errorf("brokers: %+v", brokers)
	}

	var hits struct {
		Hits []struct {
			Text   string
			Source struct{ Item string }
		}
	}
	if err := json.Unmarshal([]byte(mustRun(t, "analyze", "search", "C-SYN", "mañana", "FIRMA", "--data", data, "--json")), &hits); err != nil {
		t.Fatal(err)
	}
	if len(hits.Hits) == 0 {
		t.Fatal("no hits for 'mañana FIRMA'")
	}
	for _, h := range hits.Hits {
		if !strings.Contains(strings.ToLower(h.Text), "firma") || h.Source.Item == "" {
			t.Errorf("hit %+v", h)
		}
	}
	if err := json.Unmarshal([]byte(mustRun(t, "analyze", "search", "C-SYN", "esta", "arreglado", "--data", data, "--json")), &hits); err != nil || len(hits.Hits) == 0 || !strings.Contains(hits.Hits[0].Text, "Está arreglado") {
		t.Errorf("'esta arreglado' (without its accent) found %+v: %v", hits.Hits, err)
	}

	dir := t.TempDir()
	for _, f := range []string{"ftm", "gexf", "graphml", "csv"} {
		o := filepath.Join(dir, "red."+f)
		mustRun(t, "analyze", "export", "C-SYN", "--format", f, "-o", o, "--data", data)
		if f == "csv" {
			o = filepath.Join(dir, "red-edges.csv")
		}
		b, err := os.ReadFile(o)
		if err != nil || !bytes.Contains(b, []byte("E-EXT-")) {
			t.Errorf("%s export without evidence references (%v)", f, err)
		}
	}
	// The log holds an analysis.import event per file and still audits.
	mustRun(t, "audit", "--data", data)
}
