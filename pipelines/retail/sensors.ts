import type { TableDefinition } from '../../src/core/dataset.js';
import { uniformAt } from '../../src/random/hash.js';
import { defineTable, types, type Row } from '../../src/core/schema.js';
import { formatDate } from '../../src/core/temporal.js';
import { missing } from '../../transforms/missing.js';
import { outliers } from '../../transforms/outliers.js';
import { batchEnd, storeAt, type Ctx, type RetailOptions } from './shared.js';

/** Readings per shelf sensor per day (hourly), and the rows asked for at scale 1. */
const PER_DAY = 24;
const ROWS_AT_SCALE_1 = 6_000_000;
/** Valid ranges; only the outliers stage writes values outside them (ledger). */
export const TEMPERATURE_RANGE = [-5, 40] as const;
export const HUMIDITY_RANGE = [0, 100] as const;
/** A new battery starts at 3,590-3,650 mV and is replaced when it reaches this. */
export const BATTERY_EMPTY_MV = 2700;

/** One shelf sensor: where it is, what it measures, and its batteries over the horizon. */
export interface SensorFacts {
  storeId: number;
  shelfId: string;
  chilled: boolean;
  /** Seconds after each whole UTC hour at which it reports (fixed per sensor, rising with the shelf number). */
  offset: number;
  /** The store's UTC offset in hours, for the daily cycle in local time. */
  tzHours: number;
  tempBase: number;
  humidityBase: number;
  /** Reading index (hour of the horizon) at which each battery went in; the first is <= 0. */
  batteryStart: number[];
  /** Each battery's life in readings, and its voltage when new. */
  batteryLife: number[];
  batteryMv: number[];
}

export interface SensorLayout {
  /** Stores with sensors, and their shelf counts. */
  stores: number[];
  shelves: number[];
  /** firstRow[k] = rows of stores before store k (store-major, then time, then shelf); length stores + 1. */
  firstRow: Float64Array;
  /** firstSensor[k] = index in `sensors` of store k's first shelf. */
  firstSensor: number[];
  sensors: SensorFacts[];
  /** Readings per sensor: every hour of the horizon. */
  readings: number;
}

/**
 * Which stores have sensors, made once per run: the open pos stores (web stores have no
 * shelves, closed ones no power) in store_id order, 4-8 shelves each, until the shelves times
 * the hours of the horizon reach the row target (6M at scale 1: about 38 stores). A tiny scale
 * keeps one store with fewer shelves; if no store is open pos (a handful of stores), the first
 * pos store, else store 1, so the table is never empty.
 */
export function sensorLayout(ctx: Ctx): SensorLayout {
  return ctx.shared('sensors:layout', () => {
    const readings = (ctx.options.end - ctx.options.start + 1) * PER_DAY;
    const budget = Math.max(1, Math.round((ROWS_AT_SCALE_1 * ctx.scale) / readings));
    const stores: number[] = [];
    const shelves: number[] = [];
    let total = 0;
    const nStores = ctx.rows('stores');
    for (let id = 1; id <= nStores && total < budget; id++) {
      const s = storeAt(ctx, id);
      if (s.channel !== 'pos' || s.closeDay !== undefined) continue;
      const n = Math.min(budget - total, ctx.at('sensors', 'shelves').fork(id).int(4, 8));
      stores.push(id);
      shelves.push(n);
      total += n;
    }
    if (stores.length === 0) {
      let id = 1;
      while (id < nStores && storeAt(ctx, id).channel !== 'pos') id++;
      stores.push(id <= nStores && storeAt(ctx, id).channel === 'pos' ? id : 1);
      shelves.push(Math.min(budget, 4));
    }
    const firstRow = new Float64Array(stores.length + 1);
    const firstSensor: number[] = [];
    const sensors: SensorFacts[] = [];
    stores.forEach((storeId, k) => {
      firstRow[k + 1] = firstRow[k]! + shelves[k]! * readings;
      firstSensor.push(sensors.length);
      const tzHours = storeAt(ctx, storeId).state.offset / 60;
      for (let j = 0; j < shelves[k]!; j++) sensors.push(sensorFacts(ctx, storeId, j, tzHours, readings));
    });
    return { stores, shelves, firstRow, firstSensor, sensors, readings };
  });
}

