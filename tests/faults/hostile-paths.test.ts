import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SUMMARIES_ONLY, tempDir } from '../helpers.js';
import { pendingCases, runCases, runScript, sample, type HostileCase, type PendingCase } from './hostile-harness.js';

/**
 * Hostile paths: outputs under a file, in /proc and /sys (the suite may run as root, so
 * permissions alone would not refuse anything), existing files and folders without
 * --overwrite (left byte for byte as they were), ledgers that are folders or another run's,
 * full devices, odd stdin. Each ends with one line and its code, and nothing written.
 */

const ROWS =
  '{"loan_id":"LN0001","customer_id":"CUST0006","amount":9000,"status":"PENDING"}\n{"loan_id":"LN0002","customer_id":"CUST0001","amount":8000,"status":"CLOSED"}\n';
/** A ledger of another run (its open event names the run). */
const OTHER_LEDGER =
  '{"event":"open","run":"4ae2b4b2-10ca-4ec3-84c9-65de6220ad7a","stage":"noise","table":"data","options":{"rate":0.5,"scale":0.05,"minutes":10,"days":3,"seed":42}}\n';
const KEEP = 'keep me: these bytes must survive\n';

/** Every file sink, as `<command>` and the extension of its file. */
const SINKS: Array<[string, string]> = [
  ['csv', 'csv'],
  ['jsonl', 'jsonl'],
  ['log', 'log'],
  ['parquet', 'parquet'],
  ['arrow', 'arrow'],
  ['xlsx', 'xlsx'],
];

const sinkCase = (name: string, cmd: string, code: string, extra: Partial<HostileCase> = {}): HostileCase => ({
  name,
  script: `cat in.ndjson | $D ${cmd}`,
  code,
  ...extra,
  setup: { 'in.ndjson': ROWS, ...extra.setup },
});

const CASES: HostileCase[] = [];

// Every mistake for every file sink (one mistake after another, so a stride samples each).
for (const [sink, ext] of SINKS) {
  CASES.push(sinkCase(`${sink}: --out under a file`, `${sink} --out f/out.${ext}`, 'E_OUTPUT', { setup: { f: KEEP }, absent: [`f/out.${ext}`], message: /f\/out/ }));
}
for (const [sink, ext] of SINKS) {
  CASES.push(sinkCase(`${sink}: --out in /proc`, `${sink} --out /proc/hostile-out.${ext}`, 'E_OUTPUT', { absent: [`/proc/hostile-out.${ext}`], message: /\/proc/ }));
}
for (const [sink, ext] of SINKS) {
  CASES.push(sinkCase(`${sink}: existing file without --overwrite`, `${sink} --out out.${ext}`, 'E_OUTPUT', { setup: { [`out.${ext}`]: KEEP }, message: /exists/ }));
}
for (const [sink, ext] of SINKS) {
  CASES.push(sinkCase(`${sink}: --out names a folder`, `${sink} --out d.${ext}`, 'E_OUTPUT', { setup: { [`d.${ext}/x`]: KEEP }, message: /d\./ }));
}

