import {
  Bool, DataType, DateDay, Decimal, Field, Float64, Int32, Int64, Schema, TimeSecond, Timestamp, TimeUnit, Type, Utf8,
} from 'apache-arrow';
import { DatagenError } from './errors.js';
import { parseDate, parseTime, parseTimestamp } from './temporal.js';

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
  /**
   * A regular expression the whole text of every value matches (no ^...$). Written so it means
   * the same in JavaScript and DuckDB's RE2: classes, quantifiers, alternation; no lookarounds.
   */
  pattern?: string;
  /**
   * Inclusive bounds that hold for any options: numbers for int/float/decimal columns,
   * 'YYYY-MM-DD' for dates, an ISO instant ('2020-01-01T00:00:00Z') for timestamps, 'HH:MM:SS' for times.
   */
  min?: number | string;
  max?: number | string;
  /**
   * Another column of the same row whose value is <= this one (a time order: delivered_at after
   * shipped_at), or `table.column` of the parent row this table references (a dataset table:
   * shipped_at after orders_header.order_ts, joined through the table's `references`).
   */
  after?: string;
  /**
   * The column holds one JSON document per value, as text (a change event's `before` row):
   * JSON writers (jsonl, the NDJSON pipe) write it nested, the NDJSON reader reads it back to
   * text, every other format keeps the text. Marked as Arrow's canonical JSON extension type
   * (field metadata ARROW:extension:name = arrow.json), which Arrow and Parquet readers know.
   */
  json?: boolean;
}

/** Field metadata of a JSON text column: Arrow's canonical extension type `arrow.json` (storage utf8). */
export const EXTENSION_NAME = 'ARROW:extension:name';
export const JSON_EXTENSION = 'arrow.json';

/** Does the field hold JSON documents as text (FieldSpec.json)? */
export function isJsonField(field: Field): boolean {
  return field.metadata.get(EXTENSION_NAME) === JSON_EXTENSION;
}

/** A version-4 UUID as uuid4() prints it (lowercase hex, variant 10xx): a FieldSpec pattern. */
export const UUID4_PATTERN = '[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}';

/** The rules a field declares, for `datagen check`, `describe` and tests. */
export interface FieldRules {
  values?: string[];
  pattern?: string;
  min?: number | string;
  max?: number | string;
  after?: string;
  key: boolean;
  nullable: boolean;
}

/** Build a table schema. Field order is the column order of every output. */
export function defineTable(name: string, description: string, fields: Record<string, FieldSpec>): Schema {
  const list = Object.entries(fields).map(([fieldName, spec]) => {
    const meta = new Map<string, string>([['description', spec.description]]);
    if (spec.key) meta.set('key', 'true');
    if (spec.values) meta.set('values', JSON.stringify(spec.values));
    checkRules(name, fieldName, spec, fields);
    if (spec.pattern !== undefined) meta.set('pattern', spec.pattern);
    // Bounds as JSON text (a number, or a quoted date/instant), so a reader gets their kind back.
    if (spec.min !== undefined) meta.set('min', JSON.stringify(spec.min));
    if (spec.max !== undefined) meta.set('max', JSON.stringify(spec.max));
    if (spec.after !== undefined) meta.set('after', spec.after);
    if (spec.json) {
      if (kindOf(spec.type) !== 'string') throw new Error(`${name}.${fieldName}: json needs a string column, got ${typeLabel(spec.type)}`);
      meta.set(EXTENSION_NAME, JSON_EXTENSION);
      meta.set('ARROW:extension:metadata', '');
    }
    return new Field(fieldName, spec.type, spec.nullable ?? false, meta);
  });
  return new Schema(list, new Map([['table', name], ['description', description]]));
}

/** Which columns may be ordered against each other ('after'): numbers with numbers, instants with instants, times with times. */
function orderFamily(kind: Kind): 'number' | 'instant' | 'time' | undefined {
  if (kind === 'int' || kind === 'float' || kind === 'decimal') return 'number';
  if (kind === 'date' || kind === 'timestamp') return 'instant';
  return kind === 'time' ? 'time' : undefined;
}

/** A bound as a comparable number in the column's in-memory unit (see Kind), or undefined when it is not one of that kind. */
export function boundValue(kind: Kind, bound: number | string): number | undefined {
  switch (kind) {
    case 'int':
    case 'float':
    case 'decimal':
      return typeof bound === 'number' && Number.isFinite(bound) ? bound : undefined;
    case 'date':
      return typeof bound === 'string' ? parseDate(bound) : undefined;
    case 'time':
      return typeof bound === 'string' ? parseTime(bound) : undefined;
    case 'timestamp':
      return typeof bound === 'string' && /(Z|[+-]\d{2}:?\d{2})$/.test(bound) ? parseTimestamp(bound) : undefined;
    default:
      return undefined;
  }
}

