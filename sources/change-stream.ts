import { Schema, type Field } from 'apache-arrow';
import { defineTable, kindOf, types, type Row, type Value } from '../src/core/schema.js';
import { uniformAt } from '../src/random/hash.js';
import type { RowGenerator } from '../src/core/units.js';

/**
 * A table's history as a change stream in the Debezium envelope (docs/cdc.md): first the
 * initial snapshot (op r, one event per row in key order), then each batch's changes (c, u,
 * d) in time order. The events are what a Debezium connector with the JSON converter
 * (schemas disabled) would publish for the table: `before` and `after` hold the row in
 * Debezium's default encodings, `source` says where and when the change happened.
 */

/** One change of a batch: the row before it (null for c) and after it (null for d). */
export interface ChangeEvent {
  op: 'c' | 'u' | 'd';
  /** When it happened in the source database, µs since the epoch. */
  ts: number;
  batch: number;
  before: Row | null;
  after: Row | null;
}

export interface ChangeHistory {
  /** The table the events are about (source.table) and its row schema (before/after). */
  table: string;
  rowSchema: Schema;
  /** The database (source.name, source.db). */
  database: string;
  /** Rows of the initial snapshot. */
  snapshotRows: number;
  /** Snapshot rows [start, start + count), in key order. */
  snapshot(start: number, count: number): Row[];
  /** When the snapshot was taken, µs since the epoch (before every batch's changes). */
  snapshotTs: number;
  /** A reader from batch 1 on: each next() is the following batch's changes, in time order (maybe none). */
  batches(): { next(): ChangeEvent[] };
  /** A stream key for the connector's lag (ts_ms - source.ts_ms), drawn per event. */
  lagKey: number;
}

/**
 * A snapshot of keys 1..keys without `dropped` (rows the source database never had), in key
 * order: snapshot(first, count) finds the first-th kept key by a binary search over the
 * dropped keys, then walks on.
 */
