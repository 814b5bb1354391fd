package main

import (
	"fmt"
	"io"
	"regexp"
	"runtime/debug"
	"strings"
)

// helpText is the help of one command or subcommand, in both languages. The
// synopsis comes from the command's usage; this is what it does and what its
// flags mean.
type helpText struct{ es, en string }

// helpTexts is the catalogue of the CLI's help, keyed by "command" or
// "command subcommand". Every command and every subcommand of a usage line
// has an entry (TestHelpEveryCommand).
func helpTexts() map[string]helpText {
	return map[string]helpText{
		"key": {
			es: `Claves personales de firma (Ed25519) de los funcionarios, para la línea de
órdenes, la API e integraciones. Cada acto de custodia lleva la firma de
quien lo hizo; una entrega, la de ambas partes. Las llaves de acceso
(passkeys) se registran desde la web.`,
			en: `Officers' personal signing keys (Ed25519), for the command line, the API
and integrations. Every custody act carries the signature of who did it; a
handover, both parties'. Passkeys are enrolled from the web.`,
		},
		"key new": {
			es: "Crea un archivo de clave nueva (-o ARCHIVO, modo 0600; nunca sobrescribe) e imprime su identificador y su huella.",
			en: "Creates a new key file (-o FILE, mode 0600; never overwritten) and prints its id and fingerprint.",
		},
		"key add": {
			es: "Registra en el log la clave de un archivo para un funcionario (--officer), con su prueba de posesión, y la aprueba como operador del despliegue.",
			en: "Registers a key file's key in the log for an officer (--officer), with its proof of possession, and approves it as the deployment's operator.",
		},
		"key list": {
			es: "Lista las claves registradas (huella, funcionario, tipo, estado); --officer filtra, --json para programas.",
			en: "Lists the registered keys (fingerprint, officer, type, status); --officer filters, --json for programs.",
		},
		"key revoke": {
			es: "Revoca una clave (por su identificador o huella) con un motivo (--reason): desde ese evento no firma nada válido.",
			en: "Revokes a key (by id or fingerprint) with a reason (--reason): from that event on it signs nothing valid.",
		},
		"handover": {
			es: `Entregas con dos firmas a través de la API de un servidor (--server, --token
o $CUSTODIA_SERVER, $CUSTODIA_TOKEN; https:// salvo en esta máquina): quien
entrega la ofrece firmada con su clave (--key), quien recibe la acepta firmando
el mismo acto.`,
			en: `Two-signature handovers through a server's API (--server, --token or
$CUSTODIA_SERVER, $CUSTODIA_TOKEN; https:// except on this machine): the giver
offers it signed with their key (--key), the receiver accepts by signing the same
act.`,
		},
		"handover offer": {
			es: "Ofrece la entrega de ITEM a --to, firmada con --key; espera al receptor hasta --wait (máximo 72h). --purpose, --seal-condition, --seal, --location, --at describen el acto. --purpose: bodega, análisis, audiencia, traslado, devolución u otro (por omisión bodega); --seal-condition: intacto, roto o sin sello (por omisión intacto); en español, en inglés o con su código. --server y --token (o $CUSTODIA_SERVER, $CUSTODIA_TOKEN): el servidor y su token de API.",
			en: "Offers ITEM to --to, signed with --key; waits for the receiver up to --wait (72h at most). --purpose, --seal-condition, --seal, --location, --at describe the act. --purpose: storage, analysis, court, transport, return or other (default storage); --seal-condition: intact, broken or no seal (default intact); in Spanish, in English or as its code. --server and --token (or $CUSTODIA_SERVER, $CUSTODIA_TOKEN): the server and your API token.",
		},
		"handover list": {
			es: "Lista las entregas ofrecidas a usted o por usted, con su estado. --server y --token (o $CUSTODIA_SERVER, $CUSTODIA_TOKEN): el servidor y su token de API.",
			en: "Lists the handovers offered to you or by you, with their status. --server and --token (or $CUSTODIA_SERVER, $CUSTODIA_TOKEN): the server and your API token.",
		},
		"handover accept": {
			es: "Acepta la entrega ID firmando con --key el acto tal como se ofreció (calculado aquí, no confiado al servidor). --server y --token (o $CUSTODIA_SERVER, $CUSTODIA_TOKEN): el servidor y su token de API.",
			en: "Accepts handover ID by signing with --key the act as offered (computed here, not trusted to the server). --server and --token (or $CUSTODIA_SERVER, $CUSTODIA_TOKEN): the server and your API token.",
		},
		"handover withdraw": {
			es: "Retira una entrega que usted ofreció y aún espera (--reason opcional). --server y --token (o $CUSTODIA_SERVER, $CUSTODIA_TOKEN): el servidor y su token de API.",
			en: "Withdraws a handover you offered that is still waiting (--reason optional). --server and --token (or $CUSTODIA_SERVER, $CUSTODIA_TOKEN): the server and your API token.",
		},
		"init": {
			es: `Crea un despliegue en --data: la base de datos, la clave del log (log.key,
0600; la pública en log.pub) y config.json. Se niega si ya existe.

  --origin NOMBRE     origen del log (nombre de su clave)
  --s3-endpoint H:P   guarda los archivos de evidencia en un almacén compatible
                      con S3 (credenciales en $CUSTODIA_S3_ACCESS_KEY y
                      $CUSTODIA_S3_SECRET_KEY); --s3-bucket (debe existir),
                      --s3-prefix, --s3-region, --s3-insecure (HTTP, solo local)
  --db postgres://USUARIO@HOST/BASE
                      guarda el log en PostgreSQL, en una base de datos nueva y
                      vacía que varios servidores pueden compartir; la
                      contraseña, nunca en la cadena: $CUSTODIA_DB_PASSWORD,
                      PGPASSWORD o ~/.pgpass. La clave del log queda solo en
                      --data; cada orden posterior con --data usa esa base.`,
			en: `Creates a deployment in --data: the database, the log key (log.key, 0600;
the public key in log.pub) and config.json. Refuses if one exists.

  --origin NAME       the log's origin (its key's name)
  --s3-endpoint H:P   keeps evidence files in an S3-compatible store
                      (credentials in $CUSTODIA_S3_ACCESS_KEY and
                      $CUSTODIA_S3_SECRET_KEY); --s3-bucket (must exist),
                      --s3-prefix, --s3-region, --s3-insecure (plain HTTP,
                      loopback only)
  --db postgres://USER@HOST/DB
                      keeps the log in PostgreSQL, in a new, empty database
                      that several servers may share; the password, never in
                      the string: $CUSTODIA_DB_PASSWORD, PGPASSWORD or
                      ~/.pgpass. The log key stays in --data only; every later
                      command given --data uses that database.`,
		},
		"import": {
			es: `Importa un expediente (JSON Lines) o una exportación (DIR con case.jsonl y
blobs/). Todo o nada: un error en una línea no deja nada escrito, y se indica
el archivo y la línea.`,
			en: `Imports a case file (JSON Lines) or an export (DIR with case.jsonl and
blobs/). All or nothing: an error on one line leaves nothing written, and the
file and line are given.`,
		},
		"report": {
			es: `Informes para el tribunal: de un operativo, de un indicio (registro de
cadena de custodia) o de los plazos de las detenciones de un caso.
Vea custodia report SUBORDEN --help.`,
			en: `Reports for the court: of an operation, of an item (its chain-of-custody
record) or of a case's detention deadlines. See custodia report SUBCOMMAND --help.`,
		},
		"report operation": {
			es: `Informe de un operativo: sitios, detenciones, indicios y anomalías, tal como
constaban en --as-of (por omisión, ahora).

  --as-of TIEMPO   RFC 3339 con desplazamiento (2024-01-01T00:00:00-05:00)
  --json           salida JSON
  -o ARCHIVO       escribe un PDF (.pdf) o CSV (.csv) en vez de texto
  --lang es|en     idioma del documento (por omisión es)`,
			en: `An operation's report: sites, detentions, items and anomalies, as they
stood at --as-of (default now).

  --as-of TIME     RFC 3339 with an offset (2024-01-01T00:00:00-05:00)
  --json           JSON output
  -o FILE          writes a PDF (.pdf) or CSV (.csv) instead of text
  --lang es|en     the document's language (default es)`,
		},
		"report item": {
			es: `Registro de cadena de custodia de un indicio (COIP art. 456) en PDF, con el
punto de control firmado y un QR de verificación. Lo genera el operador del
despliegue: muestra la dirección del sitio del secuestro (la página y la API
la reservan a quien no puede verla).

  -o ARCHIVO.pdf   el documento
  --lang es|en     idioma del documento (por omisión es)`,
			en: `An item's chain-of-custody record (COIP art. 456) as a PDF, with the signed
checkpoint and a verification QR code. The deployment's operator makes it: it
shows the seizure site's address (the page and the API withhold it from those
who may not see it).

  -o FILE.pdf      the document
  --lang es|en     the document's language (default es)`,
		},
		"report detentions": {
			es: `Cumplimiento de los plazos de las detenciones de un caso (lectura de
derechos, audiencia) en PDF o CSV: cada detención, medida contra los límites
del despliegue tal como estaba en --as-of.

  -o ARCHIVO       .pdf o .csv
  --as-of TIEMPO   RFC 3339 con desplazamiento (por omisión, ahora)
  --lang es|en     idioma del documento (por omisión es)`,
			en: `A case's detention-deadline compliance (rights notice, hearing) as a PDF
or CSV: every detention, measured against the deployment's limits as it
stood at --as-of.

  -o FILE          .pdf or .csv
  --as-of TIME     RFC 3339 with an offset (default now)
  --lang es|en     the document's language (default es)`,
		},
		"label": {
			es: `Etiquetas con QR para los indicios, en PDF.

  -o ARCHIVO.pdf   el documento
  --sheet thermal  una etiqueta de 100×50 mm por página (por omisión)
  --sheet a4       hojas A4 de 3×8 etiquetas de 70×37 mm`,
			en: `QR labels for items, as a PDF.

  -o FILE.pdf      the document
  --sheet thermal  one 100×50 mm label per page (default)
  --sheet a4       A4 sheets of 3×8 labels of 70×37 mm`,
		},
		"item": {
			es: `Consulta un indicio. Vea custodia item history --help.`,
			en: `Looks up an item. See custodia item history --help.`,
		},
		"item history": {
			es: `Historia de un indicio: cada evento de su cadena de custodia, quién lo tenía,
el estado del sello y las anomalías.

  --json   salida JSON`,
			en: `An item's history: every event of its chain of custody, who held it, the
seal's state and the anomalies.

  --json   JSON output`,
		},
		"export": {
			es: `Exporta un caso o un paquete verificable. Vea custodia export SUBORDEN --help.`,
			en: `Exports a case or a verifiable bundle. See custodia export SUBCOMMAND --help.`,
		},
		"export case": {
			es: `Exporta un caso como expediente JSON Lines que import vuelve a leer. Con
-o DIR/ escribe DIR/case.jsonl y los archivos de evidencia en DIR/blobs/.

  -o ARCHIVO|DIR/   destino`,
			en: `Exports a case as a JSON Lines case file that import reads back. With
-o DIR/ it writes DIR/case.jsonl and the evidence files in DIR/blobs/.

  -o FILE|DIR/      destination`,
		},
		"export bundle": {
			es: `Paquete verificable de un indicio: sus eventos, las pruebas de inclusión y el
punto de control firmado, que custodia verify comprueba sin conexión.

  -o ARCHIVO          destino
  --from-size N       añade una prueba de consistencia desde ese tamaño (repetible)
  --tlog-proofs DIR   escribe también cada prueba en formato C2SP tlog-proof`,
			en: `An item's verifiable bundle: its events, their inclusion proofs and the
signed checkpoint, which custodia verify checks offline.

  -o FILE             destination
  --from-size N       adds a consistency proof from that size (repeatable)
  --tlog-proofs DIR   also writes each proof in C2SP tlog-proof format`,
		},
		"export case-uco": {
			es: `Exporta un caso en CASE/UCO 1.4.0 (JSON-LD), con la dirección y la orden de
allanamiento de cada sitio: lo genera el operador del despliegue.

  -o ARCHIVO.jsonld   destino
  --base IRI          prefijo de los nodos (por omisión urn:custodia:kb:)`,
			en: `Exports a case as CASE/UCO 1.4.0 (JSON-LD), with each site's address and
search warrant: the deployment's operator makes it.

  -o FILE.jsonld      destination
  --base IRI          the nodes' prefix (default urn:custodia:kb:)`,
		},
		"migrate": {
			es: `Lleva el log de un despliegue SQLite (--data) a una base de datos PostgreSQL
nueva y vacía (--to): copia tal cual cada evento con sus hashes, cada punto de
control, cada fila y las credenciales, audita la copia como custodia audit,
y solo si está correcta anota la base en config.json; desde entonces cada
orden con --data usa PostgreSQL. Detenga antes todo servidor: la migración
bloquea custodia.db mientras lo lee, y lo deja como estaba. La clave del log
no va a la base de datos. Contraseña: $CUSTODIA_DB_PASSWORD, PGPASSWORD o
~/.pgpass, nunca en la cadena.

  --to postgres://USUARIO@HOST/BASE  la base de destino (se niega si no está vacía)
  --json                             salida JSON`,
			en: `Moves the log of a SQLite deployment (--data) to a new, empty PostgreSQL
database (--to): copies every event with its hashes, every checkpoint, every
row and the credentials verbatim, audits the copy as custodia audit does,
and only when it is clean records the database in config.json; from then on
every command given --data uses PostgreSQL. Stop every server first: the
migration locks custodia.db while it reads it, and leaves it as it was. The
log key does not go into the database. Password: $CUSTODIA_DB_PASSWORD,
PGPASSWORD or ~/.pgpass, never in the string.

  --to postgres://USER@HOST/DB  the target database (refused unless empty)
  --json                        JSON output`,
		},
		"audit": {
			es: `Vuelve a recorrer el log entero (cada evento, hash, punto de control y fila
derivada) y lo compara con lo que solo el despliegue tiene: los plazos de
config.json, las credenciales y tokens de inicio de sesión, y el punto de
control guardado junto a la base (una base restaurada o bifurcada). Verifica
además la firma personal de cada acto contra el registro de claves.

  --since-checkpoint N  verifica la criptografía de las firmas solo desde el
                        evento N (el tamaño que dio una auditoría anterior
                        correcta); todo lo demás se comprueba entero
  --json                salida JSON`,
			en: `Replays the whole log (every event, hash, checkpoint and projection row) and
compares it with what only the deployment holds: the deadlines of
config.json, the sign-in credentials and tokens, and the checkpoint held
beside the database (a restored or forked database). It also verifies every
act's personal signatures against the key register.

  --since-checkpoint N  verify the signatures' cryptography only from event
                        N on (the size an earlier clean audit gave);
                        everything else is checked in full
  --json                JSON output`,
		},
		"checkpoint": {
			es: `Imprime el punto de control firmado actual del log (nota C2SP).`,
			en: `Prints the log's current signed checkpoint (a C2SP note).`,
		},
		"upload": {
			es: `Envía un archivo a un servidor como adjunto de un indicio; se reanuda tras
una conexión caída.

  --server URL      el servidor (por omisión $CUSTODIA_SERVER o http://127.0.0.1:8080);
                    https:// salvo en esta máquina, para no enviar el token sin cifrar
  --token TOKEN     token de API con permiso de escritura (por omisión $CUSTODIA_TOKEN)
  --name NOMBRE     nombre registrado (por omisión, el del archivo)
  --media-type T    tipo de medio (por omisión, según la extensión)
  --at TIEMPO       hora del registro, RFC 3339 (por omisión, ahora)
  --key ARCHIVO     su clave (custodia key new), con la que firma el acto;
                    obligatoria si su funcionario tiene una clave registrada
  --chunk BYTES     bytes por petición`,
			en: `Sends a file to a server as an attachment of an item; it resumes after a
dropped connection.

  --server URL      the server (default $CUSTODIA_SERVER or http://127.0.0.1:8080);
                    https:// except on this machine, so the token is not sent in clear
  --token TOKEN     API token with write scope (default $CUSTODIA_TOKEN)
  --name NAME       recorded name (default the file's)
  --media-type T    media type (default from the extension)
  --at TIME         time of the record, RFC 3339 (default now)
  --key FILE        your key file (custodia key new), which signs the act;
                    required once your officer has a registered key
  --chunk BYTES     bytes per request`,
		},
		"fsck": {
			es: `Vuelve a calcular el hash de cada archivo de evidencia que el log cita,
registra cada comprobación e informa de los archivos que ningún registro cita.

  --case CASO    solo ese caso
  --rate B/S     lee como mucho tantos bytes por segundo (0: sin límite)
  --json         salida JSON`,
			en: `Re-hashes every evidence file the log cites, records each check and reports
files no record cites.

  --case CASE    only that case
  --rate B/S     reads at most that many bytes per second (0: no cap)
  --json         JSON output`,
		},
		"serve": {
			es: `Sirve la web y la API JSON del despliegue.

  --addr H:P             dirección (por omisión 127.0.0.1:8080)
  --demo                 carga el caso Metástasis y las cuentas de demostración
  --reset-demo           con --demo: contraseñas nuevas para las cuentas de demostración
  --zone ZONA            zona horaria IANA de las horas mostradas (por omisión
                         $CUSTODIA_ZONE o America/Guayaquil)
  --policy ARCHIVO       política de testigos (C2SP tlog-policy con URL)
  --check-interval 24h   vuelve a calcular el hash de cada archivo así de seguido (0: nunca)
  --check-rate B/S       bytes por segundo de esa comprobación
  --public-url https://  la dirección pública tras un proxy TLS (cookies Secure)
  --metrics-addr H:P     sirve también /metrics sin cuenta en esa dirección privada
  --verify-timeout, --verify-concurrency   límites de /verificar`,
			en: `Serves the deployment's web pages and JSON API.

  --addr H:P             address (default 127.0.0.1:8080)
  --demo                 loads the Metastasis case and the demo accounts
  --reset-demo           with --demo: new passwords for the demo accounts
  --zone ZONE            IANA time zone of the times shown (default
                         $CUSTODIA_ZONE or America/Guayaquil)
  --policy FILE          witness policy (C2SP tlog-policy with URLs)
  --check-interval 24h   re-hashes every evidence file this often (0: never)
  --check-rate B/S       bytes per second of that check
  --public-url https://  the public address behind a TLS proxy (Secure cookies)
  --metrics-addr H:P     also serves /metrics without an account on that private address
  --verify-timeout, --verify-concurrency   limits of /verificar`,
		},
		"user": {
			es: `Cuentas de usuario. Cada cambio queda en el log. Vea custodia user SUBORDEN --help.`,
			en: `User accounts. Every change is logged. See custodia user SUBCOMMAND --help.`,
		},
		"user add": {
			es: `Crea una cuenta e imprime su contraseña de un solo uso (y su secreto TOTP si
su rol lo requiere).

  --role ROL       rol de la cuenta
  --officer ID     agente vinculado
  --name NOMBRE    nombre visible
  --case CASO      la hace miembro del caso (repetible)`,
			en: `Creates an account and prints its one-time password (and its TOTP secret
when its role needs one).

  --role ROLE      the account's role
  --officer ID     linked officer
  --name NAME      display name
  --case CASE      makes it a member of the case (repeatable)`,
		},
		"user list": {
			es: `Lista las cuentas.

  --json   salida JSON`,
			en: `Lists the accounts.

  --json   JSON output`,
		},
		"user disable": {
			es: `Desactiva una cuenta: ya no puede iniciar sesión ni usar sus tokens.`,
			en: `Disables an account: it can no longer sign in nor use its tokens.`,
		},
		"user token": {
			es: `Crea un token de API para una cuenta e imprime su secreto, o revoca uno.

  --scope read|write   permiso (por omisión read)
  --case CASO          lo limita a ese caso (repetible)
  --ttl-hours N        vida en horas (por omisión 720)
  --revoke ID          revoca el token con ese identificador`,
			en: `Creates an API token for an account and prints its secret, or revokes one.

  --scope read|write   scope (default read)
  --case CASE          restricts it to that case (repeatable)
  --ttl-hours N        lifetime in hours (default 720)
  --revoke ID          revokes the token with that id`,
		},
		"user reset": {
			es: `Da a una cuenta una nueva contraseña de un solo uso (y secreto TOTP si su rol
lo requiere), cuando el usuario las perdió.`,
			en: `Gives an account a new one-time password (and TOTP secret when its role
needs one), when the user lost them.`,
		},
		"settings": {
			es: `Muestra los ajustes que aplica el registro (plazos y margen de reloj), en
minutos.

  --json   salida JSON`,
			en: `Shows the settings the record applies (deadlines and clock margin), in
minutes.

  --json   JSON output`,
		},
		"settings set": {
			es: `Cambia ajustes del registro: NOMBRE=MINUTOS (rights_notice_minutes,
hearing_minutes, clock_skew_minutes). El cambio queda en el log.`,
			en: `Changes the record's settings: NAME=MINUTES (rights_notice_minutes,
hearing_minutes, clock_skew_minutes). The change is logged.`,
		},
		"access": {
			es: `Quién vio qué de un caso: las lecturas registradas.

  --since TIEMPO   solo desde ese momento (RFC 3339)
  --json           salida JSON`,
			en: `Who viewed what of a case: the recorded reads.

  --since TIME     only from that time on (RFC 3339)
  --json           JSON output`,
		},
		"verify": {
			es: `Verifica sin conexión un paquete de custodia export bundle. Sin --key solo se
muestra su coherencia interna: la clave vendría del propio paquete.

  --key CLAVE         clave pública del log (o un archivo que la contiene)
  --checkpoint ARCH   un punto de control anterior de confianza
  --policy ARCH       política de testigos
  --require-signatures  falla ante cualquier acto sin la firma personal de
                      todos los que nombra (también los importados)
  --json              salida JSON

Cada acto se lee firmado por todos los que nombra, por parte de ellos, sin
firma, o «sin firma personal (importado)». Una entrega registrada en vivo
sin las firmas de quien entrega y de quien recibe, una firma que no
verifica o una clave revocada o aún no aprobada hacen fallar la
verificación.`,
			en: `Verifies offline a bundle from custodia export bundle. Without --key only its
internal consistency is shown: the key would come from the bundle itself.

  --key KEY           the log's public key (or a file holding it)
  --checkpoint FILE   an older trusted checkpoint
  --policy FILE       witness policy
  --require-signatures  fail on any act without the personal signature of
                      everyone it names (imported ones too)
  --json              JSON output

Each act reads as signed by everyone it names, partly, unsigned, or "no
personal signature (imported)". A handover recorded live without both the
giver's and the receiver's signatures, a signature that does not verify,
or a key revoked or not yet approved make verification fail.`,
		},
		"demo": {
			es: `Muestra la cadena completa con el caso Metástasis en un despliegue temporal:
importar, informe, paquete, verificación sin conexión, auditoría.

  --keep   conserva el despliegue e imprime su ruta`,
			en: `Shows the whole chain on the Metastasis case in a temporary deployment:
import, report, bundle, offline verification, audit.

  --keep   keeps the deployment and prints its path`,
		},
		"hash": {
			es: `Calcula MD5, SHA-1 y SHA-256 de cada archivo en una sola lectura ("-" es la
entrada estándar). Salida de texto: una línea por algoritmo y archivo, en el
formato BSD que escriben y comprueban md5sum/sha1sum/sha256sum --tag:
  SHA256 (archivo) = hex
Las opciones pueden ir antes o después de los archivos; "--" las termina.

  --algo LISTA   algoritmos, separados por comas (por omisión md5,sha1,sha256)
  --json         un arreglo JSON de {file,size,md5,sha1,sha256}`,
			en: `Computes MD5, SHA-1 and SHA-256 of each file in one read ("-" is standard
input). Text output: one line per algorithm and file, in the BSD format that
md5sum/sha1sum/sha256sum --tag write and check:
  SHA256 (file) = hex
Flags may come before or after the files; "--" ends them.

  --algo LIST    algorithms, comma-separated (default md5,sha1,sha256)
  --json         a JSON array of {file,size,md5,sha1,sha256}`,
		},
		"witness": {
			es: `Un testigo independiente (c2sp.org/tlog-witness) con su propio directorio.
Sin suborden, serve. Vea custodia witness SUBORDEN --help.`,
			en: `An independent witness (c2sp.org/tlog-witness) with its own directory.
Without a subcommand, serve. See custodia witness SUBCOMMAND --help.`,
		},
		"witness serve": {
			es: `Atiende c2sp.org/tlog-witness (POST /add-checkpoint) y GET
/{hash del origen}/checkpoint (SHA-256 del origen en hexadecimal, también
/checkpoint/{origen}), el último punto de control cofirmado de cada log.

  --data DIR   directorio propio del testigo: witness.key (0600), witness.db, logs
  --addr H:P   dirección (por omisión 127.0.0.1:7380)
  --name NOMBRE  nombre de la clave, solo al crearla
               (por omisión custodia-witness-XXXXXXXX)
  --log L      log aceptado (repetible): "ORIGEN=VKEY" o "VKEY" (el nombre de
               la clave del log es su origen). También se leen del fichero
               DIR/logs, uno por línea, con comentarios "#".`,
			en: `Serves c2sp.org/tlog-witness (POST /add-checkpoint) and GET
/{origin hash}/checkpoint (the origin's SHA-256 in hex; also
/checkpoint/{origin}), the latest cosigned checkpoint of each log.

  --data DIR   the witness's own directory: witness.key (0600), witness.db, logs
  --addr H:P   address (default 127.0.0.1:7380)
  --name NAME  the key's name, used only when it is created
               (default custodia-witness-XXXXXXXX)
  --log L      accepted log (repeatable): "ORIGIN=VKEY" or "VKEY" (the log
               key's name is its origin). Also read from DIR/logs, one per
               line, with "#" comments.`,
		},
		"witness key": {
			es: `Crea la clave del testigo si falta e imprime su clave pública de cosignatura.

  --data DIR     directorio propio del testigo
  --name NOMBRE  nombre de la clave, solo al crearla`,
			en: `Creates the witness's key if missing and prints its cosignature public key.

  --data DIR     the witness's own directory
  --name NAME    the key's name, used only when it is created`,
		},
		"monitor": {
			es: `Comprueba que todos los puntos de control sean compatibles entre sí. Dos del
mismo origen y tamaño con raíces distintas prueban una vista dividida: se
imprimen ambos, con sus firmas.

  ARCHIVO     nota de punto de control, JSON de paquete con campo "checkpoint",
              cuerpo add-checkpoint, o una URL http(s) (p. ej. el
              /checkpoint/... de un testigo)
  --key       clave pública del log (vkey)
  --log URL   el log en formato c2sp.org/tlog-tiles: añade su punto de control
              actual y comprueba pruebas de consistencia (requiere --key)
  --witness   clave de cosignatura de un testigo conocido
  --json      salida JSON

Salida: 0 coherente; 1 bifurcación; 2 error de uso o entrada inválida.`,
			en: `Checks that all checkpoints are consistent with each other. Two of the same
origin and size with different roots prove a split view: both are printed,
with their signatures.

  FILE        checkpoint note, bundle JSON with a "checkpoint" field,
              add-checkpoint body, or an http(s) URL (e.g. a witness's
              /checkpoint/...)
  --key       the log's public key (vkey)
  --log URL   the log's c2sp.org/tlog-tiles: adds its current checkpoint and
              checks consistency proofs (needs --key)
  --witness   a known witness's cosignature key
  --json      JSON output

Exit: 0 consistent; 1 fork; 2 usage error or invalid input.`,
		},
		"analyze": {
			es: `Análisis de la investigación: chats, contactos, llamadas y transferencias
extraídos de los teléfonos incautados, como una red en la que cada vínculo
cita la evidencia de la que viene. Vea custodia analyze SUBORDEN --help.`,
			en: `Investigation analysis: chats, contacts, calls and transfers extracted from
the seized phones, as a network where every link cites the evidence it came
from. See custodia analyze SUBCOMMAND --help.`,
		},
		"analyze import": {
			es: `Importa un archivo de una evidencia del caso (un adjunto, o la extracción
cuyo sha256 registró una derivación). Se niega si el SHA-256 del archivo no es
el de ningún archivo registrado para la evidencia. La importación queda en el
registro (analysis.import) y los datos en DATA/analysis.db. Las líneas que no
se pueden leer se informan con su número y motivo; no se omiten en silencio.

  --format F         whatsapp (.txt de Android o iOS), telegram (result.json de
                     Telegram Desktop), vcard (3.0/4.0), calls-csv, payments-csv
  --mapping ARCHIVO  columnas de un CSV (JSON: delimiter, time_layout, decimal,
                     columns {at, from, to, duration, amount, ...})
  --date-order dmy|mdy  fechas de WhatsApp (por omisión, según el archivo)
  --json             salida JSON, con todos los rechazos`,
			en: `Imports a file of an evidence item of the case (an attachment, or the
extraction whose sha256 a derivation recorded). Refuses a file whose SHA-256
is not that of any file recorded for the item. The import is recorded in the
log (analysis.import) and its data kept in DATA/analysis.db. Lines that cannot
be read are reported with their number and reason, never skipped silently.

  --format F         whatsapp (Android or iOS .txt), telegram (Telegram
                     Desktop's result.json), vcard (3.0/4.0), calls-csv,
                     payments-csv
  --mapping FILE     a CSV's columns (JSON: delimiter, time_layout, decimal,
                     columns {at, from, to, duration, amount, ...})
  --date-order dmy|mdy  WhatsApp dates (default: from the file)
  --json             JSON output, with every reject`,
		},
		"analyze path": {
			es: `Camino más corto entre dos entidades del caso. DESDE y HASTA: un teléfono
escrito de cualquier forma usual, un id de persona del caso, un id de entidad o
un nombre. Con --after o --max-gap, el camino respeta el tiempo: cada contacto
después del anterior.

  --after TIEMPO       el primer contacto en o después de (RFC 3339)
  --max-gap DURACIÓN   espera máxima entre dos contactos (p. ej. 2h)
  --json               {"path":[{entity,name,phones}],"links":[{kind,at,source}]}`,
			en: `Shortest path between two entities of the case. FROM and TO: a phone number
as written in any usual form, a person id of the case, an entity id or a name.
With --after or --max-gap the path respects time: each contact after the one
before.

  --after TIME         the first contact at or after it (RFC 3339)
  --max-gap DURATION   longest wait between two contacts (e.g. 2h)
  --json               {"path":[{entity,name,phones}],"links":[{kind,at,source}]}`,
		},
		"analyze brokers": {
			es: `Intermediarios: las entidades por las que pasan más caminos más cortos entre
otras (centralidad de intermediación). Exacta hasta 5.000 entidades; por encima,
una muestra con semilla, reproducible.

  --top N       cuántos (por omisión 10)
  --samples N   orígenes de la muestra (0: automático)
  --seed N      semilla de la muestra
  --json        {"brokers":[{entity,name,score}]}, de mayor a menor`,
			en: `Brokers: the entities that most shortest paths between others pass through
(betweenness centrality). Exact up to 5,000 entities; above, a seeded,
reproducible sample.

  --top N       how many (default 10)
  --samples N   sources sampled (0: automatic)
  --seed N      the sample's seed
  --json        {"brokers":[{entity,name,score}]}, highest first`,
		},
		"analyze search": {
			es: `Busca en los mensajes del caso todas las palabras de CONSULTA, sin distinguir
mayúsculas ni tildes ("policia" encuentra "Policía"). Cada resultado cita su
evidencia y línea.

  --limit N   resultados como máximo (por omisión 50)
  --json      {"hits":[{at,kind,from,chat,text,snippet,source}]}`,
			en: `Searches the case's messages for every word of QUERY, ignoring case and
accents ("policia" finds "Policía"). Each hit cites its evidence and line.

  --limit N   most hits (default 50)
  --json      {"hits":[{at,kind,from,chat,text,snippet,source}]}`,
		},
		"analyze export": {
			es: `Exporta la red del caso; cada vínculo lleva su evidencia (item, sha256,
línea).

  --format ftm       FollowTheMoney en líneas JSON (Aleph)
  --format gexf      GEXF 1.3 (Gephi)
  --format graphml   GraphML
  --format csv       ARCHIVO-nodes.csv y ARCHIVO-edges.csv
  -o ARCHIVO         destino`,
			en: `Exports the case's network; every link carries its evidence (item,
sha256, line).

  --format ftm       FollowTheMoney JSON lines (Aleph)
  --format gexf      GEXF 1.3 (Gephi)
  --format graphml   GraphML
  --format csv       FILE-nodes.csv and FILE-edges.csv
  -o FILE            destination`,
		},
		"analyze review": {
			es: `Cola de revisión: pares de entidades que quizá son la misma persona (el mismo
nombre con números distintos, apellidos o iniciales parecidos), con las claves
de identificador que una decisión nombra, y las decisiones en vigor.

  --limit N   cuántos pares (por omisión 50)
  --json      {"review":[{a,b,key_a,key_b,score,reason}],"decisions":[...]}`,
			en: `Review queue: pairs of entities that may be the same person (one name
with different numbers, similar surnames or initials), with the identifier keys
a decision names, and the decisions in force.

  --limit N   how many pairs (default 50)
  --json      {"review":[{a,b,key_a,key_b,score,reason}],"decisions":[...]}`,
		},
		"analyze merge": {
			es: `Registra en el log que A y B son la misma entidad, en nombre de quien lo
decidió (--by, una cuenta miembro del caso: fiscal, investigador o perito). A y
B: claves de identificador (phone:+593..., name:..., como las da review), un
teléfono escrito de cualquier forma o un id de entidad. Se deshace con revert.

  --by CUENTA   quien decidió
  --note TEXTO  por qué (una tarjeta de contacto, una declaración)`,
			en: `Records in the log that A and B are one entity, in the name of who decided
(--by, an account that is a member of the case: prosecutor, investigator or
forensic analyst). A and B: identifier keys (phone:+593..., name:..., as review
gives them), a phone number as written or an entity id. Undone by revert.

  --by ACCOUNT  who decided
  --note TEXT   why (a contact card, a statement)`,
		},
		"analyze split": {
			es: `Registra en el log que A y B son entidades distintas aunque una regla las una
(o la revisión las proponga), en nombre de quien lo decidió (--by). Se deshace
con revert.

  --by CUENTA   quien decidió
  --note TEXTO  por qué`,
			en: `Records in the log that A and B are different entities even where a rule
would join them (or the review proposes them), in the name of who decided
(--by). Undone by revert.

  --by ACCOUNT  who decided
  --note TEXT   why`,
		},
		"analyze revert": {
			es: `Registra que la decisión DECISIÓN (su número de evento, que review muestra) ya
no rige; el análisis vuelve a resolver las entidades sin ella.

  --by CUENTA   quien decidió
  --note TEXTO  por qué`,
			en: `Records that decision DECISION (its event number, which review shows) no
longer holds; the analysis resolves the entities without it again.

  --by ACCOUNT  who decided
  --note TEXT   why`,
		},
		"version": {
			es: `Imprime la versión de custodia y la revisión de la que se compiló.`,
			en: `Prints custodia's version and the revision it was built from.`,
		},
	}
}

