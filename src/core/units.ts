import type { Schema } from 'apache-arrow';
import { normalizeOptions, type Options, type OptionsInput, type OptionsSpec } from './options.js';
import { declaresPartitioning, partitionedWrite, wantsPartitioned } from '../codecs/partition.js';
import type { Rng } from '../random/rng.js';
import type { Row } from './schema.js';
import type { Batch, ChunkedWrite, Sink, Transform } from './stage.js';
import { formatDate } from './temporal.js';

/**
 * `defineX(...)` turns one declaration (name, help, options, behaviour) into a typed factory
 * that also carries its metadata, so the registry, the CLI and the docs read the same object.
 */
export interface UnitInfo<S extends OptionsSpec> {
  name: string;
  summary: string;
  description?: string;
  /** Shell examples for `--help` and the docs. */
  examples: string[];
  options: S;
  aliases?: string[];
}

/** Give a factory function its unit's metadata (`name` needs defineProperty: it is read-only on functions). */
function attach<F extends (...args: never[]) => unknown, I extends object, U extends string>(fn: F, info: I, unit: U): F & I & { unit: U } {
  for (const [key, value] of Object.entries({ ...info, unit })) Object.defineProperty(fn, key, { value, enumerable: true });
  return fn as F & I & { unit: U };
}

// ---------------------------------------------------------------- transforms

export interface TransformInfo<S extends OptionsSpec> extends UnitInfo<S> {
  create(opts: Options<S>): Transform['open'];
  /** Row-local: see Transform.rowLocal. */
  rowLocal?: boolean;
}
export type TransformFactory<S extends OptionsSpec = OptionsSpec> = ((opts?: OptionsInput<S>) => Transform) & TransformInfo<S> & { unit: 'transform' };

export function defineTransform<S extends OptionsSpec>(info: TransformInfo<S>): TransformFactory<S> {
  const factory = (raw?: OptionsInput<S>): Transform => {
    const opts = normalizeOptions(info.name, info.options, raw as Record<string, unknown>);
    return {
      kind: 'transform',
      name: info.name,
      options: resolvedOptions(info.options, raw as Record<string, unknown> | undefined, opts),
      open: info.create(opts),
      ...(info.rowLocal ? { rowLocal: true } : {}),
    };
  };
  return attach(factory, info, 'transform');
}

/**
 * The options a transform runs with, defaults included, for its ledger open event (the answer
 * key must say the rate used even when it was the default). The options given come first, in
 * their order, so `describe` still leads with what a scenario chose; dates read as written.
 */
function resolvedOptions(spec: OptionsSpec, raw: Record<string, unknown> | undefined, opts: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of [...Object.keys(raw ?? {}), ...Object.keys(spec)]) {
    const value = opts[name];
    if (value === undefined || name in out || !(name in spec)) continue;
    out[name] = spec[name]!.type === 'date' && typeof value === 'number' ? formatDate(value) : value;
  }
  return out;
}

// ---------------------------------------------------------------- sinks

export interface SinkInfo<S extends OptionsSpec> extends UnitInfo<S> {
  /** File extensions that select this sink in `generate --out file.ext`. */
  extensions: string[];
  create(opts: Options<S>): (batches: AsyncIterable<Batch>) => Promise<void>;
  /** The same file written from pieces encoded elsewhere (worker threads): see ChunkedWrite. */
  chunked?(opts: Options<S>): ChunkedWrite;
}
export type SinkFactory<S extends OptionsSpec = OptionsSpec> = ((opts?: OptionsInput<S>) => Sink) & SinkInfo<S> & { unit: 'sink' };

export function defineSink<S extends OptionsSpec>(info: SinkInfo<S>): SinkFactory<S> {
  const factory = (raw?: OptionsInput<S>): Sink => {
    const opts = normalizeOptions(info.name, info.options, raw as Record<string, unknown>);
    // Every sink declaring the file options gets partitioned and rolled output here, once:
    // the sink itself only ever writes one file.
    const partitioned = declaresPartitioning(info.options) && wantsPartitioned(opts);
    const chunked = partitioned ? undefined : info.chunked?.(opts);
    return { kind: 'sink', name: info.name, write: partitioned ? partitionedWrite(info, opts) : info.create(opts), ...(chunked ? { chunked } : {}) };
  };
  return attach(factory, info, 'sink');
}

// ---------------------------------------------------------------- scenarios

/** Makes the rows of one chunk; rows depend only on (seed, options, row index). */
export interface RowGenerator {
  /** Rows [start, start + count) of the table, drawn from `rng`, this chunk's own stream. */
  rows(start: number, count: number, rng: Rng): Row[];
}

export interface PlanContext {
  /** Exact number of rows the table will have. */
  rows: number;
  /** The table's root stream; fork it for anything shared by all chunks (employees, days). */
  rng: Rng;
  /** The run's seed, for a scenario made from a dataset's context (customers_cdc). */
  seed?: number;
}

export interface ScenarioInfo<S extends OptionsSpec> extends UnitInfo<S> {
  schema: Schema;
  /** The rules every row satisfies, in words (shown by `describe` and in the docs). */
  rules: string[];
  /** Default number of rows when the caller gives none. */
  defaultRows: number;
  /**
   * The primary event-time column (a timestamp) and the date option its range starts at: with
   * `--pace` (src/core/pace.ts) that column is set from a virtual clock starting at that option,
   * and `--follow` may run without end. Scenarios without it refuse --pace.
   */
  eventTime?: { column: string; startOption: string };
  plan(opts: Options<S>, ctx: PlanContext): RowGenerator;
  /**
   * The anomaly stages `generate` and `pipe` apply unless asked for `--clean` (e.g. loans'
   * documented missingness). In TypeScript: `run(scenario(x), ...x.defaultStages(), sink)`.
   */
  defaultStages?(): Transform[];
}
export type ScenarioDefinition<S extends OptionsSpec = OptionsSpec> = ScenarioInfo<S> & { unit: 'scenario' };

export function defineScenario<S extends OptionsSpec>(info: ScenarioInfo<S>): ScenarioDefinition<S> {
  return Object.assign(info, { unit: 'scenario' as const });
}
