import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { DatagenError } from './core/errors.js';
import type { LedgerEntry, StageEvent } from './anomaly/ledger.js';
import { outlierKindShares } from '../transforms/outliers.js';

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
  /**
   * The ledger kind, or `*` for the column's line: all its kinds together, where the column's
   * rate applies. A column whose changes all have one kind, from a stage whose rate that kind
   * gets whole, has just the one line.
   */
  kind: string;
  /**
   * The rate asked for this line: the column's rate (per-column `rates` win over `rate`) on
   * its `*` line; on a kind line, the kind's share of it where the stage's options fix the
   * split (duplicate and corrupt-fk: evenly over their kinds; outliers: by kind weight, among
   * the kinds that fit the column; malform asked for kinds that make one ledger kind), else null.
   */
  rateAsked: number | null;
  injected: number;
  /** Rows the stage received (from its close events; summed over processes). */
  rows: number | null;
}

export interface LedgerSummary {
  entries: number;
  rows: SummaryRow[];
}

/** One stage of a pipeline, from its open event and (paired in order) its close event. */
interface Instance {
  table: string;
  stage: string;
  options: Record<string, unknown>;
  rows: number | null;
}

export async function summarizeLedger(path: string): Promise<LedgerSummary> {
  const instances: Instance[] = [];
  const counts = new Map<string, Map<string, number>>(); // table/stage/column -> kind -> changes
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
      const { table, stage } = value;
      if (value.event === 'open') instances.push({ table, stage, options: { ...(value.options ?? {}) }, rows: null });
      else {
        // A close event belongs to the first instance of that stage not yet closed.
        const open = instances.find((i) => i.table === table && i.stage === stage && i.rows === null);
        if (open) open.rows = value.rowsIn ?? 0;
      }
      continue;
    }
    entries++;
    const key = [value.table, value.stage, value.column].join('\u0000');
    const kinds = counts.get(key) ?? counts.set(key, new Map()).get(key)!;
    kinds.set(value.kind, (kinds.get(value.kind) ?? 0) + 1);
  }
  const rows: SummaryRow[] = [];
  const keys = [...counts.keys()].sort((a, b) => {
    const [x, y] = [a.split('\u0000'), b.split('\u0000')];
    return x[0]!.localeCompare(y[0]!) || x[1]!.localeCompare(y[1]!) || x[2]!.localeCompare(y[2]!);
  });
  for (const key of keys) {
    const [table, stage, column] = key.split('\u0000') as [string, string, string];
    // The stage instances that may have changed this column. Entries do not say which instance
    // made them, so with two (two malform stages on one column) no single rate was asked.
    const ofStage = instances.filter((i) => i.table === table && i.stage === stage);
    const covering = ofStage.filter((i) => covers(i.options, column));
    const only = covering.length === 1 ? covering[0] : ofStage.length === 1 ? ofStage[0] : undefined;
    const rate = only ? columnRate(only.options, column) : null;
    const seen = only ? only.rows : (covering.find((i) => i.rows !== null && covering.every((j) => j.rows === i.rows))?.rows ?? null);
    const observed = counts.get(key)!;
    const shares = only ? kindShares(stage, only.options, column) : undefined;
    // Kinds the stage was asked for but did not make still get a line (0 injected).
    const kinds = [...new Set([...observed.keys(), ...(shares?.keys() ?? [])])].sort();
    const whole = kinds.length === 1 && (shares ? shares.get(kinds[0]!) === 1 : ONE_KIND_PER_COLUMN.has(stage));
    if (whole) {
      rows.push({ table, stage, column, kind: kinds[0]!, rateAsked: rate, injected: observed.get(kinds[0]!) ?? 0, rows: seen });
      continue;
    }
    const total = [...observed.values()].reduce((a, b) => a + b, 0);
    rows.push({ table, stage, column, kind: '*', rateAsked: rate, injected: total, rows: seen });
    for (const kind of kinds) {
      const share = shares?.get(kind);
      rows.push({ table, stage, column, kind, rateAsked: rate !== null && share !== undefined ? rate * share : null, injected: observed.get(kind) ?? 0, rows: seen });
    }
  }
  return { entries, rows };
}

/** Whether a stage with these options may change `column`: it names it, or names none (its defaults). */
function covers(options: Record<string, unknown>, column: string): boolean {
  const columns = names(options.columns);
  const perColumn = names(options.rates).map((r) => r.split('=')[0]!.trim());
  return column === '*' || (columns.length === 0 && perColumn.length === 0) || columns.includes(column) || perColumn.includes(column);
}

/** The rate a column was asked for: its entry in `rates` (missing), else `rate`. */
function columnRate(options: Record<string, unknown>, column: string): number | null {
  const rates = options.rates;
  const list = Array.isArray(rates) ? rates : typeof rates === 'string' ? rates.split(',') : [];
  for (const item of list) {
    const [c, r] = String(item).split('=');
    if (c?.trim() === column) return Number(r);
  }
  const rate = options.rate;
  return rate === undefined ? null : Number(rate);
}

/** Stages whose every change in a column has one kind (set by the column's type): the column's rate is that kind's. */
const ONE_KIND_PER_COLUMN = new Set(['noise', 'missing', 'truncate-lines']);

const names = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : typeof v === 'string' ? v.split(',') : []).map((x) => x.trim()).filter(Boolean);

/** Ledger kinds of duplicate's kinds (transforms/duplicate.ts LEDGER_KIND). */
const DUPLICATE_KINDS: Record<string, string> = { exact: 'duplicate_exact', key: 'duplicate_key', near: 'near_duplicate' };
/** malform's kinds that make one ledger kind each (transforms/malform.ts); the others have variants. */
const MALFORM_SINGLE: Record<string, string> = { email: 'malformed_email', phone: 'malformed_phone', whitespace: 'whitespace', case: 'wrong_case', json: 'truncated_json', formula: 'formula' };

/**
 * How a stage splits a column's rate over ledger kinds, where its recorded options fix it:
 * kind -> share of the rate. Undefined where the split depends on what the ledger does not
 * hold (malform's kinds by column type and their variants).
 */
function kindShares(stage: string, options: Record<string, unknown>, column: string): Map<string, number> | undefined {
  const evenly = (kinds: string[]) => (kinds.length > 0 ? new Map(kinds.map((k) => [k, 1 / kinds.length])) : undefined);
  switch (stage) {
    case 'duplicate': {
      const kinds = [...new Set([...names(options.kinds), ...(options.near === true || options.near === 'true' ? ['near'] : [])])];
      return kinds.every((k) => k in DUPLICATE_KINDS) ? evenly(kinds.map((k) => DUPLICATE_KINDS[k]!)) : undefined;
    }
    case 'corrupt-fk':
      return evenly(names(options.kinds).map((k) => `fk_${k}`));
    case 'outliers':
      return outlierKindShares(options, column);
    case 'malform': {
      const made = new Set(names(options.kinds).map((k) => MALFORM_SINGLE[k.split('=')[0]!.trim()] ?? ''));
      return made.size === 1 && !made.has('') ? new Map([[[...made][0]!, 1]]) : undefined;
    }
    default:
      return undefined;
  }
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
    'Kind `*` is a column with all its kinds; its kind lines show a rate where the stage splits the column\'s rate in a way its options fix (duplicate and corrupt-fk evenly, outliers by weight), and none where the split depends on the column\'s type (malform).',
    '',
  ].join('\n');
}
