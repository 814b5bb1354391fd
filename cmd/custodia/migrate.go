package main

import (
	"fmt"

	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/deployment"
)

// cmdMigrate moves a SQLite deployment's log to a new PostgreSQL database.
func cmdMigrate(e *env, args []string) error {
	fs, data := newFlags("migrate")
	to := fs.String("to", "", "the new, empty PostgreSQL database (postgres://USER@HOST/DB; password from $"+deployment.EnvDBPassword+", PGPASSWORD or ~/.pgpass)")
	asJSON := fs.Bool("json", false, "JSON output")
	pos, err := e.flags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("migrate no admite argumentos / takes no arguments")
	}
	if *to == "" {
		return usagef("falta --to postgres://USUARIO@HOST/BASE / missing --to postgres://USER@HOST/DB")
	}
	db, err := deployment.PostgresConfig(*to)
	if err != nil {
		return err
	}
	var progress func(int64)
	if isTerminal(e.stderr) {
		progress = func(n int64) { fmt.Fprintf(e.stderr, "\r%d %s   ", n, e.tr("eventos copiados", "events copied")) }
		defer fmt.Fprint(e.stderr, "\r\033[K")
	}
	res, err := deployment.Migrate(e.ctx, *data, db, progress)
	if err != nil {
		return err
	}
	if *asJSON {
		if err := writeJSON(e.stdout, res); err != nil {
			return err
		}
	} else {
		c := res.Copied
		fmt.Fprintf(e.stdout, "%s %s: %s, %s, %s, %s, %s, %s\n", e.tr("Copiado a", "Copied to"), res.Target,
			e.many(int(c.Events), "evento", "eventos", "event", "events"), e.many(int(c.Checkpoints), "punto de control", "puntos de control", "checkpoint", "checkpoints"),
			e.many(int(c.Cosigned), "cofirmado", "cofirmados", "cosigned", "cosigned"), e.many(int(c.Rows), "fila", "filas", "row", "rows"),
			e.many(int(c.Credentials), "credencial", "credenciales", "credential", "credentials"), e.many(int(c.Tokens), "token", "tokens", "token", "tokens"))
		fmt.Fprintf(e.stdout, "%s: %s, %s, %s\n", e.tr("Auditoría de la copia", "Audit of the copy"), e.many(int(res.Audit.Events), "evento", "eventos", "event", "events"),
			e.many(int(res.Audit.Checkpoints), "punto de control", "puntos de control", "checkpoint", "checkpoints"), e.many(int(res.Audit.Rows), "fila", "filas", "row", "rows"))
		for _, p := range res.Audit.Problems {
			msg := p.Message
			if e.lang == "en" {
				msg = p.MessageEN
			}
			fmt.Fprintf(e.stdout, "  [%s] %s\n", p.Kind, msg)
		}
	}
	if !res.Audit.OK {
		return custody.Errorf(custody.ETampered, "", "la copia no pasó la auditoría (%d problemas): config.json no cambió y el despliegue sigue en SQLite; la base de datos de destino guarda una copia que nadie usa: bórrela",
			"the copy failed the audit (%d problems): config.json is unchanged and the deployment stays on SQLite; the target database holds a copy no one uses: drop it", len(res.Audit.Problems))
	}
	if !*asJSON {
		fmt.Fprintln(e.stdout, e.tr("Correcto: config.json nombra ahora la base de datos PostgreSQL, y cada orden con --data la usa. custodia.db quedó como estaba y ya no se usa: archívelo, no escriba en él.",
			"OK: config.json now names the PostgreSQL database, and every command given --data uses it. custodia.db is left as it was and no longer used: archive it, never write to it."))
	}
	return nil
}
