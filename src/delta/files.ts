import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, linkSync, openSync, readFileSync, rmdirSync, rmSync, utimesSync, write } from 'node:fs';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { DatagenError } from '../core/errors.js';
import { describeIoError, onAbort, openTemps, type Output } from '../codecs/output.js';
import { writeParquet, type ParquetCodec } from '../codecs/parquet-io.js';
import { Rng } from '../random/rng.js';
import { uuid4 } from '../random/uuid.js';
import type { Batch } from '../core/stage.js';
import { commitFileName, LOG_DIR, type AddAction } from './log.js';
import type { DeltaSchema } from './schema.js';
import { StatsCollector } from './stats.js';

/**
 * Data files: Parquet, `part-NNNNN-<uuid>-c000.<codec>.parquet` in the table folder, a new file
 * every `rowsPerFile` rows.
 *
 * The uuid is not random: it is drawn (src/random) from a stream named by the table id, the
 * version, the file's index in the commit and the SHA-256 of the file's bytes. Same inputs and
 * commit time, same names, so a table is reproducible byte for byte; and different bytes never
 * share a name, so two writers racing for one version cannot replace each other's files. A file
 * appears whole under its final name (hard link from a temporary file) and is never
 * overwritten (PROTOCOL.md "Data Files"); if the name exists already, it holds these very bytes.
 */
export interface DataFileOptions {
  compression: ParquetCodec;
  rowsPerFile: number;
  /** add.modificationTime, and the file's mtime. */
  timestampMs: number;
}

export interface WrittenFiles {
  adds: AddAction[];
  rows: number;
  bytes: number;
}

const CODEC_TAG: Record<ParquetCodec, string> = { snappy: '.snappy', zstd: '.zstd', gzip: '.gz', brotli: '.brotli', lz4: '.lz4raw', none: '' };
let tempCounter = 0;
const writeAsync = promisify(write);

/**
 * What one commit attempt put in the table folder before its commit: the data files it created
 * and the folders it made. Until `committed()`, a failure (`undo()`) or a signal (the handler
 * runs the undos registered with onAbort) removes them, so a failed or interrupted run leaves
 * the table as it was — and no empty folder where it created a new table.
 */
export class PendingWrite {
  private readonly files: string[] = [];
  private readonly folders: string[] = [];
  private version = Infinity;
  private readonly unregister: () => void;

  constructor(private readonly table: string) {
    this.unregister = onAbort(() => this.undo());
  }

  /** Folders this attempt created (outermost first). */
  madeFolders(folders: readonly string[]): void {
    this.folders.push(...folders);
  }

  /** A data file this attempt created under its final name, for commit `version`. */
  madeFile(path: string, version: number): void {
    this.files.push(path);
    this.version = Math.min(this.version, version);
  }

  /** The commit landed: nothing to undo any more. */
  committed(): void {
    this.unregister();
    this.files.length = 0;
    this.folders.length = 0;
  }

  /** Remove what this attempt made (synchronous: signal handlers call it just before exiting). */
  undo(): void {
    this.unregister();
    const referenced = this.referencedSince();
    for (const f of this.files) if (!referenced(basename(f))) rmSync(f, { force: true });
    this.files.length = 0;
    // Only empty folders go: a folder someone else wrote into meanwhile stays.
    const dirs = [...this.folders];
    if (dirs.includes(this.table)) dirs.push(join(this.table, LOG_DIR));
    for (const d of dirs.reverse()) {
      try {
        rmdirSync(d);
      } catch {
        // not empty, or not there
      }
    }
    this.folders.length = 0;
  }

  /**
   * A file name a commit of this version or later refers to. Names come from the bytes, so a
   * concurrent writer of identical data may have committed the very file this attempt linked:
   * that one must stay.
   */
  private referencedSince(): (name: string) => boolean {
    const texts: string[] = [];
    for (let v = this.version; Number.isFinite(v); v++) {
      const commit = join(this.table, LOG_DIR, commitFileName(v));
      if (!existsSync(commit)) break;
      try {
        texts.push(readFileSync(commit, 'utf8'));
      } catch {
        break;
      }
    }
    return (name) => texts.some((t) => t.includes(name));
  }
}

