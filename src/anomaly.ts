import type { Field, Schema } from 'apache-arrow';
import { toJsonValue } from './codec.js';
import { parseCondition } from './condition.js';
import { DatagenError } from './errors.js';
import { nullLedger, type JsonValue } from './ledger.js';
import { uniformAt } from './random/hash.js';
import { Rng } from './random/rng.js';
import { keyColumns, kindOf, resolveColumns, tableName, type Kind, type Row, type Value } from './schema.js';
import type { Transform } from './stage.js';

/**
 * What every cell-level anomaly stage shares: choosing cells, changing them in place, and
 * recording each change in the ledger. A stage supplies only `change`.
 *
 * Which cells: each cell of the selected columns, in rows that match `when`, is picked
 * independently with probability `rate`, from a hash of (stage seed, stage, column, row index).
 * The choice is stateless, so it is the same whatever the batch size or the process layout.
 */
export const stageOptions = {
  seed: { type: 'integer', description: "seed for this stage's choices (give each stage of a pipe its own)", default: 42 },
  when: { type: 'string', description: "apply only to rows matching a condition, e.g. 'status=LATE' or 'date>=2024-06-01'" },
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
  },
): Transform['open'] {
  return (schema, ctx) => {
    const perColumn = opts.rates ?? {};
    const columns = resolveColumns(schema, opts.columns ?? (opts.rates ? Object.keys(opts.rates) : undefined), stage, () => pick.defaultColumns(schema));
    const rates = columns.map((c) => perColumn[c] ?? opts.rate);
    const fields = columns.map((c) => schema.fields.find((f) => f.name === c)!);
    fields.forEach((f) => pick.check?.(f));
    const kinds = fields.map((f) => kindOf(f.type));
    const scales = fields.map((f) => (f.type as { scale?: number }).scale ?? 0);
    const root = Rng.seeded(opts.seed).fork('stage', stage);
    const gates = columns.map((c) => root.fork(c).key);
    const when = opts.when ? parseCondition(opts.when, schema, stage) : undefined;
    const keys = keyColumns(schema);
    const recording = ctx.ledger !== nullLedger;
    const table = tableName(schema);

    return (batch) => {
      // The batch is ours (see Transform in src/stage.ts): changed cells are written in place.
      const rows = batch.rows;
      for (let i = 0; i < rows.length; i++) {
        const row = rows[i]!;
        if (when && !when(row)) continue;
        const index = batch.offset + i;
        let key: Record<string, JsonValue> | undefined;
        for (let c = 0; c < columns.length; c++) {
          const column = columns[c]!;
          const value = row[column];
          if (value === null || value === undefined) continue;
          if (uniformAt(gates[c]!, index) >= rates[c]!) continue;
          // The cell's stream is made only if the stage draws from it (missing never does).
          let rng: Rng | undefined;
          const change = pick.change({
            value,
            kind: kinds[c]!,
            field: fields[c]!,
            get rng() {
              return (rng ??= root.fork(column, index));
            },
          });
          if (!change || change.after === value) continue;
          // The key is read before the first change to this row, so it is the row's original key.
          if (recording && keys.length > 0) key ??= keyOf(batch.schema, keys, row);
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
            });
          }
        }
      }
      return batch;
    };
  };
}

function keyOf(schema: Schema, keys: string[], row: Row): Record<string, JsonValue> {
  const key: Record<string, JsonValue> = {};
  for (const k of keys) {
    const f = schema.fields.find((x) => x.name === k)!;
    key[k] = toJsonValue(kindOf(f.type), row[k] ?? null);
  }
  return key;
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
