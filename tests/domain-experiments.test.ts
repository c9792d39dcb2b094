import { beforeAll, describe, expect, it } from 'vitest';
import { collect } from '../src/core/pipeline.js';
import { Rng } from '../src/random/rng.js';
import { defineTable, types, type Row } from '../src/core/schema.js';
import { defineScenario, type PlanContext, type RowGenerator } from '../src/core/units.js';
import { experiments } from '../scenarios/experiments.js';
import { measurements, type MeasurementParams, type Measurements } from '../sources/measurements.js';
import { scenario } from '../sources/scenario.js';
import { withinSamplingError } from './helpers.js';

const N = 60_000; // 5,000 experiments of 12 steps
const STEPS = 12;

const num = (r: Row, c: string) => r[c] as number;
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const sd = (xs: number[]) => {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1));
};
const groupBy = (rows: Row[], field: string) => {
  const map = new Map<unknown, Row[]>();
  for (const r of rows) {
    if (!map.has(r[field])) map.set(r[field], []);
    map.get(r[field])!.push(r);
  }
  return [...map.values()];
};
/** Mean over experiments of value(step) - value(step 0), per step. */
const meanRise = (groups: Row[][], steps: number, value = 'value') =>
  Array.from({ length: steps }, (_, s) => mean(groups.map((g) => num(g[s]!, value) - num(g[0]!, value))));

describe('experiments scenario', () => {
  let rows: Row[];
  let groups: Row[][];
  beforeAll(async () => {
    rows = await collect(scenario(experiments, { rows: N, seed: 42 }));
    groups = groupBy(rows, 'experiment_id');
  });

  it('declares a registry name, examples for generate and pipe, and 100,000 default rows', () => {
    expect(experiments.name).toBe('experiments');
    expect(experiments.defaultRows).toBe(100_000);
    expect(experiments.examples.some((e) => e.startsWith('datagen generate experiments'))).toBe(true);
    expect(experiments.examples.some((e) => e.startsWith('datagen pipe experiments'))).toBe(true);
  });

  it('makes exactly the rows asked for', async () => {
    for (const n of [0, 1, 8193, 50_000]) expect((await collect(scenario(experiments, { rows: n, seed: 1 }))).length).toBe(n);
    expect(rows.length).toBe(N);
  });

  it('is deterministic: same seed equal, other seed different, batch size changes nothing, smaller tables are prefixes', async () => {
    expect(await collect(scenario(experiments, { rows: N, seed: 42, batchSize: 1000 }))).toEqual(rows);
    const other = await collect(scenario(experiments, { rows: N, seed: 43 }));
    expect(other.filter((r, i) => r.value !== rows[i]!.value).length).toBeGreaterThan(N * 0.9);
    expect(await collect(scenario(experiments, { rows: 1000, seed: 42 }))).toEqual(rows.slice(0, 1000));
  });

  it('rule: ordered by experiment then step; every experiment has steps 0..11 and one group', () => {
    expect(groups.length).toBe(N / STEPS);
    groups.forEach((g, e) => {
      expect(g[0]!.experiment_id).toBe('EXP-' + String(e + 1).padStart(5, '0'));
      expect(g.map((r) => r.step)).toEqual(Array.from({ length: STEPS }, (_, s) => s));
      expect(new Set(g.map((r) => r.group)).size).toBe(1);
      expect(['control', 'treated']).toContain(g[0]!.group);
    });
    // rows of an experiment are contiguous
    rows.forEach((r, i) => {
      if (r.experiment_id !== groups[Math.floor(i / STEPS)]![0]!.experiment_id) throw new Error(`row ${i} out of its experiment: ${JSON.stringify(r)}`);
    });
  });

  it('rule: control-share (25%) of experiments are controls', () => {
    const controls = groups.filter((g) => g[0]!.group === 'control').length;
    expect(withinSamplingError(controls, groups.length, 0.25)).toBe(true);
  });

  it('rule: controls show no effect — no rise at any step', () => {
    const controls = groups.filter((g) => g[0]!.group === 'control');
    // per step: se = sqrt(2 x 2^2 / 1250) ~ 0.08
    for (const rise of meanRise(controls, STEPS)) expect(Math.abs(rise)).toBeLessThan(0.4);
  });

  it('rule: treated experiments follow effect x s / (3 + s) (emax, half-step 3, effect 40)', () => {
    const treated = groups.filter((g) => g[0]!.group === 'treated');
    const rise = meanRise(treated, STEPS);
    // se ~ 8 x curve / sqrt(3750) + noise ~ 0.15
    rise.forEach((r, s) => expect(Math.abs(r - (40 * s) / (3 + s))).toBeLessThan(0.7));
    expect(rise[11]!).toBeGreaterThan(25);
    // The effect varies between experiments by effect-sd (8): spread of the last-step rise ~ sqrt((8 x 11/14)^2 + 2 x 2^2)
    const spread = sd(treated.map((g) => num(g[11]!, 'value') - num(g[0]!, 'value')));
    expect(spread).toBeGreaterThan(5.5);
    expect(spread).toBeLessThan(7.5);
  });

  it('rule: baselines vary by baseline-sd around baseline; noise within an experiment has sd noise-sd', () => {
    const step0 = groups.map((g) => num(g[0]!, 'value'));
    expect(Math.abs(mean(step0) - 100)).toBeLessThan(0.7);
    expect(Math.abs(sd(step0) - Math.hypot(10, 2))).toBeLessThan(0.6);
    const controls = groups.filter((g) => g[0]!.group === 'control');
    const within = Math.sqrt(mean(controls.map((g) => sd(g.map((r) => num(r, 'value'))) ** 2)));
    expect(Math.abs(within / 2 - 1)).toBeLessThan(0.03);
  });

  it('rejects bad options', () => {
    expect(() => scenario(experiments, { curve: 'sigmoid' })).toThrow(/experiments: curve must be one of emax, linear, exponential, step/);
    expect(() => scenario(experiments, { steps: 0 })).toThrow(/steps must be >= 1/);
  });
});

