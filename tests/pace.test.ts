import { spawn, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { dueAt, parsePace, paced, rowsDue, virtualMicros, type Clock, type Pace } from '../src/core/pace.js';
import { collect } from '../src/core/pipeline.js';
import type { Row } from '../src/core/schema.js';
import type { Batch } from '../src/core/stage.js';
import { MICROS_PER_DAY, parseDate } from '../src/core/temporal.js';
import { pacedScenarioSource, scenarioSource } from '../sources/scenario.js';
import { BIN, cliEnv, sh, tempDir } from './helpers.js';

/**
 * Real-time pace (src/core/pace.ts): the scheduler runs on a fake clock (time moves only when
 * the pacer sleeps or the test says the consumer was slow), so nothing here sleeps for real
 * and nothing asserts on elapsed wall time.
 */

/** A clock whose time moves only by sleep() (plus `overshoot`, as a busy machine wakes late) and advance(). */
class FakeClock implements Clock {
  t = 1000; // any origin: the pacer measures from its first now()
  sleeps: number[] = [];
  constructor(private readonly overshoot = 0) {}
  now = () => this.t;
  sleep = async (ms: number, signal?: AbortSignal) => {
    this.sleeps.push(ms);
    if (signal?.aborted) return;
    this.t += ms + this.overshoot;
    await Promise.resolve();
  };
  advance(ms: number) {
    this.t += ms;
  }
}

const schema = scenarioSource('ecommerce_events', { rows: 0 }).schema;

/** n numbered rows in batches of `size` (the upstream's own cut, which pacing must not depend on). */
async function* numbered(n: number, size: number): AsyncGenerator<Batch> {
  for (let i = 0; i < n; i += size) {
    const rows: Row[] = [];
    for (let k = i; k < Math.min(n, i + size); k++) rows.push({ i: k });
    yield { schema, rows, offset: i };
  }
}

/** Each batch the pacer hands on, with the fake time it left at (relative to the start). */
async function drain(pace: Pace, clock: FakeClock, source: AsyncIterable<Batch>, options: { consumer?: (b: Batch, n: number) => void; tickMs?: number; maxBatch?: number; signal?: AbortSignal } = {}) {
  const start = clock.t;
  const out: Array<{ at: number; rows: number; first: number; offset: number }> = [];
  for await (const b of paced(source, pace, { clock, tickMs: options.tickMs, maxBatch: options.maxBatch, signal: options.signal })) {
    out.push({ at: clock.t - start, rows: b.rows.length, first: b.rows[0]!.i as number, offset: b.offset });
    options.consumer?.(b, out.length);
  }
  return out;
}

describe('parsePace and the virtual clock', () => {
  it('reads N/s, N/m, N/h and refuses anything else with one line', () => {
    expect(parsePace('x', '500/s')).toEqual({ rows: 500, seconds: 1 });
    expect(parsePace('x', '30/m')).toEqual({ rows: 30, seconds: 60 });
    expect(parsePace('x', '100/h')).toEqual({ rows: 100, seconds: 3600 });
    for (const bad of ['500', '0/s', '5/x', '1.5/s', '-3/s', '2000000/s', '']) {
      expect(() => parsePace('pipe x', bad)).toThrow(/--pace must be a whole number/);
    }
  });

  it('row i is exactly i/N s after the start, floored to whole microseconds', () => {
    const exact = (p: Pace, i: number) => Number((BigInt(i) * BigInt(p.seconds * 1_000_000)) / BigInt(p.rows));
    for (const p of [parsePace('x', '500/s'), parsePace('x', '3/s'), parsePace('x', '7/m'), parsePace('x', '999983/h'), parsePace('x', '1000000/s')]) {
      for (const i of [0, 1, 2, 3, 499, 500, 501, 123_456_789, 9_876_543_210]) expect(virtualMicros(p, i)).toBe(exact(p, i));
    }
    expect(virtualMicros(parsePace('x', '500/s'), 1)).toBe(2000);
    expect(virtualMicros(parsePace('x', '3/s'), 1)).toBe(333_333);
  });

  it('rowsDue and dueAt agree: row i is due at dueAt(i), not a hair later', () => {
    for (const p of [parsePace('x', '3/s'), parsePace('x', '7/m'), parsePace('x', '500/s')]) {
      for (let i = 0; i < 2000; i++) {
        expect(rowsDue(p, dueAt(p, i))).toBe(i + 1);
        if (i > 0) expect(rowsDue(p, dueAt(p, i) - 0.5)).toBe(i);
      }
    }
  });
});

describe('paced(): the wall-clock schedule (fake clock)', () => {
  it('hands on the rows due by each 100 ms tick as one batch, whatever the upstream batch size', async () => {
    const pace = parsePace('x', '500/s');
    for (const size of [7, 50, 8192]) {
      const clock = new FakeClock();
      const out = await drain(pace, clock, numbered(2001, size));
      // Row 0 at once; then on every tick the 50 rows that fell due (split only where the upstream batch ends).
      expect(out[0]).toMatchObject({ at: 0, rows: 1, first: 0 });
      const perTick = new Map<number, number>();
      for (const b of out) perTick.set(b.at, (perTick.get(b.at) ?? 0) + b.rows);
      expect([...perTick.keys()]).toEqual(Array.from({ length: 41 }, (_, k) => k * 100));
      expect([...perTick.values()].slice(1)).toEqual(Array(40).fill(50));
      // In order, every row once, offsets = the first row's index.
      let next = 0;
      for (const b of out) {
        expect(b.first).toBe(next);
        expect(b.offset).toBe(next);
        next += b.rows;
      }
      expect(next).toBe(2001);
      // Sleeps go to the next tick, never one per row.
      expect(clock.sleeps.every((ms) => ms >= 1)).toBe(true);
      expect(clock.sleeps.length).toBe(40);
    }
  });

  it('a slow rate waits whole ticks: 3/s sends one row on the ticks at 0, 400, 700, 1000 ms', async () => {
    const clock = new FakeClock();
    const out = await drain(parsePace('x', '3/s'), clock, numbered(7, 100));
    expect(out.map((b) => [b.at, b.rows])).toEqual([[0, 1], [400, 1], [700, 1], [1000, 1], [1400, 1], [1700, 1], [2000, 1]]);
  });

  it('does not drift: late wake-ups and a consumer that takes time do not add up over 2000 ticks', async () => {
    const pace = parsePace('x', '1000/s');
    // Every sleep wakes 7 ms late and every write takes 13 ms: 20 ms per tick that a per-batch sleep would add.
    const clock = new FakeClock(7);
    const rows = 200_000;
    let behind = 0;
    const out = await drain(pace, clock, numbered(rows, 8192), {
      consumer: () => clock.advance(13),
      tickMs: 100,
    });
    let sent = 0;
    for (const b of out) {
      sent += b.rows;
      // What left by time `at` is never more than was due, and at most one tick's lateness behind.
      expect(sent).toBeLessThanOrEqual(rowsDue(pace, b.at));
      behind = Math.max(behind, rowsDue(pace, b.at) - sent);
    }
    expect(sent).toBe(rows);
    expect(behind).toBeLessThanOrEqual(100); // at most one tick's rows waiting on a batch boundary
    // The last row is due at 199.999 s; it left within one tick plus the lateness, not 2000 · 20 ms later.
    const last = out.at(-1)!.at;
    expect(last).toBeGreaterThanOrEqual(dueAt(pace, rows - 1));
    expect(last).toBeLessThan(dueAt(pace, rows - 1) + 100 + 20);
  });

  it('after a stall, catches up at once in batches of at most one second of rows, then is back on the tick', async () => {
    const pace = parsePace('x', '500/s');
    const clock = new FakeClock();
    // The consumer stalls 5 s on its 10th batch (2500 rows fall due meanwhile).
    const out = await drain(pace, clock, numbered(6000, 8192), { consumer: (_b, n) => n === 10 && clock.advance(5000) });
    const stallAt = out[9]!.at;
    const burst = out.slice(10).filter((b) => b.at === stallAt + 5000);
    expect(burst.map((b) => b.rows)).toEqual([500, 500, 500, 500, 500]);
    // Then one tick's 50 rows per tick again.
    const after = out.slice(10 + burst.length, 20);
    expect(after.map((b) => b.rows)).toEqual(Array(after.length).fill(50));
    expect(out.reduce((n, b) => n + b.rows, 0)).toBe(6000);
    // The schedule was not reset: the last row left at its own due tick (11.998 s -> 12 s).
    expect(out.at(-1)!.at).toBe(12_000);
  });

  it('maxBatch bounds every batch', async () => {
    const out = await drain(parsePace('x', '1000000/s'), new FakeClock(), numbered(300_000, 8192), { maxBatch: 1000 });
    expect(Math.max(...out.map((b) => b.rows))).toBeLessThanOrEqual(1000);
  });

  it('stops cleanly when aborted, between batches or while asleep', async () => {
    const pace = parsePace('x', '100/s');
    const between = new AbortController();
    const a = await drain(pace, new FakeClock(), numbered(10_000, 8192), { signal: between.signal, consumer: (_b, n) => n === 3 && between.abort() });
    expect(a.length).toBe(3);

    const asleep = new AbortController();
    const clock = new FakeClock();
    const sleep = clock.sleep;
    clock.sleep = async (ms, signal) => {
      if (clock.sleeps.length === 1) asleep.abort(); // during the second sleep
      return sleep(ms, signal);
    };
    const b = await drain(pace, clock, numbered(10_000, 8192), { signal: asleep.signal });
    expect(b.length).toBe(2);
  });
});

describe('pacedScenarioSource: deterministic rows and virtual event times', () => {
  const start = parseDate('2024-01-01') * MICROS_PER_DAY;

  it('--rows R paced = the unpaced rows with only event_time replaced by start + i/N s, for any tick', async () => {
    const plain = await collect(scenarioSource('ecommerce_events', { rows: 3000, seed: 7 }));
    const pace = parsePace('x', '2000/s');
    const a = await collect(pacedScenarioSource('ecommerce_events', { rows: 3000, seed: 7 }, { pace, clock: new FakeClock() }));
    const b = await collect(pacedScenarioSource('ecommerce_events', { rows: 3000, seed: 7 }, { pace, clock: new FakeClock(3), tickMs: 37 }));
    expect(b).toEqual(a);
    expect(a.length).toBe(3000);
    a.forEach((row, i) => {
      expect(row.event_time).toBe(start + i * 500);
      expect({ ...row, event_time: 0 }).toEqual({ ...plain[i]!, event_time: 0 });
    });
  });

  it('--follow runs past the first round (defaultRows) with rising times, round 0 = the --rows run', async () => {
    const pace = parsePace('x', '1000000/s');
    const stop = new AbortController();
    const rows: Row[] = [];
    const source = pacedScenarioSource('ecommerce_events', { seed: 7 }, { pace, follow: true, clock: new FakeClock(), signal: stop.signal });
    for await (const b of source.batches()) {
      rows.push(...b.rows);
      if (rows.length >= 101_000) stop.abort();
    }
    expect(rows.length).toBeGreaterThanOrEqual(101_000);
    rows.forEach((row, i) => expect(row.event_time).toBe(start + i));
    const bounded = await collect(scenarioSource('ecommerce_events', { rows: 100_000, seed: 7 }));
    for (const i of [0, 1, 8191, 8192, 99_999]) expect({ ...rows[i]!, event_time: 0 }).toEqual({ ...bounded[i]!, event_time: 0 });
    // Round 1 starts a new run drawn from its own stream: user 1 again, other draws.
    expect(rows[100_000]!.user_id).toBe(1);
    expect(rows.slice(100_000, 100_050).map((r) => r.event_type)).not.toEqual(bounded.slice(0, 50).map((r) => r.event_type));
  }, 60_000);

  it('refuses what it cannot do, naming the value', () => {
    const pace = parsePace('x', '10/s');
    expect(() => pacedScenarioSource('loans', {}, { pace })).toThrow(/loans does not \(scenarios that do: .*ecommerce_events/);
    expect(() => pacedScenarioSource('ecommerce_events', { rows: 10 }, { pace, follow: true })).toThrow(/drop --rows 10/);
    expect(() => pacedScenarioSource('ecommerce_events', { shard: '0/2' }, { pace })).toThrow(/--shard 0\/2/);
  });
});

describe('datagen pipe --pace / --follow (CLI, real clock, no timing assertions)', () => {
  const dir = tempDir('datagen-pace-');
  const run = (args: string) => spawnSync('node', [BIN, ...args.split(' ')], { cwd: dir, env: cliEnv, encoding: 'utf8' });

  let paced300 = '';
  it('--pace 2000/s --rows 300 finishes with 300 rows; the same bytes twice; times start + i/2000 s', () => {
    const a = run('pipe ecommerce_events --pace 2000/s --rows 300');
    paced300 = a.stdout;
    const b = run('pipe ecommerce_events --pace 2000/s --rows 300');
    expect(a.status).toBe(0);
    expect(a.stderr).toMatch(/^datagen: pipe ecommerce_events: 300 rows to stdout, .*\n$/);
    expect(b.stdout).toBe(a.stdout);
    const lines = a.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines.length).toBe(300);
    lines.forEach((r, i) => expect(Date.parse(r.event_time) * 1000 + Number(r.event_time.slice(23, 26))).toBe(Date.UTC(2024, 0, 1) * 1000 + i * 500));
    // Only the event-time column differs from the unpaced run.
    const plain = run('pipe ecommerce_events --rows 300').stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    lines.forEach((r, i) => expect({ ...r, event_time: '' }).toEqual({ ...plain[i], event_time: '' }));
  }, 60_000);

  it('--follow | head -n 50 exits 0 with 50 lines: the first 50 of the paced run, a summary line, no trace', () => {
    // ecommerce_events' row i does not depend on the row count: the first 50 of the 300 above.
    const first = paced300.split('\n').slice(0, 50).join('\n') + '\n';
    const r = sh(`node ${BIN} pipe ecommerce_events --pace 2000/s --follow | head -n 50`, dir);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(first);
    expect(r.stderr).toMatch(/^datagen: pipe ecommerce_events: [\d,]+ rows to stdout, .*\n$/);
    // Arrow IPC keeps the pace through the next datagen command (record batches of one tick's rows) and the same rows.
    const ipc = sh(`node ${BIN} pipe ecommerce_events --pace 200/s --follow --ipc | node ${BIN} jsonl | head -n 50`, dir);
    expect(ipc.status).toBe(0);
    const times = ipc.stdout.trimEnd().split('\n').map((l) => JSON.parse(l).event_time);
    expect(times.length).toBe(50);
    expect(times[49]).toBe('2024-01-01T00:00:00.245000Z');
  }, 60_000);

  it('Ctrl-C (SIGINT) ends --follow with the summary line and exit 130', async () => {
    const child = spawn('node', [BIN, 'pipe', 'ecommerce_events', '--pace', '200/s', '--follow'], { cwd: dir, env: cliEnv });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d) => {
        stdout += d;
        if (stdout.split('\n').length > 3) resolve();
      });
    });
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code).toBe(130);
    expect(stderr).toMatch(/^datagen: pipe ecommerce_events: [\d,]+ rows to stdout, .*\n$/);
  }, 60_000);

  it('mistakes are one line with E_OPTION', () => {
    for (const [args, message] of [
      ['pipe ecommerce_events --follow', /--follow needs --pace N\/s/],
      ['pipe ecommerce_events --pace 5/x', /--pace must be a whole number .* got "5\/x"/],
      ['pipe ecommerce_events --pace 5/s --follow --rows 10', /--follow runs without end; drop --rows 10/],
      ['generate ecommerce_events --pace 5/s --rows 3 --out e.csv', /--pace writes to stdout only, one worker: use --out - \(got --out e.csv\)/],
      ['generate ecommerce_events --pace 5/s --rows 3 --out - --format parquet', /--pace needs a format written as it goes \(csv, jsonl, log, arrow\); parquet/],
    ] as const) {
      const r = run(args);
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(new RegExp(`^datagen: .*${message.source}.* \\[E_OPTION\\]\\n$`));
    }
  }, 60_000);
});
