import { Duplex, Readable } from 'node:stream';
import { DatagenError } from './errors.js';
import { fileLedger, nullLedger, type Ledger } from './ledger.js';
import type { Row } from './schema.js';
import type { Batch, Sink, Source, StageContext, Transform } from './stage.js';

/**
 * Composition. In one process, transforms are plain function calls on each batch (no stream
 * hop between stages); the sink pulls batches with backpressure. The same units also become
 * Node streams (toReadable / toDuplex) for callers who compose with stream.pipeline.
 */
export interface RunOptions {
  /** A ledger, or a path to append ledger JSON lines to. */
  ledger?: Ledger | string;
}

export interface RunResult {
  rows: number;
  batches: number;
}

/** Apply transforms to a source's batches, opening each with the schema it will see. */
export async function* applyTransforms(source: Source, transforms: readonly Transform[], ctx: StageContext, count?: RunResult): AsyncGenerator<Batch> {
  let fns: Array<(b: Batch) => Batch> | undefined;
  for await (const batch of source.batches()) {
    if (!fns) fns = openAll(batch.schema, transforms, ctx);
    let b = batch;
    for (const fn of fns) b = fn(b);
    ctx.ledger.flush();
    if (count) {
      count.rows += b.rows.length;
      count.batches++;
    }
    yield b;
  }
}

function openAll(schema: Batch['schema'], transforms: readonly Transform[], ctx: StageContext) {
  return transforms.map((t) => t.open(schema, ctx));
}

/**
 * Run a pipeline: `run(source, ...transforms, sink, options?)`.
 * Example: `await run(scenario('attendance', { rows: 1e5, seed: 42 }), noise({ rate: 0.01 }), csv({ path: 'out.csv' }))`
 */
export async function run(source: Source, ...rest: Array<Transform | Sink | RunOptions>): Promise<RunResult> {
  const options = rest.length > 0 && !('kind' in rest[rest.length - 1]!) ? (rest.pop() as RunOptions) : {};
  const sink = rest.pop();
  if (!sink || !('kind' in sink) || sink.kind !== 'sink') {
    throw new DatagenError('E_OPTION', 'run: the last stage must be a sink (csv(), jsonl(), ...); use collect() to get rows back');
  }
  const transforms = rest as Transform[];
  for (const t of transforms) {
    if (!('kind' in t) || t.kind !== 'transform') throw new DatagenError('E_OPTION', `run: '${(t as { name?: string }).name ?? '?'}' is not a transform`);
  }
  const ledger = typeof options.ledger === 'string' ? fileLedger(options.ledger) : (options.ledger ?? nullLedger);
  const result: RunResult = { rows: 0, batches: 0 };
  try {
    await sink.write(applyTransforms(source, transforms, { ledger }, result));
  } finally {
    ledger.close();
  }
  return result;
}

/** Run source and transforms and return the rows (for tests and small data). */
export async function collect(source: Source, ...transforms: Array<Transform | RunOptions>): Promise<Row[]> {
  const options = transforms.length > 0 && !('kind' in transforms[transforms.length - 1]!) ? (transforms.pop() as RunOptions) : {};
  const ledger = typeof options.ledger === 'string' ? fileLedger(options.ledger) : (options.ledger ?? nullLedger);
  const rows: Row[] = [];
  try {
    for await (const b of applyTransforms(source, transforms as Transform[], { ledger })) for (const r of b.rows) rows.push(r);
  } finally {
    ledger.close();
  }
  return rows;
}

/** A source as an object-mode Readable of batches. */
export function toReadable(source: Source): Readable {
  return Readable.from(source.batches(), { objectMode: true });
}

/** A transform as an object-mode Duplex of batches (for stream.pipeline users). */
export function toDuplex(transform: Transform, ctx: StageContext = { ledger: nullLedger }): Duplex {
  return Duplex.from(async function* (input: AsyncIterable<Batch>) {
    let fn: ((b: Batch) => Batch) | undefined;
    for await (const batch of input) {
      fn ??= transform.open(batch.schema, ctx);
      const out = fn(batch);
      ctx.ledger.flush();
      yield out;
    }
  });
}
