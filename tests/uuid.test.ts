import { describe, expect, it } from 'vitest';
import { Rng } from '../src/random/rng.js';
import { uuid4 } from '../src/random/uuid.js';

const N = 100_000;
const V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const draw = (seed = 1, n = N) => {
  const r = Rng.seeded(seed).fork('test');
  return Array.from({ length: n }, () => uuid4(r));
};

describe('uuid4: seeded version-4 UUIDs', () => {
  it('has the 8-4-4-4-12 lower-case hex format with version 4 and variant 10xx', () => {
    const ids = draw();
    expect(ids.filter((id) => !V4.test(id)).slice(0, 3)).toEqual([]);
    expect(ids.every((id) => id.length === 36 && id[14] === '4' && '89ab'.includes(id[19]!))).toBe(true);
  });

  it('is unique over 100k draws, and every variant nibble and hex digit occurs', () => {
    const ids = draw();
    expect(new Set(ids).size).toBe(N);
    expect(new Set(ids.map((id) => id[19])).size).toBe(4);
    // the random nibbles (all but the version one) cover all 16 digits at every position
    for (const k of [0, 7, 9, 15, 20, 35]) expect(new Set(ids.map((id) => id[k])).size, `position ${k}`).toBe(16);
  });

  it('draws exactly four floats from the stream, and the same stream gives the same UUIDs', () => {
    const a = Rng.seeded(7).fork('t');
    const b = Rng.seeded(7).fork('t');
    uuid4(a);
    for (let i = 0; i < 4; i++) b.float();
    expect(a.float()).toBe(b.float());
    expect(draw(3, 1000)).toEqual(draw(3, 1000));
    expect(draw(4, 1000)).not.toEqual(draw(3, 1000));
  });
});
