import type { DatasetContext } from '../../src/core/dataset.js';
import { parentOf, runningCounts } from '../../src/core/nested.js';
import { Weighted, Zipf } from '../../src/random/distributions.js';
import { uniformAt } from '../../src/random/hash.js';
import { deletedParentKeys } from '../../transforms/corrupt-fk.js';
import type { Rng } from '../../src/random/rng.js';
import { civilFromDays, formatDate, isoWeekday, MICROS_PER_DAY } from '../../src/core/temporal.js';
import { closedInBatches, erasedThrough, newCustomersThrough } from './changes.js';

/**
 * What the retail tables share: the options, and the random-access facts a child recomputes
 * from its parent's key (a store's state and time zone for its orders, an order's time, store
 * and customer for its lines, shipment and returns). Each fact is drawn from
 * `ctx.at(table, attribute).fork(key)`, so the parent table and every child get the same value
 * without holding a table in memory.
 */
export interface RetailOptions {
  /** First and last day of the horizon (days since the epoch); fixed, never relative to today. */
  start: number;
  end: number;
  /** Days each increment adds after the previous batch (docs/increments.md). */
  incrementDays: number;
  /** Share of an increment's orders that arrive late, dated in an earlier batch's days. */
  lateRate: number;
  [option: string]: unknown;
}
export type Ctx = DatasetContext<RetailOptions>;

export const retailOptions = {
  start: { type: 'date', description: 'first day of the horizon (orders, events, sensors, rates)', default: '2022-01-01' },
  end: { type: 'date', description: 'last day of the horizon', default: '2024-12-31' },
  incrementDays: { type: 'integer', description: 'days each --increment adds after the previous batch', default: 7, min: 1, max: 366 },
  lateRate: { type: 'number', description: "share of an increment's orders that arrive late, dated up to 14 days before the batch (0..0.5)", default: 0.02, min: 0, max: 0.5 },
} as const;

// ------------------------------------------------------------------ increments

/** The last day of batch k (k = 0: the horizon's end; batch k >= 1 adds incrementDays days). */
export function batchEnd(ctx: Ctx, k: number = ctx.batch): number {
  return ctx.options.end + k * ctx.options.incrementDays;
}

/** The batch a day falls in: 0 up to the horizon's end, then k for days (batchEnd(k-1), batchEnd(k)]. */
export function batchOfDay(ctx: Ctx, day: number): number {
  return day <= ctx.options.end ? 0 : Math.ceil((day - ctx.options.end) / ctx.options.incrementDays);
}

/** Days of the horizon grown through the context's batch (the base horizon when batch is 0). */
export function daysThrough(ctx: Ctx): number {
  return batchEnd(ctx) - ctx.options.start + 1;
}

/**
 * Events per day over a calendar that grows with the batches: the horizon's days get exactly
 * `total` by largest remainders (as in a base run); each later day gets the running floor of
 * the same rate (total per unit of weight), so batch k's days are the same whatever batch is
 * asked for and the base stays a prefix. first[d] = events before day d; length days + 1.
 */
export function growingCalendar(ctx: Ctx, total: number, growth: number): Float64Array {
  const { start, end } = ctx.options;
  const base = end - start + 1;
  const days = daysThrough(ctx);
  const weight = (d: number) => dayWeight(start + d) * (1 + (growth * d) / 365);
  const weights = Array.from({ length: base }, (_, d) => weight(d));
  const sum = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (w / sum) * total);
  const counts = exact.map(Math.floor);
  let left = total - counts.reduce((a, b) => a + b, 0);
  // Largest remainders, ties to the earlier day: exactly `total` over the horizon.
  const order = exact.map((x, d) => [x - Math.floor(x), d] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let k = 0; left > 0; k++, left--) counts[order[k % base]![1]]!++;
  const first = new Float64Array(days + 1);
  for (let d = 0; d < base; d++) first[d + 1] = first[d]! + counts[d]!;
  let after = 0;
  for (let d = base; d < days; d++) {
    after += weight(d);
    first[d + 1] = total + Math.floor((after / sum) * total);
  }
  return first;
}

