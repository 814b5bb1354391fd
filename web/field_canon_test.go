package web

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/custodia-ec/custodia/casefile"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/custody/fastcodec"
)

// The field app signs acts offline, so it computes the canonical record and
// the act digest itself (web/field/canon.js). These tests run that very
// file under node on thousands of records and hold its bytes equal to the
// server's (fastcodec.MarshalCanonical, custody.Canonical, ActDigest): a
// single differing byte would make every signature of the device fail.

// nodeRunner is the node side: one JSON request per line on stdin, one
// answer per line on stdout, in order.
const nodeRunner = `
const C = require(process.argv[2]);
const rl = require("readline").createInterface({ input: process.stdin });
const out = [];
rl.on("line", (line) => {
  const q = JSON.parse(line);
  out.push((async () => {
    try {
      let rec = q.value;
      if (q.kind === "record") rec = C.record(q.op, q.fields);
      const canon = C.canonical(rec);
      const digest = C.hex(await C.actDigest(q.op, canon));
      return JSON.stringify({ canonical: canon, digest: digest });
    } catch (e) {
      return JSON.stringify({ error: String(e.message || e) });
    }
  })());
});
rl.on("close", async () => {
  for (const p of out) process.stdout.write((await p) + "\n");
});
`

type nodeQuery struct {
	Kind   string         `json:"kind"` // "canon" or "record"
	Op     string         `json:"op"`
	Value  any            `json:"value,omitempty"`
	Fields map[string]any `json:"fields,omitempty"`
}

type nodeAnswer struct {
	Canonical string `json:"canonical"`
	Digest    string `json:"digest"`
	Error     string `json:"error"`
}

// runCanonJS runs the queries through web/field/canon.js under node.
func runCanonJS(t *testing.T, qs []nodeQuery) []nodeAnswer {
	t.Helper()
	var in bytes.Buffer
	for _, q := range qs {
		b, err := json.Marshal(q)
		if err != nil {
			t.Fatal(err)
		}
		in.Write(b)
		in.WriteByte('\n')
	}
	out := runNode(t, "the field app's canonicalizer", nodeRunner, filepath.Join("field", "canon.js"), &in)
	var res []nodeAnswer
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var a nodeAnswer
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			t.Fatalf("node answered %q: %v", sc.Text(), err)
		}
		res = append(res, a)
	}
	if len(res) != len(qs) {
		t.Fatalf("node answered %d of %d queries", len(res), len(qs))
	}
	return res
}

// pieces are what random strings are made of: the escapes JSON has a
// short form for and those it has not, quotes, HTML characters the Go
// encoder escapes and the canonical form does not, DEL, C1, the line
// separators, accents, a character past U+FFFF (a surrogate pair in
// JavaScript) and the last one before it, which orders after it by UTF-16
// code units and before it by code points.
var pieces = []string{"a", "Z", "0", " ", "\"", "\\", "/", "\b", "\f", "\n", "\r", "\t", "\x00", "\x01", "\x1f", "\x7f", "\u0080", "\u009f",
	"<", ">", "&", "\u2028", "\u2029", "á", "Ñ", "ü", "€", "中", "😀", "𝄞", "\uffff", "\ufffd", "\ufeff", "Teléfono celular", "PN-100001", "E-CHI-03-01"}

func randString(r *rand.Rand, max int) string {
	var b strings.Builder
	for n := r.IntN(max + 1); n > 0; n-- {
		b.WriteString(pieces[r.IntN(len(pieces))])
	}
	return b.String()
}

func randInt(r *rand.Rand) int64 {
	switch r.IntN(4) {
	case 0:
		return int64(r.IntN(10))
	case 1:
		return custody.MaxSafeInteger - int64(r.IntN(3))
	case 2:
		return -custody.MaxSafeInteger + int64(r.IntN(3))
	}
	return r.Int64N(2*custody.MaxSafeInteger) - custody.MaxSafeInteger
}

// TestFieldCanonicalMatchesServer: flat objects of random keys and values
// (strings, integers, booleans) give the same canonical bytes and act
// digest in canon.js as in custody.Canonical and fastcodec.MarshalCanonical.
func TestFieldCanonicalMatchesServer(t *testing.T) {
	r := rand.New(rand.NewPCG(18, 2024))
	var qs []nodeQuery
	var want [][]byte
	ops := []string{custody.OpSeize, custody.OpAttach, casefile.OpDetention, "op con ñ y 😀"}
	for i := 0; i < 3000; i++ {
		m := map[string]any{}
		for n := r.IntN(12); n > 0; n-- {
			k := randString(r, 3)
			switch r.IntN(5) {
			case 0:
				m[k] = randInt(r)
			case 1:
				m[k] = r.IntN(2) == 0
			default:
				m[k] = randString(r, 8)
			}
		}
		js, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		c1, err := custody.Canonical(js)
		if err != nil {
			t.Fatalf("custody.Canonical(%s): %v", js, err)
		}
		c2, err := fastcodec.MarshalCanonical(m)
		if err != nil || !bytes.Equal(c1, c2) {
			t.Fatalf("the server's two codecs differ on %s: %s / %s (%v)", js, c1, c2, err)
		}
		op := ops[i%len(ops)]
		qs = append(qs, nodeQuery{Kind: "canon", Op: op, Value: m})
		want = append(want, c1)
	}
	got := runCanonJS(t, qs)
	for i, a := range got {
		if a.Error != "" || a.Canonical != string(want[i]) {
			t.Fatalf("record %d: canon.js gives %q (%s), the server %q", i, a.Canonical, a.Error, want[i])
		}
		d := custody.ActDigest(qs[i].Op, want[i])
		if a.Digest != hex.EncodeToString(d[:]) {
			t.Fatalf("record %d: canon.js's digest %s, the server's %x", i, a.Digest, d)
		}
	}
}

