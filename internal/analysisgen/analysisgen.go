// Package analysisgen writes a synthetic but realistic set of phone
// extractions for the tests and benchmarks of package analysis: WhatsApp
// exports (Android and iOS, Spanish dates), a Telegram Desktop export,
// two address books (vCard), a carrier's call records and a bank's
// transfers (CSV with a column mapping). The people are invented, with
// Spanish names, accents and two surnames; their numbers are written in
// the different ways people and systems write them.
//
// Into the everyday traffic of five groups (traffickers, judiciary,
// police, prison staff, lawyers) it plants what the analysis must find:
// a broker (a lawyer who is the only bridge between the traffickers and
// the judiciary and police), and a path from the traffickers' boss to a
// judge, boss → broker → clerk → judge, on one night, each contact within
// the hour after the one before. Manifest names them.
package analysisgen

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Person is an invented person of the data set.
type Person struct {
	Name    string `json:"name"`
	Phone   string `json:"phone"` // E.164
	Cedula  string `json:"cedula"`
	Account string `json:"account"`
	Group   string `json:"group"`
	userID  int64
}

// File is one generated file and the importer format that reads it.
type File struct {
	Path    string `json:"path"` // relative to the data set's directory
	Format  string `json:"format"`
	Mapping string `json:"mapping,omitempty"`
}

// Manifest describes a generated data set and what was planted in it.
type Manifest struct {
	Seed     uint64   `json:"seed"`
	Files    []File   `json:"files"`
	People   []Person `json:"people"`
	Messages int      `json:"messages"`
	Calls    int      `json:"calls"`
	Payments int      `json:"payments"`
	// The planted answers.
	Boss, Broker, Clerk, Judge Person
	// PathNight is when the planted path starts; each hop follows the
	// one before within PathGap.
	PathNight time.Time
	PathGap   time.Duration
}

var firstNames = []string{"José", "María", "Andrés", "Sofía", "Ángel", "Inés", "Martín", "Lucía", "Raúl", "Nicolás",
	"Germán", "Verónica", "Jéssica", "Iván", "Rubén", "Adrián", "Mónica", "Fabián", "Julián", "Belén", "Óscar", "Noemí",
	"Efraín", "Dayana", "Joel", "Maribel", "Sebastián", "Génesis", "Jonathan", "Anahí"}
var surnames = []string{"Pérez", "Gómez", "Núñez", "Zambrano", "Cedeño", "Quiñónez", "Chávez", "Muñoz", "Ordóñez", "Guzmán",
	"Jiménez", "Benítez", "Andrade", "Vélez", "Mendoza", "Intriago", "Álava", "Peñafiel", "Loor", "Caicedo", "Villacís",
	"Montaño", "Bolaños", "Castañeda", "Mejía", "Tenorio", "Ayoví", "Macías", "Solórzano", "Espinoza"}

var groups = []struct {
	name string
	size int
}{{"traficantes", 10}, {"judicatura", 9}, {"policía", 9}, {"cárcel", 8}, {"abogados", 6}}

var lines = map[string][]string{
	"traficantes": {"¿Llegó la mercadería?", "Mañana sale el cargamento", "No hables por aquí", "Ya está pagado", "Cambia de número", "¿Dónde nos vemos?", "Todo listo en el puerto", "El patrón está molesto"},
	"judicatura":  {"La audiencia se difiere", "Revise el expediente", "Mañana hay sorteo de causas", "¿Firmó el auto?", "Necesito el oficio hoy", "Se suspende la diligencia"},
	"policía":     {"Operativo a las 05h00", "Sin novedad en el sector", "¿Quién está de turno?", "Mueve el patrullero", "Reporte listo"},
	"cárcel":      {"Cambio de guardia", "El pabellón está tranquilo", "Entra visita a las 10", "Requisa mañana", "¿Quién autorizó el traslado?"},
	"abogados":    {"Prepare el escrito", "La defensa está lista", "Hay que apelar", "¿Cuánto cobraron?", "Cita con el cliente"},
	"puente":      {"Ya hablé con el de arriba", "Está arreglado", "Mañana firma", "Lleva lo acordado", "Confirmado para la noche", "Nadie sabe nada"},
}