/** Currencies used anywhere in the dataset; exchange_rates has one row per day for each. */
export const CURRENCIES = ['AUD', 'USD', 'EUR', 'GBP', 'NZD', 'SGD', 'JPY'] as const;

// ------------------------------------------------------------------ stores

/** Australian states with their standard-time UTC offset in minutes (daylight saving is not modelled). */
export const STATES = [
  { code: 'NSW', name: 'New South Wales', offset: 600, weight: 32, lat: [-37.5, -28.2], lon: [141, 153.6] },
  { code: 'VIC', name: 'Victoria', offset: 600, weight: 26, lat: [-39.1, -34], lon: [141, 149.9] },
  { code: 'QLD', name: 'Queensland', offset: 600, weight: 20, lat: [-29, -10.7], lon: [138, 153.5] },
  { code: 'WA', name: 'Western Australia', offset: 480, weight: 11, lat: [-35.1, -13.7], lon: [112.9, 129] },
  { code: 'SA', name: 'South Australia', offset: 570, weight: 7, lat: [-38, -26], lon: [129, 141] },
  { code: 'TAS', name: 'Tasmania', offset: 600, weight: 2, lat: [-43.6, -39.6], lon: [144.6, 148.5] },
  { code: 'ACT', name: 'Australian Capital Territory', offset: 600, weight: 1.5, lat: [-35.9, -35.1], lon: [148.8, 149.4] },
  { code: 'NT', name: 'Northern Territory', offset: 570, weight: 0.5, lat: [-26, -11], lon: [129, 138] },
] as const;
export type State = (typeof STATES)[number];
/** Australia's bounding box: every state's box lies inside it (a FieldSpec bound for coordinates). */
export const AU_LAT = [Math.min(...STATES.map((s) => s.lat[0])), Math.max(...STATES.map((s) => s.lat[1]))] as const;
export const AU_LON = [Math.min(...STATES.map((s) => s.lon[0])), Math.max(...STATES.map((s) => s.lon[1]))] as const;
const stateChoice = new Weighted(STATES, STATES.map((s) => s.weight));

export interface StoreFacts {
  state: State;
  channel: 'web' | 'pos';
  /** Day the store opened (days since the epoch); may be before the horizon. */
  openDay: number;
  /** Day it closed, or undefined while open. */
  closeDay: number | undefined;
}

/** A store's facts from its key (1..stores). About 1 in 10 stores is a web store. */
export function storeAt(ctx: Ctx, storeId: number): StoreFacts {
  const rng = ctx.at('stores', 'facts').fork(storeId);
  const state = stateChoice.pick(rng);
  const channel = rng.chance(0.1) ? 'web' : 'pos';
  const openDay = ctx.options.start - rng.int(30, 365 * 15);
  const closeDay = rng.chance(0.04) ? ctx.options.start + rng.int(0, ctx.options.end - ctx.options.start) : undefined;
  return { state, channel, openDay, closeDay };
}

// ------------------------------------------------------------------ popularity

/** Power-law popularity over 1..n (exponent 1.07): a few customers or products get most orders. */
export function popular(ctx: Ctx, table: string): Zipf {
  return ctx.shared(`zipf:${table}`, () => new Zipf(ctx.rows(table), 1.07));
}

/**
 * A popular key that is not simply 1, 2, 3...: Zipf ranks are mapped through a fixed odd
 * multiplier modulo n, so the most popular customers are spread over the key range.
 */
export function popularKey(zipf: Zipf, rng: Rng): number {
  const rank = zipf.sample(rng) - 1;
  return ((rank * 2654435761) % zipf.n) + 1;
}

// ------------------------------------------------------------------ orders

/**
 * Orders per day over the horizon: weekends busier, a December peak and January sales, slow
 * growth; cut to exactly `orders_header` rows by largest remainders. Order ids rise with time,
 * so order i's day is found by a binary search of the running totals.
 */
