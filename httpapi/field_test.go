package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/app"
	"github.com/custodia-ec/custodia/casefile"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/internal/testkeys"
	"github.com/custodia-ec/custodia/verify"
)

// fieldBody is a sync body of entries of device dev, each signed by k.
type fieldItem struct {
	seq   int64
	clock time.Time
	op    string
	rec   any
	keys  []*testkeys.Key
}

func fieldBody(t *testing.T, sent time.Time, dev string, items ...fieldItem) string {
	t.Helper()
	var b FieldSyncBody
	b.SentAt = sent.Format(time.RFC3339)
	for _, it := range items {
		raw, err := json.Marshal(it.rec)
		if err != nil {
			t.Fatal(err)
		}
		e := FieldEntryBody{Device: dev, Seq: it.seq, DeviceClock: it.clock.Format(time.RFC3339), Op: it.op, Record: raw}
		roles := []string{custody.RoleBy}
		if it.op == custody.OpTransfer {
			roles = []string{custody.RoleFrom, custody.RoleTo}
		}
		for i, k := range it.keys {
			e.Sigs = append(e.Sigs, k.SignAct(roles[i], it.op, it.rec))
		}
		b.Entries = append(b.Entries, e)
	}
	out, _ := json.Marshal(b)
	return string(out)
}

type fieldAnswer struct {
	ServerTime  string `json:"server_time"`
	SkewSeconds int64  `json:"skew_seconds"`
	Clock       string `json:"clock"`
	Results     []struct {
		Seq        int64  `json:"seq"`
		Status     string `json:"status"`
		Event      int64  `json:"event"`
		ActAt      string `json:"act_at"`
		ReceivedAt string `json:"received_at"`
		Late       bool   `json:"late"`
		Clock      string `json:"clock"`
		Error      *struct {
			Code      string `json:"code"`
			Message   string `json:"message"`
			MessageEN string `json:"message_en"`
			Field     string `json:"field"`
		} `json:"error"`
	} `json:"results"`
}

func (e *testEnv) sync(tok, body string) fieldAnswer {
	e.t.Helper()
	st, b := e.do("POST", "/api/v1/field/sync", tok, body)
	var a fieldAnswer
	if err := json.Unmarshal(b, &a); st != 200 || err != nil {
		e.t.Fatalf("sync: %d %s", st, b)
	}
	return a
}

