import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { expect } from 'vitest';
import { collect } from '../src/core/pipeline.js';
import { toJsonValue } from '../src/codecs/codec.js';
import type { LedgerEntry } from '../src/anomaly/ledger.js';
import { fieldValues, kindOf, type Row } from '../src/core/schema.js';
import type { Batch, Source } from '../src/core/stage.js';
import type { ScenarioDefinition } from '../src/core/units.js';
import { scenario, scenarioSource, type ScenarioOptions } from '../sources/scenario.js';

export const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

export const tempDir = (prefix = 'datagen-test-') => mkdtempSync(join(tmpdir(), prefix));

/** The compiled CLI, run as a user runs it, in real processes (build first: npm test does). */
export const BIN = join(import.meta.dirname, '..', 'bin', 'run.js');
/** A user's environment: vitest sets NODE_ENV=test, which makes oclif print developer warnings. */
export const cliEnv = { ...process.env, NODE_ENV: undefined };
/** Run a shell pipeline (pipefail on) in `cwd`; stdout and stderr come back as text. */
/**
 * stderr of a successful run: only the summary lines commands end with (`datagen: ..., 1.2s`,
 * src/cli/progress.ts), no warning or error.
 */
export const SUMMARIES_ONLY = /^(datagen: [^\n]*, \d+\.\ds\n)*$/;

export const sh = (script: string, cwd: string) => spawnSync('bash', ['-o', 'pipefail', '-c', script], { cwd, env: cliEnv, encoding: 'utf8', maxBuffer: 1 << 28 });

export async function attendanceRows(options: Record<string, unknown> = {}): Promise<Row[]> {
  return collect(scenario('attendance', { rows: 60_000, seed: 42, ...options }));
}

/** A source over fixed rows (for sink and transform tests). */
export function rowsSource(schema: Batch['schema'], rows: Row[], batchSize = 1000): Source {
  return {
    kind: 'source',
    name: 'fixture',
    schema,
    async *batches() {
      for (let i = 0; i < rows.length; i += batchSize) yield { schema, rows: rows.slice(i, i + batchSize), offset: i };
    },
  };
}

/** z-score bound for rate checks: |observed - expected| <= 4.5 standard errors. */
export function withinSamplingError(count: number, trials: number, p: number, z = 4.5): boolean {
  const sd = Math.sqrt(trials * p * (1 - p));
  return Math.abs(count - trials * p) <= z * sd;
}

// ---- Shared by the scenario tests (bank_transactions, credit_card_spend, customer_360) ----

/** All rows of a scenario run. */
export const scenarioRows = (def: ScenarioDefinition, options: ScenarioOptions): Promise<Row[]> => collect(scenarioSource(def, options));

/** `rows: n` gives exactly n rows, for counts around the chunk size. */
export async function expectExactRowCounts(def: ScenarioDefinition, counts: readonly number[] = [0, 1, 8193, 50_000]): Promise<void> {
  for (const n of counts) expect((await scenarioRows(def, { rows: n, seed: 3 })).length).toBe(n);
}

/**
 * `rows` (made with `options`) come out again with batch size 1000 and as 3 shards. Returns the
 * rows of seed + 1, for the caller's own "another seed differs" checks.
 */
export async function expectReproducible(def: ScenarioDefinition, rows: Row[], options: { rows: number; seed: number }): Promise<Row[]> {
  expect(await scenarioRows(def, { ...options, batchSize: 1000 })).toEqual(rows);
  const shards: Row[] = [];
  for (let i = 0; i < 3; i++) shards.push(...(await scenarioRows(def, { ...options, shard: `${i}/3` })));
  expect(shards).toEqual(rows);
  return scenarioRows(def, { ...options, seed: options.seed + 1 });
}

/** Every closed-set column holds only its declared values (or null where nullable), and each declared value occurs. */
export function expectClosedSets(def: ScenarioDefinition, rows: Row[]): void {
  for (const field of def.schema.fields) {
    const values = fieldValues(field);
    if (!values) continue;
    const allowed = new Set<unknown>(values);
    if (field.nullable) allowed.add(null);
    const seen = new Set(rows.map((r) => r[field.name]));
    for (const v of seen) expect(allowed.has(v), `${field.name}: ${String(v)}`).toBe(true);
    for (const v of values) expect(seen.has(v), `${field.name}: ${v} never occurs`).toBe(true);
    expect(seen.size, field.name).toBeGreaterThanOrEqual(values.length);
  }
}

