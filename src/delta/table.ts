import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { Type, TimeUnit, type Schema, type Timestamp } from 'apache-arrow';
import { parseCondition } from '../anomaly/condition.js';
import { DatagenError } from '../core/errors.js';
import { describeIoError, ensureDir } from '../codecs/output.js';
import { PARQUET_CODECS, readParquet, type ParquetCodec } from '../codecs/parquet-io.js';
import { packageRoot } from '../core/paths.js';
import { Rng } from '../random/rng.js';
import { uuid4 } from '../random/uuid.js';
import { kindOf, type Row, type Value } from '../core/schema.js';
import type { Batch, Source } from '../core/stage.js';
import { formatTime, parseDate, parseTimestamp } from '../core/temporal.js';
import { PendingWrite, writeDataFiles, type WrittenFiles } from './files.js';
import {
  commitFileName, dataFilePath, listVersions, LOG_DIR, readCommit, replayLog, writeCommit,
  type Action, type AddAction, type CommitInfo, type LogSnapshot, type MetadataAction, type RemoveAction,
} from './log.js';
import { mergeSchemas, schemaKeys, toArrowSchema, toDeltaSchema, type DeltaSchema } from './schema.js';
import { compareValues, parseStats, statsRange } from './stats.js';

/**
 * Delta Lake tables: the operations, each one new version (one commit file).
 *
 *   append     WRITE (mode Append): add files; creates the table when there is none
 *   overwrite  WRITE (mode Overwrite): remove every active file, add the new ones
 *   merge      MERGE by key, copy-on-write: files that may hold a key (by their min/max
 *              stats) are read; those that do are rewritten with the matched rows replaced
 *              and removed; unmatched input rows are inserted
 *   delete     DELETE by a `--when`-style condition, copy-on-write
 *
 * Data files are written first, the commit last. Until the commit lands, a failure or a
 * SIGINT/SIGTERM/SIGHUP removes this run's data files again (and the folder of a table it was
 * creating); only SIGKILL or a crash can leave data files no commit refers to, which readers
 * never see. Tables are protocol (1, 2), unpartitioned, without deletion
 * vectors, column mapping or checkpoints.
 */
export interface DeltaTableOptions {
  /**
   * Fixes the commit times, for reproducible tables: version v is stamped this instant plus v
   * seconds (commitInfo.timestamp, add.modificationTime, metaData.createdTime, file mtimes).
   * An ISO timestamp (`2024-01-01T00:00:00Z`; no offset means UTC), a date, or milliseconds
   * since the epoch. Default: the clock, kept strictly increasing across versions.
   */
  commitTime?: string | number;
  /** A new data file every this many rows (default 1,000,000). */
  rowsPerFile?: number;
  /** Parquet codec of data files (default snappy). */
  compression?: ParquetCodec;
}

export interface WriteOptions {
  /** Add input columns the table lacks (Spark's mergeSchema); otherwise they are refused. */
  evolve?: boolean;
}
export interface MergeOptions extends WriteOptions {
  /** Key columns (default: the table's key columns, `datagen.key` in its schema). */
  key?: string | readonly string[];
}

/** Rows to write: a Source, or batches. */
export type RowInput = Source | AsyncIterable<Batch> | Iterable<Batch>;

export interface CommitResult {
  version: number;
  operation: 'WRITE' | 'MERGE' | 'DELETE';
  filesAdded: number;
  filesRemoved: number;
  /** Rows in the files this commit added. */
  rowsWritten: number;
  rowsInserted: number;
  rowsUpdated: number;
  rowsDeleted: number;
}

export interface DeltaSnapshot extends LogSnapshot {
  /** The Arrow schema rows of this version are read in (time columns are text). */
  arrowSchema: Schema;
}

export interface HistoryEntry {
  version: number;
  timestamp: number;
  operation: string;
  operationParameters: Record<string, string>;
  operationMetrics: Record<string, string>;
  commitInfo: CommitInfo | undefined;
}

export const DEFAULT_ROWS_PER_FILE = 1_000_000;
const SECOND = 1000;

export function deltaTable(path: string, options: DeltaTableOptions = {}): DeltaTable {
  return new DeltaTable(path, options);
}

export class DeltaTable {
  readonly path: string;
  private readonly name: string;
  private readonly fixedTime: number | undefined;
  private readonly rowsPerFile: number;
  private readonly compression: ParquetCodec;

