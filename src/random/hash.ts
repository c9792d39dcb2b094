/**
 * Integer mixing used to derive independent random streams from names and counters.
 * Murmur3's block step and finaliser: cheap, well studied, and a one-bit change of any input
 * flips about half the output bits. Everything is 32-bit integer math (Math.imul), so results
 * are identical on every machine.
 */

/** Murmur3's finaliser: avalanche a 32-bit word. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Fold one 32-bit word into a running hash (murmur3 body step). */
function step(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** Fold a non-negative integer (up to 2^53) or a string into a running hash. */
export function combine(h: number, part: number | string): number {
  if (typeof part === 'string') {
    h = step(h, 0x5bd1e995 ^ part.length);
    for (let i = 0; i < part.length; i++) h = step(h, part.charCodeAt(i));
    return fmix32(h);
  }
  const lo = part >>> 0;
  const hi = Math.floor(part / 4294967296) >>> 0;
  return fmix32(step(step(h, lo), hi));
}

/** A uniform float in [0, 1) that depends only on (key, counter): no state, any order. */
export function uniformAt(key: number, counter: number): number {
  const a = combine(key, counter);
  const b = fmix32(a ^ 0x9e3779b9);
  // 53 random bits, like pure-rand's uniformFloat64.
  return (a >>> 6) * 1.4901161193847656e-8 + (b >>> 5) * 1.1102230246251565e-16; // 2^-26, 2^-53
}
