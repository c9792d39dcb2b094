import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { Flags } from '@oclif/core';
import cliProgress from 'cli-progress';
import { outputBytes } from '../codecs/output.js';
import { countLedger, fileLedger, type FileLedgerOptions, type Ledger } from '../anomaly/ledger.js';
import type { Batch, Sink, Source } from '../core/stage.js';

/**
 * Live progress and the summary line on stderr (README "Progress and summaries"). stdout
 * carries data only, so everything here writes to stderr.
 *
 * - Every command that writes data ends with one summary line (`datagen: ...`), unless --quiet.
 * - Progress is drawn by the command that writes the final output (generate, the sink
 *   commands); `pipe`, the transforms and a command handing NDJSON or Arrow IPC on to another
 *   process print only their summary: several processes drawing on one terminal garble it.
 * - It is drawn when stderr is a terminal and the run has lasted a second, or from the start
 *   with --progress (then also when stderr is not a terminal: a line per second).
 * - On the hot path it costs two additions per batch: the counters are read by cli-progress's
 *   timer, which redraws at most FPS times a second.
 */

/** Runs shorter than this never draw progress on a terminal (only their summary). */
const SHOW_AFTER_MS = 1000;
const FPS = 10;
/** Without a terminal (--progress into a file or pipe), one line per this many ms. */
const NOT_TTY_EVERY_MS = 1000;

/** --quiet for commands that print a summary but never draw (pipe, transforms). */
export const quietFlag = {
  quiet: Flags.boolean({ char: 'q', description: 'print no summary on stderr' }),
};

/** --quiet and --progress for the commands that may draw (generate, sinks). */
export const progressFlags = {
  quiet: Flags.boolean({ char: 'q', description: 'print no progress or summary on stderr' }),
  progress: Flags.boolean({
    description: 'draw progress on stderr from the start, even when stderr is not a terminal (default: on a terminal, once a run has lasted a second)',
  }),
};

export interface ProgressOptions {
  quiet?: boolean;
  /** --progress: draw from the start, terminal or not. */
  progress?: boolean;
  /** This command may draw (the last stage of a pipe): see the rules above. */
  draw?: boolean;
  stream?: NodeJS.WriteStream;
}

/** One line of progress: a stream of rows, or a table of a dataset. */
export class ProgressLine {
  rows = 0;
  bytes = 0;
  readonly started = performance.now();
  bar?: cliProgress.SingleBar;
  constructor(
    readonly label: string,
    readonly total?: number,
    /** Rows are counted (else the line shows the time only: dataset tables). */
    readonly counted = true,
  ) {}

  tick(rows: number, bytes = 0): void {
    this.rows += rows;
    this.bytes += bytes;
  }

  /**
   * What the terminal shows, redrawn by cli-progress's timer; the bar comes last, so a narrow
   * terminal (lines are cut to its width) loses it first.
   */
  text(): string {
    const seconds = (performance.now() - this.started) / 1000;
    const parts = [this.label];
    // Pieces encoded in worker threads (--workers) come with their bytes only: no row count then.
    const rows = this.counted && (this.rows > 0 || this.bytes === 0);
    const share = rows && this.total && this.total > 0 ? Math.min(1, this.rows / this.total) : undefined;
    if (share !== undefined) parts.push(`${Math.floor(share * 100)}%`);
    if (rows) parts.push(`${count(this.rows)} rows`, `${count(Math.round(this.rows / Math.max(seconds, 0.001)))} rows/s`);
    if (this.bytes > 0) parts.push(bytes(this.bytes));
    parts.push(`${seconds.toFixed(1)}s`);
    if (share !== undefined) parts.push(`[${cliProgress.Format.BarFormat(share, BAR)}]`);
    return parts.join('  ');
  }
}

const BAR = { barsize: 10, barCompleteString: '='.repeat(11), barIncompleteString: '-'.repeat(11), barGlue: '' } as cliProgress.Options;

