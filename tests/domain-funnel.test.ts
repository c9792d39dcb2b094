import { beforeAll, describe, expect, it } from 'vitest';
import { collect } from '../src/core/pipeline.js';
import { Rng } from '../src/random/rng.js';
import { defineTable, types, type Row } from '../src/core/schema.js';
import { MICROS_PER_DAY, parseDate } from '../src/core/temporal.js';
import { defineScenario, type PlanContext, type RowGenerator } from '../src/core/units.js';
import { ecommerceEvents } from '../scenarios/ecommerce_events.js';
import { funnelEvents, type FunnelEvents, type FunnelParams } from '../sources/funnel-events.js';
import { scenario } from '../sources/scenario.js';
import { withinSamplingError } from './helpers.js';

const N = 60_000;

interface Names {
  user: string;
  session: string;
  time: string;
  type: string;
  labels: readonly [string, string, string];
}
const DEFAULT_NAMES: Names = { user: 'user_id', session: 'session_id', time: 'event_time', type: 'event_type', labels: ['view', 'add_to_cart', 'purchase'] };

/** Rows grouped by (user, session); checks contiguity on the way. */
function sessionsOf(rows: Row[], n: Names): Row[][] {
  const out: Row[][] = [];
  const seen = new Set<string>();
  let key = '';
  rows.forEach((r, i) => {
    const k = `${r[n.user]}/${r[n.session]}`;
    if (k !== key) {
      if (seen.has(k)) throw new Error(`row ${i}: session ${k} is not contiguous`);
      seen.add(k);
      key = k;
      out.push([]);
    }
    out[out.length - 1]!.push(r);
  });
  return out;
}

/** Every ordering rule, on every session; throws with the offending session. */
function checkFunnel(rows: Row[], n: Names, startDay: number, endDay: number, breakMinutes: number) {
  const [VIEW, CART, PURCHASE] = n.labels;
  const sessions = sessionsOf(rows, n);
  const lo = startDay * MICROS_PER_DAY;
  const hi = (endDay + 1) * MICROS_PER_DAY;
  let lastUser = 0;
  let lastSession = 0;
  let lastEnd = -Infinity;
  for (const s of sessions) {
    const fail = (why: string) => {
      throw new Error(`${why}: ${JSON.stringify(s)}`);
    };
    const user = s[0]![n.user] as number;
    const session = s[0]![n.session] as number;
    if (user !== lastUser && user !== lastUser + 1) fail('users not in order');
    if (session !== lastSession + 1) fail('session ids not consecutive');
    if (user === lastUser && (s[0]![n.time] as number) < lastEnd + breakMinutes * 60e6) fail('sessions of a user overlap or are too close');
    if (s[0]![n.type] !== VIEW) fail('session does not open with a view');
    let carts = 0;
    let purchases = 0;
    for (let k = 0; k < s.length; k++) {
      const t = s[k]![n.time] as number;
      if (!(t >= lo && t < hi)) fail('time outside the range');
      if (k > 0 && !(t > (s[k - 1]![n.time] as number))) fail('time not strictly increasing');
      if (t % 1000 !== 0) fail('time not on whole milliseconds');
      const type = s[k]![n.type];
      if (type === CART) carts++;
      else if (type === PURCHASE) {
        purchases++;
        if (carts === 0 || purchases > carts) fail('purchase without an earlier add_to_cart');
      } else if (type !== VIEW) fail(`unknown event type ${String(type)}`);
    }
    lastUser = user;
    lastSession = session;
    lastEnd = s[s.length - 1]![n.time] as number;
  }
  return sessions;
}

const share = (rows: Row[], field: string, value: string) => rows.filter((r) => r[field] === value).length;

describe('ecommerce_events scenario', () => {
  let rows: Row[];
  beforeAll(async () => {
    rows = await collect(scenario(ecommerceEvents, { rows: N, seed: 42 }));
  });

  it('declares a registry name, examples for generate and pipe, and 100,000 default rows', () => {
    expect(ecommerceEvents.name).toBe('ecommerce_events');
    expect(ecommerceEvents.defaultRows).toBe(100_000);
    expect(ecommerceEvents.examples.some((e) => e.startsWith('datagen generate ecommerce_events'))).toBe(true);
    expect(ecommerceEvents.examples.some((e) => e.startsWith('datagen pipe ecommerce_events'))).toBe(true);
  });

  it('makes exactly the rows asked for', async () => {
    for (const n of [0, 1, 8193, 50_000]) expect((await collect(scenario(ecommerceEvents, { rows: n, seed: 1 }))).length).toBe(n);
    expect(rows.length).toBe(N);
  });

  it('is deterministic: same seed equal, other seed different, batch size and shards change nothing', async () => {
    expect(await collect(scenario(ecommerceEvents, { rows: N, seed: 42, batchSize: 1000 }))).toEqual(rows);
    const other = await collect(scenario(ecommerceEvents, { rows: N, seed: 43 }));
    expect(other.filter((r, i) => r.event_time !== rows[i]!.event_time).length).toBeGreaterThan(N * 0.9);
    // Chunk and shard boundaries cut sessions; both sides must agree with one run.
    const parts: Row[] = [];
    for (let i = 0; i < 7; i++) parts.push(...(await collect(scenario(ecommerceEvents, { rows: N, seed: 42, shard: `${i}/7` }))));
    expect(parts).toEqual(rows);
  });

  it('rule: view / add_to_cart / purchase shares about 70/20/10% within sampling error', () => {
    // Events cluster in sessions (design effect ~1.8 measured over seeds), so 4.5 binomial
    // standard errors are ~3.3 real ones: still a test that a 1-point bias fails.
    expect(withinSamplingError(share(rows, 'event_type', 'view'), N, 0.7)).toBe(true);
    expect(withinSamplingError(share(rows, 'event_type', 'add_to_cart'), N, 0.2)).toBe(true);
    expect(withinSamplingError(share(rows, 'event_type', 'purchase'), N, 0.1)).toBe(true);
  });

  it('rules: ordering on every session — opens with a view, purchases after carts, times rising in range, sessions apart', () => {
    const sessions = checkFunnel(rows, DEFAULT_NAMES, parseDate('2024-01-01')!, parseDate('2024-03-31')!, 30);
    expect(sessions.length).toBeGreaterThan(N / 10);
    // Users with several sessions exist, and sessions are spread over the range.
    const users = new Set(rows.map((r) => r.user_id)).size;
    expect(sessions.length / users).toBeGreaterThan(2.5);
    expect(sessions.length / users).toBeLessThan(3.5);
    const months = new Set(rows.map((r) => Math.floor((r.event_time as number) / MICROS_PER_DAY / 30)));
    expect(months.size).toBeGreaterThanOrEqual(3);
  });

  it('rejects bad options', () => {
    expect(() => scenario(ecommerceEvents, { cartShare: 0.1, purchaseShare: 0.2 })).toThrow(/ecommerce_events: purchaseShare must be a number between 0 and 0.1/);
    expect(() => scenario(ecommerceEvents, { cartShare: 0.6, purchaseShare: 0.5 })).toThrow(/cartShare \+ purchaseShare must be below 1/);
  });
});

