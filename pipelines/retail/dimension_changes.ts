import { Schema } from 'apache-arrow';
import type { TableDefinition } from '../../src/core/dataset.js';
import { defineTable, types, type Row } from '../../src/core/schema.js';
import { Rng } from '../../src/random/rng.js';
import { customerChanges, customerChangesOf, priceChanges, priceChangesOf, storeClosures, type CustomerChange, type PriceChange } from './changes.js';
import { applyCustomerChange, customerRow, customers } from './customers.js';
import { products } from './products.js';
import { productAt, type Ctx, type RetailOptions } from './shared.js';
import { stores } from './stores.js';

/**
 * The change files an increment writes for the dimensions (docs/increments.md): one row per
 * change, the row as it is after the change (for an erasure, as it was), with what happened
 * and when. `customers_changes/batch=0001/part-0000-b0001.csv` and so on; replaying them over
 * the base tables in changed_at order gives each dimension's state at the end of a batch, the
 * same state the customers_cdc stream ends in.
 */
interface Change {
  op: 'c' | 'u' | 'd';
  kind: string;
  ts: number;
  row(): Row;
}

const CHANGE_FIELDS = {
  change_op: { type: types.string(), values: ['c', 'u', 'd'], description: 'what happened to the row: c = created, u = updated, d = deleted (the row as it was)' },
  change_kind: { type: types.string(), description: 'why: signup, address, email, erasure (customers); price (products); closure (stores)', values: ['signup', 'address', 'email', 'erasure', 'price', 'closure'] },
  changed_at: { type: types.timestamp(), description: "when it happened (UTC), inside the batch's days" },
} as const;

function changeTable(base: TableDefinition<RetailOptions>, description: string, rules: string[], changesOf: (ctx: Ctx, k: number) => Change[]): TableDefinition<RetailOptions> {
  const name = `${base.name}_changes`;
  const head = defineTable(name, description, CHANGE_FIELDS);
  const schema = new Schema([...head.fields, ...base.schema.fields], head.metadata);
  // Each batch's changes, listed once per run (the rows below ask for them row by row).
  const listed = (ctx: Ctx, k: number) => ctx.shared(`${name}:${k}`, () => changesOf(ctx, k));
  // Changes before batch k: a running count, so change i of the table is found by its batch.
  const before = (ctx: Ctx, k: number) => {
    let n = 0;
    for (let j = 1; j < k; j++) n += listed(ctx, j).length;
    return n;
  };
  return {
    name,
    schema,
    rules,
    rows: 0,
    minRows: 0,
    references: { [base.schema.fields[0]!.name]: `${base.name}.${base.schema.fields[0]!.name}` },
    increment: (ctx, k) => ({ from: before(ctx, k), to: before(ctx, k + 1) }),
    plan: (ctx) => ({
      rows(start, count) {
        const out: Row[] = [];
        let k = 1;
        let first = 0;
        while (first + listed(ctx, k).length <= start) first += listed(ctx, k++).length;
        for (let i = start; out.length < count; i++) {
          while (i - first >= listed(ctx, k).length) first += listed(ctx, k++).length;
          const c = listed(ctx, k)[i - first]!;
          const row: Row = { change_op: c.op, change_kind: c.kind, changed_at: c.ts, ...c.row() };
          (row as { [BATCH]?: number })[BATCH] = k;
          out.push(row);
        }
        return out;
      },
    }),
    output: { kind: 'partitioned', format: 'csv', path: `${name}/`, file: 'part-{num:04}.csv', partition: (row) => [`batch=${String((row as { [BATCH]?: number })[BATCH]).padStart(4, '0')}`] },
  };
}

const BATCH = Symbol('changes.batch');
const noRng = Rng.seeded(0);

/** One row of a base table by its key, from the table's own plan (plans are random access by key). */
export function baseRow(table: TableDefinition<RetailOptions>, ctx: Ctx, id: number): Row {
  return table.plan({ ...ctx, tableRows: ctx.rows(table.name), rng: noRng }).rows(id - 1, 1, noRng)[0]!;
}

/** A change with the customer's row just before it (null for a sign-up) and just after it (null for an erasure). */
export interface CustomerEvent {
  change: CustomerChange;
  before: Row | null;
  after: Row | null;
}

/**
 * The customers table run forward through the increments, one batch at a time: what each
 * change found and left. It keeps only what the next batch needs (the rows updates made, the
 * erased keys), never a copy per batch, so a stream of many batches (customers_cdc) costs
 * time and memory linear in its changes.
 */
