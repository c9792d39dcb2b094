import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { Schema } from 'apache-arrow';
import { textEncoder } from './codec.js';
import { DatagenError } from '../core/errors.js';
import { describeIoError, ensureDir, onAbort } from './output.js';
import type { OptionsSpec, Options } from '../core/options.js';
import { columnNames, kindOf, tableName, type Kind, type Row, type Value } from '../core/schema.js';
import type { Batch } from '../core/stage.js';
import { formatDate, MICROS_PER_DAY, parseDate, parseTimestamp } from '../core/temporal.js';
import { partitionOptions } from './text-sink.js';
import type { SinkInfo } from '../core/units.js';

/**
 * Partitioned and rolled output for any file sink: rows go to a folder tree `key=value/...`
 * (Hive style) and, in each folder, to files named by a template that roll after a number of
 * rows or (about) bytes. Every file is written by the sink itself, made with `{...opts, path}`,
 * so it keeps that format's atomic write (temporary name, rename when complete).
 *
 * Determinism: files depend only on the sequence of rows. Rows are regrouped per file into
 * batches of BATCH_ROWS whatever batches came in, rolling is decided row by row, and the
 * least-recently-used writer is chosen by the row that last touched it.
 */

/** The options a partitioned write reads (declared once as `partitionOptions` in text-sink.ts). */
export interface PartitionSettings {
  path?: string;
  overwrite?: boolean;
  partitionBy?: string[];
  fileTemplate?: string;
  maxRows?: number;
  maxBytes?: number;
  maxOpen?: number;
  /**
   * Write beside what the folder already holds, removing nothing (not an option users give: a
   * dataset's shards share a table's folder and their file names never collide).
   */
  keepExisting?: boolean;
}

/** Rows per batch handed to a file's sink: fixed, so batch boundaries cannot change bytes. */
const BATCH_ROWS = 2048;
/** Batches queued for one file's sink before the producer waits (backpressure). */
const QUEUE_BATCHES = 2;
/** Longest escaped key or value in a folder name: `key=value` stays under 255 bytes. */
const MAX_PART = 120;
export const DEFAULT_PARTITION = '__HIVE_DEFAULT_PARTITION__';
export const DEFAULT_MAX_OPEN = 64;

const TRANSFORMS = ['day', 'month', 'year'] as const;
type Transform = (typeof TRANSFORMS)[number];

/**
 * True for a sink that spread the shared partition options (fileOptions does): the same
 * declaration object, so a sink with an unrelated option of the same name is left alone.
 */
export function declaresPartitioning(spec: OptionsSpec): boolean {
  return spec.partitionBy === partitionOptions.partitionBy;
}

/** True when these options ask for a folder of files rather than one file. */
export function wantsPartitioned(o: PartitionSettings): boolean {
  return (
    (o.partitionBy?.length ?? 0) > 0 ||
    o.fileTemplate !== undefined ||
    o.maxRows !== undefined ||
    o.maxBytes !== undefined ||
    (o.path !== undefined && /[\\/]$/.test(o.path))
  );
}

/** The file name template a sink uses when none is given: `part-{num:04}` + its first extension. */
export function defaultTemplate(extensions: readonly string[]): string {
  return `part-{num:04}${extensions[0] ?? ''}`;
}

// ------------------------------------------------------------------ partition keys

interface KeySpec {
  /** As the user wrote it (for messages). */
  text: string;
  /** Folder key name, escaped. */
  key: string;
  column: string;
  transform?: Transform;
}

