import type { Schema } from 'apache-arrow';
import { CHUNK_ROWS, chunksOf, planScenario, scenarioSource, type ScenarioOptions, type ScenarioPlan } from '../../sources/scenario.js';
import { fileLedger, nullLedger, type Ledger, type LedgerEntry } from '../anomaly/ledger.js';
import { run, type RunResult } from '../core/pipeline.js';
import { findScenario } from '../registry.js';
import type { Sink, Transform } from '../core/stage.js';
import type { ScenarioDefinition } from '../core/units.js';
import { tableName } from '../core/schema.js';
import { runOrdered, type PoolOptions } from './pool.js';

/**
 * `generate <scenario> --workers N`: the table's 8192-row chunks are made in N worker threads
 * and written in chunk order, so the file is the one a single thread writes. The workers make
 * the rows, run the stages and encode them; this thread writes the bytes (for Parquet: runs the
 * wasm writer) and the ledger entries, in order.
 *
 * That takes a sink that can write its file from encoded pieces (CSV, JSON Lines, Parquet) and
 * stages that change each row on its own (rowLocal). Otherwise (XLSX, Arrow, Delta, partitioned
 * folders; duplicate or outliers) the run stays in this thread: handing rows from a worker to
 * this thread costs more than making them (measured: loans to Arrow took twice as long), so
 * the caller is told why and the bytes are the same.
 */
/** Where a worker finds the scenario: by its registered name, or the YAML or TypeScript file it came from. */
export type ScenarioOrigin = { name: string } | { file: string };

export interface ScenarioJob {
  kind: 'scenario';
  origin: ScenarioOrigin;
  options: ScenarioOptions;
  /** The scenario's default stages run (not --clean). */
  stages: boolean;
  /** The sink the workers encode for. */
  sink: { name: string; options: Record<string, unknown> };
  /** Record ledger entries (a ledger was asked for). */
  ledger: boolean;
}

/** A worker's answer for one chunk: its rows' bytes and ledger entries. */
export interface ChunkResult {
  count: number;
  bytes: Uint8Array;
  entries: LedgerEntry[];
}

export interface ParallelScenarioRun {
  origin: ScenarioOrigin;
  def: ScenarioDefinition;
  options: ScenarioOptions;
  stages: Transform[];
  sink: Sink;
  /** The sink's name and options, for workers to make the same sink. */
  sinkSpec: { name: string; options: Record<string, unknown> };
  /** Partitioned or rolled output (a folder): written in one thread. */
  folder: boolean;
  ledger?: string;
  overwrite?: boolean;
  workers: number;
}

/** The scenario a worker makes rows of (a YAML file is read again there). */
export async function resolveOrigin(origin: ScenarioOrigin): Promise<ScenarioDefinition> {
  if ('name' in origin) return findScenario(origin.name);
  const { isCodeFile, loadScenarioFile } = await import('../cli/ts-file.js');
  if (isCodeFile(origin.file)) return loadScenarioFile(origin.file); // a TypeScript file: loaded again in the worker
  const { loadYamlScenario } = await import('../yaml/yaml-scenario.js');
  return loadYamlScenario(origin.file);
}

/** Why this run cannot be split over workers, or undefined when it can. */
export function singleThreadReason(r: Pick<ParallelScenarioRun, 'stages' | 'sink' | 'folder'>, plan: ScenarioPlan): string | undefined {
  if (r.folder) return 'partitioned or rolled output';
  const chunked = r.sink.chunked;
  if (!chunked) return `${r.sink.name} output is not written in pieces`;
  const holding = r.stages.find((t) => !t.rowLocal);
  if (holding) return `stage ${holding.name} places or measures rows across chunks`;
  if (chunked.rowsPerPiece !== undefined && (chunked.rowsPerPiece !== CHUNK_ROWS || plan.from % CHUNK_ROWS !== 0)) return `this ${r.sink.name} shard does not start on an ${CHUNK_ROWS}-row chunk`;
  if (plan.to - plan.from < 2 * CHUNK_ROWS) return `fewer than ${2 * CHUNK_ROWS} rows`;
  return undefined;
}

/**
 * Runs the scenario into its sink with worker threads: the same bytes and ledger as run().
 * When it cannot be split (singleThreadReason), it runs here; `note` says why.
 */
export async function runScenarioParallel(r: ParallelScenarioRun): Promise<RunResult & { note?: string }> {
  const plan = planScenario(r.def, r.options);
  const reason = singleThreadReason(r, plan);
  if (reason) {
    const result = await run(scenarioSource(r.def, r.options), ...r.stages, r.sink, { ledger: r.ledger, overwrite: r.overwrite });
    return { ...result, note: `--workers ${r.workers} not used (${reason}): one thread, the same bytes` };
  }
  return runEncoded(r, plan, chunksOf(plan), r.sink.chunked!);
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
    for await (const { result: p, worker } of runOrdered<ScenarioJob, number, ChunkResult>(chunks, { workers: r.workers, init: job, channel, describe: (c) => `chunk ${c as number} (rows from ${(c as number) * CHUNK_ROWS})` })) {
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
