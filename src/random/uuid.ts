import type { Rng } from './rng.js';

const HEX = Array.from('0123456789abcdef', (c) => c.charCodeAt(0));
const chars = new Array<number>(36);

/**
 * A random (version 4) UUID from four 32-bit draws of `rng`, built as one flat string.
 *
 * Why not crypto.randomUUID: it is not seeded, so rows would not be reproducible. It runs
 * once per row, hence one reused char-code buffer and a single String.fromCharCode. The
 * version nibble is forced to 4 and the variant to 10xx, so 122 of the 128 bits are random.
 */
export function uuid4(rng: Rng): string {
  let k = 0;
  for (let w = 0; w < 4; w++) {
    const word = Math.floor(rng.float() * 4294967296);
    for (let shift = 28; shift >= 0; shift -= 4) {
      if (k === 8 || k === 13 || k === 18 || k === 23) chars[k++] = 45; // '-'
      const nibble = (word >>> shift) & 15;
      chars[k] = k === 14 ? 52 : HEX[k === 19 ? 8 | (nibble & 3) : nibble]!; // version 4, variant 10xx
      k++;
    }
  }
  return String.fromCharCode.apply(null, chars);
}
