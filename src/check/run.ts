import type { DuckDBConnection } from '@duckdb/node-api';
import type { Field, Schema } from 'apache-arrow';
import { kindOf, typeLabel } from '../core/schema.js';
import { cellRules, columnValue, keyOf, ledgerValue, metaRules, orderRules, type CellRule, type ValueSql } from './rules.js';
import { sqlIdent as quoteIdent, sqlString as quoteString } from './sql.js';
import type { AnomalySummary, CheckInput, CheckResult, CheckTable, ColumnProfile, Finding, FindingStatus, RelationCoverage } from './types.js';

/**
 * `datagen check`: count what breaks each declared rule, and score it against the ledger.
 *
 * Found and injected are counted by the same SQL predicate, once over the data and once over
 * the ledger's `after` values (the last change of each cell). Where a table has a key, the two
 * are matched row by row: a violation whose row the ledger changed in that column is
 * explained, one whose row it did not is extra, and a change that shows nowhere is missed.
 * Without a key only the counts can be compared.
 */
export interface RunCheckOptions {
  /** Compute per-column distributions (for the HTML report). */
  profile?: boolean;
}

type Row = Record<string, unknown>;

async function all(conn: DuckDBConnection, sql: string): Promise<Row[]> {
  return (await conn.runAndReadAll(sql)).getRowObjects() as Row[];
}
const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

interface StageOptions {
  stage: string;
  table: string;
  options: Record<string, unknown>;
}

export async function runCheck(conn: DuckDBConnection, input: CheckInput, options: RunCheckOptions = {}): Promise<CheckResult> {
  const started = performance.now();
  await conn.run(`SET TimeZone = 'UTC'`);
  const hasLedger = input.ledger !== undefined;
  const stages: StageOptions[] = [];
  if (hasLedger) stages.push(...(await loadLedger(conn, input.ledger!)));
  const findings: Finding[] = [];
  const relations: RelationCoverage[] = [];
  const profiles: ColumnProfile[] = [];
  const tables: CheckResult['tables'] = [];
  const byName = new Map(input.tables.map((t) => [t.name, t]));
  const typesOf = new Map<string, Map<string, string>>();

  // Each table is read once into DuckDB (which spills to disk past its memory limit): the
  // checks below query it dozens of times, and text files (or many small files) would
  // otherwise be parsed each time. One Parquet file is read in place: its columns load apart.
  // No check depends on the order of a table's rows, and keeping it makes a read of thousands
  // of partition files hold far more memory (out of memory at 512 MB for retail at 0.1).
  await conn.run('SET preserve_insertion_order = false');
  for (const [i, table] of input.tables.entries()) {
    if ((table.format === 'parquet' && table.files.length === 1) || table.format === 'duckdb') continue;
    await conn.run(`CREATE OR REPLACE TEMP TABLE checked_${i} AS SELECT * FROM ${table.relation}`);
    table.relation = `checked_${i}`;
  }
  await conn.run('SET preserve_insertion_order = true');
  for (const table of input.tables) {
    const types = new Map((await all(conn, `DESCRIBE SELECT * FROM ${table.relation}`)).map((r) => [String(r.column_name), String(r.column_type)]));
    typesOf.set(table.name, types);
    const rows = num((await all(conn, `SELECT count(*) AS n FROM ${table.relation}`))[0]!.n);
    tables.push({ name: table.name, format: table.format, files: table.files.length, rows, ...(table.schemaSource ? { schemaSource: table.schemaSource } : {}) });
    const expected = input.manifestRows?.[table.name];
    if (expected !== undefined) {
      const diff = rows - expected;
      findings.push({ table: table.name, column: null, check: 'rows', rule: `${expected.toLocaleString('en-US')} rows (manifest)`, checked: rows, found: Math.abs(diff), status: diff === 0 ? 'ok' : diff > 0 ? 'extra' : 'missed' });
    }
    if (!table.schema) continue;
    const ctx = new TableCheck(conn, table, table.schema, types, rows, hasLedger);
    findings.push(...(await ctx.cellFindings()));
    findings.push(...(await ctx.uniqueFindings()));
    findings.push(...(await ctx.orderFindings()));
    if (options.profile) profiles.push(...(await ctx.profiles()));
  }

  for (const table of input.tables) {
    for (const [ref, target] of Object.entries(table.references ?? {})) {
      const [parentName, parentColumn] = splitRef(target);
      const parent = byName.get(parentName);
      if (!parent || !table.schema) continue;
      const coverage = await relationCoverage(conn, table, ref, parent, parentColumn, typesOf, hasLedger);
      if (!coverage) continue;
      relations.push(coverage.relation);
      findings.push(coverage.finding);
    }
  }

  for (const table of input.tables) {
    for (const field of table.schema?.fields ?? []) {
      const after = metaRules(field).after;
      if (!after?.includes('.')) continue;
      const finding = await parentOrder(conn, table, field, after, byName, typesOf, hasLedger);
      if (finding) findings.push(finding);
    }
  }

  const anomalies = hasLedger ? await anomalySummary(conn, stages) : [];
  for (const f of findings) {
    if (f.column && (f.injected ?? 0) > 0) {
      const rate = rateOf(stages, f.table, f.column, anomalies);
      if (rate !== undefined) f.rate = rate;
    }
  }
  const ok = findings.every((f) => f.status === 'ok' || f.status === 'match' || f.status === 'allowed');
  return {
    path: input.path,
    ...(input.dataset ? { dataset: input.dataset } : {}),
    ...(input.seed !== undefined ? { seed: input.seed } : {}),
    ...(input.scale !== undefined ? { scale: input.scale } : {}),
    ...(input.ledger ? { ledger: input.ledgerShown ?? input.ledger } : {}),
    tables,
    findings,
    relations,
    anomalies,
    ...(options.profile ? { profiles } : {}),
    ok,
    seconds: Math.round(performance.now() - started) / 1000,
  };
}

