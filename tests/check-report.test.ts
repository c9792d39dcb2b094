import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderReport } from '../src/check/report.js';
import type { CheckResult, ColumnProfile, Finding } from '../src/check/types.js';
import { BIN, sh, tempDir } from './helpers.js';

/**
 * The HTML report of `datagen check --report`: escaped and self-contained (read as text), and
 * drawn by a real browser (the system Chromium through puppeteer-core, network refused):
 * every chart has its SVG and marks, one table row per finding, no console errors, hostile
 * values shown as text. Without a Chromium the browser part is skipped, not failed.
 *
 * DATAGEN_REPORT_OUT=file.html writes the fixture's report (for scripts/screenshot-report.js).
 */

/** Values are data: a file name, a category or a malformed cell may be any text. */
const HOSTILE = `</script><img src=x onerror="window.__pwned=1">'&`;

// $DATAGEN_CHROMIUM, when set, is the only browser tried (a path that does not exist: none).
const CHROMIUM = (process.env.DATAGEN_CHROMIUM ? [process.env.DATAGEN_CHROMIUM] : ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome']).find((p) => existsSync(p));

const hist = (start: number, width: number, counts: number[]) => counts.map((count, i) => ({ start: start + i * width, end: start + (i + 1) * width, count }));
const days = (first: string, counts: number[]) =>
  counts.map((count, i) => ({ start: new Date(Date.parse(first) + i * 864e5).toISOString(), end: new Date(Date.parse(first) + (i + 1) * 864e5).toISOString(), count }));

/** A retail-like result as `datagen check raw --report` would make it, with hostile text in it. */
function fixture(): CheckResult {
  const profiles: ColumnProfile[] = [
    { table: 'customers', column: 'customer_id', type: 'string', shape: 'text', rows: 500, nulls: 0, invalid: 0, anomalies: 0, top: [{ value: 'C00001', count: 1 }, { value: 'C00002', count: 1 }] },
    { table: 'customers', column: 'segment', type: 'string', shape: 'text', rows: 500, nulls: 12, invalid: 0, anomalies: 15, top: [{ value: 'consumer', count: 260 }, { value: 'corporate', count: 150 }, { value: 'home_office', count: 75 }, { value: HOSTILE, count: 3 }] },
    { table: 'customers', column: 'signup_date', type: 'date32[day]', shape: 'temporal', rows: 500, nulls: 0, invalid: 0, anomalies: 0, histogram: days('2023-01-01T00:00:00.000Z', [40, 52, 47, 61, 55, 49, 58, 44, 50, 44]).map((b) => ({ ...b, start: b.start.slice(0, 10), end: b.end.slice(0, 10) })) },
    { table: 'customers', column: 'is_active', type: 'bool', shape: 'bool', rows: 500, nulls: 0, invalid: 0, anomalies: 0, top: [{ value: 'true', count: 410 }, { value: 'false', count: 90 }] },
    { table: 'orders', column: 'order_id', type: 'int64', shape: 'numeric', rows: 2000, nulls: 0, invalid: 0, anomalies: 0, histogram: hist(1, 200, [200, 200, 200, 200, 200, 200, 200, 200, 200, 200]) },
    { table: 'orders', column: 'customer_id', type: 'string', shape: 'text', rows: 2000, nulls: 0, invalid: 0, anomalies: 20, top: [{ value: 'C00042', count: 12 }, { value: 'C99999', count: 20 }] },
    { table: 'orders', column: 'ordered_at', type: 'timestamp[us, UTC]', shape: 'temporal', rows: 2000, nulls: 0, invalid: 0, anomalies: 0, histogram: days('2024-03-01T00:00:00.000Z', [210, 190, 205, 180, 220, 199, 196, 200, 202, 198]) },
    { table: 'orders', column: 'total', type: 'decimal(10,2)', shape: 'numeric', rows: 2000, nulls: 40, invalid: 8, anomalies: 48, histogram: hist(0, 50, [300, 520, 480, 310, 190, 100, 50, 8, 0, 2]) },
    // A time of day, one value only (a one-bin histogram), and a column with no castable value (no bins).
    { table: 'orders', column: 'pickup_time', type: 'time64[us]', shape: 'temporal', rows: 2000, nulls: 0, invalid: 0, anomalies: 0, histogram: [{ start: '08:00:00', end: '12:00:00', count: 700 }, { start: '12:00:00', end: '16:00:00', count: 900 }, { start: '16:00:00', end: '20:00:00', count: 400 }] },
    { table: 'orders', column: 'shipped_at', type: 'timestamp[us, UTC]', shape: 'temporal', rows: 2000, nulls: 1990, invalid: 0, anomalies: 0, histogram: [{ start: '2024-03-05T10:00:00.000Z', end: '2024-03-05T10:00:00.000Z', count: 10 }] },
    { table: 'orders', column: 'discount', type: 'float64', shape: 'numeric', rows: 2000, nulls: 2000, invalid: 0, anomalies: 0, histogram: [] },
    { table: 'orders', column: 'status', type: 'string', shape: 'text', rows: 2000, nulls: 0, invalid: 0, anomalies: 0, top: [{ value: 'delivered', count: 1500 }, { value: 'shipped', count: 300 }, { value: 'cancelled', count: 200 }] },
  ];
  const f = (table: string, column: string | null, check: Finding['check'], rule: string, checked: number, found: number, status: Finding['status'], more: Partial<Finding> = {}): Finding =>
    ({ table, column, check, rule, checked, found, status, ...more });
  const findings: Finding[] = [
    f('customers', null, 'rows', '500 rows (manifest)', 500, 0, 'ok'),
    f('customers', 'customer_id', 'unique', 'key: unique', 500, 0, 'ok'),
    f('customers', 'customer_id', 'pattern', 'matches C\\d{5}', 500, 0, 'ok'),
    f('customers', 'segment', 'null', 'nullable', 500, 12, 'allowed'),
    f('customers', 'segment', 'values', `in {consumer, corporate, home_office}`, 488, 3, 'match', { injected: 3, rate: 0.005, examples: [HOSTILE] }),
    f('customers', 'signup_date', 'range', '2020-01-01 .. 2025-12-31', 500, 0, 'ok'),
    f('orders', null, 'rows', '2000 rows (manifest)', 2000, 0, 'ok'),
    f('orders', 'order_id', 'unique', 'key: unique', 2000, 0, 'ok'),
    f('orders', 'customer_id', 'fk', '-> customers.customer_id', 2000, 20, 'match', { injected: 20, rate: 0.01, examples: ['C99999'] }),
    f('orders', 'total', 'null', 'not null', 2000, 40, 'missed', { injected: 45, rate: 0.02 }),
    f('orders', 'total', 'type', 'decimal(10,2)', 1960, 8, 'match', { injected: 8, rate: 0.004, examples: ['12,50', 'N/A', '<b>'] }),
    f('orders', 'total', 'range', '0 .. 100000', 1952, 2, 'extra', { injected: 0, examples: ['-5.00', '-0.01'] }),
    f('orders', 'status', 'values', 'in {delivered, shipped, cancelled}', 2000, 0, 'ok'),
    f('orders', 'ordered_at', 'order', 'after customers.signup_date', 2000, 0, 'ok'),
    f(HOSTILE, HOSTILE, 'rule' as Finding['check'], HOSTILE, 1, 1, 'extra', { examples: [HOSTILE, '"quoted"'] }),
  ];
  return {
    path: `raw/${HOSTILE}`,
    dataset: 'retail',
    seed: 42,
    scale: 0.01,
    ledger: 'raw/_ledger.jsonl',
    tables: [
      { name: 'customers', format: 'parquet', files: 1, rows: 500, schemaSource: 'dataset retail' },
      { name: 'orders', format: 'parquet', files: 3, rows: 2000, schemaSource: 'dataset retail' },
    ],
    findings,
    relations: [
      { table: 'orders', column: 'customer_id', parent: 'customers.customer_id', rows: 2000, matched: 1980, orphans: 20, injected: 20 },
      { table: 'order_lines', column: 'order_id', parent: 'orders.order_id', rows: 6000, matched: 6000, orphans: 0, injected: 0 },
    ],
    anomalies: [
      { stage: 'missing', table: 'orders', column: 'total', kind: 'null', count: 45, rate: 0.02 },
      { stage: 'malform', table: 'orders', column: 'total', kind: 'malformed', count: 8, rate: 0.004 },
      { stage: 'corrupt-fk', table: 'orders', column: 'customer_id', kind: 'orphan', count: 20, rate: 0.01 },
      { stage: 'noise', table: 'customers', column: 'segment', kind: HOSTILE, count: 3, rate: 0.005 },
      { stage: 'missing', table: 'customers', column: 'segment', kind: 'null', count: 12 },
    ],
    profiles,
    ok: false,
    seconds: 1.234,
  };
}

/** A wide result: 10 tables of 16 columns, every column profiled and checked four ways. */
function tenTables(): CheckResult {
  const r: CheckResult = { path: 'big', dataset: 'big', tables: [], findings: [], relations: [], anomalies: [], profiles: [], ok: true, seconds: 3 };
  for (let t = 0; t < 10; t++) {
    const table = `table_${t}`;
    r.tables.push({ name: table, format: 'parquet', files: 8, rows: 1_000_000, schemaSource: 'dataset big' });
    for (let c = 0; c < 16; c++) {
      const column = `column_${c}_with_a_longer_name`;
      for (const check of ['null', 'type', 'range', 'pattern'] as const) {
        r.findings.push({ table, column, check, rule: `a rule for ${column}`, checked: 1_000_000, found: 0, injected: 0, status: 'ok' });
      }
      const base = { table, column, rows: 1_000_000, nulls: 1000, invalid: 10, anomalies: 1010 };
      r.profiles!.push(c % 2
        ? { ...base, type: 'float64', shape: 'numeric', histogram: hist(0, 10, Array.from({ length: 40 }, (_, i) => 1000 + i * 37)) }
        : { ...base, type: 'string', shape: 'text', top: Array.from({ length: 12 }, (_, i) => ({ value: `value number ${i} of ${column}`, count: 100_000 - i * 1000 })) });
      r.anomalies.push({ stage: 'missing', table, column, kind: 'null', count: 1000, rate: 0.001 });
    }
    if (t > 0) r.relations.push({ table, column: 'column_0_with_a_longer_name', parent: `table_${t - 1}.column_0_with_a_longer_name`, rows: 1_000_000, matched: 1_000_000, orphans: 0, injected: 0 });
  }
  return r;
}

/** The charts the page must draw, in page order, with the marks (SVG rects) each must hold. */
function expectedCharts(r: CheckResult): Array<{ shape: string; marks: number }> {
  const out: Array<{ shape: string; marks: number }> = [];
  if (r.relations.length) out.push({ shape: 'coverage', marks: 2 * r.relations.length });
  // Anomaly bars: one segment per (stage, kind) and per (table.column, kind).
  const distinct = (key: (a: CheckResult['anomalies'][number]) => string) => new Set(r.anomalies.map((a) => `${key(a)}\u0000${a.kind}`)).size;
  if (r.anomalies.length) out.push({ shape: 'by-stage', marks: distinct((a) => a.stage) }, { shape: 'by-column', marks: distinct((a) => `${a.table}.${a.column}`) });
  const tables = [...new Set(r.profiles!.map((p) => p.table))];
  for (const table of tables) {
    const ps = r.profiles!.filter((p) => p.table === table);
    out.push({ shape: 'shares', marks: 3 * ps.length });
    for (const p of ps) out.push(p.histogram ? { shape: 'histogram', marks: p.histogram.length } : { shape: 'top', marks: p.top!.length });
  }
  return out;
}

if (!CHROMIUM) console.warn(`check-report: no Chromium at ${process.env.DATAGEN_CHROMIUM ?? '/usr/bin/chromium'}: the browser tests are skipped (apt-get install chromium)`);
if (process.env.DATAGEN_REPORT_OUT) writeFileSync(process.env.DATAGEN_REPORT_OUT, renderReport(fixture()));

describe('check report: the HTML text', () => {
  const html = renderReport(fixture());

  it('is self-contained: no external scripts, styles, fonts or images', () => {
    expect(html).not.toMatch(/<(script|img|iframe|link)\b[^>]*\b(src|href)=/i);
    expect(html).not.toMatch(/@import|url\(\s*['"]?(https?:)?\/\//i);
    expect(html.match(/<script\b/g)!.length).toBe(4); // the JSON block, d3, Plot, the page script
  });

  it('escapes data: the hostile string appears only escaped, never as markup', () => {
    expect(html).not.toContain(HOSTILE);
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;/script&gt;&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;&#39;&amp;');
    const json = html.match(/<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/)![1]!;
    expect(json).not.toMatch(/[<>&]/);
    const charts = (JSON.parse(json) as { charts: Array<{ kind: string; values?: string[] }> }).charts;
    expect(charts.some((c) => c.kind === 'top' && c.values!.includes(HOSTILE))).toBe(true);
  });

  it('a 10-table result stays well under a megabyte', () => {
    const size = Buffer.byteLength(renderReport(tenTables()));
    console.log(`check report: ${(size / 1024).toFixed(0)} kB for 10 tables x 16 columns (${(Buffer.byteLength(renderReport({ ...tenTables(), tables: [], findings: [], relations: [], anomalies: [], profiles: [] })) / 1024).toFixed(0)} kB of it d3 + Plot + page)`);
    expect(size).toBeLessThan(1_000_000);
  });
});

describe.skipIf(!CHROMIUM)(CHROMIUM ? `check report in Chromium (${CHROMIUM})` : `check report in Chromium: SKIPPED, no Chromium at ${process.env.DATAGEN_CHROMIUM ?? '/usr/bin/chromium'} (apt-get install chromium)`, () => {
  let browser: Browser;
  const dir = tempDir('datagen-report-');

  beforeAll(async () => {
    const puppeteer = (await import('puppeteer-core')).default;
    browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--headless=new', '--disable-dev-shm-usage', '--disable-gpu'] });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Opens a report from file:// with every other request refused; what the page did comes back. */
  async function open(name: string, result: CheckResult) {
    const file = join(dir, name);
    writeFileSync(file, renderReport(result));
    return openFile(file);
  }

  async function openFile(file: string) {
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    const requests: string[] = [];
    const refused: string[] = [];
    const errors: string[] = [];
    await page.setRequestInterception(true);
    page.on('request', (req) => {
      const url = req.url();
      requests.push(url);
      if (url.startsWith('file:') || url.startsWith('data:')) void req.continue();
      else { refused.push(url); void req.abort(); }
    });
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warn') errors.push(`${m.type()}: ${m.text()}`); });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e instanceof Error ? e.message : String(e)}`));
    const url = pathToFileURL(file).href;
    await page.goto(url, { waitUntil: 'load', timeout: 90_000 });
    await page.waitForSelector('body[data-drawn]', { timeout: 60_000 });
    return { page, url, requests, refused, errors };
  }

  // Runs in the page (a string, so no transpiler helper leaks into it).
  const FACTS = `(() => {
    const charts = [...document.querySelectorAll('.chart')];
    return {
      drawn: Number(document.body.getAttribute('data-drawn')),
      charts: charts.map((c) => ({
        shape: c.getAttribute('data-shape'),
        svgs: c.querySelectorAll(':scope > svg').length,
        marks: c.querySelectorAll(':scope > svg g[aria-label="rect"] rect, :scope > svg g[aria-label="bar"] rect').length,
        failed: c.textContent.startsWith('chart failed'),
      })),
      findingRows: document.querySelectorAll('#findings tbody tr').length,
      failRows: document.querySelectorAll('#findings tbody tr.fail').length,
      verdict: document.getElementById('verdict').textContent,
      pwned: window.__pwned ?? null,
      images: document.querySelectorAll('img').length,
      scripts: document.querySelectorAll('script').length,
      hostileCells: [...document.querySelectorAll('td')].filter((td) => td.textContent.includes(${JSON.stringify(HOSTILE)})).length,
      hostileCaptions: [...document.querySelectorAll('figcaption, dd, title')].filter((e) => e.textContent.includes(${JSON.stringify(HOSTILE)})).length,
    };
  })()`;

  it('draws every chart with its marks, one row per finding, hostile text as text, no network, no errors', async () => {
    const result = fixture();
    const { page, url, requests, refused, errors } = await open('report.html', result);
    const facts = await page.evaluate(FACTS) as {
      drawn: number; charts: Array<{ shape: string; svgs: number; marks: number; failed: boolean }>; findingRows: number; failRows: number;
      verdict: string; pwned: unknown; images: number; scripts: number; hostileCells: number; hostileCaptions: number;
    };
    const expected = expectedCharts(result);
    expect(expected.length).toBe(result.profiles!.length + 2 /* shares per table */ + 1 /* FK */ + 2 /* anomalies */);
    expect(facts.drawn).toBe(expected.length);
    expect(facts.charts.map((c) => ({ shape: c.shape, marks: c.marks }))).toEqual(expected);
    expect(facts.charts.every((c) => c.svgs === 1 && !c.failed)).toBe(true);
    expect(facts.findingRows).toBe(result.findings.length);
    expect(facts.failRows).toBe(result.findings.filter((f) => f.status === 'missed' || f.status === 'extra').length);
    expect(facts.verdict).toBe('not ok');
    // The hostile string is text in the table cells, the <title> tooltips and the header, and nothing ran.
    expect(facts.pwned).toBeNull();
    expect(facts.images).toBe(0);
    expect(facts.scripts).toBe(4);
    expect(facts.hostileCells).toBeGreaterThanOrEqual(4); // table, column, rule, examples of one finding
    expect(facts.hostileCaptions).toBeGreaterThanOrEqual(2); // the path in the header, a top value's tooltip
    expect(errors).toEqual([]);
    expect(refused).toEqual([]);
    expect(requests).toEqual([url]);

    // "failing rows only" hides the rest.
    await page.click('#only-failing');
    const visible = await page.evaluate(`[...document.querySelectorAll('#findings tbody tr')].filter((r) => getComputedStyle(r).display !== 'none').length`);
    expect(visible).toBe(facts.failRows);
    await page.close();
  }, 120_000);

  it('a result with nothing to draw (no ledger, no relations, no profiles) opens cleanly', async () => {
    const result: CheckResult = { path: 'loans.csv', tables: [{ name: 'loans', format: 'csv', files: 1, rows: 0 }], findings: [], relations: [], anomalies: [], ok: true, seconds: 0.1 };
    const { page, errors, refused } = await open('empty.html', result);
    const facts = await page.evaluate(FACTS) as { drawn: number; charts: unknown[]; findingRows: number; verdict: string };
    expect(facts).toMatchObject({ drawn: 0, charts: [], findingRows: 0, verdict: 'ok' });
    expect(await page.evaluate(`document.getElementById('anomalies').textContent`)).toContain('No ledger');
    expect(errors).toEqual([]);
    expect(refused).toEqual([]);
    await page.close();
  }, 120_000);

  it('a 10-table result draws all its charts', async () => {
    const result = tenTables();
    const { page, errors, refused } = await open('big.html', result);
    const facts = await page.evaluate(FACTS) as { drawn: number; charts: Array<{ shape: string; svgs: number; marks: number }>; findingRows: number };
    const expected = expectedCharts(result);
    expect(facts.drawn).toBe(expected.length);
    // 40 histogram bins per numeric column are kept (under the 60-bin cap).
    expect(facts.charts.map((c) => ({ shape: c.shape, marks: c.marks }))).toEqual(expected);
    expect(facts.findingRows).toBe(result.findings.length);
    expect(errors).toEqual([]);
    expect(refused).toEqual([]);
    await page.close();
  }, 180_000);

  it('the report `datagen check --report` writes for a retail folder draws every chart of its result', async () => {
    const r = sh(
      `node ${BIN} generate retail --scale 0.002 --seed 4 --start 2024-01-01 --end 2024-02-29 --out raw -q && node ${BIN} check raw --report cli-report.html --json > result.json`,
      dir,
    );
    expect(r.status, r.stderr).toBe(0);
    const result = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as CheckResult;
    expect(result.tables).toHaveLength(11);
    // Every declared column of every table has its distribution.
    expect(result.profiles!.length).toBeGreaterThan(80);
    const { page, errors, refused } = await openFile(join(dir, 'cli-report.html'));
    const facts = await page.evaluate(FACTS) as { drawn: number; charts: Array<{ shape: string; svgs: number; marks: number; failed: boolean }>; findingRows: number; verdict: string };
    const expected = expectedCharts(result);
    expect(facts.drawn).toBe(expected.length);
    expect(facts.charts.map((c) => ({ shape: c.shape, marks: c.marks }))).toEqual(expected);
    expect(facts.charts.every((c) => c.svgs === 1 && !c.failed)).toBe(true);
    expect(facts.findingRows).toBe(result.findings.length);
    expect(facts.verdict).toBe('ok');
    expect(errors).toEqual([]);
    expect(refused).toEqual([]);
    await page.close();
  }, 240_000);
});
