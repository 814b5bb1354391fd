package httpapi

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"time"

	"github.com/custodia-ec/custodia/app"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/gateway"
)

// Officer keys, act digests and handovers that wait for their receiver.
// The rules are in the domain and app; these handlers only read and write
// HTTP.

func (s *Server) registerKeys() {
	for _, rt := range []gateway.Route{
		{Method: "GET", Path: "/api/v1/keys", Summary: "Claves de firma (las propias; todas para administración y auditoría) / signing keys (your own; all for admins and auditors)", Access: gateway.Account, Query: []string{"officer"}, Handle: s.listKeys},
		{Method: "POST", Path: "/api/v1/keys", Summary: "Solicitar el registro de una clave propia, con prueba de posesión / request registration of your own key, with proof of possession", Access: gateway.Account, Body: "KeyRequest", Handle: s.requestKey},
		{Method: "POST", Path: "/api/v1/keys/{key}/approve", Summary: "Aprobar una clave (admin, nunca la propia) / approve a key (admin, never one's own)", Access: gateway.Account, Handle: s.approveKey},
		{Method: "POST", Path: "/api/v1/keys/{key}/revoke", Summary: "Revocar una clave (su titular o admin) / revoke a key (its holder or an admin)", Access: gateway.Account, Body: "Reason", Handle: s.revokeKey},
		{Method: "POST", Path: "/api/v1/acts/digest", Summary: "Registro canónico y resumen que firma cada persona / the canonical record and the digest each person signs", Access: gateway.Account, Body: "Record", Handle: s.actDigest},
		{Method: "GET", Path: "/api/v1/handovers", Summary: "Entregas ofrecidas a o por la cuenta / handovers offered to or by the account", Access: gateway.Account, Query: []string{"pending"}, Handle: s.listHandovers},
		{Method: "POST", Path: "/api/v1/items/{item}/handovers", Summary: "Ofrecer una entrega firmada por quien entrega / offer a handover signed by the giver", Access: gateway.Account, Body: "Transfer", Handle: s.offerHandover},
		{Method: "POST", Path: "/api/v1/handovers/{handover}/accept", Summary: "Aceptar una entrega con la firma de quien recibe / accept a handover with the receiver's signature", Access: gateway.Account, Body: "Accept", Handle: s.acceptHandover},
		{Method: "POST", Path: "/api/v1/handovers/{handover}/withdraw", Summary: "Retirar una entrega ofrecida / withdraw an offered handover", Access: gateway.Account, Body: "Reason", Handle: s.withdrawHandover},
	} {
		s.gw.Handle(rt)
	}
}

// KeyRequestBody is the body of POST /api/v1/keys: the key, and the key's
// signature of custody.KeyDigest(officer, key id) as proof of possession.
type KeyRequestBody struct {
	Alg                    string `json:"alg"`
	PublicKey              string `json:"public_key"`
	RPID                   string `json:"rp_id,omitempty"`
	Label                  string `json:"label,omitempty"`
	Replaces               string `json:"replaces,omitempty"`
	Proof                  string `json:"proof"`
	ProofAuthenticatorData string `json:"proof_authenticator_data,omitempty"`
	ProofClientDataJSON    string `json:"proof_client_data_json,omitempty"`
}

// Reason is the body of a revocation or a withdrawal.
type Reason struct {
	Reason string `json:"reason"`
}

// Accept is the body of POST /api/v1/handovers/{handover}/accept.
type Accept struct {
	Sig custody.Sig `json:"sig"`
}

func (s *Server) listKeys(w http.ResponseWriter, r *http.Request, p *app.Principal) error {
	keys, err := s.Keys(p, r.URL.Query().Get("officer"))
	if err != nil {
		return err
	}
	if keys == nil {
		keys = []app.KeyView{}
	}
	gateway.WriteJSON(w, http.StatusOK, map[string]any{"keys": keys})
	return nil
}

func (s *Server) requestKey(w http.ResponseWriter, r *http.Request, p *app.Principal) error {
	var b KeyRequestBody
	if err := decodeJSON(r, &b); err != nil {
		return err
	}
	req := &custody.KeyRequest{Alg: b.Alg, PublicKey: b.PublicKey, RPID: b.RPID, Label: b.Label, Replaces: b.Replaces,
		Proof: b.Proof, ProofAuthenticatorData: b.ProofAuthenticatorData, ProofClientDataJSON: b.ProofClientDataJSON}
	got, err := s.RequestKey(r.Context(), p, req)
	if err != nil {
		return err
	}
	gateway.WriteJSON(w, http.StatusCreated, map[string]string{"key": got.Key, "fingerprint": got.Key[:16], "officer": got.Officer, "status": "requested"})
	return nil
}

func (s *Server) approveKey(w http.ResponseWriter, r *http.Request, p *app.Principal) error {
	if err := s.ApproveKey(r.Context(), p, r.PathValue("key")); err != nil {
		return err
	}
	gateway.WriteJSON(w, http.StatusOK, map[string]string{"key": r.PathValue("key"), "status": "active"})
	return nil
}