/** `column`, `column:month`, `name=column`, `name=column:day` -> key specs (names checked, columns later). */
export function parsePartitionBy(owner: string, items: readonly string[]): KeySpec[] {
  const specs = items.map((text): KeySpec => {
    const eq = text.indexOf('=');
    const name = eq >= 0 ? text.slice(0, eq).trim() : undefined;
    const rest = eq >= 0 ? text.slice(eq + 1).trim() : text.trim();
    const colon = rest.lastIndexOf(':');
    const column = (colon >= 0 ? rest.slice(0, colon) : rest).trim();
    const transform = colon >= 0 ? rest.slice(colon + 1).trim() : undefined;
    if (name === '' || column === '') {
      throw new DatagenError('E_OPTION', `${owner}: partition-by must be column, column:day|month|year or name=column[:transform], got ${JSON.stringify(text)}`);
    }
    if (transform !== undefined && !(TRANSFORMS as readonly string[]).includes(transform)) {
      throw new DatagenError('E_OPTION', `${owner}: partition-by transform must be one of ${TRANSFORMS.join(', ')}, got ${JSON.stringify(transform)} in ${JSON.stringify(text)}`);
    }
    return { text, key: escapePart(name ?? transform ?? column), column, transform: transform as Transform | undefined };
  });
  const seen = new Set<string>();
  for (const s of specs) {
    if (seen.has(s.key)) throw new DatagenError('E_OPTION', `${owner}: partition-by names the folder key '${s.key}' twice (give one a name: name=column:transform), got ${JSON.stringify(items.join(','))}`);
    seen.add(s.key);
  }
  return specs;
}

/**
 * Folder-name text for any value: characters outside [A-Za-z0-9._-] become %XX of their UTF-8
 * bytes (as Hive escapes, and as readers such as DuckDB and Spark decode), and so does a
 * leading '.', so no value can name '.', '..', a hidden file, or a path. Longer than MAX_PART,
 * it is cut at a character boundary and ends in '~' and 16 hex digits of its SHA-256 ('~'
 * cannot come from escaping, so a cut value never equals a short one).
 */
export function escapePart(text: string): string {
  if (text.length <= MAX_PART && /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(text)) return text;
  const pieces: string[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 45 || (c === 46 && i > 0)) {
      pieces.push(text[i]!);
      continue;
    }
    let code = c;
    // A surrogate pair is one character; a lone surrogate is kept as its own three bytes
    // (WTF-8) rather than replaced, so two different values never share a folder.
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        code = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      }
    }
    pieces.push(utf8(code).map((b) => '%' + (b < 16 ? '0' : '') + b.toString(16).toUpperCase()).join(''));
  }
  const full = pieces.join('');
  if (full.length <= MAX_PART) return full;
  let cut = '';
  for (const p of pieces) {
    if (cut.length + p.length > MAX_PART - 17) break;
    cut += p;
  }
  return cut + '~' + createHash('sha256').update(text).digest('hex').slice(0, 16);
}

function utf8(code: number): number[] {
  if (code < 0x80) return [code];
  if (code < 0x800) return [0xc0 | (code >> 6), 0x80 | (code & 63)];
  if (code < 0x10000) return [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 63), 0x80 | (code & 63)];
  return [0xf0 | (code >> 18), 0x80 | ((code >> 12) & 63), 0x80 | ((code >> 6) & 63), 0x80 | (code & 63)];
}

/** A calendar text of a day number: YYYY-MM-DD, YYYY-MM or YYYY (the date as CSV writes it, cut). */
function dayText(days: number, transform: Transform): string {
  const date = formatDate(days); // ends in -MM-DD whatever the year's width
  return transform === 'year' ? date.slice(0, -6) : transform === 'month' ? date.slice(0, -3) : date;
}

/** Day number of a date or timestamp value (UTC), including ISO text a stage left in the column; undefined if none. */
function daysOf(kind: Kind, v: Value): number | undefined {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return undefined;
    return kind === 'timestamp' ? Math.floor(v / MICROS_PER_DAY) : Math.floor(v);
  }
  if (typeof v !== 'string') return undefined;
  const day = parseDate(v);
  if (day !== undefined) return day;
  const ts = parseTimestamp(v);
  return ts === undefined ? undefined : Math.floor(ts / MICROS_PER_DAY);
}

