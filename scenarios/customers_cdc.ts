import { datasetContext } from '../src/core/dataset.js';
import { DatagenError } from '../src/core/errors.js';
import { checkDateRange } from '../src/core/options.js';
import { MICROS_PER_DAY, formatDate } from '../src/core/temporal.js';
import { defineScenario } from '../src/core/units.js';
import { changeStreamPlan, envelopeSchema } from '../sources/change-stream.js';
import { customerRow, customers } from '../pipelines/retail/customers.js';
import { CustomerReplay } from '../pipelines/retail/dimension_changes.js';
import { retail } from '../pipelines/retail/index.js';
import { deletedParents, retailOptions } from '../pipelines/retail/shared.js';

/**
 * The retail dataset's customers as a change stream (docs/cdc.md): the snapshot of the base
 * customers, then every increment's sign-ups, moves, new emails and erasures, one Debezium
 * envelope per change. The same (seed, scale, start, end, increment-days) tell the same story
 * as `generate retail` and its `--increment k` change files.
 */
export const customersCdc = defineScenario({
  name: 'customers_cdc',
  summary: "Change events of retail's customers in the Debezium envelope: the snapshot (r), then each increment's sign-ups (c), updates (u) and erasures (d)",
  description:
    'One event per row of the initial snapshot (the base customers in key order), then one per change of increments 1, 2, ... in the order they happened, ' +
    'as many batches as --rows needs. before/after/source are JSON objects (nested in JSONL, JSON text in CSV, Parquet, Arrow, XLSX). ' +
    'Replayed in order, the events give the customers table of generate retail --clean plus its increments (docs/cdc.md).',
  defaultRows: 100_000,
  examples: [
    'datagen pipe customers_cdc --rows 100000 | datagen jsonl > customers_cdc.jsonl',
    'datagen generate customers_cdc --scale 0.01 --rows 1000 --out cdc.parquet',
    'datagen generate customers_cdc --seed 42 --scale 0.01 --rows 2000 --out cdc.csv   # the story of generate retail --seed 42 --scale 0.01 and its increments',
  ],
  schema: envelopeSchema('customers_cdc', "Change events of retail's customers (Debezium envelope)", 'customers'),
  rules: [
    'the first events are the snapshot: op r, before null, source.snapshot true (last on its final row), one per base customer in customer_id order (the deleted parents of customers.csv were never in the database)',
    "then each batch's changes in changed_at order: c (before null), u (both), d (after null, before the row as it was); source.batch = k, source.ts_ms = changed_at in ms",
    'source.lsn is the event number (1, 2, ...): replaying events in lsn order gives the table after each batch',
    "a batch's events are exactly the rows of customers_changes/batch=000k/ of generate retail --increment k with the same seed, scale and options",
    'transaction is always null',
  ],
  options: {
    scale: { type: 'number', description: "the retail dataset's scale: 1 = 80,000 customers (as generate retail --scale)", default: 1, max: 1000 },
    start: { ...retailOptions.start, description: "first day of retail's horizon (the base customers joined in the ten years before it)" },
    end: { ...retailOptions.end, description: "last day of retail's horizon: the snapshot is taken at midnight after it, increment 1 starts the day after" },
    incrementDays: { ...retailOptions.incrementDays, description: 'days each increment covers (as generate retail --increment-days)' },
  },
  plan: ({ scale, start, end, incrementDays }, plan) => {
    if (!(scale > 0)) throw new DatagenError('E_OPTION', `customers_cdc: scale must be above 0 and at most 1000, got ${scale}`);
    checkDateRange('customers_cdc', start, end);
    const ctx = datasetContext(retail, plan.seed ?? 42, scale, { start: formatDate(start), end: formatDate(end), incrementDays });
    const n = ctx.rows('customers');
    // The base customers the database holds: 1..N without the deleted parents, in key order.
    const dropped = deletedParents(ctx, 'ordersCustomer');
    const gone = [...dropped].sort((a, b) => a - b);
    const goneUpTo = (id: number) => {
      let lo = 0;
      let hi = gone.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (gone[mid]! <= id) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    };
    return changeStreamPlan({
      table: 'customers',
      rowSchema: customers.schema,
      database: 'retail',
      snapshotRows: n - gone.length,
      snapshot(first, count) {
        // The first-th kept key: the smallest id with id - goneUpTo(id) = first + 1.
        let id = first + 1;
        while (id - goneUpTo(id) < first + 1) id = first + 1 + goneUpTo(id);
        const rows = [];
        for (; rows.length < count; id++) if (!dropped.has(id)) rows.push(customerRow(ctx, id));
        return rows;
      },
      // Taken at midnight after the horizon's last day: before any increment's change.
      snapshotTs: (end + 1) * MICROS_PER_DAY,
      batches() {
        const replay = new CustomerReplay(ctx);
        return { next: () => replay.next().map((e) => ({ op: e.change.op, ts: e.change.ts, batch: e.change.batch, before: e.before, after: e.after })) };
      },
      lagKey: ctx.at('customers_cdc', 'lag').key,
    });
  },
});
