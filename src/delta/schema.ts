import { DateUnit, Field, Precision, Schema, Type, TimeUnit, type DataType, type Date_, type Decimal, type Float, type Int, type Timestamp } from 'apache-arrow';
import { DatagenError } from '../core/errors.js';
import { fieldDescription, fieldValues, keyColumns, MAY_HOLD_TEXT, mayHoldText, typeFromLabel, typeLabel, types } from '../core/schema.js';

/**
 * Arrow schemas <-> Delta's schemaString (Spark's JSON schema, PROTOCOL.md "Schema
 * Serialization Format"). Only flat tables of the primitive types datagen writes:
 *
 *   int32 -> integer · int64 -> long · float64 -> double · bool -> boolean · utf8 -> string ·
 *   date -> date · timestamp[us, UTC] -> timestamp · decimal(p,s) -> decimal(p,s)
 *   time -> string "HH:MM:SS": Delta has no time-of-day type. Writing the CSV text keeps every
 *   scenario writable (attendance has times); the field's metadata says `datagen.type: time`.
 *   A column a stage declared text-capable (mayHoldText: `malform`) -> string holding each
 *   value's CSV text, metadata `datagen.type` = its logical type (`timestamp[us, UTC]`, ...).
 *   In memory (toArrowSchema) it keeps that type, marked text-capable: values stay values,
 *   and the Parquet writer stores the column as text with the logical type in its metadata.
 *
 * A field's description goes to the metadata key `comment`, which Spark shows as the column
 * comment; key columns carry `datagen.key` (the default key of `merge`).
 */
export interface DeltaField {
  name: string;
  type: string;
  nullable: boolean;
  metadata: Record<string, unknown>;
}
export interface DeltaSchema {
  type: 'struct';
  fields: DeltaField[];
}

export const META_COMMENT = 'comment';
export const META_KEY = 'datagen.key';
export const META_TYPE = 'datagen.type';

// Without column mapping Spark refuses these characters in column names.
const BAD_NAME = /[ ,;{}()\n\t=]/;
const DECIMAL = /^decimal\((\d+),\s*(\d+)\)$/;

/** The Delta type of an Arrow type; `time` when the column is stored as its text, `text` the label of a text-capable one. */
function deltaTypeOf(field: Field): { type: string; time?: true; text?: string } {
  const t = field.type as DataType;
  if (mayHoldText(field) && t.typeId !== Type.Utf8 && t.typeId !== Type.LargeUtf8 && t.typeId !== Type.Time) {
    deltaTypeOf(new Field(field.name, t, field.nullable)); // the logical type must be one Delta has
    return { type: 'string', text: typeLabel(t) };
  }
  switch (t.typeId) {
    case Type.Int: {
      const { bitWidth, isSigned } = t as Int;
      if (isSigned && bitWidth === 32) return { type: 'integer' };
      if (isSigned && bitWidth === 64) return { type: 'long' };
      break;
    }
    case Type.Float:
      if ((t as Float).precision === Precision.DOUBLE) return { type: 'double' };
      break;
    case Type.Decimal: {
      const { precision, scale } = t as Decimal;
      if (precision >= 1 && precision <= 38 && scale >= 0 && scale <= precision) return { type: `decimal(${precision},${scale})` };
      break;
    }
    case Type.Bool:
      return { type: 'boolean' };
    case Type.Utf8:
    case Type.LargeUtf8:
      return { type: 'string' };
    case Type.Date:
      if ((t as Date_).unit === DateUnit.DAY) return { type: 'date' };
      break;
    case Type.Timestamp:
      if ((t as Timestamp).unit === TimeUnit.MICROSECOND) return { type: 'timestamp' };
      break;
    case Type.Time:
      return { type: 'string', time: true };
  }
  throw new DatagenError('E_INPUT', `delta: column ${field.name} has Arrow type ${String(t)}, which has no Delta type here (supported: int32, int64, float64, bool, utf8, date, timestamp[us], decimal, time as text)`);
}

/** The Delta schema of rows with this Arrow schema (names checked as Delta requires). */
export function toDeltaSchema(schema: Schema): DeltaSchema {
  const keys = new Set(keyColumns(schema));
  const seen = new Map<string, string>();
  const fields = schema.fields.map((f): DeltaField => {
    if (BAD_NAME.test(f.name) || f.name === '') {
      throw new DatagenError('E_INPUT', `delta: column name ${JSON.stringify(f.name)} has a character Delta does not allow without column mapping (space , ; { } ( ) = tab newline)`);
    }
    const lower = f.name.toLowerCase();
    if (seen.has(lower)) throw new DatagenError('E_INPUT', `delta: columns ${seen.get(lower)} and ${f.name} differ only in case; Delta column names are case-insensitive`);
    seen.set(lower, f.name);
    const { type, time, text } = deltaTypeOf(f);
    const metadata: Record<string, unknown> = {};
    const description = fieldDescription(f);
    if (description) metadata[META_COMMENT] = description;
    if (keys.has(f.name)) metadata[META_KEY] = true;
    if (time) metadata[META_TYPE] = 'time';
    if (text) metadata[META_TYPE] = text;
    return { name: f.name, type, nullable: f.nullable, metadata };
  });
  return { type: 'struct', fields };
}

