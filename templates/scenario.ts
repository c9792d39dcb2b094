/**
 * {{name}}: a datagen scenario in TypeScript.
 *
 * Run it (the file is loaded as it is, types stripped, no build step):
 *   npx datagen generate ./{{name}}.ts --rows 1000 --out {{name}}.csv
 *
 * Use it from code:
 *   import { run, scenario, csv } from 'datagen';
 *   import { {{camel}} } from './{{name}}.js';
 *   await run(scenario({{camel}}, { rows: 50_000, seed: 42 }), csv({ path: '{{name}}.csv' }));
 *
 * Or add it to datagen itself: move this file to scenarios/{{name}}.ts, import from '../src/...'
 * instead of 'datagen', and add `{{camel}}` to the list in scenarios/index.ts; then
 * `datagen generate {{name}} --rows 50000 --out {{name}}.csv` works.
 */
import { defineScenario, defineTable, types, Weighted, Pattern, logNormal, type Row } from 'datagen';

const WAREHOUSES = ['SYD', 'MEL', 'BNE', 'PER'] as const;

export const {{camel}} = defineScenario({
  name: '{{name}}',
  summary: 'Stock moved between warehouses (edit me)',
  defaultRows: 10_000,
  examples: ['datagen generate {{name}} --rows 50000 --out {{name}}.csv'],
  schema: defineTable('{{name}}', 'Stock movements', {
    move_id: { type: types.int64(), description: 'row number, from 1', key: true },
    sku: { type: types.string(), description: 'SKU-XXXXXX' },
    warehouse: { type: types.string(), description: 'warehouse code', values: WAREHOUSES },
    quantity: { type: types.int32(), description: 'units moved, log-normal around 20' },
  }),
  rules: ['move_id = row number + 1', 'quantity between 1 and 500'],
  options: {
    medianQuantity: { type: 'number', description: 'median units per move', default: 20, min: 1 },
  },
  // plan() runs once: set up anything every chunk shares. rows() makes rows [first, first+count)
  // from `rng`, the chunk's own stream; fork it per column so columns stay independent.
  plan(opts) {
    const warehouses = new Weighted(WAREHOUSES, [0.4, 0.3, 0.2, 0.1]);
    const sku = new Pattern('SKU-[A-Z0-9]{6}');
    return {
      rows(first, count, rng) {
        const r = { sku: rng.fork('sku'), warehouse: rng.fork('warehouse'), quantity: rng.fork('quantity') };
        const out: Row[] = [];
        for (let i = 0; i < count; i++) {
          const quantity = Math.min(500, Math.max(1, Math.round(logNormal(r.quantity, Math.log(opts.medianQuantity), 0.8))));
          out.push({ move_id: first + i + 1, sku: sku.sample(r.sku), warehouse: warehouses.pick(r.warehouse), quantity });
        }
        return out;
      },
    };
  },
});

// `datagen generate ./{{name}}.ts` runs the default export.
export default {{camel}};
