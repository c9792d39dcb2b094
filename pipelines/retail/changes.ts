import { batchEnd, deletedParents, productAt, productLife, storeAt, type Ctx } from './shared.js';
import { sensorLayout } from './sensors.js';

/**
 * What changes in the dimensions from one increment to the next (docs/increments.md): customers
 * sign up, move house, change email or ask to be erased; products change price; stores close.
 * Each batch's changes are a pure function of (seed, scale, options, batch): counts come from
 * running floors of fixed daily rates, change j of a kind draws from its own stream fork(j),
 * so batch k is the same whether or not batches 1..k-1 were generated, and the change streams
 * (customers_cdc) tell the same story as the change files.
 *
 * Only functions here: shared.ts imports this module and this module imports shared.ts, and
 * neither uses the other while it loads.
 */

/** Daily rates, as shares of the base table's rows. */
const SIGNUPS_PER_DAY = 0.0004;
const UPDATES_PER_DAY = 0.0006;
const ERASURES_PER_DAY = 0.00004;
const PRICE_CHANGES_PER_DAY = 0.0015;
const CLOSURES_PER_DAY = 0.00005;

const DAY_MICROS = 86_400_000_000;

/** Batch k's days: [first, last] (k >= 1). */
export function batchWindow(ctx: Ctx, k: number): { first: number; last: number } {
  return { first: batchEnd(ctx, k - 1) + 1, last: batchEnd(ctx, k) };
}

/** How many of something happened through batch k at `perDay` (a running floor: batch k's count is a difference). */
function through(ctx: Ctx, k: number, perDay: number): number {
  return Math.floor(perDay * k * ctx.options.incrementDays + 1e-9);
}

/** A moment in batch k's window, from a stream: a day, then a time between 07:00 and 22:00 UTC. */
function momentIn(ctx: Ctx, k: number, draw: { int(a: number, b: number): number }): number {
  const { first, last } = batchWindow(ctx, k);
  const day = draw.int(first, last);
  return day * DAY_MICROS + draw.int(7 * 3600, 22 * 3600) * 1_000_000 + draw.int(0, 999_999);
}

// ------------------------------------------------------------------ customers

export type CustomerChangeKind = 'signup' | 'address' | 'email' | 'erasure';

export interface CustomerChange {
  /** Debezium-style operation: c(reate), u(pdate), d(elete). */
  op: 'c' | 'u' | 'd';
  kind: CustomerChangeKind;
  customerId: number;
  /** When it happened, µs since the epoch (inside the batch's window). */
  ts: number;
  batch: number;
  /** The change's own index among the changes of its kind (its random stream). */
  index: number;
}

/** Customers who signed up in batches 1..k (their keys follow the base's: N+1, N+2, ...). */
export function newCustomersThrough(ctx: Ctx, k: number): number {
  return k <= 0 ? 0 : through(ctx, k, SIGNUPS_PER_DAY * ctx.rows('customers'));
}

/** The batch a customer signed up in (0: a base customer): the first k whose sign-ups reach the key (an estimate, then a step or two). */
export function customerBatch(ctx: Ctx, customerId: number): number {
  const n = ctx.rows('customers');
  if (customerId <= n) return 0;
  const perBatch = SIGNUPS_PER_DAY * n * ctx.options.incrementDays;
  let k = Math.max(1, Math.floor((customerId - n) / perBatch));
  while (k > 1 && n + newCustomersThrough(ctx, k - 1) >= customerId) k--;
  while (n + newCustomersThrough(ctx, k) < customerId) k++;
  return k;
}

/** The day a new customer (key > N) signed up: a day of its batch, from its key. */
export function signupTs(ctx: Ctx, customerId: number): number {
  return momentIn(ctx, customerBatch(ctx, customerId), ctx.at('customers', 'signup').fork(customerId));
}

/**
 * Batch k's customer changes in time order: sign-ups (c), moves and new emails (u), erasures
 * (d). An update never touches a customer erased before it or in the same batch, nor one of
 * the base's deleted parents (absent from customers.csv); an erased customer takes no orders
 * after its batch.
 */
