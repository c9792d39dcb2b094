import { engineOptions } from '../sources/scenario.js';
import { DatagenError } from './core/errors.js';
import { kebab, type OptionsSpec } from './core/options.js';
import { datasetContext, tableRows, type DatasetContext, type DatasetDefinition, type TableDefinition } from './core/dataset.js';
import { datasetRunOptions, DEFAULT_OUT } from './datasets/api.js';
import { findDataset, findScenario, findSink, findTransform, listScenarios } from './registry.js';
import { fieldDescription, fieldRules, typeLabel } from './core/schema.js';
import type { Schema } from 'apache-arrow';
import type { ScenarioDefinition } from './core/units.js';

/**
 * What `datagen describe` prints and docs/scenarios.md is made of, read from the units'
 * declarations, so neither can drift from the code.
 */
export interface Described {
  kind: 'scenario' | 'transform' | 'sink' | 'dataset';
  name: string;
  summary: string;
  description?: string;
  fields?: Array<{
    name: string;
    type: string;
    nullable: boolean;
    key: boolean;
    description: string;
    values?: string[];
    /** The rules `datagen check` tests besides type, nullability, key and values (see FieldSpec). */
    pattern?: string;
    min?: number | string;
    max?: number | string;
    after?: string;
  }>;
  rules?: string[];
  /** Default anomaly stages (scenarios), as `name {options}`. */
  stages?: string[];
  options: Array<{ flag: string; type: string; default?: unknown; description: string }>;
  examples: string[];
  /** A dataset's tables. */
  tables?: DescribedTable[];
  /** A dataset's increments (--increment k): the tables that grow, and the change tables. */
  increments?: { grow: string[]; changes: Array<{ name: string; summary: string; layout: string }> };
}

type DescribedField = NonNullable<Described['fields']>[number];

export interface DescribedTable {
  name: string;
  summary: string;
  /** Rows at --scale 1 (null when it cannot be told: a table it depends on is missing). */
  rows: number | null;
  minRows: number;
  format: string;
  /** Where its files go under --out, e.g. orders_header/order_dt=YYYY-MM-DD/part-NNNN.csv. */
  layout: string;
  keys: string[];
  /** column -> 'table.column' */
  references: Record<string, string>;
  fields: DescribedField[];
  rules: string[];
  /** Default anomaly stages, with the options they run with at --scale 1. */
  stages: DescribedStage[];
}

export interface DescribedStage {
  name: string;
  columns: string[];
  rate?: number;
  /** A rate per column, where the stage sets them one by one (missing's rates). */
  rates?: Record<string, number>;
  /** The other options (seed left out: it follows --seed). */
  options: Record<string, unknown>;
}

function options(spec: OptionsSpec): Described['options'] {
  return Object.entries(spec).map(([name, s]) => ({ flag: `--${s.flag ?? kebab(name)}`, type: s.type, default: s.default, description: s.description }));
}

/** Describe a unit by name, or a scenario definition (e.g. one loaded from a YAML file). */
export function describeUnit(nameOrDefinition: string | ScenarioDefinition | DatasetDefinition): Described {
  if (typeof nameOrDefinition !== 'string' && nameOrDefinition.unit === 'dataset') return describeDataset(nameOrDefinition);
  const name = typeof nameOrDefinition === 'string' ? nameOrDefinition : nameOrDefinition.name;
  if (typeof nameOrDefinition === 'string') {
    let def: DatasetDefinition | undefined;
    try {
      def = findDataset(name);
    } catch {
      // not a dataset: a scenario, transform or sink below
    }
    if (def) return describeDataset(def);
  }
  const attempts = typeof nameOrDefinition === 'string' ? [findScenario, findTransform, findSink] : [() => nameOrDefinition];
  for (const find of attempts) {
    let unit;
    try {
      unit = find(name);
    } catch {
      continue;
    }
    if (unit.unit === 'scenario') {
      return {
        kind: 'scenario',
        name: unit.name,
        summary: unit.summary,
        description: unit.description,
        fields: describeFields(unit.schema),
        rules: unit.rules,
        stages: unit.defaultStages?.().map((t) => `${t.name} ${JSON.stringify(t.options ?? {})}`),
        options: [...options(engineOptions), ...options(unit.options)],
        examples: unit.examples,
      };
    }
    return { kind: unit.unit, name: unit.name, summary: unit.summary, description: unit.description, options: options(unit.options), examples: unit.examples };
  }
  throw new DatagenError('E_UNKNOWN_UNIT', `nothing named '${name}' (see datagen list)`);
}

