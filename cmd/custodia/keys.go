package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/custodia-ec/custodia/accounts"
	"github.com/custodia-ec/custodia/app"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/custody/vocab"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/ledger"
	"github.com/custodia-ec/custodia/web"
)

// Officer keys (issue 14): `custodia key` manages software keys on a
// deployment's data directory (the operator registers and approves them);
// `custodia handover` offers and accepts handovers through a server's API,
// signing with a key file.

func cmdKey(e *env, args []string) error {
	if len(args) == 0 {
		return usagef("falta la suborden (new, add, list, revoke) / missing subcommand")
	}
	switch args[0] {
	case "new":
		return cmdKeyNew(e, args[1:])
	case "add":
		return cmdKeyAdd(e, args[1:])
	case "list":
		return cmdKeyList(e, args[1:])
	case "revoke":
		return cmdKeyRevoke(e, args[1:])
	}
	return usagef("suborden desconocida %q / unknown subcommand", args[0])
}

// cmdKeyNew writes a new Ed25519 key file and prints its id.
func cmdKeyNew(e *env, args []string) error {
	fs := flag.NewFlagSet("key new", flag.ContinueOnError)
	out := fs.String("o", "", "key file to create (mode 0600; never overwritten)")
	pos, err := e.flags(fs, args)
	if err != nil {
		return err
	}
	if *out == "" || len(pos) != 0 {
		return usagef("key new -o FILE")
	}
	k, err := accounts.NewOfficerKey(*out)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s: %s\n%s: %s\n", e.tr("clave", "key"), k.ID(), e.tr("huella", "fingerprint"), domain.Fingerprint(k.ID()))
	return nil
}

// cmdKeyAdd registers a key file's key for an officer and approves it, as
// the deployment's operator: two events of the log (key.request with the
// key's proof of possession, key.approve).
func cmdKeyAdd(e *env, args []string) error {
	fs, data := newFlags("key add")
	officer := fs.String("officer", "", "the officer whose key it is")
	label := fs.String("label", "", "a name for the key (\"laptop del laboratorio\")")
	pos, err := e.flags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *officer == "" {
		return usagef("key add FILE --officer ID [--label TEXT]")
	}
	k, err := accounts.LoadOfficerKey(pos[0])
	if err != nil {
		return err
	}
	d, err := e.open(*data)
	if err != nil {
		return err
	}
	defer d.Close()
	appendRecs := app.LedgerAppender(d.Ledger, recorderCLI, e.now)
	now := e.now()
	if err := appendRecs(e.ctx, []ledger.Record{
		{Op: custody.OpKeyRequest, Rec: k.Request(*officer, *label, now)},
		{Op: custody.OpKeyApprove, Rec: &domain.KeyApprove{Key: k.ID(), At: now.UTC().Format(time.RFC3339)}},
	}); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s %s %s %s\n", e.tr("clave", "key"), domain.Fingerprint(k.ID()), e.tr("registrada y aprobada para", "registered and approved for"), *officer)
	return nil
}

func cmdKeyList(e *env, args []string) error {
	fs, data := newFlags("key list")
	officer := fs.String("officer", "", "only this officer's keys")
	asJSON := fs.Bool("json", false, "JSON output")
	if _, err := e.flags(fs, args); err != nil {
		return err
	}
	d, err := e.open(*data)
	if err != nil {
		return err
	}
	defer d.Close()
	var keys []*domain.OfficerKey
	d.Ledger.View(func(st *domain.State) error {
		for _, k := range st.Keys {
			if *officer == "" || k.Officer == *officer {
				keys = append(keys, k)
			}
		}
		return nil
	})
	sortOfficerKeys(keys)
	if *asJSON {
		type row struct {
			Key, Officer, Alg, Label, Status string
			Seq                              int64
		}
		out := []row{}
		for _, k := range keys {
			out = append(out, row{k.Key, k.Officer, k.Alg, k.Label, k.Status(), k.Seq})
		}
		return json.NewEncoder(e.stdout).Encode(out)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, e.tr("HUELLA\tFUNCIONARIO\tTIPO\tESTADO\tNOMBRE", "FINGERPRINT\tOFFICER\tTYPE\tSTATUS\tLABEL"))
	for _, k := range keys {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", domain.Fingerprint(k.Key), k.Officer, k.Alg, keyStatusWord(e, k.Status()), k.Label)
	}
	return tw.Flush()
}