/** The ledger as two temporary tables: `lg` (every line, in order) and `cells` (each cell's last change). */
async function loadLedger(conn: DuckDBConnection, path: string): Promise<StageOptions[]> {
  const columns = {
    event: 'VARCHAR', stage: 'VARCHAR', table: 'VARCHAR', row: 'BIGINT', key: 'JSON', column: 'VARCHAR', kind: 'VARCHAR', after: 'JSON', shard: 'INTEGER', options: 'JSON',
  };
  const spec = `{${Object.entries(columns).map(([k, v]) => `${quoteString(k)}: ${quoteString(v)}`).join(', ')}}`;
  await conn.run(`CREATE OR REPLACE TEMP TABLE lg AS SELECT row_number() OVER () AS seq, * FROM read_json(${quoteString(path)}, format = 'newline_delimited', columns = ${spec})`);
  await conn.run(
    `CREATE OR REPLACE TEMP TABLE cells AS SELECT * FROM lg WHERE event IS NULL AND "column" <> '*' ` +
      `QUALIFY row_number() OVER (PARTITION BY "table", "column", coalesce(CAST(key AS VARCHAR), 'row:' || "row"), shard ORDER BY seq DESC) = 1`,
  );
  const opens = await all(conn, `SELECT stage, "table", CAST(options AS VARCHAR) AS options FROM lg WHERE event = 'open' ORDER BY seq`);
  return opens.map((r) => ({ stage: String(r.stage), table: String(r.table), options: r.options ? (JSON.parse(String(r.options)) as Record<string, unknown>) : {} }));
}

class TableCheck {
  private readonly fields: Map<string, Field>;
  private readonly key: ReturnType<typeof keyOf>;
  private readonly where: string;

  constructor(
    private readonly conn: DuckDBConnection,
    private readonly table: CheckTable,
    private readonly schema: Schema,
    private readonly types: Map<string, string>,
    private readonly rows: number,
    private readonly hasLedger: boolean,
  ) {
    this.fields = new Map(schema.fields.map((f) => [f.name, f]));
    this.key = keyOf(schema);
    this.where = `"table" = ${quoteString(table.name)}`;
  }

  private value(column: string): ValueSql {
    return columnValue(column, this.fields.get(column)!, this.types.get(column) ?? 'VARCHAR');
  }

