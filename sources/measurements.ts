import { normal } from '../src/random/distributions.js';
import type { Row, Value } from '../src/core/schema.js';
import type { PlanContext, RowGenerator } from '../src/core/units.js';
import { checkInteger, checkNumber, invalid, rounder } from './domain.js';

/**
 * Science domain: experimental measurements. Each experiment has its own baseline and is
 * measured at steps 0..steps-1 (doses, or time points), `replicates` readings per step:
 *
 *   value = baseline_e + effect_e * curve(step) + N(0, noiseSd)      (effect_e = 0 for controls)
 *
 * Why this shape: row i -> (experiment, step, replicate) is arithmetic, and an experiment's
 * group, baseline and effect come from a stream forked from the plan stream by the
 * experiment number — drawn when a chunk first meets the experiment, never stored — so plan
 * is O(1) whatever the row count, and experiment e is the same whatever the table size.
 * Readings draw only their own noise, so a step never depends on earlier steps' draws.
 */

/** How the effect builds up over the steps; curve(0) = 0 always. */
export type EffectCurve = 'emax' | 'linear' | 'exponential' | 'step';
export const EFFECT_CURVES: readonly EffectCurve[] = ['emax', 'linear', 'exponential', 'step'];

export interface MeasurementParams {
  /** Steps per experiment; step 0 is the baseline reading. */
  steps: number;
  /** Readings per step (default 1). */
  replicates?: number;
  /** Share of experiments that are controls (no effect), in [0, 1]. */
  controlShare: number;
  baseline: number;
  /** Spread of the baseline between experiments. */
  baselineSd?: number;
  /**
   * Effect size of a treated experiment (mean across experiments; negative for inhibition):
   * the asymptote for 'emax' and 'exponential', the value at the last step for 'linear', the
   * jump for 'step'.
   */
  effect: number;
  effectSd?: number;
  curve?: EffectCurve;
  /** emax: step of half the effect (EC50); exponential: half-life in steps; step: onset step. Default steps / 4. */
  halfStep?: number;
  /** emax only: Hill coefficient (steepness), default 1. */
  hill?: number;
  noiseSd?: number;
  decimals?: number;
  /** Column names. group and replicate columns are left out when null; replicate only appears with replicates > 1. */
  experimentField?: string;
  stepField?: string;
  valueField?: string;
  groupField?: string | null;
  replicateField?: string | null;
  /** Labels of the group column: [control, treated]. */
  groupLabels?: readonly [string, string];
  /** How experiment e (1-based) is written; default the number e. */
  experimentId?: (experiment: number) => Value;
  owner?: string;
}

export interface ExperimentParams {
  control: boolean;
  baseline: number;
  /** 0 for controls. */
  effect: number;
}

export interface Measurements extends RowGenerator {
  /** Experiments the table touches (the last may be partial). */
  readonly experiments: number;
  readonly rowsPerExperiment: number;
  /** Row i -> (experiment 1-based, step, replicate 0-based). */
  locate(i: number): { experiment: number; step: number; replicate: number };
  /** Experiment e's drawn group, baseline and effect. */
  experiment(e: number): ExperimentParams;
  /** The normalised curve at a step: 0 at step 0, rising towards 1. */
  curveAt(step: number): number;
}

