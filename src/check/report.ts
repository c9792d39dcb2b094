import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { AnomalySummary, CheckResult, ColumnProfile, Finding, FindingStatus, RelationCoverage } from './types.js';

/**
 * `datagen check --report FILE`: one self-contained HTML page (no network when viewed).
 *
 * Tables (header, findings, FK coverage, anomalies) are rendered here as escaped HTML. Charts
 * are drawn in the browser by Observable Plot (with d3), whose minified UMD builds are inlined
 * from node_modules: Plot draws plain SVG synchronously from arrays, needs no spec compiler in
 * the page, and both packages support Node >= 12 (vega-lite 6 needs Node 22). Chart data goes
 * into a <script type="application/json"> block with '<', '>' and '&' escaped, and the page
 * script reads it with JSON.parse, so values from the data (which may be hostile) are never
 * HTML: they reach the page only as text nodes (HTML-escaped here, or SVG text set by Plot).
 * A Content-Security-Policy allows only the page's own inline scripts and styles: the browser
 * itself refuses any fetch.
 */
export function renderReport(result: CheckResult): string {
  const charts: ChartSpec[] = [];
  const body = [
    header(result),
    tablesSection(result),
    findingsSection(result.findings),
    relationsSection(result.relations, charts),
    anomaliesSection(result, charts),
    columnsSection(result.profiles ?? [], charts),
  ].join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>datagen check: ${esc(result.path)}</title>
<style>${CSS}</style>
</head>
<body>
${body}
<script type="application/json" id="report-data">${jsonForScript({ charts })}</script>
<script>${inlineScript(bundle('d3', 'dist/d3.min.js'))}</script>
<script>${inlineScript(bundle('@observablehq/plot', 'dist/plot.umd.min.js'))}</script>
<script>${CLIENT}</script>
</body>
</html>
`;
}

// ---- limits: a report stays a few hundred kB whatever the result holds --------------------

/** Columns drawn per table (a wide table's remaining columns are named, not drawn). */
const MAX_PROFILES_PER_TABLE = 60;
const MAX_BINS = 60;
const MAX_TOP = 12;
/** Characters of one value kept in the page (labels are shortened further when drawn). */
const MAX_VALUE = 120;

// ---- chart specs: plain data the page script draws (see CLIENT) ---------------------------

// Column-wise arrays rather than arrays of objects: a wide result's page stays small.
type ChartSpec =
  /** Bin i spans x1[i]..x2[i] (temporal bounds as epoch milliseconds). */
  | { kind: 'histogram'; temporal: boolean; clock?: boolean; x1: Array<number | string>; x2: Array<number | string>; counts: number[] }
  | { kind: 'top'; values: string[]; counts: number[] }
  /** Per column: share of rows that are null, not castable, and in the ledger. */
  | { kind: 'shares'; columns: string[]; nulls: number[]; invalid: number[]; anomalies: number[] }
  | { kind: 'coverage'; relations: string[]; matched: number[]; orphans: number[] }
  /** One bar segment per row: [y, kind, count]. */
  | { kind: 'stack'; rows: Array<[string, string, number]>; colors: Legend };

type Legend = { domain: string[]; range: string[] };

/** Tableau 20 (dark and light pairs), fixed here so the HTML legends match the charts. */
const PALETTE = [
  '#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac',
  '#a0cbe8', '#ffbe7d', '#ff9d9a', '#499894', '#8cd17d', '#b6992d', '#d4a6c8', '#fabfd2', '#d37295', '#79706e',
];
const SHARE_COLORS: Legend = { domain: ['nulls', 'invalid', 'anomalies'], range: ['#9aa5b1', '#e15759', '#f28e2c'] };
const COVERAGE_COLORS: Legend = { domain: ['matched', 'orphans'], range: ['#59a14f', '#e15759'] };

function chart(charts: ChartSpec[], spec: ChartSpec, title: string, note = '', shape: string = spec.kind): string {
  charts.push(spec);
  return `<figure class="card"><figcaption>${esc(title)}</figcaption>${note ? `<p class="note">${note}</p>` : ''}<div class="chart" data-chart="${charts.length - 1}" data-shape="${shape}"></div></figure>`;
}

// ---- sections -------------------------------------------------------------------------------

function header(r: CheckResult): string {
  const counts = new Map<FindingStatus, number>();
  for (const f of r.findings) counts.set(f.status, (counts.get(f.status) ?? 0) + 1);
  const summary = STATUSES.filter((s) => counts.has(s)).map((s) => `${num(counts.get(s)!)} ${s}`).join(', ');
  const facts: Array<[string, string | undefined]> = [
    ['path', r.path],
    ['dataset', r.dataset],
    ['seed', r.seed === undefined ? undefined : String(r.seed)],
    ['scale', r.scale === undefined ? undefined : String(r.scale)],
    ['ledger', r.ledger ?? 'none'],
    ['tables', num(r.tables.length)],
    ['rows', num(r.tables.reduce((n, t) => n + t.rows, 0))],
    ['seconds', r.seconds.toFixed(2)],
  ];
  return `<header>
<h1>datagen check <span class="verdict ${r.ok ? 'pass' : 'fail'}" id="verdict">${r.ok ? 'ok' : 'not ok'}</span></h1>
<dl class="facts">${facts.filter(([, v]) => v !== undefined).map(([k, v]) => `<div><dt>${k}</dt><dd>${esc(v!)}</dd></div>`).join('')}</dl>
<p class="summary">${num(r.findings.length)} findings${summary ? `: ${summary}` : ''}. Exit code ${r.ok ? 0 : 1}.</p>
</header>`;
}

function tablesSection(r: CheckResult): string {
  const rows = r.tables.map((t) => `<tr><td>${esc(t.name)}</td><td>${esc(t.format)}</td><td>${num(t.files)}</td><td>${num(t.rows)}</td><td>${esc(t.schemaSource ?? '')}</td></tr>`);
  return `<section id="tables"><h2>Tables</h2>
<div class="scroll"><table class="tables"><thead><tr><th>table</th><th>format</th><th>files</th><th>rows</th><th>schema from</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table></div></section>`;
}

const STATUSES: FindingStatus[] = ['ok', 'match', 'allowed', 'missed', 'extra'];
const STATUS_TEXT: Record<FindingStatus, string> = {
  ok: 'nothing found, nothing injected',
  match: 'found exactly what the ledger says was injected',
  allowed: 'found, and the declaration permits it (nulls in a nullable column)',
  missed: 'the ledger injected more than is found: the data does not match its answer key',
  extra: 'found violations the ledger does not explain (without a ledger: any violation)',
};
const failing = (s: FindingStatus) => s === 'missed' || s === 'extra';

function findingsSection(findings: Finding[]): string {
  const legend = STATUSES.map((s) => `<li><span class="status ${s}">${s}</span> ${STATUS_TEXT[s]}</li>`).join('');
  const rows = findings.map((f) => {
    const status = STATUSES.includes(f.status) ? f.status : 'extra';
    const examples = (f.examples ?? []).map((e) => `<code>${esc(clip(e, 60))}</code>`).join(' ');
    return `<tr${failing(status) ? ' class="fail"' : ''}><td>${esc(f.table)}</td><td>${esc(f.column ?? '')}</td><td>${esc(f.check)}</td><td>${esc(f.rule)}</td>`
      + `<td>${num(f.checked)}</td><td>${num(f.found)}</td><td>${f.injected === undefined ? '–' : num(f.injected)}</td>`
      + `<td>${f.rate === undefined ? '–' : pct(f.rate)}</td><td><span class="status ${status}">${esc(f.status)}</span></td><td>${examples}</td></tr>`;
  });
  const nFail = findings.filter((f) => failing(f.status)).length;
  return `<section id="findings"><h2>Findings <small>${num(findings.length)} checks, ${num(nFail)} failing</small></h2>
<ul class="legend">${legend}</ul>
<label class="toggle"><input type="checkbox" id="only-failing"> show failing rows only</label>
<div class="scroll tall"><table class="findings"><thead><tr><th>table</th><th>column</th><th>check</th><th>rule</th><th>checked</th><th>found</th><th>injected</th><th>rate</th><th>status</th><th>examples</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table></div></section>`;
}

function relationsSection(relations: RelationCoverage[], charts: ChartSpec[]): string {
  if (relations.length === 0) return `<section id="relations"><h2>FK coverage</h2><p class="empty">No declared relations.</p></section>`;
  const label = (r: RelationCoverage) => `${r.table}.${r.column} → ${r.parent}`;
  const spec: ChartSpec = { kind: 'coverage', relations: relations.map((r) => clip(label(r))), matched: relations.map((r) => r.matched), orphans: relations.map((r) => r.orphans) };
  const rows = relations.map((r) => `<tr${r.orphans !== (r.injected ?? 0) ? ' class="fail"' : ''}><td>${esc(r.table)}.${esc(r.column)}</td><td>${esc(r.parent)}</td><td>${num(r.rows)}</td><td>${num(r.matched)}</td>`
    + `<td>${num(r.orphans)}</td><td>${r.injected === undefined ? '–' : num(r.injected)}</td><td>${r.rows ? pct(r.matched / r.rows) : '–'}</td></tr>`);
  return `<section id="relations"><h2>FK coverage</h2>
<div class="grid wide">${chart(charts, spec, 'share of child values that find their parent', legendHtml(COVERAGE_COLORS))}</div>
<div class="scroll"><table class="num-from-3"><thead><tr><th>child</th><th>parent</th><th>values</th><th>matched</th><th>orphans</th><th>injected</th><th>coverage</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table></div></section>`;
}

function anomaliesSection(r: CheckResult, charts: ChartSpec[]): string {
  const anomalies = r.anomalies;
  if (anomalies.length === 0) {
    return `<section id="anomalies"><h2>Anomalies</h2><p class="empty">${r.ledger ? 'The ledger records no anomalies.' : 'No ledger: nothing to score against.'}</p></section>`;
  }
  const kinds = [...new Set(anomalies.map((a) => a.kind))];
  const colors: Legend = { domain: kinds.map((k) => clip(k)), range: kinds.map((_, i) => PALETTE[i % PALETTE.length]!) };
  // One bar segment per (bar, kind): entries of several stages or columns are summed.
  const stack = (y: (a: AnomalySummary) => string): ChartSpec => {
    const sums = new Map<string, [string, string, number]>();
    for (const a of anomalies) {
      const key = JSON.stringify([y(a), a.kind]);
      const row = sums.get(key) ?? sums.set(key, [clip(y(a)), clip(a.kind), 0]).get(key)!;
      row[2] += a.count;
    }
    return { kind: 'stack', colors, rows: [...sums.values()] };
  };
  const total = anomalies.reduce((n, a) => n + a.count, 0);
  const rows = anomalies.map((a) => `<tr><td>${esc(a.stage)}</td><td>${esc(a.table)}</td><td>${esc(a.column)}</td><td>${esc(a.kind)}</td><td>${num(a.count)}</td><td>${a.rate === undefined ? '–' : pct(a.rate)}</td></tr>`);
  return `<section id="anomalies"><h2>Anomalies <small>${num(total)} ledger entries</small></h2>
<div class="grid wide">
${chart(charts, stack((a) => a.stage), 'by stage and kind', legendHtml(colors), 'by-stage')}
${chart(charts, stack((a) => `${a.table}.${a.column}`), 'by column and kind', legendHtml(colors), 'by-column')}
</div>
<div class="scroll"><table class="num-from-5"><thead><tr><th>stage</th><th>table</th><th>column</th><th>kind</th><th>count</th><th>rate</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table></div></section>`;
}

function columnsSection(profiles: ColumnProfile[], charts: ChartSpec[]): string {
  if (profiles.length === 0) return `<section id="columns"><h2>Columns</h2><p class="empty">No column profiles in this result.</p></section>`;
  // Group by table in first-seen order; one profile per column.
  const byTable = new Map<string, Map<string, ColumnProfile>>();
  for (const p of profiles) {
    const cols = byTable.get(p.table) ?? byTable.set(p.table, new Map()).get(p.table)!;
    if (!cols.has(p.column)) cols.set(p.column, p);
  }
  const parts: string[] = [];
  for (const [table, cols] of byTable) {
    const all = [...cols.values()];
    const drawn = all.slice(0, MAX_PROFILES_PER_TABLE);
    const share = (n: number, p: ColumnProfile) => (p.rows ? n / p.rows : 0);
    const shares: ChartSpec = {
      kind: 'shares',
      columns: drawn.map((p) => clip(p.column)),
      nulls: drawn.map((p) => share(p.nulls, p)),
      invalid: drawn.map((p) => share(p.invalid, p)),
      anomalies: drawn.map((p) => share(p.anomalies, p)),
    };
    const figures = drawn.map((p) => {
      const note = `${num(p.rows)} rows · nulls ${pct(share(p.nulls, p))} · invalid ${pct(share(p.invalid, p))} · anomalies ${pct(share(p.anomalies, p))}`;
      return chart(charts, profileSpec(p), `${table}.${p.column} (${p.type})`, esc(note));
    });
    const more = all.length > drawn.length ? `<p class="note">${num(all.length - drawn.length)} more columns not drawn: ${esc(all.slice(drawn.length).map((p) => p.column).join(', '))}</p>` : '';
    parts.push(`<h3>${esc(table)}</h3>
<div class="grid wide">${chart(charts, shares, `${table}: null, invalid and anomaly share per column`, legendHtml(SHARE_COLORS))}</div>
<div class="grid">${figures.join('\n')}</div>${more}`);
  }
  return `<section id="columns"><h2>Columns</h2>\n${parts.join('\n')}</section>`;
}

function profileSpec(p: ColumnProfile): ChartSpec {
  if ((p.shape === 'numeric' || p.shape === 'temporal') && p.histogram) {
    const bins = mergeBins(p.histogram);
    const x = p.shape === 'temporal' ? epochMs : (v: number | string) => v;
    // Times of day are drawn on 1970-01-01 and labelled as clock times.
    const clock = bins.length > 0 && bins.every((b) => typeof b.start === 'string' && TIME_OF_DAY.test(b.start));
    return { kind: 'histogram', temporal: p.shape === 'temporal', ...(clock ? { clock } : {}), x1: bins.map((b) => x(b.start)), x2: bins.map((b) => x(b.end)), counts: bins.map((b) => b.count) };
  }
  const top = (p.top ?? []).slice(0, MAX_TOP);
  return { kind: 'top', values: top.map((t) => clip(String(t.value))), counts: top.map((t) => t.count) };
}

const TIME_OF_DAY = /^\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;

/**
 * A temporal bin bound as epoch ms: ISO text of a date, an instant (without a zone: UTC) or a
 * time of day (drawn on 1970-01-01); a number stays as it is.
 */
function epochMs(v: number | string): number | string {
  if (typeof v === 'number') return v;
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z`
    : TIME_OF_DAY.test(v) ? `1970-01-01T${v}Z`
    : v.replace(' ', 'T').replace(/(T[\d:.]+)$/, '$1Z');
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? v : ms;
}

