import { normal } from '../src/random/distributions.js';
import type { Row, Value } from '../src/core/schema.js';
import { MICROS_PER_DAY } from '../src/core/temporal.js';
import type { PlanContext, RowGenerator } from '../src/core/units.js';
import { checkInteger, checkNumber, invalid, rounder } from './domain.js';

/**
 * Engineering domain: sensor time series. Devices report on a regular cadence; each signal is
 *
 *   value(device, t) = level_d + drift_d * days since start
 *                    + dailyAmplitude * cos(2π (hour(t) - dailyPeakHour) / 24)
 *                    + seasonalAmplitude * cos(2π (dayOfYear(t) - seasonalPeakDay) / 365.2425)
 *                    + N(0, noiseSd)
 *
 * Why this shape: everything but the noise is a deterministic function of (device, time), and
 * per-device level and drift are drawn once in plan (in device order, from the plan stream),
 * so row i maps to (device, step) by arithmetic and its value needs no earlier row — a chunk
 * draws only its own rows' noise. No random walk on purpose: that would make step k depend on
 * the draws of steps 0..k-1 and break chunk addressing.
 */

/** One measured column. Amplitudes and drift are in the value's own units. */
export interface SignalParams {
  /** Mean level across devices. */
  level: number;
  /** Per-device level spread (sd of each device's level around `level`). */
  levelSd?: number;
  /** Half the peak-to-trough swing of the daily cycle. */
  dailyAmplitude?: number;
  /** Hour of day (UTC, fractional) of the daily maximum. */
  dailyPeakHour?: number;
  /** Half the peak-to-trough swing of the yearly cycle. */
  seasonalAmplitude?: number;
  /** Day of year (1..366) of the yearly maximum. */
  seasonalPeakDay?: number;
  /** Linear drift per day (mean across devices). */
  driftPerDay?: number;
  /** Per-device drift spread (sd around `driftPerDay`). */
  driftSd?: number;
  /** Standard deviation of the gaussian measurement noise. */
  noiseSd?: number;
  /** Round values to this many decimals (none when omitted). */
  decimals?: number;
}

export interface SensorSeriesParams {
  /** Number of devices (ids 1..devices before `deviceId`). */
  devices: number;
  /** First reading, microseconds since the epoch. */
  startMicros: number;
  /** Seconds between two readings of a device (> 0; sub-second allowed down to 1 µs). */
  cadenceSeconds: number;
  /** 'time': all devices at step 0, then step 1, ... (a live feed); 'device': device 1's whole series first. */
  order?: 'time' | 'device';
  /** Column names; defaults device_id and timestamp. */
  deviceField?: string;
  timestampField?: string;
  /** How device d (1-based) is written; default the number d. Called once per device in plan. */
  deviceId?: (device: number) => Value;
  /** The measured columns, by column name (e.g. `{ value: {...} }`, or temperature + humidity). */
  signals: Record<string, SignalParams>;
  /** Name used in error messages. */
  owner?: string;
}

export interface SensorSeries extends RowGenerator {
  readonly devices: number;
  /** Readings per device the table holds (the last step may be partial in 'time' order). */
  readonly steps: number;
  /** Row i -> (device 1-based, step 0-based), by arithmetic. */
  locate(i: number): { device: number; step: number };
  timestampAt(step: number): number;
  /** The noise-free value of `column` for `device` (1-based) at time `t` (µs), before rounding. */
  expected(column: string, device: number, t: number): number;
  /** The level and drift drawn for `device` (1-based). */
  deviceParams(column: string, device: number): { level: number; driftPerDay: number };
}

const DAYS_PER_YEAR = 365.2425;
const TWO_PI = 2 * Math.PI;

interface Signal {
  name: string;
  levels: Float64Array;
  drifts: Float64Array;
  daily: number;
  dailyPhase: number; // peak as a fraction of the day
  seasonal: number;
  seasonalPeak: number; // days since the epoch's Jan 1, 0-based
  noiseSd: number;
  round: (v: number) => number;
}

