import { userInfo } from 'node:os';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Decimal, type Field, type Int32, type Schema, type Timestamp } from 'apache-arrow';
import { TextBuilder, textEncoder, textWriter } from '../src/codecs/codec.js';
import { addOutputBytes } from '../src/codecs/output.js';
import { sqlIdent } from '../src/codecs/sql.js';
import { DatagenError } from '../src/core/errors.js';
import { kindOf, mayHoldText, type Value } from '../src/core/schema.js';
import type { Batch } from '../src/core/stage.js';
import { defineSink } from '../src/core/units.js';

/**
 * Rows into a PostgreSQL table, loaded with COPY (text format) through `pg` + `pg-copy-streams`.
 * One transaction per run: BEGIN; CREATE TABLE when it does not exist; COPY; COMMIT. Any failure
 * (a refused value, a dropped connection, a killed process) rolls back, so nothing is left.
 * The password in the URL is never printed: messages name user@host:port/db.
 */
export const postgres = defineSink({
  name: 'postgres',
  aliases: ['postgresql'],
  summary: 'Load rows into a PostgreSQL table with COPY, in one transaction (creates the table from the schema, or appends)',
  description:
    'The table is created from the schema when it does not exist (numeric(p,s), timestamptz, date, time, boolean, integer/bigint, ' +
    'double precision, text; NOT NULL where a column is not nullable), appended to when it exists with the same columns and types, ' +
    'and refused (E_DATABASE) when it exists with other columns. generate --out postgres://user:pass@host:port/db#table does the same.',
  examples: [
    'datagen pipe loans --rows 100000 | datagen postgres --url postgres://user:pass@localhost:5432/db --table loans',
    'datagen pipe loans --rows 100000 | datagen malform --rate 0.01 | datagen postgres --url postgres://localhost/db --table loans_raw --text-columns',
  ],
  extensions: [],
  options: {
    url: { type: 'string', required: true, nonEmpty: true, description: 'postgres://user:password@host:port/database (a #table at the end names the table)' },
    table: { type: 'string', description: 'table to create or append to, optionally schema.table [default: the #table of --url, else the data\'s table name]' },
    textColumns: {
      type: 'boolean',
      default: false,
      description: 'create columns that may hold malformed values (after malform) as text; without it such values are refused',
    },
  },
  create: (o) => (batches) => load({ url: o.url as string, table: o.table as string | undefined, textColumns: Boolean(o.textColumns) }, batches),
});

interface Target {
  url: string;
  table?: string;
  textColumns: boolean;
}

/** `postgres://` or `postgresql://`: what `generate --out` hands to this sink instead of a file. */
export function isPostgresUrl(text: string): boolean {
  return /^postgres(ql)?:\/\//i.test(text);
}

interface Parsed {
  connectionString: string;
  /** user@host:port/db, for messages (never the password). */
  shown: string;
  table?: string;
}

function parseUrl(url: string): Parsed {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new DatagenError('E_OPTION', `postgres: ${JSON.stringify(redact(url))} is not a URL; expected postgres://user:password@host:port/database#table`);
  }
  if (!/^postgres(ql)?:$/i.test(u.protocol) || u.hostname === '') {
    throw new DatagenError('E_OPTION', `postgres: ${JSON.stringify(redact(url))} is not a PostgreSQL URL; expected postgres://user:password@host:port/database#table`);
  }
  const table = u.hash.length > 1 ? decodeURIComponent(u.hash.slice(1)) : undefined;
  u.hash = '';
  // No user in the URL: libpq's default, $PGUSER or else the login name (pg reads only $USER, unset in many containers).
  if (!u.username && !process.env.PGUSER) {
    const login = osLogin();
    if (login) u.username = encodeURIComponent(login);
  }
  const db = decodeURIComponent(u.pathname.replace(/^\//, '')) || '(default database)';
  const shown = `${u.username ? decodeURIComponent(u.username) + '@' : ''}${u.hostname}:${u.port || 5432}/${db}`;
  return { connectionString: u.toString(), shown, table };
}

/** The operating system's name for this user, if it has one. */
function osLogin(): string | undefined {
  try {
    return userInfo().username || undefined;
  } catch {
    return undefined; // no passwd entry for this uid
  }
}

/** What a summary line names: the URL without its password, with the table. */
export function shownTarget(url: string, table?: string): string {
  const bare = redact(url);
  return table === undefined ? bare : bare.replace(/#.*$/, '') + '#' + table;
}

/** The URL with any password replaced, for a message about a URL that does not parse. */
function redact(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:@/]*:)[^@/]*@/i, '$1***@');
}

