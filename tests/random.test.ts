import { describe, expect, it } from 'vitest';
import { exponential, logNormal, normal, poisson, truncatedNormal, Weighted, Zipf } from '../src/random/distributions.js';
import { uniformAt } from '../src/random/hash.js';
import { Pattern } from '../src/random/pattern.js';
import { Rng } from '../src/random/rng.js';

const N = 200_000;
const draw = (f: (r: Rng) => number, seed = 1) => {
  const r = Rng.seeded(seed).fork('test');
  return Array.from({ length: N }, () => f(r));
};
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const variance = (xs: number[]) => {
  const m = mean(xs);
  return xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1);
};

describe('Rng: named, counter-based streams', () => {
  it('the same names give the same stream; other names or seeds, another', () => {
    const a = Rng.seeded(42).fork('t', 'col', 3);
    const b = Rng.seeded(42).fork('t', 'col', 3);
    const seqA = Array.from({ length: 20 }, () => a.float());
    expect(Array.from({ length: 20 }, () => b.float())).toEqual(seqA);
    for (const other of [Rng.seeded(43).fork('t', 'col', 3), Rng.seeded(42).fork('t', 'col', 4), Rng.seeded(42).fork('t', 'coll', 3)]) {
      expect(Array.from({ length: 20 }, () => other.float())).not.toEqual(seqA);
    }
  });

  it('forking does not disturb the parent (a new column changes no other column)', () => {
    const p1 = Rng.seeded(7);
    const p2 = Rng.seeded(7);
    p2.fork('new column').float();
    expect(p1.float()).toBe(p2.float());
  });

  it('draws are uniform: 20 bins within sampling error, and adjacent chunk streams are uncorrelated', () => {
    const xs = draw((r) => r.float());
    const bins = new Array(20).fill(0);
    for (const x of xs) bins[Math.floor(x * 20)]++;
    const expected = N / 20;
    const chi2 = bins.reduce((s, b) => s + (b - expected) ** 2 / expected, 0);
    expect(chi2).toBeLessThan(45); // chi-square, 19 dof: p ~ 0.0007
    const a = Array.from({ length: 5000 }, (_, i) => Rng.seeded(1).fork('chunk', i).float());
    const b = Array.from({ length: 5000 }, (_, i) => Rng.seeded(1).fork('chunk', i + 1).float());
    const ma = mean(a);
    const mb = mean(b);
    const cov = a.reduce((s, x, i) => s + (x - ma) * (b[i]! - mb), 0) / a.length;
    expect(Math.abs(cov / Math.sqrt(variance(a) * variance(b)))).toBeLessThan(0.06);
  });

  it('int() covers both ends and nothing outside', () => {
    const xs = draw((r) => r.int(3, 7));
    expect(new Set(xs)).toEqual(new Set([3, 4, 5, 6, 7]));
  });

  it('uniformAt is stateless and uniform', () => {
    expect(uniformAt(99, 12345)).toBe(uniformAt(99, 12345));
    const xs = Array.from({ length: N }, (_, i) => uniformAt(99, i));
    expect(Math.abs(mean(xs) - 0.5)).toBeLessThan(0.005);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
  });
});

describe('distributions match their moments', () => {
  it('normal', () => {
    const xs = draw((r) => normal(r, 10, 2));
    expect(Math.abs(mean(xs) - 10)).toBeLessThan(0.03);
    expect(Math.abs(Math.sqrt(variance(xs)) - 2)).toBeLessThan(0.03);
  });
  it('truncated normal stays inside without piling up at the bounds', () => {
    const xs = draw((r) => truncatedNormal(r, 0, 1, -1, 2));
    expect(xs.every((x) => x >= -1 && x <= 2)).toBe(true);
    expect(xs.filter((x) => x === -1 || x === 2).length).toBe(0);
  });
  it('log-normal median is exp(mu)', () => {
    const xs = draw((r) => logNormal(r, Math.log(50), 0.8)).sort((a, b) => a - b);
    expect(Math.abs(xs[N / 2]! - 50)).toBeLessThan(1);
  });
  it('exponential mean', () => {
    expect(Math.abs(mean(draw((r) => exponential(r, 20))) - 20)).toBeLessThan(0.3);
  });
  for (const lambda of [0.5, 4, 30, 500]) {
    it(`poisson(${lambda}): mean and variance equal lambda`, () => {
      const xs = draw((r) => poisson(r, lambda));
      expect(xs.every((x) => Number.isInteger(x) && x >= 0)).toBe(true);
      expect(Math.abs(mean(xs) - lambda)).toBeLessThan(5 * Math.sqrt(lambda / N));
      expect(Math.abs(variance(xs) / lambda - 1)).toBeLessThan(0.03);
    });
  }
  it('zipf follows k^-s', () => {
    const z = new Zipf(10, 1.2);
    const xs = draw((r) => z.sample(r));
    const norm = Array.from({ length: 10 }, (_, k) => (k + 1) ** -1.2).reduce((a, b) => a + b, 0);
    for (const k of [1, 2, 5, 10]) {
      const p = (k ** -1.2) / norm;
      const observed = xs.filter((x) => x === k).length / N;
      expect(Math.abs(observed - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / N));
    }
    const big = new Zipf(5_000_000, 1.05);
    expect(draw((r) => big.sample(r)).every((x) => x >= 1 && x <= 5_000_000)).toBe(true);
  });
  it('weighted choice', () => {
    const w = new Weighted(['a', 'b', 'c'], [0.7, 0.2, 0.1]);
    const r = Rng.seeded(3);
    const xs = Array.from({ length: N }, () => w.pick(r));
    for (const [k, p] of [['a', 0.7], ['b', 0.2], ['c', 0.1]] as const) {
      expect(Math.abs(xs.filter((x) => x === k).length / N - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / N));
    }
    expect(() => new Weighted(['a'], [1, 2])).toThrowError(expect.objectContaining({ code: 'E_OPTION' }));
  });
});

describe('patterns', () => {
  it('CUST-[A-Z0-9]{8}, SKU-\\d{6}, optional parts and ranges', () => {
    const r = Rng.seeded(5);
    const cases: Array<[string, RegExp]> = [
      ['CUST-[A-Z0-9]{8}', /^CUST-[A-Z0-9]{8}$/],
      ['SKU-\\d{6}', /^SKU-\d{6}$/],
      ['[a-c]{2,4}-?x', /^[a-c]{2,4}-?x$/],
      ['\\u\\l{3}', /^[A-Z][a-z]{3}$/],
    ];
    for (const [src, re] of cases) {
      const p = new Pattern(src);
      const samples = Array.from({ length: 2000 }, () => p.sample(r));
      expect(samples.every((s) => re.test(s)), src).toBe(true);
      expect(new Set(samples).size).toBeGreaterThan(3);
    }
  });
  it('rejects what it cannot do, naming the pattern', () => {
    for (const bad of ['[A-Z', 'a{2', 'a{3,1}', '(ab)', 'a*', '[Z-A]']) {
      expect(() => new Pattern(bad)).toThrowError(expect.objectContaining({ code: 'E_OPTION' }));
    }
  });
});
