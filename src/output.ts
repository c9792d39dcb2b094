import { createWriteStream, existsSync, mkdirSync, renameSync, rmSync, type WriteStream } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { DatagenError } from './errors.js';

/**
 * Where a sink's bytes go: a file that appears whole or not at all, or stdout.
 *
 * A file is written as `.<name>.tmp-<pid>` beside its final path and renamed on success, so a
 * killed run leaves only a dot-file whose name says it is incomplete. Temporary files still
 * open are listed in `openTemps` so that a signal handler can remove them.
 */
export interface Output {
  /** Resolves when the bytes are accepted (waits for 'drain' when the consumer is slow). */
  write(chunk: string | Uint8Array): Promise<void>;
  /** Finish: flush, and for files rename the temporary file into place. */
  close(): Promise<void>;
  /** Give up: for files, remove the temporary file. */
  abort(): void;
}

export const openTemps = new Set<string>();

/** Remove every temporary file still open (signal handlers call this before exiting). */
export function removeOpenTemps(): void {
  for (const t of openTemps) rmSync(t, { force: true });
  openTemps.clear();
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

async function fileOutput(path: string, overwrite: boolean): Promise<Output> {
  if (!overwrite && existsSync(path)) throw new DatagenError('E_OUTPUT', `${path} already exists (pass --overwrite to replace it)`);
  const temp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}`);
  let stream: WriteStream;
  try {
    ensureDir(dirname(path));
    stream = createWriteStream(temp);
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', reject);
    });
  } catch (err) {
    throw new DatagenError('E_OUTPUT', `cannot write ${path}: ${describeIoError(err)}`);
  }
  openTemps.add(temp);
  // `.gz`: gzip on the way to the file (zstd needs Node >= 22.15, so it is not offered here).
  const gzip = isGzipPath(path) ? createGzip() : undefined;
  if (gzip) gzip.pipe(stream);
  const inner = streamOutput(gzip ?? stream);
  return {
    write: inner.write,
    async close() {
      (gzip ?? stream).end();
      await finished(stream);
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

function streamOutput(stream: Writable): Output {
  let failure: Error | undefined;
  const onError = (err: Error) => {
    failure = err;
  };
  stream.on('error', onError);
  return {
    write(chunk) {
      if (failure) return Promise.reject(failure);
      if (stream.write(chunk)) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const done = (err?: Error) => {
          stream.off('drain', done);
          stream.off('error', done);
          if (err) reject(err);
          else resolve();
        };
        stream.on('drain', done);
        stream.on('error', done);
      });
    },
    async close() {
      if (failure) throw failure;
      if (stream === process.stdout) return; // never end the process's stdout
      await new Promise<void>((resolve) => stream.end(() => resolve()));
    },
    abort() {},
  };
}

export function describeIoError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const reasons: Record<string, string> = {
    EACCES: 'permission denied',
    EROFS: 'read-only file system',
    ENOTDIR: 'a parent is not a folder',
    EISDIR: 'it is a folder',
    ENOSPC: 'no space left on device',
    EEXIST: 'a file is in the way',
    ENOENT: 'no such file or folder',
  };
  return e.code ? `${reasons[e.code] ?? e.message} (${e.code})` : String(err);
}

/**
 * Create a folder and its missing parents one level at a time. (Node's recursive mkdirSync
 * never returns for some paths, e.g. under /proc, so we do not use it.)
 */
export function ensureDir(dir: string): void {
  if (existsSync(dir)) return;
  const parent = dirname(dir);
  if (parent !== dir) ensureDir(parent);
  mkdirSync(dir);
}

/** `out.csv.gz` is gzip-compressed CSV: the format is named by the extension before `.gz`. */
export function isGzipPath(path: string): boolean {
  return path.toLowerCase().endsWith('.gz');
}