  constructor(path: string, options: DeltaTableOptions = {}) {
    if (typeof path !== 'string' || path === '') throw new DatagenError('E_OPTION', 'delta: path must name the table folder');
    this.path = path;
    this.name = basename(resolve(path));
    this.fixedTime = options.commitTime === undefined ? undefined : parseCommitTime(options.commitTime);
    this.rowsPerFile = options.rowsPerFile ?? DEFAULT_ROWS_PER_FILE;
    if (!Number.isSafeInteger(this.rowsPerFile) || this.rowsPerFile < 1) {
      throw new DatagenError('E_OPTION', `delta: rowsPerFile must be an integer >= 1, got ${JSON.stringify(options.rowsPerFile)}`);
    }
    this.compression = options.compression ?? 'snappy';
    if (!PARQUET_CODECS.includes(this.compression)) {
      throw new DatagenError('E_OPTION', `delta: compression must be one of ${PARQUET_CODECS.join(', ')}, got ${JSON.stringify(options.compression)}`);
    }
  }

  /** True when the folder holds at least one commit. */
  exists(): boolean {
    return listVersions(this.path).length > 0;
  }

  /** The latest version, or undefined when there is no table yet. */
  version(): number | undefined {
    const versions = listVersions(this.path);
    return versions.length > 0 ? versions.length - 1 : undefined;
  }

  /** The table as of `version` (default: the latest): schema, metadata and active files. */
  snapshot(version?: number): DeltaSnapshot {
    const snap = replayLog(this.path, version);
    if (!snap) throw new DatagenError('E_INPUT', `delta: no Delta table at ${this.path} (no ${LOG_DIR}/ commits)`);
    return this.withArrow(snap);
  }

  /** Every commit's provenance, oldest first. */
  history(): HistoryEntry[] {
    return listVersions(this.path).map((version) => {
      const info = readCommit(this.path, version).find((a): a is { commitInfo: CommitInfo } => 'commitInfo' in a)?.commitInfo;
      return {
        version,
        timestamp: info?.timestamp ?? statSync(join(this.path, LOG_DIR, commitFileName(version))).mtimeMs,
        operation: info?.operation ?? 'UNKNOWN',
        operationParameters: info?.operationParameters ?? {},
        operationMetrics: info?.operationMetrics ?? {},
        commitInfo: info,
      };
    });
  }

  /** The rows of a version (default: the latest) as a Source: time travel. Columns added later read as null. */
  source(version?: number): Source {
    const snap = this.snapshot(version);
    checkReadable(this.path, snap);
    return {
      kind: 'source',
      name: `delta:${this.name}@${snap.version}`,
      schema: snap.arrowSchema,
      batches: async function* (this: DeltaTable) {
        let offset = 0;
        for (const file of snap.files) {
          const rows = this.readFile(file, snap.schema);
          yield { schema: snap.arrowSchema, rows, offset };
          offset += rows.length;
        }
      }.bind(this),
    };
  }

  /** Add rows (creates the table when there is none). */
  append(input: RowInput, options: WriteOptions = {}): Promise<CommitResult> {
    return this.write(input, 'Append', options);
  }

  /** Replace the table's rows with these (the old versions stay readable). */
  overwrite(input: RowInput, options: WriteOptions = {}): Promise<CommitResult> {
    return this.write(input, 'Overwrite', options);
  }

  /**
   * Upsert by key: rows whose key is in the table replace the table's rows with that key;
   * the others are inserted. Merging into a missing table creates it (a WRITE).
   */
  merge(input: RowInput, options: MergeOptions = {}): Promise<CommitResult> {
    return this.attempt((pending) => this.mergeRows(input, options, pending));
  }