export interface OrderCalendar {
  /** firstOrder[d] = number of orders before day d of the horizon; length days + 1. */
  firstOrder: Float64Array;
  days: number;
}

export function dayWeight(day: number): number {
  const { month, day: dom } = civilFromDays(day);
  const weekday = isoWeekday(day); // 1 = Monday
  const week = weekday >= 6 ? 1.35 : weekday === 5 ? 1.1 : 1;
  const season = month === 12 ? (dom >= 26 ? 1.7 : 1.5) : month === 11 && dom >= 20 ? 1.45 : month === 1 ? 1.15 : month === 2 ? 0.85 : 1;
  return week * season;
}

export function orderCalendar(ctx: Ctx): OrderCalendar {
  return ctx.shared('orders:calendar', () => ({ firstOrder: growingCalendar(ctx, ctx.rows('orders_header'), 0.12), days: daysThrough(ctx) }));
}

/** Orders placed through batch k (k = 0: the base run's orders). */
export function ordersThrough(ctx: Ctx, k: number = ctx.batch): number {
  return orderCalendar(ctx).firstOrder[batchEnd(ctx, k) - ctx.options.start + 1]!;
}

/** Hour-of-day weights (UTC+10 shopping hours shifted to UTC): late morning and evening peaks. */
const LOCAL_HOURS = new Weighted(
  Array.from({ length: 24 }, (_, h) => h),
  [0.2, 0.1, 0.05, 0.05, 0.05, 0.1, 0.3, 0.8, 1.5, 2.2, 2.8, 3.1, 3.3, 3.1, 2.8, 2.6, 2.5, 2.6, 2.9, 3.2, 3.0, 2.2, 1.2, 0.5],
);

export const CHANNELS = ['web', 'pos', 'app'] as const;
export const PAYMENTS = new Weighted(['card', 'paypal', 'afterpay', 'cash', 'gift_card', 'apple_pay'], [50, 12, 10, 14, 3, 11]);

export interface OrderFacts {
  orderId: number;
  /** Microseconds since the epoch (UTC). */
  ts: number;
  /** The order's date in its store's time zone (days since the epoch). */
  localDay: number;
  customerId: number;
  storeId: number;
  channel: string;
  /** Number of lines (1..8). */
  lines: number;
}

/** Order facts from its key (1..orders). Cheap enough to recompute for every child row. */
export function orderAt(ctx: Ctx, orderId: number): OrderFacts {
  const cal = orderCalendar(ctx);
  // The day: the last d with firstOrder[d] < orderId.
  let lo = 0;
  let hi = cal.days - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (cal.firstOrder[mid]! < orderId) lo = mid;
    else hi = mid - 1;
  }
  let day = ctx.options.start + lo;
  // An order of an increment (its key after the base's) may arrive late: dated before its batch.
  const batch = orderId > ctx.rows('orders_header') ? batchOfDay(ctx, day) : 0;
  const late = batch > 0 && isLateOrder(ctx, orderId);
  if (late) day = Math.max(ctx.options.start, batchEnd(ctx, batch - 1) - Math.floor(uniformAt(ctx.at('orders_header', 'late_days').key, orderId) * 14));
  const rng = ctx.at('orders_header', 'facts').fork(orderId);
  // A store open on the day (closed stores take no orders after they close, nor after an increment closed them).
  const closed = (s: StoreFacts, id: number) => (s.closeDay !== undefined && s.closeDay <= day) || (batch > 0 && (closedInBatches(ctx, id, batch) ?? Infinity) <= day);
  let storeId = rng.int(1, ctx.rows('stores'));
  let store = storeAt(ctx, storeId);
  for (let tries = 0; tries < 16 && closed(store, storeId); tries++) {
    storeId = rng.int(1, ctx.rows('stores'));
    store = storeAt(ctx, storeId);
  }
  // A local shopping hour, then back to UTC: the UTC day may differ from the local one.
  const localSeconds = LOCAL_HOURS.pick(rng) * 3600 + rng.int(0, 3599);
  const ts = (day * 86_400 + localSeconds - store.state.offset * 60) * 1_000_000 + rng.int(0, 999_999);
  // Not a customer the customers table drops as a deleted parent (only corrupt-fk points there),
  // nor, in an increment, one erased by then.
  const gone = deletedParents(ctx, 'ordersCustomer');
  const erased = batch > 0 ? erasedThrough(ctx, batch) : undefined;
  const customers = popular(ctx, 'customers');
  let customerId = popularKey(customers, rng);
  while (gone.has(customerId) || erased?.has(customerId)) customerId = popularKey(customers, rng);
  // Some orders of an increment come from customers who signed up in an earlier batch (late ones do not: they predate them).
  const joined = batch > 1 && !late ? newCustomersThrough(ctx, batch - 1) : 0;
  if (joined > 0 && rng.chance(0.05)) {
    const candidate = ctx.rows('customers') + rng.int(1, joined);
    if (!erased!.has(candidate)) customerId = candidate;
  }
  const channel = store.channel === 'web' ? (rng.chance(0.35) ? 'app' : 'web') : 'pos';
  return { orderId, ts, localDay: day, customerId, storeId, channel, lines: linesOf(ctx, orderId) };
}

