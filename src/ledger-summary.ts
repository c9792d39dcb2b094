import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { DatagenError } from './errors.js';
import type { LedgerEntry, StageEvent } from './ledger.js';

/**
 * The answer key, summed up: per table, stage, column and kind, the rate each stage was asked
 * for and the number of changes it made, next to the rows it saw. Reads the ledger as a stream
 * (it can hold millions of lines) and uses the stages' own open/close events for the asked
 * rates and row counts.
 */
export interface SummaryRow {
  table: string;
  stage: string;
  column: string;
  kind: string;
  /** The rate the stage was given for this column (per-column `rates` win over `rate`). */
  rateAsked: number | null;
  injected: number;
  /** Rows the stage received (from its close events; summed over processes). */
  rows: number | null;
}

export interface LedgerSummary {
  entries: number;
  rows: SummaryRow[];
}

export async function summarizeLedger(path: string): Promise<LedgerSummary> {
  const options = new Map<string, Record<string, unknown>>(); // table/stage -> options
  const rowsSeen = new Map<string, number>();
  const counts = new Map<string, SummaryRow>();
  let entries = 0;
  let lineNo = 0;
  const input = createReadStream(path, 'utf8');
  const opened = new Promise<void>((resolve, reject) => {
    input.once('open', () => resolve());
    input.once('error', (err: NodeJS.ErrnoException) => reject(new DatagenError('E_INPUT', `cannot read ledger ${path}: ${err.code ?? err.message}`)));
  });
  await opened;
  for await (const line of createInterface({ input, crlfDelay: Infinity })) {
    lineNo++;
    if (line.trim() === '') continue;
    let value: LedgerEntry | StageEvent;
    try {
      value = JSON.parse(line);
    } catch {
      throw new DatagenError('E_INPUT', `${path} line ${lineNo}: not valid JSON`);
    }
    if ('event' in value) {
      const id = `${value.table}\u0000${value.stage}`;
      if (value.event === 'open') options.set(id, { ...(value.options ?? {}) });
      else rowsSeen.set(id, (rowsSeen.get(id) ?? 0) + (value.rowsIn ?? 0));
      continue;
    }
    entries++;
    const key = [value.table, value.stage, value.column, value.kind].join('\u0000');
    let row = counts.get(key);
    if (!row) {
      row = { table: value.table, stage: value.stage, column: value.column, kind: value.kind, rateAsked: null, injected: 0, rows: null };
      counts.set(key, row);
    }
    row.injected++;
  }
  for (const row of counts.values()) {
    const id = `${row.table}\u0000${row.stage}`;
    row.rateAsked = askedRate(options.get(id), row.column);
    row.rows = rowsSeen.get(id) ?? null;
  }
  const rows = [...counts.values()].sort((a, b) => a.table.localeCompare(b.table) || a.stage.localeCompare(b.stage) || a.column.localeCompare(b.column) || a.kind.localeCompare(b.kind));
  return { entries, rows };
}

function askedRate(options: Record<string, unknown> | undefined, column: string): number | null {
  if (!options) return null;
  const rates = options.rates;
  const list = Array.isArray(rates) ? rates : typeof rates === 'string' ? rates.split(',') : [];
  for (const item of list) {
    const [c, r] = String(item).split('=');
    if (c?.trim() === column) return Number(r);
  }
  const rate = options.rate;
  return rate === undefined ? null : Number(rate);
}

const pct = (x: number | null) => (x === null || !Number.isFinite(x) ? '' : `${(x * 100).toFixed(3).replace(/\.?0+$/, '')}%`);

function cells(r: SummaryRow): string[] {
  return [r.table, r.stage, r.column, r.kind, pct(r.rateAsked), String(r.injected), r.rows === null ? '' : String(r.rows), r.rows ? pct(r.injected / r.rows) : ''];
}

const HEAD = ['table', 'stage', 'column', 'kind', 'rate asked', 'injected', 'rows seen', 'injected / rows'];

export function renderSummaryText(s: LedgerSummary): string {
  const table = [HEAD, ...s.rows.map(cells)];
  const widths = HEAD.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
  const lines = table.map((r) => r.map((c, i) => (i >= 4 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd());
  return `${lines.join('\n')}\n${s.entries} changes\n`;
}

export function renderSummaryMarkdown(s: LedgerSummary, source: string): string {
  return [
    '# Anomaly ledger summary',
    '',
    `Ledger: \`${source}\` — ${s.entries} recorded changes.`,
    '',
    `| ${HEAD.join(' | ')} |`,
    `|${HEAD.map((_, i) => (i >= 4 ? '---:' : '---')).join('|')}|`,
    ...s.rows.map((r) => `| ${cells(r).join(' | ')} |`),
    '',
    'A rate applies per eligible cell (non-null cells of the chosen columns, in rows matching `when`) for cell stages, and per input row for row stages; "injected / rows" divides by rows seen, so it is a lower bound of the per-cell rate where cells were null.',
    '',
  ].join('\n');
}