/**
 * Row -> its folder, relative to the output folder ('' without keys). Each key's last value and
 * folder part are kept: consecutive rows usually share them.
 */
function compileKeys(owner: string, schema: Schema, specs: readonly KeySpec[]): (row: Row) => string {
  const parts = specs.map((spec) => {
    const field = schema.fields.find((f) => f.name === spec.column);
    if (!field) {
      throw new DatagenError('E_UNKNOWN_COLUMN', `${owner}: unknown column '${spec.column}' in partition-by ${JSON.stringify(spec.text)}, table ${tableName(schema)} (columns: ${columnNames(schema).join(', ')})`);
    }
    const kind = kindOf(field.type);
    const transform = spec.transform;
    if (transform && kind !== 'date' && kind !== 'timestamp') {
      throw new DatagenError('E_OPTION', `${owner}: partition-by ${JSON.stringify(spec.text)}: ${transform} needs a date or timestamp column, ${spec.column} is ${kind}`);
    }
    const encode = textEncoder(kind, (field.type as { scale?: number }).scale ?? 0);
    // Hive and Spark put nulls and empty strings in the default partition; so does a date a
    // stage made unreadable when a transform needs its calendar day.
    const text = (v: Value | undefined): string | undefined => {
      if (v === null || v === undefined || v === '') return undefined;
      if (!transform) return encode(v);
      const days = daysOf(kind, v);
      return days === undefined ? undefined : dayText(days, transform);
    };
    const prefix = spec.key + '=';
    let primed = false;
    let last: Value | undefined;
    let lastPart = '';
    return (row: Row) => {
      const v = row[spec.column];
      if (!primed || v !== last) {
        primed = true;
        last = v;
        const t = text(v);
        lastPart = prefix + (t === undefined ? DEFAULT_PARTITION : escapePart(t));
      }
      return lastPart;
    };
  });
  if (parts.length === 0) return () => '';
  if (parts.length === 1) return parts[0]!;
  return (row) => {
    let path = parts[0]!(row);
    for (let i = 1; i < parts.length; i++) path += '/' + parts[i]!(row);
    return path;
  };
}

/**
 * The size --max-bytes counts for a row: the UTF-8 bytes of each value's text (as CSV writes
 * it, without quotes) plus one separator or line end per value. It depends only on the row, so
 * files roll at the same rows whatever the batch size or the speed of the disk.
 */
function compileRowBytes(schema: Schema): (row: Row) => number {
  const cols = schema.fields.map((f) => [f.name, textEncoder(kindOf(f.type), (f.type as { scale?: number }).scale ?? 0)] as const);
  return (row) => {
    let n = cols.length;
    for (const [name, encode] of cols) {
      const v = row[name];
      if (v === null || v === undefined) continue;
      n += typeof v === 'string' ? Buffer.byteLength(v) : encode(v).length;
    }
    return n;
  };
}

// ------------------------------------------------------------------ file name templates

interface Template {
  text: string;
  hasNum: boolean;
  render(num: number): string;
  /** Names this template makes (for --overwrite). */
  pattern: RegExp;
}

/** `part-{num:04}.csv`, `events_{num}.jsonl`, `sensors.csv`: a file name with optional {num} or {num:0W}. */
export function parseTemplate(owner: string, text: string): Template {
  const bad = (why: string): never => {
    throw new DatagenError('E_OPTION', `${owner}: file-template must be ${why}, got ${JSON.stringify(text)}`);
  };
  // Our temporary files are dot-files; a name with a folder in it could leave the partition.
  if (text === '' || /[\\/\0]/.test(text) || text.startsWith('.')) bad("a file name (no '/' or '\\', not starting with '.')");
  const pieces: Array<string | number> = []; // literal text, or the zero-padded width of {num}
  let pos = 0;
  for (const m of text.matchAll(/\{([^{}]*)\}/g)) {
    pieces.push(text.slice(pos, m.index));
    const w = /^num(?::0?([1-9]))?$/.exec(m[1]!);
    if (!w) bad('a file name whose only placeholder is {num} or {num:04}');
    pieces.push(Number(w![1] ?? 1));
    pos = m.index + m[0].length;
  }
  pieces.push(text.slice(pos));
  if (pieces.some((p) => typeof p === 'string' && /[{}]/.test(p))) bad('a file name whose only placeholder is {num} or {num:04}');
  const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return {
    text,
    hasNum: pieces.some((p) => typeof p === 'number'),
    render: (num) => pieces.map((p) => (typeof p === 'number' ? String(num).padStart(p, '0') : p)).join(''),
    pattern: new RegExp('^' + pieces.map((p) => (typeof p === 'number' ? '\\d+' : escapeRe(p))).join('') + '$'),
  };
}