/** Adjacent bins summed until at most MAX_BINS remain (the counts stay exact). */
function mergeBins(bins: NonNullable<ColumnProfile['histogram']>): NonNullable<ColumnProfile['histogram']> {
  if (bins.length <= MAX_BINS) return bins;
  const k = Math.ceil(bins.length / MAX_BINS);
  const out: NonNullable<ColumnProfile['histogram']> = [];
  for (let i = 0; i < bins.length; i += k) {
    const group = bins.slice(i, i + k);
    out.push({ start: group[0]!.start, end: group[group.length - 1]!.end, count: group.reduce((n, b) => n + b.count, 0) });
  }
  return out;
}

function legendHtml(l: Legend): string {
  return l.domain.map((d, i) => `<span class="key"><i style="background:${l.range[i]}"></i>${esc(d)}</span>`).join(' ');
}

// ---- text -------------------------------------------------------------------------------------

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
/** Text from the data, safe in element content and quoted attributes. */
export const esc = (s: string): string => String(s).replace(/[&<>"']/g, (c) => ESCAPES[c]!);

/** JSON that cannot close its <script> element or open a comment: <, > and & as \u escapes. */
export const jsonForScript = (value: unknown): string =>
  JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

const clip = (s: string, max = MAX_VALUE) => (s.length > max ? s.slice(0, max - 1) + '…' : s);
const num = (n: number) => (Number.isInteger(n) ? String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',') : String(n));
const pct = (x: number) => (x === 0 ? '0%' : x < 0.0001 ? '<0.01%' : `${+(x * 100).toFixed(2)}%`);

// ---- the inlined libraries ----------------------------------------------------------------

const bundles = new Map<string, string>();

/**
 * A package's browser build, read from node_modules (found from this module, so it works
 * from dist/ and from a global install). The package folder is found by walking up from
 * its entry point: these packages' export maps do not expose the dist files to require().
 */
function bundle(pkg: string, file: string): string {
  const key = `${pkg}/${file}`;
  let text = bundles.get(key);
  if (text === undefined) {
    let dir = dirname(createRequire(import.meta.url).resolve(pkg));
    while (!(existsSync(join(dir, 'package.json')) && JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name === pkg)) {
      const up = dirname(dir);
      if (up === dir) throw new Error(`datagen: the package folder of ${pkg} not found`);
      dir = up;
    }
    text = readFileSync(join(dir, file), 'utf8');
    bundles.set(key, text);
  }
  return text;
}

/** Script text that cannot end its <script> element early. */
const inlineScript = (js: string) => js.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');

// ---- page style and page script ---------------------------------------------------------------

const CSS = `
:root { --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg: #f6f8fa; --pass: #1a7f37; --fail: #cf222e; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1400px; padding: 24px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); }
h1 { font-size: 24px; margin: 0 0 12px; display: flex; align-items: center; gap: 12px; }
h2 { font-size: 19px; margin: 32px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h2 small, .note, .empty { color: var(--muted); font-weight: normal; font-size: 13px; }
h3 { font-size: 16px; margin: 22px 0 8px; }
.verdict { font-size: 15px; padding: 2px 12px; border-radius: 12px; color: #fff; }
.verdict.pass { background: var(--pass); } .verdict.fail { background: var(--fail); }
.facts { display: flex; flex-wrap: wrap; gap: 8px 28px; margin: 0; }
.facts div { display: flex; gap: 6px; } .facts dt { color: var(--muted); } .facts dd { margin: 0; font-weight: 600; word-break: break-all; }
.summary { margin: 10px 0 0; }
.scroll { overflow: auto; max-height: 420px; border: 1px solid var(--line); border-radius: 6px; }
.scroll.tall { max-height: 600px; } /* px, not vh: a full-page screenshot grows the viewport */
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { padding: 4px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { position: sticky; top: 0; background: var(--bg); z-index: 1; white-space: nowrap; }
/* numeric columns, by position (no class per cell: a wide result has thousands of cells) */
.findings :is(td, th):is(:nth-child(5), :nth-child(6), :nth-child(7), :nth-child(8)),
.tables :is(td, th):is(:nth-child(3), :nth-child(4)), .num-from-3 :is(td, th):nth-child(n+3), .num-from-5 :is(td, th):nth-child(n+5)
  { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td { overflow-wrap: anywhere; }
.findings td:nth-child(-n+2) { max-width: 220px; }
.findings td:is(:nth-child(3), :nth-child(9)) { white-space: nowrap; overflow-wrap: normal; }
.findings td:nth-child(4) { min-width: 180px; max-width: 360px; }
.findings td:nth-child(10) { min-width: 160px; max-width: 320px; }
.findings code { background: var(--bg); padding: 0 3px; border-radius: 3px; }
tr.fail td { background: #ffebe9; }
.status { display: inline-block; padding: 0 8px; border-radius: 10px; font-size: 12px; font-weight: 600; border: 1px solid; }
.status.ok, .status.match { color: var(--pass); border-color: var(--pass); }
.status.allowed { color: var(--muted); border-color: var(--muted); }
.status.missed, .status.extra { color: #fff; background: var(--fail); border-color: var(--fail); }
.legend { list-style: none; padding: 0; margin: 0 0 8px; display: grid; grid-template-columns: repeat(auto-fill, minmax(360px, 1fr)); gap: 2px 16px; color: var(--muted); font-size: 13px; }
.legend .status { min-width: 62px; text-align: center; margin-right: 4px; }
.toggle { display: inline-block; margin-bottom: 8px; font-size: 13px; }
body.only-failing #findings tbody tr:not(.fail) { display: none; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(330px, 1fr)); gap: 14px; }
.grid.wide { grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); margin-bottom: 12px; }
.card { margin: 0; padding: 10px 12px; border: 1px solid var(--line); border-radius: 6px; min-width: 0; }
.card figcaption { font-weight: 600; word-break: break-all; }
.card .note { margin: 2px 0 6px; }
.chart { width: 100%; overflow: hidden; } .chart svg { display: block; max-width: 100%; }
.key { display: inline-flex; align-items: center; gap: 4px; margin-right: 10px; }
.key i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; }
`;

/**
 * Draws every [data-chart] element from the JSON block with Plot. A chart that fails shows
 * its error in place and on the console (the browser test fails on console errors); the
 * number drawn is left on <body data-drawn> for the test and the screenshot script.
 */
const CLIENT = `
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var short = function (s) { s = String(s); return s === "" ? "(empty)" : s.length > 26 ? s.slice(0, 25) + "…" : s; };
  var fmt = d3.format(",");
  var pctf = d3.format(".1%");
  // Counts: whole-number ticks only (a column of two rows would otherwise get 0.2, 0.4 ...).
  var countTick = function (d) { return Number.isInteger(d) ? d3.format("~s")(d) : ""; };
  function histogram(c, width) {
    var t = c.temporal ? function (v) { return new Date(v); } : Number;
    var bins = c.counts.map(function (count, i) { return { x1: t(c.x1[i]), x2: t(c.x2[i]), count: count }; });
    var domain;
    // One distinct value: a narrow bar in the middle of a range around it.
    if (bins.length === 1 && +bins[0].x2 <= +bins[0].x1) {
      var at = +bins[0].x1, span = c.temporal ? 864e5 : Math.max(1, Math.abs(at) / 10);
      bins[0].x1 = t(at - span / 40); bins[0].x2 = t(at + span / 40);
      domain = [t(at - span), t(at + span)];
    }
    var show = c.clock ? d3.utcFormat("%H:%M:%S")
      : c.temporal ? function (d) { return d.toISOString().replace(":00.000Z", "Z").replace("T00:00Z", ""); } : d3.format(",");
    return Plot.plot({
      width: width, height: 190, marginLeft: 50,
      x: { type: c.temporal ? "utc" : "linear", label: null, ticks: 5, domain: domain, tickFormat: c.clock ? d3.utcFormat("%H:%M") : undefined },
      y: bins.length ? { grid: true, label: "rows", tickFormat: countTick } : { axis: null, domain: [0, 1] },
      marks: [
        Plot.rectY(bins, { x1: "x1", x2: "x2", y: "count", fill: "#4e79a7", insetLeft: 0.5, insetRight: 0.5,
          title: function (b) { return show(b.x1) + " – " + show(b.x2) + ": " + fmt(b.count); } }),
        bins.length ? null : Plot.text(["no castable values"], { frameAnchor: "middle", fill: "#59636e" }),
        Plot.ruleY([0])
      ]
    });
  }
  function top(c, width) {
    var rows = c.values.map(function (v, i) { return { value: v, count: c.counts[i] }; });
    var longest = d3.max(c.values, function (l) { return short(l).length; }) || 4;
    return Plot.plot({
      width: width, height: 50 + 22 * Math.max(1, rows.length), marginLeft: Math.min(180, 14 + 6.5 * longest), marginRight: 16,
      x: { grid: true, label: "rows", tickFormat: countTick },
      y: { label: null, domain: c.values, tickFormat: short },
      marks: [
        Plot.barX(rows, { x: "count", y: "value", fill: "#f28e2c", title: function (v) { return v.value + ": " + fmt(v.count); } }),
        Plot.ruleX([0])
      ]
    });
  }
  function shares(c, width) {
    var measures = ${JSON.stringify(SHARE_COLORS.domain)};
    var rows = [];
    c.columns.forEach(function (column, i) {
      measures.forEach(function (m) { rows.push({ column: column, measure: m, share: c[m][i] }); });
    });
    var longest = d3.max(c.columns, function (l) { return short(l).length; }) || 4;
    var max = d3.max(rows, function (r) { return r.share; }) || 0;
    return Plot.plot({
      width: width, height: 50 + 30 * c.columns.length, marginLeft: Math.min(180, 14 + 6.5 * longest),
      x: { grid: true, label: "share of rows", tickFormat: ".1%", domain: [0, Math.max(max, 0.01)] },
      fy: { label: null, domain: c.columns, tickFormat: short, padding: 0.12 },
      y: { axis: null, domain: measures, padding: 0.05 },
      color: ${JSON.stringify(SHARE_COLORS)},
      marks: [
        Plot.barX(rows, { fy: "column", y: "measure", x: "share", fill: "measure", title: function (r) { return r.column + " " + r.measure + ": " + pctf(r.share); } }),
        Plot.ruleX([0])
      ]
    });
  }
  function coverage(c, width) {
    var rows = [];
    c.relations.forEach(function (relation, i) {
      rows.push({ relation: relation, part: "matched", count: c.matched[i] }, { relation: relation, part: "orphans", count: c.orphans[i] });
    });
    return Plot.plot({
      width: width, height: 50 + 30 * c.relations.length, marginLeft: Math.min(300, 14 + 6.2 * d3.max(c.relations, function (r) { return r.length; })),
      x: { label: "share of non-null child values", tickFormat: "%", domain: [0, 1] },
      y: { label: null, domain: c.relations },
      color: ${JSON.stringify(COVERAGE_COLORS)},
      marks: [
        Plot.barX(rows, Plot.stackX({ offset: "normalize", x: "count", y: "relation", fill: "part", title: function (r) { return r.relation + " " + r.part + ": " + fmt(r.count); } })),
        Plot.ruleX([0, 1])
      ]
    });
  }
  function stack(c, width) {
    var rows = c.rows.map(function (r) { return { y: r[0], kind: r[1], count: r[2] }; });
    var ys = Array.from(new Set(rows.map(function (r) { return r.y; })));
    var longest = d3.max(ys, function (l) { return short(l).length; }) || 4;
    return Plot.plot({
      width: width, height: 50 + 24 * ys.length, marginLeft: Math.min(200, 14 + 6.5 * longest), marginRight: 16,
      x: { grid: true, label: "ledger entries", tickFormat: countTick },
      y: { label: null, domain: ys, tickFormat: short },
      color: c.colors,
      marks: [
        Plot.barX(rows, Plot.stackX({ x: "count", y: "y", fill: "kind", title: function (r) { return r.y + " " + r.kind + ": " + fmt(r.count); } })),
        Plot.ruleX([0])
      ]
    });
  }
  var draw = { histogram: histogram, top: top, shares: shares, coverage: coverage, stack: stack };
  var drawn = 0;
  document.querySelectorAll("[data-chart]").forEach(function (el) {
    try {
      var c = data.charts[+el.getAttribute("data-chart")];
      el.append(draw[c.kind](c, Math.max(280, el.clientWidth || 320)));
      drawn++;
    } catch (e) {
      el.textContent = "chart failed: " + e.message;
      console.error("datagen report: chart " + el.getAttribute("data-chart") + " failed:", e);
    }
  });
  document.body.setAttribute("data-drawn", String(drawn));
  document.getElementById("only-failing").addEventListener("change", function (e) {
    document.body.classList.toggle("only-failing", e.target.checked);
  });
})();
`;
