import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
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

describe('a mistyped command or flag', () => {
  const cases: Array<[string, RegExp]> = [
    ['generat loans --rows 10', /^datagen: unknown command 'generat loans'; did you mean 'generate loans'\? \(see datagen --help\) \[E_USAGE\]$/],
    ['nois --rate 0.1', /^datagen: unknown command 'nois'; did you mean 'noise'\? \(see datagen --help\) \[E_USAGE\]$/],
    ['gen', /^datagen: unknown command 'gen'; did you mean 'generate'\?/],
    ['xyzzy', /^datagen: unknown command 'xyzzy' \(see datagen --help\) \[E_USAGE\]$/],
  ];
  cases.push(
    ['generate loans --row 10', /^datagen generate loans: Nonexistent flag: --row; did you mean --rows\? \(see --help\) \[E_USAGE\]$/],
    ['csv --delimeter x', /^datagen csv: Nonexistent flag: --delimeter; did you mean --delimiter\? \(see --help\) \[E_USAGE\]$/],
    ['noise --xyz 1', /^datagen noise: Nonexistent flag: --xyz \(see --help\) \[E_USAGE\]$/],
  );
  for (const [args, pattern] of cases) {
    it(`${args}: one line (a suggestion when one is close), E_USAGE, exit 2`, () => expectOneLineError(run(`${datagen} ${args} < /dev/null`), 2, pattern));
  }
});

describe('a mistyped scenario', () => {
  it('generate lons: E_UNKNOWN_UNIT naming the closest scenario, exit 1', () => {
    expectOneLineError(run(`${datagen} generate lons --rows 5`), 1, /^datagen: unknown scenario 'lons' \(known: .*\)\. Did you mean loans\? \[E_UNKNOWN_UNIT\]$/);
  });
});

describe('existing files are replaced only with --overwrite', () => {
  it('new scenario: --overwrite as everywhere else (--force still works, hidden)', () => {
    const dir = tempDir();
    expect(run(`${datagen} new scenario moves`, dir).status).toBe(0);
    writeFileSync(join(dir, 'moves.yml'), 'edited\n');
    expectOneLineError(run(`${datagen} new scenario moves`, dir), 1, /^datagen: moves\.yml already exists \(pass --overwrite to replace it\) \[E_OUTPUT\]$/);
    expect(readFileSync(join(dir, 'moves.yml'), 'utf8')).toBe('edited\n');
    for (const flag of ['--overwrite', '--force']) {
      writeFileSync(join(dir, 'moves.yml'), 'edited\n');
      const r = run(`${datagen} new scenario moves ${flag}`, dir);
      expect(r.status, r.stderr).toBe(0);
      expect(readFileSync(join(dir, 'moves.yml'), 'utf8')).toMatch(/^name: moves$/m);
    }
    const help = run(`${datagen} new scenario --help`, dir).stdout;
    expect(help).toMatch(/--overwrite/);
    expect(help).not.toMatch(/--force/);
  });

  it('ledger summary --markdown: an existing report is kept, and nothing printed, unless --overwrite', () => {
    const dir = tempDir();
    const made = run(`${datagen} pipe attendance --rows 300 | ${datagen} noise --rate 0.05 --ledger l.jsonl > /dev/null && echo mine > report.md`, dir);
    expect(made.status, made.stderr).toBe(0);
    expectOneLineError(run(`${datagen} ledger summary l.jsonl --markdown report.md`, dir), 1, /^datagen: report\.md already exists \(pass --overwrite to replace it\) \[E_OUTPUT\]$/);
    expect(readFileSync(join(dir, 'report.md'), 'utf8')).toBe('mine\n');
    const r = run(`${datagen} ledger summary l.jsonl --markdown report.md --overwrite`, dir);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^attendance +noise /m);
    expect(readFileSync(join(dir, 'report.md'), 'utf8')).toMatch(/^\| attendance \| noise \|/m);
  });
});