// synopses splits a command's usage into its alternatives (" | " outside
// brackets).
func synopses(usage string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(usage); i++ {
		switch usage[i] {
		case '[', '(':
			depth++
		case ']', ')':
			depth--
		case '|':
			if depth == 0 && i > 0 && usage[i-1] == ' ' && i+1 < len(usage) && usage[i+1] == ' ' {
				out = append(out, strings.TrimSpace(usage[start:i]))
				start = i + 1
			}
		}
	}
	return append(out, strings.TrimSpace(usage[start:]))
}

var subcommandWord = regexp.MustCompile(`^[a-z][a-z-]*$`)

// subcommands are the subcommands named in c's usage, in order.
func subcommands(c command) []string {
	var subs []string
	seen := map[string]bool{}
	for _, s := range synopses(c.usage) {
		f := strings.Fields(s)
		if len(f) > 1 && subcommandWord.MatchString(f[1]) && !seen[f[1]] {
			seen[f[1]] = true
			subs = append(subs, f[1])
		}
	}
	return subs
}

// subcommandIn is the first of c's subcommands among args ("" for none).
func subcommandIn(c command, args []string) string {
	subs := subcommands(c)
	for _, a := range args {
		if a == "--" {
			break
		}
		for _, s := range subs {
			if a == s {
				return s
			}
		}
	}
	return ""
}