  private presentFields(): Field[] {
    return this.schema.fields.filter((f) => this.types.has(f.name));
  }

  async cellFindings(): Promise<Finding[]> {
    const rules = this.presentFields().flatMap((f) => cellRules(f));
    if (rules.length === 0) return [];
    const found = await all(this.conn, `SELECT ${rules.map((r, i) => `count(*) FILTER (WHERE ${r.violates(this.value(r.column))}) AS f${i}`).join(', ')} FROM ${this.table.relation}`);
    const injected = this.hasLedger
      ? await all(this.conn, `SELECT ${rules.map((r, i) => `count(*) FILTER (WHERE "column" = ${quoteString(r.column)} AND ${r.violates(ledgerValue('after', this.fields.get(r.column)!))}) AS i${i}`).join(', ')} FROM cells WHERE ${this.where}`)
      : undefined;
    const out: Finding[] = [];
    for (const [i, r] of rules.entries()) {
      const f = num(found[0]![`f${i}`]);
      const inj = injected ? num(injected[0]![`i${i}`]) : undefined;
      const nonNull = r.check === 'null' ? this.rows : undefined;
      const { extra, missed, unexplained } = await this.score(r, f, inj);
      const finding: Finding = {
        table: this.table.name,
        column: r.column,
        check: r.check,
        rule: r.rule,
        checked: nonNull ?? this.rows,
        found: f,
        ...(inj !== undefined ? { injected: inj } : {}),
        status: status(f, extra, missed, r.allowed === true),
      };
      // Examples: the values the ledger does not explain, when some are not; else any.
      if (f > 0 && r.check !== 'null') finding.examples = unexplained?.length ? unexplained : await this.examples(this.value(r.column), r.violates(this.value(r.column)));
      out.push(finding);
    }
    return out;
  }

  /** Unexplained violations and injected changes that do not show, row by row when the table has a key. */
  private async score(r: CellRule, found: number, injected: number | undefined): Promise<{ extra: number; missed: number; unexplained?: string[] }> {
    if (injected === undefined) return { extra: found, missed: 0 };
    if (found === 0 && injected === 0) return { extra: 0, missed: 0 };
    // A changed key column moves the row away from the key the ledger knows it by: counts only.
    if (!this.key || this.key.columns.includes(r.column)) return { extra: Math.max(0, found - injected), missed: Math.max(0, injected - found) };
    const dataKey = this.key.data(this.types);
    const ledgerKey = this.key.ledger('key');
    const field = this.fields.get(r.column)!;
    const v = this.value(r.column);
    const unexplained = `(k IS NULL OR (k NOT IN (SELECT k FROM l WHERE k IS NOT NULL) AND k NOT IN ${copiedKeys(this.table.name, this.key!)}))`;
    const sql =
      `WITH v AS (SELECT ${dataKey} AS k, ${v.text} AS x FROM ${this.table.relation} WHERE ${r.violates(v)}), ` +
      `l AS (SELECT DISTINCT ${ledgerKey} AS k FROM cells WHERE ${this.where} AND "column" = ${quoteString(r.column)} AND ${r.violates(ledgerValue('after', field))}) ` +
      `SELECT (SELECT count(*) FROM v WHERE ${unexplained}) AS extra, ` +
      `(SELECT count(*) FROM l WHERE k IS NULL OR k NOT IN (SELECT k FROM v WHERE k IS NOT NULL)) AS missed, ` +
      `(SELECT list(x ORDER BY x) FROM (SELECT DISTINCT x FROM v WHERE ${unexplained} AND x IS NOT NULL ORDER BY x LIMIT 3)) AS examples`;
    const [row] = await all(this.conn, sql);
    const list = row!.examples as { items?: unknown[] } | null;
    const examples = list?.items ? list.items.map(String) : [];
    return { extra: num(row!.extra), missed: num(row!.missed), unexplained: r.check === 'null' ? undefined : examples };
  }


  private async examples(v: ValueSql, predicate: string): Promise<string[]> {
    const rows = await all(this.conn, `SELECT DISTINCT ${v.text} AS x FROM ${this.table.relation} WHERE ${predicate} AND ${v.raw} IS NOT NULL ORDER BY 1 LIMIT 3`);
    return rows.map((r) => String(r.x));
  }