type gen struct {
	rng    *rand.Rand
	dir    string
	m      *Manifest
	people []*Person
	by     map[string][]*Person
	start  time.Time
}

// Generate writes a data set into dir (which it creates) and returns its
// manifest, also written as manifest.json. The same seed writes the same
// bytes.
func Generate(dir string, seed uint64) (*Manifest, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	g := &gen{rng: rand.New(rand.NewPCG(seed, seed+1)), dir: dir, m: &Manifest{Seed: seed}, by: map[string][]*Person{},
		start: time.Date(2023, 11, 1, 8, 0, 0, 0, time.FixedZone("-05", -5*3600))}
	g.people = g.makePeople()
	m := g.m
	m.Boss, m.Broker = *g.by["traficantes"][0], *g.by["abogados"][0]
	m.Clerk, m.Judge = *g.by["judicatura"][1], *g.by["judicatura"][0]
	m.PathNight = time.Date(2023, 12, 14, 22, 0, 0, 0, g.start.Location())
	m.PathGap = time.Hour
	for _, step := range []func() error{g.bossPhone, g.clerkPhone, g.brokerTelegram, g.calls, g.payments} {
		if err := step(); err != nil {
			return nil, err
		}
	}
	for _, p := range g.people {
		m.People = append(m.People, *p)
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	return m, os.WriteFile(filepath.Join(dir, "manifest.json"), append(b, '\n'), 0o644)
}

func (g *gen) makePeople() []*Person {
	used := map[string]bool{}
	var out []*Person
	n := 0
	for _, grp := range groups {
		for i := 0; i < grp.size; i++ {
			var name string
			for name == "" || used[name] {
				name = fmt.Sprintf("%s %s %s", pick(g.rng, firstNames), pick(g.rng, surnames), pick(g.rng, surnames))
			}
			used[name] = true
			n++
			p := &Person{Name: name, Group: grp.name, Phone: fmt.Sprintf("+5939%08d", 80000000+n*104729%19999999),
				Cedula: cedula(g.rng), Account: fmt.Sprintf("22%08d", g.rng.IntN(100000000)), userID: 6000000 + int64(n)}
			out = append(out, p)
			g.by[grp.name] = append(g.by[grp.name], p)
		}
	}
	return out
}

func pick(rng *rand.Rand, list []string) string { return list[rng.IntN(len(list))] }

// cedula makes a valid Ecuadorian cédula (province 01–24, modulo 10).
func cedula(rng *rand.Rand) string {
	d := make([]int, 10)
	prov := 1 + rng.IntN(24)
	d[0], d[1], d[2] = prov/10, prov%10, rng.IntN(6)
	for i := 3; i < 9; i++ {
		d[i] = rng.IntN(10)
	}
	sum := 0
	for i := 0; i < 9; i++ {
		v := d[i]
		if i%2 == 0 {
			if v *= 2; v > 9 {
				v -= 9
			}
		}
		sum += v
	}
	d[9] = (10 - sum%10) % 10
	var b strings.Builder
	for _, x := range d {
		b.WriteByte(byte('0' + x))
	}
	return b.String()
}

// written is a number as someone wrote it: one of the usual forms.
func (g *gen) written(e164 string) string {
	nat := e164[4:] // 9XXXXXXXX
	switch g.rng.IntN(6) {
	case 0:
		return "0" + nat
	case 1:
		return "0" + nat[:2] + " " + nat[2:5] + " " + nat[5:]
	case 2:
		return "+593 " + nat[:2] + " " + nat[2:5] + " " + nat[5:]
	case 3:
		return "593" + nat
	case 4:
		return "+593-" + nat[:2] + "-" + nat[2:5] + "-" + nat[5:]
	}
	return e164
}

// msg is one chat message to write.
type msg struct {
	at   time.Time
	from *Person
	text string
}

// chat makes n messages between the people of a chat, on working days
// between November and mid-December 2023, sorted by time.
func (g *gen) chat(people []*Person, n int, topic string) []msg {
	out := make([]msg, 0, n)
	for i := 0; i < n; i++ {
		at := g.start.Add(time.Duration(g.rng.IntN(44*24*60)) * time.Minute)
		text := pick(g.rng, lines[topic])
		switch g.rng.IntN(12) {
		case 0:
			text = "<Multimedia omitido>"
		case 1:
			text += "\n" + pick(g.rng, lines[topic])
		}
		out = append(out, msg{at, people[g.rng.IntN(len(people))], text})
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].at.Before(out[b].at) })
	return out
}

