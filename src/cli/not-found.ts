import type { Hook } from '@oclif/core';

/**
 * oclif's `command_not_found` hook: a mistyped command gets one line naming it, the closest
 * command as a suggestion, code E_USAGE and exit 2 (as oclif's own usage errors). Written
 * here rather than with @oclif/plugin-not-found, which asks interactively whether to run
 * the suggestion: a script or a pipe must not stop at a prompt.
 */
const hook: Hook.CommandNotFound = async function (opts) {
  // oclif joins leading words into the id (`generat loans` -> generat:loans).
  const typed = opts.id.replaceAll(':', ' ');
  const commands = opts.config.commands.filter((c) => !c.hidden).flatMap((c) => [c.id, ...c.aliases]).map((id) => id.replaceAll(':', ' '));
  const best = closest(typed, commands) ?? closest(typed.split(' ')[0]!, commands.filter((c) => !c.includes(' ')));
  const hint = best ? `; did you mean '${best}'?` : '';
  process.stderr.write(`datagen: unknown command '${typed}'${hint} (see datagen --help) [E_USAGE]\n`);
  process.exitCode = 2;
};
export default hook;

/** The candidate nearest to `word` by edit distance, if it is near enough to be a likely typo. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const extending = candidates.filter((c) => c.startsWith(word));
  if (extending.length === 1) return extending[0]; // an abbreviation: gen -> generate
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

/** Levenshtein distance (insert, delete, substitute), one row at a time. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}