  async uniqueFindings(): Promise<Finding[]> {
    const keys = this.schema.fields.filter((f) => f.metadata.get('key') === 'true').map((f) => f.name);
    if (keys.length === 0 || keys.some((k) => !this.types.has(k))) return [];
    const tuple = keys.length === 1 ? quoteIdent(keys[0]!) : `(${keys.map(quoteIdent).join(', ')})`;
    const notNull = keys.map((k) => `${quoteIdent(k)} IS NOT NULL`).join(' AND ');
    const [row] = await all(this.conn, `SELECT count(*) AS n, count(DISTINCT ${tuple}) AS d FROM ${this.table.relation} WHERE ${notNull}`);
    const found = num(row!.n) - num(row!.d);
    let injected: number | undefined;
    let extra = found;
    let missed = 0;
    if (this.hasLedger) {
      const [l] = await all(
        this.conn,
        `SELECT count(*) FILTER (WHERE kind IN ('duplicate_exact', 'duplicate_key')) AS n, ` +
          `count(*) FILTER (WHERE "column" IN (${keys.map(quoteString).join(', ')}) AND after IS NOT NULL AND json_type(after) <> 'NULL') AS k FROM lg WHERE ${this.where} AND event IS NULL`,
      );
      const copies = num(l!.n);
      // A changed key column (corrupt-fk on a reference that is part of the key) can make two
      // rows share a key: such collisions are explained by those changes, up to their number.
      const collisions = Math.min(num(l!.k), Math.max(0, found - copies));
      injected = copies + collisions;
      extra = Math.max(0, found - injected);
      missed = Math.max(0, copies - found);
    }
    const finding: Finding = {
      table: this.table.name,
      column: keys.length === 1 ? keys[0]! : null,
      check: 'unique',
      rule: `key (${keys.join(', ')}) unique`,
      checked: num(row!.n),
      found,
      ...(injected !== undefined ? { injected } : {}),
      status: status(found, extra, missed, false),
    };
    if (found > 0) {
      const ex = await all(this.conn, `SELECT ${keys.length === 1 ? `CAST(${tuple} AS VARCHAR)` : `concat_ws(', ', ${keys.map((k) => `CAST(${quoteIdent(k)} AS VARCHAR)`).join(', ')})`} AS x FROM ${this.table.relation} WHERE ${notNull} GROUP BY ALL HAVING count(*) > 1 ORDER BY 1 LIMIT 3`);
      finding.examples = ex.map((r) => String(r.x));
    }
    return [finding];
  }

  /** Time order within a row: violations are explained by any change to either column of that row. */
  async orderFindings(): Promise<Finding[]> {
    const out: Finding[] = [];
    for (const rule of orderRules(this.schema)) {
      if (!this.types.has(rule.column) || !this.types.has(rule.after)) continue;
      const a = this.value(rule.column);
      const b = this.value(rule.after);
      const predicate = `(${a.typed} < ${b.typed})`;
      const [row] = await all(this.conn, `SELECT count(*) FILTER (WHERE ${predicate}) AS f, count(*) FILTER (WHERE ${a.typed} IS NOT NULL AND ${b.typed} IS NOT NULL) AS c FROM ${this.table.relation}`);
      const found = num(row!.f);
      let extra = found;
      let injected: number | undefined;
      if (this.hasLedger) {
        const columns = `"column" IN (${quoteString(rule.column)}, ${quoteString(rule.after)})`;
        if (this.key) {
          const [s] = await all(
            this.conn,
            `WITH l AS (SELECT DISTINCT ${this.key.ledger('key')} AS k FROM cells WHERE ${this.where} AND ${columns}) ` +
              `SELECT count(*) FILTER (WHERE k IS NULL OR (k NOT IN (SELECT k FROM l WHERE k IS NOT NULL) AND k NOT IN ${copiedKeys(this.table.name, this.key!)})) AS extra FROM (SELECT ${this.key.data(this.types)} AS k FROM ${this.table.relation} WHERE ${predicate})`,
          );
          extra = num(s!.extra);
        } else {
          const [s] = await all(this.conn, `SELECT count(*) AS n FROM cells WHERE ${this.where} AND ${columns} AND after IS NOT NULL AND json_type(after) <> 'NULL'`);
          extra = Math.max(0, found - num(s!.n));
        }
        injected = found - extra;
      }
      const finding: Finding = {
        table: this.table.name,
        column: rule.column,
        check: 'order',
        rule: rule.rule,
        checked: num(row!.c),
        found,
        ...(injected !== undefined ? { injected } : {}),
        status: status(found, extra, 0, false),
      };
      if (found > 0) {
        const ex = await all(this.conn, `SELECT ${b.text} || ' > ' || ${a.text} AS x FROM ${this.table.relation} WHERE ${predicate} ORDER BY 1 LIMIT 3`);
        finding.examples = ex.map((r) => String(r.x));
      }
      out.push(finding);
    }
    return out;
  }