export function renderDescription(d: Described): string {
  const lines = [`${d.name} (${d.kind}): ${d.summary}`];
  if (d.description) lines.push('', d.description);
  if (d.tables) lines.push('', ...renderTables(d.tables));
  if (d.increments) {
    lines.push('', 'increments (--increment k adds batch k to a run in --out; docs/increments.md):', `  new files (named ...-bNNNN) for: ${d.increments.grow.join(', ')}`);
    for (const c of d.increments.changes) lines.push(`  ${c.name}: ${c.summary}`, `    files     ${c.layout}`);
  }
  if (d.fields) {
    lines.push('', 'fields:');
    const w = Math.max(...d.fields.map((f) => f.name.length)) + 2;
    const tw = Math.max(...d.fields.map((f) => f.type.length)) + 2;
    for (const f of d.fields) {
      const flags = [f.key ? 'key' : '', f.nullable ? 'nullable' : ''].filter(Boolean).join(', ');
      const values = f.values ? ` {${f.values.join(', ')}}` : '';
      const rules = ruleWords(f);
      lines.push(`  ${f.name.padEnd(w)}${f.type.padEnd(tw)}${f.description}${values}${rules ? ` (${rules})` : ''}${flags ? ` [${flags}]` : ''}`);
    }
  }
  if (d.rules) lines.push('', 'rules:', ...d.rules.map((r) => `  - ${r}`));
  if (d.stages?.length) lines.push('', 'default anomaly stages (--clean skips them):', ...d.stages.map((s) => `  - ${s}`));
  lines.push('', 'options:');
  const w = Math.max(...d.options.map((o) => o.flag.length)) + 2;
  for (const o of d.options) {
    const dflt = o.default === undefined ? '' : ` [default: ${Array.isArray(o.default) ? o.default.join(',') : String(o.default)}]`;
    lines.push(`  ${o.flag.padEnd(w)}${o.description}${dflt}`);
  }
  if (d.examples.length > 0) lines.push('', 'examples:', ...d.examples.map((e) => `  $ ${e}`));
  return lines.join('\n') + '\n';
}

/** docs/scenarios.md: one section per registered scenario, made from its declaration. */
export function renderScenarioDocs(): string {
  const esc = (t: string) => t.replaceAll('|', '\\|');
  const out = [
    '# Scenarios',
    '',
    '<!-- Generated by `npm run docs` from the scenario declarations; a test fails when this file is stale. -->',
    '',
    'Every scenario takes `--rows`, `--seed`, `--batch-size` and `--shard` besides its own options.',
    '`npx datagen describe <name>` prints the same information.',
    '',
    // Why here: this file is generated, and users of the bank scenarios ask why they do not join.
    'The bank scenarios (customer_360, loans, loan_repayments, bank_transactions, credit_card_spend) make one table each and do not join each other ' +
      '(loans and loan_repayments print `CUST0001`, the others `CUST-00001`). For the same tables joined on `CUST-00001` and `LN0001` keys, ' +
      'with repayments that follow their loan, generate the `bank` dataset ([datasets.md](datasets.md#bank)).',
    '',
  ];
  for (const def of listScenarios()) {
    const d = describeUnit(def.name);
    out.push(`## ${d.name}`, '', d.summary + '.' + (def.aliases?.length ? ` Also reachable as ${def.aliases.map((a) => `\`${a}\``).join(', ')}.` : ''), '');
    if (d.description) out.push(d.description, '');
    out.push('| field | type | nullable | key | description |', '|---|---|---|---|---|');
    for (const f of d.fields ?? []) {
      const values = f.values ? ` (${f.values.join(', ')})` : '';
      const rules = ruleWords(f, (t) => `\`${t}\``);
      out.push(`| ${f.name} | ${f.type} | ${f.nullable ? 'yes' : ''} | ${f.key ? 'yes' : ''} | ${esc(f.description + values + (rules ? `; ${rules}` : ''))} |`);
    }
    out.push('', 'Rules:', '', ...(d.rules ?? []).map((r) => `- ${esc(r)}`), '');
    const own = d.options.filter((o) => !['--rows', '--seed', '--batch-size', '--shard'].includes(o.flag));
    if (own.length) {
      out.push('| option | default | description |', '|---|---|---|');
      for (const o of own) out.push(`| \`${o.flag}\` | ${o.default === undefined ? '' : esc(Array.isArray(o.default) ? o.default.join(',') : String(o.default))} | ${esc(o.description)} |`);
      out.push('');
    }
    if (d.stages?.length) out.push('Default anomaly stages (`--clean` skips them): ' + d.stages.map((s) => `\`${s}\``).join(', '), '');
    // Examples are written `datagen ...` (help text); the docs say `npx datagen`, what a clone has.
    out.push('```sh', ...d.examples.map((e) => e.replace(/(^|\| )datagen /g, '$1npx datagen ')), '```', '');
  }
  return out.join('\n');
}

