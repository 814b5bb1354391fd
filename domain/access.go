package domain

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/custodia-ec/custodia/casefile"
	"github.com/custodia-ec/custodia/custody"
)

// System ops: who may use the deployment and what they looked at. They are
// events of the same log as the case-file ops, so that an account, a grant or
// an audited read can no more be changed behind the system's back than a
// custody transfer. They are not part of the case-file format: import
// refuses them and export never writes them.
const (
	OpAccountCreate     = "account.create"
	OpAccountDisable    = "account.disable"
	OpAccountCredential = "account.credential"
	OpGrantAdd          = "grant.add"
	OpGrantRevoke       = "grant.revoke"
	OpItemDisclose      = "item.disclose"
	OpOperationRelease  = "operation.release"
	OpAccessRead        = "access.read"
	// OpSettings changes the deadlines and tolerances the record applies
	// (deployment.settings). Until one is logged, the spec's defaults hold;
	// a deployment's config.json is compared against them by audit and
	// never changes a report on its own.
	OpSettings = "deployment.settings"
)

// Projection tables of the system ops.
const (
	TAccounts    = "accounts"
	TGrants      = "grants"
	TDisclosures = "disclosures"
	TReleases    = "releases"
)

// systemTables are appended to Tables (see rows.go).
var systemTables = []Table{
	{TAccounts, []string{"id", "name", "role", "officer", "disabled", "seq", "must_change_password"}, 1},
	{TGrants, []string{"case_id", "account", "active", "seq"}, 2},
	{TDisclosures, []string{"item", "account", "case_id", "seq"}, 2},
	{TReleases, []string{"operation", "at", "seq"}, 1},
	{TBlobChecks, []string{"item", "sha256", "result", "got_sha256", "got_size", "seq"}, 2}, // blobcheck.go
}

// IsSystemOp reports whether op is one of the system ops above.
func IsSystemOp(op string) bool {
	switch op {
	case OpAccountCreate, OpAccountDisable, OpAccountCredential, OpGrantAdd, OpGrantRevoke,
		OpItemDisclose, OpOperationRelease, OpAccessRead, OpBlobCheck, OpSettings,
		custody.OpKeyRequest, custody.OpKeyApprove, custody.OpKeyRevoke, OpHandoverOffer, OpHandoverWithdraw, OpAnalysisImport, OpFieldEntry:
		return true
	}
	return false
}

// AccountCreate is account.create: a person who may sign in, with a role and,
// for roles that act on evidence, the officer whose name their records carry.
type AccountCreate struct {
	Account string `json:"account"`
	Name    string `json:"name"`
	Role    string `json:"role"`
	Officer string `json:"officer,omitempty"`
}

// AccountDisable is account.disable: the account can no longer sign in.
type AccountDisable struct {
	Account string `json:"account"`
}

// AccountCredential is account.credential: it records THAT a credential of an
// account changed (the event's recorder says by whom), never the secret.
type AccountCredential struct {
	Account string `json:"account"`
	Kind    string `json:"kind"`            // see CredentialKinds
	Token   string `json:"token,omitempty"` // a token's public id, for token kinds
	// Commitment is the hex SHA-256 commitment of the stored row as this
	// change wrote it (accounts.CredentialCommitment for password and totp,
	// accounts.TokenCommitment for token kinds): the log vouches for the
	// row without holding its secret. Sign-in and audit compare the live
	// row with the latest logged commitment.
	Commitment string `json:"commitment,omitempty"`
	// MustChange marks a password that someone other than its holder saw
	// (a generated one: the first administrator's, a demo account's, a
	// reset, an account created with one): until a password change
	// without it, the account may do nothing but change its password.
	// Only for kind "password".
	MustChange bool `json:"must_change,omitempty"`
}

// Settings is deployment.settings: the deadlines and tolerances the
// record applies from this event on, in minutes.
type Settings struct {
	RightsNoticeMinutes int64 `json:"rights_notice_minutes"`
	HearingMinutes      int64 `json:"hearing_minutes"`
	ClockSkewMinutes    int64 `json:"clock_skew_minutes"`
}

// GrantAdd is grant.add: an account becomes a member of a case.
type GrantAdd struct {
	Case    string `json:"case"`
	Account string `json:"account"`
}

// GrantRevoke is grant.revoke: an account stops being a member of a case.
type GrantRevoke struct {
	Case    string `json:"case"`
	Account string `json:"account"`
}

