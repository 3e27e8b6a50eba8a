#!/usr/bin/env node
// Lint the Cypher catalogue with Neo4j's own Cypher front end
// (@neo4j-cypher/language-support: the parser and semantic analysis used by
// Neo4j's editors), plus the catalogue's header conventions.
//
// Usage (from the repo root):
//   (cd .ci && npm ci --no-audit --no-fund) && node .ci/lint_cypher.mjs cypher
//   node .ci/lint_cypher.mjs [--no-catalog] [DIR]      (DIR defaults to cypher/)
//
// What is checked, per file under DIR (recursively, *.cypher):
//   * header: leading `//` lines; `// name:` and `// version:` must be present
//     and match the file name:
//       catalogue   NAME.vN[.neo4j|.falkordb].cypher   name = NAME, version = N
//       migrations  schema/NNN_desc[.neo4j|.falkordb].cypher
//                   name = NNN_desc (stem without dialect), version = int(NNN)
//     `// param $x: ...` lines declare the query parameters. The header is the
//     run of `//` lines at the top of the file; it ends at the first other line.
//   * Neo4j dialect (all files except *.falkordb.cypher, which get the header
//     and a lexical $param check only): the file is split into statements on
//     `;` at end of line, optionally followed by a `//` comment (the runtime's
//     rule; the terminator is dropped as the runtime does), and every statement
//     is linted with lintCypherQuery() as Cypher 5 (Neo4j 5.26 LTS), with
//     console commands (`:param`) disabled. Declared parameters are
//     passed in dbSchema.parameters, so an undeclared `$x` is an error.
//     Procedure and function names/signatures are checked against the
//     Neo4j 5 + APOC + GDS catalogue bundled with the package
//     (testData.mockSchema); `--no-catalog` turns that off.
//   * a catalogue query (not a migration) must be exactly one statement;
//     a `CYPHER 25` prefix is rejected (Neo4j 5.26 only runs Cypher 5);
//     `mode:` is read or write; no two files define the same query version
//     (or migration number) for the same dialect.
//   File-name, header and statement-splitting rules mirror patentcl/catalogue.py.
//
// Any error-severity diagnostic fails (exit 1); warnings are printed only.
// Output: `file:line:col: error|warning: message`, lines/cols 1-based and
// relative to the file, then `cypher lint: N files, E errors, W warnings`.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';
import * as ls from '@neo4j-cypher/language-support';

const SEVERITY_ERROR = 1; // vscode-languageserver DiagnosticSeverity.Error
const CYPHER_VERSION = 'CYPHER 5'; // Neo4j 5.26 LTS understands Cypher 5 only

// The same rules as patentcl/catalogue.py (keep them in step).
const CATALOGUE_RE = /^(?<name>[a-z][a-z0-9_]*)\.v(?<version>\d+)(?:\.(?<dialect>neo4j|falkordb))?\.cypher$/;
const MIGRATION_RE = /^(?<stem>(?<version>\d{3})_[a-z][a-z0-9_]*)(?:\.(?<dialect>neo4j|falkordb))?\.cypher$/;
const HEADER_KEY_RE = /^\/\/\s*(?<key>name|version|mode|returns)\s*:\s*(?<value>.*?)\s*$/;
const PARAM_LINE_RE = /^\/\/\s*param\b/;
const PARAM_DECL_RE = /^\/\/\s*param\s+\$(?<name>[A-Za-z_][A-Za-z0-9_]*)\s*:/;
// A statement ends with `;` at the end of a line, optionally followed by a `//` comment.
const STATEMENT_END_RE = /;[ \t]*(?:\/\/.*)?$/;
// Strings, quoted names and comments, blanked before looking for $parameters (FalkorDB files).
const STRINGS_AND_COMMENTS_RE = /'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|`[^`]*`|\/\/[^\n]*|\/\*[\s\S]*?\*\//g;
const PARAMETER_RE = /\$([A-Za-z_][A-Za-z0-9_]*)/g;
const MODES = new Set(['read', 'write']);

