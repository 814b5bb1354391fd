package courtdoc

import (
	"strings"
	"testing"
	"time"
)

// An act made offline on a field device names the device under the event,
// and one that arrived late says so, in both languages; an act recorded
// online in the same minute it claims has no such line.
func TestRecordedNoteOfFieldDevice(t *testing.T) {
	at := time.Date(2023, 12, 14, 1, 40, 0, 0, time.FixedZone("", -5*3600))
	e := CustodyEvent{Op: "evidence.seize", At: at, By: Person{ID: "pn.s-chi-03.lead"}, RecordedAt: at.Add(3*time.Hour + 30*time.Minute), RecordedBy: "pn.s-chi-03.lead",
		Device: "PWA-7 #3", Late: true}
	es, en := recordedNote(spanish, e), recordedNote(english, e)
	for _, c := range []struct{ got, want string }{{es, "hecho sin red en el dispositivo de campo PWA-7 #3 — SINCRONIZADO TARDE"}, {en, "made offline on field device PWA-7 #3 — SYNCED LATE"}} {
		if !strings.Contains(c.got, c.want) {
			t.Errorf("%q lacks %q", c.got, c.want)
		}
	}
	// Made offline, synced within the minute: the device is still named.
	e.RecordedAt, e.Late = at, false
	if got := recordedNote(spanish, e); !strings.Contains(got, "PWA-7 #3") || strings.Contains(got, "TARDE") {
		t.Errorf("an offline act synced at once: %q", got)
	}
	e.Device = ""
	if got := recordedNote(spanish, e); got != "" {
		t.Errorf("an online act in its minute: %q", got)
	}
}