  private async mergeRows(input: RowInput, options: MergeOptions, pending: PendingWrite): Promise<CommitResult> {
    const prev = this.current();
    if (!prev) return this.writeRows(await newTableMergeInput(input, options.key, this.path), 'Append', options, pending);
    checkWritable(this.path, prev, 'merge');
    const { schema: inSchema, rows: source } = await collectRows(input, prev);
    const incoming = inSchema ? toDeltaSchema(inSchema) : prev.schema;
    const { schema, added } = mergeSchemas(prev.schema, incoming, options.evolve ?? false, this.path);
    const keys = mergeKeys(options.key, prev.schema, incoming, this.path);
    const keyFields = keys.map((k) => schema.fields.find((f) => f.name === k)!);
    const keyOf = (r: Row) => JSON.stringify(keys.map((k) => r[k] ?? null));

    const bySource = new Map<string, Row>();
    source.forEach((r, i) => {
      const missing = keys.find((k) => r[k] === null || r[k] === undefined);
      if (missing) throw new DatagenError('E_INPUT', `delta: merge input row ${i} has no value in key column ${missing}`);
      const k = keyOf(r);
      if (bySource.has(k)) throw new DatagenError('E_INPUT', `delta: merge input has key ${describeKey(keys, r)} more than once (row ${i})`);
      bySource.set(k, r);
    });
    // Per key column, the input's values sorted: a file whose [min, max] holds none of them
    // cannot match and is not read.
    const sortedKeys = keyFields.map((f) => {
      const cmp = compareValues(f);
      return { field: f, cmp, values: [...new Set(source.map((r) => r[f.name] as number | string))].sort(cmp) };
    });
    const mayMatch = (file: AddAction) => {
      const stats = parseStats(file.stats);
      return sortedKeys.every(({ field, cmp, values }) => {
        const range = statsRange(stats, field);
        if (!range) return true;
        const i = lowerBound(values, range.min, cmp);
        return i < values.length && cmp(values[i]!, range.max) <= 0;
      });
    };

    const removed: AddAction[] = [];
    const kept: Row[] = [];
    const matched = new Set<string>();
    let updated = 0;
    for (const file of prev.files) {
      if (!mayMatch(file)) continue;
      const rows = this.readFile(file, prev.schema);
      let hits = 0;
      const next = rows.map((r) => {
        const k = keyOf(r);
        const s = bySource.get(k);
        if (!s) return r;
        matched.add(k);
        hits++;
        return s;
      });
      if (hits === 0) continue;
      removed.push(file);
      for (const r of next) kept.push(r); // not push(...next): a million arguments overflow the stack
      updated += hits;
    }
    const inserts = source.filter((r) => !matched.has(keyOf(r)));
    const version = prev.version + 1;
    const ts = this.commitTime(version, prev);
    const written = await this.writeFiles(prev.metaData.id, version, schema, inSchema, [...kept, ...inserts], ts, pending);
    const metrics = {
      numSourceRows: source.length,
      numTargetRowsInserted: inserts.length,
      numTargetRowsUpdated: updated,
      numTargetRowsDeleted: 0,
      numTargetRowsCopied: kept.length - updated,
      numOutputRows: written.rows,
      numTargetFilesAdded: written.adds.length,
      numTargetFilesRemoved: removed.length,
      numTargetBytesAdded: written.bytes,
      numTargetBytesRemoved: removed.reduce((n, f) => n + f.size, 0),
    };
    const on = keys.map((k) => `(target.${k} = source.${k})`).join(' AND ');
    const parameters = {
      predicate: JSON.stringify([on]),
      matchedPredicates: JSON.stringify([{ actionType: 'update' }]),
      notMatchedPredicates: JSON.stringify([{ actionType: 'insert' }]),
      notMatchedBySourcePredicates: '[]',
    };
    this.commit(version, ts, prev, {
      operation: 'MERGE',
      parameters,
      metrics,
      blindAppend: false,
      metaData: added.length > 0 ? { ...prev.metaData, schemaString: JSON.stringify(schema) } : undefined,
      removes: removed,
      adds: written.adds,
    });
    return { version, operation: 'MERGE', filesAdded: written.adds.length, filesRemoved: removed.length, rowsWritten: written.rows, rowsInserted: inserts.length, rowsUpdated: updated, rowsDeleted: 0 };
  }

  /**
   * Delete the rows matching `where` (the `--when` condition language, e.g. `qty<0` or
   * `status=LATE|ABSENT && qty>=10`). Files with a match are rewritten without those rows.
   */
  delete(where: string): Promise<CommitResult> {
    return this.attempt((pending) => this.deleteRows(where, pending));
  }

