import { parseShard, shardRows } from '../src/core/shard.js';
import { normalizeOptions, type OptionsInput, type OptionsSpec } from '../src/core/options.js';
import { Rng } from '../src/random/rng.js';
import { findScenario, listScenarios } from '../src/registry.js';
import { DatagenError } from '../src/core/errors.js';
import { paced, virtualTime, type Clock, type Pace } from '../src/core/pace.js';
import { MICROS_PER_DAY } from '../src/core/temporal.js';
import type { Row } from '../src/core/schema.js';
import type { Batch, Source } from '../src/core/stage.js';
import type { ScenarioDefinition } from '../src/core/units.js';

/**
 * The source behind every scenario: splits the table into fixed chunks of CHUNK_ROWS rows and
 * asks the scenario for chunk j with a stream forked from (seed, scenario, j). Row i is
 * therefore the same whatever the batch size, and a shard (`shard: '2/4'`) produces exactly
 * the rows a single process would put at those positions.
 */
export const CHUNK_ROWS = 8192;

/** Options every scenario accepts, besides its own. */
export const engineOptions = {
  rows: { type: 'integer', description: 'number of rows to generate (exact)', min: 0 },
  seed: { type: 'integer', description: 'random seed: same seed and options, same bytes', default: 42 },
  batchSize: { type: 'integer', description: 'rows per batch handed to the next stage (does not change the rows)', default: CHUNK_ROWS, min: 1, max: 1_000_000 },
  shard: { type: 'string', description: "generate only part i of n of the table, as 'i/n' (0-based), e.g. 0/4; env/n takes i from JOB_COMPLETION_INDEX (Kubernetes) or SLURM_ARRAY_TASK_ID" },
} as const satisfies OptionsSpec;

export type ScenarioOptions = {
  rows?: number;
  seed?: number;
  batchSize?: number;
  shard?: string;
  [option: string]: unknown;
};

/** The engine's options every scenario takes (rows, seed, batchSize, shard), typed. */
export type EngineOptions = { rows?: number; seed?: number; batchSize?: number; shard?: string };

/**
 * A scenario as a source of batches. Given its definition (`scenario(loans, {...})`), the
 * options are typed by the scenario's own option spec: a misspelled or mistyped option does not
 * compile. By registry name, they are checked when the source is made.
 */
export function scenario<S extends OptionsSpec>(definition: ScenarioDefinition<S>, options?: EngineOptions & OptionsInput<S>): Source;
export function scenario(name: string, options?: ScenarioOptions): Source;
export function scenario(nameOrDefinition: string | ScenarioDefinition, options: ScenarioOptions = {}): Source {
  return scenarioSource(nameOrDefinition, options);
}

/** scenario() without the typing, for callers holding options as data (the CLI, the dataset engine). */
export function scenarioSource(nameOrDefinition: string | ScenarioDefinition, options: ScenarioOptions = {}): Source {
  const plan = planScenario(nameOrDefinition, options);
  const { def, from, to, batchSize } = plan;

  return {
    kind: 'source',
    name: def.name,
    schema: def.schema,
    async *batches(): AsyncGenerator<Batch> {
      let pending: Row[] = [];
      let pendingOffset = from;
      for (let chunk = Math.floor(from / CHUNK_ROWS); chunk * CHUNK_ROWS < to; chunk++) {
        // Back to the event loop between chunks: a sink that never waits on I/O (Parquet builds
        // row groups in memory) would otherwise hold off SIGINT/SIGTERM until the whole table is done.
        if (chunk * CHUNK_ROWS > from) await new Promise((resolve) => setImmediate(resolve));
        const rows = chunkRows(plan, chunk);
        for (let i = 0; i < rows.length; ) {
          const take = Math.min(batchSize - pending.length, rows.length - i);
          if (pending.length === 0 && take === batchSize) {
            // The common case (batch size = chunk size): hand the rows on without copying.
            pending = take === rows.length ? rows : rows.slice(i, i + take);
          } else {
            for (let k = i; k < i + take; k++) pending.push(rows[k]!);
          }
          i += take;
          if (pending.length === batchSize) {
            yield { schema: def.schema, rows: pending, offset: pendingOffset };
            pendingOffset += batchSize;
            pending = [];
          }
        }
      }
      // An empty table still hands on one (empty) batch, so sinks can write its header or schema.
      if (pending.length > 0 || from === to) yield { schema: def.schema, rows: pending, offset: pendingOffset };
    },
  };
}

/** A scenario run planned: its rows [from, to) of `total`, made chunk by chunk (what worker threads share). */
export interface ScenarioPlan {
  def: ScenarioDefinition;
  total: number;
  from: number;
  to: number;
  batchSize: number;
  generator: ReturnType<ScenarioDefinition['plan']>;
  root: Rng;
  /** The scenario's own options, normalized. */
  options: Record<string, unknown>;
}