// printHelp writes the help of c, or of its subcommand sub, in the user's
// language.
func (e *env) printHelp(w io.Writer, c command, sub string) error {
	topic := c.name
	if sub != "" {
		topic += " " + sub
	}
	text, ok := helpTexts()[topic]
	if !ok {
		return fmt.Errorf("sin ayuda para / no help for %q", topic)
	}
	var b strings.Builder
	label := e.tr("uso:", "usage:")
	for _, s := range synopses(c.usage) {
		if sub != "" && !strings.HasPrefix(s+" ", topic+" ") {
			continue
		}
		fmt.Fprintf(&b, "%s custodia %s\n", label, s)
		label = strings.Repeat(" ", len(label))
	}
	fmt.Fprintf(&b, "\n%s\n\n", e.tr(text.es, text.en))
	b.WriteString(e.tr(
		"Opciones comunes, antes o después de la orden: --data DIR (por omisión\n./custodia-data), --json, --lang es|en (idioma de los mensajes; el del\ndocumento en report), --zone ZONA (la zona IANA de las horas que se\nmuestran; por omisión $CUSTODIA_ZONE o America/Guayaquil).\n",
		"Common flags, before or after the command: --data DIR (default\n./custodia-data), --json, --lang es|en (the messages' language; the\ndocument's in report), --zone ZONE (the IANA zone times are shown in;\ndefault $CUSTODIA_ZONE or America/Guayaquil).\n"))
	_, err := io.WriteString(w, b.String())
	return err
}

