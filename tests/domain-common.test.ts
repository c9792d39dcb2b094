import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collect } from '../src/core/pipeline.js';
import { Zipf } from '../src/random/distributions.js';
import { defineTable, types, type Row } from '../src/core/schema.js';
import { MICROS_PER_DAY, parseDate } from '../src/core/temporal.js';
import { defineScenario, type PlanContext, type RowGenerator } from '../src/core/units.js';
import { extendRows, numberList, segmentOf, zipRows } from '../sources/domain.js';
import { funnelEvents } from '../sources/funnel-events.js';
import { sales } from '../sources/sales.js';
import { scenario } from '../sources/scenario.js';
import { sensorSeries } from '../sources/sensor-series.js';

/** Combining generators into a user's own scenario, and what all domain generators share. */
const table = (fields: string[], build: (ctx: PlanContext) => RowGenerator) =>
  defineScenario({
    name: 'combined',
    summary: '',
    examples: [],
    schema: defineTable('combined', 'test', Object.fromEntries(fields.map((f) => [f, { type: types.float64(), description: f }]))),
    rules: [],
    options: {},
    defaultRows: 0,
    plan: (_o, ctx) => build(ctx),
  });

const START = parseDate('2024-01-01')!;

describe('combining domain generators', () => {
  const orders = (ctx: PlanContext) => sales({ startDay: START, endDay: START + 89, amountMedian: 30, amountSigma: 0.5 }, ctx);

  it('extendRows adds a column drawn from its own stream, chunk-addressably, leaving the others as they were', async () => {
    const customers = new Zipf(500, 1.1);
    const withCustomers = table(['order_id', 'order_date', 'amount', 'customer_id'], (ctx) =>
      extendRows(orders(ctx), 'customer_id', (row, _i, rng) => {
        row.customer_id = customers.sample(rng);
      }),
    );
    const plain = await collect(scenario(table(['order_id', 'order_date', 'amount'], orders), { rows: 30_000, seed: 4 }));
    const rows = await collect(scenario(withCustomers, { rows: 30_000, seed: 4 }));
    expect(rows.map(({ order_id, order_date, amount }) => ({ order_id, order_date, amount }))).toEqual(plain);
    // Zipf: customer 1 is the most frequent
    const counts = new Map<number, number>();
    for (const r of rows) counts.set(r.customer_id as number, (counts.get(r.customer_id as number) ?? 0) + 1);
    expect(Math.max(...counts.values())).toBe(counts.get(1));
    expect(await collect(scenario(withCustomers, { rows: 30_000, seed: 4, batchSize: 777 }))).toEqual(rows);
    const shards: Row[] = [];
    for (let i = 0; i < 4; i++) shards.push(...(await collect(scenario(withCustomers, { rows: 30_000, seed: 4, shard: `${i}/4` }))));
    expect(shards).toEqual(rows);
  });

  it('zipRows puts two sensor signals with different noise side by side, row by row', async () => {
    const sensor = (field: string, level: number) => (ctx: PlanContext) =>
      sensorSeries({ devices: 3, startMicros: START * MICROS_PER_DAY, cadenceSeconds: 60, signals: { [field]: { level, noiseSd: 1 } } }, ctx);
    const both = table(['device_id', 'timestamp', 'a', 'b'], (ctx) => zipRows(sensor('a', 0)(ctx), sensor('b', 100)(ctx)));
    const rows = await collect(scenario(both, { rows: 9_000, seed: 1 }));
    expect(rows.length).toBe(9_000);
    rows.forEach((r, i) => {
      if (r.device_id !== (i % 3) + 1 || r.timestamp !== START * MICROS_PER_DAY + Math.floor(i / 3) * 60e6) throw new Error(`row ${i}: ${JSON.stringify(r)}`);
    });
    const corr = (() => {
      const a = rows.map((r) => r.a as number);
      const b = rows.map((r) => (r.b as number) - 100);
      return a.reduce((s, x, i) => s + x * b[i]!, 0) / Math.sqrt(a.reduce((s, x) => s + x * x, 0) * b.reduce((s, x) => s + x * x, 0));
    })();
    expect(Math.abs(corr)).toBeLessThan(0.05); // independent streams, not the same noise twice
  });
});

describe('shared pieces', () => {
  it('segmentOf skips empty segments', () => {
    const cum = [0, 2, 2, 2, 5, 6];
    expect([0, 1, 2, 3, 4, 5].map((i) => segmentOf(cum, 5, i))).toEqual([0, 0, 3, 3, 3, 4]);
  });

  it('numberList reads CLI lists and names the option when they are wrong', () => {
    expect(numberList('x', 'f', ['1', '2.5'], 2)).toEqual([1, 2.5]);
    expect(() => numberList('x', 'f', ['1', 'a'], 2)).toThrow(/^x: f must be 2 numbers >= 0, got "1,a"$/);
  });

  it('a user whose sessions cannot fit the range gets them squeezed inside it, still in order', async () => {
    const tight = table(['user_id', 'session_id', 'event_time', 'event_type'], (ctx) =>
      funnelEvents({ startDay: START, endDay: START, sessionsPerUser: 30, viewsPerSession: 3, cartShare: 0.2, purchaseShare: 0.1, sessionBreakMinutes: 120 }, ctx),
    );
    const rows = await collect(scenario(tight, { rows: 20_000, seed: 2 }));
    rows.forEach((r, i) => {
      const t = r.event_time as number;
      if (t < START * MICROS_PER_DAY || t >= (START + 1) * MICROS_PER_DAY) throw new Error(`row ${i} outside the day`);
      const prev = rows[i - 1];
      if (prev && prev.user_id === r.user_id && !(t > (prev.event_time as number))) throw new Error(`row ${i} not after row ${i - 1}`);
    });
  });

  it('generation code never calls Math.random or reads the clock', () => {
    const files = ['sources/domain.ts', 'sources/sensor-series.ts', 'sources/measurements.ts', 'sources/sales.ts', 'sources/funnel-events.ts', 'scenarios/iot_sensors.ts', 'scenarios/experiments.ts', 'scenarios/sales.ts', 'scenarios/ecommerce_events.ts'];
    for (const f of files) {
      const text = readFileSync(join(import.meta.dirname, '..', f), 'utf8');
      expect(text, f).not.toMatch(/Math\.random|Date\.now|new Date\(|performance\.now|process\.hrtime/);
    }
  });
});