  async profiles(): Promise<ColumnProfile[]> {
    const out: ColumnProfile[] = [];
    const anomalies = new Map<string, number>();
    if (this.hasLedger) {
      for (const r of await all(this.conn, `SELECT "column" AS c, count(*) AS n FROM lg WHERE ${this.where} AND event IS NULL GROUP BY 1`)) anomalies.set(String(r.c), num(r.n));
    }
    for (const field of this.presentFields()) {
      const kind = kindOf(field.type);
      const shape: ColumnProfile['shape'] = kind === 'bool' ? 'bool' : kind === 'string' ? 'text' : ['date', 'time', 'timestamp'].includes(kind) ? 'temporal' : 'numeric';
      const v = this.value(field.name);
      const [base] = await all(this.conn, `SELECT count(*) FILTER (WHERE ${v.raw} IS NULL) AS nulls, count(*) FILTER (WHERE ${v.raw} IS NOT NULL AND ${v.typed} IS NULL) AS invalid FROM ${this.table.relation}`);
      const profile: ColumnProfile = {
        table: this.table.name,
        column: field.name,
        type: typeLabel(field.type),
        shape,
        rows: this.rows,
        nulls: num(base!.nulls),
        invalid: num(base!.invalid),
        anomalies: anomalies.get(field.name) ?? 0,
      };
      if (shape === 'text' || shape === 'bool') {
        const top = await all(this.conn, `SELECT ${v.text} AS value, count(*) AS n FROM ${this.table.relation} WHERE ${v.raw} IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 12`);
        profile.top = top.map((r) => ({ value: String(r.value), count: num(r.n) }));
      } else {
        profile.histogram = await histogram(this.conn, this.table.relation, v.typed, kind);
      }
      out.push(profile);
    }
    return out;
  }
}

/**
 * Keys of rows the duplicate stage inserted into a table: a copy carries the changes of the row
 * it copied (a key duplicate takes another row's content, a near duplicate gets typos), so a
 * violation in such a row is explained by the duplicate's own ledger entry.
 */
function copiedKeys(table: string, key: NonNullable<ReturnType<typeof keyOf>>): string {
  return `(SELECT ${key.ledger('key')} FROM lg WHERE "table" = ${quoteString(table)} AND event IS NULL AND stage = 'duplicate' AND key IS NOT NULL)`;
}