function sensorFacts(ctx: Ctx, storeId: number, j: number, tzHours: number, readings: number): SensorFacts {
  const rng = ctx.at('sensors', 'sensor').fork(storeId, j);
  const chilled = rng.chance(0.3);
  const batteryStart: number[] = [];
  const batteryLife: number[] = [];
  const batteryMv: number[] = [];
  // Batteries last 240-420 days and are swapped when empty; the first went in before the horizon.
  let at = 0;
  for (let b = 0; at < readings; b++) {
    const life = rng.int(240, 420) * PER_DAY;
    if (b === 0) at = -rng.int(0, life - 1);
    batteryStart.push(at);
    batteryLife.push(life);
    batteryMv.push(rng.int(3590, 3650));
    at += life;
  }
  return {
    storeId,
    shelfId: `${chilled ? 'CHL' : 'AMB'}-${String(j + 1).padStart(2, '0')}`,
    chilled,
    offset: j * 300 + rng.int(0, 240),
    tzHours,
    tempBase: chilled ? rng.between(2.5, 4.5) : rng.between(19.5, 22.5),
    humidityBase: chilled ? rng.between(80, 90) : rng.between(45, 60),
    batteryStart,
    batteryLife,
    batteryMv,
  };
}

/** Battery voltage of a sensor at reading t: flat at first, falling fast near the end of its life. */
export function batteryAt(s: SensorFacts, t: number): number {
  let b = s.batteryStart.length - 1;
  while (b > 0 && s.batteryStart[b]! > t) b--;
  const f = (t - s.batteryStart[b]!) / s.batteryLife[b]!;
  const v0 = s.batteryMv[b]!;
  return Math.round(v0 - (v0 - BATTERY_EMPTY_MV) * (0.6 * f + 0.4 * f ** 6));
}

/** Where a row's file goes, fixed before the stages run (sensor_ts may be blanked). */
const PARTITION = Symbol('sensors.partition');
const TWO_PI = 2 * Math.PI;
/** Day number (since the epoch) of a 20 January: the warmest time of the Australian year. */
const MIDSUMMER = 19;

/** Readings per sensor in one increment (every hour of its days). */
function batchReadings(ctx: Ctx): number {
  return ctx.options.incrementDays * PER_DAY;
}

/**
 * A sensor's facts with batteries through the run's last batch: the base's batteries, then
 * more from a stream of their own (the base's draws stay as they were).
 */
function extended(ctx: Ctx, s: SensorFacts): SensorFacts {
  const through = (batchEnd(ctx) - ctx.options.start + 1) * PER_DAY;
  return ctx.shared(`sensors:batteries:${s.storeId}:${s.shelfId}`, () => {
    const rng = ctx.at('sensors', 'sensor', 'batteries').fork(s.storeId, s.shelfId);
    const more = { ...s, batteryStart: [...s.batteryStart], batteryLife: [...s.batteryLife], batteryMv: [...s.batteryMv] };
    let at = more.batteryStart.at(-1)! + more.batteryLife.at(-1)!;
    while (at < through) {
      const life = rng.int(240, 420) * PER_DAY;
      more.batteryStart.push(at);
      more.batteryLife.push(life);
      more.batteryMv.push(rng.int(3590, 3650));
      at += life;
    }
    return more;
  });
}