/** Is this order of an increment a late arrival (dated in the days before its batch)? */
export function isLateOrder(ctx: Ctx, orderId: number): boolean {
  return uniformAt(ctx.at('orders_header', 'late').key, orderId) < ctx.options.lateRate;
}

/** Lines of an order (1..8, mean about 3.4): a stateless hash of the key, cheap for the line index. */
export function linesOf(ctx: Ctx, orderId: number): number {
  const u = uniformAt(ctx.at('orders_header', 'lines').key, orderId);
  return 1 + Math.min(7, Math.floor(-Math.log(1 - u) * 2.6));
}

/**
 * firstLine[k] = lines of orders 1..k (k = 0..orders): row r of orders_lines belongs to the
 * order k with firstLine[k-1] <= r < firstLine[k]. 8 bytes per order, not a table of rows.
 */
export function lineIndex(ctx: Ctx): Float64Array {
  return ctx.shared('orders:lines', () => runningCounts(ordersThrough(ctx), (p) => linesOf(ctx, p + 1)));
}

/** The order holding line row r (0-based) of orders_lines, and the line's number in it (1-based). */
export function lineAt(index: Float64Array, row: number): { orderId: number; lineNumber: number } {
  const p = parentOf(index, row);
  return { orderId: p + 1, lineNumber: row - index[p]! + 1 };
}

export function utcDay(micros: number): number {
  return Math.floor(micros / MICROS_PER_DAY);
}

export const partitionDay = (day: number) => formatDate(day);

// ------------------------------------------------------------------ products

export const CATEGORIES = {
  Electronics: ['Phones', 'Laptops', 'Audio', 'Cameras', 'Accessories'],
  Home: ['Kitchen', 'Furniture', 'Bedding', 'Decor', 'Cleaning'],
  Apparel: ['Womens', 'Mens', 'Kids', 'Shoes', 'Accessories'],
  Outdoor: ['Camping', 'Garden', 'BBQ', 'Cycling', 'Fishing'],
  Beauty: ['Skincare', 'Makeup', 'Haircare', 'Fragrance'],
  Toys: ['Games', 'Puzzles', 'Outdoor Toys', 'Building'],
  Grocery: ['Pantry', 'Snacks', 'Drinks', 'Health'],
} as const;
export type Category = keyof typeof CATEGORIES;
const CATEGORY_NAMES = Object.keys(CATEGORIES) as Category[];
const CATEGORY_PRICE: Record<Category, number> = { Electronics: 250, Home: 60, Apparel: 45, Outdoor: 80, Beauty: 25, Toys: 30, Grocery: 8 };

