import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { memoryLedger } from '../src/anomaly/ledger.js';
import { run } from '../src/core/pipeline.js';
import { csv } from '../sinks/csv.js';
import { jsonl } from '../sinks/jsonl.js';
import { scenario } from '../sources/scenario.js';
import { truncateLines } from '../transforms/truncate-lines.js';
import { tempDir, withinSamplingError, BIN, cliEnv as env } from './helpers.js';


describe('truncate-lines', () => {
  it('cuts exactly the recorded lines, at the rate asked; every other line is intact', async () => {
    const dir = tempDir();
    const ledger = memoryLedger();
    await run(scenario('customer_360', { rows: 60_000, seed: 2 }), truncateLines({ rate: 0.01 }), jsonl({ path: join(dir, 'a.jsonl') }), { ledger });
    await run(scenario('customer_360', { rows: 60_000, seed: 2 }), jsonl({ path: join(dir, 'clean.jsonl') }));
    const lines = readFileSync(join(dir, 'a.jsonl'), 'utf8').split('\n').slice(0, -1);
    const clean = readFileSync(join(dir, 'clean.jsonl'), 'utf8').split('\n').slice(0, -1);
    expect(lines.length).toBe(60_000);
    const cut = new Set(ledger.entries.map((e) => e.row));
    expect(withinSamplingError(cut.size, 60_000, 0.01)).toBe(true);
    lines.forEach((line, i) => {
      if (cut.has(i)) {
        expect(() => JSON.parse(line)).toThrow();
        expect(clean[i]!.startsWith(line)).toBe(true);
        const keep = ledger.entries.find((e) => e.row === i)!.after as number;
        expect(Math.abs(line.length / clean[i]!.length - keep)).toBeLessThan(0.01);
      } else if (line !== clean[i]) throw new Error(`line ${i} changed without a ledger entry`);
    });
    expect(ledger.entries.every((e) => e.kind === 'truncated_line' && e.column === '*' && e.key && 'customer_id' in e.key)).toBe(true);
  });

  it('is deterministic, batch-size independent, and ignored by the CSV writer', async () => {
    const a = memoryLedger();
    const b = memoryLedger();
    const dir = tempDir();
    await run(scenario('attendance', { rows: 20_000, seed: 1 }), truncateLines({ rate: 0.02, seed: 5 }), csv({ path: join(dir, 'a.csv') }), { ledger: a });
    await run(scenario('attendance', { rows: 20_000, seed: 1, batchSize: 333 }), truncateLines({ rate: 0.02, seed: 5 }), csv({ path: join(dir, 'b.csv') }), { ledger: b });
    expect(b.entries).toEqual(a.entries);
    await run(scenario('attendance', { rows: 20_000, seed: 1 }), csv({ path: join(dir, 'clean.csv') }));
    expect(readFileSync(join(dir, 'a.csv'), 'utf8')).toBe(readFileSync(join(dir, 'clean.csv'), 'utf8'));
    expect(() => truncateLines({ rate: 1.5 })).toThrowError(expect.objectContaining({ code: 'E_OPTION' }));
  });

  it('in a pipe the broken lines reach the file, and a datagen stage reading them names the line', () => {
    const dir = tempDir();
    const r = spawnSync('bash', ['-c', `node ${BIN} pipe attendance --rows 5000 -q | node ${BIN} truncate-lines --rate 0.01 --ledger cut.jsonl -q > broken.jsonl; node ${BIN} csv < broken.jsonl > /dev/null`], { cwd: dir, env, encoding: 'utf8' });
    const first = readFileSync(join(dir, 'cut.jsonl'), 'utf8').split('\n').map((l) => (l ? JSON.parse(l) : null)).find((e) => e && !('event' in e));
    expect(r.stderr).toMatch(new RegExp(`^datagen: stdin line ${first.row + 1}: not valid JSON`));
    expect(r.status).toBe(1);
  });
});