/**
 * A command's reporter: start(label, total?) a line, tick(rows, bytes) per batch, stop(summary)
 * at the end, which clears the drawing and prints the summary line.
 */
export class Progress {
  private readonly stream: NodeJS.WriteStream;
  private readonly quiet: boolean;
  private readonly draws: boolean;
  private readonly lines: ProgressLine[] = [];
  private bars?: cliProgress.MultiBar;
  private timer?: NodeJS.Timeout;
  private current?: ProgressLine;

  constructor(o: ProgressOptions) {
    this.stream = o.stream ?? process.stderr;
    this.quiet = Boolean(o.quiet);
    this.draws = !this.quiet && Boolean(o.draw) && (Boolean(o.progress) || this.stream.isTTY === true);
    if (this.draws) {
      // Lines are drawn once the run has lasted SHOW_AFTER_MS: short runs print their summary only.
      this.timer = setTimeout(() => this.show(), o.progress ? 0 : SHOW_AFTER_MS);
      this.timer.unref();
    }
  }

  /** Whether this reporter draws at all (tests, and the benchmark's comparison). */
  get drawing(): boolean {
    return this.draws;
  }

  start(label: string, total?: number, counted = true): ProgressLine {
    const line = new ProgressLine(label, total, counted);
    this.lines.push(line);
    this.current = line;
    if (this.bars) this.add(line);
    return line;
  }

  /** Rows (and bytes) for the line started last. */
  tick(rows: number, bytes = 0): void {
    this.current?.tick(rows, bytes);
  }

  /** A line is done: it disappears from the drawing (its own summary, if any, goes through say). */
  end(line: ProgressLine): void {
    const at = this.lines.indexOf(line);
    if (at >= 0) this.lines.splice(at, 1);
    if (line.bar && this.bars) this.bars.remove(line.bar);
    line.bar = undefined;
  }

  /** A line of its own on stderr (`datagen: ...`), above the drawing if there is one. */
  say(text: string): void {
    if (this.quiet) return;
    // On a terminal, above the drawing (cli-progress moves the cursor); elsewhere lines only append.
    if (this.bars && this.stream.isTTY) this.bars.log(`datagen: ${text}\n`);
    else this.stream.write(`datagen: ${text}\n`);
  }

  /** Seconds since the process started: in a shell pipe every stage's clock starts together. */
  seconds(): number {
    return performance.now() / 1000;
  }

  /** Clear the drawing; then print the summary line, if given. Safe to call twice (errors). */
  stop(summary?: string): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.bars) {
      const bars = this.bars;
      this.bars = undefined;
      if (this.stream.isTTY) bars.update(); // lines said since the last redraw (stop then clears the drawing)
      bars.stop(); // elsewhere: the last counts, as a line of their own
    }
    if (summary !== undefined) this.say(summary);
  }

  private show(): void {
    if (!this.draws || this.bars) return;
    const tty = this.stream.isTTY === true;
    this.bars = new cliProgress.MultiBar({
      stream: this.stream,
      fps: FPS,
      noTTYOutput: true,
      notTTYSchedule: NOT_TTY_EVERY_MS,
      // Wrapping stays on (lines are cut to the width instead): an interrupted run must not
      // leave the terminal without wrapping.
      linewrap: true,
      hideCursor: false,
      clearOnComplete: tty,
      format: (_o: unknown, _p: unknown, payload: { line: ProgressLine }) => payload.line.text(),
    } as cliProgress.Options);
    for (const line of this.lines) this.add(line);
  }

  private add(line: ProgressLine): void {
    line.bar = this.bars!.create(0, 0, { line });
  }
}

/** The rows a source hands out, counted per batch. */
export function countedSource(source: Source, onBatch: (batch: Batch) => void): Source {
  return {
    ...source,
    async *batches() {
      for await (const b of source.batches()) {
        onBatch(b);
        yield b;
      }
    },
  };
}

/**
 * The rows a sink takes, counted per batch, with the bytes written so far (src/codecs/output.ts).
 * A sink written from encoded pieces (--workers) keeps that ability; its pieces count bytes only.
 */