/** Twenty equal-width bins over the castable values (temporal bounds as ISO text). */
async function histogram(conn: DuckDBConnection, relation: string, typed: string, kind: string): Promise<ColumnProfile['histogram']> {
  const asNumber = kind === 'timestamp' ? `epoch_us(${typed})` : kind === 'date' ? `CAST(${typed} - DATE '1970-01-01' AS DOUBLE)` : kind === 'time' ? `epoch(${typed})` : `CAST(${typed} AS DOUBLE)`;
  const [range] = await all(conn, `SELECT min(${asNumber}) AS lo, max(${asNumber}) AS hi FROM ${relation}`);
  if (range!.lo === null || range!.lo === undefined) return [];
  const lo = Number(range!.lo);
  const hi = Number(range!.hi);
  const bins = lo === hi ? 1 : 20;
  const width = lo === hi ? 1 : (hi - lo) / bins;
  const rows = await all(conn, `SELECT least(${bins - 1}, CAST(floor((${asNumber} - ${lo}) / ${width}) AS INTEGER)) AS b, count(*) AS n FROM ${relation} WHERE ${asNumber} IS NOT NULL GROUP BY 1`);
  const counts = new Map(rows.map((r) => [num(r.b), num(r.n)]));
  const label = (x: number): number | string => {
    if (kind === 'timestamp') return new Date(x / 1000).toISOString();
    if (kind === 'date') return new Date(x * 86_400_000).toISOString().slice(0, 10);
    if (kind === 'time') return new Date(x * 1000).toISOString().slice(11, 19);
    return x;
  };
  return Array.from({ length: bins }, (_, b) => ({ start: label(lo + b * width), end: label(lo + (b + 1) * width), count: counts.get(b) ?? 0 }));
}

/** 'orders_header.order_id' -> ['orders_header', 'order_id']. */
function splitRef(ref: string): [string, string] {
  const dot = ref.indexOf('.');
  return [ref.slice(0, dot), ref.slice(dot + 1)];
}

/**
 * A child's reference as SQL text: a column, or `json.payload.product_id` (a field inside a
 * JSON column: events carry their product in the payload).
 */
function refValue(ref: string, types: Map<string, string>): { column: string; sql: string } | undefined {
  const path = ref.startsWith('json.') ? ref.slice(5).split('.') : [ref];
  const column = path[0]!;
  if (!types.has(column)) return undefined;
  const c = quoteIdent(column);
  if (path.length === 1) return { column, sql: types.get(column) === 'VARCHAR' ? c : `CAST(${c} AS VARCHAR)` };
  return { column, sql: `json_extract_string(CAST(${c} AS VARCHAR), ${quoteString('$.' + path.slice(1).join('.'))})` };
}

async function relationCoverage(
  conn: DuckDBConnection, child: CheckTable, ref: string, parent: CheckTable, parentColumn: string, typesOf: Map<string, Map<string, string>>, hasLedger: boolean,
): Promise<{ relation: RelationCoverage; finding: Finding } | undefined> {
  const childValue = refValue(ref, typesOf.get(child.name)!);
  const parentTypes = typesOf.get(parent.name)!;
  if (!childValue || !parentTypes.has(parentColumn)) return undefined;
  const p = quoteIdent(parentColumn);
  const parentKeys = `(SELECT DISTINCT ${parentTypes.get(parentColumn) === 'VARCHAR' ? p : `CAST(${p} AS VARCHAR)`} AS k FROM ${parent.relation} WHERE ${p} IS NOT NULL)`;
  await conn.run(`CREATE OR REPLACE TEMP TABLE parent_keys AS ${parentKeys}`);
  const orphan = (sql: string) => `(${sql} IS NOT NULL AND ${sql} NOT IN (SELECT k FROM parent_keys))`;
  const [row] = await all(conn, `SELECT count(*) FILTER (WHERE ${childValue.sql} IS NOT NULL) AS n, count(*) FILTER (WHERE ${orphan(childValue.sql)}) AS o FROM ${child.relation}`);
  const rows = num(row!.n);
  const orphans = num(row!.o);
  let injected: number | undefined;
  let extra = orphans;
  let missed = 0;
  if (hasLedger && !ref.startsWith('json.')) {
    const where = `"table" = ${quoteString(child.name)} AND "column" = ${quoteString(childValue.column)}`;
    const after = `(after ->> '$')`;
    const childKey = child.schema ? keyOf(child.schema) : undefined;
    // When the reference is part of the child's key, a corrupted row is not under the key the ledger names.
    const key = childKey && !childKey.columns.includes(childValue.column) ? childKey : undefined;
    if (key) {
      const [s] = await all(
        conn,
        `WITH v AS (SELECT ${key.data(typesOf.get(child.name)!)} AS k FROM ${child.relation} WHERE ${orphan(childValue.sql)}), ` +
          `l AS (SELECT DISTINCT ${key.ledger('key')} AS k FROM cells WHERE ${where} AND ${orphan(after)}) ` +
          `SELECT (SELECT count(*) FROM l) AS injected, (SELECT count(*) FROM v WHERE k IS NULL OR k NOT IN (SELECT k FROM l WHERE k IS NOT NULL)) AS extra, ` +
          `(SELECT count(*) FROM l WHERE k IS NULL OR k NOT IN (SELECT k FROM v WHERE k IS NOT NULL)) AS missed`,
      );
      injected = num(s!.injected);
      extra = num(s!.extra);
      missed = num(s!.missed);
    } else {
      const [s] = await all(conn, `SELECT count(*) AS n FROM cells WHERE ${where} AND ${orphan(after)}`);
      injected = num(s!.n);
      extra = Math.max(0, orphans - injected);
      missed = Math.max(0, injected - orphans);
    }
  }
  const relation: RelationCoverage = { table: child.name, column: ref, parent: `${parent.name}.${parentColumn}`, rows, matched: rows - orphans, orphans, ...(injected !== undefined ? { injected } : {}) };
  const finding: Finding = {
    table: child.name,
    column: ref,
    check: 'fk',
    rule: `-> ${parent.name}.${parentColumn}`,
    checked: rows,
    found: orphans,
    ...(injected !== undefined ? { injected } : {}),
    status: status(orphans, extra, missed, false),
  };
  if (orphans > 0) {
    const ex = await all(conn, `SELECT DISTINCT ${childValue.sql} AS x FROM ${child.relation} WHERE ${orphan(childValue.sql)} ORDER BY 1 LIMIT 3`);
    finding.examples = ex.map((r) => String(r.x));
  }
  return { relation, finding };
}

