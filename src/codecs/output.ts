import { closeSync, createWriteStream, existsSync, mkdirSync, openSync, renameSync, rmSync, statSync, type WriteStream } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { DatagenError } from '../core/errors.js';

/**
 * Where a sink's bytes go: a file that appears whole or not at all, or stdout.
 *
 * A file is written as `.<name>.tmp-<pid>` beside its final path and renamed on success, so a
 * killed run leaves only a dot-file whose name says it is incomplete. Temporary files are listed
 * in `openTemps` before they are created, and writers that leave more than one file behind
 * (Delta data files, partitioned folders) register an undo with `onAbort`, so that a signal
 * handler can remove everything unfinished (`removeOpenTemps`). SIGKILL cannot be caught: it
 * may leave a temporary file, never a file under its final name.
 */
export interface Output {
  /**
   * Resolves when the bytes are accepted (waits for 'drain' when the consumer is slow).
   * `written` is called once the bytes left this process's buffers (their memory may be reused).
   */
  write(chunk: string | Uint8Array, written?: () => void): Promise<void>;
  /** Finish: flush, and for files rename the temporary file into place. */
  close(): Promise<void>;
  /** Give up: for files, remove the temporary file. */
  abort(): void;
}

export const openTemps = new Set<string>();

/**
 * Bytes this process wrote through outputs (files when complete, stdout as written): read by
 * the CLI's progress and summary line (src/cli/progress.ts). Counted per chunk, never per row.
 */
let bytesOut = 0;
export function outputBytes(): number {
  return bytesOut;
}
/** Bytes written by a writer that does not go through an Output (a database file): counted the same way. */
export function addOutputBytes(n: number): void {
  bytesOut += n;
}
const undos = new Set<() => void>();

/**
 * Register what to undo if the process is stopped by a signal before the work is done (files
 * this run completed but that belong to an unfinished whole). Synchronous, since the handler
 * exits right after. Returns the function that unregisters it, to call once the work is done.
 */
export function onAbort(undo: () => void): () => void {
  undos.add(undo);
  return () => undos.delete(undo);
}

/**
 * Remove every temporary file still open, then run the registered undos, newest first (signal
 * handlers call this before exiting). Never throws: a handler must still exit.
 */
export function removeOpenTemps(): void {
  for (const t of openTemps) {
    try {
      rmSync(t, { force: true });
    } catch {
      // nothing better to do while exiting
    }
  }
  openTemps.clear();
  for (const undo of [...undos].reverse()) {
    try {
      undo();
    } catch {
      // as above
    }
  }
  undos.clear();
}

/**
 * Open the destination, let `fill` write to it, then close it; on any failure remove what was
 * written (the temporary file) and rethrow. Every file sink writes through this.
 */
export async function withOutput(target: { path: string | undefined; overwrite?: boolean }, fill: (out: Output) => Promise<void>): Promise<void> {
  const out = await openOutput(target.path, { overwrite: target.overwrite });
  try {
    await fill(out);
    await out.close();
  } catch (err) {
    out.abort();
    throw err;
  }
}

export async function openOutput(path: string | undefined, options: { overwrite?: boolean } = {}): Promise<Output> {
  return path === undefined || path === '-' ? streamOutput(process.stdout) : fileOutput(path, options.overwrite ?? false);
}

/**
 * Set by a worker thread (src/scale/): when the main thread is stopped by a signal it raises
 * this flag, and the worker opens no new file (its own temporary files are not the main
 * thread's to list, so they are swept by name once the workers stopped opening them).
 */
let stopFlag: Int32Array | undefined;
export function stopOpeningWhen(flag: Int32Array): void {
  stopFlag = flag;
}
export function stopping(): boolean {
  return stopFlag !== undefined && Atomics.load(stopFlag, 0) !== 0;
}