// TestFieldRecordsMatchServer: the records canon.js builds for each act a
// device makes, from random fields (optional ones often left out or
// empty), are what the server decodes and writes back, byte for byte, so
// the digest the device signs is the digest the ledger checks.
func TestFieldRecordsMatchServer(t *testing.T) {
	r := rand.New(rand.NewPCG(18, 7))
	fields := map[string][]string{
		custody.OpSeize:         {"id", "case", "type", "description", "seized_at", "seized_by", "site", "place", "quantity", "seal", "digital"},
		custody.OpAttach:        {"item", "name", "sha256", "size", "at", "by", "media_type"},
		custody.OpSeal:          {"item", "seal", "at", "by"},
		custody.OpTransfer:      {"item", "from", "to", "at", "purpose", "seal_condition", "seal", "location"},
		casefile.OpSiteStatus:   {"site", "status", "at", "by", "note"},
		casefile.OpDetention:    {"id", "case", "person", "basis", "arrested_at", "arrested_by", "operation", "site", "place", "charge", "rights_notified_at", "hearing_at", "released_at", "note"},
		casefile.OpDetentionUpd: {"detention", "at", "by", "rights_notified_at", "hearing_at", "released_at"},
	}
	var ops []string
	for op := range fields {
		ops = append(ops, op)
	}
	var qs []nodeQuery
	for i := 0; i < 2000; i++ {
		op := ops[i%len(ops)]
		f := map[string]any{}
		for _, k := range fields[op] {
			switch {
			case r.IntN(4) == 0:
				// left out: the builder writes what the server would
			case k == "quantity" || k == "size":
				f[k] = randInt(r)
			case k == "digital":
				f[k] = r.IntN(2) == 0
			case r.IntN(5) == 0:
				f[k] = ""
			default:
				f[k] = randString(r, 6)
			}
		}
		qs = append(qs, nodeQuery{Kind: "record", Op: op, Fields: f})
	}
	got := runCanonJS(t, qs)
	for i, a := range got {
		if a.Error != "" {
			t.Fatalf("%s %v: canon.js: %s", qs[i].Op, qs[i].Fields, a.Error)
		}
		rec, err := casefile.DecodeRecord(qs[i].Op, []byte(a.Canonical))
		if err != nil {
			t.Fatalf("%s: the server cannot read canon.js's record %s: %v", qs[i].Op, a.Canonical, err)
		}
		back, err := fastcodec.MarshalCanonical(rec)
		if err != nil {
			t.Fatal(err)
		}
		if string(back) != a.Canonical {
			t.Fatalf("%s: the device signs\n%s\nbut the server logs\n%s", qs[i].Op, a.Canonical, back)
		}
		d := custody.ActDigest(qs[i].Op, back)
		if a.Digest != hex.EncodeToString(d[:]) {
			t.Fatalf("%s: digest %s, the server's %x", qs[i].Op, a.Digest, d)
		}
	}
}

// TestFieldCanonicalRefuses: what has no canonical form is refused by
// canon.js rather than signed: a lone surrogate, a fraction, an integer
// beyond 2^53, an op a device does not record.
func TestFieldCanonicalRefuses(t *testing.T) {
	dir := t.TempDir()
	canon, _ := filepath.Abs(filepath.Join("field", "canon.js"))
	script := filepath.Join(dir, "refuse.js")
	src := fmt.Sprintf(`const C = require(%q);
const bad = [() => C.canonical({a: "\ud800"}), () => C.canonical({"\udc00": 1}), () => C.canonical({a: 1.5}), () => C.canonical({a: 2 ** 53}),
  () => C.canonical({a: undefined, b: () => 1}), () => C.record("case.open", {})];
let n = 0;
for (const f of bad) { try { f(); console.log("accepted: " + f); } catch (e) { n++; } }
console.log(n + "/" + bad.length);`, canon)
	os.WriteFile(script, []byte(src), 0o644)
	out, err := exec.Command("node", script).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "6/6" {
		t.Errorf("canon.js on values with no canonical form: %v\n%s", err, out)
	}
}