func (g *gen) create(name, format, mapping string) (*os.File, *bufio.Writer, error) {
	path := filepath.Join(g.dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, nil, err
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, nil, err
	}
	g.m.Files = append(g.m.Files, File{Path: name, Format: format, Mapping: mapping})
	return f, bufio.NewWriter(f), nil
}

func closeFile(f *os.File, w *bufio.Writer) error {
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// whatsApp writes an export: Android ("14/12/2023, 22:10 - ") or iOS
// ("[14/12/23, 10:10:00 p. m.] "), naming each sender as the phone's
// owner saved them (names), or by number when not saved.
func (g *gen) whatsApp(name string, ios bool, msgs []msg, names map[*Person]string) error {
	f, w, err := g.create(name, "whatsapp", "")
	if err != nil {
		return err
	}
	first := g.start
	if len(msgs) > 0 {
		first = msgs[0].at.Add(-time.Minute)
	}
	if ios {
		fmt.Fprintf(w, "[%s] %s: \u200eLos mensajes y las llamadas están cifrados de extremo a extremo.\n", iosTime(first), "Chat")
	} else {
		fmt.Fprintf(w, "%s - Los mensajes y las llamadas están cifrados de extremo a extremo. Nadie fuera de este chat, ni siquiera WhatsApp, puede leerlos ni escucharlos.\n", first.Format("02/01/2006, 15:04"))
	}
	for _, m := range msgs {
		sender, ok := names[m.from]
		if !ok {
			sender = g.written(m.from.Phone)
		}
		if ios {
			text := m.text
			if text == "<Multimedia omitido>" {
				text = "\u200eimagen omitida"
			}
			fmt.Fprintf(w, "[%s] %s: %s\n", iosTime(m.at), sender, text)
		} else {
			fmt.Fprintf(w, "%s - %s: %s\n", m.at.Format("02/01/2006, 15:04"), sender, m.text)
		}
		g.m.Messages++
	}
	return closeFile(f, w)
}

func iosTime(t time.Time) string {
	h := t.Hour() % 12
	if h == 0 {
		h = 12
	}
	mark := "a.\u202fm."
	if t.Hour() >= 12 {
		mark = "p.\u202fm."
	}
	return fmt.Sprintf("%s, %d:%02d:%02d\u202f%s", t.Format("02/01/06"), h, t.Minute(), t.Second(), mark)
}

// vcard writes an address book: each person by name, with their number
// written one way or another, the owner's own card first.
func (g *gen) vcard(name string, owner *Person, people []*Person) (map[*Person]string, error) {
	f, w, err := g.create(name, "vcard", "")
	if err != nil {
		return nil, err
	}
	names := map[*Person]string{}
	for i, p := range append([]*Person{owner}, people...) {
		if i > 0 && p == owner {
			continue
		}
		version := "3.0"
		if i%2 == 1 {
			version = "4.0"
		}
		parts := strings.SplitN(p.Name, " ", 2)
		fmt.Fprintf(w, "BEGIN:VCARD\r\nVERSION:%s\r\nFN:%s\r\nN:%s;%s;;;\r\nTEL;TYPE=CELL:%s\r\n", version, p.Name, parts[1], parts[0], g.written(p.Phone))
		if p == owner {
			fmt.Fprintf(w, "X-CEDULA:%s\r\nNOTE:Mi tarjeta\r\n", p.Cedula)
		}
		fmt.Fprint(w, "END:VCARD\r\n")
		names[p] = p.Name
	}
	return names, closeFile(f, w)
}

// bossPhone: the boss's address book and WhatsApp chats: the traffickers'
// group, and the chat with the broker, where the planted path starts.
func (g *gen) bossPhone() error {
	boss, broker := g.by["traficantes"][0], g.by["abogados"][0]
	contacts := append(append([]*Person{}, g.by["traficantes"][1:]...), broker)
	names, err := g.vcard("boss-contacts.vcf", boss, contacts)
	if err != nil {
		return err
	}
	// One trafficker is not saved: he appears by number.
	delete(names, g.by["traficantes"][9])
	if err := g.whatsApp("boss-whatsapp-grupo.txt", false, g.chat(g.by["traficantes"], 900, "traficantes"), names); err != nil {
		return err
	}
	bb := g.chat([]*Person{boss, broker}, 250, "puente")
	bb = append(bb, msg{g.m.PathNight, boss, "Hoy en la noche se arregla lo del juez"})
	sort.SliceStable(bb, func(a, b int) bool { return bb[a].at.Before(bb[b].at) })
	if err := g.whatsApp("boss-whatsapp-abogado.txt", false, bb, names); err != nil {
		return err
	}
	// The boss and his second (an iOS export).
	return g.whatsApp("boss-whatsapp-segundo.txt", true, g.chat([]*Person{boss, g.by["traficantes"][1]}, 150, "traficantes"), names)
}

// clerkPhone: the clerk's address book and WhatsApp chats with the judge
// and with the broker (an iOS export), where the path ends.
func (g *gen) clerkPhone() error {
	clerk, judge, broker := g.by["judicatura"][1], g.by["judicatura"][0], g.by["abogados"][0]
	names, err := g.vcard("clerk-contacts.vcf", clerk, append(append([]*Person{}, g.by["judicatura"]...), broker))
	if err != nil {
		return err
	}
	cj := g.chat([]*Person{clerk, judge}, 300, "judicatura")
	cj = append(cj, msg{g.m.PathNight.Add(75 * time.Minute), clerk, "Doctor, el abogado confirmó. Mañana firma."})
	sort.SliceStable(cj, func(a, b int) bool { return cj[a].at.Before(cj[b].at) })
	if err := g.whatsApp("clerk-whatsapp-juez.txt", true, cj, names); err != nil {
		return err
	}
	cb := g.chat([]*Person{clerk, broker}, 120, "puente")
	cb = append(cb, msg{g.m.PathNight.Add(30 * time.Minute), broker, "Ya hablé con el patrón, está arreglado"})
	sort.SliceStable(cb, func(a, b int) bool { return cb[a].at.Before(cb[b].at) })
	return g.whatsApp("clerk-whatsapp-abogado.txt", true, cb, names)
}

// brokerTelegram: the broker's Telegram account: chats with police
// officers and lawyers, and the contact list with their numbers.
func (g *gen) brokerTelegram() error {
	broker := g.by["abogados"][0]
	f, w, err := g.create("broker-telegram/result.json", "telegram", "")
	if err != nil {
		return err
	}
	type tgMsg struct {
		ID       int    `json:"id"`
		Type     string `json:"type"`
		Date     string `json:"date"`
		DateUnix string `json:"date_unixtime"`
		From     string `json:"from"`
		FromID   string `json:"from_id"`
		Text     string `json:"text"`
	}
	type tgChat struct {
		Name     string  `json:"name"`
		Type     string  `json:"type"`
		ID       int64   `json:"id"`
		Messages []tgMsg `json:"messages"`
	}
	type tgContact struct {
		UserID    int64  `json:"user_id"`
		FirstName string `json:"first_name"`
		LastName  string `json:"last_name"`
		Phone     string `json:"phone_number"`
	}
	peers := append(append([]*Person{}, g.by["policía"][:4]...), g.by["abogados"][1:]...)
	var contacts []tgContact
	var chats []tgChat
	for _, p := range peers {
		parts := strings.SplitN(p.Name, " ", 2)
		contacts = append(contacts, tgContact{p.userID, parts[0], parts[1], g.written(p.Phone)})
		topic := "abogados"
		if p.Group == "policía" {
			topic = "policía"
		}
		c := tgChat{Name: p.Name, Type: "personal_chat", ID: p.userID}
		for i, m := range g.chat([]*Person{broker, p}, 120, topic) {
			text := m.text
			if text == "<Multimedia omitido>" {
				text = ""
			}
			c.Messages = append(c.Messages, tgMsg{ID: i + 1, Type: "message", Date: m.at.Format("2006-01-02T15:04:05"), DateUnix: fmt.Sprint(m.at.Unix()),
				From: m.from.Name, FromID: fmt.Sprintf("user%d", m.from.userID), Text: text})
			g.m.Messages++
		}
		chats = append(chats, c)
	}
	bparts := strings.SplitN(broker.Name, " ", 2)
	export := map[string]any{
		"about":                "Here is the data you requested.",
		"personal_information": map[string]any{"user_id": broker.userID, "first_name": bparts[0], "last_name": bparts[1], "phone_number": g.written(broker.Phone)},
		"contacts":             map[string]any{"about": "contacts", "list": contacts},
		"chats":                map[string]any{"about": "chats", "list": chats},
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(export); err != nil {
		f.Close()
		return err
	}
	return closeFile(f, w)
}

// calls: the carrier's records of every group's phones: calls within each
// group, and the planted night's calls, numbers written by the carrier's
// system (593...) or by hand.
func (g *gen) calls() error {
	f, w, err := g.create("operadora-llamadas.csv", "calls-csv", "")
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "Fecha,Origen,Destino,Duración,Tipo")
	type call struct {
		at       time.Time
		from, to *Person
		secs     int
	}
	var calls []call
	for _, grp := range groups {
		ps := g.by[grp.name]
		for i := 0; i < 200; i++ {
			a, b := ps[g.rng.IntN(len(ps))], ps[g.rng.IntN(len(ps))]
			if a == b {
				continue
			}
			calls = append(calls, call{g.start.Add(time.Duration(g.rng.IntN(44*24*60)) * time.Minute), a, b, 5 + g.rng.IntN(600)})
		}
	}
	// The broker also calls two police officers (the Telegram ones) and
	// the clerk; the boss calls the broker on the planted night.
	broker := g.by["abogados"][0]
	for i := 0; i < 40; i++ {
		calls = append(calls, call{g.start.Add(time.Duration(g.rng.IntN(44*24*60)) * time.Minute), broker, g.by["policía"][g.rng.IntN(2)], 30 + g.rng.IntN(300)})
	}
	calls = append(calls, call{g.m.PathNight.Add(10 * time.Minute), g.by["traficantes"][0], broker, 184})
	// A trafficker talks to a prison guard: the prison staff's one tie.
	for i := 0; i < 30; i++ {
		calls = append(calls, call{g.start.Add(time.Duration(g.rng.IntN(44*24*60)) * time.Minute), g.by["traficantes"][3], g.by["cárcel"][0], 20 + g.rng.IntN(200)})
	}
	sort.SliceStable(calls, func(a, b int) bool { return calls[a].at.Before(calls[b].at) })
	for _, c := range calls {
		dir := "saliente"
		if g.rng.IntN(3) == 0 {
			dir = "perdida"
		}
		fmt.Fprintf(w, "%s,%s,%s,%d,%s\n", c.at.Format("2006-01-02 15:04:05"), strings.TrimPrefix(c.from.Phone, "+"), g.written(c.to.Phone), c.secs, dir)
		g.m.Calls++
	}
	return closeFile(f, w)
}

// payments: a bank's transfers (semicolon-separated, decimal comma, day
// first) with its mapping: the boss pays the broker, the broker pays the
// clerk, and everyday transfers within groups.
func (g *gen) payments() error {
	mapping := `{"delimiter": ";", "time_layout": "02/01/2006 15:04", "decimal": ",",
 "columns": {"at": "Fecha", "from_account": "Cuenta ordenante", "from_name": "Ordenante", "from_id": "Cédula ordenante",
             "to_account": "Cuenta beneficiario", "to_name": "Beneficiario", "to_id": "Cédula beneficiario",
             "amount": "Monto", "reference": "Concepto"}}
`
	if err := os.WriteFile(filepath.Join(g.dir, "banco-mapeo.json"), []byte(mapping), 0o644); err != nil {
		return err
	}
	f, w, err := g.create("banco-transferencias.csv", "payments-csv", "banco-mapeo.json")
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "Fecha;Cuenta ordenante;Ordenante;Cédula ordenante;Cuenta beneficiario;Beneficiario;Cédula beneficiario;Monto;Concepto")
	type pay struct {
		at       time.Time
		from, to *Person
		cents    int
		ref      string
	}
	boss, broker, clerk := g.by["traficantes"][0], g.by["abogados"][0], g.by["judicatura"][1]
	pays := []pay{
		{g.m.PathNight.Add(-48 * time.Hour), boss, broker, 1500000, "Honorarios profesionales"},
		{g.m.PathNight.Add(-24 * time.Hour), broker, clerk, 500000, "Préstamo"},
	}
	for _, grp := range groups {
		ps := g.by[grp.name]
		for i := 0; i < 12; i++ {
			a, b := ps[g.rng.IntN(len(ps))], ps[g.rng.IntN(len(ps))]
			if a != b {
				pays = append(pays, pay{g.start.Add(time.Duration(g.rng.IntN(44*24*60)) * time.Minute), a, b, 1000 + g.rng.IntN(200000), "Pago"})
			}
		}
	}
	sort.SliceStable(pays, func(a, b int) bool { return pays[a].at.Before(pays[b].at) })
	for _, p := range pays {
		fmt.Fprintf(w, "%s;%s;%s;%s;%s;%s;%s;%s;%s\n", p.at.Format("02/01/2006 15:04"), p.from.Account, p.from.Name, p.from.Cedula,
			p.to.Account, p.to.Name, p.to.Cedula, amount(p.cents), p.ref)
		g.m.Payments++
	}
	return closeFile(f, w)
}