export function sensorSeries(params: SensorSeriesParams, ctx: PlanContext): SensorSeries {
  const owner = params.owner ?? 'sensor-series';
  const D = checkInteger(owner, 'devices', params.devices, 1);
  const startMicros = Math.round(checkNumber(owner, 'startMicros', params.startMicros));
  const cadenceMicros = Math.round(checkNumber(owner, 'cadenceSeconds', params.cadenceSeconds, 1e-6) * 1e6);
  if (cadenceMicros < 1) invalid(owner, 'cadenceSeconds', 'at least 1 microsecond', params.cadenceSeconds);
  const cadenceDays = cadenceMicros / MICROS_PER_DAY;
  const timeMajor = (params.order ?? 'time') === 'time';
  const deviceField = params.deviceField ?? 'device_id';
  const timestampField = params.timestampField ?? 'timestamp';
  const rows = ctx.rows;
  const steps = Math.max(1, Math.ceil(rows / D));
  if (Math.abs(startMicros + (steps - 1) * cadenceMicros) > Number.MAX_SAFE_INTEGER) invalid(owner, 'cadenceSeconds', 'small enough for timestamps to stay exact integers', params.cadenceSeconds);

  const ids: Value[] = new Array(D);
  for (let d = 0; d < D; d++) ids[d] = params.deviceId ? params.deviceId(d + 1) : d + 1;

  const names = Object.keys(params.signals);
  if (names.length === 0) invalid(owner, 'signals', 'at least one measured column', params.signals);
  const signals: Signal[] = names.map((name) => {
    if (name === deviceField || name === timestampField) invalid(owner, `signal name`, `different from ${deviceField} and ${timestampField}`, name);
    const p = params.signals[name]!;
    const what = (k: string) => `${name}.${k}`;
    const level = checkNumber(owner, what('level'), p.level);
    const levelSd = checkNumber(owner, what('levelSd'), p.levelSd ?? 0, 0);
    const drift = checkNumber(owner, what('driftPerDay'), p.driftPerDay ?? 0);
    const driftSd = checkNumber(owner, what('driftSd'), p.driftSd ?? 0, 0);
    // Devices in order from their own stream per column: device d is the same whatever the
    // device count, and a new signal changes no other signal.
    const devRng = ctx.rng.fork('devices', name);
    const levels = new Float64Array(D);
    const drifts = new Float64Array(D);
    for (let d = 0; d < D; d++) {
      levels[d] = levelSd > 0 ? normal(devRng, level, levelSd) : level;
      drifts[d] = driftSd > 0 ? normal(devRng, drift, driftSd) : drift;
    }
    return {
      name,
      levels,
      drifts,
      daily: checkNumber(owner, what('dailyAmplitude'), p.dailyAmplitude ?? 0),
      dailyPhase: checkNumber(owner, what('dailyPeakHour'), p.dailyPeakHour ?? 0, 0, 24) / 24,
      seasonal: checkNumber(owner, what('seasonalAmplitude'), p.seasonalAmplitude ?? 0),
      seasonalPeak: checkNumber(owner, what('seasonalPeakDay'), p.seasonalPeakDay ?? 1, 1, 366) - 1,
      noiseSd: checkNumber(owner, what('noiseSd'), p.noiseSd ?? 0, 0),
      round: rounder(p.decimals === undefined ? undefined : checkInteger(owner, what('decimals'), p.decimals, 0)),
    };
  });

  /** The time-only part of a signal: daily and yearly cycles at instant t. */
  const cycles = (s: Signal, t: number): number => {
    let v = 0;
    if (s.daily !== 0) {
      const dayFraction = (((t % MICROS_PER_DAY) + MICROS_PER_DAY) % MICROS_PER_DAY) / MICROS_PER_DAY;
      v += s.daily * Math.cos(TWO_PI * (dayFraction - s.dailyPhase));
    }
    if (s.seasonal !== 0) v += s.seasonal * Math.cos((TWO_PI * (t / MICROS_PER_DAY - s.seasonalPeak)) / DAYS_PER_YEAR);
    return v;
  };
  const byName = (column: string): Signal => signals.find((s) => s.name === column) ?? invalid(owner, 'column', `one of ${names.join(', ')}`, column);

  const locate = (i: number) => {
    if (timeMajor) {
      const step = Math.floor(i / D);
      return { device: i - step * D + 1, step };
    }
    const d = Math.floor(i / steps);
    return { device: d + 1, step: i - d * steps };
  };

  return {
    devices: D,
    steps,
    locate,
    timestampAt: (step) => startMicros + step * cadenceMicros,
    expected(column, device, t) {
      const s = byName(column);
      return s.levels[device - 1]! + (s.drifts[device - 1]! * (t - startMicros)) / MICROS_PER_DAY + cycles(s, t);
    },
    deviceParams(column, device) {
      const s = byName(column);
      return { level: s.levels[device - 1]!, driftPerDay: s.drifts[device - 1]! };
    },
    rows(first, count, rng) {
      const n = signals.length;
      const noise = signals.map((s) => rng.fork(s.name));
      const cyc = new Float64Array(n);
      const out: Row[] = new Array(count);
      let cachedStep = -1;
      let ts = 0;
      let elapsed = 0;
      for (let k = 0; k < count; k++) {
        const i = first + k;
        let d: number;
        let step: number;
        if (timeMajor) {
          step = Math.floor(i / D);
          d = i - step * D;
        } else {
          d = Math.floor(i / steps);
          step = i - d * steps;
        }
        if (step !== cachedStep) {
          // Shared by every device at this step (time order reuses it D times).
          cachedStep = step;
          ts = startMicros + step * cadenceMicros;
          elapsed = step * cadenceDays;
          for (let j = 0; j < n; j++) cyc[j] = cycles(signals[j]!, ts);
        }
        const row: Row = {};
        row[deviceField] = ids[d]!;
        row[timestampField] = ts;
        for (let j = 0; j < n; j++) {
          const s = signals[j]!;
          const e = s.noiseSd > 0 ? s.noiseSd * normal(noise[j]!) : 0;
          row[s.name] = s.round(s.levels[d]! + s.drifts[d]! * elapsed + cyc[j]! + e);
        }
        out[k] = row;
      }
      return out;
    },
  };
}
