import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir, SUMMARIES_ONLY } from './helpers.js';

/** The CLI as a user runs it: real processes, real pipes, the compiled bin. */
const BIN = join(import.meta.dirname, '..', 'bin', 'run.js');
const datagen = `node ${BIN}`;

// A user's environment: vitest sets NODE_ENV=test, which makes oclif print developer warnings.
const env = { ...process.env, NODE_ENV: undefined };

function sh(script: string, cwd = tempDir()) {
  const r = spawnSync('bash', ['-o', 'pipefail', '-c', script], { cwd, env, encoding: 'utf8', maxBuffer: 1 << 28 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, cwd };
}

describe('CLI pipeline (separate processes)', () => {
  it('pipe | noise | missing | csv matches the library and records every change', () => {
    const dir = tempDir();
    const r = sh(
      `${datagen} pipe attendance --rows 20000 --seed 42 | ${datagen} noise --rate 0.01 --ledger anomalies.jsonl --schema attendance ` +
        `| ${datagen} missing --rate 0.02 --columns check_in,check_out --ledger anomalies.jsonl --schema attendance | ${datagen} csv > out.csv && ` +
        `${datagen} pipe attendance --rows 20000 --seed 42 | ${datagen} csv > clean.csv`,
      dir,
    );
    expect(r.stderr).toMatch(SUMMARIES_ONLY);
    expect(r.code).toBe(0);
    const out = readFileSync(join(dir, 'out.csv'), 'utf8').split('\n');
    const clean = readFileSync(join(dir, 'clean.csv'), 'utf8').split('\n');
    expect(out.length).toBe(20_002); // header + rows + final newline
    expect(out[0]).toBe('employee_id,department,date,status,check_in,check_out');
    const ledger = readFileSync(join(dir, 'anomalies.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const stages = new Set(ledger.map((e) => e.stage));
    expect(stages).toEqual(new Set(['noise', 'missing']));
    // Lines of rows no stage touched are byte-identical to the clean output; touched ones differ.
    const touched = new Set(ledger.map((e) => e.row as number));
    for (let i = 0; i < 20_000; i++) {
      if (touched.has(i)) continue;
      if (out[i + 1] !== clean[i + 1]) throw new Error(`row ${i} changed without a ledger entry: ${clean[i + 1]} -> ${out[i + 1]}`);
    }
    const differing = clean.filter((line, i) => line !== out[i]).length;
    expect(differing).toBeGreaterThan(0);
    expect(differing).toBeLessThanOrEqual(touched.size);
  });

  it('generate writes the file and the same bytes as pipe | csv', () => {
    const r = sh(`${datagen} generate attendance --rows 100000 --seed 42 --out data/attendance.csv && ${datagen} pipe attendance --rows 100000 --seed 42 | ${datagen} csv --out piped.csv`);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/wrote 100,000 attendance rows to data\/attendance.csv/);
    const a = readFileSync(join(r.cwd, 'data/attendance.csv'));
    expect(a.equals(readFileSync(join(r.cwd, 'piped.csv')))).toBe(true);
    expect(a.toString().split('\n').length).toBe(100_002);
  });

  it('jsonl sink and ndjson alias write the pipe format', () => {
    const r = sh(`${datagen} pipe attendance --rows 50 --seed 1 > a.ndjson && ${datagen} jsonl < a.ndjson > b.ndjson && ${datagen} ndjson --out c.jsonl < a.ndjson && cmp a.ndjson b.ndjson && cmp a.ndjson c.jsonl`);
    expect(r.stderr).toMatch(SUMMARIES_ONLY);
    expect(r.code).toBe(0);
  });

  it('a closed pipe (| head -1) ends quietly with success', () => {
    const r = sh(`${datagen} pipe attendance --rows 1000000 | head -1; echo "codes \${PIPESTATUS[*]}" >&2`);
    expect(r.stdout.trim().split('\n').length).toBe(1);
    expect(r.stderr.trim()).toBe('codes 0 0');
  });

  it('a closed pipe mid-chain also ends quietly', () => {
    const r = sh(`${datagen} pipe attendance --rows 1000000 | ${datagen} noise | ${datagen} csv | head -2; echo "codes \${PIPESTATUS[*]}" >&2`);
    expect(r.stderr.trim()).toBe('codes 0 0 0 0');
  });
});

describe('CLI errors: one line, a code, non-zero exit, nothing on stdout', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['rate above 1', `${datagen} pipe attendance --rows 10 -q | ${datagen} noise --rate 2`, /^datagen: noise: --rate must be between 0 and 1, got "2" \[E_OPTION\]$/],
    ['unknown scenario', `${datagen} generate nosuch --rows 10`, /^datagen: unknown scenario 'nosuch' \(known: .*attendance.*\)\. ?.*\[E_UNKNOWN_UNIT\]$/],
    ['unknown pipe scenario', `${datagen} pipe nosuch`, /\[E_UNKNOWN_UNIT\]$/],
    ['unknown column', `${datagen} pipe attendance --rows 10 -q | ${datagen} missing --columns check_inn`, /^datagen: missing: unknown column 'check_inn' .*\[E_UNKNOWN_COLUMN\]$/],
    ['unwritable output', `${datagen} generate attendance --rows 10 --out /etc/passwd/x.csv`, /^datagen: cannot write \/etc\/passwd\/x.csv: a parent is not a folder \(ENOTDIR\) \[E_OUTPUT\]$/],
    ['unknown format', `${datagen} generate attendance --rows 10 --out x.xyz`, /\[E_OPTION\]$/],
    ['malformed input line', `printf '{"a":1}\\n{"a":2}\\n{"a":\\n' | ${datagen} csv`, /^datagen: stdin line 3: not valid JSON .*\[E_INPUT\]$/],
    ['non-object input line', `printf '{"a":1}\\n[1,2]\\n' | ${datagen} noise`, /^datagen: stdin line 2: expected a JSON object per line.*\[E_INPUT\]$/],
    ['unknown flag', `${datagen} noise --ratee 0.1 < /dev/null`, /^datagen noise: Nonexistent flag: --ratee; did you mean --rate\? \(see --help\) \[E_USAGE\]$/],
    ['bad integer', `${datagen} generate attendance --rows ten`, /^datagen: attendance: --rows must be an integer, got "ten" \[E_OPTION\]$/],
    ['too many rows for the head count', `${datagen} pipe attendance --rows 100000 --employees 3`, /\[E_CAPACITY\]$/],
  ];
  for (const [name, script, pattern] of cases) {
    it(name, () => {
      const r = sh(script);
      expect(r.code).not.toBe(0);
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines.length, r.stderr).toBe(1);
      expect(lines[0]).toMatch(pattern);
      if (!script.includes('|')) expect(r.stdout).toBe('');
    });
  }
});