func keyStatusWord(e *env, s string) string {
	switch s {
	case "active":
		return e.tr("vigente", "active")
	case "revoked":
		return e.tr("revocada", "revoked")
	}
	return e.tr("solicitada", "requested")
}

func sortOfficerKeys(k []*domain.OfficerKey) {
	for i := 1; i < len(k); i++ {
		for j := i; j > 0 && k[j].Seq < k[j-1].Seq; j-- {
			k[j], k[j-1] = k[j-1], k[j]
		}
	}
}

func cmdKeyRevoke(e *env, args []string) error {
	fs, data := newFlags("key revoke")
	reason := fs.String("reason", "", "why (lost device, officer left, ...)")
	pos, err := e.flags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageWhy("indique una clave", "give one key", "key revoke KEY --reason TEXT")
	}
	if *reason == "" {
		return usageWhy("falta --reason: la revocación dice por qué", "missing --reason: a revocation says why", "key revoke KEY --reason TEXT")
	}
	d, err := e.open(*data)
	if err != nil {
		return err
	}
	defer d.Close()
	id := pos[0]
	d.Ledger.View(func(st *domain.State) error {
		for full := range st.Keys { // a fingerprint names the key too
			if len(id) >= 16 && strings.HasPrefix(full, id) {
				id = full
			}
		}
		return nil
	})
	if err := app.LedgerAppender(d.Ledger, recorderCLI, e.now)(e.ctx, []ledger.Record{{Op: custody.OpKeyRevoke,
		Rec: &domain.KeyRevoke{Key: id, Reason: *reason, At: e.now().UTC().Format(time.RFC3339)}}}); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s %s %s\n", e.tr("clave", "key"), domain.Fingerprint(id), e.tr("revocada", "revoked"))
	return nil
}

// apiClient is the CLI's client of a server's JSON API.
type apiClient struct {
	server, token string
}