// ---------------------------------------------------------------- the generator on its own

const schema = defineTable('clicks', 'direct use', {
  visitor: { type: types.string(), description: 'visitor', key: true },
  ts: { type: types.timestamp(), description: 'time', key: true },
  action: { type: types.string(), description: 'action', values: ['impression', 'basket', 'order'] },
});
const direct = (build: (ctx: PlanContext) => RowGenerator) =>
  defineScenario({ name: 'clicks', summary: '', examples: [], schema, rules: [], options: {}, defaultRows: 0, plan: (_o, ctx) => build(ctx) });

describe('funnelEvents used directly: other shares, own labels and fields, no session column, a one-day range', () => {
  const day = parseDate('2024-11-29')!;
  const params: FunnelParams = {
    startDay: day,
    endDay: day,
    sessionsPerUser: 2,
    viewsPerSession: 8,
    cartShare: 0.25,
    purchaseShare: 0.05,
    cartSessionShare: 0.6,
    meanGapSeconds: 20,
    sessionBreakMinutes: 60,
    userField: 'visitor',
    sessionField: null,
    timeField: 'ts',
    typeField: 'action',
    eventTypes: ['impression', 'basket', 'order'],
    userId: (u) => `V${u}`,
  };
  let gen: FunnelEvents;
  let rows: Row[];
  beforeAll(async () => {
    rows = await collect(scenario(direct((ctx) => (gen = funnelEvents(params, ctx))), { rows: N, seed: 8 }));
  });

  it('uses its own columns and labels, users in order', () => {
    expect(Object.keys(rows[0]!).sort()).toEqual(['action', 'ts', 'visitor']);
    expect(gen.expectedShares).toEqual([0.7, 0.25, 0.05]);
    rows.forEach((r, i) => {
      if (r.visitor !== `V${gen.userOf(i)}`) throw new Error(`row ${i}: ${JSON.stringify(r)}`);
    });
    expect(rows[N - 1]!.visitor).toBe(`V${gen.users}`);
  });

  it('shares 70/25/5 within sampling error', () => {
    expect(withinSamplingError(share(rows, 'action', 'impression'), N, 0.7)).toBe(true);
    expect(withinSamplingError(share(rows, 'action', 'basket'), N, 0.25)).toBe(true);
    expect(withinSamplingError(share(rows, 'action', 'order'), N, 0.05)).toBe(true);
  });

  it('the funnel rules hold on every session, inside the one day, with one-hour breaks', () => {
    // No session column here: a session is a run of a visitor's events with no gap of an hour.
    const withSessions: Row[] = [];
    let session = 0;
    rows.forEach((r, i) => {
      const prev = rows[i - 1];
      if (!prev || prev.visitor !== r.visitor || (r.ts as number) - (prev.ts as number) >= 60 * 60e6) session++;
      withSessions.push({ ...r, visitor: Number((r.visitor as string).slice(1)), session });
    });
    const sessions = checkFunnel(withSessions, { user: 'visitor', session: 'session', time: 'ts', type: 'action', labels: ['impression', 'basket', 'order'] }, day, day, 60);
    // ~2 sessions per user: the gap rule is what split them (events within a session are seconds apart)
    expect(sessions.length / gen.users).toBeGreaterThan(1.8);
  });

  it('checks its parameters', () => {
    const ctx = { rows: 1, rng: Rng.seeded(1) };
    expect(() => funnelEvents({ ...params, endDay: day - 1 }, ctx)).toThrow(/endDay must be >= startDay/);
    expect(() => funnelEvents({ ...params, viewsPerSession: 0.5 }, ctx)).toThrow(/viewsPerSession must be a number >= 1/);
    expect(() => funnelEvents({ ...params, typeField: 'ts' }, ctx)).toThrow(/column names must be distinct/);
  });
});
