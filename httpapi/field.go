package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/custodia-ec/custodia/app"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/gateway"
)

// POST /api/v1/field/sync: a field device's queued entries (issue 18). The
// rules are app.SyncField's; this reads and writes HTTP.

func (s *Server) registerField() {
	s.gw.Handle(gateway.Route{Method: "POST", Path: "/api/v1/field/sync",
		Summary: "Sincronizar las entradas firmadas de un dispositivo de campo, en su orden; idempotente por (device, seq) / sync a field device's signed entries, in its order; idempotent by (device, seq)",
		Access:  gateway.Account, Body: "FieldSync", MaxBody: 4 << 20, Handle: s.fieldSync})
}

// FieldSyncBody is the body of POST /api/v1/field/sync.
type FieldSyncBody struct {
	SentAt  string           `json:"sent_at"` // the device's clock now
	Entries []FieldEntryBody `json:"entries"`
}

// FieldEntryBody is one entry: the act (op and record, as POST
// /api/v1/records takes it but without op) signed on the device over
// custody.ActDigest of its canonical record.
type FieldEntryBody struct {
	Device      string          `json:"device"`
	Seq         int64           `json:"seq"`
	DeviceClock string          `json:"device_clock"`
	Op          string          `json:"op"`
	Record      json.RawMessage `json:"record"`
	Sigs        []custody.Sig   `json:"sigs"`
}

// FieldError is a refused entry's reason, in both languages: the device
// shows it in the language its officer reads, whatever the sync's.
type FieldError struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	MessageEN string `json:"message_en"`
	Field     string `json:"field,omitempty"`
}

// FieldResultBody is app.FieldResult with its error.
type FieldResultBody struct {
	app.FieldResult
	Error *FieldError `json:"error,omitempty"`
}

func (s *Server) fieldSync(w http.ResponseWriter, r *http.Request, p *app.Principal) error {
	var body FieldSyncBody
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	b := &app.FieldBatch{SentAt: body.SentAt}
	for _, e := range body.Entries {
		fe := app.FieldEntry{Device: e.Device, Seq: e.Seq, DeviceClock: e.DeviceClock, Op: e.Op, Sigs: e.Sigs}
		if len(e.Sigs) > 3 {
			fe.Err = custody.Errorf(custody.EInvalid, "sigs", "a lo sumo una firma por papel (by, from, to)", "at most one signature per role (by, from, to)")
		} else if e.Op == "" {
			fe.Err = custody.Errorf(custody.EInvalid, "op", "campo obligatorio", "required field")
		} else {
			_, fe.Rec, fe.Err = DecodeRecord(e.Op, e.Record, nil)
		}
		b.Entries = append(b.Entries, fe)
	}
	res, err := s.SyncField(r.Context(), p, b)
	if err != nil {
		return err
	}
	out := struct {
		*app.FieldSync
		Results []FieldResultBody `json:"results"`
	}{FieldSync: res, Results: []FieldResultBody{}}
	for _, fr := range res.Results {
		rb := FieldResultBody{FieldResult: fr}
		if fr.Error != nil {
			rb.Error = &FieldError{Code: fr.Error.Code, Message: fr.Error.Message, MessageEN: fr.Error.MessageEN, Field: fr.Error.Field}
		}
		out.Results = append(out.Results, rb)
	}
	gateway.WriteJSON(w, http.StatusOK, out)
	return nil
}
