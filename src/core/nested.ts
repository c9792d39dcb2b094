/**
 * Nested children: a child table whose rows follow its parents in order, parent p (0-based)
 * having count(p) of them (lines per order, installments per loan, a YAML `per:` table).
 * running[p] = children of the parents before p, running[parents] = all of them: 8 bytes a
 * parent, never a table of rows. A child row finds its parent by binary search.
 */
export function runningCounts(parents: number, count: (parent: number) => number): Float64Array {
  const running = new Float64Array(parents + 1);
  for (let p = 0; p < parents; p++) running[p + 1] = running[p]! + count(p);
  return running;
}

/** The parent (0-based) holding child row `row`: running[p] <= row < running[p + 1] (parents without children skipped). */
export function parentOf(running: Float64Array, row: number): number {
  let lo = 0;
  let hi = running.length - 2;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (running[mid]! <= row) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