// ------------------------------------------------------------------ datasets

/** A dataset's tables as `describe` shows them: rows at scale 1, layout, keys, FKs, default stages. */
export function describeDataset(def: DatasetDefinition): Described {
  const full = datasetContext(def, 42, 1, {});
  // A first row at a tiny scale shows the partition folders (their names come from row values).
  const tiny = datasetContext(def, 42, 0.001, {});
  const tables = (def.tables as unknown as TableDefinition[]).map((t): DescribedTable => ({
    name: t.name,
    summary: t.schema.metadata.get('description') ?? '',
    rows: attempt(() => tableRows(t, full)) ?? null,
    minRows: t.minRows ?? 1,
    format: t.output.format,
    layout: layoutOf(t, tiny),
    keys: t.schema.fields.filter((f) => f.metadata.get('key') === 'true').map((f) => f.name),
    references: t.references ?? {},
    fields: describeFields(t.schema),
    rules: t.rules,
    stages: (attempt(() => t.stages?.(full)) ?? []).map((st) => {
      const { columns, column, rate, rates, seed: _seed, ...rest } = (st.options ?? {}) as Record<string, unknown>;
      const perColumn = ratesOf(rates);
      const cols = perColumn ? Object.keys(perColumn) : [columns, column].flat().filter((c): c is string => typeof c === 'string').flatMap((c) => c.split(','));
      return { name: st.name, columns: cols, ...(perColumn ? { rates: perColumn } : typeof rate === 'number' ? { rate } : {}), options: rest };
    }),
  }));
  const grow = (def.tables as unknown as TableDefinition[]).filter((t) => t.increment).map((t) => t.name);
  const changes = ((def.changes ?? []) as unknown as TableDefinition[]).map((t) => ({ name: t.name, summary: t.schema.metadata.get('description') ?? '', layout: `${t.output.path}batch=NNNN/part-0000-bNNNN.${t.output.format}` }));
  return {
    kind: 'dataset',
    name: def.name,
    summary: def.summary,
    description: def.description,
    options: [
      ...options(datasetRunOptions),
      ...options(def.options),
      { flag: '--out', type: 'string', default: DEFAULT_OUT, description: 'folder to write the tables, ledger and manifest into' },
      { flag: '--overwrite', type: 'boolean', description: "replace an earlier run's files in --out" },
      ...(grow.length > 0 ? [{ flag: '--increment', type: 'integer', description: 'add batch k (1, 2, ...) to the run already in --out (docs/increments.md)' }] : []),
    ],
    examples: def.examples,
    tables,
    ...(grow.length > 0 ? { increments: { grow, changes } } : {}),
  };
}

function describeFields(schema: Schema): DescribedField[] {
  return schema.fields.map((f) => {
    const { values, pattern, min, max, after, key } = fieldRules(f);
    return {
      name: f.name,
      type: typeLabel(f.type),
      nullable: f.nullable,
      key,
      description: fieldDescription(f),
      values,
      ...(pattern !== undefined ? { pattern } : {}),
      ...(min !== undefined ? { min } : {}),
      ...(max !== undefined ? { max } : {}),
      ...(after !== undefined ? { after } : {}),
    };
  });
}

/** A field's pattern, range and order in words ("matches `LN\\d{4,}`; 5000 to 10000; after shipped_at"); '' when it has none. */
export function ruleWords(f: DescribedField, code: (text: string) => string = (t) => t): string {
  const parts: string[] = [];
  if (f.pattern !== undefined) parts.push(`matches ${code(f.pattern)}`);
  if (f.min !== undefined && f.max !== undefined) parts.push(`${f.min} to ${f.max}`);
  else if (f.min !== undefined) parts.push(`>= ${f.min}`);
  else if (f.max !== undefined) parts.push(`<= ${f.max}`);
  if (f.after !== undefined) parts.push(`not before ${f.after}`);
  return parts.join('; ');
}

function attempt<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined; // e.g. a table it refers to is not registered yet
  }
}