export class CustomerReplay {
  /** Batches replayed so far. */
  batch = 0;
  /** Rows as updates left them (others are as customerRow makes them). */
  private readonly current = new Map<number, Row>();
  private readonly erased = new Set<number>();

  constructor(private readonly ctx: Ctx) {}

  /** The next batch's changes in time order, with their rows. */
  next(): CustomerEvent[] {
    const ctx = this.ctx;
    const k = ++this.batch;
    const changes = customerChangesOf(ctx, k, (id) => this.erased.has(id));
    const out: CustomerEvent[] = new Array(changes.length);
    for (let i = 0; i < changes.length; i++) {
      const c = changes[i]!;
      const before = c.op === 'c' ? null : (this.current.get(c.customerId) ?? customerRow(ctx, c.customerId));
      const after = c.op === 'd' ? null : c.op === 'c' ? customerRow(ctx, c.customerId) : applyCustomerChange(ctx, before!, c);
      if (c.op === 'u') this.current.set(c.customerId, after!);
      out[i] = { change: c, before, after };
    }
    // Erased only now: the batch's own picks already avoided its erasures.
    for (const c of changes) {
      if (c.op !== 'd') continue;
      this.erased.add(c.customerId);
      this.current.delete(c.customerId);
    }
    return out;
  }
}

/** Batch k's customer changes with their rows, in customerChanges(ctx, k)'s order (replayed from batch 1). */
export function customerStates(ctx: Ctx, k: number): CustomerEvent[] {
  return ctx.shared(`customers:states:${k}`, () => {
    const replay = new CustomerReplay(ctx);
    while (replay.batch < k - 1) replay.next();
    return replay.next();
  });
}

/** A price change with the product's row just before it and just after it. */
export interface ProductEvent {
  change: PriceChange;
  before: Row;
  after: Row;
}

/**
 * The products table run forward through the increments (products_cdc): each batch's price
 * changes with the rows they found and left. A batch's new prices start from the prices of
 * the batch's first day (priceChanges); a second change of one product in the same batch
 * finds the first one's price in `before`.
 */
export class ProductReplay {
  batch = 0;
  /** Prices changes left, by product (the others have their base price). */
  private readonly price = new Map<number, number>();

  constructor(private readonly ctx: Ctx) {}

  next(): ProductEvent[] {
    const ctx = this.ctx;
    const k = ++this.batch;
    const priceOf = (id: number) => this.price.get(id) ?? productAt(ctx, id).price;
    return priceChangesOf(ctx, k, priceOf).map((c) => {
      const row = baseRow(products, ctx, c.productId);
      const before = { ...row, current_price: priceOf(c.productId) };
      this.price.set(c.productId, c.price);
      return { change: c, before, after: { ...row, current_price: c.price } };
    });
  }
}

export const customersChanges = changeTable(
  customers,
  'Changes to customers in each increment: sign-ups, moves, new emails and erasures (GDPR), the row after the change',
  [
    'one row per change, in changed_at order within a batch; batch k is in customers_changes/batch=000k/',
    'c: a new customer (customer_id after the base ones), u: a new address (address_line1..longitude) or email, d: an erasure (the row as it was)',
    "orders after an erasure's batch never name the erased customer; orders of the base keep the customer_id they had",
  ],
  (ctx, k) =>
    customerChanges(ctx, k).map((c, i) => ({
      op: c.op,
      kind: c.kind,
      ts: c.ts,
      row: () => {
        const s = customerStates(ctx, k)[i]!;
        return (s.after ?? s.before)!;
      },
    })),
);

export const productsChanges = changeTable(
  products,
  'Changes to products in each increment: new prices, the row after the change',
  ['one row per price change (u, price): current_price is the new price; order lines from the next day on use it'],
  (ctx, k) => priceChanges(ctx, k).map((c) => ({ op: 'u' as const, kind: 'price', ts: c.ts, row: () => ({ ...baseRow(products, ctx, c.productId), current_price: c.price }) })),
);

export const storesChanges = changeTable(
  stores,
  'Changes to stores in each increment: closures, the row after the change',
  ['one row per closure (u, closure): close_dt is the day it closed; no order is placed there from that day on'],
  (ctx, k) => storeClosures(ctx, k).map((c) => ({ op: 'u' as const, kind: 'closure', ts: c.ts, row: () => ({ ...baseRow(stores, ctx, c.storeId), close_dt: c.day }) })),
);