export function planScenario(nameOrDefinition: string | ScenarioDefinition, options: ScenarioOptions = {}, round = 0): ScenarioPlan {
  const def = typeof nameOrDefinition === 'string' ? findScenario(nameOrDefinition) : nameOrDefinition;
  const engineRaw: Record<string, unknown> = {};
  const ownRaw: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) (k in engineOptions ? engineRaw : ownRaw)[k] = v;
  const engine = normalizeOptions(def.name, engineOptions, engineRaw);
  const own = normalizeOptions(def.name, def.options, ownRaw);
  const total = engine.rows ?? def.defaultRows;
  const [from, to] = shardRange(def.name, engine.shard, total);
  // Round k > 0 of an endless run (pacedScenarioSource) draws from its own stream.
  const root = round === 0 ? Rng.seeded(engine.seed).fork(def.name) : Rng.seeded(engine.seed).fork(def.name, 'follow', round);
  // Planned now, so option mistakes surface before the first row moves.
  const generator = def.plan(own, { rows: total, rng: root.fork('plan'), seed: engine.seed });
  return { def, total, from, to, batchSize: engine.batchSize, generator, root, options: own };
}

/** The chunks holding rows [from, to). */
export function chunksOf(plan: ScenarioPlan): number[] {
  const out: number[] = [];
  for (let chunk = Math.floor(plan.from / CHUNK_ROWS); chunk * CHUNK_ROWS < plan.to; chunk++) out.push(chunk);
  return out;
}

/** Chunk j's rows within [from, to): the same rows in whichever thread makes them. */
export function chunkRows(plan: ScenarioPlan, chunk: number): Row[] {
  const { def, total, from, to } = plan;
  const start = chunk * CHUNK_ROWS;
  const count = Math.min(CHUNK_ROWS, total - start);
  let rows = plan.generator.rows(start, count, plan.root.fork('chunk', chunk));
  if (rows.length !== count) throw new Error(`${def.name}: chunk ${chunk} made ${rows.length} rows, expected ${count}`);
  if (start < from || start + count > to) rows = rows.slice(Math.max(0, from - start), Math.min(count, to - start));
  return rows;
}

function shardRange(owner: string, shard: string | undefined, total: number): [number, number] {
  if (shard === undefined) return [0, total];
  return shardRows(parseShard(owner, shard), total);
}

export interface PaceRun {
  pace: Pace;
  /** Without end (rows unbounded): see pacedScenarioSource. */
  follow?: boolean;
  clock?: Clock;
  signal?: AbortSignal;
  tickMs?: number;
}

/**
 * A scenario released at a real-time pace (src/core/pace.ts), its declared event-time column
 * (ScenarioInfo.eventTime) set from the virtual clock: row i at start + i/N s. Every other
 * column is what the unpaced run makes, so `--pace` with `--rows R` gives the unpaced rows
 * with only that column changed.
 *
 * `follow` is endless: plans are made for a known row count, so the stream is a sequence of
 * rounds of defaultRows rows each; round 0 is exactly the `--rows defaultRows` run and round k
 * the same scenario drawn from its own stream (seed, 'follow', k). Ids therefore start again
 * each round; the event time keeps rising across rounds, so it orders the stream.
 */
export function pacedScenarioSource(nameOrDefinition: string | ScenarioDefinition, options: ScenarioOptions, run: PaceRun): Source {
  const def = typeof nameOrDefinition === 'string' ? findScenario(nameOrDefinition) : nameOrDefinition;
  const time = def.eventTime;
  if (!time) {
    const able = listScenarios().filter((s) => s.eventTime).map((s) => s.name);
    throw new DatagenError('E_OPTION', `${def.name}: --pace needs a scenario that declares its event-time column; ${def.name} does not (scenarios that do: ${able.join(', ')})`);
  }
  if (options.shard !== undefined) throw new DatagenError('E_OPTION', `${def.name}: --pace cannot be combined with --shard ${options.shard} (one paced stream is one process)`);
  if (run.follow && options.rows !== undefined) throw new DatagenError('E_OPTION', `${def.name}: --follow runs without end; drop --rows ${options.rows} (or drop --follow for ${options.rows} paced rows)`);
  const first = planScenario(def, run.follow ? { ...options, rows: def.defaultRows } : options);
  const startMicros = (first.options[time.startOption] as number) * MICROS_PER_DAY;

  async function* rows(): AsyncGenerator<Batch> {
    if (!run.follow) {
      yield* scenarioSource(def, options).batches();
      return;
    }
    for (let round = 0; !run.signal?.aborted; round++) {
      const plan = round === 0 ? first : planScenario(def, { ...options, rows: def.defaultRows }, round);
      for (const chunk of chunksOf(plan)) {
        yield { schema: def.schema, rows: chunkRows(plan, chunk), offset: round * def.defaultRows + chunk * CHUNK_ROWS };
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
  }

  return {
    kind: 'source',
    name: def.name,
    schema: def.schema,
    batches: () => paced(virtualTime(rows(), time.column, startMicros, run.pace), run.pace, { clock: run.clock, signal: run.signal, tickMs: run.tickMs }),
  };
}
