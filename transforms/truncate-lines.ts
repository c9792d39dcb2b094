import { keyRecorder, stageOptions } from '../src/anomaly/cell-stage.js';
import { TRUNCATE_LINE } from '../src/codecs/codec.js';
import { parseCondition } from '../src/anomaly/condition.js';
import { nullLedger } from '../src/anomaly/ledger.js';
import { rateOption } from '../src/core/options.js';
import { blockPicker, forEachPick } from '../src/random/picks.js';
import { Rng } from '../src/random/rng.js';
import { tableName } from '../src/core/schema.js';
import { defineTransform } from '../src/core/units.js';

/**
 * Truncated JSON lines: the JSON Lines writer cuts a share of rows' lines short, as an
 * interrupted upload or a full disk leaves them. It breaks the container on purpose, so it only
 * happens when this stage is asked for; a datagen stage reading such output stops with an
 * error naming the line. Other writers (CSV) ignore the mark.
 */
export const truncateLines = defineTransform({
  name: 'truncate-lines',
  // Each row changed on its own, by its index: worker threads may run it on separate chunks.
  rowLocal: true,
  summary: 'Cut a share of JSON lines short (breaks the NDJSON container on purpose; every cut recorded)',
  examples: [
    'datagen pipe customer_360 --rows 100000 | datagen truncate-lines --rate 0.001 --ledger anomalies.jsonl > customers.ndjson',
    'datagen pipe attendance --rows 10000 | datagen truncate-lines --rate 0.01 --when status=ABSENT --ledger cut.jsonl > broken.jsonl',
  ],
  options: {
    rate: rateOption('share of rows whose line is cut, 0..1', 0.001),
    ...stageOptions,
  },
  create: (o) => (schema, ctx) => {
    const root = Rng.seeded(o.seed).fork('stage', 'truncate-lines');
    const picks = blockPicker(root.fork('rows'), o.rate);
    const when = o.when ? parseCondition(o.when, schema, 'truncate-lines') : undefined;
    const keyOf = keyRecorder(schema);
    const table = tableName(schema);
    return (batch) => {
      forEachPick(picks, batch.offset, batch.offset + batch.rows.length, (index) => {
        const row = batch.rows[index - batch.offset]!;
        if (when && !when(row)) return;
        // Keep 10-90% of the line's characters.
        const keep = Math.round(root.fork(index).between(0.1, 0.9) * 1000) / 1000;
        (row as { [TRUNCATE_LINE]?: number })[TRUNCATE_LINE] = keep;
        if (ctx.ledger === nullLedger) return;
        if (ctx.ledger.countOnly) return void ctx.ledger.tally!(1);
        ctx.ledger.record({ stage: 'truncate-lines', table, row: index, ...(keyOf ? { key: keyOf(row) } : {}), column: '*', kind: 'truncated_line', before: null, after: keep });
      });
      return batch;
    };
  },
});