// ---------------------------------------------------------------- arguments
const args = process.argv.slice(2);
let useCatalog = true;
const positional = [];
for (const a of args) {
  if (a === '--no-catalog') useCatalog = false;
  else if (a === '-h' || a === '--help') {
    console.log('usage: node lint_cypher.mjs [--no-catalog] [DIR]   (DIR defaults to cypher/)');
    process.exit(0);
  } else if (a.startsWith('-')) {
    console.error(`lint_cypher: unknown option ${a}`);
    process.exit(2);
  } else positional.push(a);
}
if (positional.length > 1) {
  console.error('lint_cypher: expected at most one directory argument');
  process.exit(2);
}
const root = positional[0] ?? 'cypher/';
let rootStat;
try {
  rootStat = statSync(root);
} catch {
  console.error(`lint_cypher: no such directory: ${root}`);
  process.exit(2);
}
if (!rootStat.isDirectory()) {
  console.error(`lint_cypher: not a directory: ${root}`);
  process.exit(2);
}

// ---------------------------------------------------------------- helpers
function findCypherFiles(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
      out.push(...findCypherFiles(p));
    } else if (entry.isFile() && entry.name.endsWith('.cypher')) {
      out.push(p);
    }
  }
  return out;
}

const diagnostics = []; // {file, line, col, severity, message}; line/col 1-based
function report(file, line, col, severity, message) {
  diagnostics.push({ file, line, col, severity, message });
}

/** Leading `//` comment lines (the header ends at the first other line, blank included). */
function parseHeader(lines, file) {
  const keys = new Map(); // key -> {value, line}
  const params = new Map(); // name -> line
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].trim();
    if (!raw.startsWith('//')) break;
    if (PARAM_LINE_RE.test(raw)) {
      const m = PARAM_DECL_RE.exec(raw);
      if (!m) {
        report(file, i + 1, 1, SEVERITY_ERROR, 'malformed param header: expected `// param $name: description`');
      } else if (params.has(m.groups.name)) {
        report(file, i + 1, 1, 2, `parameter $${m.groups.name} declared twice in the header`);
      } else {
        params.set(m.groups.name, i + 1);
      }
      continue;
    }
    const m = HEADER_KEY_RE.exec(raw);
    if (m) keys.set(m.groups.key, { value: m.groups.value, line: i + 1 }); // last one wins, as in catalogue.py
  }
  return { keys, params };
}

/** Migrations live directly in <root>/schema/. */
function isMigration(path) {
  return relative(root, dirname(path)).split(sep).join('/') === 'schema';
}

/** Expected name/version (and kind) from the file path, or null if unrecognised. */
function expectedIdentity(path) {
  const base = basename(path);
  const inSchemaDir = isMigration(path);
  if (inSchemaDir) {
    const m = MIGRATION_RE.exec(base);
    if (!m) return null;
    return { kind: 'migration', name: m.groups.stem, version: parseInt(m.groups.version, 10), dialect: m.groups.dialect ?? 'portable' };
  }
  const m = CATALOGUE_RE.exec(base);
  if (!m) return null;
  return { kind: 'query', name: m.groups.name, version: parseInt(m.groups.version, 10), dialect: m.groups.dialect ?? 'portable' };
}

