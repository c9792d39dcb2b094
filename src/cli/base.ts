import { Command } from '@oclif/core';
import { isDatagenError } from '../core/errors.js';
import { announceFailure } from '../core/stdio-link.js';
import { describeIoError, removeOpenTemps } from '../codecs/output.js';
import { closest } from '../core/suggest.js';

let stdoutGuarded = false;

/**
 * What every datagen command shares: user mistakes become one line on stderr with a stable
 * code and a non-zero exit (no stack trace); a closed stdout (`| head`) ends the command
 * quietly with success; Ctrl-C or kill removes half-written files before exiting.
 */
export abstract class DatagenCommand extends Command {
  override async init(): Promise<void> {
    await super.init();
    for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
      process.once(signal, () => {
        removeOpenTemps();
        process.exit(code);
      });
    }
    // oclif's own stdout listener rethrows every error but EPIPE as an uncaught exception (a
    // stack trace): replace it. A closed pipe is left to the writer (catch() below ends quietly);
    // any other failure of stdout (disk full: `> /dev/full`) ends the command with one line.
    if (!stdoutGuarded) {
      stdoutGuarded = true;
      process.stdout.removeAllListeners('error');
      process.stdout.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'EPIPE') return;
        removeOpenTemps();
        process.stderr.write(`datagen: cannot write stdout: ${describeIoError(err)} [E_OUTPUT]\n`);
        process.exit(1);
      });
    }
  }

  override async catch(err: Error & { code?: string; oclif?: { exit?: number } }): Promise<void> {
    if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED' || err.code === 'ERR_STREAM_PREMATURE_CLOSE') {
      // The reader went away (e.g. `| head -1`): nothing more to do, and not a failure.
      removeOpenTemps();
      process.exit(0);
    }
    removeOpenTemps();
    // The next datagen command in the pipe learns that this one failed (src/core/stdio-link.ts).
    announceFailure();
    if (isDatagenError(err)) {
      // oclif wraps the message of an error thrown while parsing a flag's value (our own checks,
      // src/cli/flags.ts integerFlag) in "Parsing --flag ... See more help": keep ours alone.
      const message = /^Parsing --\S+\s*\n\t([^\n]*)/.exec(err.message)?.[1] ?? err.message;
      if (err.code !== 'E_UPSTREAM') process.stderr.write(`datagen: ${message} [${err.code}]\n`);
      process.exitCode = 1;
      return;
    }
    if (err.oclif?.exit === 0) return;
    if (err.oclif?.exit !== undefined && err.oclif.exit !== 1) {
      // Flag and argument mistakes caught by oclif's parser: usage errors.
      // oclif puts the detail of "Missing 1 required arg:" on the next line: keep both, on one.
      const lines = err.message.split('\n').map((l) => l.trim()).filter(Boolean);
      // Likewise "Parsing --flag" (a value oclif's parser refused), whose rule and value follow.
      const joined = (lines[0]!.endsWith(':') || /^Parsing --\S+$/.test(lines[0]!)) && lines[1];
      const first = joined ? `${lines[0]}${lines[0]!.endsWith(':') ? '' : ':'} ${lines[1]}` : lines[0];
      process.stderr.write(`datagen ${this.id?.replaceAll(':', ' ') ?? ''}: ${first}${this.flagHint(first!)} (see --help) [E_USAGE]\n`);
      process.exitCode = err.oclif.exit;
      return;
    }
    throw err; // a bug: let oclif show everything
  }

  /** `; did you mean --rate?` for oclif's "Nonexistent flag: --ratee", when one flag is close. */
  private flagHint(message: string): string {
    const typed = /^Nonexistent flag: (--[\w-]+)/.exec(message)?.[1];
    const flags = Object.entries((this.constructor as typeof Command).flags ?? {}).filter(([, f]) => !f.hidden);
    const best = typed && closest(typed, flags.map(([name]) => `--${name}`));
    return best ? `; did you mean ${best}?` : '';
  }
}
