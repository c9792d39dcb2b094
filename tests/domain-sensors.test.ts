import { beforeAll, describe, expect, it } from 'vitest';
import { collect } from '../src/core/pipeline.js';
import { Rng } from '../src/random/rng.js';
import { defineTable, types, type Row } from '../src/core/schema.js';
import { MICROS_PER_DAY, parseDate } from '../src/core/temporal.js';
import { defineScenario, type PlanContext, type RowGenerator } from '../src/core/units.js';
import { iotSensors } from '../scenarios/iot_sensors.js';
import { scenario } from '../sources/scenario.js';
import { sensorSeries, type SensorSeries } from '../sources/sensor-series.js';

/** 42 whole days of 10 devices at 10-minute readings: cycles average out over whole days. */
const DEVICES = 10;
const STEPS = 42 * 144;
const N = DEVICES * STEPS; // 60,480
const START = parseDate('2024-01-01')! * MICROS_PER_DAY;
const CADENCE = 600 * 1e6;

const num = (r: Row, c: string) => r[c] as number;
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const sd = (xs: number[]) => {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1));
};
/** Least-squares slope of y on x. */
const slope = (x: number[], y: number[]) => {
  const mx = mean(x);
  const my = mean(y);
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < x.length; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
  }
  return sxy / sxx;
};
/** Amplitude and peak (as a fraction of the period) of the cosine at phase(t) in y, by least squares on a whole number of periods. */
const cosineFit = (phase: number[], y: number[]) => {
  const my = mean(y);
  let c = 0;
  let s = 0;
  for (let i = 0; i < y.length; i++) {
    c += (y[i]! - my) * Math.cos(2 * Math.PI * phase[i]!);
    s += (y[i]! - my) * Math.sin(2 * Math.PI * phase[i]!);
  }
  c = (2 * c) / y.length;
  s = (2 * s) / y.length;
  return { amplitude: Math.hypot(c, s), peak: ((Math.atan2(s, c) / (2 * Math.PI)) + 1) % 1 };
};
const dayFraction = (t: number) => (t % MICROS_PER_DAY) / MICROS_PER_DAY;
/** Second differences of a device's series: the noise's sd times sqrt(6), the smooth signal cancels. */
const noiseSd = (values: number[]) => {
  const d2: number[] = [];
  for (let i = 1; i + 1 < values.length; i++) d2.push(values[i + 1]! - 2 * values[i]! + values[i - 1]!);
  return sd(d2) / Math.sqrt(6);
};
const byDevice = (rows: Row[], field = 'device_id') => {
  const map = new Map<string | number, Row[]>();
  for (const r of rows) {
    const k = r[field] as string | number;
    if (!map.has(k)) map.set(k, []);
    map.get(k)!.push(r);
  }
  return map;
};

