import { cellStage, nonKeyColumns, stageOptions, type CellContext, type CellChange } from '../src/anomaly/cell-stage.js';
import { normal } from '../src/random/distributions.js';
import type { Rng } from '../src/random/rng.js';
import { rateOption } from '../src/core/options.js';
import { defineTransform } from '../src/core/units.js';

/**
 * Measurement noise: numbers jitter, times and dates shift, text gets typos, booleans flip.
 * Each non-null cell of the chosen columns is changed with probability `rate`; a change that
 * would leave the value as it was is pushed one step further, so every pick is a real change.
 */
export const noise = defineTransform({
  name: 'noise',
  // Each row changed on its own, by its index: worker threads may run it on separate chunks.
  rowLocal: true,
  summary: 'Jitter numbers and times, shift dates, put typos in text (every change recorded)',
  examples: [
    'datagen pipe attendance --rows 1000 | datagen noise --rate 0.01 > noisy.ndjson',
    'datagen pipe attendance | datagen noise --rate 0.05 --columns check_in,check_out --minutes 20 --ledger anomalies.jsonl | datagen csv > out.csv',
  ],
  options: {
    rate: rateOption('share of cells to change, 0..1', 0.01),
    columns: { type: 'list', description: 'columns to change, comma separated (default: every non-key column)' },
    scale: { type: 'number', description: 'relative size of numeric jitter (standard deviation as a share of the value)', default: 0.05, min: 0 },
    minutes: { type: 'number', description: 'standard deviation of time and timestamp jitter, in minutes', default: 10, min: 0 },
    days: { type: 'integer', description: 'largest date shift, in days', default: 3, min: 1 },
    ...stageOptions,
  },
  create: (o) =>
    cellStage('noise', o, {
      defaultColumns: nonKeyColumns,
      change: (cell) => jitter(cell, o.scale, o.minutes, o.days),
    }),
});

function jitter({ value, kind, field, rng }: CellContext, scale: number, minutes: number, days: number): CellChange | undefined {
  if (typeof value === 'string') return kind === 'string' || isNaN(Number(value)) ? typo(value, rng) : undefined;
  if (typeof value === 'boolean') return { kind: 'flip', after: !value };
  switch (kind) {
    case 'int': {
      const step = Math.round(normal(rng, 0, Math.max(1, Math.abs(value) * scale)));
      return { kind: 'jitter', after: value + (step === 0 ? (rng.chance(0.5) ? 1 : -1) : step) };
    }
    case 'float':
    case 'decimal': {
      const places = kind === 'decimal' ? ((field.type as { scale?: number }).scale ?? 0) : Math.min(6, Math.max(2, decimals(value)));
      const unit = 10 ** -places;
      let after = round(value * (1 + normal(rng, 0, scale)), places);
      if (after === value) after = round(value + (rng.chance(0.5) ? unit : -unit), places);
      return { kind: 'jitter', after };
    }
    case 'time': {
      let shift = Math.round(normal(rng, 0, minutes * 60));
      if (shift === 0) shift = 60;
      const after = Math.min(86399, Math.max(0, value + shift));
      return { kind: 'time_jitter', after: after === value ? value - Math.sign(shift) * 60 : after };
    }
    case 'timestamp': {
      const shift = Math.round(normal(rng, 0, minutes * 60_000_000));
      return { kind: 'time_jitter', after: value + (shift === 0 ? 1_000_000 : shift) };
    }
    case 'date': {
      const shift = rng.int(1, days) * (rng.chance(0.5) ? 1 : -1);
      return { kind: 'date_shift', after: value + shift };
    }
    default:
      return undefined;
  }
}

const round = (v: number, places: number) => Math.round(v * 10 ** places) / 10 ** places;

function decimals(v: number): number {
  const s = String(v);
  const dot = s.indexOf('.');
  return dot < 0 || s.includes('e') ? 0 : s.length - dot - 1;
}

// Neighbouring keys on a QWERTY keyboard: substitution typos hit an adjacent key.
const ROWS = ['qwertyuiop', 'asdfghjkl', 'zxcvbnm'];
const NEIGHBOURS = new Map<string, string>();
ROWS.forEach((row, r) => {
  for (let i = 0; i < row.length; i++) {
    const near = (row[i - 1] ?? '') + (row[i + 1] ?? '') + (ROWS[r - 1]?.[i] ?? '') + (ROWS[r + 1]?.[i] ?? '');
    NEIGHBOURS.set(row[i]!, near);
  }
});

/** One keyboard slip: swap two neighbours, drop, double, or hit an adjacent key. */
export function typo(text: string, rng: Rng): CellChange | undefined {
  if (text.length === 0) return undefined;
  for (let attempt = 0; attempt < 4; attempt++) {
    const i = rng.int(0, text.length - 1);
    const c = text[i]!;
    let after: string;
    switch (rng.int(0, 3)) {
      case 0:
        if (text.length < 2) continue;
        after = i + 1 < text.length ? text.slice(0, i) + text[i + 1] + c + text.slice(i + 2) : text.slice(0, i - 1) + c + text[i - 1];
        break;
      case 1:
        if (text.length < 2) continue;
        after = text.slice(0, i) + text.slice(i + 1);
        break;
      case 2:
        after = text.slice(0, i) + c + text.slice(i);
        break;
      default: {
        const near = NEIGHBOURS.get(c.toLowerCase());
        if (!near) continue;
        let k = rng.pick([...near]);
        if (c !== c.toLowerCase()) k = k.toUpperCase();
        after = text.slice(0, i) + k + text.slice(i + 1);
      }
    }
    if (after !== text) return { kind: 'typo', after };
  }
  return { kind: 'typo', after: text + text[text.length - 1] };
}
