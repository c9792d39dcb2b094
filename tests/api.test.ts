import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { collect, csv, jsonl, memoryLedger, missing, ndjsonSource, noise, run, scenario, toDuplex, toReadable, type Batch } from '../src/index.js';
import { tempDir } from './helpers.js';

describe('TypeScript API', () => {
  it('composes the README example and returns counts', async () => {
    const path = join(tempDir(), 'out.csv');
    const result = await run(scenario('attendance', { rows: 1e5, seed: 42 }), noise({ rate: 0.01 }), csv({ path }));
    expect(result.rows).toBe(100_000);
    expect(readFileSync(path, 'utf8').split('\n').length).toBe(100_002);
  });

  it("refuses a ledger file holding another run's lines unless overwrite; joins lines of its own run", async () => {
    const dir = tempDir();
    const ledger = join(dir, 'ledger.jsonl');
    const once = (options: { run?: string; overwrite?: boolean }, out: string) =>
      run(scenario('attendance', { rows: 2000, seed: 1 }), missing({ rate: 0.05, columns: ['check_out'] }), csv({ path: join(dir, out) }), { ledger, ...options });
    await once({}, 'a.csv');
    const first = readFileSync(ledger, 'utf8');
    await expect(once({}, 'b.csv')).rejects.toMatchObject({ code: 'E_OUTPUT', message: expect.stringContaining('another run') });
    expect(readFileSync(ledger, 'utf8')).toBe(first);
    expect(existsSync(join(dir, 'b.csv'))).toBe(false);
    // --overwrite replaces it: the same options give the same entries (the run id differs)
    await once({ overwrite: true }, 'c.csv');
    const strip = (text: string) => text.replace(/"run":"[^"]+",/g, '');
    expect(strip(readFileSync(ledger, 'utf8'))).toBe(strip(first));
    // a stage of the same run (another process of one pipe) adds to it
    const runId = JSON.parse(readFileSync(ledger, 'utf8').split('\n')[0]!).run as string;
    await once({ run: runId }, 'd.csv');
    expect(readFileSync(ledger, 'utf8').length).toBe(2 * first.length);
  });

  it('writes the ledger to a file when given a path', async () => {
    const dir = tempDir();
    await run(scenario('attendance', { rows: 10_000, seed: 1 }), missing({ rate: 0.05, columns: ['check_out'] }), csv({ path: join(dir, 'a.csv') }), { ledger: join(dir, 'ledger.jsonl') });
    const all = readFileSync(join(dir, 'ledger.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    // the stage's own open and close events frame its changes
    expect(all[0]).toMatchObject({ event: 'open', run: expect.any(String), stage: 'missing', table: 'attendance', options: { rate: 0.05, columns: ['check_out'] } });
    expect(all[all.length - 1]).toEqual({ event: 'close', run: all[0].run, stage: 'missing', table: 'attendance', rowsIn: 10_000, rowsOut: 10_000 });
    const lines = all.filter((l) => !('event' in l));
    expect(lines.length).toBe(all.length - 2);
    expect(lines.length).toBeGreaterThan(300);
    expect(lines[0]).toMatchObject({ stage: 'missing', table: 'attendance', column: 'check_out', kind: 'null', after: null });
    expect(lines[0].key).toHaveProperty('employee_id');
    expect(lines[0].key.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('the same stages as Node streams give the same rows as run()', async () => {
    const viaRun = await collect(scenario('attendance', { rows: 20_000, seed: 2 }), noise({ rate: 0.02 }));
    const out: Batch[] = [];
    await pipeline(toReadable(scenario('attendance', { rows: 20_000, seed: 2 })), toDuplex(noise({ rate: 0.02 })), async (source: AsyncIterable<Batch>) => {
      for await (const b of source) out.push(b);
    });
    expect(out.flatMap((b) => b.rows)).toEqual(viaRun);
  });

  it('rejects a pipeline without a sink', async () => {
    await expect(run(scenario('attendance', { rows: 10 }), noise())).rejects.toMatchObject({ code: 'E_OPTION' });
  });
});

describe('NDJSON source', () => {
  const text = '{"id":1,"day":"2024-01-02","t":"09:00:00","x":1.5,"s":"a"}\r\n\n{"id":2,"day":"2024-01-03","t":null,"x":2,"s":"b"}\n{"id":3,"day":"not a date","t":"10:00:00","x":3,"s":null}';

  it('infers kinds, tolerates CRLF and blank lines, keeps unparseable text as text', async () => {
    const source = ndjsonSource({ input: Readable.from([text.slice(0, 17), text.slice(17)]) });
    const rows = await collect(source);
    expect(rows.length).toBe(3);
    expect(rows[0]).toMatchObject({ id: 1, t: 32400, x: 1.5, s: 'a' });
    // "day" has a value that is not a date, so it is inferred as text and kept exactly
    expect(rows.map((r) => r.day)).toEqual(['2024-01-02', '2024-01-03', 'not a date']);
    expect(rows[1]!.t).toBeNull();
  });

  it('a round trip through jsonl is byte-identical', async () => {
    const dir = tempDir();
    await run(scenario('attendance', { rows: 5000, seed: 3 }), jsonl({ path: join(dir, 'a.ndjson') }));
    const input = readFileSync(join(dir, 'a.ndjson'), 'utf8');
    const pass = new PassThrough();
    pass.end(input);
    await run(ndjsonSource({ input: pass }), jsonl({ path: join(dir, 'b.ndjson') }));
    expect(readFileSync(join(dir, 'b.ndjson'), 'utf8')).toBe(input);
  });

  it('refuses a column the schema does not have, naming the line', async () => {
    const lines = Array.from({ length: 10 }, (_, i) => JSON.stringify({ a: i })).join('\n') + '\n{"a":10,"b":1}\n';
    const source = ndjsonSource({ input: Readable.from([lines]), batchSize: 4 });
    await expect(collect(source)).rejects.toMatchObject({ code: 'E_INPUT', message: "stdin line 11: column 'b' is not in the first rows, from which the columns were inferred (pass --schema)" });
  });

  it('names the broken line', async () => {
    const source = ndjsonSource({ input: Readable.from(['{"a":1}\n{"a":2}\n{"a":3,}\n']) });
    await expect(collect(source)).rejects.toMatchObject({ code: 'E_INPUT', message: expect.stringMatching(/^stdin line 3: not valid JSON/) });
  });
});
