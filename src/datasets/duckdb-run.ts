import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createTableSql, writeDuckdb } from '../../sinks/duckdb.js';
import { sqlIdent } from '../codecs/sql.js';
import { readDelta } from '../check/read-delta.js';
import { datasetContext, type DatasetContext, type DatasetDefinition, type TableDefinition } from '../core/dataset.js';
import { DatagenError } from '../core/errors.js';
import { typeLabel } from '../core/schema.js';
import type { Batch } from '../core/stage.js';
import { ensureDir, onAbort } from '../codecs/output.js';
import { checkScale, datasetJob, selectTables, type DatasetResult, type DatasetRunOptions } from './run.js';
import { runTableTask, type DatasetJob, type TableTask } from './task.js';

/**
 * A dataset into one DuckDB file (`--out retail.duckdb`): every table a table of that name,
 * with the types and NOT NULL the duckdb sink gives it. A table with its own writer (retail's
 * Delta `returns`, a history of versions) is written to a work folder as usual and its final
 * state loaded. The ledger and the manifest go into the file too, as tables `_ledger` (one
 * row per line of what would be _ledger.jsonl, in order) and `_manifest` (the manifest's JSON):
 * one file is the whole run, and `datagen check` can read both back from it.
 *
 * The file is built under a temporary name and renamed when complete, as files are: a failed
 * or stopped run leaves no file, and an existing file is replaced only with --overwrite.
 * One writer per DuckDB file: --workers and --shards are refused.
 */
export const DUCKDB_LEDGER = '_ledger';
export const DUCKDB_MANIFEST = '_manifest';

export async function runDatasetDuckdb(def: DatasetDefinition, o: DatasetRunOptions): Promise<DatasetResult> {
  const db = o.out;
  const seed = o.seed ?? 42;
  const scale = o.scale ?? 1;
  checkScale(def.name, scale);
  if ((o.shards ?? 1) > 1 || o.shard !== undefined) {
    throw new DatagenError('E_OPTION', `${def.name}: --shards/--shard cannot write into ${db}: a DuckDB file has one writer; write a folder of shards instead`);
  }
  if ((o.workers ?? 1) > 1) throw new DatagenError('E_OPTION', `${def.name}: --workers ${o.workers} cannot write into ${db}: a DuckDB file has one writer; drop --workers`);
  if (existsSync(db) && !o.overwrite) throw new DatagenError('E_OUTPUT', `${def.name}: ${db} already exists (pass --overwrite to replace it)`);
  const tables = selectTables(def, o.tables);
  const ctx = datasetContext(def, seed, scale, o.options);
  const clean = o.clean ?? false;
  const temp = join(dirname(db), `.${basename(db)}.tmp-${process.pid}`);
  const work = join(dirname(db), `.${basename(db)}.work-${process.pid}`);
  const cleanUp = () => {
    for (const p of [temp, `${temp}.wal`, work]) rmSync(p, { recursive: true, force: true });
  };
  const undo = onAbort(cleanUp);
  try {
    ensureDir(work);
    const job: DatasetJob = { ...datasetJob(def, o, { seed, scale, clean, out: work, shards: 1 }), duckdb: temp };
    const summary: DatasetResult['tables'] = [];
    const ledgers: string[] = [];
    for (const t of tables) {
      const task: TableTask = { table: t.name, shard: 0, ledger: join(work, `${t.name}.0.jsonl`) };
      o.onTable?.({ table: t.name, phase: 'start', shard: 0 });
      const r = await runTableTask(job, task, def, o.onTable && ((rows) => o.onTable!({ table: t.name, phase: 'rows', rows, shard: 0 })));
      o.onTable?.({ table: t.name, phase: 'end', rows: r.rows, files: 0, shard: 0, seconds: r.seconds });
      summary.push({ name: t.name, rows: r.rows, files: 0 });
      ledgers.push(task.ledger);
    }
    const manifest = {
      dataset: def.name,
      seed,
      scale,
      options: ctx.options,
      clean,
      database: basename(db),
      tables: Object.fromEntries(
        tables.map((t) => [
          t.name,
          {
            table: t.name,
            format: 'duckdb',
            rows: summary.find((s) => s.name === t.name)!.rows,
            schema: t.schema.fields.map((f) => ({ name: f.name, type: typeLabel(f.type), nullable: f.nullable })),
            references: t.references ?? {},
          },
        ]),
      ),
      files: [],
    };
    const entries = await writeRunTables(temp, ledgers, manifest);
    if (o.overwrite) rmSync(`${db}.wal`, { force: true });
    renameSync(temp, db);
    return { out: db, tables: summary, files: [], anomalies: entries };
  } finally {
    undo();
    cleanUp();
  }
}

/** The ledger lines (in table order) and the manifest, as tables of the database; the ledger's entries (lines that are not events). */
async function writeRunTables(path: string, ledgers: string[], manifest: object): Promise<number> {
  const lines = ledgers.flatMap((p) => (existsSync(p) ? readFileSync(p, 'utf8').split('\n').filter((l) => l !== '') : []));
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(path);
  const conn = await instance.connect();
  try {
    await conn.run('BEGIN TRANSACTION');
    await conn.run(`CREATE TABLE ${DUCKDB_LEDGER} (line BIGINT NOT NULL, entry VARCHAR NOT NULL)`);
    const appender = await conn.createAppender(DUCKDB_LEDGER);
    lines.forEach((l, i) => {
      appender.appendBigInt(BigInt(i + 1));
      appender.appendVarchar(l);
      appender.endRow();
    });
    appender.closeSync();
    await conn.run(`CREATE TABLE ${DUCKDB_MANIFEST} (manifest VARCHAR NOT NULL)`);
    await conn.run(`INSERT INTO ${DUCKDB_MANIFEST} VALUES ($1)`, [JSON.stringify(manifest, null, 2) + '\n']);
    await conn.run('COMMIT');
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
  return lines.filter((l) => !l.startsWith('{"event":')).length;
}

/** One table's rows into the run's database (task.ts calls this when the job has a duckdb target). */
export async function writeTableDuckdb(table: TableDefinition, batches: AsyncIterable<Batch>, job: DatasetJob & { duckdb: string }, ctx: DatasetContext): Promise<number> {
  if (table.output.kind !== 'custom') return writeDuckdb({ path: job.duckdb, table: table.name }, batches);
  // Its own writer (a Delta history) writes its folder in the work area; the final state is loaded.
  if (table.output.format !== 'delta') {
    throw new DatagenError('E_OPTION', `${job.dataset}: table ${table.name} is written by its own ${table.output.format} writer, which cannot go into a DuckDB file; write a folder`);
  }
  const folder = join(job.out, table.output.path);
  await table.output.write(batches, { path: folder, ctx });
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(job.duckdb);
  const conn = await instance.connect();
  try {
    const read = await readDelta(conn, folder, { name: table.name, schema: table.schema, source: `dataset ${job.dataset}` });
    await conn.run('BEGIN TRANSACTION');
    await conn.run(createTableSql(table.schema, table.name));
    await conn.run(`INSERT INTO ${sqlIdent(table.name)} SELECT * FROM ${read.relation}`);
    await conn.run('COMMIT');
    const r = await conn.runAndReadAll(`SELECT count(*)::BIGINT AS n FROM ${sqlIdent(table.name)}`);
    return Number(r.getRowObjectsJS()[0]!.n);
  } catch (err) {
    if (err instanceof DatagenError) throw err;
    throw new DatagenError('E_DATABASE', `${job.dataset}: cannot load table ${table.name} into ${job.duckdb}: ${String((err as Error).message).split('\n')[0]}`);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}
