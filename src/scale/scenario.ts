import type { Schema } from 'apache-arrow';
import { CHUNK_ROWS, chunksOf, planScenario, type ScenarioOptions, type ScenarioPlan } from '../../sources/scenario.js';
import { fileLedger, nullLedger, type Ledger, type LedgerEntry } from '../anomaly/ledger.js';
import { run, type RunResult } from '../core/pipeline.js';
import { findScenario } from '../registry.js';
import type { Batch, Sink, Source, Transform } from '../core/stage.js';
import type { ScenarioDefinition } from '../core/units.js';
import { tableName, type Row } from '../core/schema.js';
import { runOrdered, type PoolOptions } from './pool.js';

/**
 * `generate <scenario> --workers N`: the table's 8192-row chunks are made in N worker threads
 * and written in chunk order, so the file is the one a single thread writes.
 *
 * Two ways, chosen per run:
 *   encoded  the sink can write a file from encoded pieces (CSV, NDJSON, Parquet) and every
 *            stage is row-local: workers make the rows, run the stages and encode them; this
 *            thread only writes bytes (Parquet: runs the wasm writer) and the ledger.
 *   rows     anything else (XLSX, Arrow, Delta, partitioned folders, stages that hold rows):
 *            workers make the rows, this thread runs the stages and the sink as usual.
 */

/** Where a worker finds the scenario: by its registered name, or the YAML file it came from. */
export type ScenarioOrigin = { name: string } | { file: string };

export interface ScenarioJob {
  kind: 'scenario';
  origin: ScenarioOrigin;
  options: ScenarioOptions;
  /** The scenario's default stages run (not --clean). */
  stages: boolean;
  /** Encoded mode: the sink the workers encode for; rows mode: absent. */
  sink?: { name: string; options: Record<string, unknown> };
  /** Encoded mode: record ledger entries (a ledger was asked for). */
  ledger: boolean;
}

/** A worker's answer for one chunk. */
export type ChunkResult = { rows: Row[] } | { count: number; bytes: Uint8Array; entries: LedgerEntry[] };

export interface ParallelScenarioRun {
  origin: ScenarioOrigin;
  def: ScenarioDefinition;
  options: ScenarioOptions;
  stages: Transform[];
  sink: Sink;
  /** The sink's name and options, for workers to make the same sink. */
  sinkSpec: { name: string; options: Record<string, unknown> };
  /** Partitioned or rolled output (a folder): never encoded in workers. */
  folder: boolean;
  ledger?: string;
  overwrite?: boolean;
  workers: number;
}

/** The scenario a worker makes rows of (a YAML file is read again there). */
export async function resolveOrigin(origin: ScenarioOrigin): Promise<ScenarioDefinition> {
  if ('name' in origin) return findScenario(origin.name);
  const { loadYamlScenario } = await import('../yaml/yaml-scenario.js');
  return loadYamlScenario(origin.file);
}

/** Runs the scenario into its sink with worker threads; same bytes and ledger as run(). */
export async function runScenarioParallel(r: ParallelScenarioRun): Promise<RunResult & { mode: 'encoded' | 'rows' }> {
  const plan = planScenario(r.def, r.options);
  const chunks = chunksOf(plan);
  const rowLocal = r.stages.every((t) => t.rowLocal);
  const chunked = r.folder ? undefined : r.sink.chunked;
  const aligned = chunked?.rowsPerPiece === undefined || (chunked.rowsPerPiece === CHUNK_ROWS && plan.from % CHUNK_ROWS === 0);
  if (chunked && rowLocal && aligned && chunks.length > 0) {
    return { ...(await runEncoded(r, plan, chunks, chunked)), mode: 'encoded' };
  }
  return { ...(await run(rowsSource(r, plan, chunks), ...r.stages, r.sink, { ledger: r.ledger, overwrite: r.overwrite })), mode: 'rows' };
}

async function runEncoded(r: ParallelScenarioRun, plan: ScenarioPlan, chunks: number[], chunked: NonNullable<Sink['chunked']>): Promise<RunResult> {
  const ledger: Ledger = r.ledger ? fileLedger(r.ledger, { overwrite: r.overwrite }) : nullLedger;
  // The stages are opened here too, for the schema they output and their open events, exactly
  // as run() opens them; the rows go through the workers' own copies.
  let schema: Schema = r.def.schema;
  const table = tableName(r.def.schema);
  for (const t of r.stages) {
    const fn = t.open(schema, { ledger });
    ledger.event({ event: 'open', stage: t.name, table, options: t.options ?? {} });
    schema = fn.schema ?? schema;
  }
  const job: ScenarioJob = { kind: 'scenario', origin: r.origin, options: r.options, stages: r.stages.length > 0, sink: r.sinkSpec, ledger: ledger !== nullLedger };
  const result: RunResult = { rows: 0, batches: 0 };
  // A piece's buffer goes back to the worker that filled it once written: allocating a fresh
  // buffer per chunk (and freeing it in this thread) cost more than making the rows.
  const channel: PoolOptions<ScenarioJob>['channel'] = {};
  const makers = new WeakMap<Uint8Array, number>();
  const done = (piece: Uint8Array) => {
    const w = makers.get(piece);
    if (w !== undefined && piece.buffer.byteLength > 0) channel.post?.(w, { recycle: piece.buffer }, [piece.buffer as ArrayBuffer]);
  };
  async function* pieces(): AsyncGenerator<Uint8Array> {
    for await (const { result: made, worker } of runOrdered<ScenarioJob, number, ChunkResult>(chunks, { workers: r.workers, init: job, channel, describe: (c) => `chunk ${c as number} (rows from ${(c as number) * CHUNK_ROWS})` })) {
      const p = made as Extract<ChunkResult, { bytes: Uint8Array }>;
      makers.set(p.bytes, worker);
      for (const e of p.entries) ledger.record(e);
      ledger.flush();
      result.rows += p.count;
      result.batches++;
      yield p.bytes;
    }
  }
  try {
    await chunked.write(schema, pieces(), done);
    for (const t of r.stages) ledger.event({ event: 'close', stage: t.name, table, rowsIn: result.rows, rowsOut: result.rows });
  } finally {
    ledger.close();
  }
  return result;
}

/** The rows made by the workers, cut into batches as the scenario source cuts them. */
function rowsSource(r: ParallelScenarioRun, plan: ScenarioPlan, chunks: number[]): Source {
  const job: ScenarioJob = { kind: 'scenario', origin: r.origin, options: r.options, stages: false, ledger: false };
  const { def, from, to, batchSize } = plan;
  return {
    kind: 'source',
    name: def.name,
    schema: def.schema,
    async *batches(): AsyncGenerator<Batch> {
      let pending: Row[] = [];
      let offset = from;
      for await (const { result } of runOrdered<ScenarioJob, number, ChunkResult>(chunks, { workers: r.workers, init: job, describe: (c) => `chunk ${c as number}` })) {
        const rows = (result as { rows: Row[] }).rows;
        for (let i = 0; i < rows.length; ) {
          const take = Math.min(batchSize - pending.length, rows.length - i);
          if (pending.length === 0 && take === rows.length) pending = rows;
          else for (let k = i; k < i + take; k++) pending.push(rows[k]!);
          i += take;
          if (pending.length === batchSize) {
            yield { schema: def.schema, rows: pending, offset };
            offset += batchSize;
            pending = [];
          }
        }
      }
      if (pending.length > 0 || from === to) yield { schema: def.schema, rows: pending, offset };
    },
  };
}