/** One reading: sensor s at hour t of the horizon (t past its end in increments); r numbers the row (its noise). */
function readingMaker(ctx: Ctx): (s: SensorFacts, t: number, r: number) => Row {
  const startSeconds = ctx.options.start * 86_400;
  const noiseA = ctx.at('sensors', 'noise', 'a').key;
  const noiseB = ctx.at('sensors', 'noise', 'b').key;
  let day = -1;
  let store = -1;
  let partition: string[] = [];
  let season = 0;
  return (s, t, r) => {
    const d = ctx.options.start + Math.floor(t / PER_DAY);
    if (d !== day || s.storeId !== store) {
      day = d;
      store = s.storeId;
      partition = [`store_id=${s.storeId}`, `month=${formatDate(d).slice(0, 7)}`];
      season = Math.cos((TWO_PI * (d - MIDSUMMER)) / 365.2425);
    }
    const seconds = startSeconds + t * 3600 + s.offset;
    // Hour of the day in the store's time zone: the daily cycle peaks around 15:00.
    const localHour = (t + s.tzHours + s.offset / 3600) % 24;
    const daily = Math.cos((TWO_PI * (localHour - 15)) / 24);
    // Two normal draws (Box-Muller) addressed by the row: no state between chunks.
    const radius = Math.sqrt(-2 * Math.log(1 - uniformAt(noiseA, r)));
    const angle = TWO_PI * uniformAt(noiseB, r);
    const z1 = radius * Math.cos(angle);
    const z2 = radius * Math.sin(angle);
    let temp: number;
    let humidity: number;
    if (s.chilled) {
      temp = s.tempBase + 0.5 * daily + 0.2 * season + 0.2 * z1;
      humidity = Math.min(97, s.humidityBase + 1.0 * daily + 1.2 * z2);
    } else {
      temp = s.tempBase + 1.6 * daily + 1.5 * season + 0.25 * z1;
      humidity = Math.max(15, Math.min(90, s.humidityBase - 2.5 * daily + 3 * season + 1.5 * z2));
    }
    const row: Row = {
      sensor_ts: seconds * 1_000_000,
      store_id: s.storeId,
      shelf_id: s.shelfId,
      temperature_c: Math.round(temp * 100) / 100,
      humidity_pct: Math.round(humidity * 100) / 100,
      battery_mv: batteryAt(s, t),
    };
    (row as { [PARTITION]?: string[] })[PARTITION] = partition;
    return row;
  };
}