CASES.push(
  sinkCase('parquet: --out in /sys', 'parquet --out /sys/hostile.parquet', 'E_OUTPUT', { absent: ['/sys/hostile.parquet'], message: /\/sys/ }),
  sinkCase('csv.gz: existing file without --overwrite', 'csv --out out.csv.gz', 'E_OUTPUT', { setup: { 'out.csv.gz': KEEP } }),
  sinkCase('csv: --out /dev/full without --overwrite', 'csv --out /dev/full', 'E_OUTPUT', { message: /\/dev\/full/ }),
  sinkCase('csv: stdout on /dev/full', 'csv > /dev/full', 'E_OUTPUT', { message: /stdout/ }),
  sinkCase('parquet: stdout on /dev/full', 'parquet > /dev/full', 'E_OUTPUT', { message: /stdout/ }),
  sinkCase('csv: --out name too long', 'csv --out x', 'E_OUTPUT', { script: `cat in.ndjson | $D csv --out ${'a'.repeat(300)}.csv`, message: /ENAMETOOLONG/ }),
  sinkCase('csv: --out through a symlink loop', 'csv --out loop/x.csv', 'E_OUTPUT', { script: 'ln -s loop loop && cat in.ndjson | $D csv --out loop/x.csv', message: /loop/ }),
  sinkCase('csv: --out empty', "csv --out ''", 'E_OPTION', { message: /--out .*""/ }),
  { name: 'generate: --out empty', script: "$D generate loans --rows 10 --out ''", code: 'E_OPTION', message: /--out .*""/ },
  // Partitioned output.
  sinkCase('csv: partition folder is a file', 'csv --partition-by status --out parts/', 'E_OUTPUT', { setup: { parts: KEEP } }),
  sinkCase('csv: partition folder not empty', 'csv --partition-by status --out parts/', 'E_OUTPUT', { setup: { 'parts/status=OLD/part-0000.csv': KEEP }, message: /overwrite/ }),
  sinkCase('parquet: rolled folder in /proc', 'parquet --max-rows 1 --out /proc/hostile-parts/', 'E_OUTPUT', { absent: ['/proc/hostile-parts'] }),
  sinkCase('csv: --file-template escaping the folder', "csv --max-rows 1 --file-template '../{num}.csv' --out parts/", 'E_OPTION', { absent: ['parts', '0.csv'], message: /template/ }),
  // Delta tables.
  sinkCase('delta: --out is a file', 'delta --out tbl', 'E_OUTPUT', { setup: { tbl: KEEP } }),
  sinkCase('delta: --out a folder of other files', 'delta --out tbl', 'E_OUTPUT', { setup: { 'tbl/readme.txt': KEEP }, absent: ['tbl/_delta_log'] }),
  sinkCase('delta: --out in /proc', 'delta --out /proc/hostile-tbl', 'E_OUTPUT', { absent: ['/proc/hostile-tbl'] }),
  sinkCase('delta: --out under a file', 'delta --out f/tbl', 'E_OUTPUT', { setup: { f: KEEP } }),
  // Ledgers.
  sinkCase('noise: --ledger is a folder', 'noise --rate 0.5 --ledger led', 'E_OUTPUT', { script: 'mkdir led && cat in.ndjson | $D noise --rate 0.5 --ledger led', message: /led/ }),
  sinkCase("noise: --ledger holds another run's lines", 'noise --rate 0.5 --ledger led.jsonl', 'E_OUTPUT', { setup: { 'led.jsonl': OTHER_LEDGER }, message: /another run/ }),
  sinkCase('noise: --ledger is not a ledger', 'noise --rate 0.5 --ledger notes.txt', 'E_OUTPUT', { setup: { 'notes.txt': KEEP } }),
  sinkCase('noise: --ledger in /proc', 'noise --rate 0.5 --ledger /proc/hostile-led.jsonl', 'E_OUTPUT', { absent: ['/proc/hostile-led.jsonl'] }),
  sinkCase('missing: --ledger under a file', 'missing --rate 0.5 --ledger f/led.jsonl', 'E_OUTPUT', { setup: { f: KEEP } }),
  sinkCase('noise: --ledger is its own input', 'noise --rate 0.5 --ledger in.ndjson', 'E_OUTPUT'),
  sinkCase('corrupt-fk: --values-file is a folder', 'corrupt-fk --columns customer_id --values-file vd', 'E_OPTION', { script: 'mkdir vd && cat in.ndjson | $D corrupt-fk --columns customer_id --values-file vd', message: /vd/ }),
  // Commands without stdin.
  { name: 'generate: --out under a file', script: '$D generate loans --rows 10 --out f/out.csv', setup: { f: KEEP }, code: 'E_OUTPUT' },
  { name: 'generate: existing file without --overwrite', script: '$D generate loans --rows 10 --out out.csv', setup: { 'out.csv': KEEP }, code: 'E_OUTPUT', message: /exists/ },
  { name: 'generate: --out in /proc', script: '$D generate loans --rows 10 --out /proc/hostile.parquet', code: 'E_OUTPUT', absent: ['/proc/hostile.parquet'] },
  { name: 'generate: --ledger is a folder', script: 'mkdir led && $D generate loans --rows 10 --out out.csv --ledger led', code: 'E_OUTPUT', absent: ['out.csv'] },
  { name: "generate: --ledger holds another run's lines", script: '$D generate loans --rows 10 --out out.csv --ledger led.jsonl', setup: { 'led.jsonl': OTHER_LEDGER }, code: 'E_OUTPUT', absent: ['out.csv'] },
  { name: 'generate: stdout on /dev/full', script: '$D generate loans --rows 10 --out - > /dev/full', code: 'E_OUTPUT', message: /stdout/ },
  { name: 'csv: stdin is a folder', script: '$D csv --out out.csv < .', code: 'E_INPUT', absent: ['out.csv'], message: /folder/ },
  { name: 'generate: partition folder is a file', script: '$D generate loans --rows 10 --partition-by status --out parts/', setup: { parts: KEEP }, code: 'E_OUTPUT' },
  { name: 'ledger summary: --markdown over an existing file', script: '$D ledger summary led.jsonl --markdown sum.md', setup: { 'led.jsonl': OTHER_LEDGER, 'sum.md': KEEP }, code: 'E_OUTPUT', message: /exists/ },
  { name: 'new scenario: over an existing file', script: '$D new scenario foo', setup: { 'foo.yml': KEEP }, code: 'E_OUTPUT', message: /exists/ },
  { name: 'new scenario: in /proc', script: '$D new scenario /proc/hostile', code: 'E_OPTION', absent: ['/proc/hostile.yml'] },
  // stdin that is no rows.
  { name: 'csv: stdin is a FIFO closed at once', script: 'mkfifo fi && { (exec 3>fi) & $D csv --out out.csv < fi; }', code: 'E_NO_INPUT', absent: ['out.csv'] },
  { name: 'csv: stdin is an empty file', script: ': > empty && $D csv --out out.csv < empty', code: 'E_NO_INPUT', absent: ['out.csv'] },
);

