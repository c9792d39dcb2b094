import { closeSync, existsSync, fsyncSync, linkSync, openSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DatagenError } from '../core/errors.js';
import { describeIoError, ensureDir, openTemps } from '../codecs/output.js';
import { parseSchemaString, type DeltaSchema } from './schema.js';

/**
 * The transaction log (PROTOCOL.md "Delta Log Entries", "Actions", "Action Reconciliation"):
 * `_delta_log/<20-digit version>.json`, one action per line. Versions are replayed in order;
 * the latest protocol and metaData win, and a data file is in the table while its newest
 * action is an `add`. Only JSON commits are read: datagen writes no checkpoints, so a table
 * whose early commits were cleaned up after a checkpoint is refused rather than misread.
 */
export const LOG_DIR = '_delta_log';

export interface ProtocolAction {
  minReaderVersion: number;
  minWriterVersion: number;
  readerFeatures?: string[];
  writerFeatures?: string[];
}
export interface MetadataAction {
  id: string;
  name?: string;
  description?: string;
  format: { provider: string; options: Record<string, string> };
  schemaString: string;
  partitionColumns: string[];
  createdTime?: number;
  configuration: Record<string, string>;
}
export interface AddAction {
  path: string;
  partitionValues: Record<string, string>;
  size: number;
  modificationTime: number;
  dataChange: boolean;
  stats?: string;
  tags?: Record<string, string>;
  deletionVector?: unknown;
}
export interface RemoveAction {
  path: string;
  deletionTimestamp?: number;
  dataChange: boolean;
  extendedFileMetadata?: boolean;
  partitionValues?: Record<string, string>;
  size?: number;
  stats?: string;
  deletionVector?: unknown;
}
export interface CommitInfo {
  timestamp: number;
  operation: string;
  operationParameters: Record<string, string>;
  readVersion?: number;
  isolationLevel?: string;
  isBlindAppend?: boolean;
  operationMetrics?: Record<string, string>;
  engineInfo?: string;
  txnId?: string;
  [other: string]: unknown;
}
/** One line of a commit. Unknown actions (txn, cdc, domainMetadata, ...) are kept as they are. */
export type Action =
  | { commitInfo: CommitInfo }
  | { protocol: ProtocolAction }
  | { metaData: MetadataAction }
  | { add: AddAction }
  | { remove: RemoveAction }
  | Record<string, unknown>;

export const commitFileName = (version: number) => `${String(version).padStart(20, '0')}.json`;
const COMMIT_RE = /^(\d{20})\.json$/;

