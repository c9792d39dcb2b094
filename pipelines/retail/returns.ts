import type { Schema } from 'apache-arrow';
import type { TableDefinition } from '../../src/core/dataset.js';
import { snapshotRows } from '../../src/delta/log.js';
import { deltaTable } from '../../src/delta/table.js';
import { uniformAt } from '../../src/random/hash.js';
import { defineTable, types, type Row } from '../../src/core/schema.js';
import type { Batch } from '../../src/core/stage.js';
import { formatDate } from '../../src/core/temporal.js';
import { DatagenError } from '../../src/core/errors.js';
import { batchEnd, lineFacts, linesOf, orderAt, orderCalendar, ordersThrough, shipmentAt, type Ctx, type RetailOptions } from './shared.js';

const DAY = 86_400_000_000;
const REASONS = [
  ['Damaged on arrival', 'DMG'],
  ['Wrong item sent', 'WRG'],
  ['Does not fit', 'SIZ'],
  ['No longer needed', 'NLN'],
  ['Changed mind', 'CHG'],
  ['Faulty', 'FLT'],
  ['Not as described', 'NAD'],
] as const;

const fields = {
  return_id: { type: types.int64(), min: 1, description: 'return key (1..N)', key: true },
  order_id: { type: types.int64(), min: 1, description: 'the order returned from (orders_header.order_id)' },
  product_id: { type: types.int64(), min: 1, description: "a product of one of the order's lines (products.product_id)" },
  return_ts: { type: types.timestamp(), after: 'orders_header.order_ts', description: 'when the return was logged: 1-30 days after delivery' },
  qty: { type: types.int32(), min: 0, max: 6, description: "units returned, 1..the line's qty; 0 for a return cancelled before pickup (deleted in version 3)" },
  reason: { type: types.string(), description: 'reason given', values: REASONS.map((r) => r[0]) },
  return_reason_code: { type: types.string(), values: REASONS.map((r) => r[1]), description: 'coded reason; added by schema evolution in version 1 (null in rows written before)', nullable: true },
};
const schema = defineTable('returns', 'Returns of ordered products, as a Delta table with a history', fields);
const { return_reason_code: _code, ...baseFields } = fields;
/** Version 0's schema: without return_reason_code. */
const baseSchema = defineTable('returns', 'Returns of ordered products (version 0 schema)', baseFields);

/** Returns through batch k: the base's, then the base's daily rate over each batch's days. */
function returnsThrough(ctx: Ctx, k: number): number {
  const n = ctx.rows('returns');
  return k <= 0 ? n : n + Math.floor((n / (ctx.options.end - ctx.options.start + 1)) * k * ctx.options.incrementDays + 1e-9);
}

/** Return r's row, from its key alone (version 2 updates some of them). */
function returnAt(ctx: Ctx, id: number): Row {
  if (id > ctx.rows('returns')) return batchReturnAt(ctx, id);
  const rng = ctx.at('returns', 'facts').fork(id);
  const orders = ctx.rows('orders_header');
  const horizonEnd = (ctx.options.end + 1) * DAY;
  for (;;) {
    const orderId = 1 + Math.floor(rng.float() * orders);
    const ship = shipmentAt(ctx, orderId, ctx.options.end);
    if (ship.deliveredAt === undefined) continue; // only delivered orders are returned
    const returnTs = ship.deliveredAt + Math.round(rng.between(1, 30) * DAY);
    if (returnTs >= horizonEnd) continue;
    const line = 1 + Math.floor(rng.float() * linesOf(ctx, orderId));
    const { productId, qty } = lineFacts(ctx, orderId, line, orderAt(ctx, orderId).localDay);
    const [reason, code] = REASONS[rng.int(0, REASONS.length - 1)]!;
    return {
      return_id: id,
      order_id: orderId,
      product_id: productId,
      return_ts: returnTs,
      qty: rng.chance(0.03) ? 0 : rng.int(1, qty),
      reason,
      return_reason_code: code,
    };
  }
}