  private async deleteRows(where: string, pending: PendingWrite): Promise<CommitResult> {
    const prev = this.current();
    if (!prev) throw new DatagenError('E_INPUT', `delta: no Delta table at ${this.path} to delete from`);
    checkWritable(this.path, prev, 'delete');
    if (typeof where !== 'string' || where.trim() === '') throw new DatagenError('E_OPTION', 'delta: delete needs a condition, e.g. --where "qty<0"');
    const arrowSchema = toArrowSchema(prev.schema, this.name);
    const test = parseCondition(where, arrowSchema, 'delta', 'where');
    const removed: AddAction[] = [];
    const kept: Row[] = [];
    let deleted = 0;
    for (const file of prev.files) {
      const rows = this.readFile(file, prev.schema);
      const keep = rows.filter((r) => !test(r));
      if (keep.length === rows.length) continue;
      removed.push(file);
      for (const r of keep) kept.push(r);
      deleted += rows.length - keep.length;
    }
    const version = prev.version + 1;
    const ts = this.commitTime(version, prev);
    const written = await this.writeFiles(prev.metaData.id, version, prev.schema, undefined, kept, ts, pending);
    const metrics = {
      numRemovedFiles: removed.length,
      numAddedFiles: written.adds.length,
      numDeletedRows: deleted,
      numCopiedRows: kept.length,
      numRemovedBytes: removed.reduce((n, f) => n + f.size, 0),
      numAddedBytes: written.bytes,
    };
    this.commit(version, ts, prev, { operation: 'DELETE', parameters: { predicate: JSON.stringify([where]) }, metrics, blindAppend: false, removes: removed, adds: written.adds });
    return { version, operation: 'DELETE', filesAdded: written.adds.length, filesRemoved: removed.length, rowsWritten: written.rows, rowsInserted: 0, rowsUpdated: 0, rowsDeleted: deleted };
  }

  // ------------------------------------------------------------------ internals

  /**
   * Run one operation: until its commit lands, the data files and folders it made are removed
   * again if it fails or the process gets SIGINT/SIGTERM/SIGHUP (see PendingWrite), so the
   * table stays at its last version and a table this run was creating leaves no folder.
   */
  private async attempt(work: (pending: PendingWrite) => Promise<CommitResult>): Promise<CommitResult> {
    const pending = new PendingWrite(this.path);
    try {
      const result = await work(pending);
      pending.committed();
      return result;
    } catch (err) {
      pending.undo();
      throw err;
    }
  }

  private write(input: RowInput, mode: 'Append' | 'Overwrite', options: WriteOptions): Promise<CommitResult> {
    return this.attempt((pending) => this.writeRows(input, mode, options, pending));
  }

  private async writeRows(input: RowInput, mode: 'Append' | 'Overwrite', options: WriteOptions, pending: PendingWrite): Promise<CommitResult> {
    const prev = this.current();
    if (prev) checkWritable(this.path, prev, mode === 'Append' ? 'append' : 'overwrite');
    pending.madeFolders(this.makeFolder()); // a path that cannot be written fails before any input is read
    const it = batchesOf(input)[Symbol.asyncIterator]();
    const first = await it.next();
    if (first.done && !prev) throw new DatagenError('E_INPUT', `delta: no rows and no schema to create the table at ${this.path}`);
    const inSchema = first.done ? undefined : first.value.schema;
    const incoming = inSchema ? toDeltaSchema(inSchema) : prev!.schema;
    const { schema, added } = prev ? mergeSchemas(prev.schema, incoming, options.evolve ?? false, this.path) : { schema: incoming, added: [] };
    const version = prev ? prev.version + 1 : 0;
    const ts = this.commitTime(version, prev);
    let metaData: MetadataAction | undefined;
    if (!prev) {
      const schemaString = JSON.stringify(schema);
      metaData = {
        id: uuid4(Rng.seeded(0).fork('delta-table', this.name, schemaString, ts)),
        format: { provider: 'parquet', options: {} },
        schemaString,
        partitionColumns: [],
        configuration: {},
        createdTime: ts,
      };
    } else if (added.length > 0) metaData = { ...prev.metaData, schemaString: JSON.stringify(schema) };
    async function* rest(): AsyncGenerator<Batch> {
      if (first.done) return;
      yield first.value;
      for (;;) {
        const n = await it.next();
        if (n.done) return;
        yield n.value;
      }
    }
    const physical = toArrowSchema(schema, this.name, inSchema);
    const written = await writeDataFiles(this.path, (metaData ?? prev!.metaData).id, version, schema, conform(rest(), physical), this.fileOptions(ts), pending);
    const removes = mode === 'Overwrite' && prev ? prev.files : [];
    this.commit(version, ts, prev, {
      operation: 'WRITE',
      parameters: { mode, partitionBy: '[]' },
      metrics: { numFiles: written.adds.length, numOutputRows: written.rows, numOutputBytes: written.bytes, ...(removes.length > 0 ? { numRemovedFiles: removes.length } : {}) },
      blindAppend: mode === 'Append',
      metaData,
      removes,
      adds: written.adds,
    });
    return { version, operation: 'WRITE', filesAdded: written.adds.length, filesRemoved: removes.length, rowsWritten: written.rows, rowsInserted: written.rows, rowsUpdated: 0, rowsDeleted: 0 };
  }