describe('iot_sensors scenario', () => {
  let rows: Row[];
  beforeAll(async () => {
    rows = await collect(scenario(iotSensors, { rows: N, seed: 42 }));
  });

  it('declares a registry name, examples for generate and pipe, and 100,000 default rows', () => {
    expect(iotSensors.name).toBe('iot_sensors');
    expect(iotSensors.defaultRows).toBe(100_000);
    expect(iotSensors.examples.some((e) => e.startsWith('datagen generate iot_sensors'))).toBe(true);
    expect(iotSensors.examples.some((e) => e.startsWith('datagen pipe iot_sensors'))).toBe(true);
    expect(iotSensors.schema.fields.map((f) => f.name)).toEqual(['device_id', 'timestamp', 'value']);
  });

  it('makes exactly the rows asked for', async () => {
    for (const n of [0, 1, 8193, 50_000]) expect((await collect(scenario(iotSensors, { rows: n, seed: 1 }))).length).toBe(n);
    expect(rows.length).toBe(N);
  });

  it('is deterministic: same seed equal, other seed different, batch size and shards change nothing', async () => {
    const again = await collect(scenario(iotSensors, { rows: N, seed: 42, batchSize: 1000 }));
    expect(again).toEqual(rows);
    const other = await collect(scenario(iotSensors, { rows: N, seed: 43 }));
    expect(other.length).toBe(N);
    expect(other.filter((r, i) => r.value !== rows[i]!.value).length).toBeGreaterThan(N * 0.9);
    const parts: Row[] = [];
    for (let i = 0; i < 3; i++) parts.push(...(await collect(scenario(iotSensors, { rows: N, seed: 42, shard: `${i}/3` }))));
    expect(parts).toEqual(rows);
  });

  it('rule: ordered by timestamp then device; each device reads exactly on the cadence from the start, no gaps', () => {
    rows.forEach((r, i) => {
      const step = Math.floor(i / DEVICES);
      if (r.device_id !== 'DEV-' + String((i % DEVICES) + 1).padStart(4, '0')) throw new Error(`row ${i}: ${JSON.stringify(r)}`);
      if (r.timestamp !== START + step * CADENCE) throw new Error(`row ${i}: timestamp ${r.timestamp}, expected ${START + step * CADENCE}`);
    });
    for (const [, series] of byDevice(rows)) {
      expect(series.length).toBe(STEPS);
      for (let k = 1; k < series.length; k++) expect(num(series[k]!, 'timestamp') - num(series[k - 1]!, 'timestamp')).toBe(CADENCE);
    }
  });

  it('rule: daily cycle — hourly means swing by +/- daily-amplitude (3), highest at 15:00 UTC', () => {
    const hourly: number[][] = Array.from({ length: 24 }, () => []);
    for (const r of rows) hourly[Math.floor(dayFraction(num(r, 'timestamp')) * 24)]!.push(num(r, 'value'));
    const means = hourly.map(mean);
    const swing = (Math.max(...means) - Math.min(...means)) / 2;
    expect(swing).toBeGreaterThan(3 * 0.95);
    expect(swing).toBeLessThan(3 * 1.05);
    // The peak hour bucket straddles 15:00; the fitted cosine pins it down.
    expect([14, 15]).toContain(means.indexOf(Math.max(...means)));
    const fit = cosineFit(rows.map((r) => dayFraction(num(r, 'timestamp'))), rows.map((r) => num(r, 'value')));
    expect(Math.abs(fit.amplitude - 3)).toBeLessThan(0.06);
    expect(Math.abs(fit.peak * 24 - 15)).toBeLessThan(0.1);
  });

  it('rule: drift — without the yearly cycle and drift spread, every device trends by drift-per-day', async () => {
    const flat = await collect(scenario(iotSensors, { rows: N, seed: 7, seasonalAmplitude: 0, driftSd: 0, driftPerDay: 0.05 }));
    for (const [, series] of byDevice(flat)) {
      // Daily means cancel the daily cycle (which a raw regression on time would partly pick up).
      const daily: number[] = [];
      for (let d = 0; d < 42; d++) daily.push(mean(series.slice(d * 144, (d + 1) * 144).map((r) => num(r, 'value'))));
      // se of the slope: 0.4 / sqrt(144) / (sd(days) 12.1 x sqrt(42)) ~ 0.0004
      expect(Math.abs(slope(daily.map((_, d) => d), daily) - 0.05)).toBeLessThan(0.002);
    }
  });

  it('rule: noise sd, level spread between devices', () => {
    const devices = byDevice(rows);
    // Per device the estimate's relative se is ~1.3% (second differences are correlated); pooled ~0.4%.
    const perDevice = [...devices.values()].map((series) => noiseSd(series.map((r) => num(r, 'value'))));
    for (const s of perDevice) expect(Math.abs(s / 0.4 - 1)).toBeLessThan(0.06);
    expect(Math.abs(Math.sqrt(mean(perDevice.map((s) => s * s))) / 0.4 - 1)).toBeLessThan(0.02);
    // Device means differ by the level spread (1.5), far more than noise and shared cycles could.
    const levels = [...devices.values()].map((s) => mean(s.map((r) => num(r, 'value'))));
    expect(sd(levels)).toBeGreaterThan(0.5);
    expect(sd(levels)).toBeLessThan(3.5);
  });

  it('rule: values keep 3 decimals', () => {
    for (const r of rows) expect(Math.round(num(r, 'value') * 1000) / 1000).toBe(r.value);
  });

  it('rejects bad options like every unit', () => {
    expect(() => scenario(iotSensors, { cadence: 0 })).toThrow(/iot_sensors: cadence must be/);
    expect(() => scenario(iotSensors, { dailyPeakHour: 25 })).toThrow(/dailyPeakHour must be between 0 and 24/);
  });
});

// ---------------------------------------------------------------- the generator on its own

const schema = defineTable('plant', 'direct use', {
  sensor: { type: types.int32(), description: 'sensor', key: true },
  at: { type: types.timestamp(), description: 'time', key: true },
  temperature: { type: types.float64(), description: 't' },
  humidity: { type: types.float64(), description: 'h' },
});
function direct(build: (ctx: PlanContext) => RowGenerator) {
  return defineScenario({ name: 'plant', summary: '', examples: [], schema, rules: [], options: {}, defaultRows: 0, plan: (_o, ctx) => build(ctx) });
}

