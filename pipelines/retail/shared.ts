import type { DatasetContext } from '../../src/core/dataset.js';
import { parentOf, runningCounts } from '../../src/core/nested.js';
import { Weighted, Zipf } from '../../src/random/distributions.js';
import { uniformAt } from '../../src/random/hash.js';
import { deletedParentKeys } from '../../transforms/corrupt-fk.js';
import type { Rng } from '../../src/random/rng.js';
import { civilFromDays, formatDate, isoWeekday, MICROS_PER_DAY } from '../../src/core/temporal.js';

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
  [option: string]: unknown;
}
export type Ctx = DatasetContext<RetailOptions>;

export const retailOptions = {
  start: { type: 'date', description: 'first day of the horizon (orders, events, sensors, rates)', default: '2022-01-01' },
  end: { type: 'date', description: 'last day of the horizon', default: '2024-12-31' },
} as const;

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
  return ctx.shared('orders:calendar', () => {
    const { start, end } = ctx.options;
    const days = end - start + 1;
    const total = ctx.rows('orders_header');
    const weights = Array.from({ length: days }, (_, d) => dayWeight(start + d) * (1 + (0.12 * d) / 365));
    const sum = weights.reduce((a, b) => a + b, 0);
    const exact = weights.map((w) => (w / sum) * total);
    const counts = exact.map(Math.floor);
    let left = total - counts.reduce((a, b) => a + b, 0);
    const order = exact.map((x, d) => [x - Math.floor(x), d] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
    for (let k = 0; left > 0; k++, left--) counts[order[k % days]![1]]!++;
    const firstOrder = new Float64Array(days + 1);
    for (let d = 0; d < days; d++) firstOrder[d + 1] = firstOrder[d]! + counts[d]!;
    return { firstOrder, days };
  });
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
  const day = ctx.options.start + lo;
  const rng = ctx.at('orders_header', 'facts').fork(orderId);
  // A store open on the day (closed stores take no orders after they close).
  let storeId = rng.int(1, ctx.rows('stores'));
  let store = storeAt(ctx, storeId);
  for (let tries = 0; tries < 16 && store.closeDay !== undefined && store.closeDay <= day; tries++) {
    storeId = rng.int(1, ctx.rows('stores'));
    store = storeAt(ctx, storeId);
  }
  // A local shopping hour, then back to UTC: the UTC day may differ from the local one.
  const localSeconds = LOCAL_HOURS.pick(rng) * 3600 + rng.int(0, 3599);
  const ts = (day * 86_400 + localSeconds - store.state.offset * 60) * 1_000_000 + rng.int(0, 999_999);
  // Not a customer the customers table drops as a deleted parent (only corrupt-fk points there).
  const gone = deletedParents(ctx, 'ordersCustomer');
  const customers = popular(ctx, 'customers');
  let customerId = popularKey(customers, rng);
  while (gone.has(customerId)) customerId = popularKey(customers, rng);
  const channel = store.channel === 'web' ? (rng.chance(0.35) ? 'app' : 'web') : 'pos';
  return { orderId, ts, localDay: day, customerId, storeId, channel, lines: linesOf(ctx, orderId) };
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
  return ctx.shared('orders:lines', () => runningCounts(ctx.rows('orders_header'), (p) => linesOf(ctx, p + 1)));
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
export function shipmentAt(ctx: Ctx, shipmentId: number): ShipmentFacts {
  const order = orderAt(ctx, shipmentId);
  const rng = ctx.at('shipments', 'facts').fork(shipmentId);
  const carrier = carrierChoice.pick(rng);
  const shippedAt = order.ts + Math.round(rng.between(2, 72) * HOUR);
  // Most arrive within the SLA; about 6% are late (up to 3x the SLA).
  const late = rng.chance(0.06);
  const hours = late ? carrier.sla * rng.between(1.05, 3) : carrier.sla * rng.between(0.25, 1);
  const arrival = shippedAt + Math.round(hours * HOUR);
  const horizonEnd = (ctx.options.end + 1) * 86_400_000_000;
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
