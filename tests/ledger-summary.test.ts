import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { summarizeLedger } from '../src/ledger-summary.js';
import { collect } from '../src/core/pipeline.js';
import { loans } from '../scenarios/loans.js';
import { scenario } from '../sources/scenario.js';
import { noise } from '../transforms/noise.js';
import { tempDir, BIN, cliEnv as env } from './helpers.js';


describe('ledger summary', () => {
  it('counts every change per table/stage/column/kind, with the asked rates and rows seen', async () => {
    const path = join(tempDir(), 'ledger.jsonl');
    await collect(scenario('loans', { rows: 40_000, seed: 2 }), ...loans.defaultStages!(), noise({ rate: 0.02, columns: ['amount'] }), { ledger: path });
    const lines = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const changes = lines.filter((l) => !('event' in l));
    const summary = await summarizeLedger(path);
    expect(summary.entries).toBe(changes.length);
    expect(summary.rows.reduce((s, r) => s + r.injected, 0)).toBe(changes.length);
    for (const r of summary.rows) {
      expect(r.injected).toBe(changes.filter((c) => c.stage === r.stage && c.column === r.column && c.kind === r.kind).length);
      expect(r.rows).toBe(40_000);
      expect(r.table).toBe('loans');
    }
    const status = summary.rows.find((r) => r.stage === 'missing' && r.column === 'status')!;
    expect(status.rateAsked).toBe(0.08);
    expect(summary.rows.find((r) => r.stage === 'noise')).toMatchObject({ column: 'amount', kind: 'jitter', rateAsked: 0.02 });
  });

  it('the CLI sums a ledger shared by separate processes and writes a Markdown report', () => {
    const dir = tempDir();
    const script =
      `node ${BIN} pipe attendance --rows 30000 | node ${BIN} noise --rate 0.01 --schema attendance --ledger l.jsonl ` +
      `| node ${BIN} missing --rate 0.05 --columns check_out --schema attendance --seed 3 --ledger l.jsonl > /dev/null && node ${BIN} ledger summary l.jsonl --markdown report.md`;
    const r = spawnSync('bash', ['-o', 'pipefail', '-c', script], { cwd: dir, env, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^table +stage +column +kind +rate asked +injected +rows seen +injected \/ rows$/m);
    expect(r.stdout).toMatch(/^attendance +missing +check_out +null +5% +\d+ +30000 +[\d.]+%$/m);
    expect(r.stdout).toMatch(/^attendance +noise +status +typo +1% +\d+ +30000 /m);
    const md = readFileSync(join(dir, 'report.md'), 'utf8');
    expect(md).toMatch(/^\| attendance \| missing \| check_out \| null \| 5% \| \d+ \| 30000 \|/m);
  });

  it('a missing or broken ledger is a one-line error', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'bad.jsonl'), '{"event":"open","stage":"x","table":"t"}\nnot json\n');
    const bad = spawnSync('node', [BIN, 'ledger', 'summary', 'bad.jsonl'], { cwd: dir, env, encoding: 'utf8' });
    expect(bad.stderr).toBe('datagen: bad.jsonl line 2: not valid JSON [E_INPUT]\n');
    const none = spawnSync('node', [BIN, 'ledger', 'summary', 'nope.jsonl'], { cwd: dir, env, encoding: 'utf8' });
    expect(none.status).toBe(1);
    expect(none.stderr).toMatch(/^datagen: cannot read ledger nope.jsonl: ENOENT \[E_INPUT\]\n$/);
  });
});
