import { cellStage } from '../../src/anomaly/cell-stage.js';
import type { TableDefinition } from '../../src/core/dataset.js';
import { Weighted } from '../../src/random/distributions.js';
import { uniformAt } from '../../src/random/hash.js';
import type { Rng } from '../../src/random/rng.js';
import { uuid4 } from '../../src/random/uuid.js';
import { defineTable, types, UUID4_PATTERN, type Row } from '../../src/core/schema.js';
import type { Transform } from '../../src/core/stage.js';
import { formatTimestamp, MICROS_PER_DAY } from '../../src/core/temporal.js';
import { malform } from '../../transforms/malform.js';
import { priceOn } from './changes.js';
import { batchEnd, CATEGORIES, growingCalendar, partitionDay, popular, popularKey, productAt, type Ctx, type RetailOptions } from './shared.js';

/** Events at scale 1, and the envelope every event carries (some lose one: see dropEnvelopeField). */
const ROWS_AT_SCALE_1 = 2_000_000;
export const ENVELOPE = ['event_id', 'event_ts', 'event_type', 'user_id', 'session_id'] as const;
export const EVENT_TYPES = ['page_view', 'search', 'product_view', 'add_to_cart', 'remove_from_cart', 'checkout'] as const;
/** Every line the plan writes: the envelope in its order, then a payload object (a dropped field or a cut line does not match). */
const EVENT_PATTERN =
  `\\{"event_id":"${UUID4_PATTERN}","event_ts":"\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{6}Z","event_type":"(${EVENT_TYPES.join('|')})",` +
  `"user_id":\\d+,"session_id":"${UUID4_PATTERN}","payload":\\{.*\\}\\}`;
/** Mean events per session (2 + a geometric tail, capped at 30), for the session count. */
const MEAN_EVENTS = 8;

// ------------------------------------------------------------------ sessions

/**
 * Sessions per day and events per session, made once per run: sessions are numbered in time
 * order (day by day, like orders: weekends, late November and December busier, slow growth),
 * session s has eventsOf(s) events, and firstEvent[s] = events of sessions before s. Row r
 * belongs to the session found by a binary search of firstEvent: 8 bytes per session.
 */
export interface SessionCalendar {
  /** firstSession[d] = sessions before day d of the horizon; length days + 1. */
  firstSession: Float64Array;
  /** firstEvent[s] = events of sessions 0..s-1; length sessions + 1. */
  firstEvent: Float64Array;
  sessions: number;
}

export function sessionCalendar(ctx: Ctx): SessionCalendar {
  return ctx.shared('events:sessions', () => {
    // The horizon's sessions are fixed by the scale; an increment's days continue at the same rate.
    const firstSession = growingCalendar(ctx, Math.max(20, Math.round((ROWS_AT_SCALE_1 * ctx.scale) / MEAN_EVENTS)), 0.15);
    const sessions = firstSession[firstSession.length - 1]!;
    const firstEvent = new Float64Array(sessions + 1);
    const key = ctx.at('events', 'length').key;
    for (let s = 0; s < sessions; s++) firstEvent[s + 1] = firstEvent[s]! + eventsOf(key, s);
    return { firstSession, firstEvent, sessions };
  });
}

/** Events through batch k (k = 0: the base run's). */
function eventsThrough(ctx: Ctx, k: number): number {
  const cal = sessionCalendar(ctx);
  return cal.firstEvent[cal.firstSession[batchEnd(ctx, k) - ctx.options.start + 1]!]!;
}

/** Events in session s: 2-30, mostly short (a stateless hash, cheap for the index). */
function eventsOf(key: number, s: number): number {
  return 2 + Math.min(28, Math.floor(-Math.log(1 - uniformAt(key, s)) * 6.5));
}

