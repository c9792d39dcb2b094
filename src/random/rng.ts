import { xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';
import { combine, fmix32 } from './hash.js';

/**
 * A named random stream. Streams are never shared: each one is derived from its parent's key
 * and a name (table, column, stage) or a counter (chunk number), so adding a column or a
 * stage changes no other stream, and chunk j can be generated without generating chunks
 * 0..j-1. Draws within a stream come from pure-rand's xoroshiro128+, seeded with 128 bits
 * expanded from the two 32-bit key lanes.
 */
export class Rng {
  private readonly gen: RandomGenerator;

  private constructor(
    /** Two independent 32-bit key lanes; together they name this stream. */
    readonly keyA: number,
    readonly keyB: number,
  ) {
    this.gen = xoroshiro128plusFromState([
      fmix32(keyA ^ 0x243f6a88) | 0,
      fmix32(keyB ^ 0x85a308d3) | 0,
      fmix32((keyA + 0x13198a2e) ^ keyB) | 0,
      fmix32((keyB + 0x03707344) ^ keyA) | 1, // never the all-zero state
    ]);
  }

  /** The root stream of a run. Any safe integer is a valid seed. */
  static seeded(seed: number): Rng {
    return new Rng(combine(0x811c9dc5, seed), combine(0x01000193, seed));
  }

  /** An independent child stream named by strings and/or counters. */
  fork(...names: Array<string | number>): Rng {
    let a = this.keyA;
    let b = this.keyB;
    for (const n of names) {
      a = combine(a, n);
      b = combine(b ^ 0x5f3759df, n);
    }
    return new Rng(a, b);
  }

  /** A 32-bit key naming this stream, for stateless per-row draws (see uniformAt). */
  get key(): number {
    return fmix32(this.keyA ^ Math.imul(this.keyB, 0x9e3779b1));
  }

  /** Uniform float in [0, 1) with 53 random bits. */
  float(): number {
    return uniformFloat64(this.gen);
  }

  /** Uniform integer in [min, max], both included. */
  int(min: number, max: number): number {
    return min + Math.floor(uniformFloat64(this.gen) * (max - min + 1));
  }

  /** Uniform float in [min, max). */
  between(min: number, max: number): number {
    return min + uniformFloat64(this.gen) * (max - min);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return uniformFloat64(this.gen) < p;
  }

  /** Uniform integer in [0, n): the index `pick` takes from n items. */
  index(n: number): number {
    return Math.floor(uniformFloat64(this.gen) * n);
  }

  /** One element of a non-empty array, uniformly. */
  pick<T>(items: readonly T[]): T {
    return items[this.index(items.length)]!;
  }
}