/** A declaration that cannot hold is a programming mistake in the unit: a plain Error. */
function checkRules(table: string, name: string, spec: FieldSpec, fields: Record<string, FieldSpec>): void {
  const where = `${table}.${name}`;
  if (spec.pattern !== undefined) {
    try {
      new RegExp(`^(?:${spec.pattern})$`);
    } catch (err) {
      throw new Error(`${where}: pattern ${JSON.stringify(spec.pattern)} does not compile: ${(err as Error).message}`);
    }
    if (/\(\?[=!<]|\\[1-9]/.test(spec.pattern)) throw new Error(`${where}: pattern ${JSON.stringify(spec.pattern)} uses a lookaround or backreference (DuckDB's RE2 has neither)`);
  }
  const kind = kindOf(spec.type);
  const bounds: number[] = [];
  for (const side of ['min', 'max'] as const) {
    const b = spec[side];
    if (b === undefined) continue;
    const v = boundValue(kind, b);
    if (v === undefined) {
      throw new Error(`${where}: ${side} ${JSON.stringify(b)} is not a bound for a ${typeLabel(spec.type)} column (numbers; dates YYYY-MM-DD; instants 2020-01-01T00:00:00Z; times HH:MM:SS)`);
    }
    bounds.push(v);
  }
  if (spec.min !== undefined && spec.max !== undefined && bounds[0]! > bounds[1]!) throw new Error(`${where}: min ${JSON.stringify(spec.min)} is above max ${JSON.stringify(spec.max)}`);
  // A parent's column (table.column) is checked against the dataset's references, not here.
  if (spec.after !== undefined && !spec.after.includes('.')) {
    const other = Object.hasOwn(fields, spec.after) ? fields[spec.after] : undefined;
    if (!other || spec.after === name) throw new Error(`${where}: after names ${JSON.stringify(spec.after)}, which is not another column of ${table}`);
    const mine = orderFamily(kind);
    if (!mine || mine !== orderFamily(kindOf(other.type))) {
      throw new Error(`${where}: after ${spec.after}: a ${typeLabel(spec.type)} column cannot be ordered after a ${typeLabel(other.type)} column`);
    }
  }
}

/** The rules a field declares (its metadata read back). */
export function fieldRules(field: Field): FieldRules {
  const m = field.metadata;
  const rules: FieldRules = { key: m.get('key') === 'true', nullable: field.nullable };
  const values = fieldValues(field);
  if (values) rules.values = values;
  const pattern = m.get('pattern');
  if (pattern !== undefined) rules.pattern = pattern;
  for (const side of ['min', 'max'] as const) {
    const text = m.get(side);
    if (text !== undefined) rules[side] = JSON.parse(text) as number | string;
  }
  const after = m.get('after');
  if (after !== undefined) rules.after = after;
  return rules;
}

/**
 * Field metadata set by a stage that may write text the column's type cannot hold (`malform`:
 * "12,000" in an int column). The in-memory field keeps its logical type (text sinks and later
 * stages read values by it); typed writers (Arrow, Parquet, Delta) store such a column as a
 * string column carrying TEXT_OF = the logical type label, and the Arrow reader restores it.
 */
export const MAY_HOLD_TEXT = 'datagen.text';
export const TEXT_OF = 'datagen.logical';

export function mayHoldText(field: Field): boolean {
  return field.metadata.get(MAY_HOLD_TEXT) === 'true';
}

/** The same field, marked as one that may hold malformed text (and so nulls too: text is not a value of its type). */
export function withText(field: Field): Field {
  if (mayHoldText(field)) return field;
  const meta = new Map(field.metadata);
  meta.set(MAY_HOLD_TEXT, 'true');
  return new Field(field.name, field.type, field.nullable, meta);
}

/** The same field, nullable. */
export function withNullable(field: Field): Field {
  return field.nullable ? field : new Field(field.name, field.type, true, field.metadata);
}

/** A schema with some fields replaced (table metadata kept); the same object when nothing changed. */
export function mapFields(schema: Schema, change: (field: Field) => Field): Schema {
  let changed = false;
  const fields = schema.fields.map((f) => {
    const g = change(f);
    if (g !== f) changed = true;
    return g;
  });
  return changed ? new Schema(fields, schema.metadata) : schema;
}

/** The Arrow type for a label of typeLabel() or a YAML/spec type name (int32, decimal(10,2), timestamp, ...). */
export function typeFromLabel(label: string): DataType | undefined {
  const dec = /^decimal\((\d+), ?(\d+)\)$/.exec(label);
  if (dec) return types.decimal(Number(dec[1]), Number(dec[2]));
  if (label === 'timestamp[us, UTC]') return types.timestamp();
  const make = (types as unknown as Record<string, (() => DataType) | undefined>)[label];
  return Object.hasOwn(types, label) && label !== 'decimal' ? make!() : undefined;
}

/** A schema as plain JSON (types by typeLabel), for announcing it beside an NDJSON stream. */
export interface SchemaJson {
  metadata: Record<string, string>;
  fields: Array<{ name: string; type: string; nullable: boolean; metadata: Record<string, string> }>;
}

export function schemaToJson(schema: Schema): SchemaJson {
  return {
    metadata: Object.fromEntries(schema.metadata),
    fields: schema.fields.map((f) => ({ name: f.name, type: typeLabel(f.type), nullable: f.nullable, metadata: Object.fromEntries(f.metadata) })),
  };
}

export function schemaFromJson(json: SchemaJson): Schema {
  const fields = json.fields.map((f) => {
    const type = typeFromLabel(f.type);
    if (!type) throw new DatagenError('E_INPUT', `unknown column type ${JSON.stringify(f.type)} for ${f.name} in the input's schema`);
    return new Field(f.name, type, f.nullable, new Map(Object.entries(f.metadata)));
  });
  return new Schema(fields, new Map(Object.entries(json.metadata)));
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
