import { existsSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { tableFromIPC, type Schema } from 'apache-arrow';
import { checkReadable, engineSchema } from '../codecs/arrow-batch.js';
import type { DatasetDefinition, TableDefinition } from '../core/dataset.js';
import { DatagenError, isDatagenError } from '../core/errors.js';
import { isScenarioFile } from '../core/paths.js';
import { closest } from '../core/suggest.js';
import type { ScenarioDefinition } from '../core/units.js';
import { findDataset, listDatasets, listScenarios } from '../registry.js';
import { loadYamlUnit } from '../yaml/yaml-dataset.js';
import { sqlString } from './sql.js';

/**
 * Where `check` gets the schema a table is declared with: `--schema` (a registered scenario, a
 * registered dataset or one of its tables, a YAML or TypeScript file, `file.yml#table`), a
 * dataset's declaration, or the file's own metadata (Parquet's ARROW:schema, an Arrow file's
 * schema).
 */
export interface DeclaredTable {
  name: string;
  schema: Schema;
  references?: Record<string, string>;
  /** The table's files hold one value of this column per line (retail events: the line is the JSON event). */
  lineColumn?: string;
  /** In words, for CheckTable.schemaSource. */
  source: string;
}

export type Declared = { kind: 'table'; table: DeclaredTable } | { kind: 'dataset'; name: string; tables: DeclaredTable[]; source: string };

const CODE_FILE = /\.(m?ts|m?js)$/i;

/** `--schema VALUE` -> one table or a whole dataset; E_SCHEMA when it names nothing known. */
export async function resolveSchemaOption(value: string): Promise<Declared> {
  const hash = value.lastIndexOf('#');
  const [file, part] = hash > 0 && isFileArg(value.slice(0, hash)) ? [value.slice(0, hash), value.slice(hash + 1)] : [value, undefined];
  if (isFileArg(file)) {
    if (!existsSync(file) || !statSync(file).isFile()) throw new DatagenError('E_SCHEMA', `check: --schema ${file}: no such file`);
    const unit = await loadFile(file);
    const source = basename(file);
    if (unit.unit === 'scenario') {
      if (part !== undefined) throw new DatagenError('E_SCHEMA', `check: --schema ${value}: ${source} declares one table (a scenario); drop #${part}`);
      return { kind: 'table', table: scenarioTable(unit, source) };
    }
    const dataset = datasetTables(unit, source);
    return part === undefined ? { kind: 'dataset', name: unit.name, tables: dataset, source } : { kind: 'table', table: pickTable(dataset, part, value) };
  }
  const scenario = listScenarios().find((s) => s.name === value || (s.aliases ?? []).includes(value));
  if (scenario) return { kind: 'table', table: scenarioTable(scenario, `scenario ${scenario.name}`) };
  const dot = value.indexOf('.');
  const datasetName = dot > 0 ? value.slice(0, dot) : value;
  const dataset = listDatasets().find((d) => d.name === datasetName);
  if (dataset) {
    const tables = datasetTables(dataset, `dataset ${dataset.name}`);
    return dot > 0 ? { kind: 'table', table: pickTable(tables, value.slice(dot + 1), value) } : { kind: 'dataset', name: dataset.name, tables, source: `dataset ${dataset.name}` };
  }
  const names = [
    ...listScenarios().flatMap((s) => [s.name, ...(s.aliases ?? [])]),
    ...listDatasets().flatMap((d) => [d.name, ...(d.tables as unknown as TableDefinition[]).map((t) => `${d.name}.${t.name}`)]),
  ];
  const near = closest(value, names);
  throw new DatagenError(
    'E_SCHEMA',
    `check: unknown schema '${value}': give a scenario (${listScenarios().map((s) => s.name).join(', ')}), a dataset or dataset.table (${listDatasets().map((d) => d.name).join(', ')}), or a .yml/.ts file${near ? `. Did you mean ${near}?` : ''}`,
  );
}

/** The tables of a registered dataset, by the name a manifest records; undefined when none is registered by it. */
export function registeredDataset(name: string): Declared | undefined {
  let def: DatasetDefinition;
  try {
    def = findDataset(name);
  } catch {
    return undefined;
  }
  return { kind: 'dataset', name: def.name, tables: datasetTables(def, `dataset ${def.name}`), source: `dataset ${def.name}` };
}

function isFileArg(arg: string): boolean {
  return isScenarioFile(arg) || CODE_FILE.test(arg);
}

async function loadFile(file: string): Promise<ScenarioDefinition | DatasetDefinition> {
  try {
    if (isScenarioFile(file)) return loadYamlUnit(file);
    // jiti (TypeScript files) is loaded only when one is given.
    const { loadUnitFile } = await import('../cli/ts-file.js');
    return (await loadUnitFile(file)).def;
  } catch (err) {
    // A broken schema file is a usage error of check (exit 2); its message names file and line.
    if (isDatagenError(err)) throw new DatagenError('E_SCHEMA', `check: --schema ${err.message}`);
    throw err;
  }
}

function scenarioTable(def: ScenarioDefinition, source: string): DeclaredTable {
  return { name: def.schema.metadata.get('table') ?? def.name, schema: def.schema, source };
}

function datasetTables(def: DatasetDefinition, source: string): DeclaredTable[] {
  return (def.tables as unknown as TableDefinition[]).map((t) => {
    const options = t.output.kind === 'custom' ? undefined : (t.output.options as { lineColumn?: unknown } | undefined);
    const lineColumn = typeof options?.lineColumn === 'string' ? options.lineColumn : undefined;
    return { name: t.name, schema: t.schema, ...(t.references ? { references: t.references } : {}), ...(lineColumn ? { lineColumn } : {}), source };
  });
}

function pickTable(tables: DeclaredTable[], name: string, value: string): DeclaredTable {
  const table = tables.find((t) => t.name === name);
  if (table) return table;
  const near = closest(name, tables.map((t) => t.name));
  throw new DatagenError('E_SCHEMA', `check: --schema ${value}: no table '${name}' (tables: ${tables.map((t) => t.name).join(', ')})${near ? `. Did you mean ${near}?` : ''}`);
}

/** A dataset's tables asked for one file: only a dataset of one table says which. */
export function singleTable(declared: Declared, file: string, option: string): DeclaredTable {
  if (declared.kind === 'table') return declared.table;
  if (declared.tables.length === 1) return declared.tables[0]!;
  const hint = isFileArg(option) ? `${option}#<table>` : `${declared.name}.<table>`;
  throw new DatagenError('E_SCHEMA', `check: ${file} is one table, and --schema ${option} declares ${declared.tables.length} (${declared.tables.map((t) => t.name).join(', ')}): pass --schema ${hint}`);
}

/**
 * The Arrow schema datagen (and pyarrow) embed in a Parquet file's key-value metadata under
 * ARROW:schema: base64 of an IPC schema message. Text-capable columns stored as strings get
 * their logical type back (TEXT_OF). undefined for a file without it.
 */
export async function parquetSchema(conn: DuckDBConnection, file: string): Promise<Schema | undefined> {
  const reader = await conn.runAndReadAll(`SELECT decode(value) AS v FROM parquet_kv_metadata(${sqlString(file)}) WHERE decode(key) = 'ARROW:schema'`);
  const text = reader.getRowObjects()[0]?.v;
  if (typeof text !== 'string') return undefined;
  let schema: Schema;
  try {
    schema = tableFromIPC(Buffer.from(text, 'base64')).schema;
  } catch (err) {
    throw new DatagenError('E_INPUT', `check: ${file}: its ARROW:schema metadata is not an Arrow schema (${String((err as Error)?.message ?? err).split('\n')[0]})`);
  }
  checkReadable(schema, file);
  return engineSchema(schema);
}