/** orders_header/order_dt=YYYY-MM-DD/part-NNNN.csv: the folder pattern, read from a first row. */
function layoutOf(t: TableDefinition, ctx: DatasetContext): string {
  const o = t.output;
  if (o.kind === 'file') return o.path;
  if (o.kind === 'custom') return o.path.replace(/\/?$/, '/');
  const file = o.file.replace(/\{num(?::0?(\d+))?\}/g, (_m, w: string | undefined) => 'N'.repeat(Number(w ?? 1)));
  const row = attempt(() => t.plan({ ...ctx, tableRows: ctx.rows(t.name), rng: ctx.at('describe', t.name) }).rows(0, 1, ctx.at('describe', t.name, 'rows'))[0]);
  const parts = row ? attempt(() => o.partition(row)) : undefined;
  const folders = parts
    ? parts.map((p) => {
        const [k, v] = p.split('=', 2);
        if (v === undefined) return '<partition>';
        const shape = /^\d{4}-\d{2}-\d{2}$/.test(v) ? 'YYYY-MM-DD' : /^\d{4}-\d{2}$/.test(v) ? 'YYYY-MM' : `<${k}>`;
        return `${k}=${shape}`;
      })
    : ['<partition>'];
  return [o.path.replace(/\/$/, ''), ...folders, file].join('/');
}

/** Per-column rates (missing's `rates`: 'phone=0.01' items or an object), when a stage has them. */
function ratesOf(rates: unknown): Record<string, number> | undefined {
  if (Array.isArray(rates)) return Object.fromEntries(rates.map((r) => String(r).split('=')).map(([c, r]) => [c!.trim(), Number(r)]));
  if (rates && typeof rates === 'object') return rates as Record<string, number>;
  return undefined;
}

function stageText(s: DescribedStage): string {
  const rate = s.rate === undefined ? '' : ` ${percent(s.rate)}`;
  const cols = s.rates ? ` ${Object.entries(s.rates).map(([c, r]) => `${c} ${percent(r)}`).join(', ')}` : s.columns.length ? ` ${s.columns.join(', ')}` : '';
  const rest = Object.entries(s.options).map(([k, v]) => `${k} ${optionText(v)}`);
  return `${s.name}${cols}${rate}${rest.length ? ` (${rest.join('; ')})` : ''}`;
}

function optionText(v: unknown): string {
  if (Array.isArray(v)) return v.length > 8 ? `[${v.length} values]` : v.map(String).join(',');
  return typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
}

/** 0.005 -> 0.5%, 0.0005 -> 0.05% */
export function percent(rate: number): string {
  return `${Number((rate * 100).toPrecision(6))}%`;
}

function renderTables(tables: DescribedTable[]): string[] {
  const n = (x: number | null) => (x === null ? '?' : x.toLocaleString('en-US'));
  const lines = ['tables (rows at --scale 1; --scale multiplies them):'];
  for (const t of tables) {
    lines.push('', `  ${t.name}: ${t.summary}`);
    lines.push(`    rows      ${n(t.rows)}${t.minRows > 1 ? ` (at least ${n(t.minRows)} at any scale)` : ''}`);
    lines.push(`    files     ${t.layout} (${t.format})`);
    lines.push(`    key       ${t.keys.join(', ') || '-'}`);
    const refs = Object.entries(t.references);
    if (refs.length) lines.push(`    refers    ${refs.map(([c, to]) => `${c} -> ${to}`).join(', ')}`);
    const w = Math.max(...t.fields.map((f) => f.name.length)) + 2;
    lines.push(
      '    fields',
      ...t.fields.map((f) => {
        const rules = [f.values ? `in {${f.values.join(', ')}}` : '', ruleWords(f)].filter(Boolean).join('; ');
        return `      ${f.name.padEnd(w)}${f.type}${f.nullable ? ' (nullable)' : ''}${rules ? `  ${rules}` : ''}`;
      }),
    );
    if (t.stages.length) lines.push('    anomalies (--clean skips them)', ...t.stages.map((s) => `      - ${stageText(s)}`));
  }
  return lines;
}

/**
 * The generated part of docs/retail.md (scripts/docs.js puts it between the markers; a test
 * fails when it is stale): the tables, an ER diagram of keys and references, the layout on
 * disk and the anomaly catalogue, read from the declarations.
 */