// ItemDisclose is item.disclose: an item is disclosed to a defence account.
type ItemDisclose struct {
	Item    string `json:"item"`
	Account string `json:"account"`
}

// OperationRelease is operation.release: from At (the briefing), each site's
// team may see its site's target and address.
type OperationRelease struct {
	Operation string `json:"operation"`
	At        string `json:"at"`
}

// AccessRead is access.read: an account read case data. It is what lets an
// investigation of a leak name who looked at what, and when. Case is "" for a
// read of the deployment's own data (the audit result, the account list).
type AccessRead struct {
	Account string `json:"account"`
	Case    string `json:"case,omitempty"`
	Kind    string `json:"kind"` // see ReadKinds
	ID      string `json:"id"`
}

// Enumerations of the system ops.
var (
	// AccountRoles are the spec's officer roles (which include admin and
	// auditor).
	AccountRoles    = casefile.OfficerRoles
	CredentialKinds = map[string]bool{"password": true, "totp": true, "token_issued": true, "token_revoked": true}
	ReadKinds       = map[string]bool{"case": true, "operation": true, "report": true, "sites": true, "site_target": true, "persons": true, "person": true,
		"reserved_identity": true, "detentions": true, "items": true, "item": true, "history": true, "bundle": true, "audit": true, "access": true, "accounts": true}
)

// CustodyRoles are the roles that can change custody: their accounts need an
// officer and a second factor.
var CustodyRoles = map[string]bool{"agent": true, "custodian": true, "forensic_analyst": true, "investigator": true, "prosecutor": true}

// Account is an account as the log defines it (credentials live elsewhere).
type Account struct {
	AccountCreate
	Disabled bool
	Seq      int64
	// MustChangePassword is set by a logged password marked MustChange
	// and cleared by the next logged password change.
	MustChangePassword bool
}

// Grant is a case membership.
type Grant struct {
	Active bool
	Seq    int64
}

// Disclosure is an item disclosed to a defence account.
type Disclosure struct {
	Case string
	Seq  int64
}

// Release is an operation's briefing time.
type Release struct {
	At  string
	Seq int64
}

// SystemState is the part of State the system ops change.
type SystemState struct {
	// Credentials is the latest logged commitment of each account's
	// sign-in row, and Tokens of each API token's row, by token id (see
	// AccountCredential.Commitment).
	Credentials map[string]string
	Tokens      map[string]TokenCommitment
	Accounts    map[string]*Account
	Grants      map[string]map[string]*Grant          // case → account
	Disclosures map[string]map[string]*Disclosure     // item → account
	Releases    map[string]*Release                   // operation
	BlobChecks  map[string]map[string]*BlobCheckState // item → sha256 → latest check (blobcheck.go)
	Offers      map[string]*Offer                     // handovers offered, by id (keys.go)
	Keys        map[string]*OfficerKey                // officer keys by id (keys.go)
	Field       map[int64]*FieldInfo                  // field entries by their act's seq (field.go)
	Devices     map[string]*FieldDevice               // field devices by id (field.go)
}

// TokenCommitment is an API token's account and the latest logged
// commitment of its row.
type TokenCommitment struct {
	Account    string
	Commitment string
}

func newSystemState() SystemState {
	return SystemState{
		Credentials: map[string]string{},
		Tokens:      map[string]TokenCommitment{},
		Accounts:    map[string]*Account{},
		Grants:      map[string]map[string]*Grant{},
		Disclosures: map[string]map[string]*Disclosure{},
		Releases:    map[string]*Release{},
		BlobChecks:  map[string]map[string]*BlobCheckState{},
		Keys:        map[string]*OfficerKey{},
		Offers:      map[string]*Offer{},
		Field:       map[int64]*FieldInfo{},
		Devices:     map[string]*FieldDevice{},
	}
}

// IsMember reports whether account is an active member of case c.
func (s *State) IsMember(account, c string) bool {
	g := s.Grants[c][account]
	return g != nil && g.Active
}

// IsDisclosed reports whether item was disclosed to account.
func (s *State) IsDisclosed(item, account string) bool {
	return s.Disclosures[item][account] != nil
}