export function measurements(params: MeasurementParams, ctx: PlanContext): Measurements {
  const owner = params.owner ?? 'measurements';
  const S = checkInteger(owner, 'steps', params.steps, 1);
  const R = checkInteger(owner, 'replicates', params.replicates ?? 1, 1);
  const perExperiment = S * R;
  const controlShare = checkNumber(owner, 'controlShare', params.controlShare, 0, 1);
  const baseline = checkNumber(owner, 'baseline', params.baseline);
  const baselineSd = checkNumber(owner, 'baselineSd', params.baselineSd ?? 0, 0);
  const effect = checkNumber(owner, 'effect', params.effect);
  const effectSd = checkNumber(owner, 'effectSd', params.effectSd ?? 0, 0);
  const curve = params.curve ?? 'emax';
  if (!EFFECT_CURVES.includes(curve)) invalid(owner, 'curve', `one of ${EFFECT_CURVES.join(', ')}`, curve);
  const half = checkNumber(owner, 'halfStep', params.halfStep ?? Math.max(1, S / 4), 0);
  const hill = checkNumber(owner, 'hill', params.hill ?? 1, 0.01);
  if ((curve === 'emax' || curve === 'exponential') && half <= 0) invalid(owner, 'halfStep', 'a number > 0 for this curve', half);
  const noiseSd = checkNumber(owner, 'noiseSd', params.noiseSd ?? 0, 0);
  const round = rounder(params.decimals === undefined ? undefined : checkInteger(owner, 'decimals', params.decimals, 0));
  const expField = params.experimentField ?? 'experiment_id';
  const stepField = params.stepField ?? 'step';
  const valueField = params.valueField ?? 'value';
  const groupField = params.groupField === undefined ? 'group' : params.groupField;
  const repField = R > 1 ? (params.replicateField === undefined ? 'replicate' : params.replicateField) : null;
  const [controlLabel, treatedLabel] = params.groupLabels ?? ['control', 'treated'];
  const fields = [expField, stepField, valueField, groupField, repField].filter((f): f is string => f !== null);
  if (new Set(fields).size !== fields.length) invalid(owner, 'column names', 'distinct', fields);

  // The normalised curve per step, computed once.
  const shape = new Float64Array(S);
  for (let s = 0; s < S; s++) {
    shape[s] =
      curve === 'linear' ? (S > 1 ? s / (S - 1) : 0)
      : curve === 'exponential' ? 1 - 2 ** (-s / half)
      : curve === 'step' ? (s > 0 && s >= half ? 1 : 0)
      : s === 0 ? 0 : s ** hill / (half ** hill + s ** hill);
  }

  const experimentsRng = ctx.rng.fork('experiments');
  const experimentParams = (e: number): ExperimentParams => {
    const r = experimentsRng.fork(e);
    // Always the same three draws in this order, so changing one parameter moves no other.
    const control = r.float() < controlShare;
    const zBaseline = normal(r);
    const zEffect = normal(r);
    return { control, baseline: baseline + baselineSd * zBaseline, effect: control ? 0 : effect + effectSd * zEffect };
  };

  return {
    experiments: Math.ceil(ctx.rows / perExperiment),
    rowsPerExperiment: perExperiment,
    locate(i) {
      const e = Math.floor(i / perExperiment);
      const rem = i - e * perExperiment;
      const step = Math.floor(rem / R);
      return { experiment: e + 1, step, replicate: rem - step * R };
    },
    experiment: (e) => {
      checkInteger(owner, 'experiment', e, 1);
      return experimentParams(e);
    },
    curveAt: (step) => shape[step] ?? invalid(owner, 'step', `an integer in 0..${S - 1}`, step),
    rows(first, count, rng) {
      const noise = rng.fork(valueField);
      const out: Row[] = new Array(count);
      let current = -1;
      let p: ExperimentParams = { control: true, baseline, effect: 0 };
      let id: Value = 0;
      let group = controlLabel;
      for (let k = 0; k < count; k++) {
        const i = first + k;
        const e = Math.floor(i / perExperiment) + 1;
        if (e !== current) {
          current = e;
          p = experimentParams(e);
          id = params.experimentId ? params.experimentId(e) : e;
          group = p.control ? controlLabel : treatedLabel;
        }
        const rem = i - (e - 1) * perExperiment;
        const step = Math.floor(rem / R);
        const row: Row = {};
        row[expField] = id;
        if (groupField !== null) row[groupField] = group;
        row[stepField] = step;
        if (repField !== null) row[repField] = rem - step * R;
        row[valueField] = round(p.baseline + p.effect * shape[step]! + (noiseSd > 0 ? noiseSd * normal(noise) : 0));
        out[k] = row;
      }
      return out;
    },
  };
}