export function keyedSnapshot(keys: number, dropped: ReadonlySet<number>, rowOf: (id: number) => Row): Pick<ChangeHistory, 'snapshotRows' | 'snapshot'> {
  const gone = [...dropped].filter((id) => id >= 1 && id <= keys).sort((a, b) => a - b);
  const goneUpTo = (id: number) => {
    let lo = 0;
    let hi = gone.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (gone[mid]! <= id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  return {
    snapshotRows: keys - gone.length,
    snapshot(first, count) {
      // The smallest id with first + 1 kept keys up to it (it is a kept one).
      let id = first + 1;
      while (id - goneUpTo(id) < first + 1) id = first + 1 + goneUpTo(id);
      const rows: Row[] = [];
      for (; rows.length < count; id++) if (!dropped.has(id)) rows.push(rowOf(id));
      return rows;
    },
  };
}

/** The envelope's version (source.version): bump it when the shape of an event changes. */
export const ENVELOPE_VERSION = '1.0.0';

/** The envelope's columns, in Debezium's order; before, after, source and transaction are JSON documents. */
export function envelopeSchema(name: string, description: string, table: string): Schema {
  return defineTable(name, description, {
    before: { type: types.string(), json: true, nullable: true, description: `the ${table} row before the change (Debezium encodings: dates as days, timestamps as µs since the epoch); null for r and c` },
    after: { type: types.string(), json: true, nullable: true, description: `the ${table} row after the change; null for d` },
    source: { type: types.string(), json: true, description: 'where and when: version, connector, name, ts_ms (when it happened), snapshot (true/last/false), db, schema, table, lsn (the event number, 1..), batch (0 = the snapshot)' },
    op: { type: types.string(), values: ['r', 'c', 'u', 'd'], description: 'r = read by the initial snapshot, c = create, u = update, d = delete' },
    ts_ms: { type: types.int64(), min: 0, description: 'when the connector processed the event, ms since the epoch (source.ts_ms plus a lag of 20 ms to 2 s for changes)' },
    transaction: { type: types.string(), json: true, nullable: true, description: 'transaction metadata: always null (transaction metadata off, as by default)' },
  });
}

/**
 * A row as Debezium's JSON converter writes it: numbers, strings and booleans as they are,
 * dates as days since the epoch (io.debezium.time.Date), timestamps as µs since the epoch
 * (io.debezium.time.MicroTimestamp), times as µs since midnight (MicroTime), decimals as the
 * base64 bytes of the unscaled value (decimal.handling.mode=precise, the default).
 */
export function debeziumRow(schema: Schema): (row: Row) => Record<string, Value> {
  const columns = schema.fields.map((f) => ({ name: f.name, encode: debeziumValue(f) }));
  return (row) => {
    const out: Record<string, Value> = {};
    for (const c of columns) {
      const v = row[c.name] ?? null;
      out[c.name] = v === null ? null : c.encode(v);
    }
    return out;
  };
}

function debeziumValue(field: Field): (v: Exclude<Value, null>) => Value {
  const kind = kindOf(field.type);
  if (kind === 'time') return (v) => (typeof v === 'number' ? v * 1_000_000 : v);
  if (kind === 'decimal') {
    const scale = (field.type as { scale: number }).scale;
    return (v) => (typeof v === 'number' ? decimalBytes(v, scale) : v);
  }
  return (v) => v;
}

/** Base64 of the unscaled value's minimal big-endian two's complement bytes (Kafka Connect's Decimal). */
export function decimalBytes(v: number, scale: number): string {
  let n = BigInt(Math.round(v * 10 ** scale));
  const bytes: number[] = [];
  for (;;) {
    const b = Number(n & 0xffn);
    bytes.unshift(b);
    n >>= 8n;
    // Done when the rest is the sign extension of the byte just written.
    if ((n === 0n && (b & 0x80) === 0) || (n === -1n && (b & 0x80) !== 0)) break;
  }
  return Buffer.from(bytes).toString('base64');
}

/**
 * The events as a scenario's rows: row i is the same whichever chunk asks for it. The snapshot
 * is random access; the batches are read forward, so a chunk after the current batch goes on
 * from there and one before it starts the reader again (chunks come in order, so rarely).
 */
export function changeStreamPlan(history: ChangeHistory): RowGenerator {
  const encode = debeziumRow(history.rowSchema);
  const snapshotMs = Math.floor(history.snapshotTs / 1000);
  const source = (tsMs: number, snapshot: string, lsn: number, batch: number) =>
    JSON.stringify({ version: ENVELOPE_VERSION, connector: 'datagen', name: history.database, ts_ms: tsMs, snapshot, db: history.database, schema: 'public', table: history.table, lsn, batch });
  const json = (row: Row | null) => (row === null ? null : JSON.stringify(encode(row)));

  let reader: { next(): ChangeEvent[] } | undefined;
  let events: Row[] = [];
  let first = history.snapshotRows; // stream index of events[0]

  /** The batch's events as rows; lsn = stream index + 1; ts_ms never goes back within a batch. */
  const eventRows = (batch: ChangeEvent[], at: number): Row[] => {
    let processed = 0;
    return batch.map((e, i) => {
      const lsn = at + i + 1;
      const tsMs = Math.floor(e.ts / 1000);
      processed = Math.max(processed, tsMs + 20 + Math.floor(uniformAt(history.lagKey, lsn) * 1980));
      return { before: json(e.before), after: json(e.after), source: source(tsMs, 'false', lsn, e.batch), op: e.op, ts_ms: processed, transaction: null };
    });
  };

  const changeRow = (i: number): Row => {
    if (!reader || i < first) {
      reader = history.batches();
      first = history.snapshotRows;
      events = eventRows(reader.next(), first);
    }
    while (i >= first + events.length) {
      first += events.length;
      events = eventRows(reader.next(), first);
    }
    return { ...events[i - first]! };
  };

  return {
    rows(start, count) {
      const out: Row[] = [];
      const snap = Math.max(0, Math.min(count, history.snapshotRows - start));
      if (snap > 0) {
        const rows = history.snapshot(start, snap);
        for (let j = 0; j < snap; j++) {
          const lsn = start + j + 1;
          const flag = lsn === history.snapshotRows ? 'last' : 'true';
          out.push({ before: null, after: json(rows[j]!), source: source(snapshotMs, flag, lsn, 0), op: 'r', ts_ms: snapshotMs, transaction: null });
        }
      }
      for (let i = start + snap; i < start + count; i++) out.push(changeRow(i));
      return out;
    },
  };
}
