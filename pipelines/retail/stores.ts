import type { TableDefinition } from '../../src/core/dataset.js';
import { defineTable, types, type Row } from '../../src/core/schema.js';
import { duplicate } from '../../transforms/duplicate.js';
import { outliers } from '../../transforms/outliers.js';
import { capitalOf, near, townIn } from './au.js';
import { AU_LAT, AU_LON, STATES, storeAt, type Ctx, type RetailOptions } from './shared.js';

const SUFFIXES = ['Central', 'Plaza', 'Village', 'Square', 'Mall', 'Station', 'Junction', 'Marketplace'];

/** store_code: the state (WEB for web stores) and the zero-padded store_id, e.g. NSW-0042, WEB-0007. */
export function storeCode(ctx: Ctx, storeId: number): string {
  const s = storeAt(ctx, storeId);
  return `${s.channel === 'web' ? 'WEB' : s.state.code}-${String(storeId).padStart(4, '0')}`;
}

/** stores: physical (pos) and web stores; state, channel and open/close days are storeAt's, which orders use. */
export const stores: TableDefinition<RetailOptions> = {
  name: 'stores',
  schema: defineTable('stores', 'Stores: physical shops and web stores, where they are, when they opened and closed', {
    store_id: { type: types.int64(), min: 1, description: 'store key (1..N)', key: true },
    store_code: { type: types.string(), pattern: `(WEB|${STATES.map((s) => s.code).join('|')})-\\d{4,}`, description: 'natural key: state code (WEB for web stores), a dash and store_id zero-padded to 4 digits' },
    name: { type: types.string(), description: "town and a centre name for pos stores; 'Online <state>' for web stores" },
    channel: { type: types.string(), description: 'web or pos (about 10% web)', values: ['web', 'pos'] },
    region: { type: types.string(), values: ['Online', ...STATES.map((s) => `${capitalOf(s).name} Metro`), ...STATES.map((s) => `Regional ${s.code}`)], description: "'<capital> Metro' or 'Regional <state>' for pos stores, 'Online' for web stores" },
    state: { type: types.string(), description: "state or territory code (a web store's is its warehouse's; orders take its time zone)", values: STATES.map((s) => s.code) },
    latitude: { type: types.float64(), min: AU_LAT[0], max: AU_LAT[1], description: "latitude of the store (a web store's warehouse, in the state capital)" },
    longitude: { type: types.float64(), min: AU_LON[0], max: AU_LON[1], description: 'longitude of the store' },
    open_dt: { type: types.date(), description: 'day the store opened (up to 15 years before the horizon)' },
    close_dt: { type: types.date(), after: 'open_dt', description: 'day it closed, within the horizon (about 4%); null while open', nullable: true },
  }),
  rules: [
    'store_id is 1..N without gaps; store_code is unique and ends in store_id',
    "latitude/longitude lie inside the state's bounding box; open_dt < close_dt when closed",
    'state, channel, open_dt and close_dt are the facts orders_header uses (time zone of order_dt_local)',
    'Anomalies (ledger): ~0.4% impossible latitude/longitude values (outliers coordinates: beyond +-90/180, a lost decimal point); ' +
      '~0.4% near duplicates: a new store_id (1,000,000,000+) repeating an existing store_code, its name slightly changed',
  ],
  rows: 5_000,
  minRows: 10,
  plan: (ctx) => ({
    rows(first, count) {
      const rows: Row[] = new Array(count);
      for (let i = 0; i < count; i++) {
        const id = first + i + 1;
        const s = storeAt(ctx, id);
        const rng = ctx.at('stores', 'place').fork(id);
        const web = s.channel === 'web';
        const town = web ? capitalOf(s.state) : townIn(s.state, rng);
        const { latitude, longitude } = near(town, s.state, rng, web ? 0.1 : 0.02);
        rows[i] = {
          store_id: id,
          store_code: storeCode(ctx, id),
          name: web ? `Online ${s.state.name}` : `${town.name} ${rng.pick(SUFFIXES)}`,
          channel: s.channel,
          region: web ? 'Online' : town.metro ? `${capitalOf(s.state).name} Metro` : `Regional ${s.state.code}`,
          state: s.state.code,
          latitude,
          longitude,
          open_dt: s.openDay,
          close_dt: s.closeDay ?? null,
        };
      }
      return rows;
    },
  }),
  stages: (ctx) => [
    // Duplicate store_codes: a store entered twice gets a new store_id and keeps its code (see customers).
    duplicate({ rate: 0.004, kinds: 'near', key: 'store_id', columns: 'name', window: 100, seed: ctx.seed + 51 }),
    outliers({ columns: 'latitude,longitude', kinds: 'coordinates', rate: 0.002, seed: ctx.seed + 52 }),
  ],
  output: { kind: 'file', format: 'csv', path: 'stores.csv' },
};