/** The last i with index[i] <= x (index rising from 0). */
function lastAtOrBelow(index: Float64Array, x: number): number {
  let lo = 0;
  let hi = index.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (index[mid]! <= x) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * Share of a day's sessions starting in each UTC hour: Australian browsing (UTC+10) peaks in
 * the local evening (19-22 h = 09-12 UTC) and is lowest in the small hours (16-20 UTC).
 */
const LOCAL_WEIGHTS = [0.5, 0.3, 0.2, 0.15, 0.15, 0.3, 0.8, 1.5, 2.2, 2.5, 2.6, 2.7, 3.0, 2.8, 2.5, 2.4, 2.5, 2.8, 3.2, 3.8, 4.2, 4.0, 3.0, 1.5];
const HOUR_CDF = (() => {
  const utc = Array.from({ length: 24 }, (_, h) => LOCAL_WEIGHTS[(h + 10) % 24]!);
  const total = utc.reduce((a, b) => a + b, 0);
  const cdf = [0];
  for (const w of utc) cdf.push(cdf[cdf.length - 1]! + w / total);
  return cdf;
})();

/** Microseconds into the day for quantile q of the hour profile (rising with q, so sessions stay in order). */
function timeOfDay(q: number): number {
  let h = 0;
  while (h < 23 && HOUR_CDF[h + 1]! <= q) h++;
  const within = (q - HOUR_CDF[h]!) / (HOUR_CDF[h + 1]! - HOUR_CDF[h]!);
  return Math.floor((h + Math.min(1, within)) * 3_600_000_000);
}

// ------------------------------------------------------------------ one session's events

const SITE = 'https://shop.example.com.au';
const EXTERNAL = new Weighted([null, 'https://www.google.com/', 'https://www.facebook.com/', 'https://www.instagram.com/', 'https://www.bing.com/', 'https://mail.example.com/'], [30, 40, 10, 8, 5, 7]);
const NEXT = new Weighted(['page_view', 'search', 'product_view', 'add_to_cart', 'remove_from_cart'] as const, [30, 18, 30, 15, 7]);
const slug = (s: string) => s.toLowerCase().replace(/ /g, '-');
const SECTIONS = Object.entries(CATEGORIES).flatMap(([c, subs]) => [`/c/${slug(c)}`, ...subs.map((s) => `/c/${slug(c)}/${slug(s)}`)]);
const QUERIES = Object.entries(CATEGORIES).flatMap(([c, subs]) => [c.toLowerCase(), ...subs.map((s) => s.toLowerCase())]);
const MODIFIERS = ['', '', '', 'cheap ', 'best ', 'sale ', 'new '];

/** What every session draws from, looked up once per plan rather than per session. */
interface Streams {
  session: Rng;
  startKey: number;
  customers: ReturnType<typeof popular>;
  products: ReturnType<typeof popular>;
}

interface CartItem {
  productId: number;
  qty: number;
  price: number;
}

/**
 * The JSON lines of session s (0-based) on horizon day `day`, which starts `k`-th of `n`
 * sessions that day. Everything comes from the session's own stream, so any chunk can
 * regenerate it: the user (a power-law popular customer), the gaps between events (1 s to
 * 10 min), the start (the day's k-th quantile of the hour profile, moved earlier if needed so
 * the last event is still on the same UTC day), then each event from the session's state
 * (what was viewed, what is in the cart).
 */
function sessionEvents(ctx: Ctx, streams: Streams, s: number, n: number, day: number, k: number, perDay: number): string[] {
  // The price of the day: after the horizon, increments' price changes apply.
  const priceOf = (id: number) => (day > ctx.options.end ? priceOn(ctx, id, day) : productAt(ctx, id).price);
  const rng = streams.session.fork(s);
  const userId = popularKey(streams.customers, rng);
  const sessionId = uuid4(rng);
  const at = new Array<number>(n);
  at[0] = 0;
  for (let i = 1; i < n; i++) at[i] = at[i - 1]! + (1 + Math.min(599, Math.floor(-Math.log(1 - rng.float()) * 45))) * 1_000_000 + rng.int(0, 999_999);
  const q = (k + uniformAt(streams.startKey, s)) / perDay;
  const dayStart = day * MICROS_PER_DAY;
  const begin = dayStart + Math.min(timeOfDay(q), MICROS_PER_DAY - 1 - at[n - 1]!);

  const products = streams.products;
  const cart: CartItem[] = [];
  let viewed: number | undefined;
  let url = '';
  // Built as text, not JSON.stringify of objects: every piece is a number or JSON-safe text
  // of our own vocabularies (quote() quotes), and this loop runs 2M times at scale 1.
  const tail = ',"user_id":' + userId + ',"session_id":"' + sessionId + '","payload":';
  const lines = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    let type: (typeof EVENT_TYPES)[number];
    let payload: string;
    if (i === 0) {
      type = 'page_view';
      url = landing(rng, products);
      if (url.startsWith('/p/')) viewed = Number(url.slice(3));
      const referrer = EXTERNAL.pick(rng);
      payload = '{"url":' + quote(url) + ',"referrer":' + (referrer === null ? 'null' : quote(referrer)) + '}';
    } else if (i === n - 1 && cart.length > 0 && rng.chance(0.45)) {
      type = 'checkout';
      let value = 0;
      let items = 0;
      for (const c of cart) {
        value += c.qty * c.price;
        items += c.qty;
      }
      payload = '{"items":' + items + ',"cart_value":' + Math.round(value * 100) / 100 + ',"currency":"AUD"}';
    } else {
      type = NEXT.pick(rng);
      if (type === 'add_to_cart' && viewed === undefined) type = 'product_view';
      if (type === 'remove_from_cart' && cart.length === 0) type = 'page_view';
      switch (type) {
        case 'page_view': {
          const referrer = SITE + url;
          url = cart.length > 0 && rng.chance(0.2) ? '/cart' : rng.pick(SECTIONS);
          payload = '{"url":' + quote(url) + ',"referrer":' + quote(referrer) + '}';
          break;
        }
        case 'search': {
          const query = rng.pick(MODIFIERS) + rng.pick(QUERIES);
          payload = '{"query":' + quote(query) + ',"results":' + (rng.chance(0.06) ? 0 : rng.int(1, 480)) + '}';
          url = `/search?q=${encodeURIComponent(query)}`;
          break;
        }
        case 'product_view': {
          viewed = popularKey(products, rng);
          const p = productAt(ctx, viewed);
          payload = '{"product_id":' + viewed + ',"category":' + quote(p.category) + ',"subcategory":' + quote(p.subcategory) + ',"price":' + priceOf(viewed) + '}';
          url = `/p/${viewed}`;
          break;
        }
        case 'add_to_cart': {
          // The product just looked at, at its current price.
          const productId = viewed!;
          const qty = rng.chance(0.8) ? 1 : rng.int(2, 3);
          const price = priceOf(productId);
          const item = cart.find((c) => c.productId === productId);
          if (item) item.qty += qty;
          else cart.push({ productId, qty, price });
          payload = '{"product_id":' + productId + ',"qty":' + qty + ',"price":' + price + '}';
          break;
        }
        default: {
          // remove_from_cart: one item of the cart, all of its units.
          const [item] = cart.splice(rng.index(cart.length), 1);
          payload = '{"product_id":' + item!.productId + ',"qty":' + item!.qty + '}';
        }
      }
    }
    lines[i] = '{"event_id":"' + uuid4(rng) + '","event_ts":"' + formatTimestamp(begin + at[i]!) + '","event_type":"' + type + '"' + tail + payload + '}';
  }
  return lines;
}