/**
 * A time order across a relation: a child's column is never before its parent's (a shipment
 * leaves after its order was placed). Rows are joined through the child's reference to the
 * parent table; orphans are the fk check's business. A violation is explained when the ledger
 * changed the child's column or its reference in that row, or the parent's column in the
 * parent row (or the child row is a duplicate's copy).
 */
async function parentOrder(
  conn: DuckDBConnection, child: CheckTable, field: Field, after: string, byName: Map<string, CheckTable>, typesOf: Map<string, Map<string, string>>, hasLedger: boolean,
): Promise<Finding | undefined> {
  const [parentName, parentColumn] = splitRef(after);
  const parent = byName.get(parentName);
  const ref = Object.entries(child.references ?? {}).find(([column, target]) => !column.startsWith('json.') && splitRef(target)[0] === parentName);
  const childTypes = typesOf.get(child.name)!;
  const parentTypes = parent ? typesOf.get(parent.name) : undefined;
  const parentField = parent?.schema?.fields.find((f) => f.name === parentColumn);
  if (!parent || !ref || !parentField || !parentTypes?.has(parentColumn) || !childTypes.has(field.name) || !childTypes.has(ref[0])) return undefined;
  const [refColumn, target] = ref;
  const parentKeyColumn = splitRef(target)[1];
  const asText = (types: Map<string, string>, c: string) => (types.get(c) === 'VARCHAR' ? quoteIdent(c) : `CAST(${quoteIdent(c)} AS VARCHAR)`);
  const a = columnValue(field.name, field, childTypes.get(field.name)!);
  const b = columnValue(parentColumn, parentField, parentTypes.get(parentColumn)!);
  const childKey = keyOf(child.schema!);
  const parentKey = keyOf(parent.schema!);
  const joined =
    `(SELECT ${childKey ? childKey.data(childTypes) : 'NULL'} AS ck, ${a.typed} AS t, ${a.text} AS x, ${asText(childTypes, refColumn)} AS ref FROM ${child.relation}) c ` +
    `JOIN (SELECT ${parentKey ? parentKey.data(parentTypes) : 'NULL'} AS pk, ${b.typed} AS t, ${b.text} AS x, ${asText(parentTypes, parentKeyColumn)} AS ref FROM ${parent.relation}) p USING (ref)`;
  const [row] = await all(conn, `SELECT count(*) FILTER (WHERE c.t < p.t) AS f, count(*) FILTER (WHERE c.t IS NOT NULL AND p.t IS NOT NULL) AS n FROM ${joined}`);
  const found = num(row!.f);
  let extra = found;
  let injected: number | undefined;
  if (hasLedger) {
    const cellsOf = (table: string, columns: string[], key: NonNullable<ReturnType<typeof keyOf>>) =>
      `(SELECT ${key.ledger('key')} FROM cells WHERE "table" = ${quoteString(table)} AND "column" IN (${columns.map(quoteString).join(', ')}))`;
    if (childKey && parentKey && !childKey.columns.includes(refColumn)) {
      const copied = copiedKeys(child.name, childKey);
      const [s] = await all(
        conn,
        `SELECT count(*) AS extra FROM ${joined} WHERE c.t < p.t AND (c.ck IS NULL OR (c.ck NOT IN ${cellsOf(child.name, [field.name, refColumn], childKey)} AND c.ck NOT IN ${copied})) ` +
          `AND (p.pk IS NULL OR p.pk NOT IN ${cellsOf(parent.name, [parentColumn], parentKey)})`,
      );
      extra = num(s!.extra);
    } else {
      const [s] = await all(
        conn,
        `SELECT count(*) AS n FROM cells WHERE ("table" = ${quoteString(child.name)} AND "column" IN (${quoteString(field.name)}, ${quoteString(refColumn)})) OR ("table" = ${quoteString(parent.name)} AND "column" = ${quoteString(parentColumn)})`,
      );
      extra = Math.max(0, found - num(s!.n));
    }
    injected = found - extra;
  }
  const finding: Finding = {
    table: child.name,
    column: field.name,
    check: 'order',
    rule: `${field.name} >= ${after} (via ${refColumn})`,
    checked: num(row!.n),
    found,
    ...(injected !== undefined ? { injected } : {}),
    status: status(found, extra, 0, false),
  };
  if (found > 0) {
    const ex = await all(conn, `SELECT p.x || ' > ' || c.x AS x FROM ${joined} WHERE c.t < p.t ORDER BY 1 LIMIT 3`);
    finding.examples = ex.map((r) => String(r.x));
  }
  return finding;
}