function checkHeader(file, path, header) {
  const want = expectedIdentity(path);
  if (!want) {
    const hint = isMigration(path)
      ? 'NNN_description[.neo4j|.falkordb].cypher (NNN three digits; lower-case a-z, 0-9, _)'
      : 'name.vN[.neo4j|.falkordb].cypher (lower-case a-z, 0-9, _)';
    report(file, 1, 1, SEVERITY_ERROR, `file name does not follow the convention ${hint}`);
    return null;
  }
  const name = header.keys.get('name');
  const version = header.keys.get('version');
  if (!name) {
    report(file, 1, 1, SEVERITY_ERROR, `header has no \`// name:\` line (expected \`// name: ${want.name}\`)`);
  } else if (name.value !== want.name) {
    report(file, name.line, 1, SEVERITY_ERROR, `header name '${name.value}' does not match the file name (expected '${want.name}')`);
  }
  if (!version) {
    report(file, 1, 1, SEVERITY_ERROR, `header has no \`// version:\` line (expected \`// version: ${want.version}\`)`);
  } else if (!/^\d+$/.test(version.value) || parseInt(version.value, 10) !== want.version) {
    report(file, version.line, 1, SEVERITY_ERROR, `header version '${version.value}' does not match the file name (expected ${want.version})`);
  }
  const mode = header.keys.get('mode');
  if (mode && !MODES.has(mode.value)) {
    report(file, mode.line, 1, SEVERITY_ERROR, `header mode must be read or write, not '${mode.value}'`);
  }
  return want;
}

/** Drop comments to decide whether a chunk holds any statement at all. */
function isBlank(text) {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/[^\n]*/g, '').trim() === '';
}

/**
 * Split on `;` at end of line (optionally followed by a `//` comment): the rule
 * of Query.statements() in patentcl/catalogue.py. Like the runtime, the
 * terminator (`;` and that comment) is dropped; it is blanked with spaces so
 * columns stay right. Returns chunks with the 0-based line where each starts.
 */
function splitStatements(text) {
  const lines = text.split('\n');
  const chunks = [];
  let start = 0;
  let buf = [];
  lines.forEach((rawLine, i) => {
    const line = rawLine.replace(/\r$/, '');
    const end = STATEMENT_END_RE.exec(line);
    buf.push(end ? line.slice(0, end.index) + ' '.repeat(line.length - end.index) : line);
    if (end) {
      chunks.push({ startLine: start, text: buf.join('\n') });
      buf = [];
      start = i + 1;
    }
  });
  if (buf.length) chunks.push({ startLine: start, text: buf.join('\n') });
  return chunks.filter((c) => !isBlank(c.text));
}

function firstTokenLine(chunk) {
  const lines = chunk.text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const t = lines[i].trim();
    if (t && !t.startsWith('//')) return { line: chunk.startLine + i + 1, col: lines[i].indexOf(t) + 1, text: t };
  }
  return { line: chunk.startLine + 1, col: 1, text: '' };
}

// ---------------------------------------------------------------- lint
const catalog = ls.testData?.mockSchema;
if (useCatalog && !(catalog?.procedures && catalog?.functions)) {
  console.error('lint_cypher: the package no longer ships testData.mockSchema; run with --no-catalog');
  process.exit(2);
}

const files = findCypherFiles(root);
const identities = new Map(); // "query name vN (dialect)" / "migration N (dialect)" -> first file
let lintedNeo4j = 0;
let headerOnly = 0;