func (s *Server) revokeKey(w http.ResponseWriter, r *http.Request, p *app.Principal) error {
	var b Reason
	if err := decodeJSON(r, &b); err != nil {
		return err
	}
	if err := s.RevokeKey(r.Context(), p, r.PathValue("key"), b.Reason); err != nil {
		return err
	}
	gateway.WriteJSON(w, http.StatusOK, map[string]string{"key": r.PathValue("key"), "status": "revoked"})
	return nil
}

// actDigest answers with what a person signs for an act: the record as the
// server will log it (canonical) and its digest, in hex and as the
// base64url challenge of a passkey.
func (s *Server) actDigest(w http.ResponseWriter, r *http.Request, p *app.Principal) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	body, _, err = splitSigs(body)
	if err != nil {
		return err
	}
	op, rec, err := DecodeRecord("", body, nil)
	if err != nil {
		return err
	}
	canon, d, err := app.ActDigest(op, rec)
	if err != nil {
		return err
	}
	gateway.WriteJSON(w, http.StatusOK, map[string]any{"op": op, "record": json.RawMessage(canon), "digest": hex.EncodeToString(d[:]),
		"challenge": base64.RawURLEncoding.EncodeToString(d[:])})
	return nil
}

func (s *Server) listHandovers(w http.ResponseWriter, r *http.Request, p *app.Principal) error {
	list, err := s.Handovers(p, r.URL.Query().Get("pending") != "")
	if err != nil {
		return err
	}
	if list == nil {
		list = []app.HandoverView{}
	}
	gateway.WriteJSON(w, http.StatusOK, map[string]any{"handovers": list})
	return nil
}

func (s *Server) offerHandover(w http.ResponseWriter, r *http.Request, p *app.Principal) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	var extra struct {
		WaitMinutes int64 `json:"wait_minutes"`
	}
	body, extraJSON, err := cutMembers(body, "wait_minutes")
	if err != nil {
		return err
	}
	if len(extraJSON) > 0 {
		if err := DecodeStrict(extraJSON, &extra); err != nil {
			return err
		}
	}
	body, sigs, err := splitSigs(body)
	if err != nil {
		return err
	}
	_, rec, err := DecodeRecord(custody.OpTransfer, body, map[string]string{"item": r.PathValue("item")})
	if err != nil {
		return err
	}
	if len(sigs) != 1 || sigs[0].Role != custody.RoleFrom {
		return custody.Errorf(custody.EInvalid, "sigs", "una oferta lleva solo la firma de quien entrega (role \"from\")", "an offer carries only the giver's signature (role \"from\")")
	}
	o, err := s.OfferHandover(r.Context(), p, rec.(*custody.Transfer), sigs[0], time.Duration(extra.WaitMinutes)*time.Minute)
	if err != nil {
		return err
	}
	gateway.WriteJSON(w, http.StatusCreated, map[string]string{"handover": o.ID, "status": "pending", "expires": o.Expires, "to": o.To})
	return nil
}

func (s *Server) acceptHandover(w http.ResponseWriter, r *http.Request, p *app.Principal) error {
	var b Accept
	if err := decodeJSON(r, &b); err != nil {
		return err
	}
	res, err := s.AcceptHandover(r.Context(), p, r.PathValue("handover"), b.Sig)
	if err != nil {
		return err
	}
	writeRecordResult(w, res)
	return nil
}

func (s *Server) withdrawHandover(w http.ResponseWriter, r *http.Request, p *app.Principal) error {
	var b Reason
	if err := decodeJSON(r, &b); err != nil {
		return err
	}
	if err := s.WithdrawHandover(r.Context(), p, r.PathValue("handover"), b.Reason); err != nil {
		return err
	}
	gateway.WriteJSON(w, http.StatusOK, map[string]string{"handover": r.PathValue("handover"), "status": "withdrawn"})
	return nil
}

// splitSigs takes the member "sigs" (the act's personal signatures) out of
// a record body. A body without it is returned as it is.
func splitSigs(body []byte) ([]byte, []custody.Sig, error) {
	rest, raw, err := cutMembers(body, "sigs")
	if err != nil || raw == nil {
		return rest, nil, err
	}
	var b struct {
		Sigs []custody.Sig `json:"sigs"`
	}
	if err := DecodeStrict(raw, &b); err != nil {
		return nil, nil, err
	}
	if len(b.Sigs) > 3 {
		return nil, nil, custody.Errorf(custody.EInvalid, "sigs", "a lo sumo una firma por papel (by, from, to)", "at most one signature per role (by, from, to)")
	}
	return rest, b.Sigs, nil
}

// cutMembers removes the named top-level members from a JSON object body
// and returns them as an object of their own (nil when none was there).
func cutMembers(body []byte, names ...string) (rest, cut []byte, err error) {
	found := false
	for _, n := range names {
		if bytes.Contains(body, []byte(`"`+n+`"`)) {
			found = true
		}
	}
	// A body that repeats a member is left whole, for DecodeRecord to
	// refuse with its own message (a map would keep the last one).
	if _, cerr := custody.Canonical(body); !found || cerr != nil {
		return body, nil, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, nil, jsonError(err)
	}
	out := map[string]json.RawMessage{}
	for _, n := range names {
		if v, ok := m[n]; ok {
			out[n] = v
			delete(m, n)
		}
	}
	if len(out) == 0 {
		return body, nil, nil
	}
	rest, _ = json.Marshal(m)
	cut, _ = json.Marshal(out)
	return rest, cut, nil
}
