import { DatagenError } from '../core/errors.js';
import type { Rng } from './rng.js';

/**
 * The distributions scenarios draw from. Each takes the stream to draw from, so a caller
 * decides which named stream feeds which value.
 */

/** Normal via Box-Muller (one value per call: no hidden cached state between calls). */
export function normal(rng: Rng, mean = 0, sd = 1): number {
  const u1 = 1 - rng.float(); // (0, 1]: log stays finite
  const u2 = rng.float();
  return mean + sd * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/**
 * Normal restricted to [min, max] by redrawing (no spike of clipped values at the bounds).
 * After 32 misses (a range far in a tail) it falls back to clipping.
 */
export function truncatedNormal(rng: Rng, mean: number, sd: number, min: number, max: number): number {
  let v = mean;
  for (let i = 0; i < 32; i++) {
    v = normal(rng, mean, sd);
    if (v >= min && v <= max) return v;
  }
  return v < min ? min : v > max ? max : v;
}

/** Log-normal: exp(N(mu, sigma)). The median is exp(mu). */
export function logNormal(rng: Rng, mu: number, sigma: number): number {
  return Math.exp(normal(rng, mu, sigma));
}

/** Exponential with the given mean. */
export function exponential(rng: Rng, mean: number): number {
  return -mean * Math.log(1 - rng.float());
}

/**
 * Poisson. Knuth's product method for small lambda; Hormann's PTRS (transformed rejection
 * with squeeze, 1993) above 10, which needs ~1.2 draws whatever lambda is.
 */
export function poisson(rng: Rng, lambda: number): number {
  if (lambda <= 0) return 0;
  if (lambda < 10) {
    const limit = Math.exp(-lambda);
    let k = 0;
    let p = rng.float();
    while (p > limit) {
      k++;
      p *= rng.float();
    }
    return k;
  }
  const slam = Math.sqrt(lambda);
  const loglam = Math.log(lambda);
  const b = 0.931 + 2.53 * slam;
  const a = -0.059 + 0.02483 * b;
  const invalpha = 1.1239 + 1.1328 / (b - 3.4);
  const vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const u = rng.float() - 0.5;
    const v = rng.float();
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * a) / us + b) * u + lambda + 0.43);
    if (us >= 0.07 && v <= vr) return k;
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (Math.log(v) + Math.log(invalpha) - Math.log(a / (us * us) + b) <= -lambda + k * loglam - logFactorial(k)) return k;
  }
}

function logFactorial(k: number): number {
  if (k < 2) return 0;
  // Stirling series: exact enough (error < 1e-10) for k >= 2 in an acceptance test.
  return (k + 0.5) * Math.log(k) - k + 0.5 * Math.log(2 * Math.PI) + 1 / (12 * k) - 1 / (360 * k * k * k);
}

/**
 * Zipf (power law) over 1..n with exponent s > 0: P(k) ∝ k^-s. Rejection-inversion
 * (Hormann & Derflinger 1996): O(1) per draw and no table, so n can be millions of keys.
 */
export class Zipf {
  private readonly hIntegralX1: number;
  private readonly hIntegralN: number;
  private readonly sTest: number;

  constructor(
    readonly n: number,
    readonly s: number,
  ) {
    if (!(n >= 1) || !Number.isInteger(n)) throw new DatagenError('E_OPTION', `zipf: n must be an integer >= 1, got ${n}`);
    if (!(s > 0)) throw new DatagenError('E_OPTION', `zipf: exponent must be > 0, got ${s}`);
    this.hIntegralX1 = this.hIntegral(1.5) - 1;
    this.hIntegralN = this.hIntegral(n + 0.5);
    this.sTest = 2 - this.hIntegralInverse(this.hIntegral(2.5) - this.h(2));
  }

  sample(rng: Rng): number {
    for (;;) {
      const u = this.hIntegralN + rng.float() * (this.hIntegralX1 - this.hIntegralN);
      const x = this.hIntegralInverse(u);
      let k = Math.floor(x + 0.5);
      if (k < 1) k = 1;
      else if (k > this.n) k = this.n;
      if (k - x <= this.sTest || u >= this.hIntegral(k + 0.5) - this.h(k)) return k;
    }
  }

  private h(x: number): number {
    return Math.exp(-this.s * Math.log(x));
  }

  private hIntegral(x: number): number {
    const logX = Math.log(x);
    return helper2((1 - this.s) * logX) * logX;
  }

  private hIntegralInverse(x: number): number {
    let t = x * (1 - this.s);
    if (t < -1) t = -1; // numerical guard, as in the reference implementation
    return Math.exp(helper1(t) * x);
  }
}

/** log1p(x)/x, continuous at 0. */
function helper1(x: number): number {
  return Math.abs(x) > 1e-8 ? Math.log1p(x) / x : 1 - x * (0.5 - x * (1 / 3 - 0.25 * x));
}

/** (exp(x)-1)/x, continuous at 0. */
function helper2(x: number): number {
  return Math.abs(x) > 1e-8 ? Math.expm1(x) / x : 1 + x * 0.5 * (1 + x * (1 / 3) * (1 + 0.25 * x));
}

/**
 * Weighted choice among a fixed set of items: a binary search of the cumulative weights, so a
 * long list (a YAML `choice` may have thousands of values) costs log(n) per draw, not n.
 */
export class Weighted<T> {
  private readonly cumulative: Float64Array;
  private readonly total: number;

  constructor(
    readonly items: readonly T[],
    weights: readonly number[],
  ) {
    if (items.length === 0 || items.length !== weights.length) {
      throw new DatagenError('E_OPTION', `weighted choice: need one weight per item, got ${items.length} items and ${weights.length} weights`);
    }
    this.cumulative = new Float64Array(weights.length);
    let sum = 0;
    weights.forEach((w, i) => {
      if (!(w >= 0)) throw new DatagenError('E_OPTION', `weighted choice: weight for ${String(items[i])} must be >= 0, got ${w}`);
      sum += w;
      this.cumulative[i] = sum;
    });
    if (!(sum > 0)) throw new DatagenError('E_OPTION', 'weighted choice: weights sum to 0');
    this.total = sum;
  }

  pick(rng: Rng): T {
    const u = rng.float() * this.total;
    const c = this.cumulative;
    // The first i with u < c[i] (the last item when none is, as rounding may leave u = total).
    let lo = 0;
    let hi = c.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (u < c[mid]!) hi = mid;
      else lo = mid + 1;
    }
    return this.items[lo]!;
  }
}
