import { defineTable, types } from '../src/core/schema.js';
import { defineScenario } from '../src/core/units.js';
import { paddedId } from '../sources/domain.js';
import { EFFECT_CURVES, measurements, type EffectCurve } from '../sources/measurements.js';

/**
 * Experimental measurements: the measurements generator as a dose-response study. Each
 * experiment is measured at steps 0..steps-1; controls stay at their baseline.
 */
export const experiments = defineScenario({
  name: 'experiments',
  summary: 'Experiments with a baseline and repeated noisy steps; treated ones follow an effect curve, controls do not',
  defaultRows: 100_000,
  examples: [
    'datagen generate experiments --rows 100000 --seed 3 --out experiments.csv',
    'datagen pipe experiments --rows 100000 | datagen csv > experiments.csv',
    'datagen generate experiments --steps 24 --curve exponential --half-step 6 --control-share 0.5 --out time_course.csv',
  ],
  schema: defineTable('experiments', 'Repeated measurements per experiment', {
    experiment_id: { type: types.string(), pattern: 'EXP-\\d{5,}', description: 'EXP-00001..; rows of one experiment are contiguous', key: true },
    group: { type: types.string(), description: 'control (no effect) or treated', values: ['control', 'treated'] },
    step: { type: types.int32(), min: 0, description: 'dose or time step, 0..steps-1; step 0 is the baseline', key: true },
    value: { type: types.float64(), description: 'measured value, rounded to 4 decimals' },
  }),
  rules: [
    'rows are ordered by experiment, then step; every experiment has steps 0..steps-1 (the last one may be cut short)',
    'value = experiment baseline (baseline +/- baseline-sd) + effect x curve(step) + gaussian noise (noise-sd)',
    'controls (control-share of experiments) show no effect: their values do not change with step',
    'treated experiments move by about effect (+/- effect-sd) along the curve (emax: effect x s/(half-step + s))',
  ],
  options: {
    steps: { type: 'integer', min: 1, default: 12, description: 'steps (doses or time points) per experiment' },
    controlShare: { type: 'number', min: 0, max: 1, default: 0.25, description: 'share of experiments that are controls' },
    baseline: { type: 'number', default: 100, description: 'mean baseline' },
    baselineSd: { type: 'number', min: 0, default: 10, description: 'spread of baselines between experiments' },
    effect: { type: 'number', default: 40, description: 'full effect of a treated experiment (negative for inhibition)' },
    effectSd: { type: 'number', min: 0, default: 8, description: 'spread of the effect between experiments' },
    curve: { type: 'string', choices: EFFECT_CURVES, default: 'emax', description: 'shape of the effect over the steps' },
    halfStep: { type: 'number', min: 0, default: 3, description: 'step of half the effect (emax), half-life (exponential) or onset (step)' },
    noiseSd: { type: 'number', min: 0, default: 2, description: 'sd of the measurement noise' },
  },
  plan: (o, ctx) =>
    measurements({ ...o, curve: o.curve as EffectCurve, decimals: 4, experimentId: paddedId('EXP-', 5), owner: 'experiments' }, ctx),
});
