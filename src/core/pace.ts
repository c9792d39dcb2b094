import { setTimeout as delay } from 'node:timers/promises';
import { DatagenError } from './errors.js';
import type { Row } from './schema.js';
import type { Batch } from './stage.js';

/**
 * Real-time pace (`--pace N/s`): two clocks that never meet.
 *
 * - The wall clock decides only WHEN rows leave: row i is due i/N s after the start, and the
 *   pacer hands on, at each tick (100 ms), the rows due by then as one batch. The schedule is
 *   counted from the start time, never by sleeping a fixed interval per batch, so it does not
 *   drift; a batch is handed on only when the consumer took the last one (backpressure).
 * - A virtual clock decides WHAT the rows say: row i's event time is start + i/N s, whatever
 *   the wall clock did, so the same seed and pace give the same bytes on any machine.
 *
 * Catch-up: after a stall (a slow consumer, a suspended process) the rows that fell due are
 * sent at once, in batches of at most maxBatch rows (one second's rows by default) with no
 * sleep between them; the schedule is never reset, so over a long run the mean rate is N/s.
 * A consumer that is always slower than N/s simply gets rows as fast as it takes them.
 */

export interface Pace {
  /** `rows` rows every `seconds` seconds (500/s = 500 per 1, 30/m = 30 per 60). */
  rows: number;
  seconds: number;
}

/** Where the pacer reads the time and waits: the real one, or a fake one in tests. */
export interface Clock {
  /** Milliseconds, from any fixed origin. */
  now(): number;
  /** Resolves after ms milliseconds, or early (without throwing) when signal aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const wallClock: Clock = {
  now: () => performance.now(),
  sleep: (ms, signal) => delay(ms, undefined, { signal }).catch(() => undefined),
};

const DEFAULT_TICK_MS = 100;
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600 };
/** Above this many rows per unit, microsecond event times would collide (and the exact integer maths below would not hold). */
export const MAX_PACE_ROWS = 1_000_000;

export function parsePace(owner: string, text: string): Pace {
  const m = /^\s*(\d+)\s*\/\s*(s|m|h)\s*$/.exec(text);
  const rows = m ? Number(m[1]) : NaN;
  if (!m || rows < 1 || rows > MAX_PACE_ROWS) {
    throw new DatagenError('E_OPTION', `${owner}: --pace must be a whole number of rows (1..${MAX_PACE_ROWS}) per s, m or h, e.g. 500/s, 30/m, 100/h; got ${JSON.stringify(text)}`);
  }
  return { rows, seconds: UNIT_SECONDS[m[2]!]! };
}

/** Row i's event time on the virtual clock, in µs after its start: i · seconds / rows, floored to whole µs (exact integers). */
export function virtualMicros(pace: Pace, i: number): number {
  const per = pace.seconds * 1_000_000;
  const q = Math.floor(i / pace.rows);
  const r = i - q * pace.rows;
  // r · per < rows · 3.6e9 <= 3.6e15 < 2^53: exact.
  return q * per + Math.floor((r * per) / pace.rows);
}

/** Wall-clock ms after the start at which row i is due. */
export function dueAt(pace: Pace, i: number): number {
  return (i * pace.seconds * 1000) / pace.rows;
}

/** How many rows are due `elapsed` ms after the start (row 0 is due at once). */
export function rowsDue(pace: Pace, elapsed: number): number {
  if (elapsed < 0) return 0;
  // The epsilon keeps a row whose due time is computed a hair late (float) from waiting a whole tick.
  return Math.floor((elapsed * pace.rows) / (pace.seconds * 1000) + 1e-9) + 1;
}

/** Rows due per tick when on schedule (at least 1): what a paced writer should group, e.g. Arrow record batches. */
export function rowsPerTick(pace: Pace, tickMs = DEFAULT_TICK_MS): number {
  return Math.max(1, Math.ceil((pace.rows * tickMs) / (pace.seconds * 1000)));
}

export interface PaceOptions {
  clock?: Clock;
  /** Wake-up grid in ms: rows due by each tick leave together (default 100). */
  tickMs?: number;
  /** Largest batch handed on at once, also while catching up (default: one second's rows). */
  maxBatch?: number;
  /** Ends the stream (cleanly, no error) when aborted. */
  signal?: AbortSignal;
}

/** The batches, re-cut and released on the wall-clock schedule of `pace` (see above). */
export async function* paced(batches: AsyncIterable<Batch>, pace: Pace, options: PaceOptions = {}): AsyncGenerator<Batch> {
  const clock = options.clock ?? wallClock;
  const tick = options.tickMs ?? DEFAULT_TICK_MS;
  const maxBatch = options.maxBatch ?? Math.max(1, Math.ceil(pace.rows / pace.seconds));
  const signal = options.signal;
  const start = clock.now();
  let sent = 0;
  for await (const batch of batches) {
    if (batch.rows.length === 0) {
      yield batch; // an empty table's one batch (a header, a schema)
      continue;
    }
    let i = 0;
    while (i < batch.rows.length) {
      if (signal?.aborted) return;
      const due = rowsDue(pace, clock.now() - start);
      if (due <= sent) {
        // Sleep to the tick on which the next row is due: whole ticks from the start, so small
        // batches of many rows rather than one write per row, and no drift.
        const wake = Math.ceil(dueAt(pace, sent) / tick) * tick;
        await clock.sleep(Math.max(1, wake - (clock.now() - start)), signal);
        continue;
      }
      const take = Math.min(due - sent, batch.rows.length - i, maxBatch);
      yield { schema: batch.schema, rows: batch.rows.slice(i, i + take), offset: batch.offset + i };
      i += take;
      sent += take;
    }
    if (signal?.aborted) return;
  }
}

/**
 * The batches with `column` set from the virtual clock: table row i (batch offset + position)
 * gets startMicros + virtualMicros(pace, i), so the times do not depend on batch boundaries.
 */
export async function* virtualTime(batches: AsyncIterable<Batch>, column: string, startMicros: number, pace: Pace): AsyncGenerator<Batch> {
  for await (const batch of batches) {
    const rows: Row[] = new Array(batch.rows.length);
    for (let k = 0; k < rows.length; k++) rows[k] = { ...batch.rows[k]!, [column]: startMicros + virtualMicros(pace, batch.offset + k) };
    yield { schema: batch.schema, rows, offset: batch.offset };
  }
}
