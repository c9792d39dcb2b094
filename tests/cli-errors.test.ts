import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, sh, tempDir } from './helpers.js';

/** CLI usage: -h, mistyped commands, and the one-line error contract. Real processes, the compiled bin. */
const datagen = `node ${BIN}`;
const run = (script: string, cwd = tempDir()) => ({ ...sh(script, cwd), cwd });

/** One stderr line matching `pattern`, exit `code`, nothing on stdout. */
function expectOneLineError(r: { status: number | null; stdout: string; stderr: string }, code: number, pattern: RegExp) {
  expect(r.status, r.stderr).toBe(code);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
}

describe('-h is --help', () => {
  it('at the top, on a topic command, a unit command and a scenario command', () => {
    for (const cmd of ['', 'noise', 'generate loans', 'ledger summary']) {
      const short = run(`${datagen} ${cmd} -h`);
      const long = run(`${datagen} ${cmd} --help`);
      expect(short.status, `${cmd}: ${short.stderr}`).toBe(0);
      expect(short.stderr).toBe('');
      expect(short.stdout, cmd).toBe(long.stdout);
      expect(short.stdout, cmd).toMatch(cmd === '' ? /COMMANDS/ : /EXAMPLES/);
    }
  });
});

describe('a mistyped command', () => {
  const cases: Array<[string, RegExp]> = [
    ['generat loans --rows 10', /^datagen: unknown command 'generat loans'; did you mean 'generate loans'\? \(see datagen --help\) \[E_USAGE\]$/],
    ['nois --rate 0.1', /^datagen: unknown command 'nois'; did you mean 'noise'\? \(see datagen --help\) \[E_USAGE\]$/],
    ['gen', /^datagen: unknown command 'gen'; did you mean 'generate'\?/],
    ['xyzzy', /^datagen: unknown command 'xyzzy' \(see datagen --help\) \[E_USAGE\]$/],
  ];
  for (const [args, pattern] of cases) {
    it(`${args}: one line, a suggestion, E_USAGE, exit 2`, () => expectOneLineError(run(`${datagen} ${args} < /dev/null`), 2, pattern));
  }
});
