import {
  Bool, DataType, DateDay, Decimal, Field, Float64, Int32, Int64, Schema, TimeSecond, Timestamp, TimeUnit, Type, Utf8,
} from 'apache-arrow';
import { DatagenError } from './errors.js';

/**
 * Schemas are declared once, as Arrow types with field metadata; CSV headers, JSON shapes,
 * `describe`, docs and validation are all derived from them.
 *
 * In-memory values per kind (what a Row holds):
 *   int, float -> number · decimal -> number (exact to its scale) · string -> string ·
 *   bool -> boolean · date -> days since 1970-01-01 · time -> seconds since midnight ·
 *   timestamp -> microseconds since the Unix epoch (UTC) · null when missing.
 * A value a stage made deliberately malformed may be a string in any column; writers print it.
 */
export type Kind = 'int' | 'float' | 'decimal' | 'string' | 'bool' | 'date' | 'time' | 'timestamp';

export type Value = number | string | boolean | null;
export type Row = Record<string, Value>;

/** Arrow type constructors under the names the specs use. */
export const types = {
  int32: () => new Int32(),
  int64: () => new Int64(),
  float64: () => new Float64(),
  string: () => new Utf8(),
  bool: () => new Bool(),
  date: () => new DateDay(),
  time: () => new TimeSecond(),
  /** Microsecond instant, UTC-adjusted. */
  timestamp: () => new Timestamp(TimeUnit.MICROSECOND, 'UTC'),
  decimal: (precision: number, scale: number) => new Decimal(scale, precision, 128),
};

export interface FieldSpec {
  type: DataType;
  description: string;
  nullable?: boolean;
  /** Part of the row's key (recorded in the anomaly ledger; excluded from default noise). */
  key?: boolean;
  /** The closed set of values, for docs and validation. */
  values?: readonly string[];
}

/** Build a table schema. Field order is the column order of every output. */
export function defineTable(name: string, description: string, fields: Record<string, FieldSpec>): Schema {
  const list = Object.entries(fields).map(([fieldName, spec]) => {
    const meta = new Map<string, string>([['description', spec.description]]);
    if (spec.key) meta.set('key', 'true');
    if (spec.values) meta.set('values', JSON.stringify(spec.values));
    return new Field(fieldName, spec.type, spec.nullable ?? false, meta);
  });
  return new Schema(list, new Map([['table', name], ['description', description]]));
}

export function tableName(schema: Schema): string {
  return schema.metadata.get('table') ?? 'data';
}

export function kindOf(type: DataType): Kind {
  switch (type.typeId) {
    case Type.Int:
      return 'int';
    case Type.Float:
      return 'float';
    case Type.Decimal:
      return 'decimal';
    case Type.Bool:
      return 'bool';
    case Type.Date:
      return 'date';
    case Type.Time:
      return 'time';
    case Type.Timestamp:
      return 'timestamp';
    case Type.Utf8:
    case Type.LargeUtf8:
      return 'string';
    default:
      throw new DatagenError('E_OPTION', `unsupported Arrow type ${String(type)}`);
  }
}

/** The short type name used in docs and `describe` (int32, decimal(12,4), ...). */
export function typeLabel(type: DataType): string {
  if (type instanceof Decimal) return `decimal(${type.precision},${type.scale})`;
  const kind = kindOf(type);
  if (kind === 'int') return `int${(type as Int32).bitWidth}`;
  if (kind === 'float') return 'float64';
  return kind === 'timestamp' ? 'timestamp[us, UTC]' : kind;
}

export function columnNames(schema: Schema): string[] {
  return schema.fields.map((f) => f.name);
}

export function keyColumns(schema: Schema): string[] {
  return schema.fields.filter((f) => f.metadata.get('key') === 'true').map((f) => f.name);
}

export function fieldDescription(field: Field): string {
  return field.metadata.get('description') ?? '';
}

export function fieldValues(field: Field): string[] | undefined {
  const v = field.metadata.get('values');
  return v ? (JSON.parse(v) as string[]) : undefined;
}

/**
 * Resolve a user's column list against a schema. An unknown name is an error that lists the
 * columns that do exist.
 */
export function resolveColumns(schema: Schema, requested: readonly string[] | undefined, owner: string, fallback: () => string[]): string[] {
  if (!requested || requested.length === 0) return fallback();
  const known = new Set(columnNames(schema));
  for (const c of requested) {
    if (!known.has(c)) {
      throw new DatagenError('E_UNKNOWN_COLUMN', `${owner}: unknown column '${c}' in ${tableName(schema)} (columns: ${columnNames(schema).join(', ')})`);
    }
  }
  return [...requested];
}