export interface ProductFacts {
  category: Category;
  subcategory: string;
  /** Current price in AUD, 4 decimals, > 0. */
  price: number;
}

/** A product's category and price from its key (1..products). */
export function productAt(ctx: Ctx, productId: number): ProductFacts {
  const rng = ctx.at('products', 'facts').fork(productId);
  const category = CATEGORY_NAMES[rng.int(0, CATEGORY_NAMES.length - 1)]!;
  const subs = CATEGORIES[category];
  const subcategory = subs[rng.int(0, subs.length - 1)]!;
  // Log-normal around the category's typical price, ending in .95 or .99 most of the time.
  const base = CATEGORY_PRICE[category] * Math.exp(0.7 * gaussian(rng));
  const whole = Math.max(1, Math.floor(base));
  const cents = rng.chance(0.7) ? (rng.chance(0.5) ? 0.95 : 0.99) : rng.int(0, 99) / 100;
  return { category, subcategory, price: Math.round((whole + cents) * 10_000) / 10_000 };
}

function gaussian(rng: Rng): number {
  return Math.sqrt(-2 * Math.log(1 - rng.float())) * Math.cos(2 * Math.PI * rng.float());
}

/** When a product was introduced and, for about 8%, discontinued (within the horizon). */
export function productLife(ctx: Ctx, productId: number): { introduced: number; discontinued: number | undefined } {
  const rng = ctx.at('products', 'life').fork(productId);
  const { start, end } = ctx.options;
  const introduced = start - rng.int(30, 8 * 365);
  return { introduced, discontinued: rng.chance(0.08) ? rng.int(start, end) : undefined };
}

/**
 * The product on one order line, with its quantity (both recomputed by returns). A product
 * discontinued by the order's day is not sold: another popular one is drawn.
 */
export function lineFacts(ctx: Ctx, orderId: number, lineNumber: number, day: number): { productId: number; qty: number } {
  const rng = ctx.at('orders_lines', 'facts').fork(orderId * 8 + lineNumber);
  const zipf = popular(ctx, 'products');
  const deleted = deletedParents(ctx, 'linesProduct');
  const soldOut = (id: number) => {
    const gone = productLife(ctx, id).discontinued;
    return gone !== undefined && gone <= day;
  };
  // Never a deleted parent; not discontinued either, unless 16 draws found none that is not.
  let productId = popularKey(zipf, rng);
  for (let tries = 0; deleted.has(productId) || (tries < 16 && soldOut(productId)); tries++) productId = popularKey(zipf, rng);
  return { productId, qty: rng.chance(0.8) ? 1 : rng.int(2, 6) };
}

// ------------------------------------------------------------------ broken foreign keys

/**
 * The corrupt-fk options of each child column, declared once: the child's stage uses them, and
 * the parent drops the rows of its `deleted` keys (deletedParentKeys) in the same run.
 */
export const FK = {
  ordersCustomer: (ctx: Ctx) => ({ columns: 'customer_id', range: `1..${ctx.rows('customers')}`, rate: 0.005, kinds: 'absent,deleted', seed: ctx.seed + 11 }),
  ordersStore: (ctx: Ctx) => ({ columns: 'store_id', range: `1..${ctx.rows('stores')}`, rate: 0.005, kinds: 'absent', seed: ctx.seed + 12 }),
  linesProduct: (ctx: Ctx) => ({ columns: 'product_id', range: `1..${ctx.rows('products')}`, rate: 0.01, kinds: 'absent,deleted', seed: ctx.seed + 21 }),
};

// ------------------------------------------------------------------ shipments

/** Carriers with their delivery SLA in hours. */
export const CARRIERS = [
  { name: 'Australia Post', sla: 96, weight: 45 },
  { name: 'StarTrack', sla: 48, weight: 20 },
  { name: 'Toll', sla: 72, weight: 15 },
  { name: 'CouriersPlease', sla: 72, weight: 12 },
  { name: 'Aramex', sla: 96, weight: 8 },
] as const;
const carrierChoice = new Weighted(CARRIERS, CARRIERS.map((c) => c.weight));
const HOUR = 3_600_000_000;

