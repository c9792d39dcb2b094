import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { DatagenError } from '../core/errors.js';
import { registeredDataset, singleTable, type Declared } from './read-schema.js';
import { sqlIdent, sqlString, unreadable } from './sql.js';
import type { CheckInput, CheckTable } from './types.js';

/**
 * A DuckDB database file the duckdb sink wrote: attached read-only, each table read where it
 * is (its types are the declared ones). A whole dataset's file holds its run too: `_manifest`
 * (the manifest JSON: the dataset, rows per table) and `_ledger` (the ledger's lines), which is
 * written to a temporary file for the check to score against.
 */
const DB = 'checked_db';

export async function openDuckdbFile(conn: DuckDBConnection, path: string, declared: Declared | undefined, option: string | undefined, ledger: string | undefined): Promise<Omit<CheckInput, 'path'>> {
  try {
    await conn.run(`ATTACH ${sqlString(path)} AS ${DB} (READ_ONLY)`);
  } catch (err) {
    throw unreadable(path, err);
  }
  const names = (await conn.runAndReadAll(`SELECT table_name FROM duckdb_tables() WHERE database_name = '${DB}' ORDER BY table_name`)).getRowObjects().map((r) => String(r.table_name));
  const relation = (table: string) => `${DB}.main.${sqlIdent(table)}`;
  const columns = async (table: string) => (await conn.runAndReadAll(`SELECT column_name FROM duckdb_columns() WHERE database_name = '${DB}' AND table_name = ${sqlString(table)} ORDER BY column_index`)).getRowObjects().map((r) => String(r.column_name));
  const checked = async (t: CheckTable): Promise<CheckTable> => {
    const have = await columns(t.name);
    const want = t.schema!.fields.map((f) => f.name);
    const missing = want.filter((c) => !have.includes(c));
    const extra = have.filter((c) => !want.includes(c));
    if (missing.length > 0 || extra.length > 0) {
      throw new DatagenError('E_SCHEMA', `check: table ${t.name} of ${path} does not match its schema (${t.schemaSource}): ${[missing.length ? `missing ${missing.join(', ')}` : '', extra.length ? `extra ${extra.join(', ')}` : ''].filter(Boolean).join('; ')}`);
    }
    return t;
  };

  if (!names.includes('_manifest')) {
    if (!declared) throw new DatagenError('E_SCHEMA', `check: cannot tell which schema the tables of ${path} follow: pass --schema <scenario|dataset.table|file.yml>`);
    const d = singleTable(declared, path, option!);
    const user = names.filter((n) => !n.startsWith('_'));
    const name = user.includes(d.name) ? d.name : user.length === 1 ? user[0]! : undefined;
    if (!name) throw new DatagenError('E_INPUT', `check: ${path} has no table ${d.name} (tables: ${user.join(', ') || 'none'})`);
    const table = await checked({ name, format: 'duckdb', files: [basename(path)], relation: relation(name), schema: d.schema, schemaSource: d.source, ...(d.references ? { references: d.references } : {}) });
    return { tables: [table], ...(ledger ? { ledger } : {}), cleanup() {} };
  }

  const [row] = (await conn.runAndReadAll(`SELECT manifest FROM ${relation('_manifest')} LIMIT 1`)).getRowObjects();
  const manifest = JSON.parse(String(row?.manifest ?? '{}')) as { dataset?: string; seed?: number; scale?: number; tables?: Record<string, { rows?: number }> };
  const decl = declared ?? (manifest.dataset ? registeredDataset(manifest.dataset) : undefined);
  if (!decl || decl.kind !== 'dataset') throw new DatagenError('E_SCHEMA', `check: ${path} holds dataset '${manifest.dataset}', which is not registered: pass --schema <the .yml or .ts file it was generated from>`);
  const tables: CheckTable[] = [];
  const manifestRows: Record<string, number> = {};
  for (const name of Object.keys(manifest.tables ?? {})) {
    const d = decl.tables.find((t) => t.name === name);
    if (!d) throw new DatagenError('E_SCHEMA', `check: table ${name} of ${path} is not in ${decl.source}`);
    if (!names.includes(name)) throw new DatagenError('E_INPUT', `check: ${path} lists table ${name} in _manifest, and does not hold it`);
    tables.push(await checked({ name, format: 'duckdb', files: [basename(path)], relation: relation(name), schema: d.schema, schemaSource: d.source, ...(d.references ? { references: d.references } : {}) }));
    const rows = manifest.tables![name]!.rows;
    if (typeof rows === 'number') manifestRows[name] = rows;
  }
  // The ledger's lines, in order, as the JSON lines file the check reads.
  let scratch: string | undefined;
  let ledgerFile = ledger;
  if (!ledgerFile && names.includes('_ledger')) {
    scratch = mkdtempSync(join(tmpdir(), 'datagen-check-ledger-'));
    ledgerFile = join(scratch, '_ledger.jsonl');
    const lines = (await conn.runAndReadAll(`SELECT entry FROM ${relation('_ledger')} ORDER BY line`)).getRowObjects().map((r) => String(r.entry));
    writeFileSync(ledgerFile, lines.length > 0 ? lines.join('\n') + '\n' : '');
  }
  return {
    tables,
    ...(ledgerFile ? { ledger: ledgerFile } : {}),
    ...(scratch ? { ledgerShown: `${path}#_ledger` } : {}),
    ...(manifest.dataset ? { dataset: manifest.dataset } : {}),
    ...(typeof manifest.seed === 'number' ? { seed: manifest.seed } : {}),
    ...(typeof manifest.scale === 'number' ? { scale: manifest.scale } : {}),
    manifestRows,
    cleanup() {
      if (scratch) rmSync(scratch, { recursive: true, force: true });
    },
  };
}