  /** The latest snapshot, or undefined for a folder that is not a table yet (refused if it holds other files). */
  private current(): LogSnapshot | undefined {
    const snap = replayLog(this.path);
    if (snap) return snap;
    if (existsSync(this.path)) {
      if (!statSync(this.path).isDirectory()) throw new DatagenError('E_OUTPUT', `delta: ${this.path} is a file, not a table folder`);
      const others = readdirSync(this.path).filter((n) => n !== LOG_DIR && !n.startsWith('.'));
      if (others.length > 0) throw new DatagenError('E_OUTPUT', `delta: ${this.path} holds files but no Delta log (${others[0]}, ...); not making it a table`);
    }
    return undefined;
  }

  /** Create the table folder if needed; returns the folders created. */
  private makeFolder(): string[] {
    try {
      return ensureDir(this.path);
    } catch (err) {
      throw new DatagenError('E_OUTPUT', `delta: cannot create ${this.path}: ${describeIoError(err)}`);
    }
  }

  private withArrow(snap: LogSnapshot): DeltaSnapshot {
    return { ...snap, arrowSchema: toArrowSchema(snap.schema, this.name) };
  }

  /** Commit times: fixed (base + version seconds) or the clock, strictly after the previous commit. */
  private commitTime(version: number, prev: LogSnapshot | undefined): number {
    if (this.fixedTime !== undefined) return this.fixedTime + version * SECOND;
    const now = Date.now(); // a writer's real commit time: metadata, not generated data
    return prev && now <= prev.timestamp ? prev.timestamp + 1 : now;
  }

  private fileOptions(ts: number) {
    return { compression: this.compression, rowsPerFile: this.rowsPerFile, timestampMs: ts };
  }

  private async writeFiles(tableId: string, version: number, schema: DeltaSchema, hints: Schema | undefined, rows: Row[], ts: number, pending: PendingWrite): Promise<WrittenFiles> {
    const physical = toArrowSchema(schema, this.name, hints);
    async function* batches(): AsyncGenerator<Batch> {
      for (let i = 0; i < rows.length; i += 8192) yield { schema: physical, rows: rows.slice(i, i + 8192), offset: i };
    }
    return writeDataFiles(this.path, tableId, version, schema, batches(), this.fileOptions(ts), pending);
  }

  /** A data file's rows in the table's current columns (columns it predates read as null). */
  private readFile(file: AddAction, schema: DeltaSchema): Row[] {
    const path = dataFilePath(this.path, file.path);
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch (err) {
      throw new DatagenError('E_INPUT', `delta: cannot read data file ${path}: ${describeIoError(err)}`);
    }
    const { schema: fileSchema, batches } = readParquet(bytes);
    // Other writers may store timestamps in other units: bring them to microseconds.
    const scale = new Map<string, number>();
    for (const f of fileSchema.fields) {
      if (f.type.typeId === Type.Timestamp) {
        const unit = (f.type as Timestamp).unit;
        if (unit !== TimeUnit.MICROSECOND) scale.set(f.name, unit === TimeUnit.SECOND ? 1e6 : unit === TimeUnit.MILLISECOND ? 1e3 : 1e-3);
      }
    }
    const names = schema.fields.map((f) => f.name);
    const out: Row[] = [];
    for (const b of batches) {
      for (const r of b.rows) {
        const row: Row = {};
        for (const n of names) {
          const v: Value | undefined = r[n];
          const k = scale.get(n);
          row[n] = v === undefined ? null : k !== undefined && typeof v === 'number' ? Math.round(v * k) : v;
        }
        out.push(row);
      }
    }
    return out;
  }

