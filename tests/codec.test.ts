import { describe, expect, it } from 'vitest';
import { decimalText } from '../src/codec.js';
import { Rng } from '../src/random/rng.js';

describe('decimal text', () => {
  it('is exactly toFixed(scale), on edge cases and 300k values at their scale', () => {
    const edge = [0, -0, 0.01, -0.01, 1.5, -1.5, 12.34, 0.1 + 0.2, 1.005, 2.675, -0.004, 0.005, 5e-324, 1e20, 123456789.99, 1e9 + 0.07];
    for (const scale of [0, 1, 2, 3, 4]) {
      const f = decimalText(scale);
      for (const v of edge) expect(f(v), `${v} at scale ${scale}`).toBe(v.toFixed(scale));
      const r = Rng.seeded(scale);
      for (let i = 0; i < 60_000; i++) {
        const v = Math.round((r.float() - 0.5) * 1e10) / 10 ** scale;
        if (f(v) !== v.toFixed(scale)) throw new Error(`${v} at scale ${scale}: ${f(v)} vs ${v.toFixed(scale)}`);
      }
    }
  });
});