// ------------------------------------------------------------------ the output folder

/**
 * What an existing output folder holds. Without --overwrite it must be empty. With --overwrite
 * it may hold only what a partitioned run writes — `key=value` folders, files named by the
 * template or with the sink's extensions, leftover temporary files — and all of it is removed
 * before the first file is written, so old partitions never mix with new ones. Anything else
 * is refused, and nothing is removed.
 */
function checkFolder(owner: string, out: string, overwrite: boolean, template: Template, extensions: readonly string[]): string[] {
  if (!existsSync(out)) return [];
  if (!statSync(out).isDirectory()) throw new DatagenError('E_OUTPUT', `${owner}: ${out} is a file; partitioned output needs a folder`);
  const entries = readdirSync(out);
  if (entries.length === 0) return [];
  if (!overwrite) throw new DatagenError('E_OUTPUT', `${owner}: ${out} is not empty (pass --overwrite to replace the partitioned output in it)`);
  const exts = extensions.map((e) => e.toLowerCase());
  const ours = (name: string) => {
    const lower = name.toLowerCase().replace(/\.gz$/, '');
    return template.pattern.test(name) || exts.some((e) => lower.endsWith(e)) || /^\..+\.tmp-\d+$/.test(name);
  };
  const scan = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const st = lstatSync(path);
      if (st.isDirectory() && /^[^.=][^=]*=/.test(name)) scan(path);
      else if (!(st.isFile() && ours(name))) {
        throw new DatagenError('E_OUTPUT', `${owner}: will not --overwrite ${out}: it holds ${relative(out, path)}, which partitioned output does not write (remove it or choose another --out)`);
      }
    }
  };
  scan(out);
  return entries.map((e) => join(out, e));
}

// ------------------------------------------------------------------ one file's sink, fed by a queue

/** Batches for one file's sink: the producer waits while QUEUE_BATCHES are queued (backpressure). */
class BatchQueue implements AsyncIterable<Batch> {
  private items: Batch[] = [];
  private ended = false;
  private failure: { err: unknown } | undefined;
  private wakeConsumer: (() => void) | undefined;
  private wakeProducer: (() => void) | undefined;

