import type { Field, Schema } from 'apache-arrow';
import { toJsonValue } from '../codecs/codec.js';
import { parseCondition } from './condition.js';
import { DatagenError } from '../core/errors.js';
import { nullLedger, type JsonValue } from './ledger.js';
import { blockPicker, forEachPick } from '../random/picks.js';
import { Rng } from '../random/rng.js';
import { keyColumns, kindOf, mapFields, resolveColumns, tableName, withNullable, withText, type Kind, type Row, type Value } from '../core/schema.js';
import type { Batch, Transform } from '../core/stage.js';

/**
 * What every cell-level anomaly stage shares: choosing cells, changing them in place, and
 * recording each change in the ledger. A stage supplies only `change`.
 *
 * Which cells: each cell of the selected columns, in rows that match `when`, is picked
 * independently with probability `rate` (see src/random/picks.ts): the same cells whatever
 * the batch size or the process layout.
 */
export const stageOptions = {
  seed: { type: 'integer', description: "seed for this stage's choices (give each stage of a pipe its own)", default: 42 },
  when: {
    type: 'string',
    description: "apply only to rows matching a condition: column OP value, OP one of = (or ==) != > >= < <=, a|b for one of, joined with && or ||; e.g. 'status=LATE|WFH && date>=2024-06-01'",
  },
} as const;

export interface CellContext {
  value: Exclude<Value, null>;
  kind: Kind;
  field: Field;
  /** A stream for this cell alone (stage, column, row): draw the new value from it. */
  rng: Rng;
}

export interface CellChange {
  kind: string;
  after: Value;
  /** Extra fields recorded in the ledger entry (e.g. how a typed loader reads a malformed value). */
  note?: Record<string, JsonValue>;
}

export interface CellStageOptions {
  seed: number;
  rate: number;
  columns: string[] | undefined;
  when: string | undefined;
  /** Per-column rates; these columns are the default selection and override `rate`. */
  rates?: Record<string, number>;
}

export function cellStage(
  stage: string,
  opts: CellStageOptions,
  pick: {
    /** Columns used when the user names none. */
    defaultColumns(schema: Schema): string[];
    /** Reject columns this stage cannot handle (throw E_OPTION). */
    check?(field: Field): void;
    change(cell: CellContext): CellChange | undefined;
    /**
     * Let changes start a text value with = + - @ (which spreadsheets run as formulas). Off
     * unless the user asked for that kind explicitly; such a change is otherwise dropped.
     */
    formulas?: boolean;
    /**
     * What the stage can do to a chosen column's type, declared in the schema it outputs:
     * 'null' (cells may become null), 'text' (cells may become text the type cannot hold).
     */
    writes?: 'null' | 'text' | ((field: Field) => 'null' | 'text' | undefined);
  },
): Transform['open'] {
  return (schema, ctx) => {
    const perColumn = opts.rates ?? {};
    const columns = resolveColumns(schema, opts.columns ?? (opts.rates ? Object.keys(opts.rates) : undefined), stage, () => pick.defaultColumns(schema));
    const rates = columns.map((c) => (Object.hasOwn(perColumn, c) ? perColumn[c]! : opts.rate));
    const fields = columns.map((c) => schema.fields.find((f) => f.name === c)!);
    fields.forEach((f) => pick.check?.(f));
    const kinds = fields.map((f) => kindOf(f.type));
    const scales = fields.map((f) => (f.type as { scale?: number }).scale ?? 0);
    const root = Rng.seeded(opts.seed).fork('stage', stage);
    const when = opts.when ? parseCondition(opts.when, schema, stage) : undefined;
    const keyOf = keyRecorder(schema);
    const recording = ctx.ledger !== nullLedger && !ctx.ledger.countOnly;
    const tally = ctx.ledger.countOnly ? ctx.ledger : undefined;
    const table = tableName(schema);
    const picks = columns.map((column, c) => blockPicker(root.fork(column, 'picks'), rates[c]!));
    const cell = new Cell(root);
    const n = columns.length;
    const chosenColumns = new Set(columns);
    const output = mapFields(schema, (f) => {
      if (!chosenColumns.has(f.name)) return f;
      const writes = typeof pick.writes === 'function' ? pick.writes(f) : pick.writes;
      return writes === 'null' ? withNullable(f) : writes === 'text' && kindOf(f.type) !== 'string' ? withText(f) : f;
    });

    const fn = (batch: Batch): Batch => {
      // The batch is ours (see Transform in src/core/stage.ts): changed cells are written in place.
      const rows = batch.rows;
      const first = batch.offset;
      const end = first + rows.length;
      // The picked cells of this batch, as row * n + column, in row order then column order.
      const chosen: number[] = [];
      for (let c = 0; c < n; c++) forEachPick(picks[c]!, first, end, (index) => chosen.push((index - first) * n + c));
      if (n > 1) chosen.sort((a, b) => a - b);
      let keyRow = -1;
      let key: Record<string, JsonValue> | undefined;
      for (const packed of chosen) {
        const i = Math.floor(packed / n);
        const c = packed - i * n;
        const row = rows[i]!;
        const column = columns[c]!;
        const value = row[column];
        if (value === null || value === undefined) continue;
        if (when && !when(row)) continue;
        const index = first + i;
        const change = pick.change(cell.at(value, kinds[c]!, fields[c]!, column, index));
        if (!change || change.after === value) continue;
        if (!pick.formulas && startsFormula(change.after) && !startsFormula(value)) continue;
        // The key is read before the row's first change, so it is the row's original key.
        if (recording && keyOf && keyRow !== i) {
          key = keyOf(row);
          keyRow = i;
        }
        row[column] = change.after;
        if (recording) {
          ctx.ledger.record({
            stage,
            table,
            row: index,
            ...(key ? { key } : {}),
            column,
            kind: change.kind,
            before: toJsonValue(kinds[c]!, value, scales[c]),
            after: toJsonValue(kinds[c]!, change.after, scales[c]),
            ...change.note,
          });
        } else if (tally) {
          tally.tally!(1);
        }
      }
      return batch;
    };
    return Object.assign(fn, { schema: output });
  };
}