// TestFieldSyncThroughAPI is issue 18's API door: a field device's batch,
// signed with the officer's passkey, cut in the middle by a lost
// connection and sent again (nothing recorded twice); the entries' device
// times and arrival; a device clock three hours behind flagged; a
// conflicting entry refused in both languages while the rest goes on; and
// the synced item's bundle verified offline with the device's signatures.
func TestFieldSyncThroughAPI(t *testing.T) {
	e := newEnv(t)
	tok := e.token(e.account("agente", "agent", "pn.s-pic-01.lead", "METASTASIS").Account, "write")
	pk := testkeys.Passkey("pn.s-pic-01.lead", "custodia.example", false)
	cust := testkeys.Ed25519("cust.pic")
	e.enrol(pk, cust)

	act := testNow.Add(-150 * time.Minute).In(time.FixedZone("", -5*3600))
	at := act.Format(time.RFC3339)
	photoBytes := bytes.Repeat([]byte("foto "), 800)
	sum := sha256.Sum256(photoBytes)
	size := int64(len(photoBytes))
	sz := &custody.Seize{ID: "E-F-API", Case: "METASTASIS", Type: "phone", Description: "Teléfono celular", SeizedAt: at, SeizedBy: "pn.s-pic-01.lead", Seal: "PN-900100"}
	photo := &custody.Attach{Item: "E-F-API", Name: "foto.jpg", SHA256: hex.EncodeToString(sum[:]), Size: &size, At: at, By: "pn.s-pic-01.lead", MediaType: "image/jpeg"}
	det := &casefile.Detention{ID: "D-F-API", Case: "METASTASIS", Person: "P-30", Basis: "flagrante", ArrestedAt: at, ArrestedBy: "pn.s-pic-01.lead", RightsNotifiedAt: at, Operation: "OP-METASTASIS"}
	give := &custody.Transfer{Item: "E-F-API", From: "pn.s-pic-01.lead", To: "cust.pic", At: act.Add(10 * time.Minute).Format(time.RFC3339), Purpose: "storage", SealCondition: "intact", Seal: "PN-900100"}
	body := fieldBody(t, testNow, "PWA-1",
		fieldItem{1, act, custody.OpSeize, sz, []*testkeys.Key{pk}},
		fieldItem{2, act, custody.OpAttach, photo, []*testkeys.Key{pk}},
		fieldItem{3, act, casefile.OpDetention, det, []*testkeys.Key{pk}},
		fieldItem{4, act.Add(10 * time.Minute), custody.OpTransfer, give, []*testkeys.Key{pk, cust}},
	)

	// The connection drops after the first entry: the server takes no
	// more, and the device has no answer.
	before := e.d.Ledger.Size()
	cctx, cancel := context.WithCancel(context.Background())
	e.s.OnFieldEntry(func(sctx context.Context, r app.FieldResult) {
		if r.Seq == 1 {
			cancel()
			select {
			case <-sctx.Done():
			case <-time.After(10 * time.Second):
				t.Error("the server did not see the connection close")
			}
		}
	})
	req, _ := http.NewRequestWithContext(cctx, "POST", e.ts.URL+"/api/v1/field/sync", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("the cut sync was answered: %d", resp.StatusCode)
	}
	e.s.OnFieldEntry(nil)
	waitFor(t, "the cut sync to end", func() bool { return e.d.Ledger.Size()-before == 2 })
	time.Sleep(50 * time.Millisecond)
	if got := e.d.Ledger.Size() - before; got != 2 {
		t.Fatalf("the cut sync appended %d events, want 2 (the seizure and its arrival)", got)
	}

	// Sent again: the seizure is answered with its event, the others
	// recorded; sent a third time, nothing is recorded.
	a := e.sync(tok, body)
	a0 := a
	var statuses []string
	for _, r := range a.Results {
		statuses = append(statuses, fmt.Sprintf("%d:%s", r.Seq, r.Status))
		if r.ActAt == "" || !r.Late || r.ReceivedAt != testNow.Format(time.RFC3339) {
			t.Errorf("entry %d: act %q, arrival %q, late %v", r.Seq, r.ActAt, r.ReceivedAt, r.Late)
		}
	}
	if got := strings.Join(statuses, " "); got != "1:already 2:recorded 3:recorded 4:recorded" {
		t.Fatalf("the retry: %s", got)
	}
	if a.Results[0].ActAt != at {
		t.Errorf("the seizure's act time %q, want the device's %q", a.Results[0].ActAt, at)
	}
	if got := e.d.Ledger.Size() - before; got != 8 {
		t.Fatalf("after the retry %d events, want 8", got)
	}
	if a2 := e.sync(tok, body); e.d.Ledger.Size()-before != 8 || a2.Results[3].Status != "already" || a2.Results[3].Event != a.Results[3].Event {
		t.Fatalf("a third try recorded something: %+v", a2)
	}

	// A device whose clock is three hours behind: recorded and flagged.
	behind := testNow.Add(-3 * time.Hour)
	det2 := &casefile.Detention{ID: "D-F-API-2", Case: "METASTASIS", Person: "P-30", Basis: "flagrante", ArrestedAt: behind.Format(time.RFC3339), ArrestedBy: "pn.s-pic-01.lead"}
	a = e.sync(tok, fieldBody(t, behind, "PWA-2", fieldItem{1, behind, casefile.OpDetention, det2, []*testkeys.Key{pk}}))
	if a.Clock != domain.ClockBehind || a.SkewSeconds != -3*3600 || a.Results[0].Status != "recorded" || a.Results[0].Clock != domain.ClockBehind {
		t.Errorf("a clock three hours behind: %+v", a)
	}

	// A conflict: the item seized again (another device), refused with
	// its reason in both languages; the entry after it is recorded.
	det3 := &casefile.Detention{ID: "D-F-API-3", Case: "METASTASIS", Person: "P-30", Basis: "flagrante", ArrestedAt: at, ArrestedBy: "pn.s-pic-01.lead"}
	a = e.sync(tok, fieldBody(t, testNow, "PWA-3",
		fieldItem{1, act, custody.OpSeize, sz, []*testkeys.Key{pk}},
		fieldItem{2, act, casefile.OpDetention, det3, []*testkeys.Key{pk}}))
	if r := a.Results[0]; r.Status != "refused" || r.Error == nil || r.Error.Code != custody.EConflict || !strings.Contains(r.Error.Message, "ya fue incautada") || !strings.Contains(r.Error.MessageEN, "already seized") {
		t.Errorf("the item seized twice: %+v", r)
	}
	if a.Results[1].Status != "recorded" {
		t.Errorf("the entry after a refused one: %+v", a.Results[1])
	}
	// A malformed record is refused on its own too.
	bad := strings.Replace(fieldBody(t, testNow, "PWA-3", fieldItem{3, act, casefile.OpDetention, det3, []*testkeys.Key{pk}}), `"basis"`, `"bogus"`, 1)
	if a = e.sync(tok, bad); a.Results[0].Status != "refused" || a.Results[0].Error.Field != "bogus" {
		t.Errorf("an entry with an unknown field: %+v", a.Results[0])
	}

	// The photo's bytes follow the synced attachment through a resumable
	// upload that names its event: stored, nothing new recorded. Bytes
	// that do not hash to the signed hash are refused.
	photoEvent := int64(0)
	for _, r := range a0.Results {
		if r.Seq == 2 {
			photoEvent = r.Event
		}
	}
	tus := func(body []byte, length int, seq int64) (int, string) {
		meta := "op " + base64.StdEncoding.EncodeToString([]byte(custody.OpAttach)) + ",seq " + base64.StdEncoding.EncodeToString([]byte(strconv.FormatInt(seq, 10)))
		r, _ := http.NewRequest("POST", e.ts.URL+"/api/v1/items/E-F-API/uploads", nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		r.Header.Set("Tus-Resumable", TusVersion)
		r.Header.Set("Upload-Length", strconv.Itoa(length))
		r.Header.Set("Upload-Metadata", meta)
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 201 {
			return resp.StatusCode, ""
		}
		r, _ = http.NewRequest("PATCH", e.ts.URL+resp.Header.Get("Location"), bytes.NewReader(body))
		r.Header.Set("Authorization", "Bearer "+tok)
		r.Header.Set("Tus-Resumable", TusVersion)
		r.Header.Set("Upload-Offset", "0")
		r.Header.Set("Content-Type", "application/offset+octet-stream")
		resp, err = http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get(SeqHeader)
	}
	sizeBefore := e.d.Ledger.Size()
	tampered := bytes.Clone(photoBytes)
	tampered[0] = 'F'
	if st, _ := tus(tampered, len(tampered), photoEvent); st != 400 {
		t.Errorf("bytes that are not the photo: %d, want 400", st)
	}
	if st, _ := tus(photoBytes, len(photoBytes), sz0Event(a0)); st != 422 {
		t.Errorf("bytes naming the seizure's event: %d, want 422", st)
	}
	if st, seq := tus(photoBytes, len(photoBytes), photoEvent); st != 204 || seq != strconv.FormatInt(photoEvent, 10) {
		t.Errorf("the photo's bytes: %d, seq %q, want 204 and %d", st, seq, photoEvent)
	}
	if e.d.Ledger.Size() != sizeBefore {
		t.Errorf("the photo's bytes recorded %d events", e.d.Ledger.Size()-sizeBefore)
	}
	if rc, err := e.d.Blobs.Get(t.Context(), hex.EncodeToString(sum[:])); err != nil {
		t.Errorf("the photo is not in the store: %v", err)
	} else {
		rc.Close()
	}

	// The reads say how each act arrived: the history and the item with
	// the seizure's device, clock and arrival, the detentions and the
	// operation's report with the late-synced detention.
	var hist []struct {
		Op    string               `json:"op"`
		At    string               `json:"at"`
		Field *domain.FieldArrival `json:"field"`
	}
	_, hb0 := e.do("GET", "/api/v1/items/E-F-API/history", tok, "")
	if err := json.Unmarshal(hb0, &hist); err != nil || len(hist) < 3 || hist[0].Field == nil || hist[0].Field.Device != "PWA-1" || hist[0].Field.DeviceSeq != 1 ||
		!hist[0].Field.Late || hist[0].Field.GapMinutes != 150 || hist[0].At != at || hist[0].Field.ReceivedAt != testNow.Format(time.RFC3339) {
		t.Errorf("the history's field arrival: %v %s", err, hb0)
	}
	_, ib := e.do("GET", "/api/v1/items/E-F-API", tok, "")
	if !bytes.Contains(ib, []byte(`"field":{"device":"PWA-1","device_seq":1,`)) {
		t.Errorf("the item lacks its seizure's arrival: %s", ib)
	}
	_, db := e.do("GET", "/api/v1/cases/METASTASIS/detentions", tok, "")
	if !bytes.Contains(db, []byte(`"id":"D-F-API"`)) || !bytes.Contains(db, []byte(`"device":"PWA-1","device_seq":3,`)) {
		t.Errorf("the detentions lack D-F-API's arrival: %.300s", db)
	}
	var rep domain.OperationReport
	_, rb := e.do("GET", "/api/v1/operations/OP-METASTASIS", tok, "")
	json.Unmarshal(rb, &rep)
	found := false
	for _, le := range rep.LateSynced {
		found = found || le.Ref == "D-F-API" && le.Op == casefile.OpDetention && le.ActAt == at && le.Late && le.Device == "PWA-1"
	}
	if !found {
		t.Errorf("the operation's report lacks the late-synced detention: %+v", rep.LateSynced)
	}

	// The item's history shows the device's time and the arrival; its
	// bundle verifies offline with the passkey's signatures.
	_, hb := e.do("GET", "/api/v1/items/E-F-API/history", tok, "")
	if !bytes.Contains(hb, []byte(at)) || !bytes.Contains(hb, []byte(testNow.Format(time.RFC3339))) {
		t.Errorf("the history lacks the device time or the arrival: %s", hb)
	}
	st, raw := e.do("GET", "/api/v1/items/E-F-API/bundle", tok, "")
	if st != 200 {
		t.Fatalf("bundle: %d %s", st, raw)
	}
	res, err := verify.Verify(raw, verify.Options{TrustedKey: e.d.PublicKey, RequireSignatures: true})
	if err != nil {
		t.Fatalf("the synced item's bundle offline: %v", err)
	}
	for _, s := range res.Items[0].Events {
		if s.Signature != verify.SignedAll {
			t.Errorf("event %d (%s) offline: %s", s.Index, s.Op, s.Signature)
		}
		if s.Op == custody.OpSeize && (s.At != at || !strings.HasPrefix(s.RecordedAt, "2024-06-01T12:00:00")) {
			t.Errorf("the seizure offline: at %s, recorded %s", s.At, s.RecordedAt)
		}
	}
}

// sz0Event is the event of the seizure (entry 1) of a sync's answer.
func sz0Event(a fieldAnswer) int64 {
	for _, r := range a.Results {
		if r.Seq == 1 {
			return r.Event
		}
	}
	return 0
}

// waitFor polls cond for up to 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// TestFieldSyncRefusalIsBounded: a sync whose device id is half a megabyte
// is refused without the id coming back whole (it came back three times,
// in the result and both messages) or going to the log.
func TestFieldSyncRefusalIsBounded(t *testing.T) {
	e := newEnv(t)
	tok := e.token(e.account("agente", "agent", "pn.s-pic-01.lead", "METASTASIS").Account, "write")
	pk := testkeys.Passkey("pn.s-pic-01.lead", "custodia.example", false)
	e.enrol(pk)
	act := testNow.Add(-150 * time.Minute).In(time.FixedZone("", -5*3600))
	sz := &custody.Seize{ID: "E-F-BIG", Case: "METASTASIS", Type: "phone", Description: "Teléfono", SeizedAt: act.Format(time.RFC3339), SeizedBy: "pn.s-pic-01.lead"}
	body := fieldBody(t, testNow, strings.Repeat("d", 512<<10), fieldItem{1, act, custody.OpSeize, sz, []*testkeys.Key{pk}})
	st, b := e.do("POST", "/api/v1/field/sync", tok, body)
	if st != 200 || !strings.Contains(string(b), "no es un identificador de dispositivo válido") {
		t.Fatalf("sync with a huge device id: %d %.300s", st, b)
	}
	if len(b) > 4096 {
		t.Errorf("the refusal is %d bytes: the device id came back", len(b))
	}
}
