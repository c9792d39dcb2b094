import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SUMMARIES_ONLY, tempDir } from '../helpers.js';
import { pendingCases, runCases, sample, runScript, type HostileCase, type PendingCase } from './hostile-harness.js';

/**
 * Hostile NDJSON on stdin, piped from a file (`cat in.ndjson | datagen <command>`) into every
 * sink and transform: broken JSON, values that are not rows, bytes that are not text, inputs
 * built to exhaust memory or the stack, values that do not fit the declared types. Each ends
 * with one E_INPUT (or E_NO_INPUT) line naming the line, and no output file.
 */

const L1 =
  '{"loan_id":"LN0001","customer_id":"CUST0006","created_at":"2023-01-01T15:48:53.747043Z","amount":9000,"interest_rate":12.0,"tenure_months":null,"status":"PENDING","product_type":"AUTO","branch":"Biratnagar","credit_score_band":"MEDIUM"}';
const L2 =
  '{"loan_id":"LN0002","customer_id":"CUST0001","created_at":"2023-02-06T22:10:20.112784Z","amount":8000,"interest_rate":11.5,"tenure_months":24,"status":"CLOSED","product_type":"AUTO","branch":"Biratnagar","credit_score_band":null}';
const GOOD = `${L1}\n${L2}\n`;

/** Deterministic bytes that are neither JSON nor UTF-8 (an LCG, not Math.random). */
function garbage(n: number): Buffer {
  const b = Buffer.alloc(n);
  let x = 12345;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = 0x80 | (x >>> 24); // high bit set: never ASCII, rarely valid UTF-8
  }
  return b;
}

/** Where each command writes, and what must not exist after a failure. */
const TARGETS: Record<string, { cmd: string; out?: string }> = {
  csv: { cmd: 'csv --out out.csv', out: 'out.csv' },
  jsonl: { cmd: 'jsonl --out out.jsonl', out: 'out.jsonl' },
  log: { cmd: "log --template '{loan_id}' --out out.log", out: 'out.log' },
  parquet: { cmd: 'parquet --out out.parquet', out: 'out.parquet' },
  arrow: { cmd: 'arrow --out out.arrow', out: 'out.arrow' },
  xlsx: { cmd: 'xlsx --out out.xlsx', out: 'out.xlsx' },
  delta: { cmd: 'delta --out tbl', out: 'tbl' },
  'csv partitioned': { cmd: 'csv --partition-by status --out parts/', out: 'parts' },
  'csv.gz': { cmd: 'csv --out out.csv.gz', out: 'out.csv.gz' },
  noise: { cmd: 'noise --rate 0.5 --ledger led.jsonl', out: 'led.jsonl' },
  missing: { cmd: 'missing --rate 0.5 --ledger led.jsonl', out: 'led.jsonl' },
  duplicate: { cmd: 'duplicate --rate 0.5 --ledger led.jsonl', out: 'led.jsonl' },
  malform: { cmd: 'malform --rate 0.5 --ledger led.jsonl', out: 'led.jsonl' },
  outliers: { cmd: 'outliers --rate 0.5 --ledger led.jsonl', out: 'led.jsonl' },
  'truncate-lines': { cmd: 'truncate-lines --rate 0.5 --ledger led.jsonl', out: 'led.jsonl' },
};

/** `input` piped into `target`; `flags` are added to its command line. */
function into(target: keyof typeof TARGETS, what: string, input: string | Buffer, code: string, message?: RegExp, flags = ''): HostileCase {
  const t = TARGETS[target]!;
  return {
    name: `${what} -> ${target}${flags ? ` ${flags}` : ''}`,
    script: `cat in.ndjson | $D ${t.cmd}${flags ? ` ${flags}` : ''}`,
    setup: { 'in.ndjson': input },
    code,
    absent: t.out ? [t.out] : [],
    message,
  };
}

/** Broken containers: every one refused by every target. */
const BROKEN: Array<[string, string | Buffer, RegExp]> = [
  ['not JSON', 'hello world\n', /line 1/],
  ['truncated last line', `${GOOD}{"loan_id":"LN0003","cust`, /line 3/],
  ['truncated middle line', `${L1}\n{"loan_id":"LN0002","cu\n${L2}\n`, /line 2/],
  ['array line', `${L1}\n[1,2,3]\n`, /line 2/],
  ['number line', `${L1}\n42\n`, /line 2/],
  ['string line', `"just text"\n`, /line 1/],
  ['null line', `${L1}\nnull\n`, /line 2/],
  ['boolean line', `true\n`, /line 1/],
  ['binary garbage', garbage(4096), /line 1/],
  ['NUL bytes', Buffer.from([0, 0, 0, 0, 10, 0, 0, 10]), /line 1/],
  ['NUL inside a string', Buffer.concat([Buffer.from('{"loan_id":"LN'), Buffer.from([0]), Buffer.from('1"}\n')]), /line 1/],
  ['deep nesting', `{"a":${'['.repeat(200_000)}${']'.repeat(200_000)}}\n`, /line 1/],
  ['unclosed deep nesting', `${'{"a":'.repeat(100_000)}1\n`, /line 1/],
  ['NaN literal', `${L1.replace('9000', 'NaN')}\n`, /line 1/],
  ['single quotes', `{'loan_id':'LN0001'}\n`, /line 1/],
  ['two objects on a line', `${L1}${L1}\n`, /line 1/],
  ['comment line', `${L1}\n// a comment\n`, /line 2/],
  ['integer beyond 2^53', `${L1.replace('9000', '9007199254740993')}\n`, /amount/],
  ['rows with no columns', '{}\n{}\n', /no columns/],
];