/** JSON string literal, with the common case (nothing to escape) not going through JSON.stringify. */
function quote(text: string): string {
  return /["\\\u0000-\u001f]/.test(text) ? JSON.stringify(text) : '"' + text + '"';
}

function landing(rng: Rng, products: ReturnType<typeof popular>): string {
  const u = rng.float();
  if (u < 0.35) return '/';
  if (u < 0.7) return rng.pick(SECTIONS);
  return `/p/${popularKey(products, rng)}`;
}

// ------------------------------------------------------------------ anomaly: a missing envelope field

/**
 * Events that lost one envelope field (a client bug, an old SDK): the wave-1 transforms blank
 * whole cells (`missing`) or break the JSON text (`malform`), neither drops a key inside valid
 * JSON, so this stage does, through the same cell machinery (cells picked by row index with
 * probability `rate`, one ledger entry per change: kind missing_field, `field` = the key,
 * before/after the whole line).
 */
export function dropEnvelopeField(o: { rate: number; seed: number }): Transform {
  const options = { columns: ['json'], rate: o.rate, seed: o.seed, fields: [...ENVELOPE] };
  return {
    kind: 'transform',
    name: 'drop-field',
    options,
    open: cellStage('drop-field', { seed: o.seed, rate: o.rate, columns: ['json'], when: undefined }, {
      defaultColumns: () => ['json'],
      change: (cell) => {
        const event = JSON.parse(cell.value as string) as Record<string, unknown>;
        const field = ENVELOPE[cell.rng.index(ENVELOPE.length)]!;
        delete event[field];
        return { kind: 'missing_field', after: JSON.stringify(event), note: { field } };
      },
    }),
  };
}

// ------------------------------------------------------------------ the table

/** Where a row's file goes: its session's day, fixed before the stages change the text. */
const EVENT_DAY = Symbol('events.event_day');

/** events: clickstream JSON lines, session by session in time order, one folder per UTC day. */
export const events: TableDefinition<RetailOptions> = {
  name: 'events',
  schema: defineTable('events', 'Web and app clickstream: one JSON object per line (envelope + payload by event_type)', {
    json: { type: types.string(), pattern: EVENT_PATTERN, description: 'the event as one JSON object: event_id, event_ts, event_type, user_id, session_id, payload' },
  }),
  rules: [
    'each line is one JSON object {event_id (uuid), event_ts (ISO-8601 UTC, microseconds), event_type, user_id, session_id (uuid), payload}, except the ledgered anomalies',
    `event_type is one of ${EVENT_TYPES.join(', ')}; payload by type: page_view {url, referrer}, search {query, results}, product_view {product_id, category, subcategory, price}, add_to_cart {product_id, qty, price}, remove_from_cart {product_id, qty}, checkout {items, cart_value, currency}`,
    'events come in sessions of 2-30 events 1 s to 10 min apart, in time order, all on one UTC day; a session starts with a page_view and belongs to one user',
    "user_id is an existing customer (power-law popular); product_id an existing product at its current price; add_to_cart adds the product just viewed; checkout's cart_value is the sum of qty x price of what is still in the cart",
    'sessions per day follow the orders pattern (weekends, late November and December busier); files are events/event_dt=<UTC date of event_ts>/events_NNNN.jsonl',
    '0.2% of events lack one envelope field (drop-field, kind missing_field; the field is in the ledger entry); 0.05% of lines are cut short, not valid JSON (malform, kind truncated_json)',
    "a reader that parses across line breaks may lose the line after a cut one too (DuckDB's read_json with ignore_errors does when the cut ends after a colon); a line-by-line reader loses only the cut line",
  ],
  rows: (ctx) => {
    const cal = sessionCalendar(ctx);
    return cal.firstEvent[cal.sessions]!;
  },
  references: { 'json.user_id': 'customers.customer_id', 'json.payload.product_id': 'products.product_id' },
  increment: (ctx, k) => ({ from: eventsThrough(ctx, k - 1), to: eventsThrough(ctx, k) }),
  plan: (ctx) => {
    const cal = sessionCalendar(ctx);
    const lengthKey = ctx.at('events', 'length').key;
    const streams: Streams = { session: ctx.at('events', 'session'), startKey: ctx.at('events', 'start').key, customers: popular(ctx, 'customers'), products: popular(ctx, 'products') };
    return {
      rows(start, count) {
        const rows: Row[] = new Array(count);
        let s = lastAtOrBelow(cal.firstEvent, start);
        let d = lastAtOrBelow(cal.firstSession, s);
        let filled = 0;
        let partition: string[] = [];
        let partitionOf = -1;
        while (filled < count) {
          while (cal.firstSession[d + 1]! <= s) d++;
          if (partitionOf !== d) partition = [`event_dt=${partitionDay(ctx.options.start + (partitionOf = d))}`];
          const n = eventsOf(lengthKey, s);
          const first = cal.firstSession[d]!;
          const lines = sessionEvents(ctx, streams, s, n, ctx.options.start + d, s - first, cal.firstSession[d + 1]! - first);
          for (let i = start + filled - cal.firstEvent[s]!; i < n && filled < count; i++) {
            const row: Row = { json: lines[i]! };
            (row as { [EVENT_DAY]?: string[] })[EVENT_DAY] = partition;
            rows[filled++] = row;
          }
          s++;
        }
        return rows;
      },
    };
  },
  stages: (ctx) => [
    dropEnvelopeField({ rate: 0.002, seed: ctx.seed + 71 }),
    malform({ columns: 'json', kinds: 'json', rate: 0.0005, seed: ctx.seed + 72 }),
  ],
  output: {
    kind: 'partitioned',
    format: 'jsonl',
    path: 'events/',
    file: 'events_{num:04}.jsonl',
    // The line is the event itself, as it is (not wrapped in {"json": ...}).
    options: { lineColumn: 'json' },
    partition: (row) => (row as { [EVENT_DAY]?: string[] })[EVENT_DAY]!,
  },
};