/** Committed versions, ascending; [] when there is no log. Gaps are refused (see above). */
export function listVersions(table: string): number[] {
  const dir = join(table, LOG_DIR);
  if (!existsSync(dir)) return [];
  const versions = readdirSync(dir)
    .map((name) => COMMIT_RE.exec(name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
  versions.forEach((v, i) => {
    if (v !== i) {
      throw new DatagenError('E_INPUT', `delta: ${table} has no commit ${commitFileName(i)} (older commits were cleaned up after a checkpoint?); datagen reads only JSON commits from version 0`);
    }
  });
  return versions;
}

export function readCommit(table: string, version: number): Action[] {
  const file = join(table, LOG_DIR, commitFileName(version));
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new DatagenError('E_INPUT', `delta: cannot read ${file}: ${describeIoError(err)}`);
  }
  return text.split('\n').flatMap((line, i) => {
    if (line.trim() === '') return [];
    try {
      return [JSON.parse(line) as Action];
    } catch {
      throw new DatagenError('E_INPUT', `delta: ${file} line ${i + 1} is not JSON`);
    }
  });
}

/** The table as of one version: what every reader computes by replaying the log. */
export interface LogSnapshot {
  version: number;
  /** commitInfo.timestamp of that version (milliseconds), or the commit file's mtime without one. */
  timestamp: number;
  protocol: ProtocolAction;
  metaData: MetadataAction;
  schema: DeltaSchema;
  /** Active data files, in the order they were added. */
  files: AddAction[];
}

/** Rows a snapshot holds: its active files' numRecords statistics (files without them count 0). */
export function snapshotRows(snapshot: Pick<LogSnapshot, 'files'>): number {
  return snapshot.files.reduce((n, f) => n + (f.stats ? (JSON.parse(f.stats) as { numRecords: number }).numRecords : 0), 0);
}

export function replayLog(table: string, version?: number): LogSnapshot | undefined {
  const versions = listVersions(table);
  if (versions.length === 0) return undefined;
  const last = versions.length - 1;
  const upTo = version ?? last;
  if (!Number.isSafeInteger(upTo) || upTo < 0 || upTo > last) {
    throw new DatagenError('E_OPTION', `delta: ${table} has versions 0 to ${last}, got version ${JSON.stringify(version)}`);
  }
  let protocol: ProtocolAction | undefined;
  let metaData: MetadataAction | undefined;
  let timestamp = 0;
  const files = new Map<string, AddAction>();
  for (let v = 0; v <= upTo; v++) {
    const actions = readCommit(table, v);
    let info: CommitInfo | undefined;
    // Actions of one commit are not ordered: removes first, so a file removed and added again stays.
    for (const a of actions) if ('remove' in a) files.delete((a.remove as RemoveAction).path);
    for (const a of actions) {
      if ('add' in a) {
        const add = a.add as AddAction;
        if (add.deletionVector) throw new DatagenError('E_INPUT', `delta: ${table} version ${v} uses deletion vectors, which datagen does not read`);
        files.set(add.path, add);
      } else if ('metaData' in a) metaData = a.metaData as MetadataAction;
      else if ('protocol' in a) protocol = a.protocol as ProtocolAction;
      else if ('commitInfo' in a) info = a.commitInfo as CommitInfo;
    }
    timestamp = typeof info?.timestamp === 'number' ? info.timestamp : statSync(join(table, LOG_DIR, commitFileName(v))).mtimeMs;
  }
  if (!protocol || !metaData) throw new DatagenError('E_INPUT', `delta: ${table} has no ${protocol ? 'metaData' : 'protocol'} action up to version ${upTo}`);
  const schema = parseSchemaString(metaData.schemaString, table);
  return { version: upTo, timestamp, protocol, metaData, schema, files: [...files.values()] };
}

/** Where an add/remove path points: relative paths are URI-encoded under the table folder. */
export function dataFilePath(table: string, path: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(path)) {
    if (path.startsWith('file:')) return fileURLToPath(path);
    throw new DatagenError('E_INPUT', `delta: ${table} refers to ${path}; datagen reads only local files`);
  }
  return join(table, decodeURIComponent(path));
}

let tempCounter = 0;

/** writeSync may write fewer bytes than asked: loop until all are written. */
export function writeAll(fd: number, bytes: Uint8Array): void {
  for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
}

/**
 * Create `final` from `text` so that it appears whole or not at all, and only if no file has
 * that name: the bytes go to a temporary file (flushed to disk), which is then hard-linked to
 * the final name. link(2) fails with EEXIST when the name is taken, which is how two writers
 * racing for the same version learn that one of them lost; rename would silently replace.
 * Returns false when the name was taken.
 */
export function createExclusive(final: string, write: (fd: number) => void, mtimeMs?: number): boolean {
  const dir = join(final, '..');
  const temp = join(dir, `.${final.slice(dir.length + 1)}.tmp-${process.pid}-${++tempCounter}`);
  openTemps.add(temp);
  try {
    const fd = openSync(temp, 'wx');
    try {
      write(fd);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (mtimeMs !== undefined) utimesSync(temp, mtimeMs / 1000, mtimeMs / 1000);
    try {
      linkSync(temp, final);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    }
    return true;
  } finally {
    rmSync(temp, { force: true });
    openTemps.delete(temp);
  }
}

/**
 * Commit `actions` as `version`. Exclusive: if another writer committed that version first,
 * this fails with E_OUTPUT and nothing of this run is in the table (the table operation then
 * removes the data files it had written; see PendingWrite in files.ts).
 */
export function writeCommit(table: string, version: number, actions: readonly Action[], timestampMs: number): void {
  const dir = join(table, LOG_DIR);
  const final = join(dir, commitFileName(version));
  const text = Buffer.from(actions.map((a) => JSON.stringify(a)).join('\n') + '\n');
  let created: boolean;
  try {
    ensureDir(dir);
    // The commit file's mtime is the commit time too: Spark's time travel by timestamp reads it.
    created = createExclusive(final, (fd) => writeAll(fd, text), timestampMs);
  } catch (err) {
    throw new DatagenError('E_OUTPUT', `delta: cannot commit version ${version} of ${table}: ${describeIoError(err)}`);
  }
  if (!created) {
    throw new DatagenError('E_OUTPUT', `delta: version ${version} of ${table} was committed by another writer first; this run committed nothing (run it again to write version ${version + 1})`);
  }
}