describe('CLI files and help', () => {
  it('an interrupted generate leaves no complete-looking file', async () => {
    const dir = tempDir();
    const child = spawn('node', [BIN, 'generate', 'attendance', '--rows', '20000000', '--out', 'big.csv'], { cwd: dir, env });
    // Wait (up to 20 s on a busy machine) until the temporary file is being written.
    const temp = /^\.big\.csv\.tmp-\d+$/;
    for (let waited = 0; waited < 20_000 && !readdirSync(dir).some((f) => temp.test(f)); waited += 100) await new Promise((r) => setTimeout(r, 100));
    expect(readdirSync(dir)).toEqual([expect.stringMatching(temp)]);
    child.kill('SIGINT');
    const code = await new Promise((r) => child.on('exit', (c, s) => r(c ?? s)));
    expect(code).toBe(130);
    expect(existsSync(join(dir, 'big.csv'))).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('every command has help with examples', () => {
    for (const cmd of ['generate', 'generate attendance', 'pipe', 'pipe attendance', 'noise', 'missing', 'csv', 'jsonl', 'parquet', 'arrow', 'xlsx', 'delta', 'delta-delete', 'list', 'describe']) {
      const r = sh(`${datagen} ${cmd} --help`);
      expect(r.code, cmd).toBe(0);
      expect(r.stdout, cmd).toMatch(/EXAMPLES/);
    }
  });

  it('list and describe show the registry', () => {
    const list = sh(`${datagen} list`);
    expect(list.stdout).toMatch(/^scenarios:\n {2}attendance /m);
    expect(list.stdout).toMatch(/^ {2}noise /m);
    expect(list.stdout).toMatch(/^ {2}jsonl .*\(also: ndjson\)/m);
    const describe = sh(`${datagen} describe attendance`);
    expect(describe.stdout).toMatch(/check_in +time +arrival time; null when ABSENT \(08:30:00 to 11:30:00\) \[nullable\]/);
    expect(describe.stdout).toMatch(/--weekend-rate/);
    const json = JSON.parse(sh(`${datagen} describe attendance --json`).stdout);
    expect(json.fields.map((f: { name: string }) => f.name)).toEqual(['employee_id', 'department', 'date', 'status', 'check_in', 'check_out']);
    expect(json.fields.at(-1)).toMatchObject({ name: 'check_out', min: '17:15:00', max: '19:30:00', after: 'check_in' });
    expect(sh(`${datagen} describe nothing`).code).toBe(1);
  });

  it('flags before the scenario name still work', () => {
    const r = sh(`${datagen} pipe --rows 3 --seed 42 attendance`);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n').length).toBe(3);
  });
});

describe('CLI: scenarios, defaults and raw logs', () => {
  it('list names every registered scenario; describe loans shows its default stage', async () => {
    const { listScenarios } = await import('../src/registry.js');
    const list = sh(`${datagen} list`).stdout;
    for (const def of listScenarios()) expect(list).toMatch(new RegExp(`^  ${def.name} +\\S`, 'm'));
    const d = sh(`${datagen} describe loans`).stdout;
    expect(d).toMatch(/default anomaly stages \(--clean skips them\):\n {2}- missing \{"rates":\["created_at=0.18",/);
  });

  it('generate loans applies the documented missingness; --clean does not', () => {
    const r = sh(`${datagen} generate loans --rows 200000 --seed 7 --out data/loans.csv -q && ${datagen} generate loan_applications --rows 1000 --clean --out clean.csv -q`);
    expect(r.code, r.stderr).toBe(0);
    const lines = readFileSync(join(r.cwd, 'data/loans.csv'), 'utf8').trimEnd().split('\n');
    expect(lines.length).toBe(200_001);
    const statusBlank = lines.slice(1).filter((l) => l.split(',')[6] === '').length;
    expect(Math.abs(statusBlank / 200_000 - 0.08)).toBeLessThan(0.004);
    const clean = readFileSync(join(r.cwd, 'clean.csv'), 'utf8').trimEnd().split('\n').slice(1);
    expect(clean.every((l) => !l.split(',').includes(''))).toBe(true);
  });

  it('spark_logs to a .log file is one raw log4j line per row', () => {
    const r = sh(`${datagen} generate spark_logs --rows 50000 --out logs/app.log -q`);
    expect(r.code, r.stderr).toBe(0);
    const lines = readFileSync(join(r.cwd, 'logs/app.log'), 'utf8').trimEnd().split('\n');
    expect(lines.length).toBe(50_000);
    expect(lines.every((l) => /^\d{2}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2} (INFO|WARN|ERROR) \S/.test(l))).toBe(true);
  });

  it('pipe iot_sensors | csv', () => {
    const r = sh(`${datagen} pipe iot_sensors --rows 100000 | ${datagen} csv > sensors.csv`);
    expect(r.code, r.stderr).toBe(0);
    const lines = readFileSync(join(r.cwd, 'sensors.csv'), 'utf8').trimEnd().split('\n');
    expect(lines.length).toBe(100_001);
    expect(lines[0]).toBe('device_id,timestamp,value');
  });
});

describe('CLI: the anomaly toolkit with one shared ledger', () => {
  it('duplicate | malform | outliers in separate processes, summed up by ledger summary', () => {
    const r = sh(
      `${datagen} pipe customer_360 --rows 50000 --seed 3 ` +
        `| ${datagen} duplicate --rate 0.002 --key customer_id --near --ledger anomalies.jsonl --schema customer_360 ` +
        `| ${datagen} malform --columns email --rate 0.008 --kinds email --ledger anomalies.jsonl --schema customer_360 ` +
        `| ${datagen} outliers --columns income_annual --rate 0.001 --ledger anomalies.jsonl --schema customer_360 ` +
        `| ${datagen} csv > customers.csv && ${datagen} ledger summary anomalies.jsonl`,
    );
    expect(r.code, r.stderr).toBe(0);
    const ledger = readFileSync(join(r.cwd, 'anomalies.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const changes = ledger.filter((e) => !('event' in e));
    const inserted = changes.filter((e) => e.stage === 'duplicate').length;
    const lines = readFileSync(join(r.cwd, 'customers.csv'), 'utf8').trimEnd().split('\n');
    expect(lines.length).toBe(1 + 50_000 + inserted);
    expect(new Set(changes.map((e) => e.stage))).toEqual(new Set(['duplicate', 'malform', 'outliers']));
    // every malformed email in the ledger is in the file, on the row the ledger names
    for (const e of changes.filter((x) => x.stage === 'malform').slice(0, 50)) expect(lines[e.row + 1]).toContain(e.after.includes(',') ? '"' : e.after);
    expect(r.stdout).toMatch(/^customer_360 +malform +email +malformed_email +0\.8% +\d+ +\d+ /m);
    expect(r.stdout).toMatch(/^customer_360 +duplicate +\* +\* +0\.2% /m); // the stage's rate, split evenly over exact and near
    expect(r.stdout).toMatch(/^customer_360 +duplicate +\* +near_duplicate +0\.1% /m);
  });
});

describe('CLI: existing outputs', () => {
  it('are not replaced without --overwrite', () => {
    const r = sh(`${datagen} generate attendance --rows 10 --out a.csv -q && ${datagen} generate attendance --rows 20 --out a.csv -q`);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('datagen: a.csv already exists (pass --overwrite to replace it) [E_OUTPUT]\n');
    expect(readFileSync(join(r.cwd, 'a.csv'), 'utf8').trimEnd().split('\n').length).toBe(11);
    const again = sh(`${datagen} generate attendance --rows 20 --out a.csv -q --overwrite && ${datagen} pipe attendance --rows 5 | ${datagen} csv --out a.csv --overwrite`, r.cwd);
    expect(again.code, again.stderr).toBe(0);
    expect(readFileSync(join(r.cwd, 'a.csv'), 'utf8').trimEnd().split('\n').length).toBe(6);
  });
});