  private commit(
    version: number,
    ts: number,
    prev: LogSnapshot | undefined,
    c: {
      operation: 'WRITE' | 'MERGE' | 'DELETE';
      parameters: Record<string, string>;
      metrics: Record<string, number>;
      blindAppend: boolean;
      metaData?: MetadataAction;
      removes: readonly AddAction[];
      adds: readonly AddAction[];
    },
  ): void {
    const commitInfo: CommitInfo = {
      timestamp: ts,
      operation: c.operation,
      operationParameters: c.parameters,
      ...(prev ? { readVersion: prev.version } : {}),
      isolationLevel: 'Serializable',
      isBlindAppend: c.blindAppend,
      operationMetrics: Object.fromEntries(Object.entries(c.metrics).map(([k, v]) => [k, String(v)])),
      engineInfo: `datagen/${engineVersion()}`,
      txnId: uuid4(Rng.seeded(0).fork('delta-txn', (c.metaData ?? prev!.metaData).id, version, ts)),
    };
    const actions: Action[] = [{ commitInfo }];
    if (!prev) actions.push({ protocol: { minReaderVersion: 1, minWriterVersion: 2 } });
    if (c.metaData) actions.push({ metaData: c.metaData });
    for (const f of c.removes) actions.push({ remove: removeOf(f, ts) });
    for (const f of c.adds) actions.push({ add: f });
    writeCommit(this.path, version, actions, ts);
  }
}

function removeOf(f: AddAction, ts: number): RemoveAction {
  const r: RemoveAction = { path: f.path, deletionTimestamp: ts, dataChange: true, extendedFileMetadata: true, partitionValues: f.partitionValues ?? {}, size: f.size };
  if (f.stats !== undefined) r.stats = f.stats;
  return r;
}

/** Tables this writer can change safely: reader 1 / writer 2, unpartitioned, no invariants. */
function checkWritable(path: string, snap: LogSnapshot, op: 'append' | 'overwrite' | 'merge' | 'delete'): void {
  const { minReaderVersion: r, minWriterVersion: w } = snap.protocol;
  if (r > 1 || w > 2) {
    throw new DatagenError('E_OUTPUT', `delta: ${path} needs reader version ${r} and writer version ${w}; datagen writes tables of reader version 1 and writer version 2 at most`);
  }
  if (snap.metaData.partitionColumns.length > 0) throw new DatagenError('E_OUTPUT', `delta: ${path} is partitioned by ${snap.metaData.partitionColumns.join(', ')}; datagen writes unpartitioned tables only`);
  if (snap.schema.fields.some((f) => 'delta.invariants' in f.metadata)) throw new DatagenError('E_OUTPUT', `delta: ${path} has column invariants, which datagen cannot check`);
  if (op !== 'append' && snap.metaData.configuration['delta.appendOnly'] === 'true') {
    throw new DatagenError('E_OUTPUT', `delta: ${path} is append-only (delta.appendOnly=true); ${op} would change or remove rows`);
  }
}

function checkReadable(path: string, snap: LogSnapshot): void {
  if (snap.protocol.minReaderVersion > 1) throw new DatagenError('E_INPUT', `delta: ${path} needs reader version ${snap.protocol.minReaderVersion}; datagen reads version 1 tables`);
  if (snap.metaData.partitionColumns.length > 0) throw new DatagenError('E_INPUT', `delta: ${path} is partitioned; datagen reads unpartitioned tables only`);
}

/** Parse a commit time: ISO timestamp (UTC unless it has an offset), date, or epoch milliseconds. */
export function parseCommitTime(value: string | number): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  if (typeof value === 'string') {
    const text = value.trim();
    const days = parseDate(text);
    if (days !== undefined && days >= 0) return days * 86_400_000;
    const micros = parseTimestamp(text);
    if (micros !== undefined && micros >= 0) return Math.floor(micros / 1000);
  }
  throw new DatagenError('E_OPTION', `delta: commit-time must be an ISO timestamp such as 2024-01-01T00:00:00Z, got ${JSON.stringify(value)}`);
}

function batchesOf(input: RowInput): AsyncIterable<Batch> {
  if ('batches' in input && typeof input.batches === 'function') return input.batches();
  if (Symbol.asyncIterator in input) return input as AsyncIterable<Batch>;
  const sync = input as Iterable<Batch>;
  return (async function* () {
    yield* sync;
  })();
}