/** Parse and check a metaData.schemaString: a flat struct of the types above. */
export function parseSchemaString(text: string, where: string): DeltaSchema {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new DatagenError('E_INPUT', `delta: ${where}: schemaString is not JSON`);
  }
  const s = parsed as DeltaSchema;
  if (!s || s.type !== 'struct' || !Array.isArray(s.fields)) throw new DatagenError('E_INPUT', `delta: ${where}: schemaString is not a struct`);
  for (const f of s.fields) {
    if (typeof f.name !== 'string' || typeof f.type !== 'string' || typeof f.nullable !== 'boolean') {
      throw new DatagenError('E_INPUT', `delta: ${where}: column ${JSON.stringify(f.name)} has type ${JSON.stringify(f.type)}, which datagen does not read or write (flat tables of primitive types only)`);
    }
    f.metadata ??= {};
  }
  return s;
}

/** The Arrow schema rows of a Delta table are held in (time columns are text there). */
export function toArrowSchema(delta: DeltaSchema, table: string, hints?: Schema): Schema {
  const fields = delta.fields.map((f) => {
    const meta = new Map<string, string>();
    const comment = f.metadata[META_COMMENT];
    meta.set('description', typeof comment === 'string' ? comment : '');
    if (f.metadata[META_KEY] === true) meta.set('key', 'true');
    // A declared value set makes the Parquet writer dictionary-encode the column.
    const values = hints?.fields.find((h) => h.name === f.name);
    if (values && fieldValues(values)) meta.set('values', values.metadata.get('values')!);
    const logical = textOf(f);
    if (logical) meta.set(MAY_HOLD_TEXT, 'true');
    return new Field(f.name, logical ?? arrowType(f, table), f.nullable, meta);
  });
  return new Schema(fields, new Map([['table', table], ['description', `Delta table ${table}`]]));
}

/** The logical type of a string column that holds a text-capable column's text (not time: that is text in memory too). */
export function textOf(f: DeltaField): DataType | undefined {
  const label = f.metadata[META_TYPE];
  return f.type === 'string' && typeof label === 'string' && label !== 'time' ? typeFromLabel(label) : undefined;
}

function arrowType(f: DeltaField, table: string): DataType {
  switch (f.type) {
    case 'integer':
      return types.int32();
    case 'long':
      return types.int64();
    case 'double':
      return types.float64();
    case 'boolean':
      return types.bool();
    case 'string':
      return types.string();
    case 'date':
      return types.date();
    case 'timestamp':
      return types.timestamp();
  }
  const m = DECIMAL.exec(f.type);
  if (m && Number(m[1]) <= 38) return types.decimal(Number(m[1]), Number(m[2]));
  throw new DatagenError('E_INPUT', `delta: column ${f.name} of ${table} has type ${f.type}, which datagen does not read or write`);
}

/**
 * The table's schema after writing rows of `incoming`: the same columns with the same types,
 * plus (only with `evolve`, Spark's mergeSchema) new columns, added as nullable because the
 * rows already in the table have no value for them. Missing nullable columns are written null.
 */
export function mergeSchemas(table: DeltaSchema, incoming: DeltaSchema, evolve: boolean, path: string): { schema: DeltaSchema; added: string[] } {
  const byName = new Map(table.fields.map((f) => [f.name, f]));
  const byLower = new Map(table.fields.map((f) => [f.name.toLowerCase(), f.name]));
  const extra: DeltaField[] = [];
  for (const f of incoming.fields) {
    const t = byName.get(f.name);
    if (t) {
      // Numbers are numbers in memory: a long or double input column may fill an integer or
      // decimal table column, each value checked against the table's type as it is written.
      // A text column of a logical type (textOf) also takes clean values of that type, written as
      // text; text of one logical type never goes into a column of another, or a plain string one.
      const logical = textOf(t);
      const asText = logical !== undefined && deltaTypeOf(new Field(f.name, logical, true)).type === f.type;
      const same = t.type === f.type && (!logical && !textOf(f) ? true : t.metadata[META_TYPE] === f.metadata[META_TYPE]);
      if (!same && !asText && !(isNumeric(t.type) && isNumeric(f.type))) {
        throw new DatagenError('E_INPUT', `delta: column ${f.name} is ${describe(t)} in the table at ${path} but ${describe(f)} in the input`);
      }
      continue;
    }
    const clash = byLower.get(f.name.toLowerCase());
    if (clash) throw new DatagenError('E_INPUT', `delta: input column ${f.name} differs only in case from table column ${clash}; Delta column names are case-insensitive`);
    extra.push({ ...f, nullable: true });
  }
  if (extra.length > 0 && !evolve) {
    throw new DatagenError('E_INPUT', `delta: the input has columns the table at ${path} does not: ${extra.map((f) => f.name).join(', ')} (pass --evolve to add them)`);
  }
  const given = new Set(incoming.fields.map((f) => f.name));
  for (const t of table.fields) {
    if (!given.has(t.name) && !t.nullable) throw new DatagenError('E_INPUT', `delta: the input has no column ${t.name}, which is not nullable in the table at ${path}`);
  }
  return { schema: { type: 'struct', fields: [...table.fields, ...extra] }, added: extra.map((f) => f.name) };
}

function describe(f: DeltaField): string {
  return textOf(f) ? `${f.type} holding ${String(f.metadata[META_TYPE])} text` : f.type;
}

function isNumeric(type: string): boolean {
  return type === 'integer' || type === 'long' || type === 'double' || DECIMAL.test(type);
}

/** Key columns recorded in the table's schema (datagen.key), for merge without --key. */
export function schemaKeys(schema: DeltaSchema): string[] {
  return schema.fields.filter((f) => f.metadata[META_KEY] === true).map((f) => f.name);
}