const CASES: HostileCase[] = [];
// Each broken input into one of a text sink, a typed sink and a transform, in turn (they share
// one reader; the suite's time goes to process starts).
BROKEN.forEach(([what, input, message], i) => CASES.push(into((['csv', 'parquet', 'noise'] as const)[i % 3]!, what, input, 'E_INPUT', message)));
// The nastiest inputs into all three.
for (const [what, input, message] of BROKEN.filter(([what]) => /binary|deep nesting|truncated last/.test(what))) {
  for (const target of ['csv', 'parquet', 'noise'] as const) {
    const c = into(target, what, input, 'E_INPUT', message);
    if (!CASES.some((x) => x.name === c.name)) CASES.push(c);
  }
}
// Every other target with one broken line each (the container is read by one shared reader,
// but each command opens its output in its own way).
for (const target of ['jsonl', 'log', 'arrow', 'xlsx', 'delta', 'csv partitioned', 'csv.gz', 'missing', 'duplicate', 'malform', 'outliers', 'truncate-lines'] as const) {
  CASES.push(into(target, 'truncated last line', `${GOOD}{"loan_id":"LN0003","cust`, 'E_INPUT', /line 3/));
}

CASES.push(
  // The line cap: a long line is refused before it is held in memory.
  into('csv', 'line over --max-line-length', `${L1}\n{"loan_id":"${'x'.repeat(5000)}"}\n`, 'E_INPUT', /line 2/, '--max-line-length 1000'),
  into('parquet', 'line over --max-line-length', `{"loan_id":"${'x'.repeat(5000)}"}\n`, 'E_INPUT', /line 1/, '--max-line-length 1000'),
  into('noise', 'line over --max-line-length without newline', `{"loan_id":"${'x'.repeat(5000)}`, 'E_INPUT', /line 1/, '--max-line-length 1000'),
  // Values that do not fit the declared schema, into typed writers.
  into('parquet', 'text in an int column', `${L1.replace('9000', '"abc"')}\n`, 'E_INPUT', /amount.*abc/, '--schema loans'),
  into('arrow', 'text in an int column', `${L1.replace('9000', '"abc"')}\n`, 'E_INPUT', /amount.*abc/, '--schema loans'),
  into('delta', 'text in an int column', `${L1.replace('9000', '"abc"')}\n`, 'E_INPUT', /amount.*abc/, '--schema loans'),
  into('parquet', 'int beyond int32', `${L1.replace('9000', '3000000000')}\n`, 'E_INPUT', /amount.*3000000000/, '--schema loans'),
  into('parquet', 'not a timestamp', `${L1.replace('2023-01-01T15:48:53.747043Z', 'yesterday')}\n`, 'E_INPUT', /created_at.*yesterday/, '--schema loans'),
  into('parquet', 'February 30', `${L1.replace('2023-01-01T15:48:53.747043Z', '2023-02-30T00:00:00Z')}\n`, 'E_INPUT', /created_at/, '--schema loans'),
  into('parquet', 'boolean in a decimal column', `${L1.replace('12.0', 'true')}\n`, 'E_INPUT', /interest_rate/, '--schema loans'),
  into('parquet', 'null key', `${L1.replace('"LN0001"', 'null')}\n`, 'E_INPUT', /loan_id.*null/, '--schema loans'),
  into('parquet', 'missing key column', '{"loan_id":"LN0001"}\n', 'E_INPUT', /customer_id/, '--schema loans'),
  into('csv', 'column not in --schema', `${L1.replace('"amount"', '"amount_x"')}\n`, 'E_INPUT', /amount_x/, '--schema loans'),
  into('csv', 'unknown --schema', GOOD, 'E_UNKNOWN_UNIT', /nosuch/, '--schema nosuch'),
  into('noise', 'unknown --schema', GOOD, 'E_UNKNOWN_UNIT', /nosuch/, '--schema nosuch'),
  // A column or a type change after the rows the schema was inferred from (one batch of 8192).
  into('csv', 'column after the inferred rows', `${`${L1}\n`.repeat(9000)}${L2.replace('"amount"', '"amount_x"')}\n`, 'E_INPUT', /line 9001.*amount_x/),
  into('parquet', 'column after the inferred rows', `${`${L1}\n`.repeat(9000)}${L2.replace('"amount"', '"amount_x"')}\n`, 'E_INPUT', /line 9001.*amount_x/),
  // A type change after the rows the schema was inferred from (inference sees one batch).
  into('parquet', 'text after 9000 int rows', `${'{"n":1}\n'.repeat(9000)}{"n":"abc"}\n`, 'E_INPUT', /abc/),
  // Nothing to read.
  into('csv', 'empty stdin', '', 'E_NO_INPUT'),
  into('parquet', 'empty stdin', '', 'E_NO_INPUT'),
  into('noise', 'empty stdin', '', 'E_NO_INPUT'),
  into('delta', 'empty stdin', '', 'E_NO_INPUT'),
);

