import { parentPort, workerData } from 'node:worker_threads';
import { chunkRows, CHUNK_ROWS, planScenario } from '../../sources/scenario.js';
import { nullLedger, type Ledger, type LedgerEntry } from '../anomaly/ledger.js';
import { findDataset, findSink } from '../registry.js';
import { DatagenError } from '../core/errors.js';
import type { DatasetDefinition } from '../core/dataset.js';
import { stopOpeningWhen } from '../codecs/output.js';
import type { Schema } from 'apache-arrow';
import type { Batch, StageFn } from '../core/stage.js';
import type { WorkerReply } from './pool.js';
import { resolveOrigin, type ChunkResult, type ScenarioJob } from './scenario.js';
import { runTableTask, type DatasetJob, type TableTask, type TableTaskResult } from '../datasets/task.js';

/**
 * A worker thread of `--workers`: made once with its job (workerData), it answers numbered
 * tasks — a scenario chunk, or a dataset table (share) — with their result. Errors go back as
 * data, so a user mistake keeps its code and one-line message.
 */
type Job = ScenarioJob | DatasetJob;
type Handler = (task: unknown) => Promise<{ result: unknown; transfer: ArrayBuffer[] }>;

const port = parentPort!;
const { init: job, stop } = workerData as { init: Job; stop: Int32Array };
stopOpeningWhen(stop);
let handler: Promise<Handler> | undefined;

/**
 * A fault for tests of the failure path (a worker that dies mid-run, as an out-of-memory kill
 * would end it): DATAGEN_FAILPOINT=worker-exit:<task number> ends this thread at that task.
 */
const failAt = /^worker-exit:(\d+)$/.exec(process.env.DATAGEN_FAILPOINT ?? '')?.[1];

/** Buffers the main thread gave back after writing their bytes, reused for the next pieces. */
const free: ArrayBuffer[] = [];
function alloc(bytes: number): Uint8Array {
  const i = free.findIndex((b) => b.byteLength >= bytes);
  if (i >= 0) return new Uint8Array(free.splice(i, 1)[0]!);
  // Room to grow: the next chunk of the same table is about as large.
  return new Uint8Array(new ArrayBuffer(Math.max(1 << 16, Math.ceil(bytes * 1.25))));
}

port.on('message', async (message: { id: number; task: unknown } | { recycle: ArrayBuffer }) => {
  if ('recycle' in message) {
    if (free.length < 8) free.push(message.recycle);
    return;
  }
  const { id, task } = message;
  if (failAt !== undefined && id === Number(failAt)) process.exit(70);
  let reply: WorkerReply<unknown>;
  let transfer: ArrayBuffer[] = [];
  try {
    handler ??= job.kind === 'scenario' ? scenarioHandler(job) : datasetHandler(job);
    const done = await (await handler)(task);
    reply = { id, result: done.result };
    transfer = done.transfer;
  } catch (err) {
    const e = err as Error & { code?: string };
    reply = { id, error: { code: typeof e?.code === 'string' ? e.code : undefined, message: String(e?.message ?? err), stack: e?.stack } };
  }
  port.postMessage(reply, transfer);
});

async function scenarioHandler(j: ScenarioJob): Promise<Handler> {
  const def = await resolveOrigin(j.origin);
  const plan = planScenario(def, j.options);
  // The stages (row-local) and the encoder, made once; ledger entries collected per chunk.
  let entries: LedgerEntry[] = [];
  const ledger: Ledger = j.ledger ? { record: (e) => void entries.push(e), event() {}, flush() {}, close() {} } : nullLedger;
  let schema = def.schema;
  const fns: StageFn[] = [];
  const schemas: Schema[] = [];
  for (const t of j.stages && def.defaultStages ? def.defaultStages() : []) {
    const fn = t.open(schema, { ledger });
    schema = fn.schema ?? schema;
    fns.push(fn);
    schemas.push(schema);
  }
  const sink = findSink(j.sink.name)(j.sink.options as never);
  const encode = sink.chunked!.encoder(schema, alloc);
  return async (task) => {
    const chunk = task as number;
    const rows = chunkRows(plan, chunk);
    let batch: Batch = { schema: def.schema, rows, offset: Math.max(plan.from, chunk * CHUNK_ROWS) };
    fns.forEach((fn, k) => {
      batch = fn(batch);
      if (batch.schema !== schemas[k]) batch = { ...batch, schema: schemas[k]! };
    });
    const bytes = encode(batch);
    const result: ChunkResult = { count: rows.length, bytes, entries };
    entries = [];
    // The bytes move to the main thread without a copy (with the rest of their buffer, which comes back).
    return { result, transfer: bytes.byteOffset === 0 && bytes.buffer instanceof ArrayBuffer ? [bytes.buffer] : [] };
  };
}

async function datasetHandler(j: DatasetJob): Promise<Handler> {
  // A dataset from a file is loaded again here (workers share no objects with the main thread).
  const def = j.file ? await loadDatasetFile(j.file) : findDataset(j.dataset);
  return async (task) => ({ result: (await runTableTask(j, task as TableTask, def)) satisfies TableTaskResult, transfer: [] });
}

async function loadDatasetFile(file: string): Promise<DatasetDefinition> {
  const { isCodeFile, loadUnitFile } = await import('../cli/ts-file.js');
  const def = isCodeFile(file) ? (await loadUnitFile(file)).def : (await import('../yaml/yaml-dataset.js')).loadYamlUnit(file);
  if (def.unit !== 'dataset') throw new DatagenError('E_SCENARIO_FILE', `${file}: no longer declares a dataset`);
  return def as DatasetDefinition;
}
