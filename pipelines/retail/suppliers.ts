import type { TableDefinition } from '../../src/core/dataset.js';
import { Weighted } from '../../src/random/distributions.js';
import { defineTable, types, type Row } from '../../src/core/schema.js';
import { auNames } from './au.js';
import type { RetailOptions } from './shared.js';

/** Supplier countries with their usual lead time in days (shipping by sea from Asia, Europe and the US). */
const COUNTRIES = [
  { code: 'AU', weight: 45, lead: [2, 10], suffixes: null },
  { code: 'CN', weight: 20, lead: [20, 45], suffixes: ['Co., Ltd.', 'Trading Co., Ltd.', 'Manufacturing Co.'] },
  { code: 'NZ', weight: 8, lead: [5, 15], suffixes: null },
  { code: 'US', weight: 7, lead: [21, 50], suffixes: ['Inc.', 'LLC', 'Corp.'] },
  { code: 'VN', weight: 5, lead: [20, 40], suffixes: ['Co., Ltd.', 'JSC'] },
  { code: 'JP', weight: 4, lead: [14, 35], suffixes: ['K.K.', 'Co., Ltd.'] },
  { code: 'DE', weight: 3, lead: [28, 60], suffixes: ['GmbH', 'AG'] },
  { code: 'GB', weight: 3, lead: [28, 60], suffixes: ['Ltd', 'plc'] },
  { code: 'IN', weight: 3, lead: [21, 45], suffixes: ['Pvt Ltd', 'Exports Pvt Ltd'] },
  { code: 'TH', weight: 2, lead: [18, 40], suffixes: ['Co., Ltd.'] },
] as const;
const countryChoice = new Weighted(COUNTRIES, COUNTRIES.map((c) => c.weight));
const TRADES = ['Packaging', 'Wholesale', 'Imports', 'Manufacturing', 'Distribution', 'Textiles', 'Electronics', 'Foods', 'Homewares', 'Outdoor', 'Cosmetics', 'Toys'];

/** suppliers: who the retailer buys from. No anomalies (the spec asks for none). */
export const suppliers: TableDefinition<RetailOptions> = {
  name: 'suppliers',
  schema: defineTable('suppliers', 'Suppliers: who the retailer buys from, and how long they take', {
    supplier_id: { type: types.int64(), min: 1, description: 'supplier key (1..N)', key: true },
    supplier_code: { type: types.string(), pattern: 'SUP-\\d{5,}', description: 'natural key: SUP- and supplier_id zero-padded to 5 digits' },
    name: { type: types.string(), description: 'company name: a surname (faker en_AU), a trade and a legal form of its country' },
    country_code: { type: types.string(), description: 'ISO 3166 country of the supplier (about 45% AU)', values: COUNTRIES.map((c) => c.code) },
    lead_time_days: { type: types.int32(), min: 2, max: 60, description: 'days from purchase order to delivery: 2-15 from AU/NZ, 14-60 from overseas' },
    preferred: { type: types.bool(), description: 'a preferred supplier (about 25%)' },
  }),
  rules: ['supplier_id is 1..N without gaps; supplier_code is SUP-<5+ digits of supplier_id>, unique', "lead_time_days lies in its country's range (AU 2-10, NZ 5-15, overseas 14-60)"],
  rows: 8_000,
  minRows: 10,
  plan: (ctx) => {
    const names = auNames();
    return {
      rows(first, count) {
        const rows: Row[] = new Array(count);
        for (let i = 0; i < count; i++) {
          const id = first + i + 1;
          const rng = ctx.at('suppliers', 'facts').fork(id);
          const country = countryChoice.pick(rng);
          const surname = names.last[rng.index(names.last.length)]!;
          const legal = country.suffixes ? rng.pick(country.suffixes) : rng.pick(names.legal);
          rows[i] = {
            supplier_id: id,
            supplier_code: `SUP-${String(id).padStart(5, '0')}`,
            name: `${surname} ${rng.pick(TRADES)} ${legal}`,
            country_code: country.code,
            lead_time_days: rng.int(country.lead[0], country.lead[1]),
            preferred: rng.chance(0.25),
          };
        }
        return rows;
      },
    };
  },
  output: { kind: 'file', format: 'csv', path: 'suppliers.csv' },
};