/** All input rows in the table's form (merge needs them all to match keys), and their schema. */
async function collectRows(input: RowInput, prev: LogSnapshot): Promise<{ schema: Schema | undefined; rows: Row[] }> {
  let schema: Schema | undefined;
  const rows: Row[] = [];
  const all = (async function* () {
    for await (const b of batchesOf(input)) {
      schema ??= b.schema;
      yield b;
    }
  })();
  // The physical schema is only needed for time conversion, which reads each batch's own schema.
  for await (const b of conform(all, toArrowSchema(prev.schema, 'merge'))) for (const r of b.rows) rows.push(r);
  return { schema, rows };
}

/** Input batches in the table's Arrow schema: time-of-day values become their "HH:MM:SS" text. */
async function* conform(batches: AsyncIterable<Batch>, physical: Schema): AsyncGenerator<Batch> {
  let seen: Schema | undefined;
  let times: string[] = [];
  for await (const b of batches) {
    if (b.schema !== seen) {
      seen = b.schema;
      times = b.schema.fields.filter((f) => kindOf(f.type) === 'time').map((f) => f.name);
    }
    // The batch belongs to this stage (stage contract): its rows are changed in place.
    for (const name of times) {
      for (const r of b.rows) {
        const v = r[name];
        if (typeof v === 'number') r[name] = formatTime(v);
      }
    }
    yield { schema: physical, rows: b.rows, offset: b.offset };
  }
}

function mergeKeys(key: string | readonly string[] | undefined, table: DeltaSchema, incoming: DeltaSchema, path: string): string[] {
  const given = typeof key === 'string' ? key.split(',').map((k) => k.trim()).filter(Boolean) : [...(key ?? [])];
  const keys = given.length > 0 ? given : schemaKeys(table);
  if (keys.length === 0) throw new DatagenError('E_OPTION', `delta: merge needs --key (the table at ${path} records no key columns)`);
  for (const k of keys) {
    if (!table.fields.some((f) => f.name === k)) {
      throw new DatagenError('E_UNKNOWN_COLUMN', `delta: merge key '${k}' is not a column of the table at ${path} (columns: ${table.fields.map((f) => f.name).join(', ')})`);
    }
    if (!incoming.fields.some((f) => f.name === k)) throw new DatagenError('E_UNKNOWN_COLUMN', `delta: merge key '${k}' is not a column of the input`);
  }
  return keys;
}

/**
 * The input of a merge into a table that does not exist yet, which creates it (a WRITE): the
 * keys are checked against the input's first batch before anything is written, and each row
 * must have a key, once, as a merge into an existing table requires. A mistyped --key would
 * otherwise create a table keyed by nothing.
 */
async function newTableMergeInput(input: RowInput, key: MergeOptions['key'], path: string): Promise<RowInput> {
  const it = batchesOf(input)[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done) return [];
  const incoming = toDeltaSchema(first.value.schema);
  const columns = incoming.fields.map((f) => f.name);
  const given = typeof key === 'string' ? key.split(',').map((k) => k.trim()).filter(Boolean) : [...(key ?? [])];
  const keys = given.length > 0 ? given : schemaKeys(incoming);
  if (keys.length === 0) throw new DatagenError('E_OPTION', `delta: merge needs --key (there is no table at ${path} yet, and the input records no key columns)`);
  for (const k of keys) {
    if (!columns.includes(k)) throw new DatagenError('E_UNKNOWN_COLUMN', `delta: merge key '${k}' is not a column of the input (columns: ${columns.join(', ')})`);
  }
  return (async function* () {
    const seen = new Set<string>();
    let i = 0;
    for (let next: IteratorResult<Batch> = first; !next.done; next = await it.next()) {
      for (const r of next.value.rows) {
        const missing = keys.find((k) => r[k] === null || r[k] === undefined);
        if (missing) throw new DatagenError('E_INPUT', `delta: merge input row ${i} has no value in key column ${missing}`);
        const k = JSON.stringify(keys.map((c) => r[c]));
        if (seen.has(k)) throw new DatagenError('E_INPUT', `delta: merge input has key ${describeKey(keys, r)} more than once (row ${i})`);
        seen.add(k);
        i++;
      }
      yield next.value;
    }
  })();
}

function describeKey(keys: readonly string[], r: Row): string {
  return keys.map((k) => `${k}=${JSON.stringify(r[k])}`).join(', ');
}

function lowerBound<T>(sorted: readonly T[], x: T, cmp: (a: T, b: T) => number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cmp(sorted[mid]!, x) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

let version: string | undefined;
function engineVersion(): string {
  version ??= (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  return version;
}
