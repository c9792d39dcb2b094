import type { Rng } from './rng.js';

/**
 * Which row indexes a stage picks, each independently with probability `rate`, in blocks of
 * PICK_BLOCK indexes. Block b's picks come from `rng.fork(b)` as geometric gaps, so the cost
 * follows the picks, not the rows, and a block depends only on (stream, b): the same picks
 * whatever the batch boundaries. The last block is cached (batches usually fall inside one).
 */
export const PICK_BLOCK = 8192;

export type BlockPicker = (block: number) => Int32Array;

export function blockPicker(rng: Rng, rate: number): BlockPicker {
  const logQ = Math.log1p(-rate);
  let cachedBlock = -1;
  let cached = new Int32Array(0);
  return (block) => {
    if (block === cachedBlock) return cached;
    const out: number[] = [];
    if (rate >= 1) for (let p = 0; p < PICK_BLOCK; p++) out.push(p);
    else if (rate > 0) {
      const r = rng.fork(block);
      for (let p = Math.floor(Math.log1p(-r.float()) / logQ); p < PICK_BLOCK; p += 1 + Math.floor(Math.log1p(-r.float()) / logQ)) out.push(p);
    }
    cachedBlock = block;
    cached = Int32Array.from(out);
    return cached;
  };
}

/** Call `visit` with every picked index in [first, end), in increasing order. */
export function forEachPick(picker: BlockPicker, first: number, end: number, visit: (index: number) => void): void {
  for (let block = Math.floor(first / PICK_BLOCK); block * PICK_BLOCK < end; block++) {
    const base = block * PICK_BLOCK;
    for (const p of picker(block)) {
      const index = base + p;
      if (index >= first && index < end) visit(index);
    }
  }
}
