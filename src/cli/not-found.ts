import type { Hook } from '@oclif/core';
import { closest } from '../core/suggest.js';

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