async function anomalySummary(conn: DuckDBConnection, stages: StageOptions[]): Promise<AnomalySummary[]> {
  const rows = await all(conn, `SELECT stage, "table", "column", kind, count(*) AS n FROM lg WHERE event IS NULL GROUP BY ALL ORDER BY "table", stage, "column", kind`);
  return rows.map((r) => {
    const entry: AnomalySummary = { stage: String(r.stage), table: String(r.table), column: String(r.column), kind: String(r.kind), count: num(r.n) };
    const rate = configuredRate(stages, entry.table, entry.stage, entry.column);
    if (rate !== undefined) entry.rate = rate;
    return entry;
  });
}

/** A stage's rate for a column: its per-column rate (`rates`: ["col=0.1"] or {col: 0.1}) or its `rate`. */
function configuredRate(stages: StageOptions[], table: string, stage: string, column: string): number | undefined {
  const s = stages.find((x) => x.table === table && x.stage === stage);
  if (!s) return undefined;
  const rates = s.options.rates;
  if (Array.isArray(rates)) {
    for (const item of rates) {
      const [c, r] = String(item).split('=');
      if (c?.trim() === column && r !== undefined && Number.isFinite(Number(r))) return Number(r);
    }
  } else if (rates && typeof rates === 'object' && column in rates) {
    return Number((rates as Record<string, unknown>)[column]);
  }
  return typeof s.options.rate === 'number' ? s.options.rate : undefined;
}

/** The rate of the stage that changed a column most. */
function rateOf(stages: StageOptions[], table: string, column: string, anomalies: AnomalySummary[]): number | undefined {
  const top = anomalies.filter((a) => a.table === table && a.column === column).sort((a, b) => b.count - a.count)[0];
  return top ? configuredRate(stages, table, top.stage, column) : undefined;
}

function status(found: number, extra: number, missed: number, allowed: boolean): FindingStatus {
  if (missed > 0) return 'missed';
  if (extra > 0) return allowed ? 'allowed' : 'extra';
  return found === 0 ? 'ok' : 'match';
}
