import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collect } from '../src/pipeline.js';
import type { Row } from '../src/schema.js';
import type { Batch, Source } from '../src/stage.js';
import { scenario } from '../sources/scenario.js';

export const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

export const tempDir = (prefix = 'datagen-test-') => mkdtempSync(join(tmpdir(), prefix));

export async function attendanceRows(options: Record<string, unknown> = {}): Promise<Row[]> {
  return collect(scenario('attendance', { rows: 60_000, seed: 42, ...options }));
}

/** A source over fixed rows (for sink and transform tests). */
export function rowsSource(schema: Batch['schema'], rows: Row[], batchSize = 1000): Source {
  return {
    kind: 'source',
    name: 'fixture',
    schema,
    async *batches() {
      for (let i = 0; i < rows.length; i += batchSize) yield { schema, rows: rows.slice(i, i + batchSize), offset: i };
    },
  };
}

/** z-score bound for rate checks: |observed - expected| <= 4.5 standard errors. */
export function withinSamplingError(count: number, trials: number, p: number, z = 4.5): boolean {
  const sd = Math.sqrt(trials * p * (1 - p));
  return Math.abs(count - trials * p) <= z * sd;
}