/** PostgreSQL's own name of the type (format_type), which is also valid in CREATE TABLE. */
export function pgType(field: Field, textColumns: boolean): string {
  if (textColumns && mayHoldText(field)) return 'text';
  const t = field.type;
  switch (kindOf(t)) {
    case 'int':
      return (t as Int32).bitWidth > 32 ? 'bigint' : 'integer';
    case 'float':
      return 'double precision';
    case 'decimal':
      return `numeric(${(t as Decimal).precision},${(t as Decimal).scale})`;
    case 'bool':
      return 'boolean';
    case 'date':
      return 'date';
    case 'time':
      return 'time without time zone';
    case 'timestamp':
      return (t as Timestamp).timezone ? 'timestamp with time zone' : 'timestamp without time zone';
    default:
      return 'text';
  }
}


/** `name` or `schema.name` -> its quoted form. */
function qualified(table: string): string {
  const dot = table.indexOf('.');
  return dot < 0 ? sqlIdent(table) : `${sqlIdent(table.slice(0, dot))}.${sqlIdent(table.slice(dot + 1))}`;
}

/** COPY text format: backslash, tab, newline and carriage return escaped; \N is null. */
function copyEscape(s: string): string {
  return /[\\\t\n\r]/.test(s) ? s.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r')) : s;
}

/** Writes one non-null value of a column into the batch's text; `row` is its table index (for messages). */
type ColumnWriter = (v: Exclude<Value, null>, row: number) => void;

/**
 * One writer per column, into a TextBuilder (src/codecs/codec.ts: the CSV sink's byte writers,
 * the same text as textEncoder). A string in a typed column is a malformed value (see
 * MAY_HOLD_TEXT): refused, naming the column, unless the column is created as text.
 */
function columnWriters(schema: Schema, textColumns: boolean, table: string, out: TextBuilder): ColumnWriter[] {
  return schema.fields.map((f) => {
    const kind = kindOf(f.type);
    const scale = f.type instanceof Decimal ? f.type.scale : 0;
    if (kind === 'string' || (textColumns && mayHoldText(f))) {
      const text = textEncoder(kind, scale);
      return (v) => out.append(copyEscape(typeof v === 'string' ? v : text(v)));
    }
    const write = textWriter(kind, scale);
    return (v, row) => (typeof v === 'string' ? refuse(f, v, table, textColumns, row) : write(v, out));
  });
}

function refuse(f: Field, v: Value, table: string, textColumns: boolean, row?: number): never {
  const where = row === undefined ? '' : ` (row ${row + 1})`;
  const hint = mayHoldText(f) && !textColumns
    ? '; pass --text-columns to create such columns as text'
    : textColumns ? '; the column was not marked as one that may hold text' : '; pass --text-columns to create columns that may hold malformed values as text';
  throw new DatagenError('E_DATABASE', `postgres: column ${f.name} of ${table} is ${pgType(f, false)} and cannot hold the value ${JSON.stringify(v)}${where}; nothing was written${hint}`);
}

const NULL = [92, 78]; // \N

/** The COPY text of a batch as UTF-8 bytes (empty for no rows: a lone newline would be a row with no columns). */
function batchEncoder(schema: Schema, textColumns: boolean, table: string): (batch: Batch) => Uint8Array {
  const out = new TextBuilder();
  const names = schema.fields.map((f) => f.name);
  const writers = columnWriters(schema, textColumns, table, out);
  const n = names.length;
  return (batch) => {
    const rows = batch.rows;
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r]!;
      for (let c = 0; c < n; c++) {
        if (c > 0) out.byte(9); // tab
        const v = row[names[c]!];
        if (v === null || v === undefined) out.codes(NULL);
        else writers[c]!(v, batch.offset + r);
      }
      out.byte(10); // newline
    }
    return out.takeBytes();
  };
}