// helpCommand is `custodia help [COMMAND [SUBCOMMAND]]`.
func (e *env) helpCommand(args []string) int {
	var pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if v, ok := strings.CutPrefix(strings.TrimPrefix(a, "-"), "-lang="); ok && (v == "es" || v == "en") {
			e.lang = v
		} else if (a == "--lang" || a == "-lang") && i+1 < len(args) {
			i++
			if args[i] == "es" || args[i] == "en" {
				e.lang = args[i]
			}
		} else if !strings.HasPrefix(a, "-") {
			pos = append(pos, a)
		}
	}
	if len(pos) == 0 {
		printUsage(e.stdout)
		return 0
	}
	for _, c := range commands() {
		if c.name == pos[0] {
			if err := e.printHelp(e.stdout, c, subcommandIn(c, pos[1:])); err != nil {
				fmt.Fprintf(e.stderr, "custodia help: %v\n", err)
				return 1
			}
			return 0
		}
	}
	fmt.Fprintf(e.stderr, "custodia: orden desconocida %q / unknown command %q (custodia --help)\n", pos[0], pos[0])
	return 2
}

// cmdVersion is `custodia version`, also `custodia --version`.
func cmdVersion(e *env, args []string) error {
	fs := newFlagSet("version")
	pos, err := e.flags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("argumento inesperado %q / unexpected argument %q", pos[0], pos[0])
	}
	fmt.Fprintln(e.stdout, versionLine())
	return nil
}

// versionLine says which custodia this is: the module version and the VCS
// revision it was built from, as the Go toolchain recorded them.
func versionLine() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = nil
	}
	return versionOf(bi)
}

// versionOf formats build information; nil (a binary without it) and an
// unknown version are "(devel)".
func versionOf(bi *debug.BuildInfo) string {
	version, goVersion := "(devel)", ""
	var rev, at string
	modified := false
	if bi != nil {
		if bi.Main.Version != "" {
			version = bi.Main.Version
		}
		goVersion = bi.GoVersion
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				at = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	parts := []string{"custodia", version}
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if modified {
			rev += "+dirty"
		}
		parts = append(parts, rev)
	}
	if at != "" {
		parts = append(parts, at)
	}
	if goVersion != "" {
		parts = append(parts, goVersion)
	}
	return strings.Join(parts, " ")
}