// amount writes cents as "15.000,00".
func amount(cents int) string {
	units := fmt.Sprint(cents / 100)
	var b strings.Builder
	for i, c := range units {
		if i > 0 && (len(units)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(c)
	}
	return fmt.Sprintf("%s,%02d", b.String(), cents%100)
}

// WhatsAppStream writes n messages of an Android export in Spanish to w,
// among 200 invented people, for benchmarks of a million messages that
// are never on disk.
func WhatsAppStream(w io.Writer, n int, seed uint64) error {
	rng := rand.New(rand.NewPCG(seed, seed+1))
	bw := bufio.NewWriterSize(w, 1<<16)
	names := make([]string, 200)
	for i := range names {
		names[i] = fmt.Sprintf("%s %s %s", pick(rng, firstNames), pick(rng, surnames), pick(rng, surnames))
	}
	at := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	all := lines["traficantes"]
	for i := 0; i < n; i++ {
		at = at.Add(time.Duration(1+rng.IntN(60)) * time.Second)
		fmt.Fprintf(bw, "%s - %s: %s\n", at.Format("02/01/2006, 15:04"), names[rng.IntN(len(names))], all[rng.IntN(len(all))])
		if i%10 == 9 {
			bw.WriteString("y otra línea del mismo mensaje\n")
		}
	}
	return bw.Flush()
}
