import { closeSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatagenError } from './errors.js';
import { describeIoError, ensureDir } from './output.js';

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
}

/**
 * What a stage was asked to do and how many rows it saw: written when the stage opens and
 * closes, so `datagen ledger summary` can set injected counts against configured rates.
 */
export interface StageEvent {
  event: 'open' | 'close';
  stage: string;
  table: string;
  /** The options the stage was made with (on open). */
  options?: Readonly<Record<string, unknown>>;
  /** Rows the stage received and passed on (on close). */
  rowsIn?: number;
  rowsOut?: number;
}

export interface Ledger {
  record(entry: LedgerEntry): void;
  event(e: StageEvent): void;
  /** Called after each batch: persist what was recorded so far. */
  flush(): void;
  close(): void;
}

/** Drops entries: used when nobody asked for a ledger. */
export const nullLedger: Ledger = { record() {}, event() {}, flush() {}, close() {} };

/** Keeps entries in memory (tests and small TypeScript runs). */
export function memoryLedger(): Ledger & { entries: LedgerEntry[]; events: StageEvent[] } {
  const entries: LedgerEntry[] = [];
  const events: StageEvent[] = [];
  return { entries, events, record: (e) => void entries.push(e), event: (e) => void events.push(e), flush() {}, close() {} };
}

/** Appends JSON lines to a file, creating it (and its folder) if needed. */
export function fileLedger(path: string): Ledger {
  let fd: number;
  try {
    ensureDir(dirname(path));
    fd = openSync(path, 'a');
  } catch (err) {
    throw new DatagenError('E_OUTPUT', `cannot open ledger ${path}: ${describeIoError(err)}`);
  }
  let pending: string[] = [];
  return {
    record(e) {
      pending.push(JSON.stringify(e));
    },
    event(e) {
      pending.push(JSON.stringify(e));
    },
    flush() {
      if (pending.length === 0) return;
      writeSync(fd, pending.join('\n') + '\n');
      pending = [];
    },
    close() {
      this.flush();
      closeSync(fd);
    },
  };
}