// ---------------------------------------------------------------- the generator on its own

const schema = defineTable('growth', 'direct use', {
  plate: { type: types.int32(), description: 'plate', key: true },
  hour: { type: types.int32(), description: 'hour', key: true },
  well: { type: types.int32(), description: 'replicate', key: true },
  od: { type: types.float64(), description: 'optical density' },
});
const direct = (build: (ctx: PlanContext) => RowGenerator) =>
  defineScenario({ name: 'growth', summary: '', examples: [], schema, rules: [], options: {}, defaultRows: 0, plan: (_o, ctx) => build(ctx) });

describe('measurements used directly: time course with replicates, inhibition, own field names', () => {
  const params: MeasurementParams = {
    steps: 10,
    replicates: 3,
    controlShare: 0.5,
    baseline: 1,
    baselineSd: 0.05,
    effect: -0.6,
    curve: 'exponential',
    halfStep: 2,
    noiseSd: 0.02,
    decimals: 3,
    experimentField: 'plate',
    stepField: 'hour',
    valueField: 'od',
    replicateField: 'well',
    groupField: null,
  };
  let gen: Measurements;
  let rows: Row[];
  beforeAll(async () => {
    rows = await collect(scenario(direct((ctx) => (gen = measurements(params, ctx))), { rows: 60_000, seed: 5 }));
  });

  it('lays out plate x hour x well arithmetically, without a group column', () => {
    expect(Object.keys(rows[0]!).sort()).toEqual(['hour', 'od', 'plate', 'well']);
    expect(gen.rowsPerExperiment).toBe(30);
    expect(gen.experiments).toBe(2000);
    rows.forEach((r, i) => {
      const at = gen.locate(i);
      if (r.plate !== at.experiment || r.hour !== at.step || r.well !== at.replicate) throw new Error(`row ${i}: ${JSON.stringify(r)} vs ${JSON.stringify(at)}`);
      if (r.well !== i % 3 || r.hour !== Math.floor(i / 3) % 10) throw new Error(`row ${i}: ${JSON.stringify(r)}`);
    });
  });

  it('treated plates decay by effect x (1 - 2^(-hour/2)); controls stay flat', () => {
    const plates = groupBy(rows, 'plate');
    const byHour = (g: Row[]) => Array.from({ length: 10 }, (_, h) => mean(g.filter((r) => r.hour === h).map((r) => num(r, 'od'))));
    const treated = plates.filter((g) => !gen.experiment(g[0]!.plate as number).control).map(byHour);
    const controls = plates.filter((g) => gen.experiment(g[0]!.plate as number).control).map(byHour);
    expect(withinSamplingError(controls.length, plates.length, 0.5)).toBe(true);
    for (let h = 0; h < 10; h++) {
      const expected = -0.6 * (1 - 2 ** (-h / 2));
      expect(gen.curveAt(h)).toBeCloseTo(1 - 2 ** (-h / 2), 12);
      expect(Math.abs(mean(treated.map((m) => m[h]! - m[0]!)) - expected)).toBeLessThan(0.005);
      expect(Math.abs(mean(controls.map((m) => m[h]! - m[0]!)))).toBeLessThan(0.005);
    }
  });

  it('the other curves have their shapes', () => {
    const ctx = (rows: number) => ({ rows, rng: Rng.seeded(1) });
    const linear = measurements({ ...params, curve: 'linear' }, ctx(1));
    expect([0, 1, 9].map((s) => linear.curveAt(s))).toEqual([0, 1 / 9, 1]);
    const step = measurements({ ...params, curve: 'step', halfStep: 4 }, ctx(1));
    expect([0, 3, 4, 9].map((s) => step.curveAt(s))).toEqual([0, 0, 1, 1]);
    const emax = measurements({ ...params, curve: 'emax', halfStep: 3, hill: 2 }, ctx(1));
    expect(emax.curveAt(3)).toBe(0.5);
    expect(emax.curveAt(6)).toBeCloseTo(36 / 45, 12);
  });

  it('checks its parameters', () => {
    const ctx = { rows: 1, rng: Rng.seeded(1) };
    expect(() => measurements({ ...params, controlShare: 1.5 }, ctx)).toThrow(/controlShare must be a number between 0 and 1/);
    expect(() => measurements({ ...params, valueField: 'plate' }, ctx)).toThrow(/column names must be distinct/);
  });
});