/** Write `batches` (already in the table's Arrow schema) as data files of commit `version`. */
export async function writeDataFiles(
  table: string,
  tableId: string,
  version: number,
  schema: DeltaSchema,
  batches: AsyncIterable<Batch>,
  options: DataFileOptions,
  pending?: PendingWrite,
): Promise<WrittenFiles> {
  const input = batches[Symbol.asyncIterator]();
  const result: WrittenFiles = { adds: [], rows: 0, bytes: 0 };
  let carry: Batch | undefined;
  const nextNonEmpty = async (): Promise<Batch | undefined> => {
    for (;;) {
      const n = await input.next();
      if (n.done) return undefined;
      if (n.value.rows.length > 0) return n.value;
    }
  };
  for (let index = 0; ; index++) {
    const first = carry ?? (await nextNonEmpty());
    carry = undefined;
    if (!first) break;
    const stats = new StatsCollector(schema.fields, basename(table));
    // This file's rows: at most rowsPerFile; the rest of a batch is carried to the next file.
    async function* part(): AsyncGenerator<Batch> {
      let room = options.rowsPerFile;
      let b: Batch | undefined = first;
      while (b) {
        if (b.rows.length > room) {
          carry = { schema: b.schema, rows: b.rows.slice(room), offset: b.offset + room };
          b = { schema: b.schema, rows: b.rows.slice(0, room), offset: b.offset };
        }
        stats.add(b.rows, b.offset);
        room -= b.rows.length;
        yield b;
        if (room === 0) return;
        b = await nextNonEmpty();
      }
    }
    const add = await writeOne(table, tableId, version, index, part(), stats, options, pending);
    result.adds.push(add);
    result.rows += stats.numRecords;
    result.bytes += add.size;
  }
  return result;
}

async function writeOne(
  table: string,
  tableId: string,
  version: number,
  index: number,
  rows: AsyncIterable<Batch>,
  stats: StatsCollector,
  options: DataFileOptions,
  pending: PendingWrite | undefined,
): Promise<AddAction> {
  const temp = join(table, `.part-${String(index).padStart(5, '0')}.tmp-${process.pid}-${++tempCounter}`);
  const hash = createHash('sha256');
  let size = 0;
  openTemps.add(temp);
  try {
    let fd: number;
    try {
      fd = openSync(temp, 'wx');
    } catch (err) {
      throw new DatagenError('E_OUTPUT', `delta: cannot write in ${table}: ${describeIoError(err)}`);
    }
    try {
      const out: Output = {
        // Asynchronous writes: each one returns to the event loop, so SIGINT/SIGTERM are
        // handled mid-file (synchronous writes let a whole table be committed after Ctrl-C).
        async write(chunk) {
          const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
          try {
            for (let at = 0; at < bytes.length; ) at += (await writeAsync(fd, bytes, at, bytes.length - at)).bytesWritten;
          } catch (err) {
            throw new DatagenError('E_OUTPUT', `delta: cannot write in ${table}: ${describeIoError(err)}`);
          }
          hash.update(bytes);
          size += bytes.length;
        },
        async close() {},
        abort() {},
      };
      // writeParquet rethrows a failure of the rows (it does not end the file early).
      const written = await writeParquet(out, rows, { compression: options.compression });
      if (written !== stats.numRecords) throw new DatagenError('E_OUTPUT', `delta: the Parquet writer took ${written} of ${stats.numRecords} rows for ${table}`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    const digest = hash.digest('hex');
    const uuid = uuid4(Rng.seeded(0).fork('delta-data-file', tableId, version, index, digest));
    const name = `part-${String(index).padStart(5, '0')}-${uuid}-c000${CODEC_TAG[options.compression]}.parquet`;
    utimesSync(temp, options.timestampMs / 1000, options.timestampMs / 1000);
    try {
      linkSync(temp, join(table, name));
      pending?.madeFile(join(table, name), version);
    } catch (err) {
      // Taken: the name is derived from these bytes, so the file there is this one (an earlier
      // failed run, or a concurrent writer of identical data). It is never replaced.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new DatagenError('E_OUTPUT', `delta: cannot write ${join(table, name)}: ${describeIoError(err)}`);
    }
    return {
      path: name, // URI-encoding leaves these characters as they are
      partitionValues: {},
      size,
      modificationTime: options.timestampMs,
      dataChange: true,
      stats: JSON.stringify(stats.stats()),
    };
  } finally {
    rmSync(temp, { force: true });
    openTemps.delete(temp);
  }
}