  push(batch: Batch): Promise<void> {
    this.items.push(batch);
    this.wake();
    if (this.items.length < QUEUE_BATCHES) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.wakeProducer = resolve;
    });
  }

  end(): void {
    this.ended = true;
    this.wake();
  }

  /** Make the sink's loop throw (it then removes its temporary file). */
  fail(err: unknown): void {
    this.failure = { err };
    this.wake();
  }

  private wake(): void {
    const w = this.wakeConsumer;
    this.wakeConsumer = undefined;
    w?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Batch> {
    for (;;) {
      if (this.failure) throw this.failure.err;
      const batch = this.items.shift();
      if (batch) {
        const w = this.wakeProducer;
        this.wakeProducer = undefined;
        w?.();
        yield batch;
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((resolve) => {
        this.wakeConsumer = resolve;
      });
    }
  }
}

interface OpenFile {
  folder: string;
  path: string;
  /** Unknown only for the one file of an input with no batches at all. */
  schema: Schema | undefined;
  /** Rows given to this file, and their estimated bytes (for rolling). */
  rows: number;
  bytes: number;
  /** Rows not yet handed to the sink (handed over BATCH_ROWS at a time). */
  pending: Row[];
  sent: number;
  queue: BatchQueue;
  /** The sink's write: resolves when the file is renamed into place. */
  done: Promise<void>;
  /** Rejects when the sink fails, never resolves otherwise (raced against waits). */
  failed: Promise<never>;
}

// ------------------------------------------------------------------ the write

/**
 * The write function of a sink asked for partitioned or rolled output. Options are checked
 * here, before any input is read; columns are checked against the first batch's schema.
 */
export function partitionedWrite<S extends OptionsSpec>(info: SinkInfo<S>, opts: Options<S>): (batches: AsyncIterable<Batch>) => Promise<void> {
  const o = opts as PartitionSettings;
  const owner = info.name;
  if (o.path === undefined || o.path === '-') {
    const asked = [o.partitionBy?.length ? `--partition-by ${o.partitionBy.join(',')}` : '', o.maxRows !== undefined ? '--max-rows' : '', o.maxBytes !== undefined ? '--max-bytes' : '', o.fileTemplate !== undefined ? '--file-template' : '']
      .filter(Boolean)
      .join(', ');
    throw new DatagenError('E_OPTION', `${owner}: ${asked} writes a folder of files: give the folder with --out FOLDER`);
  }
  const out = o.path;
  const keys = parsePartitionBy(owner, o.partitionBy ?? []);
  const template = parseTemplate(owner, o.fileTemplate ?? defaultTemplate(info.extensions));
  if (!template.hasNum && (o.maxRows !== undefined || o.maxBytes !== undefined)) {
    throw new DatagenError('E_OPTION', `${owner}: file-template needs {num} (e.g. part-{num:04}${info.extensions[0] ?? ''}) to roll over to new files with --max-rows or --max-bytes, got ${JSON.stringify(template.text)}`);
  }
  const maxRows = o.maxRows ?? Infinity;
  const maxBytes = o.maxBytes ?? Infinity;
  const maxOpen = o.maxOpen ?? DEFAULT_MAX_OPEN;
  // Each file's own sink, made as if the user had asked for that one file.
  const fileOpts = (path: string) =>
    ({ ...opts, path, overwrite: false, partitionBy: undefined, fileTemplate: undefined, maxRows: undefined, maxBytes: undefined }) as Options<S>;
  info.create(fileOpts(join(out, template.render(0)))); // the sink's own option checks, now rather than at the first file

  return async (batches) => {
    const stale = o.keepExisting ? [] : checkFolder(owner, out, o.overwrite ?? false, template, info.extensions);
    const createdOut = !existsSync(out);
    let cleared = false;
    const open = new Map<string, OpenFile>(); // in order of last use: the first is the least recent
    const unfinished = new Set<OpenFile>(); // open or closing
    const nextNum = new Map<string, number>();
    const written: string[] = [];
    const folders = new Set<string>();
    // Nothing half done stays behind (see the catch below): the same undo, synchronous, if a
    // signal stops the process. Unfinished files are temporary files, which the handler removes first.
    const undo = () => {
      for (const path of written) rmSync(path, { force: true });
      for (const folder of folders) removeEmptyFolders(out, join(out, folder));
      if (createdOut) removeEmptyFolders(dirname(out), out);
    };
    const unregister = onAbort(undo);

    const openFile = async (folder: string, schema: Schema | undefined): Promise<OpenFile> => {
      if (open.size >= maxOpen) await closeFile(open.values().next().value!);
      if (!cleared) {
        // Old output goes only now, once the columns are known to be right.
        for (const path of stale) rmSync(path, { recursive: true, force: true });
        cleared = true;
      }
      const num = nextNum.get(folder) ?? 0;
      if (num > 0 && !template.hasNum) {
        throw new DatagenError('E_OPTION', `${owner}: ${folder || out} needs a second file (its writer was closed to keep --max-open ${maxOpen}), but file-template ${JSON.stringify(template.text)} has no {num}: add {num} or raise --max-open`);
      }
      nextNum.set(folder, num + 1);
      folders.add(folder);
      const path = join(out, folder, template.render(num));
      try {
        ensureDir(join(out, folder)); // here, not left to the sink: not every sink goes through openOutput
      } catch (err) {
        throw new DatagenError('E_OUTPUT', `cannot write ${path}: ${describeIoError(err)}`);
      }
      const queue = new BatchQueue();
      const done = info.create(fileOpts(path))(queue).then(() => {
        written.push(path);
      });
      const failed = done.then(() => new Promise<never>(() => {}));
      done.catch(() => {}); // awaited when the file closes; this only marks it handled meanwhile
      failed.catch(() => {});
      const file: OpenFile = { folder, path, schema, rows: 0, bytes: 0, pending: [], sent: 0, queue, done, failed };
      open.set(folder, file);
      unfinished.add(file);
      return file;
    };

    const flush = async (file: OpenFile) => {
      const rows = file.pending;
      file.pending = [];
      const offset = file.sent;
      file.sent += rows.length;
      await Promise.race([file.queue.push({ schema: file.schema!, rows, offset }), file.failed]);
    };

    const closeFile = async (file: OpenFile) => {
      open.delete(file.folder);
      // A file given no rows (output without keys, empty input) still gets the schema, if known.
      if (file.pending.length > 0 || (file.sent === 0 && file.schema)) await flush(file);
      file.queue.end();
      await file.done;
      unfinished.delete(file);
    };

    try {
      let schema: Schema | undefined;
      let folderOf: (row: Row) => string = () => '';
      let bytesOf: ((row: Row) => number) | undefined;
      let lastFolder: string | undefined;
      let last: OpenFile | undefined;
      for await (const batch of batches) {
        if (batch.schema !== schema) {
          schema = batch.schema;
          folderOf = compileKeys(owner, schema, keys);
          bytesOf = o.maxBytes !== undefined ? compileRowBytes(schema) : undefined;
          // Rows already taken belong to the old schema: hand them over under it.
          for (const file of open.values()) {
            if (file.pending.length > 0) await flush(file);
            file.schema = schema;
          }
        }
        for (const row of batch.rows) {
          const folder = folderOf(row);
          let file = folder === lastFolder ? last : open.get(folder);
          if (file && folder !== lastFolder) {
            open.delete(folder); // the most recently used goes last
            open.set(folder, file);
          }
          const size = bytesOf ? bytesOf(row) : 0;
          if (file && (file.rows >= maxRows || (file.rows > 0 && file.bytes + size > maxBytes))) {
            await closeFile(file);
            file = undefined;
          }
          file ??= await openFile(folder, schema);
          file.pending.push(row);
          file.rows++;
          file.bytes += size;
          if (file.pending.length >= BATCH_ROWS) await flush(file);
          lastFolder = folder;
          last = file;
        }
      }
      // Without keys the output is one file even for no rows, so readers still see the schema.
      if (keys.length === 0 && nextNum.size === 0) await openFile('', schema);
      await Promise.all([...open.values()].map(closeFile));
      unregister();
    } catch (err) {
      // Nothing half done stays behind: unfinished files are abandoned (their sinks remove their
      // temporary files), files this run completed are removed, then the folders it made.
      for (const file of unfinished) file.queue.fail(err);
      await Promise.allSettled([...unfinished].map((f) => f.done));
      unregister();
      undo();
      throw err;
    }
  };
}

/** Remove `dir` and its parents up to (not including) `root` while they are empty. */
function removeEmptyFolders(root: string, dir: string): void {
  while (dir !== root && relative(root, dir) !== '' && !relative(root, dir).startsWith('..')) {
    try {
      rmdirSync(dir);
    } catch {
      return; // not empty, or gone already
    }
    dir = dirname(dir);
  }
}