/** The cell handed to a stage's `change`; one instance, reused, and its stream made on demand. */
class Cell implements CellContext {
  value: Exclude<Value, null> = 0;
  kind: Kind = 'int';
  field!: Field;
  private column = '';
  private index = 0;
  private stream: Rng | undefined;

  constructor(private readonly root: Rng) {}

  at(value: Exclude<Value, null>, kind: Kind, field: Field, column: string, index: number): this {
    this.value = value;
    this.kind = kind;
    this.field = field;
    this.column = column;
    this.index = index;
    this.stream = undefined;
    return this;
  }

  /** A stream for this cell alone (stage, column, row index); missing never asks for it. */
  get rng(): Rng {
    return (this.stream ??= this.root.fork(this.column, this.index));
  }
}

/**
 * How a row's key is written in the ledger: the key columns and their JSON values. Made once
 * per schema; `undefined` when there is no key to record.
 */
export function keyRecorder(schema: Schema, keys: readonly string[] = keyColumns(schema)): ((row: Row) => Record<string, JsonValue>) | undefined {
  if (keys.length === 0) return undefined;
  const cols = keys.map((k) => {
    const f = schema.fields.find((x) => x.name === k)!;
    return [k, kindOf(f.type), (f.type as { scale?: number }).scale ?? 0] as const;
  });
  return (row) => {
    const key: Record<string, JsonValue> = {};
    for (const [k, kind, scale] of cols) key[k] = toJsonValue(kind, row[k] ?? null, scale);
    return key;
  };
}

/** Default column choice of most stages: every column that is not part of the key. */
export function nonKeyColumns(schema: Schema): string[] {
  const keys = new Set(keyColumns(schema));
  return schema.fields.filter((f) => !keys.has(f.name)).map((f) => f.name);
}

export function rejectKind(stage: string, field: Field, allowed: readonly Kind[]): void {
  const kind = kindOf(field.type);
  if (!allowed.includes(kind)) {
    throw new DatagenError('E_OPTION', `${stage}: column '${field.name}' is ${kind}; this stage handles ${allowed.join(', ')}`);
  }
}

/** Text a spreadsheet would run as a formula (OWASP's CSV injection list). */
export function startsFormula(v: Value): boolean {
  if (typeof v !== 'string' || v.length === 0) return false;
  const c = v.charCodeAt(0);
  return c === 61 || c === 43 || c === 45 || c === 64 || c === 9 || c === 13; // = + - @ \t \r
}
