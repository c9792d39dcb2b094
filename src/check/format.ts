import type { CheckResult, Finding } from './types.js';

/**
 * `datagen check`'s text output: the tables read, the findings that saw something (a violation
 * or an injected change), and a verdict. Clean checks are only counted unless `all` is asked.
 */
const n = (x: number) => x.toLocaleString('en-US');

export function renderCheckText(result: CheckResult, options: { all?: boolean } = {}): string {
  const lines: string[] = [];
  const about = [result.dataset ? `dataset ${result.dataset}` : undefined, result.seed !== undefined ? `seed ${result.seed}` : undefined, result.scale !== undefined ? `scale ${result.scale}` : undefined].filter(Boolean);
  lines.push(`check ${result.path}${about.length ? ` (${about.join(', ')})` : ''}; ledger: ${result.ledger ?? 'none'}`);
  lines.push('');
  lines.push(...table(['table', 'format', 'files', 'rows', 'schema'], result.tables.map((t) => [t.name, t.format, n(t.files), n(t.rows), t.schemaSource ?? '(none: only counted)'])));
  const shown = options.all ? result.findings : result.findings.filter((f) => f.found > 0 || (f.injected ?? 0) > 0 || f.status !== 'ok');
  lines.push('');
  if (shown.length > 0) {
    lines.push(...table(['table', 'column', 'check', 'rule', 'checked', 'found', 'injected', 'rate', 'status', 'examples'], shown.map(row)));
  } else {
    lines.push('no violations found and none injected');
  }
  const bad = result.findings.filter((f) => f.status === 'extra' || f.status === 'missed');
  const clean = result.findings.length - shown.length;
  lines.push('');
  lines.push(
    result.ok
      ? `OK: the data matches its declaration${result.ledger ? ' and its ledger' : ''} (${n(result.findings.length)} checks, ${n(clean)} clean${options.all ? '' : ' and not shown'}) in ${result.seconds.toFixed(1)}s`
      : `NOT OK: ${n(bad.length)} of ${n(result.findings.length)} checks found ${result.ledger ? 'what the ledger does not explain (extra) or miss what it injected (missed)' : 'violations (no ledger to explain them)'} in ${result.seconds.toFixed(1)}s`,
  );
  return lines.join('\n') + '\n';
}

function row(f: Finding): string[] {
  return [
    f.table,
    f.column ?? '*',
    f.check,
    clip(f.rule, 40),
    n(f.checked),
    n(f.found),
    f.injected === undefined ? '-' : n(f.injected),
    f.rate === undefined ? '-' : String(f.rate),
    f.status,
    clip((f.examples ?? []).map((e) => JSON.stringify(e)).join(' '), 48),
  ];
}

function clip(text: string, width: number): string {
  return text.length > width ? text.slice(0, width - 1) + '…' : text;
}

function table(head: string[], rows: string[][]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const right = new Set(['files', 'rows', 'checked', 'found', 'injected', 'rate']);
  const fmt = (cells: string[]) => cells.map((c, i) => (right.has(head[i]!) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [fmt(head), ...rows.map(fmt)];
}