/** sensors: hourly shelf readings of the stores with sensors, store by store, then time, then shelf. */
export const sensors: TableDefinition<RetailOptions> = {
  name: 'sensors',
  schema: defineTable('sensors', 'Shelf sensors in stores: temperature, humidity and battery, hourly', {
    sensor_ts: { type: types.timestamp(), description: 'when the reading was taken (UTC instant)', key: true },
    store_id: { type: types.int64(), min: 1, description: 'the store (stores.store_id; open pos stores only)', key: true },
    shelf_id: { type: types.string(), pattern: '(AMB|CHL)-0[1-8]', description: 'shelf within the store: AMB-nn (ambient) or CHL-nn (chilled), nn = 01..08', key: true },
    temperature_c: { type: types.decimal(5, 2), min: TEMPERATURE_RANGE[0], max: TEMPERATURE_RANGE[1], description: 'air temperature at the shelf, degrees Celsius' },
    humidity_pct: { type: types.decimal(5, 2), min: HUMIDITY_RANGE[0], max: HUMIDITY_RANGE[1], description: 'relative humidity at the shelf, percent' },
    battery_mv: { type: types.int32(), min: BATTERY_EMPTY_MV, max: 3650, description: "the sensor's battery voltage, millivolts" },
  }),
  rules: [
    'sensors are installed in the open pos stores (no web stores, no store that closes), taken in store_id order until the row target is met: about 38 stores at scale 1, one store at scale 0.01',
    'each store has 4-8 shelves; each shelf reports every hour of the horizon at a fixed second of the hour (its offset), so consecutive readings of a shelf are exactly 3,600 s apart',
    'rows are ordered by store, then time, then shelf; files are sensors/store_id=<id>/month=<YYYY-MM of sensor_ts, UTC>/sensors.csv',
    'temperature_c: ambient shelves 19.5-22.5 °C with a daily cycle (warmest mid-afternoon local time) and a summer peak in January; chilled shelves 2.5-4.5 °C; plus measurement noise',
    `temperature_c within ${TEMPERATURE_RANGE[0]}..${TEMPERATURE_RANGE[1]} and humidity_pct within ${HUMIDITY_RANGE[0]}..${HUMIDITY_RANGE[1]} except the 0.2% per column outliers injects beyond those bounds (ledger)`,
    `battery_mv never rises between consecutive readings of a shelf except when the battery is replaced (every 240-420 days, when it reaches ${BATTERY_EMPTY_MV} mV), where it jumps back to 3,590-3,650 mV`,
    '0.05% of sensor_ts are blank (missing, ledger); their row stays in its file',
  ],
  rows: (ctx) => {
    const layout = sensorLayout(ctx);
    return layout.firstRow[layout.stores.length]!;
  },
  references: { store_id: 'stores.store_id' },
  // Batch k: every sensor's readings of the batch's hours (store by store), numbered after the
  // base's rows and the earlier batches' (every batch has the same number of rows).
  increment: (ctx, k) => {
    const layout = sensorLayout(ctx);
    const base = layout.firstRow[layout.stores.length]!;
    const perBatch = batchReadings(ctx) * layout.shelves.reduce((a, b) => a + b, 0);
    return { from: base + (k - 1) * perBatch, to: base + k * perBatch };
  },
  plan: (ctx) => {
    const layout = sensorLayout(ctx);
    const N = layout.readings;
    const reading = readingMaker(ctx);
    const base = layout.firstRow[layout.stores.length]!;
    const W = batchReadings(ctx);
    const perStore = layout.shelves.map((sh) => sh * W);
    const perBatch = perStore.reduce((a, b) => a + b, 0);
    return {
      rows(start, count) {
        const rows: Row[] = new Array(count);
        if (start >= base) {
          // An increment's rows: batch, store, hour of the batch, shelf (the same row whatever batch asks).
          for (let i = 0; i < count; i++) {
            const p = start + i - base;
            const batch = Math.floor(p / perBatch) + 1;
            let local = p - (batch - 1) * perBatch;
            let k = 0;
            while (local >= perStore[k]!) local -= perStore[k++]!;
            const sh = layout.shelves[k]!;
            const t = N + (batch - 1) * W + Math.floor(local / sh);
            const s = extended(ctx, layout.sensors[layout.firstSensor[k]! + (local % sh)]!);
            rows[i] = reading(s, t, start + i);
          }
          return rows;
        }
        // The store holding row `start`: the last k with firstRow[k] <= start.
        let k = 0;
        while (layout.firstRow[k + 1]! <= start) k++;
        let sh = layout.shelves[k]!;
        const local = start - layout.firstRow[k]!;
        let t = Math.floor(local / sh);
        let j = local - t * sh;
        for (let i = 0; i < count; i++) {
          if (j === sh) {
            j = 0;
            t++;
          }
          if (t === N) {
            k++;
            sh = layout.shelves[k]!;
            t = 0;
          }
          rows[i] = reading(layout.sensors[layout.firstSensor[k]! + j]!, t, start + i);
          j++;
        }
        return rows;
      },
    };
  },
  stages: (ctx) => [
    outliers({ columns: 'temperature_c', rate: 0.002, kinds: 'beyond_bound', min: TEMPERATURE_RANGE[0], max: TEMPERATURE_RANGE[1], seed: ctx.seed + 81 }),
    outliers({ columns: 'humidity_pct', rate: 0.002, kinds: 'beyond_bound', min: HUMIDITY_RANGE[0], max: HUMIDITY_RANGE[1], seed: ctx.seed + 82 }),
    missing({ columns: 'sensor_ts', rate: 0.0005, seed: ctx.seed + 83 }),
  ],
  output: {
    kind: 'partitioned',
    format: 'csv',
    path: 'sensors/',
    file: 'sensors.csv',
    partition: (row) => (row as { [PARTITION]?: string[] })[PARTITION]!,
  },
};
