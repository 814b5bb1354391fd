package domain_test

import (
	"encoding/hex"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/casefile"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/custody/fastcodec"
	"github.com/custodia-ec/custodia/domain"
)

// A field.entry must directly follow the act it names by digest; (device,
// seq) is taken once; a device belongs to one officer; the entry is
// found by its act's seq and by (device, seq).
func TestFieldEntryRules(t *testing.T) {
	st := domain.NewState(domain.DefaultConfig)
	seq := int64(0)
	apply := func(op string, rec any) error {
		t.Helper()
		if domain.IsSystemOp(op) {
			if ce := domain.ValidateSystem(rec); ce != nil {
				return ce
			}
		} else if ce := casefile.Validate(op, rec); ce != nil {
			return ce
		}
		_, err := st.Apply(op, rec, seq)
		if err == nil {
			seq++
		}
		return err
	}
	must := func(op string, rec any) {
		t.Helper()
		if err := apply(op, rec); err != nil {
			t.Fatalf("%s: %v", op, err)
		}
	}
	must(casefile.OpAgency, &casefile.Agency{ID: "PN", Name: "Policía", Kind: "police"})
	must(casefile.OpOfficer, &casefile.Officer{ID: "o1", Name: "Uno", Agency: "PN", Role: "agent"})
	must(casefile.OpOfficer, &casefile.Officer{ID: "o2", Name: "Dos", Agency: "PN", Role: "agent"})
	must(casefile.OpCase, &casefile.Case{ID: "C", Title: "Caso", At: "2024-01-01T00:00:00Z", By: "o1"})
	sz := func(id string) *custody.Seize {
		return &custody.Seize{ID: id, Case: "C", Type: "phone", Description: "x", SeizedAt: "2024-01-02T10:00:00-05:00", SeizedBy: "o1"}
	}
	digest := func(op string, rec any) string {
		body, err := fastcodec.MarshalCanonical(rec)
		if err != nil {
			t.Fatal(err)
		}
		d := custody.ActDigest(op, body)
		return hex.EncodeToString(d[:])
	}
	entry := func(dev string, n int64, officer, op string, rec any) *domain.FieldEntry {
		return &domain.FieldEntry{Device: dev, Seq: n, Officer: officer, Op: op, Digest: digest(op, rec), DeviceClock: "2024-01-02T10:00:00-05:00",
			DeviceSent: "2024-01-02T12:00:00-05:00", ReceivedAt: "2024-01-02T17:00:00Z", SkewSeconds: 0}
	}
	a := sz("E1")
	must(custody.OpSeize, a)
	act := seq - 1
	// Of another act: refused.
	if err := apply(domain.OpFieldEntry, entry("D1", 1, "o1", custody.OpSeize, sz("E9"))); err == nil {
		t.Error("a field entry naming another act was accepted")
	}
	must(domain.OpFieldEntry, entry("D1", 1, "o1", custody.OpSeize, a))
	fi := st.Field[act]
	if fi == nil || fi.Event != act || fi.Seq != act+1 || st.FieldEntryOf("D1", 1) != fi {
		t.Fatalf("the entry of event %d: %+v", act, fi)
	}
	// Done at 10:00 −05:00 (15:00 UTC), arrived at 17:00 UTC: late by two hours.
	if !fi.Late || fi.Gap != 2*time.Hour || fi.Ref != "E1" || fi.ActAt != "2024-01-02T10:00:00-05:00" || fi.Arrival().GapMinutes != 120 {
		t.Errorf("the arrival of E1: %+v", fi)
	}
	if fi.ArrivedLate(time.Date(2024, 1, 2, 16, 55, 0, 0, time.UTC)) {
		t.Error("an act five minutes before its arrival is late")
	}
	// Not directly after its act: refused, even with the right digest.
	b, c := sz("E2"), sz("E3")
	must(custody.OpSeize, b)
	must(custody.OpSeize, c)
	if err := apply(domain.OpFieldEntry, entry("D1", 2, "o1", custody.OpSeize, b)); err == nil {
		t.Error("a field entry that does not follow its act was accepted")
	}
	// (D1, 1) is taken; D1 is o1's.
	if err := apply(domain.OpFieldEntry, entry("D1", 1, "o1", custody.OpSeize, c)); err == nil {
		t.Error("a second entry 1 of D1 was accepted")
	}
	if err := apply(domain.OpFieldEntry, entry("D1", 2, "o2", custody.OpSeize, c)); err == nil {
		t.Error("o2's entry through o1's device was accepted")
	}
	// Malformed: no device, seq 0, an op a device does not send.
	for _, bad := range []*domain.FieldEntry{entry("", 2, "o1", custody.OpSeize, c), entry("D1", 0, "o1", custody.OpSeize, c), entry("D1", 2, "o1", casefile.OpCase, c)} {
		if err := apply(domain.OpFieldEntry, bad); err == nil {
			t.Errorf("a malformed entry was accepted: %+v", bad)
		}
	}
	must(domain.OpFieldEntry, entry("D1", 2, "o1", custody.OpSeize, c))
	if len(st.Devices["D1"].Entries) != 2 || st.Devices["D1"].Officer != "o1" {
		t.Errorf("D1: %+v", st.Devices["D1"])
	}
}
