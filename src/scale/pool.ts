import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { DatagenError, type ErrorCode } from '../core/errors.js';
import { onAbort } from '../codecs/output.js';

/**
 * A fixed set of worker threads that run numbered tasks and hand the results back in task
 * order, whatever order the workers finish them in: what makes `--workers N` write the same
 * bytes as one thread. Memory stays bounded: at most `inFlight` tasks per worker are given out
 * ahead of the consumer, so a slow writer holds back the workers instead of piling up results.
 *
 * A worker that throws reports its error (a user mistake keeps its code and message); a worker
 * that stops without answering (killed, out of memory, process.exit) fails the run with
 * E_WORKER naming the task it held. Either way the other workers are stopped.
 */
export interface PoolOptions<I> {
  workers: number;
  /** Sent to every worker once, as its workerData (plain data: structured clone). */
  init: I;
  /** Tasks given to one worker ahead of the results taken (default 6: enough to keep workers busy while this thread is held up, e.g. by the Parquet writer encoding a row group). */
  inFlight?: number;
  /** Results that may wait for the consumer, ahead of the one it takes next (default workers x inFlight); small results (a dataset table's summary) can allow more. */
  ahead?: number;
  /** What a task is called in error messages, e.g. "chunk 12" or "table orders (shard 3)". */
  describe?(task: unknown, index: number): string;
  /** Filled in by the pool: send a worker a message of its own (e.g. a buffer to reuse). */
  channel?: { post?(worker: number, message: unknown, transfer?: ArrayBuffer[]): void };
}

/** A result, and the worker that made it. */
export interface Done<R> {
  result: R;
  worker: number;
}

/** What a worker posts back: a result, or the error it met. */
export type WorkerReply<R> = { id: number; result: R } | { id: number; error: { code?: string; message: string; stack?: string } };

/** The worker script, from the built files (tests that import src/ still start built workers). */
export function workerScript(): URL {
  return import.meta.url.endsWith('.ts') ? new URL('../../dist/src/scale/worker.js', import.meta.url) : new URL('./worker.js', import.meta.url);
}

/** `--workers`: a count, or auto (the cores this process may use). */
export function parseWorkers(owner: string, value: unknown): number {
  if (value === undefined || value === null) return 1;
  const text = String(value).trim();
  if (text === 'auto') return availableParallelism();
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < 1 || n > 256) {
    throw new DatagenError('E_OPTION', `${owner}: --workers must be a whole number from 1 to 256 or auto, got ${JSON.stringify(text)}`);
  }
  return n;
}

export async function* runOrdered<I, T, R>(tasks: readonly T[], options: PoolOptions<I>): AsyncGenerator<Done<R>> {
  const count = Math.max(1, Math.min(options.workers, tasks.length));
  const inFlight = Math.max(1, options.inFlight ?? 6);
  const ahead = Math.max(1, options.ahead ?? count * inFlight);
  const describe = options.describe ?? ((_t: unknown, i: number) => `task ${i}`);
  const results = new Map<number, Done<R>>();
  const held: Array<Set<number>> = [];
  let next = 0; // next task to give out
  let taken = 0; // next result to hand to the consumer
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const fail = (err: Error) => {
    failure ??= err;
    notify();
  };

  const workers: Worker[] = [];
  const dispatch = () => {
    // Give out tasks while the window of results not yet taken has room.
    for (let w = 0; w < workers.length && !failure; w++) {
      while (held[w]!.size < inFlight && next < tasks.length && next - taken < ahead) {
        held[w]!.add(next);
        workers[w]!.postMessage({ id: next, task: tasks[next] });
        next++;
      }
    }
  };

  // Raised when a signal stops the process: workers then open no new file (see stopOpeningWhen).
  const stop = new Int32Array(new SharedArrayBuffer(4));
  const undoAbort = onAbort(() => {
    Atomics.store(stop, 0, 1);
    // Give a worker in the middle of opening a file the time to list it on disk, for the sweep after this.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
  });
  for (let w = 0; w < count; w++) {
    const worker = new Worker(workerScript(), { workerData: { init: options.init, stop }, stdout: false, stderr: false });
    held.push(new Set());
    worker.on('message', (reply: WorkerReply<R>) => {
      held[w]!.delete(reply.id);
      if ('error' in reply) {
        const e = reply.error;
        fail(e.code && /^E_[A-Z_]+$/.test(e.code) ? new DatagenError(e.code as ErrorCode, e.message) : Object.assign(new Error(e.message), { stack: e.stack }));
        return;
      }
      results.set(reply.id, { result: reply.result, worker: w });
      dispatch();
      notify();
    });
    worker.on('error', (err) => {
      const task = [...held[w]!][0];
      const what = task === undefined ? '' : ` while on ${describe(tasks[task], task)}`;
      fail(new DatagenError('E_WORKER', `worker ${w + 1} of ${count} failed${what}: ${String(err.message).split('\n')[0]}; nothing complete was written`));
    });
    worker.on('exit', (code) => {
      if (held[w]!.size === 0 && next >= tasks.length) return;
      const task = [...held[w]!][0];
      const what = task === undefined ? '' : ` while on ${describe(tasks[task], task)}`;
      fail(new DatagenError('E_WORKER', `worker ${w + 1} of ${count} stopped (exit code ${code})${what}; nothing complete was written`));
    });
    workers.push(worker);
  }

  if (options.channel) {
    options.channel.post = (w, message, transfer) => {
      if (!failure) workers[w]?.postMessage(message, transfer ?? []);
    };
  }
  try {
    dispatch();
    while (taken < tasks.length) {
      if (failure) throw failure;
      if (results.has(taken)) {
        const r = results.get(taken)!;
        results.delete(taken);
        taken++;
        dispatch();
        yield r;
        continue;
      }
      await new Promise<void>((resolve) => (wake = resolve));
    }
    if (failure) throw failure;
  } finally {
    undoAbort();
    // Done, failed, or the consumer stopped early: no worker outlives the run.
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