func (c apiClient) do(method, path string, body any, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, strings.TrimSuffix(c.server, "/")+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	hc := &http.Client{Timeout: 30 * time.Second}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if resp.StatusCode/100 != 2 {
		var eb struct{ Code, Message, Field string }
		if json.Unmarshal(b, &eb) == nil && eb.Message != "" {
			if eb.Field != "" {
				return fmt.Errorf("%s %s: %d: %s (%s)", method, path, resp.StatusCode, eb.Message, eb.Field)
			}
			return fmt.Errorf("%s %s: %d: %s", method, path, resp.StatusCode, eb.Message)
		}
		code := custody.EInvalid
		if resp.StatusCode >= 500 {
			code = custody.EBusy
		}
		return custody.Errorf(code, "", "el servidor %[1]s respondió %[2]d %[3]s a %[4]s %[5]s sin un mensaje de Custodia: ¿es --server la dirección de un servidor Custodia?",
			"the server %[1]s answered %[2]d %[3]s to %[4]s %[5]s without a Custodia message: is --server the address of a Custodia server?",
			c.server, resp.StatusCode, http.StatusText(resp.StatusCode), method, path)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// plainServer refuses a --server that would carry the token (and, for an
// upload, the evidence) unencrypted across a network: http:// is taken
// only for this machine (a loopback address or localhost), as the default
// http://127.0.0.1:8080 is; anything else must be https://.
func (e *env) plainServer(server string) error {
	u, err := url.Parse(server)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return usagef("--server debe ser una URL http(s)://HOST[:PUERTO] / --server must be an http(s)://HOST[:PORT] URL: %q", server)
	}
	if u.Scheme == "https" {
		return nil
	}
	host := u.Hostname()
	if ip, err := netip.ParseAddr(host); (err == nil && ip.IsLoopback()) || strings.EqualFold(host, "localhost") {
		return nil
	}
	return fmt.Errorf("%s", e.tr("--server "+server+" enviaría el token sin cifrar por la red: use https:// (http:// solo para esta máquina: 127.0.0.1, ::1, localhost)",
		"--server "+server+" would send the token unencrypted over the network: use https:// (http:// only for this machine: 127.0.0.1, ::1, localhost)"))
}

func apiFlags(fs *flag.FlagSet) (*string, *string) {
	return fs.String("server", envOr("CUSTODIA_SERVER", "http://127.0.0.1:8080"), "server URL"),
		fs.String("token", os.Getenv("CUSTODIA_TOKEN"), "API token with write scope (default $CUSTODIA_TOKEN)")
}

func cmdHandover(e *env, args []string) error {
	if len(args) == 0 {
		return usagef("falta la suborden (offer, list, accept, withdraw) / missing subcommand")
	}
	fs := flag.NewFlagSet("handover "+args[0], flag.ContinueOnError)
	srv, token := apiFlags(fs)
	keyFile := fs.String("key", "", "your key file (custodia key new)")
	var to, purpose, cond, seal, location, at *string
	var wait *time.Duration
	if args[0] == "offer" {
		to = fs.String("to", "", "the receiving officer")
		purpose = fs.String("purpose", "storage", "storage, analysis, court, transport, return, other")
		cond = fs.String("seal-condition", "intact", "intact, broken, none")
		seal = fs.String("seal", "", "the seal number, when sealed")
		location = fs.String("location", "", "where the handover takes place")
		at = fs.String("at", "", "time of the handover, RFC 3339 (default now)")
		wait = fs.Duration("wait", app.DefaultHandoverWait, "how long the offer waits for the receiver (at most 72h)")
	}
	reason := fs.String("reason", "", "why the offer is withdrawn")
	pos, err := e.flags(fs, args[1:])
	if err != nil {
		return err
	}
	if *token == "" {
		return usagef("falta --token (o CUSTODIA_TOKEN) / missing --token (or CUSTODIA_TOKEN)")
	}
	if err := e.plainServer(*srv); err != nil {
		return err
	}
	c := apiClient{server: *srv, token: *token}
	loadKey := func() (*accounts.OfficerKey, error) {
		if *keyFile == "" {
			return nil, usagef("falta --key FILE: la entrega se firma con su clave / missing --key FILE: a handover is signed with your key")
		}
		return accounts.LoadOfficerKey(*keyFile)
	}
	switch args[0] {
	case "offer":
		if len(pos) != 1 || *to == "" {
			return usagef("handover offer ITEM --to OFFICER --key FILE [--purpose P] [--seal-condition C] [--seal S] [--location L] [--at TIME] [--wait 2h]")
		}
		// The API counts whole minutes and takes 0 as its default of 2h:
		// "--wait 30s" or "--wait 0" would silently wait two hours.
		if *wait < time.Minute || *wait > app.MaxHandoverWait {
			return usagef("--wait %s: una entrega espera entre 1m y 72h / a handover waits between 1m and 72h", *wait)
		}
		k, err := loadKey()
		if err != nil {
			return err
		}
		var me struct {
			Officer string `json:"officer"`
		}
		if err := c.do("GET", "/api/v1/me", nil, &me); err != nil {
			return err
		}
		when := *at
		if when == "" {
			when = e.now().UTC().Format(time.RFC3339)
		}
		tr := &custody.Transfer{Item: pos[0], From: me.Officer, To: *to, At: when, Purpose: codeOf("purpose", *purpose), SealCondition: codeOf("cond", *cond), Seal: *seal, Location: *location}
		_, d, err := app.ActDigest(custody.OpTransfer, tr)
		if err != nil {
			return err
		}
		body := map[string]any{"from": tr.From, "to": tr.To, "at": tr.At, "purpose": tr.Purpose, "seal_condition": tr.SealCondition,
			"sigs": []custody.Sig{k.Sign(custody.RoleFrom, d)}, "wait_minutes": int64(wait.Minutes())}
		if tr.Seal != "" {
			body["seal"] = tr.Seal
		}
		if tr.Location != "" {
			body["location"] = tr.Location
		}
		var res struct{ Handover, Expires string }
		if err := c.do("POST", "/api/v1/items/"+pos[0]+"/handovers", body, &res); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s %s: %s %s %s %s\n", e.tr("entrega", "handover"), res.Handover, e.tr("espera a", "waits for"), tr.To, e.tr("hasta", "until"), showTime(res.Expires, e.zone()))
		return nil
	case "list":
		var res struct {
			Handovers []app.HandoverView `json:"handovers"`
		}
		if err := c.do("GET", "/api/v1/handovers", nil, &res); err != nil {
			return err
		}
		loc := e.zone()
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, e.tr("ENTREGA\tEVIDENCIA\tDE\tA\tESTADO\tVENCE", "HANDOVER\tITEM\tFROM\tTO\tSTATUS\tEXPIRES"))
		for _, h := range res.Handovers {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", h.ID, h.Item, h.From, h.To, web.Label(e.lang, "hostatus", h.Status), showTime(h.Expires, loc))
		}
		return tw.Flush()
	case "accept":
		if len(pos) != 1 {
			return usagef("handover accept ID --key FILE")
		}
		k, err := loadKey()
		if err != nil {
			return err
		}
		var res struct {
			Handovers []app.HandoverView `json:"handovers"`
		}
		if err := c.do("GET", "/api/v1/handovers?pending=1", nil, &res); err != nil {
			return err
		}
		for _, h := range res.Handovers {
			if h.ID != pos[0] {
				continue
			}
			// Sign what the offer says, computed here: the server's
			// digest is not trusted, only shown.
			_, d, err := app.ActDigest(custody.OpTransfer, &h.Transfer)
			if err != nil {
				return err
			}
			// What the receiver signs, in words: the item, the giver, the
			// purpose, the seal and its condition. An offer that names no
			// seal number keeps the item's seal: "sello: sin sello" beside
			// "intacto" would say the item is unsealed (the web, too, shows
			// no seal then).
			seal := ""
			if h.Seal != "" {
				seal = fmt.Sprintf("; %s: %s", e.tr("sello", "seal"), h.Seal)
			}
			fmt.Fprintf(e.stdout, "%s %s %s %s (%s: %s%s; %s: %s)\n", e.tr("recibe", "receiving"), h.Item, e.tr("de", "from"), h.From,
				e.tr("finalidad", "purpose"), e.word("purpose", h.Purpose), seal, e.tr("estado del sello", "seal condition"), e.word("cond", h.SealCondition))
			var rr app.RecordResult
			if err := c.do("POST", "/api/v1/handovers/"+h.ID+"/accept", map[string]any{"sig": k.Sign(custody.RoleTo, d)}, &rr); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "%s %d\n", e.tr("registrada como evento n.º", "recorded as event no."), rr.Seq)
			return nil
		}
		return fmt.Errorf("%s: %s", pos[0], e.tr("no hay una entrega pendiente con ese número para usted", "there is no pending handover with that id for you"))
	case "withdraw":
		if len(pos) != 1 {
			return usagef("handover withdraw ID [--reason TEXT]")
		}
		if err := c.do("POST", "/api/v1/handovers/"+pos[0]+"/withdraw", map[string]string{"reason": *reason}, nil); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s %s %s\n", e.tr("entrega", "handover"), pos[0], e.tr("retirada", "withdrawn"))
		return nil
	}
	return usagef("suborden desconocida %q / unknown subcommand", args[0])
}

// codeOf is the code of a value typed as its code or as its word in
// either language ("análisis", "analysis"); anything else is returned as
// it is, for the server to refuse with the list of codes.
func codeOf(kind, typed string) string {
	for _, c := range vocab.WordCodes(kind) {
		if strings.EqualFold(typed, c) || strings.EqualFold(typed, vocab.Word(kind, c, "es")) || strings.EqualFold(typed, vocab.Word(kind, c, "en")) {
			return c
		}
	}
	return typed
}
