import { Duplex, Readable } from 'node:stream';
import { DatagenError } from './errors.js';
import { fileLedger, nullLedger, type Ledger } from '../anomaly/ledger.js';
import { tableName, type Row } from './schema.js';
import type { Batch, Sink, Source, StageContext, StageFn, Transform } from './stage.js';
import type { DatasetTarget, DatasetValue } from '../datasets/api.js';
import type { DatasetResult } from '../datasets/run.js';

/**
 * Composition. In one process, transforms are plain function calls on each batch (no stream
 * hop between stages); the sink pulls batches with backpressure. The same units also become
 * Node streams (toReadable / toDuplex) for callers who compose with stream.pipeline.
 */
export interface RunOptions {
  /** A ledger, or a path to write ledger JSON lines to (see fileLedger). */
  ledger?: Ledger | string;
  /** With a ledger path: the run id its stage events carry (stages of one pipe share it). */
  run?: string;
  /** With a ledger path: replace a ledger file that holds another run's lines. */
  overwrite?: boolean;
}

export interface RunResult {
  rows: number;
  batches: number;
}

/** Apply transforms to a source's batches, opening each with the schema it will see. */
export async function* applyTransforms(source: Source, transforms: readonly Transform[], ctx: StageContext, count?: RunResult): AsyncGenerator<Batch> {
  let opened: Opened | undefined;
  const emit = (b: Batch) => {
    ctx.ledger.flush();
    if (count) {
      count.rows += b.rows.length;
      count.batches++;
    }
    return b;
  };
  for await (const batch of source.batches()) {
    opened ??= openAll(batch.schema, transforms, ctx);
    yield emit(opened.run(batch, 0));
  }
  if (!opened) return;
  // Stages that held rows back hand them over now, through the stages after them.
  for (let k = 0; k < transforms.length; k++) {
    const tail = opened.fns[k]!.end?.();
    if (!tail) continue;
    opened.handedOver(k, tail.rows.length);
    yield emit(opened.run(tail, k + 1));
  }
  opened.close();
}

interface Opened {
  fns: StageFn[];
  /** Pass a batch through the stages from `from` on. */
  run(batch: Batch, from: number): Batch;
  /** Count rows stage k handed over at the end as its output. */
  handedOver(k: number, rows: number): void;
  close(): void;
}

/** Open every transform with the schema; each records what it was asked to do and what it saw. */
function openAll(schema: Batch['schema'], transforms: readonly Transform[], ctx: StageContext): Opened {
  const table = tableName(schema);
  // Each stage is opened with the schema the stage before it outputs.
  const schemas: Array<Batch['schema']> = [];
  const fns = transforms.map((t) => {
    const fn = t.open(schema, ctx);
    ctx.ledger.event({ event: 'open', stage: t.name, table, options: t.options ?? {} });
    schema = fn.schema ?? schema;
    schemas.push(schema);
    return fn;
  });
  const rowsIn = transforms.map(() => 0);
  const rowsOut = transforms.map(() => 0);
  return {
    fns,
    run(batch, from) {
      let b = batch;
      for (let k = from; k < fns.length; k++) {
        rowsIn[k]! += b.rows.length;
        b = fns[k]!(b);
        if (b.schema !== schemas[k]) b = { ...b, schema: schemas[k]! };
        rowsOut[k]! += b.rows.length;
      }
      return b;
    },
    handedOver(k, rows) {
      rowsOut[k]! += rows;
    },
    close() {
      transforms.forEach((t, k) => ctx.ledger.event({ event: 'close', stage: t.name, table, rowsIn: rowsIn[k], rowsOut: rowsOut[k] }));
      ctx.ledger.flush();
    },
  };
}

/**
 * Run a pipeline: `run(source, ...transforms, sink, options?)`.
 * Example: `await run(scenario('attendance', { rows: 1e5, seed: 42 }), noise({ rate: 0.01 }), csv({ path: 'out.csv' }))`
 */
export function run(dataset: DatasetValue, target?: DatasetTarget): Promise<DatasetResult>;
export function run(source: Source, ...rest: Array<Transform | Sink | RunOptions>): Promise<RunResult>;
export async function run(source: Source | DatasetValue, ...rest: Array<Transform | Sink | RunOptions | DatasetTarget | undefined>): Promise<RunResult | DatasetResult> {
  // A dataset value writes its folder of tables itself (src/datasets/api.ts): the pipeline core
  // does not import the dataset runner, which needs the registry of every unit.
  if (source.kind === 'dataset') return source.write(rest[0] as DatasetTarget | undefined);
  const options = rest.length > 0 && !('kind' in rest[rest.length - 1]!) ? (rest.pop() as RunOptions) : {};
  const sink = rest.pop();
  if (!sink || !('kind' in sink) || sink.kind !== 'sink') {
    throw new DatagenError('E_OPTION', 'run: the last stage must be a sink (csv(), jsonl(), ...); use collect() to get rows back');
  }
  const transforms = rest as Transform[];
  for (const t of transforms) {
    if (!('kind' in t) || t.kind !== 'transform') throw new DatagenError('E_OPTION', `run: '${(t as { name?: string }).name ?? '?'}' is not a transform`);
  }
  const ledger = typeof options.ledger === 'string' ? fileLedger(options.ledger, { run: options.run, overwrite: options.overwrite }) : (options.ledger ?? nullLedger);
  const result: RunResult = { rows: 0, batches: 0 };
  try {
    await sink.write(applyTransforms(source, transforms, { ledger }, result));
  } finally {
    ledger.close();
  }
  return result;
}

/** Run source and transforms and return the rows (for tests and small data): run() into memory. */
export async function collect(source: Source, ...rest: Array<Transform | RunOptions>): Promise<Row[]> {
  const options = rest.length > 0 && !('kind' in rest[rest.length - 1]!) ? (rest.pop() as RunOptions) : {};
  const rows: Row[] = [];
  const memory: Sink = {
    kind: 'sink',
    name: 'rows',
    async write(batches) {
      for await (const b of batches) for (const r of b.rows) rows.push(r);
    },
  };
  await run(source, ...(rest as Transform[]), memory, options);
  return rows;
}

/** A source as an object-mode Readable of batches. */
export function toReadable(source: Source): Readable {
  return Readable.from(source.batches(), { objectMode: true });
}

/** A transform as an object-mode Duplex of batches (for stream.pipeline users). */
export function toDuplex(transform: Transform, ctx: StageContext = { ledger: nullLedger }): Duplex {
  return Duplex.from(async function* (input: AsyncIterable<Batch>) {
    yield* applyTransforms({ kind: 'source', name: 'stream', batches: () => input }, [transform], ctx);
  });
}