export function customerChanges(ctx: Ctx, k: number): CustomerChange[] {
  return ctx.shared(`customers:changes:${k}`, () => {
    return customerChangesOf(ctx, k, erasedBefore(ctx, k));
  });
}

/**
 * customerChanges without the memo, for a reader running forward through many batches (the
 * customers_cdc stream) that keeps its own record of erasures: `erased(id)` says whether an
 * earlier batch erased the customer.
 */
export function customerChangesOf(ctx: Ctx, k: number, erased: (id: number) => boolean): CustomerChange[] {
  const n = ctx.rows('customers');
  const before = n + newCustomersThrough(ctx, k - 1);
  const deleted = deletedParents(ctx, 'ordersCustomer');
  const out: CustomerChange[] = [];
  for (let id = before + 1; id <= n + newCustomersThrough(ctx, k); id++) {
    out.push({ op: 'c', kind: 'signup', customerId: id, ts: signupTs(ctx, id), batch: k, index: id - n - 1 });
  }
  const erasedNow = new Set<number>();
  const avoid = (id: number) => deleted.has(id) || erased(id) || erasedNow.has(id);
  const pick = (rng: { int(a: number, b: number): number }) => {
    let id = rng.int(1, before);
    for (let tries = 0; avoid(id) && tries < 1000; tries++) id = rng.int(1, before);
    return id;
  };
  for (let j = through(ctx, k - 1, ERASURES_PER_DAY * n); j < through(ctx, k, ERASURES_PER_DAY * n); j++) {
    const rng = ctx.at('customers', 'erasure').fork(j);
    const id = pick(rng);
    erasedNow.add(id);
    out.push({ op: 'd', kind: 'erasure', customerId: id, ts: momentIn(ctx, k, rng), batch: k, index: j });
  }
  for (let j = through(ctx, k - 1, UPDATES_PER_DAY * n); j < through(ctx, k, UPDATES_PER_DAY * n); j++) {
    const rng = ctx.at('customers', 'update').fork(j);
    const id = pick(rng);
    const kind = rng.chance(0.65) ? 'address' : 'email';
    out.push({ op: 'u', kind, customerId: id, ts: momentIn(ctx, k, rng), batch: k, index: j });
  }
  return out.sort(byChangeOrder);
}

/** Time order, ties by key, then c < d < u. */
function byChangeOrder(a: CustomerChange, b: CustomerChange): number {
  return a.ts - b.ts || a.customerId - b.customerId || a.op.localeCompare(b.op);
}

/**
 * The batch each erased customer was erased in, through batch k: one record per context, run
 * forward as far as asked and never copied per batch (a stream of many batches stays linear).
 */
function erasuresThrough(ctx: Ctx, k: number): Map<number, number> {
  const run = ctx.shared('customers:erasures', () => ({ through: 0, at: new Map<number, number>() }));
  while (run.through < k) {
    const j = run.through + 1;
    for (const c of customerChanges(ctx, j)) if (c.op === 'd') run.at.set(c.customerId, j);
    run.through = j;
  }
  return run.at;
}

/** Was the customer erased in a batch before k? */
function erasedBefore(ctx: Ctx, k: number): (id: number) => boolean {
  const at = erasuresThrough(ctx, k - 1);
  return (id) => {
    const b = at.get(id);
    return b !== undefined && b < k;
  };
}

/** Customers erased in batches 1..k. */
export function erasedThrough(ctx: Ctx, k: number): Set<number> {
  if (k <= 0) return new Set();
  return ctx.shared(`customers:erased:${k}`, () => {
    const set = new Set<number>();
    for (const [id, b] of erasuresThrough(ctx, k)) if (b <= k) set.add(id);
    return set;
  });
}

// ------------------------------------------------------------------ products

export interface PriceChange {
  productId: number;
  ts: number;
  batch: number;
  index: number;
  /** The new price, AUD, 4 decimals. */
  price: number;
}

/** Batch k's price changes in time order: a product still sold gets a new price 8-25% up or down. */
export function priceChanges(ctx: Ctx, k: number): PriceChange[] {
  return ctx.shared(`products:prices:${k}`, () => {
    const { first } = batchWindow(ctx, k);
    return priceChangesOf(ctx, k, (id) => priceOn(ctx, id, first, k - 1));
  });
}

