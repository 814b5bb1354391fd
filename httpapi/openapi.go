package httpapi

import (
	"net/http"
	"reflect"
	"regexp"
	"strings"

	"github.com/custodia-ec/custodia/app"
	"github.com/custodia-ec/custodia/casefile"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/gateway"
)

var pathParam = regexp.MustCompile(`\{([a-z_]+)(\.\.\.)?\}`)

// recordTypes are the case-file ops and their record types, for the
// document's schemas.
var recordTypes = []struct {
	op string
	t  reflect.Type
}{
	{casefile.OpAgency, reflect.TypeFor[casefile.Agency]()}, {casefile.OpOfficer, reflect.TypeFor[casefile.Officer]()},
	{casefile.OpCase, reflect.TypeFor[casefile.Case]()}, {casefile.OpPerson, reflect.TypeFor[casefile.Person]()},
	{casefile.OpOrganization, reflect.TypeFor[casefile.Organization]()}, {casefile.OpLink, reflect.TypeFor[casefile.Link]()},
	{casefile.OpOperation, reflect.TypeFor[casefile.Operation]()}, {casefile.OpSite, reflect.TypeFor[casefile.Site]()},
	{casefile.OpSiteStatus, reflect.TypeFor[casefile.SiteStatus]()}, {casefile.OpDetention, reflect.TypeFor[casefile.Detention]()},
	{casefile.OpDetentionUpd, reflect.TypeFor[casefile.DetentionUpdate]()}, {casefile.OpStatement, reflect.TypeFor[casefile.Statement]()},
	{custody.OpSeize, reflect.TypeFor[custody.Seize]()}, {custody.OpTransfer, reflect.TypeFor[custody.Transfer]()},
	{custody.OpOpen, reflect.TypeFor[custody.Open]()}, {custody.OpSeal, reflect.TypeFor[custody.Seal]()},
	{custody.OpDerive, reflect.TypeFor[custody.Derive]()}, {custody.OpAttach, reflect.TypeFor[custody.Attach]()},
	{custody.OpPresent, reflect.TypeFor[custody.Present]()}, {custody.OpDispose, reflect.TypeFor[custody.Dispose]()},
}

// schemaOf is the JSON Schema of a record type: its JSON fields, required
// unless omitempty, no others. without names fields the path gives.
func schemaOf(t reflect.Type, op string, without ...string) map[string]any {
	props := map[string]any{}
	var required []string
	if op != "" {
		props["op"] = map[string]any{"const": op}
		required = append(required, "op")
	}
fields:
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		for _, w := range without {
			if w == name {
				continue fields
			}
		}
		var sch map[string]any
		switch f.Type.Kind() {
		case reflect.Slice:
			sch = map[string]any{"type": "array", "items": map[string]any{"type": "string"}}
		case reflect.Pointer:
			if f.Type.Elem().Kind() == reflect.Bool {
				sch = map[string]any{"type": "boolean"}
			} else {
				sch = map[string]any{"type": "integer"}
			}
		default:
			sch = map[string]any{"type": "string"}
		}
		props[name] = sch
		if opts != "omitempty" {
			required = append(required, name)
		}
	}
	return map[string]any{"type": "object", "properties": props, "required": required, "additionalProperties": false}
}

// sigSchema is custody.Sig; sigsSchema a record's list of them.
var (
	sigSchema = map[string]any{"type": "object", "additionalProperties": false, "required": []string{"key", "role", "sig"}, "properties": map[string]any{
		"key": map[string]any{"type": "string"}, "role": map[string]any{"type": "string", "enum": []string{"by", "from", "to"}}, "sig": map[string]any{"type": "string"},
		"authenticator_data": map[string]any{"type": "string"}, "client_data_json": map[string]any{"type": "string"}}}
	sigsSchema = map[string]any{"type": "array", "maxItems": 3, "items": sigSchema}
)

// withSigs adds a record's personal signatures to its schema.
func withSigs(sch map[string]any) map[string]any {
	sch["properties"].(map[string]any)["sigs"] = sigsSchema
	return sch
}