/** An end date before the start date is an option error. */
export function expectRejectsEndBeforeStart(def: ScenarioDefinition): void {
  expect(() => scenarioSource(def, { start: '2024-02-01', end: '2024-01-01' })).toThrowError(expect.objectContaining({ code: 'E_OPTION' }));
}

/** India time (UTC+05:30) in microseconds, for scenarios whose days and hours are India's. */
export const IST = 19_800_000_000;
export const HOUR = 3_600_000_000;
export const DAY = 24 * HOUR;
/** Days since the epoch of an instant, in India. */
export const istDay = (ts: number) => Math.floor((ts + IST) / DAY);
/** Hour of day (0-23) of an instant, in India. */
export const istHour = (ts: number) => Math.floor((ts + IST - istDay(ts) * DAY) / HOUR);
/** The instant (µs, UTC) of midnight in India on a calendar day (month 1-12). */
export const istMidnight = (year: number, month: number, day: number) => Date.UTC(year, month - 1, day) * 1000 - IST;
/** Rows per India hour of day. */
export function istHourCounts(timestamps: readonly number[]): number[] {
  const byHour = new Array<number>(24).fill(0);
  for (const t of timestamps) byHour[istHour(t)]++;
  return byHour;
}

/** Every value in [from, to), never decreasing with the index. */
export function expectOrderedWithin(values: readonly number[], from: number, to: number): void {
  const bad = values.flatMap((t, i) => (t < from || t >= to || (i > 0 && t < values[i - 1]!) ? [`${i}: ${t}`] : []));
  expect(bad.slice(0, 3)).toEqual([]);
}

/** The upper median (element n / 2 of the sorted copy). */
export const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
/** Share of rows satisfying `pred`. */
export const share = (rows: readonly Row[], pred: (r: Row) => boolean) => rows.filter(pred).length / rows.length;
/** Share of rows flagged is_fraud. */
export const fraudShare = (rows: readonly Row[]) => share(rows, (r) => Boolean(r.is_fraud));

/** The top 10% of rows by `value` within each group (by `group`), and the rest. */
export function topDecileByGroup(rows: readonly Row[], group: (r: Row) => unknown, value: (r: Row) => number): { top: Row[]; rest: Row[] } {
  const top: Row[] = [];
  const rest: Row[] = [];
  for (const g of new Set(rows.map(group))) {
    const sel = rows.filter((r) => group(r) === g).sort((a, b) => value(a) - value(b));
    top.push(...sel.slice(Math.floor(sel.length * 0.9)));
    rest.push(...sel.slice(0, Math.floor(sel.length * 0.9)));
  }
  return { top, rest };
}

/** Every cell that differs between input and output, as ledger-like records (for ledger-completeness tests). */
export function cellDiff(schema: Batch['schema'], before: Row[], after: Row[]) {
  const out: Array<{ row: number; column: string; before: unknown; after: unknown }> = [];
  const fields = schema.fields.map((f) => [f.name, kindOf(f.type), (f.type as { scale?: number }).scale ?? 0] as const);
  expect(after.length).toBe(before.length);
  before.forEach((r, i) => {
    for (const [c, kind, scale] of fields) {
      if (r[c] !== after[i]![c]) out.push({ row: i, column: c, before: toJsonValue(kind, r[c]!, scale), after: toJsonValue(kind, after[i]![c]!, scale) });
    }
  });
  return out;
}

/** A ledger entry in the shape cellDiff returns. */
export const asDiff = (e: LedgerEntry) => ({ row: e.row, column: e.column, before: e.before, after: e.after });

/** sha256 of every file under `dir`, by its path relative to `dir` (to compare two output folders). */
export function tree(dir: string, base = dir): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) Object.assign(out, tree(p, base));
    else out[relative(base, p).split(sep).join('/')] = sha256(readFileSync(p));
  }
  return out;
}