/** Inputs that are awkward but valid: they must succeed (exit 0) with the rows written. */
const VALID: Array<{ name: string; input: string | Buffer; rows: number }> = [
  { name: 'CRLF line endings', input: `${L1}\r\n${L2}\r\n`, rows: 2 },
  { name: 'byte order mark', input: `\uFEFF${GOOD}`, rows: 2 },
  { name: 'no final newline', input: `${L1}\n${L2}`, rows: 2 },
  { name: 'blank lines between rows', input: `${L1}\n\n\n${L2}\n`, rows: 2 },
  { name: 'keys in another order', input: `${L1}\n${JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(L2)).reverse()))}\n`, rows: 2 },
];

export const PENDING: PendingCase[] = [
  { ...into('csv', 'whitespace-only stdin', '   \n\t\n', 'E_NO_INPUT'), known: 'exit 0, nothing on stderr, an empty out.csv (empty stdin is E_NO_INPUT)' },
  { ...into('csv', 'blank lines only', '\n\n\n', 'E_NO_INPUT'), known: 'exit 0, nothing on stderr, an empty out.csv' },
  { ...into('csv', 'byte order mark only', '\uFEFF', 'E_NO_INPUT'), known: 'exit 0, nothing on stderr, an empty out.csv' },
  { ...into('csv', 'duplicate keys in an object', '{"a":1,"a":2}\n', 'E_INPUT', /'a'/), known: 'accepted: the last value wins silently' },
  {
    ...into('csv', 'invalid UTF-8', Buffer.concat([Buffer.from('{"a":"x'), Buffer.from([0xff, 0xfe]), Buffer.from('y"}\n')]), 'E_INPUT', /line 1/),
    known: 'accepted: bytes replaced by U+FFFD in the output',
  },
  { ...into('csv', 'number beyond float range', '{"a":1e400}\n', 'E_INPUT', /1e400/), known: 'accepted as Infinity (written as "Infinity")' },
  {
    ...into('parquet', 'fraction in an int column', `${L1.replace('9000', '9000.5')}\n`, 'E_INPUT', /^(?!.*2\^53).*9000\.5/, '--schema loans'),
    known: "refused, but the message says 'an integer beyond 2^53'",
  },
  {
    ...into('parquet', 'more scale than the decimal', `${L1.replace('12.0', '12.05')}\n`, 'E_INPUT', /interest_rate/, '--schema loans'),
    known: 'decimal(4,1) takes 12.05 without a word (rounded)',
  },
  {
    ...into('csv', 'integer beyond 2^53, as written', `${L1.replace('9000', '9007199254740993')}\n`, 'E_INPUT', /9007199254740993/),
    known: 'the message names 9007199254740992 (the parsed double), not the value written',
  },
];

describe('hostile NDJSON input: one line, its code, no output', () => {
  const run = sample(CASES, 2);
  it(`broken containers and values (${run.length} of ${CASES.length} cases)`, async () => {
    expect(run.length).toBeGreaterThanOrEqual(30);
    expect(await runCases(run)).toEqual([]);
  }, 300_000);
  it('awkward but valid input is read', async () => {
    const failures = (
      await Promise.all(
        VALID.map(async (v) => {
          const dir = tempDir('datagen-hostile-');
          writeFileSync(join(dir, 'in.ndjson'), v.input);
          const r = await runScript('cat in.ndjson | $D csv --out out.csv', dir);
          const out = join(dir, 'out.csv');
          const lines = r.status === 0 && existsSync(out) ? readFileSync(out, 'utf8').split('\n').filter(Boolean) : [];
          rmSync(dir, { recursive: true, force: true });
          return r.status !== 0 || !SUMMARIES_ONLY.test(r.stderr) || lines.length !== v.rows + 1 ? [`${v.name}: exit ${r.status}, ${lines.length} lines, stderr ${r.stderr.slice(0, 200)}`] : [];
        }),
      )
    ).flat();
    expect(failures).toEqual([]);
  }, 300_000);
});

pendingCases('ndjson', PENDING);