/** A pg error (connection, auth, COPY) as one line with a stable code. */
function databaseError(err: unknown, where: Parsed, connecting = false): DatagenError {
  if (err instanceof DatagenError) return err;
  const e = err as { code?: string; message?: string; where?: string; detail?: string };
  const msg = (e.message ?? String(err)).split('\n')[0]!;
  const at = `PostgreSQL at ${where.shown}`;
  switch (e.code) {
    case 'ECONNREFUSED':
      return new DatagenError('E_DATABASE', `postgres: cannot connect to ${at}: connection refused (is the server running on that host and port?)`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new DatagenError('E_DATABASE', `postgres: cannot connect to ${at}: unknown host`);
    case 'ETIMEDOUT':
      return new DatagenError('E_DATABASE', `postgres: cannot connect to ${at}: timed out`);
    case '28P01':
    case '28000':
      return new DatagenError('E_DATABASE', `postgres: ${at} refused the login: ${msg}`);
    case '3D000':
      return new DatagenError('E_DATABASE', `postgres: ${at}: ${msg}`);
  }
  if (/timeout/i.test(msg)) return new DatagenError('E_DATABASE', `postgres: cannot connect to ${at}: no answer within ${CONNECT_TIMEOUT_MS / 1000} s`);
  if (connecting) return new DatagenError('E_DATABASE', `postgres: cannot connect to ${at}: ${msg}`);
  const detail = e.where ? ` (${e.where.split('\n')[0]})` : e.detail ? ` (${e.detail})` : '';
  return new DatagenError('E_DATABASE', `postgres: ${at}: ${msg}${detail}; nothing was written`);
}

const CONNECT_TIMEOUT_MS = 5000;

async function load(target: Target, batches: AsyncIterable<Batch>): Promise<void> {
  const where = parseUrl(target.url);
  const iterator = batches[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done) return; // no rows and no schema: nothing to create
  const schema = first.value.schema;
  const table = target.table ?? where.table ?? schema.metadata.get('table');
  if (!table) throw new DatagenError('E_OPTION', 'postgres: name the table: --table NAME, or #NAME at the end of the URL');
  const names = schema.fields.map((f) => f.name);
  const types = schema.fields.map((f) => pgType(f, target.textColumns));
  const encode = batchEncoder(schema, target.textColumns, table);

  // Loaded here, not at start-up: every other command would pay for the client.
  const { default: pg } = await import('pg');
  const { from: copyFrom } = await import('pg-copy-streams');
  const client = new pg.Client({ connectionString: where.connectionString, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  // A socket error after connecting arrives as an event; the failing query reports it.
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => {});
    throw databaseError(err, where, true);
  }
  try {
    await client.query('BEGIN');
    const existing = await client.query<{ name: string; type: string }>(
      `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type FROM pg_attribute a
       WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
      [qualified(table)],
    );
    if (existing.rows.length === 0) {
      const columns = schema.fields.map((f, i) => `${sqlIdent(f.name)} ${types[i]}${f.nullable ? '' : ' NOT NULL'}`);
      await client.query(`CREATE TABLE ${qualified(table)} (${columns.join(', ')})`);
    } else {
      const have = existing.rows.map((r) => `${r.name} ${r.type}`);
      const want = names.map((n, i) => `${n} ${types[i]}`);
      if (have.join(', ') !== want.join(', ')) {
        throw new DatagenError('E_DATABASE', `postgres: table ${table} exists with other columns (${have.join(', ')}) than the rows have (${want.join(', ')}); nothing was written`);
      }
    }
    const columns = names.map(sqlIdent).join(', ');
    const copy = client.query(copyFrom(`COPY ${qualified(table)} (${columns}) FROM STDIN`));
    async function* text() {
      for (let next = first; !next.done; next = await iterator.next()) {
        const bytes = encode(next.value);
        if (bytes.length === 0) continue;
        addOutputBytes(bytes.length); // the summary line's byte count: COPY text sent
        yield Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
      }
    }
    await pipeline(Readable.from(text()), copy);
    await client.query('COMMIT');
  } catch (err) {
    // Closing the connection rolls the transaction back on the server whatever state it is in.
    await client.end().catch(() => {});
    throw databaseError(err, where);
  }
  await client.end();
}