async function fileOutput(path: string, overwrite: boolean): Promise<Output> {
  if (stopping()) throw new DatagenError('E_OUTPUT', `not writing ${path}: the run is stopping`);
  // A device or a named pipe (/dev/null, mkfifo) is written to, never replaced by a file.
  if (isSpecialFile(path)) return streamOutput(createWriteStream(path, { flags: 'w' }), path);
  if (!overwrite && existsSync(path)) throw new DatagenError('E_OUTPUT', `${path} already exists (pass --overwrite to replace it)`);
  const temp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}`);
  // Listed before it exists, and opened synchronously: a signal handler (which runs between
  // event-loop turns) never sees a temporary file that is being created but not yet listed.
  openTemps.add(temp);
  let stream: WriteStream;
  try {
    ensureDir(dirname(path));
    const fd = openSync(temp, 'w');
    try {
      stream = createWriteStream(temp, { fd });
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  } catch (err) {
    // The temporary file may not exist, and its path may not even be valid (under a file:
    // ENOTDIR; too long; a symlink loop): removing it must not replace the real error.
    try {
      rmSync(temp, { force: true });
    } catch {}
    openTemps.delete(temp);
    throw new DatagenError('E_OUTPUT', `cannot write ${path}: ${describeIoError(err)}`);
  }
  // `.gz`: gzip on the way to the file (zstd needs Node >= 22.15, so it is not offered here).
  const gzip = isGzipPath(path) ? createGzip() : undefined;
  if (gzip) gzip.pipe(stream);
  const inner = streamOutput(gzip ?? stream, path);
  // The file's own errors (disk full) reach the writer through the gzip stream too.
  if (gzip) stream.on('error', (err) => gzip.destroy(err));
  return {
    write: inner.write,
    async close() {
      try {
        (gzip ?? stream).end();
        await finished(stream);
        // Counted as written (before gzip); corrected to the bytes in the file once complete.
        bytesOut += stream.bytesWritten - inner.counted;
      } catch (err) {
        rmSync(temp, { force: true });
        openTemps.delete(temp);
        throw outputError(path, err);
      }
      try {
        renameSync(temp, path);
      } catch (err) {
        rmSync(temp, { force: true });
        throw new DatagenError('E_OUTPUT', `cannot write ${path}: ${describeIoError(err)}`);
      } finally {
        openTemps.delete(temp);
      }
    },
    abort() {
      gzip?.destroy();
      stream.destroy();
      rmSync(temp, { force: true });
      openTemps.delete(temp);
    },
  };
}

/**
 * A failed write as the user should see it: a closed pipe stays as it is (the CLI ends quietly
 * on EPIPE: the reader has what it wanted); anything else (disk full, I/O error) becomes
 * `cannot write <target>: <reason>` with code E_OUTPUT.
 */
function outputError(target: string, err: unknown): unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (err instanceof DatagenError || code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED' || code === 'ERR_STREAM_PREMATURE_CLOSE') return err;
  return new DatagenError('E_OUTPUT', `cannot write ${target}: ${describeIoError(err)}`);
}

function streamOutput(stream: Writable, target = 'stdout'): Output & { readonly counted: number } {
  let failure: unknown;
  let counted = 0;
  const onError = (err: Error) => {
    failure ??= outputError(target, err);
  };
  stream.on('error', onError);
  return {
    get counted() {
      return counted;
    },
    write(chunk, written) {
      if (failure) return Promise.reject(failure);
      let ready: boolean;
      const n = typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
      bytesOut += n;
      counted += n;
      try {
        ready = stream.write(chunk, written && ((err) => void (err ? undefined : written())));
      } catch (err) {
        // stdout on a file or a pipe writes synchronously: its errors are thrown here.
        failure ??= outputError(target, err);
        return Promise.reject(failure);
      }
      if (ready) return failure ? Promise.reject(failure) : Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const done = (err?: Error) => {
          stream.off('drain', done);
          stream.off('error', done);
          if (err) reject(failure ?? outputError(target, err));
          else resolve();
        };
        stream.on('drain', done);
        stream.on('error', done);
      });
    },
    async close() {
      if (failure) throw failure;
      if (stream === process.stdout) return; // never end the process's stdout
      // end's callback may run before the 'error' event: take the error it is given too.
      await new Promise<void>((resolve) =>
        stream.end((err?: Error | null) => {
          if (err) failure ??= outputError(target, err);
          resolve();
        }),
      );
      if (failure) throw failure;
    },
    abort() {},
  };
}

export function describeIoError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const reasons: Record<string, string> = {
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EROFS: 'read-only file system',
    ENOTDIR: 'a parent is not a folder',
    EISDIR: 'it is a folder',
    ENOSPC: 'no space left on device',
    EDQUOT: 'disk quota exceeded',
    EFBIG: 'file too large',
    EIO: 'input/output error',
    EEXIST: 'a file is in the way',
    ENOENT: 'no such file or folder',
    ENAMETOOLONG: 'name too long',
    EMFILE: 'too many open files',
  };
  return e?.code ? `${reasons[e.code] ?? e.message} (${e.code})` : String((err as Error)?.message ?? err);
}

/**
 * Create a folder and its missing parents one level at a time; returns the folders it created,
 * outermost first (so a failed run can remove what it made). (Node's recursive mkdirSync never
 * returns for some paths, e.g. under /proc, so we do not use it.)
 */
export function ensureDir(dir: string): string[] {
  if (existsSync(dir)) return [];
  const parent = dirname(dir);
  const made = parent !== dir ? ensureDir(parent) : [];
  try {
    mkdirSync(dir);
  } catch (err) {
    // Another process (a shard writing the same partition folder) made it in between: fine.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST' && statSync(dir).isDirectory()) return made;
    throw err;
  }
  made.push(dir);
  return made;
}

/** `out.csv.gz` is gzip-compressed CSV: the format is named by the extension before `.gz`. */
export function isGzipPath(path: string): boolean {
  return path.toLowerCase().endsWith('.gz');
}

/** A character device, FIFO or socket: something to write to, not a file to replace. */
function isSpecialFile(path: string): boolean {
  try {
    const st = statSync(path);
    return st.isCharacterDevice() || st.isFIFO() || st.isSocket() || st.isBlockDevice();
  } catch {
    return false;
  }
}