/**
 * priceChanges without the memo, for a reader running forward through many batches (the
 * products_cdc stream): `previous(id)` is the product's price when the batch starts (its base
 * price or the last change of an earlier batch).
 */
export function priceChangesOf(ctx: Ctx, k: number, previous: (id: number) => number): PriceChange[] {
  const p = ctx.rows('products');
  const deleted = deletedParents(ctx, 'linesProduct');
  const out: PriceChange[] = [];
  for (let j = through(ctx, k - 1, PRICE_CHANGES_PER_DAY * p); j < through(ctx, k, PRICE_CHANGES_PER_DAY * p); j++) {
    const rng = ctx.at('products', 'price_change').fork(j);
    let id = rng.int(1, p);
    for (let tries = 0; tries < 100 && (deleted.has(id) || productLife(ctx, id).discontinued !== undefined); tries++) id = rng.int(1, p);
    const ts = momentIn(ctx, k, rng);
    const factor = (rng.chance(0.6) ? 1 : -1) * rng.between(0.08, 0.25);
    // Prices end in .95 or .99 as the base prices mostly do.
    const whole = Math.max(1, Math.floor(previous(id) * (1 + factor)));
    out.push({ productId: id, ts, batch: k, index: j, price: whole + (rng.chance(0.5) ? 0.95 : 0.99) });
  }
  return out.sort((a, b) => a.ts - b.ts || a.productId - b.productId);
}

/**
 * A product's price on a day: its base price, or the last change made before that day in
 * batches 1..upTo (an order sees the price of the day before: no change and order race).
 */
export function priceOn(ctx: Ctx, productId: number, day: number, upTo: number = ctx.batch): number {
  let price = productAt(ctx, productId).price;
  const history = ctx.shared(`products:history:${upTo}`, () => {
    const byProduct = new Map<number, PriceChange[]>();
    for (let k = 1; k <= upTo; k++) {
      for (const c of priceChanges(ctx, k)) {
        const list = byProduct.get(c.productId);
        if (list) list.push(c);
        else byProduct.set(c.productId, [c]);
      }
    }
    return byProduct;
  });
  for (const c of history.get(productId) ?? []) if (Math.floor(c.ts / DAY_MICROS) < day) price = c.price;
  return price;
}

// ------------------------------------------------------------------ stores

export interface StoreClosure {
  storeId: number;
  /** The day it closed (its last day of trading is the day before). */
  day: number;
  ts: number;
  batch: number;
  index: number;
}

/** Batch k's store closures: an open store closes on a day of the batch. */
export function storeClosures(ctx: Ctx, k: number): StoreClosure[] {
  return ctx.shared(`stores:closures:${k}`, () => {
    const s = ctx.rows('stores');
    const closed = new Set<number>();
    for (let j = 1; j < k; j++) for (const c of storeClosures(ctx, j)) closed.add(c.storeId);
    // Not a store with shelf sensors: the sensors table reports from its stores every hour of every batch.
    const sensored = new Set(sensorLayout(ctx).stores);
    const out: StoreClosure[] = [];
    for (let j = through(ctx, k - 1, CLOSURES_PER_DAY * s); j < through(ctx, k, CLOSURES_PER_DAY * s); j++) {
      const rng = ctx.at('stores', 'closure').fork(j);
      let id = rng.int(1, s);
      for (let tries = 0; tries < 100 && (closed.has(id) || storeAt(ctx, id).closeDay !== undefined || sensored.has(id)); tries++) id = rng.int(1, s);
      closed.add(id);
      const ts = momentIn(ctx, k, rng);
      out.push({ storeId: id, day: Math.floor(ts / DAY_MICROS), ts, batch: k, index: j });
    }
    return out.sort((a, b) => a.ts - b.ts || a.storeId - b.storeId);
  });
}

/** The day a store closed in batches 1..upTo, if it did. */
export function closedInBatches(ctx: Ctx, storeId: number, upTo: number = ctx.batch): number | undefined {
  for (let k = 1; k <= upTo; k++) for (const c of storeClosures(ctx, k)) if (c.storeId === storeId) return c.day;
  return undefined;
}