export interface ShipmentFacts {
  orderId: number;
  carrier: (typeof CARRIERS)[number];
  /** Microseconds since the epoch; after the order. */
  shippedAt: number;
  /** After shippedAt; undefined while in transit (it would arrive after the horizon, or is lost). */
  deliveredAt: number | undefined;
  late: boolean;
  cost: number;
}

/** Shipment k ships order k: its facts from the key, recomputed by returns. */
export function shipmentAt(ctx: Ctx, shipmentId: number, lastDay: number = batchEnd(ctx)): ShipmentFacts {
  const order = orderAt(ctx, shipmentId);
  const rng = ctx.at('shipments', 'facts').fork(shipmentId);
  const carrier = carrierChoice.pick(rng);
  const shippedAt = order.ts + Math.round(rng.between(2, 72) * HOUR);
  // Most arrive within the SLA; about 6% are late (up to 3x the SLA).
  const late = rng.chance(0.06);
  const hours = late ? carrier.sla * rng.between(1.05, 3) : carrier.sla * rng.between(0.25, 1);
  const arrival = shippedAt + Math.round(hours * HOUR);
  // In transit at the end of the run's last day (an increment's: its batch's last day).
  const horizonEnd = (lastDay + 1) * 86_400_000_000;
  const lost = rng.chance(0.002);
  const deliveredAt = arrival >= horizonEnd || lost ? undefined : arrival;
  const cost = Math.round((carrier.sla <= 48 ? 14 : 8) * rng.between(0.7, 1.8) * 100) / 100;
  return { orderId: order.orderId, carrier, shippedAt, deliveredAt, late: late && deliveredAt !== undefined, cost };
}

// ------------------------------------------------------------------ natural keys

const BASE36 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/**
 * A natural key's random-looking code from a surrogate key: `width` base-36 digits from a
 * bijection of key - 1 on [0, 36^width) (affine map, digits reversed, affine map again, with
 * multipliers coprime to 36), so two keys never share a code and no table of codes is held.
 * The maps are drawn per (table) from the run's seed. Keys must be at most 36^width.
 */
export function codeOf(ctx: Ctx, table: string, key: number, width: number): string {
  const { a, b, c, d, m } = ctx.shared(`code:${table}:${width}`, () => {
    const rng = ctx.at(table, 'natural_key').fork('maps');
    const m = 36n ** BigInt(width);
    const unit = () => {
      let x = BigInt(rng.int(1, 2 ** 30)) * BigInt(rng.int(1, 2 ** 30)) % m;
      while (x % 2n === 0n || x % 3n === 0n) x = (x + 1n) % m;
      return x;
    };
    const offset = () => BigInt(rng.int(0, 2 ** 30)) * BigInt(rng.int(0, 2 ** 30)) % m;
    return { a: unit(), b: offset(), c: unit(), d: offset(), m };
  });
  let x = (a * BigInt(key - 1) + b) % m;
  let reversed = 0n;
  for (let i = 0; i < width; i++) {
    reversed = reversed * 36n + (x % 36n);
    x /= 36n;
  }
  x = (c * reversed + d) % m;
  let text = '';
  for (let i = 0; i < width; i++) {
    text = BASE36[Number(x % 36n)]! + text;
    x /= 36n;
  }
  return text;
}

/**
 * The parent keys a child's corrupt-fk stage points its `deleted` corruptions at: the parent
 * table drops them, and the child never picks them by construction (so every orphan is one
 * the ledger lists).
 */
export function deletedParents(ctx: Ctx, fk: 'ordersCustomer' | 'linesProduct'): Set<number> {
  return ctx.shared(`deleted:${fk}`, () => new Set(deletedParentKeys(FK[fk](ctx)) as number[]));
}
