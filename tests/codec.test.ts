import type { Kind, Value } from '../src/core/schema.js';
import { describe, expect, it } from 'vitest';
import { decimalText, textWriter, textEncoder, TextBuilder } from '../src/codecs/codec.js';
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

describe('textWriter (bytes written in place) spells every value as textEncoder does', () => {
  const cases: Array<[Kind, number, Array<Exclude<Value, null>>]> = [
    ['int', 0, [0, 1, -1, 9, 10, 99, 100, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), 2 ** 32 + 7, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 2 ** 53 - 2, 1e21, 1.5, 'abc']],
    ['float', 0, [0, -0, 0.1, 1e-7, 1e21, -3.25, 123456789.125, NaN, Infinity]],
    ['decimal', 2, [0, 0.01, -0.01, 12.5, -12.5, 99999999.99, 1234.56, 90071992547409.91, 'x']],
    ['decimal', 4, [0, 0.0001, 1234.5678, -1234.5678, 1.23455]],
    ['date', 0, [0, -1, -719162, 19723, 2932896, '2024-13-45']],
    ['time', 0, [0, 59, 3599, 86399, 'noon']],
    ['timestamp', 0, [0, -1, 1, 1_700_000_000_123_456, -86_400_000_001, 7_258_118_400_000_001, Number.MAX_SAFE_INTEGER, 'not a time']],
    ['bool', 0, [true, false]],
    ['string', 0, ['', 'plain', 'Val-d’Or', '日本語', 'emoji 🎉']],
  ];
  for (const [kind, scale, values] of cases) {
    it(`${kind}${scale ? `(${scale})` : ''}`, () => {
      const write = textWriter(kind, scale);
      const encode = textEncoder(kind, scale);
      const out = new TextBuilder();
      for (const v of values) {
        write(v, out);
        expect(out.take(), `${kind} ${String(v)}`).toBe(encode(v));
      }
      // Many values in one buffer, with a wide character in the middle, join as one text.
      for (const v of values) write(v, out);
      expect(out.take()).toBe(values.map((v) => encode(v)).join(''));
    });
  }
});
