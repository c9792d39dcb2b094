import type { Schema } from 'apache-arrow';
import type { Row } from './schema.js';
import type { Ledger } from '../anomaly/ledger.js';

/**
 * The stage contract. Everything that moves between stages is a Batch: a few thousand rows
 * that share a schema, plus the table index of the first row. Moving batches instead of single
 * rows keeps per-object stream overhead off the hot path (measured 20-60x slower per row).
 *
 *   Source    -> AsyncIterable<Batch>          (seeded rows, or rows read from stdin)
 *   Transform -> (Batch) => Batch               (opened once with the input schema)
 *   Sink      -> consumes AsyncIterable<Batch>  (a file format, stdout)
 */
export interface Batch {
  readonly schema: Schema;
  readonly rows: Row[];
  /** Table index of rows[0]: row i of the table is rows[i - offset]. */
  readonly offset: number;
}

export interface StageContext {
  /** Where anomaly stages record every change they make. */
  readonly ledger: Ledger;
}

export interface Source {
  readonly kind: 'source';
  readonly name: string;
  /** Known up front for generated rows; rows read from a stream learn it from the first batch. */
  readonly schema?: Schema;
  batches(): AsyncIterable<Batch>;
}

export interface Transform {
  readonly kind: 'transform';
  readonly name: string;
  /** The options it runs with: those given, then the defaults (for the ledger, `describe` and docs). */
  readonly options?: Readonly<Record<string, unknown>>;
  /**
   * Called once with the input schema before the first batch (validate columns here), returns
   * the per-batch function. A batch belongs to the stage that receives it: a transform may
   * change its rows in place and pass it on (sources hand out fresh row objects for every
   * batch, so this is safe and spares a copy per changed row). Cells a stage does not change
   * must stay exactly as they were.
   */
  open(schema: Schema, ctx: StageContext): StageFn;
  /**
   * Each output row depends only on its input row and table index, every row passes (no row
   * held back, dropped or added), and the ledger entries of a row are recorded with it: the
   * stage may then run on separate chunks in worker threads (`--workers`) with the same result.
   */
  readonly rowLocal?: boolean;
}

/**
 * A transform's per-batch function. Stages that hold rows back (duplicates placed later in
 * the stream) hand them over in `end`, called once after the last batch.
 *
 * `schema` is the schema of what the stage outputs, when it differs from its input: a stage
 * that can write nulls marks those columns nullable, one that can write malformed text marks
 * them (withText in src/core/schema.ts). The pipeline stamps it on every batch the stage returns,
 * opens the next stage with it, and the sink writes it.
 */
export type StageFn = ((batch: Batch) => Batch) & { end?(): Batch | undefined; readonly schema?: Schema };

export interface Sink {
  readonly kind: 'sink';
  readonly name: string;
  write(batches: AsyncIterable<Batch>): Promise<void>;
  /** Present when the file can be written from batches encoded elsewhere, in order. */
  readonly chunked?: ChunkedWrite;
}

/**
 * A file written from pieces: `encoder` turns one batch into its bytes (run in worker
 * threads, on a sink made there with the same options), `write` puts the pieces into the file
 * in order. Pieces in order give the same file as write() given the same batches.
 */
export interface ChunkedWrite {
  /** `alloc(n)` gives room for n bytes (a recycled buffer); the piece returned may be a view of it. */
  encoder(schema: Schema, alloc?: (bytes: number) => Uint8Array): (batch: Batch) => Uint8Array;
  /** `done(piece)` is called when a piece's memory is no longer needed (it may then be recycled). */
  write(schema: Schema, pieces: AsyncIterable<Uint8Array>, done?: (piece: Uint8Array) => void): Promise<void>;
  /** Rows every piece but the last must hold (a typed file cuts its batches there), if any. */
  readonly rowsPerPiece?: number;
}

export type Stage = Source | Transform | Sink;