export function renderDatasetDocs(nameOrDefinition: string | DatasetDefinition): string {
  const d = describeUnit(typeof nameOrDefinition === 'string' ? findDataset(nameOrDefinition) : nameOrDefinition);
  const tables = d.tables ?? [];
  const esc = (t: string) => t.replaceAll('|', '\\|');
  const n = (x: number | null) => (x === null ? '?' : x.toLocaleString('en-US'));
  const out: string[] = ['### Tables', '', '| table | rows at scale 1 | format | files under --out | key | references |', '|---|---:|---|---|---|---|'];
  for (const t of tables) {
    const refs = Object.entries(t.references).map(([c, to]) => `${c} → ${to}`).join('<br>');
    out.push(`| [${t.name}](#${t.name}) | ${n(t.rows)} | ${t.format} | \`${esc(t.layout)}\` | ${t.keys.join(', ')} | ${esc(refs)} |`);
  }
  out.push('', 'Row counts follow `--scale` (rounded, with a floor per table so tiny scales leave no table empty).', '');

  // Keys and foreign keys as an ER diagram (Mermaid); only key and reference columns are drawn.
  out.push('### Keys and references', '', '```mermaid', 'erDiagram');
  const known = new Set(tables.map((t) => t.name));
  for (const t of tables) {
    for (const [col, to] of Object.entries(t.references)) {
      const [parent] = to.split('.');
      out.push(`    ${parent} ||--o{ ${t.name} : "${col}"`);
    }
  }
  for (const t of tables) {
    const cols = t.fields.filter((f) => f.key || f.name in t.references);
    if (cols.length === 0) continue;
    out.push(`    ${t.name} {`);
    for (const f of cols) out.push(`        ${f.type.replace(/[^A-Za-z0-9]+/g, '_').replace(/_$/, '')} ${f.name} ${[f.key ? 'PK' : '', f.name in t.references ? 'FK' : ''].filter(Boolean).join(', ')}`.trimEnd());
    out.push('    }');
  }
  out.push('```', '');
  const missing = [...new Set(tables.flatMap((t) => Object.values(t.references).map((r) => r.split('.')[0]!)))].filter((p) => !known.has(p));
  if (missing.length) out.push(`Referenced but not registered in this build: ${missing.join(', ')}.`, '');

  out.push('### Anomaly catalogue', '', 'The default stages of each table (`--clean` skips them). Every change they make is a line of `_ledger.jsonl`; `_ledger_summary.md` compares the rate asked with the count injected.', '');
  out.push('| table | stage | column | rate | options |', '|---|---|---|---:|---|');
  for (const t of tables) {
    for (const s of t.stages) {
      const opts = esc(Object.entries(s.options).map(([k, v]) => `${k}: ${optionText(v)}`).join('; '));
      if (s.rates) for (const [c, r] of Object.entries(s.rates)) out.push(`| ${t.name} | ${s.name} | ${c} | ${percent(r)} | ${opts} |`);
      else out.push(`| ${t.name} | ${s.name} | ${s.columns.join(', ')} | ${s.rate === undefined ? '' : percent(s.rate)} | ${opts} |`);
    }
  }
  out.push('');

  for (const t of tables) {
    out.push(`### ${t.name}`, '', `${t.summary}. Files: \`${esc(t.layout)}\` (${t.format}).`, '');
    out.push('| column | type | nullable | key | description |', '|---|---|---|---|---|');
    for (const f of t.fields) {
      const values = f.values ? ` (${f.values.join(', ')})` : '';
      const ref = t.references[f.name] ? ` → ${t.references[f.name]}` : '';
      const rules = ruleWords(f, (t) => `\`${t}\``);
      out.push(`| ${f.name} | ${f.type} | ${f.nullable ? 'yes' : ''} | ${f.key ? 'yes' : ''} | ${esc(f.description + values + (rules ? `; ${rules}` : '') + ref)} |`);
    }
    out.push('', 'Rules:', '', ...t.rules.map((r) => `- ${esc(r)}`), '');
  }
  return out.join('\n');
}

export const GENERATED_BEGIN = '<!-- BEGIN generated by `npm run docs` from the dataset declarations; a test fails when it is stale -->';
export const GENERATED_END = '<!-- END generated -->';

/** A hand-written doc with `generated` put between its GENERATED_BEGIN and GENERATED_END lines. */
export function spliceGenerated(doc: string, generated: string): string {
  const at = doc.indexOf(GENERATED_BEGIN);
  const end = doc.indexOf(GENERATED_END);
  if (at < 0 || end < at) throw new Error(`the document has no ${GENERATED_BEGIN} ... ${GENERATED_END} section`);
  return doc.slice(0, at + GENERATED_BEGIN.length) + '\n\n' + generated.trimEnd() + '\n\n' + doc.slice(end);
}

/** The generated part of a doc (between the markers), as spliceGenerated put it. */
export function generatedPart(doc: string): string | undefined {
  const at = doc.indexOf(GENERATED_BEGIN);
  const end = doc.indexOf(GENERATED_END);
  return at < 0 || end < at ? undefined : doc.slice(at + GENERATED_BEGIN.length, end).trim();
}