/**
 * A return of an increment: logged in its batch's days, of an order placed up to 40 days
 * before them and delivered by the end of the batch (the same row whatever batch asks).
 */
function batchReturnAt(ctx: Ctx, id: number): Row {
  let k = 1;
  while (returnsThrough(ctx, k) < id) k++;
  const first = batchEnd(ctx, k - 1) + 1;
  const last = batchEnd(ctx, k);
  const cal = orderCalendar(ctx);
  const lo = cal.firstOrder[Math.max(0, first - 40 - ctx.options.start)]!;
  const hi = ordersThrough(ctx, k);
  const rng = ctx.at('returns', 'facts').fork(id);
  for (;;) {
    const orderId = lo + 1 + Math.floor(rng.float() * (hi - lo));
    const ship = shipmentAt(ctx, orderId, last);
    if (ship.deliveredAt === undefined) continue;
    const returnTs = ship.deliveredAt + Math.round(rng.between(1, 30) * DAY);
    if (returnTs < first * DAY || returnTs >= (last + 1) * DAY) continue;
    const line = 1 + Math.floor(rng.float() * linesOf(ctx, orderId));
    const { productId, qty } = lineFacts(ctx, orderId, line, orderAt(ctx, orderId).localDay);
    const [reason, code] = REASONS[rng.int(0, REASONS.length - 1)]!;
    return { return_id: id, order_id: orderId, product_id: productId, return_ts: returnTs, qty: rng.int(1, qty), reason, return_reason_code: code };
  }
}

/** Versions of the base run's returns (create, evolve, merge, delete); batch k appends version 3 + k. */
const BASE_VERSIONS = 4;

/**
 * An increment's returns: batch k appends one version; resolves to the rows it appended. The versions of earlier batches are
 * written first when missing (batch k made before batch k-1), so the log has no gap; a version
 * already there is the same bytes and is left as it is.
 */
async function appendBatches(ctx: Ctx, path: string, batches: AsyncIterable<Batch>): Promise<number> {
  let added = 0;
  for (let j = 1; j <= ctx.batch; j++) {
    const table = deltaTable(path, { commitTime: `${formatDate(batchEnd(ctx, j) + 1)}T00:00:00Z` });
    const version = table.version();
    if (version === undefined) throw new DatagenError('E_INCREMENT', `returns: ${path} holds no Delta table; generate the base run first`);
    if (version >= BASE_VERSIONS - 1 + j) continue;
    const commit = await table.append(j === ctx.batch ? batches : batchRows(ctx, j));
    if (j === ctx.batch) added = commit.rowsWritten ?? 0;
  }
  // The rows this batch appended (0 when its version was there already).
  return added;
}

async function* batchRows(ctx: Ctx, k: number): AsyncGenerator<Batch> {
  const rows: Row[] = [];
  for (let id = returnsThrough(ctx, k - 1) + 1; id <= returnsThrough(ctx, k); id++) rows.push(returnAt(ctx, id));
  yield { schema, rows, offset: 0 };
}

/** Which returns version 2 corrects (about 5% of those written before it), and how. */
const updated = (ctx: Ctx, id: number) => uniformAt(ctx.at('returns', 'update').key, id) < 0.05;

/**
 * returns: a Delta table whose history the spec asks for. Version 0 creates it with the base
 * schema (the first 60% of returns); version 1 adds return_reason_code by schema evolution
 * and appends the next 25% with it filled; version 2 is an upsert by return_id (about 5% of
 * the earlier returns corrected — qty and the reason code — and the last 15% inserted);
 * version 3 deletes the returns cancelled before pickup (qty=0). Commit times are fixed (the
 * day after the horizon, plus v seconds), so the table is byte-reproducible.
 */