/** Mistakes the product does not refuse as it should yet (not run: see pendingCases). */
export const PENDING: PendingCase[] = [];

describe('hostile paths: one line, its code, nothing written, existing files untouched', () => {
  const run = sample(CASES, 2);
  it(`outputs, ledgers, stdin (${run.length} of ${CASES.length} cases)`, async () => {
    expect(run.length).toBeGreaterThanOrEqual(30);
    expect(await runCases(run)).toEqual([]);
  }, 300_000);
});

// Not a mistake: an --out ending in / names a folder even without partitioning options
// (docs/partitioning.md, "Any of ... or an --out ending in /, makes the output a folder").
describe('--out with a trailing slash', () => {
  it('csv --out out.csv/ writes the folder out.csv/ holding part-0000.csv, nothing else', async () => {
    const dir = tempDir('datagen-hostile-');
    try {
      writeFileSync(join(dir, 'in.ndjson'), ROWS);
      const r = await runScript('cat in.ndjson | $D csv --out out.csv/', dir);
      expect([r.status, r.stdout]).toEqual([0, '']);
      expect(r.stderr).toMatch(SUMMARIES_ONLY);
      expect(readdirSync(join(dir, 'out.csv'))).toEqual(['part-0000.csv']);
      expect(readFileSync(join(dir, 'out.csv', 'part-0000.csv'), 'utf8')).toBe('loan_id,customer_id,amount,status\nLN0001,CUST0006,9000,PENDING\nLN0002,CUST0001,8000,CLOSED\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

pendingCases('paths', PENDING);