// OpenAPI builds the OpenAPI 3.1 document from the route table, so that a
// route cannot be registered without being documented.
func (s *Server) OpenAPI() map[string]any {
	paths := map[string]any{}
	for _, rt := range s.gw.Routes() {
		if rt.NoDoc {
			continue
		}
		docPath := pathParam.ReplaceAllString(rt.Path, "{$1}")
		item, _ := paths[docPath].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[docPath] = item
		}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(rt.Path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		for _, q := range rt.Query {
			params = append(params, map[string]any{"name": q, "in": "query", "required": strings.HasPrefix(rt.Path, "/log/proof"), "schema": map[string]any{"type": "string"}})
		}
		op := map[string]any{
			"summary":     rt.Summary,
			"operationId": strings.ToLower(rt.Method) + strings.NewReplacer("/", "_", "{", "", "}", "", ".", "", "-", "_").Replace(rt.Path),
			"responses": map[string]any{
				"2XX":     map[string]any{"description": "OK"},
				"default": map[string]any{"description": "Error", "content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}},
			},
		}
		if rt.Stream {
			op["responses"].(map[string]any)["2XX"] = map[string]any{"description": "Server-Sent Events", "content": map[string]any{"text/event-stream": map[string]any{}}}
		}
		if len(params) > 0 {
			op["parameters"] = params
		}
		if rt.Body != "" {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/" + rt.Body}}}}
		}
		if rt.Access == gateway.Public {
			op["security"] = []any{}
		}
		item[strings.ToLower(rt.Method)] = op
	}
	var oneOf []any
	for _, rt := range recordTypes {
		oneOf = append(oneOf, withSigs(schemaOf(rt.t, rt.op)))
	}
	records := map[string]any{"description": "A case-file line (case file format v1): {\"op\": ..., fields}; the same rules and messages as import.", "oneOf": oneOf}
	codes := gateway.ErrorCodes()
	obj := func(props ...string) map[string]any {
		p := map[string]any{}
		for _, name := range props {
			p[name] = map[string]any{"type": "string"}
		}
		return map[string]any{"type": "object", "properties": p, "additionalProperties": false}
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":   "Custodia API",
			"version": "1",
			"description": "Registro verificable de operativos, detenciones y cadena de custodia. / A verifiable record of operations, detentions and chain of custody.\n\n" +
				"Writes: POST /api/v1/records takes one case-file line ({\"op\": ..., fields}) with the same rules and messages as import; REST routes take the same fields minus those in the path. " +
				"The record's actor (by, seized_by, arrested_by; from or to of a transfer) must be the account's officer, else 422. " +
				"Need to know: a case you are not a member of answers 404, never 403. Errors: {code, message, field}, message in the Accept-Language (es default, en). " +
				"Sessions: POST /api/v1/login sets an HttpOnly SameSite=Strict cookie and returns a csrf_token to send as X-CSRF-Token on every change. Tokens: Authorization: Bearer cst_...",
		},
		"servers": []any{map[string]any{"url": "/"}},
		"paths":   paths,
		"components": map[string]any{
			"securitySchemes": map[string]any{
				"bearer":  map[string]any{"type": "http", "scheme": "bearer"},
				"session": map[string]any{"type": "apiKey", "in": "cookie", "name": gateway.SessionCookie},
			},
			"schemas": map[string]any{
				"Error": map[string]any{"type": "object", "required": []string{"code", "message"}, "properties": map[string]any{
					"code":    map[string]any{"type": "string", "enum": codes},
					"message": map[string]any{"type": "string"},
					"field":   map[string]any{"type": "string"},
				}},
				"Record":         records,
				"Transfer":       withSigs(schemaOf(reflect.TypeFor[custody.Transfer](), "", "item")),
				"SiteStatus":     withSigs(schemaOf(reflect.TypeFor[casefile.SiteStatus](), "", "site")),
				"Release":        obj("at"),
				"Member":         obj("account"),
				"PasswordChange": obj("old", "new"),
				"KeyRequest":     schemaOf(reflect.TypeFor[KeyRequestBody](), ""),
				"Reason":         obj("reason"),
				"Accept":         map[string]any{"type": "object", "additionalProperties": false, "required": []string{"sig"}, "properties": map[string]any{"sig": sigSchema}},
				"LoginRequest":   obj("account", "password", "totp"),
				"FieldSync": map[string]any{"type": "object", "additionalProperties": false, "required": []string{"sent_at", "entries"}, "properties": map[string]any{
					"sent_at": map[string]any{"type": "string", "format": "date-time"},
					"entries": map[string]any{"type": "array", "maxItems": app.MaxFieldBatch, "items": map[string]any{"type": "object", "additionalProperties": false,
						"required": []string{"device", "seq", "device_clock", "op", "record", "sigs"}, "properties": map[string]any{
							"device": map[string]any{"type": "string"}, "seq": map[string]any{"type": "integer", "minimum": 1},
							"device_clock": map[string]any{"type": "string", "format": "date-time"}, "op": map[string]any{"type": "string"},
							"record": map[string]any{"type": "object"}, "sigs": sigsSchema}}}}},
				"AccountCreate": obj("account", "name", "role", "officer"),
				"TokenRequest": map[string]any{"type": "object", "additionalProperties": false, "properties": map[string]any{
					"scope": map[string]any{"type": "string", "enum": []string{"read", "write"}}, "cases": map[string]any{"type": "array", "items": map[string]any{"type": "string"}},
					"ttl_hours": map[string]any{"type": "integer"}}},
			},
		},
		"security": []any{map[string]any{"bearer": []any{}}, map[string]any{"session": []any{}}},
	}
}

func (s *Server) openapi(w http.ResponseWriter, r *http.Request, _ *app.Principal) error {
	gateway.WriteJSON(w, http.StatusOK, s.OpenAPI())
	return nil
}