export function countedSink(sink: Sink, p: Progress, onBatch?: (batch: Batch) => void): Sink {
  let seen = outputBytes();
  const bytesSince = () => {
    const now = outputBytes();
    const d = now - seen;
    seen = now;
    return d;
  };
  const chunked = sink.chunked && {
    ...sink.chunked,
    write: (schema: Parameters<NonNullable<Sink['chunked']>['write']>[0], pieces: AsyncIterable<Uint8Array>, done?: (piece: Uint8Array) => void) =>
      sink.chunked!.write(
        schema,
        (async function* () {
          for await (const piece of pieces) {
            p.tick(0, bytesSince());
            yield piece;
          }
        })(),
        done,
      ).then(() => p.tick(0, bytesSince())),
  };
  return {
    ...sink,
    ...(chunked ? { chunked } : {}),
    async write(batches) {
      await sink.write(
        (async function* () {
          for await (const b of batches) {
            onBatch?.(b);
            p.tick(b.rows.length, bytesSince());
            yield b;
          }
        })(),
      );
      p.tick(0, bytesSince()); // the last batch's bytes, and what closing the file wrote
    },
  };
}

/**
 * The ledger a command runs its stages with when it prints a summary: the --ledger file,
 * counting the entries recorded into it, or without one a ledger that only tallies changes
 * (stages then build no entries: see Ledger.countOnly).
 */
export function summaryLedger(path: string | undefined, options: FileLedgerOptions): Ledger & { entries(): number } {
  if (path) return countingLedger(fileLedger(path, options));
  const tally = countLedger();
  return Object.assign(tally, { entries: () => tally.changes });
}

/** A ledger that also counts its entries (the anomalies injected), for the summary line. */
export function countingLedger(inner: Ledger): Ledger & { entries(): number } {
  let n = 0;
  return {
    record(e) {
      n++;
      inner.record(e);
    },
    event: (e) => inner.event(e),
    flush: () => inner.flush(),
    close: () => inner.close(),
    entries: () => n,
  };
}

/**
 * Entries in a ledger file (its lines but the stage events): the anomalies a run wrote where it
 * was not counted as it went (worker threads). Read in blocks, not parsed.
 */
export function ledgerFileEntries(path: string): number {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return 0;
  }
  const EVENT = Buffer.from('{"event":');
  const buf = Buffer.alloc(1 << 20);
  let lines = 0;
  let events = 0;
  let atStart = true;
  let carry = Buffer.alloc(0);
  try {
    for (;;) {
      const got = readSync(fd, buf, 0, buf.length, null);
      if (got === 0) break;
      const chunk = carry.length > 0 ? Buffer.concat([carry, buf.subarray(0, got)]) : buf.subarray(0, got);
      let i = 0;
      carry = Buffer.alloc(0);
      for (;;) {
        if (atStart) {
          if (chunk.length - i < EVENT.length) {
            carry = Buffer.from(chunk.subarray(i));
            break;
          }
          if (chunk.subarray(i, i + EVENT.length).equals(EVENT)) events++;
          atStart = false;
        }
        const nl = chunk.indexOf(10, i);
        if (nl < 0) break;
        lines++;
        i = nl + 1;
        atStart = true;
      }
    }
  } finally {
    closeSync(fd);
  }
  return lines - events;
}

/** Whether stdout is a pipe: rows written there go on to another process (which may draw). */
export function stdoutIsPipe(): boolean {
  try {
    return fstatSync(1).isFIFO();
  } catch {
    return false;
  }
}

export function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** Decimal units (1 kB = 1000 bytes), one decimal. */
export function bytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n / 1000;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v.toFixed(1)} ${units[u]}`;
}

/** `, 1,234 anomalies` when they were counted: stages ran and recorded into a ledger (nothing otherwise). */
export function anomalies(n: number | undefined): string {
  return n === undefined ? '' : `, ${count(n)} ${n === 1 ? 'anomaly' : 'anomalies'}`;
}