// DecodeSystemRecord decodes the record of a system op (without "op"),
// refusing unknown fields.
func DecodeSystemRecord(op string, raw []byte) (any, error) {
	var rec any
	switch op {
	case OpAccountCreate:
		rec = new(AccountCreate)
	case OpAccountDisable:
		rec = new(AccountDisable)
	case OpAccountCredential:
		rec = new(AccountCredential)
	case OpSettings:
		rec = new(Settings)
	case OpGrantAdd:
		rec = new(GrantAdd)
	case OpGrantRevoke:
		rec = new(GrantRevoke)
	case OpItemDisclose:
		rec = new(ItemDisclose)
	case OpOperationRelease:
		rec = new(OperationRelease)
	case OpAccessRead:
		rec = new(AccessRead)
	case OpBlobCheck:
		rec = new(BlobCheck)
	case custody.OpKeyRequest:
		rec = new(custody.KeyRequest)
	case custody.OpKeyApprove:
		rec = new(KeyApprove)
	case custody.OpKeyRevoke:
		rec = new(KeyRevoke)
	case OpHandoverOffer:
		rec = new(HandoverOffer)
	case OpHandoverWithdraw:
		rec = new(HandoverWithdraw)
	case OpFieldEntry:
		rec = new(FieldEntry)
	case OpAnalysisImport:
		rec = new(AnalysisImport)
	default:
		return nil, fmt.Errorf("unknown op %q", op)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(rec); err != nil {
		return nil, err
	}
	return rec, nil
}

// ValidateSystem checks a system record on its own, as casefile.Validate
// checks a case-file record.
func ValidateSystem(rec any) *custody.Error {
	var err *custody.Error
	id := func(field, s string) {
		if err != nil {
			return
		}
		if s == "" {
			err = custody.Errorf(custody.EInvalid, field, "campo obligatorio", "required field")
		} else if !casefile.ValidID(s) {
			err = custody.Errorf(custody.EInvalid, field, "%q no es un identificador válido (letras, dígitos y ._:-, hasta 64)", "%q is not a valid id (letters, digits and ._:-, up to 64)", s)
		}
	}
	hex := func(field, s string) {
		if err == nil && !isHex64(s) {
			err = custody.Errorf(custody.EInvalid, field, "debe ser un SHA-256 en hexadecimal (64 caracteres)", "must be a hex SHA-256 (64 characters)")
		}
	}
	short := func(field, s string, n int) {
		if err == nil && (len(s) > n || !utf8.ValidString(s)) {
			err = custody.Errorf(custody.EInvalid, field, "hasta %d bytes de texto", "up to %d bytes of text", n)
		}
	}
	when := func(field, s string) {
		if _, perr := custody.ParseTime(s); err == nil && perr != nil {
			err = custody.Errorf(custody.EInvalid, field, "%q no es una hora RFC 3339 con zona horaria (p. ej. 2023-12-14T06:30:00-05:00)", "%q is not an RFC 3339 time with an offset (e.g. 2023-12-14T06:30:00-05:00)", s)
		}
	}
	enum := func(field, s string, allowed map[string]bool) {
		if err == nil && !allowed[s] {
			err = custody.Errorf(custody.EInvalid, field, "valor %q no admitido; se admiten: %s", "value %q is not allowed; allowed: %s", s, casefile.Allowed(allowed))
		}
	}
	switch r := rec.(type) {
	case *AccountCreate:
		id("account", r.Account)
		if err == nil && (r.Name == "" || len(r.Name) > 200 || !utf8.ValidString(r.Name) || strings.ContainsAny(r.Name, "\n\r")) {
			err = custody.Errorf(custody.EInvalid, "name", "nombre obligatorio, de una línea y hasta 200 bytes", "a name is required, one line and up to 200 bytes")
		}
		enum("role", r.Role, AccountRoles)
		if r.Officer != "" {
			id("officer", r.Officer)
		}
	case *AccountDisable:
		id("account", r.Account)
	case *AccountCredential:
		id("account", r.Account)
		enum("kind", r.Kind, CredentialKinds)
		if r.Token != "" {
			id("token", r.Token)
		}
		if err == nil && r.MustChange && r.Kind != "password" {
			err = custody.Errorf(custody.EInvalid, "must_change", "solo una contraseña puede marcarse para cambiar", "only a password can be marked to be changed")
		}
		if err == nil && r.Commitment != "" && !isHex64(r.Commitment) {
			err = custody.Errorf(custody.EInvalid, "commitment", "debe ser un SHA-256 en hexadecimal (64 caracteres)", "must be a hex SHA-256 (64 characters)")
		}
	case *Settings:
		for _, f := range []struct {
			name string
			v    int64
		}{{"rights_notice_minutes", r.RightsNoticeMinutes}, {"hearing_minutes", r.HearingMinutes}, {"clock_skew_minutes", r.ClockSkewMinutes}} {
			if err == nil && (f.v < 1 || f.v > 525600) {
				err = custody.Errorf(custody.EInvalid, f.name, "debe estar entre 1 y 525600 minutos (un año)", "must be 1 to 525600 minutes (a year)")
			}
		}
	case *GrantAdd:
		id("case", r.Case)
		id("account", r.Account)
	case *GrantRevoke:
		id("case", r.Case)
		id("account", r.Account)
	case *ItemDisclose:
		id("item", r.Item)
		id("account", r.Account)
	case *OperationRelease:
		id("operation", r.Operation)
		if err == nil {
			if _, perr := custody.ParseTime(r.At); perr != nil {
				err = custody.Errorf(custody.EInvalid, "at", "%q no es una hora RFC 3339 con zona horaria (p. ej. 2023-12-14T06:30:00-05:00)", "%q is not an RFC 3339 time with an offset (e.g. 2023-12-14T06:30:00-05:00)", r.At)
			}
		}
	case *AccessRead:
		id("account", r.Account)
		if r.Case != "" {
			id("case", r.Case)
		}
		enum("kind", r.Kind, ReadKinds)
		id("id", r.ID)
	case *BlobCheck:
		id("item", r.Item)
		if err == nil {
			err = validateBlobCheck(r)
		}
	case *custody.KeyRequest:
		id("officer", r.Officer)
		hex("key", r.Key)
		enum("alg", r.Alg, keyAlgs)
		short("label", r.Label, 200)
		short("rp_id", r.RPID, 253)
		if r.Replaces != "" {
			hex("replaces", r.Replaces)
		}
		when("at", r.At)
		if err == nil && (r.PublicKey == "" || r.Proof == "" || len(r.PublicKey)+len(r.Proof)+len(r.ProofAuthenticatorData)+len(r.ProofClientDataJSON) > 8192) {
			err = custody.Errorf(custody.EInvalid, "proof", "faltan la clave pública o la prueba de posesión, o ocupan más de 8 KiB", "the public key or the proof is missing, or they exceed 8 KiB")
		}
	case *KeyApprove:
		hex("key", r.Key)
		when("at", r.At)
	case *KeyRevoke:
		hex("key", r.Key)
		short("reason", r.Reason, 500)
		if err == nil && r.Reason == "" {
			err = custody.Errorf(custody.EInvalid, "reason", "diga por qué se revoca la clave", "say why the key is revoked")
		}
		when("at", r.At)
	case *HandoverOffer:
		id("id", r.ID)
		if err == nil {
			err = casefile.Validate(custody.OpTransfer, &r.Transfer)
		}
		hex("key", r.Key)
		when("expires", r.Expires)
		if err == nil && (r.Sig == "" || len(r.Sig)+len(r.AuthenticatorData)+len(r.ClientDataJSON) > 8192) {
			err = custody.Errorf(custody.EInvalid, "sig", "falta la firma de quien entrega, o ocupa más de 8 KiB", "the giver's signature is missing or exceeds 8 KiB")
		}
	case *HandoverWithdraw:
		id("id", r.ID)
		short("reason", r.Reason, 500)
	case *FieldEntry:
		err = validateField(r)
	case *AnalysisImport:
		id("item", r.Item)
		if err == nil {
			err = validateAnalysisImport(r)
		}
	default:
		return custody.Errorf(custody.EInvalid, "op", "operación desconocida", "unknown op")
	}
	return err
}

type pairKey struct{ a, b string }

func (s *State) account(field, id string, active bool) (*Account, *custody.Error) {
	a, ok := s.Accounts[id]
	if !ok {
		return nil, ref(field, "la cuenta/account", id)
	}
	if active && a.Disabled {
		return nil, rule(field, "la cuenta %q está deshabilitada", "account %q is disabled", id)
	}
	return a, nil
}

// keyAlgs are the algorithms of officer keys.
var keyAlgs = map[string]bool{custody.AlgEd25519: true, custody.AlgWebAuthnES256: true, custody.AlgWebAuthnEdDSA: true}

// applySystem applies a system record; ok is false when rec is not one.
func (s *State) applySystem(rec any, seq int64) (a *Applied, err *custody.Error, ok bool) {
	if a, err, ok := s.applyKey(rec, seq); ok {
		return a, err, true
	}
	switch r := rec.(type) {
	case *AccountCreate:
		if _, exists := s.Accounts[r.Account]; exists {
			return nil, custody.Errorf(custody.EDuplicate, "account", "ya existe la cuenta %q", "account %q already exists", r.Account), true
		}
		if r.Officer != "" {
			o, found := s.Officers[r.Officer]
			if !found {
				return nil, ref("officer", "el funcionario/officer", r.Officer), true
			}
			if o.Role != r.Role {
				return nil, rule("role", "el funcionario %s tiene el rol %s, no %s", "officer %s has role %s, not %s", r.Officer, o.Role, r.Role), true
			}
			// One officer, one account: records carry the officer's
			// name, so a second account for the same officer would let
			// two people act as one. A disabled account's officer may
			// get a new one (a lost or compromised account replaced).
			for _, a := range s.Accounts {
				if a.Officer == r.Officer && !a.Disabled {
					return nil, custody.Errorf(custody.EConflict, "officer", "el funcionario %s ya tiene la cuenta %s; deshabilítela antes de crear otra", "officer %s already has the account %s; disable it before creating another", r.Officer, a.Account), true
				}
			}
		} else if CustodyRoles[r.Role] || r.Role == "defense" || r.Role == "judge" || r.Role == "clerk" {
			return nil, rule("officer", "el rol %s necesita un funcionario vinculado", "role %s needs a linked officer", r.Role), true
		}
		s.Accounts[r.Account] = &Account{AccountCreate: *r, Seq: seq}
		return &Applied{Touched: []Key{{TAccounts, r.Account}}}, nil, true

	case *AccountDisable:
		acc, e := s.account("account", r.Account, true)
		if e != nil {
			return nil, e, true
		}
		acc.Disabled = true
		return &Applied{Touched: []Key{{TAccounts, r.Account}}}, nil, true

	case *AccountCredential:
		acc, e := s.account("account", r.Account, false)
		if e != nil {
			return nil, e, true
		}
		var touched []Key
		if r.Kind == "password" && acc.MustChangePassword != r.MustChange {
			acc.MustChangePassword = r.MustChange
			touched = []Key{{TAccounts, r.Account}}
		}
		switch r.Kind {
		case "password", "totp":
			if r.Commitment != "" {
				s.Credentials[r.Account] = r.Commitment
			}
		case "token_issued", "token_revoked":
			// Every logged token is known, with or without a commitment
			// (tokens issued before commitments were logged have none).
			if r.Token != "" {
				s.Tokens[r.Token] = TokenCommitment{Account: r.Account, Commitment: r.Commitment}
			}
		}
		return &Applied{Touched: touched}, nil, true

	case *Settings:
		s.cfg.RightsNoticeMinutes, s.cfg.HearingMinutes, s.cfg.ClockSkewMinutes = r.RightsNoticeMinutes, r.HearingMinutes, r.ClockSkewMinutes
		return &Applied{}, nil, true

	case *GrantAdd:
		if _, e := s.account("account", r.Account, true); e != nil {
			return nil, e, true
		}
		if e := s.caseRef(r.Case); e != nil {
			return nil, e, true
		}
		if s.IsMember(r.Account, r.Case) {
			return nil, custody.Errorf(custody.EDuplicate, "account", "la cuenta %q ya es miembro del caso %s", "account %q is already a member of case %s", r.Account, r.Case), true
		}
		if s.Grants[r.Case] == nil {
			s.Grants[r.Case] = map[string]*Grant{}
		}
		s.Grants[r.Case][r.Account] = &Grant{Active: true, Seq: seq}
		return &Applied{Case: r.Case, Touched: []Key{{TGrants, pairKey{r.Case, r.Account}}}}, nil, true

	case *GrantRevoke:
		if !s.IsMember(r.Account, r.Case) {
			return nil, rule("account", "la cuenta %q no es miembro del caso %s", "account %q is not a member of case %s", r.Account, r.Case), true
		}
		s.Grants[r.Case][r.Account] = &Grant{Active: false, Seq: seq}
		return &Applied{Case: r.Case, Touched: []Key{{TGrants, pairKey{r.Case, r.Account}}}}, nil, true

	case *ItemDisclose:
		it, e := s.item("item", r.Item)
		if e != nil {
			return nil, e, true
		}
		acc, e := s.account("account", r.Account, true)
		if e != nil {
			return nil, e, true
		}
		if acc.Role != "defense" {
			return nil, rule("account", "solo se divulga a cuentas de la defensa (la cuenta %q es %s)", "items are disclosed to defence accounts only (account %q is %s)", r.Account, acc.Role), true
		}
		if s.IsDisclosed(r.Item, r.Account) {
			return nil, custody.Errorf(custody.EDuplicate, "item", "la evidencia %q ya fue divulgada a %q", "item %q was already disclosed to %q", r.Item, r.Account), true
		}
		if s.Disclosures[r.Item] == nil {
			s.Disclosures[r.Item] = map[string]*Disclosure{}
		}
		s.Disclosures[r.Item][r.Account] = &Disclosure{Case: it.Case, Seq: seq}
		return &Applied{Case: it.Case, Touched: []Key{{TDisclosures, pairKey{r.Item, r.Account}}}}, nil, true

	case *OperationRelease:
		op, found := s.Operations[r.Operation]
		if !found {
			return nil, ref("operation", "el operativo/operation", r.Operation), true
		}
		s.Releases[r.Operation] = &Release{At: r.At, Seq: seq}
		return &Applied{Case: op.Case, Touched: []Key{{TReleases, r.Operation}}}, nil, true

	case *AccessRead:
		if _, e := s.account("account", r.Account, false); e != nil {
			return nil, e, true
		}
		if r.Case != "" {
			if e := s.caseRef(r.Case); e != nil {
				return nil, e, true
			}
		}
		// The event itself is the record of the read: it changes no row.
		return &Applied{Case: r.Case}, nil, true

	case *BlobCheck:
		a, e := s.applyBlobCheck(r, seq)
		return a, e, true
	case *FieldEntry:
		a, e := s.applyField(r, seq)
		return a, e, true

	case *AnalysisImport:
		a, e := s.applyAnalysisImport(r)
		return a, e, true
	}
	return nil, nil, false
}

// systemRow returns a row of a system table, or nil.
func (s *State) systemRow(k Key) Row {
	switch k.Table {
	case TAccounts:
		if a, ok := s.Accounts[k.ID.(string)]; ok {
			return Row{a.Account, a.Name, a.Role, a.Officer, boolInt(a.Disabled), a.Seq, boolInt(a.MustChangePassword)}
		}
	case TGrants:
		pk := k.ID.(pairKey)
		if g := s.Grants[pk.a][pk.b]; g != nil {
			return Row{pk.a, pk.b, boolInt(g.Active), g.Seq}
		}
	case TDisclosures:
		pk := k.ID.(pairKey)
		if d := s.Disclosures[pk.a][pk.b]; d != nil {
			return Row{pk.a, pk.b, d.Case, d.Seq}
		}
	case TReleases:
		if r, ok := s.Releases[k.ID.(string)]; ok {
			return Row{k.ID.(string), r.At, r.Seq}
		}
	case TBlobChecks:
		return s.blobCheckRow(k.ID.(pairKey))
	}
	return nil
}

// systemRows returns every row of a system table, unsorted.
func (s *State) systemRows(t string) []Row {
	var rows []Row
	switch t {
	case TAccounts:
		for id := range s.Accounts {
			rows = append(rows, s.systemRow(Key{t, id}))
		}
	case TGrants:
		for c, m := range s.Grants {
			for a := range m {
				rows = append(rows, s.systemRow(Key{t, pairKey{c, a}}))
			}
		}
	case TDisclosures:
		for it, m := range s.Disclosures {
			for a := range m {
				rows = append(rows, s.systemRow(Key{t, pairKey{it, a}}))
			}
		}
	case TReleases:
		for op := range s.Releases {
			rows = append(rows, s.systemRow(Key{t, op}))
		}
	case TBlobChecks:
		for it, m := range s.BlobChecks {
			for h := range m {
				rows = append(rows, s.blobCheckRow(pairKey{it, h}))
			}
		}
	}
	return rows
}

func isHex64(v string) bool {
	if len(v) != 64 {
		return false
	}
	for _, c := range v {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
