import { existsSync, fstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { Schema } from 'apache-arrow';
import { schemaFromJson, schemaToJson, type SchemaJson } from './schema.js';
import type { Batch, Sink } from './stage.js';

/**
 * What a datagen process tells the next one in a shell pipe, out of band: the schema of the
 * rows it writes (table, types, keys, decimal scales), its run id (stages of one pipe share a
 * ledger), and, when it finished, how many rows it wrote. The data itself stays plain NDJSON
 * (or Arrow IPC) that jq, DuckDB or anything else reads unchanged.
 *
 * Mechanism: both ends of a pipe see the same pipe inode (fstat of the producer's stdout and of
 * the consumer's stdin). The producer writes `<dir>/pipe-<dev>-<ino>.json` before its first
 * byte and `…end.json` after its last; the consumer reads the first once bytes arrive (or at
 * EOF) and the second at EOF, when the producer has exited, then removes both. A stream whose
 * producer announced itself but left no end record was cut (killed producer, failed stage):
 * the consumer refuses it. Input that is not a pipe, or a pipe from another program, has no
 * announcement: types are inferred, and completeness cannot be told.
 */
export interface Announcement {
  version: 1;
  pid: number;
  run: string;
  format: 'ndjson' | 'arrow';
  schema?: SchemaJson;
}

export interface EndRecord {
  pid: number;
  rows: number;
  /** The producer failed (and printed why): the consumer fails too, without a second message. */
  failed?: boolean;
}

const DIR = join(tmpdir(), `datagen-${safeUser()}`);

function safeUser(): string {
  try {
    const me = userInfo();
    return String(me.uid >= 0 ? me.uid : me.username);
  } catch {
    return 'user';
  }
}

/** The pipe on fd (0 or 1), or undefined when it is a file, a terminal or a socket. */
function pipeOf(fd: number): { key: string; created: number } | undefined {
  try {
    const st = fstatSync(fd);
    return st.isFIFO() ? { key: `pipe-${st.dev}-${st.ino}`, created: st.ctimeMs } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Files whose consumer never read them to the end (a producer piped into `head`, jq or
 * DuckDB, which know nothing of them) are removed by a later producer once a day old: long
 * after any consumer could still need them, and before they pile up.
 */
const STALE_MS = 24 * 3600 * 1000;

function sweep(): void {
  try {
    const now = Date.now();
    for (const name of readdirSync(DIR)) {
      if (!name.startsWith('pipe-')) continue;
      const path = join(DIR, name);
      try {
        if (now - statSync(path).mtimeMs > STALE_MS) rmSync(path, { force: true });
      } catch {
        // gone meanwhile: another producer swept it
      }
    }
  } catch {
    // no folder yet
  }
}

function writeAtomic(path: string, value: unknown): void {
  mkdirSync(DIR, { recursive: true, mode: 0o700 });
  const temp = `${path}.tmp-${process.pid}`;
  writeFileSync(temp, JSON.stringify(value));
  renameSync(temp, path);
}

function readJson<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/**
 * A sink that announces what it writes to stdout when stdout is a pipe: the schema before the
 * first byte, the row count after the last. Used by every command that writes rows to stdout.
 */
export function announcing(sink: Sink, info: { run: string; format: 'ndjson' | 'arrow' }): Sink {
  const pipe = pipeOf(1);
  if (!pipe) return sink;
  const base = join(DIR, pipe.key);
  return {
    kind: 'sink',
    name: sink.name,
    async write(batches) {
      let rows = 0;
      let announced = false;
      const announce = (schema: Schema | undefined) => {
        announced = true;
        sweep();
        rmSync(`${base}.end.json`, { force: true });
        const a: Announcement = { version: 1, pid: process.pid, run: info.run, format: info.format, ...(schema ? { schema: schemaToJson(schema) } : {}) };
        writeAtomic(`${base}.json`, a);
      };
      async function* counted(): AsyncGenerator<Batch> {
        for await (const b of batches) {
          if (!announced) announce(b.schema);
          rows += b.rows.length;
          yield b;
        }
      }
      await sink.write(counted());
      if (!announced) announce(undefined);
      const end: EndRecord = { pid: process.pid, rows };
      writeAtomic(`${base}.end.json`, end);
    },
  };
}

/**
 * Tell the command reading our stdout that we failed, so it fails without adding a second
 * error line to ours. Written whether or not rows were announced (a stage may fail on its
 * first batch, before it wrote anything).
 */
export function announceFailure(): void {
  const pipe = pipeOf(1);
  if (!pipe) return;
  const base = join(DIR, pipe.key);
  try {
    if (!existsSync(`${base}.json`)) writeAtomic(`${base}.json`, { version: 1, pid: process.pid, run: '', format: 'ndjson' } satisfies Announcement);
    writeAtomic(`${base}.end.json`, { pid: process.pid, rows: 0, failed: true } satisfies EndRecord);
  } catch {
    // Best effort: the consumer then reports a cut stream instead.
  }
}

/** The consumer's side of stdin's link, when its producer announced itself. */
export interface StdinLink {
  announcement: Announcement;
  schema?: Schema;
  /** At EOF: the producer's end record, or undefined when it never finished. The files are removed. */
  end(): EndRecord | undefined;
  /** At EOF of an empty stream: did the producer fail (before writing anything)? Removes the files when so. */
  failedEarly(): boolean;
}

/**
 * Read stdin's announcement, if any. Call once the first bytes arrived or stdin ended (the
 * producer writes it before its first byte).
 */
export function stdinLink(): StdinLink | undefined {
  const pipe = pipeOf(0);
  if (!pipe) return undefined;
  const base = join(DIR, pipe.key);
  const announcement = readJson<Announcement>(`${base}.json`);
  if (!announcement || announcement.version !== 1 || !current(`${base}.json`, pipe.created)) return undefined;
  return {
    announcement,
    schema: announcement.schema ? schemaFromJson(announcement.schema) : undefined,
    end() {
      const end = readJson<EndRecord>(`${base}.end.json`);
      rmSync(`${base}.json`, { force: true });
      rmSync(`${base}.end.json`, { force: true });
      return end && end.pid === announcement.pid ? end : undefined;
    },
    failedEarly() {
      const end = readJson<EndRecord>(`${base}.end.json`);
      if (!end?.failed) return false;
      this.end();
      return true;
    },
  };
}

/**
 * A leftover announcement (its consumer was killed before removing it) must not type a
 * stranger's rows if the inode is ever reused. The producer writes it after the pipe was made,
 * and a pipe's ctime is its creation time (pipes do not update it on writes), so a file last
 * written before that belongs to an older pipe.
 */
function current(path: string, created: number): boolean {
  try {
    return !(created > 0) || statSync(path).mtimeMs >= created - 1;
  } catch {
    return false;
  }
}