export const returns: TableDefinition<RetailOptions> = {
  name: 'returns',
  schema,
  rules: [
    'return_id is unique in every version; order_id and product_id belong to one of the order\'s lines (recomputed from the order key)',
    'return_ts is 1-30 days after the shipment was delivered, and before the end of the horizon; only delivered orders are returned',
    'version 0: create (base schema, no return_reason_code); 1: schema evolution + append; 2: MERGE by return_id (updates and inserts); 3: DELETE qty=0',
  ],
  rows: 100_000,
  minRows: 40,
  references: { order_id: 'orders_header.order_id', product_id: 'products.product_id' },
  increment: (ctx, k) => ({ from: returnsThrough(ctx, k - 1), to: returnsThrough(ctx, k) }),
  plan: (ctx) => ({
    rows(start, count) {
      const rows: Row[] = new Array(count);
      for (let i = 0; i < count; i++) {
        const row = returnAt(ctx, start + i + 1);
        // Rows of version 0 were written before the code existed.
        if (start + i < phaseEnds(ctx)[0]) row.return_reason_code = null;
        rows[i] = row;
      }
      return rows;
    },
  }),
  output: {
    kind: 'custom',
    format: 'delta',
    path: 'returns/',
    async write(batches, { path, ctx }) {
      const c = ctx as Ctx;
      if (c.batch > 0) return appendBatches(c, path, batches);
      const [v0, v1] = phaseEnds(c);
      const table = deltaTable(path, { commitTime: `${formatDate(c.options.end + 1)}T00:00:00Z` });
      const rows = splitter(batches);
      await table.append(project(rows.until(v0), baseSchema));
      await table.append(rows.until(v1), { evolve: true });
      await table.merge(concat(corrections(c, v1), rows.until(Infinity)), { key: 'return_id' });
      await table.delete('qty=0');
      return snapshotRows(table.snapshot());
    },
  },
};

/** Rows of versions 0 and 1 end at these table indexes. */
function phaseEnds(ctx: Ctx): [number, number] {
  const n = ctx.rows('returns');
  return [Math.floor(n * 0.6), Math.floor(n * 0.85)];
}

/** Version 2's updates: the corrected returns among the first `end`, as whole rows. */
async function* corrections(ctx: Ctx, end: number): AsyncGenerator<Batch> {
  let rows: Row[] = [];
  for (let id = 1; id <= end; id++) {
    if (!updated(ctx, id)) continue;
    const row = returnAt(ctx, id);
    const rng = ctx.at('returns', 'correction').fork(id);
    row.qty = Math.max(1, (row.qty as number) - (rng.chance(0.5) ? 1 : 0));
    const [reason, code] = REASONS[rng.int(0, REASONS.length - 1)]!;
    row.reason = reason;
    row.return_reason_code = code;
    rows.push(row);
    if (rows.length === 8192) {
      yield { schema, rows, offset: 0 };
      rows = [];
    }
  }
  if (rows.length > 0) yield { schema, rows, offset: 0 };
}

async function* concat(...parts: AsyncIterable<Batch>[]): AsyncGenerator<Batch> {
  for (const p of parts) yield* p;
}

async function* project(batches: AsyncIterable<Batch>, to: Schema): AsyncGenerator<Batch> {
  const names = to.fields.map((f) => f.name);
  for await (const b of batches) {
    yield { schema: to, offset: b.offset, rows: b.rows.map((r) => Object.fromEntries(names.map((n) => [n, r[n] ?? null]))) };
  }
}

/** One stream of batches cut at table indexes: until(k) yields the rows before index k. */
function splitter(batches: AsyncIterable<Batch>) {
  const it = batches[Symbol.asyncIterator]();
  let rest: Batch | undefined;
  return {
    async *until(end: number): AsyncGenerator<Batch> {
      for (;;) {
        let b = rest;
        rest = undefined;
        if (!b) {
          const n = await it.next();
          if (n.done) return;
          b = n.value;
        }
        if (b.offset + b.rows.length <= end) {
          yield b;
          continue;
        }
        const cut = Math.max(0, end - b.offset);
        if (cut > 0) yield { schema: b.schema, rows: b.rows.slice(0, cut), offset: b.offset };
        rest = { schema: b.schema, rows: b.rows.slice(cut), offset: b.offset + cut };
        return;
      }
    },
  };
}
