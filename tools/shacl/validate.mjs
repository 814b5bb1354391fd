// validate.mjs checks a CASE/UCO JSON-LD export against the SHACL shapes of
// CASE 1.4.0 and UCO 1.4.0, with the shacl-engine SHACL engine.
//
// Usage: node tools/shacl/validate.mjs EXPORT.jsonld [ONTOLOGY_DIR]
//
// ONTOLOGY_DIR defaults to $CUSTODIA_ONTOLOGY, then the repository's copy
// in testdata/ontology/case-uco-1.4.0 (the release files, unchanged). Exit status: 0 conforms, 1 does not conform (the
// violations are printed), 2 the validator itself could not run.
//
// How (as the ontology README explains):
//   - every .ttl file of the ontology is parsed with n3; its triples are the
//     shapes graph AND are added to the data graph, so that sh:class sees the
//     rdfs:subClassOf hierarchy (a case-investigation:InvestigativeAction is
//     a uco-action:Action, a uco-identity:Person a uco-core:UcoObject...);
//   - owl:imports triples are dropped: every file is loaded already;
//   - SHACL-SPARQL constraints (sh:sparql) are SKIPPED: the JavaScript SPARQL
//     parsers stop on one of UCO's queries. Only the SHACL Core constraints
//     are checked. The skipped shapes are counted and named in the output.
//     What they check (no blank-node UcoThings, UUID-suffixed IRIs) Custodia's
//     exporter guarantees by construction and its Go tests check directly.
//   - the export's @context must be inline: no remote document is fetched.
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join, resolve, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import rdf from '@rdfjs/data-model'
import rdfDataset from '@rdfjs/dataset'
import jsonld from 'jsonld'
import { Parser } from 'n3'
import { Validator } from 'shacl-engine'

const OWL_IMPORTS = 'http://www.w3.org/2002/07/owl#imports'
const SH = 'http://www.w3.org/ns/shacl#'

function ttlFiles (dir) {
  const out = []
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) out.push(...ttlFiles(p))
    else if (name.endsWith('.ttl')) out.push(p)
  }
  return out
}

async function main () {
  const [exportPath, ontArg] = process.argv.slice(2)
  if (!exportPath) {
    console.error('uso / usage: node validate.mjs EXPORT.jsonld [ONTOLOGY_DIR]')
    process.exit(2)
  }
  const here = dirname(fileURLToPath(import.meta.url))
  const ontDir = resolve(ontArg || process.env.CUSTODIA_ONTOLOGY ||
    join(here, '..', '..', 'testdata', 'ontology', 'case-uco-1.4.0'))
  const files = ttlFiles(ontDir).filter(f => f.includes(`${'/ontology/'}`))
  if (files.length === 0) throw new Error(`no .ttl files under ${ontDir}`)

  const shapes = rdfDataset.dataset()
  const ontology = []
  for (const f of files) {
    const quads = new Parser({ factory: rdf }).parse(readFileSync(f, 'utf8'))
    for (const q of quads) {
      if (q.predicate.value === OWL_IMPORTS) continue
      ontology.push(q)
    }
  }
  // Find the sh:sparql constraints, and the blank nodes that hold their
  // queries, and leave them out of the shapes graph.
  const sparqlOwners = new Set()
  const skip = new Set()
  for (const q of ontology) {
    if (q.predicate.value === SH + 'sparql') {
      sparqlOwners.add(q.subject.value)
      skip.add(q.object.value)
    }
  }
  for (const q of ontology) {
    if (q.predicate.value === SH + 'sparql') continue
    if (q.subject.termType === 'BlankNode' && skip.has(q.subject.value)) continue
    shapes.add(q)
  }

  const doc = JSON.parse(readFileSync(exportPath, 'utf8'))
  const nquads = await jsonld.toRDF(doc, {
    format: 'application/n-quads',
    safe: true,
    documentLoader: async (url) => { throw new Error(`remote context refused: ${url}`) }
  })
  const dataQuads = new Parser({ format: 'N-Quads', factory: rdf }).parse(nquads)
  const data = rdfDataset.dataset()
  for (const q of dataQuads) data.add(rdf.quad(q.subject, q.predicate, q.object))
  for (const q of ontology) data.add(q)

  const validator = new Validator(shapes, { factory: rdf })
  const report = await validator.validate({ dataset: data })

  console.log(`ontology: ${files.length} files from ${ontDir}`)
  console.log(`data: ${dataQuads.length} triples from ${exportPath}`)
  console.log(`skipped: ${sparqlOwners.size} SHACL-SPARQL constraints (sh:sparql) not checked: ${[...sparqlOwners].sort().join(' ')}`)
  let violations = 0
  for (const r of report.results) {
    const sev = r.severity ? r.severity.value.replace(SH, '') : 'Violation'
    if (sev === 'Violation') violations++
    const msg = (r.message || []).map(m => m.value).join('; ')
    console.log(`${sev}: focus=${r.focusNode?.term?.value ?? r.focusNode?.value} path=${r.path?.map?.(p => p.predicates?.map(x => x.value).join('|')).join('/') ?? ''} value=${r.value?.term?.value ?? r.value?.value ?? ''} constraint=${r.constraintComponent?.value?.replace(SH, '')} ${msg}`)
  }
  console.log(`conforms: ${report.conforms && violations === 0}`)
  process.exit(report.conforms && violations === 0 ? 0 : 1)
}

main().catch(err => {
  console.error(`validator error: ${err.stack || err}`)
  process.exit(2)
})