describe('sensorSeries used directly: device order, own field names, two signals, a yearly cycle', () => {
  const HOURLY_2Y = 731 * 24; // 2024-2025, hourly
  let gen: SensorSeries;
  const params = (withHumidity: boolean) => ({
    devices: 4,
    startMicros: START,
    cadenceSeconds: 3600,
    order: 'device' as const,
    deviceField: 'sensor',
    timestampField: 'at',
    signals: {
      temperature: { level: 10, levelSd: 2, seasonalAmplitude: 8, seasonalPeakDay: 196, driftPerDay: 0.001, driftSd: 0.001, noiseSd: 0.5 },
      ...(withHumidity ? { humidity: { level: 60, dailyAmplitude: -10, dailyPeakHour: 15, noiseSd: 2, decimals: 1 } } : {}),
    },
  });
  const plant = direct((ctx) => (gen = sensorSeries(params(true), ctx)));
  let rows: Row[];
  beforeAll(async () => {
    rows = await collect(scenario(plant, { rows: 4 * HOURLY_2Y, seed: 3 }));
  });

  it('orders by device, each device a full series on its own cadence', () => {
    expect(gen.steps).toBe(HOURLY_2Y);
    rows.forEach((r, i) => {
      const { device, step } = gen.locate(i);
      if (device !== Math.floor(i / HOURLY_2Y) + 1 || r.sensor !== device || r.at !== START + step * 3600e6) throw new Error(`row ${i}: ${JSON.stringify(r)}`);
    });
  });

  it('the yearly cycle peaks on its day with its amplitude', () => {
    const year = 365.2425 * MICROS_PER_DAY;
    const phase = rows.map((r) => (num(r, 'at') - (parseDate('1970-01-01')! * MICROS_PER_DAY)) / year);
    const fit = cosineFit(phase.map((p) => p % 1), rows.map((r) => num(r, 'temperature')));
    expect(Math.abs(fit.amplitude - 8)).toBeLessThan(0.25);
    expect(Math.abs(fit.peak * 365.2425 - 195)).toBeLessThan(3);
  });

  it('readings follow the noise-free signal plus noise of the given sd; drift per device as drawn', () => {
    const residuals = rows.map((r) => num(r, 'temperature') - gen.expected('temperature', num(r, 'sensor'), num(r, 'at')));
    expect(Math.abs(mean(residuals))).toBeLessThan(0.02);
    expect(Math.abs(sd(residuals) / 0.5 - 1)).toBeLessThan(0.03);
    for (let d = 1; d <= 4; d++) {
      const own = rows.filter((r) => r.sensor === d);
      const days = own.map((r) => (num(r, 'at') - START) / MICROS_PER_DAY);
      const detrended = own.map((r, i) => num(r, 'temperature') - (gen.expected('temperature', d, num(r, 'at')) - gen.deviceParams('temperature', d).driftPerDay * days[i]!));
      expect(Math.abs(slope(days, detrended) - gen.deviceParams('temperature', d).driftPerDay)).toBeLessThan(0.0003);
    }
  });

  it('a negative daily amplitude puts the trough at the peak hour; humidity keeps 1 decimal', () => {
    const fit = cosineFit(rows.map((r) => dayFraction(num(r, 'at'))), rows.map((r) => num(r, 'humidity')));
    expect(Math.abs(fit.amplitude - 10)).toBeLessThan(0.2);
    expect(Math.abs(fit.peak * 24 - 3)).toBeLessThan(0.1); // 15:00 + 12 h
    for (const r of rows.slice(0, 1000)) expect(Math.round(num(r, 'humidity') * 10) / 10).toBe(r.humidity);
  });

  it('adding a signal changes no other column', async () => {
    const alone = await collect(scenario(direct((ctx) => sensorSeries(params(false), ctx)), { rows: rows.length, seed: 3 }));
    expect(alone.map((r) => r.temperature)).toEqual(rows.map((r) => r.temperature));
    expect(alone[0]!.humidity).toBeUndefined();
  });

  it('checks its parameters', () => {
    const ctx = { rows: 10, rng: Rng.seeded(1) };
    expect(() => sensorSeries({ ...params(false), devices: 0 }, ctx)).toThrow(/devices must be an integer >= 1/);
    expect(() => sensorSeries({ ...params(false), signals: {} }, ctx)).toThrow(/signals must be/);
    expect(() => sensorSeries({ ...params(false), signals: { at: { level: 1 } } }, ctx)).toThrow(/signal name must be different/);
  });
});
