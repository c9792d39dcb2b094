import { randomUUID } from 'node:crypto';
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatagenError } from '../core/errors.js';
import { describeIoError, ensureDir, stopping } from '../codecs/output.js';

/**
 * The anomaly ledger: one entry per changed cell, the answer key a data-quality check is
 * scored against. It travels beside the data, never inside it. Entries are buffered per batch
 * and flushed in one write, so several processes of one shell pipe can append to the same
 * file (O_APPEND keeps each write whole).
 */
export type JsonValue = string | number | boolean | null;

export interface LedgerEntry {
  stage: string;
  table: string;
  /** Table index of the row (0-based; in a pipe, the line number of the stage's input - 1). */
  row: number;
  /** The row's key columns and their values, when the schema declares a key. */
  key?: Record<string, JsonValue>;
  column: string;
  kind: string;
  before: JsonValue;
  after: JsonValue;
  /** malform: what a strict typed load makes of `after` (rejected, accepted_same, accepted_other, text). */
  load?: string;
  /** Datasets written in shards (--shards n, n > 1): the shard whose file holds the row. */
  shard?: number;
  /** Increments (--increment k): the batch that wrote the row. */
  batch?: number;
}

/**
 * What a stage was asked to do and how many rows it saw: written when the stage opens and
 * closes, so `datagen ledger summary` can set injected counts against configured rates.
 */
export interface StageEvent {
  event: 'open' | 'close';
  /** Which run wrote it (file ledgers): the stages of one pipe share a run. */
  run?: string;
  stage: string;
  table: string;
  /** The options the stage was made with (on open). */
  options?: Readonly<Record<string, unknown>>;
  /** Rows the stage received and passed on (on close). */
  rowsIn?: number;
  rowsOut?: number;
  /** Datasets written in shards: the shard this stage ran on. */
  shard?: number;
}

export interface Ledger {
  record(entry: LedgerEntry): void;
  /**
   * Set on a ledger that wants only how many changes were made (a command's summary line
   * without --ledger): stages call tally() instead of building entries, which costs as much
   * as the change itself.
   */
  readonly countOnly?: boolean;
  tally?(changes: number): void;
  event(e: StageEvent): void;
  /** Called after each batch: persist what was recorded so far. */
  flush(): void;
  close(): void;
}

/** Drops entries: used when nobody asked for a ledger. */
export const nullLedger: Ledger = { record() {}, event() {}, flush() {}, close() {} };

/** Counts the changes stages make, and keeps nothing else (see Ledger.countOnly). */
export function countLedger(): Ledger & { readonly changes: number } {
  let changes = 0;
  return {
    countOnly: true,
    get changes() {
      return changes;
    },
    record() {
      changes++;
    },
    tally(n) {
      changes += n;
    },
    event() {},
    flush() {},
    close() {},
  };
}

/** Keeps entries in memory (tests and small TypeScript runs). */
export function memoryLedger(): Ledger & { entries: LedgerEntry[]; events: StageEvent[] } {
  const entries: LedgerEntry[] = [];
  const events: StageEvent[] = [];
  return { entries, events, record: (e) => void entries.push(e), event: (e) => void events.push(e), flush() {}, close() {} };
}

export interface FileLedgerOptions {
  /**
   * The run writing: stage events carry it, and several stages of one run (a shell pipe) share
   * the file. Default: a new id.
   */
  run?: string;
  /** Replace a ledger that holds another run's lines (default: refuse it). */
  overwrite?: boolean;
}

/**
 * Appends JSON lines to a file, creating it (and its folder) if needed. The file is opened when
 * the first lines are written, which in a pipe is after every stage upstream wrote its own:
 * a file that already holds lines of another run is refused (a re-run would otherwise mix two
 * answer keys) unless `overwrite`; lines of this run (another stage of the same pipe) are
 * joined.
 */
export function fileLedger(path: string, options: FileLedgerOptions = {}): Ledger {
  const run = options.run ?? randomUUID();
  let fd: number | undefined;
  const open = (): number => {
    try {
      if (stopping()) throw new DatagenError('E_OUTPUT', `not writing ledger ${path}: the run is stopping`);
      ensureDir(dirname(path));
      const previous = firstLineRun(path);
      const join = previous === undefined || previous.run === run;
      if (!join && !options.overwrite) {
        throw new DatagenError('E_OUTPUT', `ledger ${path} already holds the lines of another run${previous.run ? ` (${previous.run})` : ''}; pass --overwrite to replace it, or name another file`);
      }
      return openSync(path, join ? 'a' : 'w');
    } catch (err) {
      if (err instanceof DatagenError) throw err;
      throw new DatagenError('E_OUTPUT', `cannot open ledger ${path}: ${describeIoError(err)}`);
    }
  };
  let pending: string[] = [];
  return {
    record(e) {
      pending.push(JSON.stringify(e));
    },
    event(e) {
      const { event, ...rest } = e;
      pending.push(JSON.stringify({ event, run, ...rest }));
    },
    flush() {
      if (pending.length === 0) return;
      fd ??= open();
      writeSync(fd, pending.join('\n') + '\n');
      pending = [];
    },
    close() {
      this.flush();
      if (fd !== undefined) closeSync(fd);
    },
  };
}

/** The run of a ledger's first line; undefined when the file is absent or empty. */
function firstLineRun(path: string): { run?: string } | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const buf = Buffer.alloc(4096);
    const n = readSync(fd, buf, 0, buf.length, 0);
    if (n === 0) return undefined;
    const text = buf.toString('utf8', 0, n);
    const line = text.slice(0, text.indexOf('\n') >= 0 ? text.indexOf('\n') : n);
    try {
      const first = JSON.parse(line) as { run?: unknown };
      return { run: typeof first.run === 'string' ? first.run : undefined };
    } catch {
      return {};
    }
  } finally {
    closeSync(fd);
  }
}