for (const path of files) {
  const rel = relative(process.cwd(), path);
  const file = (rel && !rel.startsWith('..') ? rel : path).split(sep).join('/');
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  const header = parseHeader(lines, file);
  const ident = checkHeader(file, path, header);

  if (ident) {
    const key = `${ident.kind} ${ident.kind === 'migration' ? ident.version : `${ident.name} v${ident.version}`} (${ident.dialect})`;
    if (identities.has(key)) {
      report(file, 1, 1, SEVERITY_ERROR, `${identities.get(key)} already defines ${key}`);
    } else {
      identities.set(key, file);
    }
  }

  if (path.endsWith('.falkordb.cypher')) {
    // FalkorDB dialect: Neo4j's front end does not apply. Check the header's
    // params lexically, the way patentcl/catalogue.py does.
    headerOnly++;
    const code = text.replace(STRINGS_AND_COMMENTS_RE, (m) => m.replace(/[^\n]/g, ' '));
    const used = new Set();
    for (const m of code.matchAll(PARAMETER_RE)) {
      used.add(m[1]);
      if (!header.params.has(m[1])) {
        const before = code.slice(0, m.index);
        const line = before.split('\n').length;
        const col = m.index - before.lastIndexOf('\n');
        report(file, line, col, SEVERITY_ERROR, `Parameter $${m[1]} is not declared in the header (// param $${m[1]}: ...)`);
      }
    }
    for (const [p, line] of header.params) {
      if (!used.has(p)) report(file, line, 1, 2, `parameter $${p} is declared in the header but not used`);
    }
    continue;
  }
  lintedNeo4j++;

  const dbSchema = {
    defaultLanguage: CYPHER_VERSION,
    // errorOnUndeclaredParameters() only checks `parameters[name] !== undefined`,
    // so any non-undefined placeholder declares the parameter.
    parameters: Object.fromEntries([...header.params.keys()].map((p) => [p, null])),
  };
  if (useCatalog) {
    dbSchema.procedures = catalog.procedures;
    dbSchema.functions = catalog.functions;
  }

  const chunks = splitStatements(text);
  if (chunks.length === 0) {
    report(file, 1, 1, SEVERITY_ERROR, 'file contains no Cypher statement');
    continue;
  }
  if (ident?.kind === 'query' && chunks.length > 1) {
    const second = firstTokenLine(chunks[1]);
    report(file, second.line, second.col, SEVERITY_ERROR,
      `catalogue query must be a single statement (found ${chunks.length} statements separated by ';'); only schema migrations may hold several`);
  }

  const used = new Set();
  for (const chunk of chunks) {
    const first = firstTokenLine(chunk);
    if (/^CYPHER\s+25\b/i.test(first.text)) {
      report(file, first.line, first.col, SEVERITY_ERROR, 'CYPHER 25 is not available on Neo4j 5.26 LTS (Cypher 5 only)');
    }
    // Pad with newlines so positions come back relative to the file.
    const query = '\n'.repeat(chunk.startLine) + chunk.text;
    if (ls.parseStatementsStrs(chunk.text).filter((s) => !isBlank(s)).length > 1) {
      report(file, first.line, first.col, SEVERITY_ERROR,
        "several statements in one chunk: end each statement with ';' at the end of a line");
    }
    for (const p of ls.parseParameters(query, false)) used.add(p);
    const { diagnostics: diags } = ls.lintCypherQuery(query, dbSchema, { consoleCommandsEnabled: false });
    for (const d of diags) {
      // `Parameter $x is not defined.` stays an error: $x is not in the header.
      let message = d.message;
      if (!ls.isNotParamError(d)) {
        message += ` Declare it in the header: // param $${d.message.slice('Parameter $'.length, -' is not defined.'.length)}: ...`;
      } else if (/^(Procedure|Function) \S+ is not present in the database/.test(message)) {
        message = message.replace(/ Make sure you didn't misspell it.*$/, '') +
          ' (checked against the Neo4j 5 + APOC + GDS catalogue bundled with @neo4j-cypher/language-support; --no-catalog skips this)';
      }
      report(file, d.range.start.line + 1, d.range.start.character + 1, d.severity ?? SEVERITY_ERROR, message);
    }
  }
  for (const [p, line] of header.params) {
    if (!used.has(p)) report(file, line, 1, 2, `parameter $${p} is declared in the header but not used`);
  }
}

// ---------------------------------------------------------------- report
diagnostics.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col);
let errors = 0;
let warnings = 0;
for (const d of diagnostics) {
  const isError = d.severity === SEVERITY_ERROR;
  if (isError) errors++;
  else warnings++;
  const msg = d.message.trim().replace(/\n/g, '\n    ');
  const line = `${d.file}:${d.line}:${d.col}: ${isError ? 'error' : 'warning'}: ${msg}`;
  console.log(line); // one stream, so diagnostics stay in order with the summary
}
const plural = (n, w) => `${n} ${w}${n === 1 ? '' : 's'}`;
console.log(
  `cypher lint: ${plural(files.length, 'file')} (${lintedNeo4j} Neo4j-linted, ${headerOnly} FalkorDB header-only), ` +
    `${plural(errors, 'error')}, ${plural(warnings, 'warning')}`,
);
process.exit(errors > 0 ? 1 : 0);