describe('generate --out - writes to stdout', () => {
  it('the rows only (format from --format, default csv); the summary stays on stderr', () => {
    const dir = tempDir();
    const g = `${datagen} generate attendance --rows 500 --seed 4`;
    const r = run(
      `${g} --out - > out.csv 2> err.txt && ${g} --out file.csv -q && ${g} --out - --format jsonl -q > out.jsonl && ${datagen} pipe attendance --rows 500 --seed 4 -q > piped.jsonl ` +
        `&& ${g} --out - --format parquet -q > out.parquet && ${datagen} generate attendance --rows 1000000 --out - | head -1`,
      dir,
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('employee_id,department,date,status,check_in,check_out\n'); // | head -1: a closed pipe ends quietly
    expect(r.stderr).toBe('');
    const read = (f: string) => readFileSync(join(dir, f));
    expect(read('out.csv').equals(read('file.csv'))).toBe(true);
    expect(read('err.txt').toString()).toMatch(/^datagen: wrote 500 attendance rows to stdout, [\d.]+ kB, \d+\.\ds\n$/);
    expect(read('out.jsonl').equals(read('piped.jsonl'))).toBe(true);
    const parquet = read('out.parquet');
    expect([parquet.subarray(0, 4).toString(), parquet.subarray(-4).toString()]).toEqual(['PAR1', 'PAR1']);
  });

  it('refuses what cannot go to stdout: a Delta table, partitioned output', () => {
    expectOneLineError(run(`${datagen} generate loans --rows 5 --out - --format delta`), 1, /cannot go to stdout \(--out -\).*\[E_OPTION\]$/);
    expectOneLineError(run(`${datagen} generate loans --rows 5 --out - --partition-by status`), 1, /needs --out FOLDER.*\[E_OPTION\]$/);
  });
});

describe('option mistakes name the flag typed, its rule and the value', () => {
  it('range, notation, list, empty --out and impossible dates: one E_OPTION line each, nothing written', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'in.ndjson'), '{"amount":1,"status":"A"}\n');
    // Each command appends its stderr to err.txt and its exit status after it (one spawn per command, one shell).
    const cmds = [
      'noise --max-line-length 0 < in.ndjson',
      'noise --rate 0x1 < in.ndjson',
      'noise --columns amount,,status < in.ndjson',
      "csv --out '' < in.ndjson",
      'csv --max-rows 0 --out parts/ < in.ndjson',
      'generate iot_sensors --daily-peak-hour 25 --out s.csv',
      "generate loans --rows 5 --out ''",
      'generate attendance --rows 5 --holidays 01-01,02-30 --out a.csv',
    ];
    const r = run(cmds.map((c) => `{ ${datagen} ${c} > /dev/null 2>> err.txt; echo "exit $?" >> err.txt; }`).join('; '), dir);
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(dir, 'err.txt'), 'utf8').trimEnd().split('\n')).toEqual([
      'datagen: noise: --max-line-length must be >= 1, got "0" [E_OPTION]',
      'exit 1',
      'datagen: noise: --rate must be a number, got "0x1" [E_OPTION]',
      'exit 1',
      'datagen: noise: --columns must be a comma-separated list without empty items, got "amount,,status" [E_OPTION]',
      'exit 1',
      'datagen: csv: --out must be a path, not empty, got "" [E_OPTION]',
      'exit 1',
      'datagen: csv: --max-rows must be >= 1, got "0" [E_OPTION]',
      'exit 1',
      'datagen: iot_sensors: --daily-peak-hour must be between 0 and 24, got "25" [E_OPTION]',
      'exit 1',
      'datagen: generate: --out must name a file, a folder or - (stdout), got "" [E_OPTION]',
      'exit 1',
      'datagen: attendance: holidays must be MM-DD days of the calendar, got "02-30" [E_OPTION]',
      'exit 1',
    ]);
    expect(readdirSync(dir).sort()).toEqual(['err.txt', 'in.ndjson']);
  }, 120_000);

  it('a value oclif itself refuses keeps its rule and value on the one line', () => {
    expectOneLineError(run(`${datagen} generate loans --rows 5 --format bogus --out x`), 2, /^datagen generate loans: Expected --format=bogus to be one of: .*\(see --help\) \[E_USAGE\]$/);
  });
});
