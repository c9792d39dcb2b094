/**
 * datagen's TypeScript API: the same units the CLI runs.
 *
 *   import { run, scenario, noise, missing, csv } from 'datagen';
 *   await run(scenario('attendance', { rows: 1e5, seed: 42 }), noise({ rate: 0.01 }), csv({ path: 'out.csv' }));
 *   await run(dataset('retail', { scale: 0.01, seed: 42 }), { out: 'data_raw' });
 *
 * Rows in memory (collect) hold dates as days since 1970-01-01, timestamps as microseconds since
 * the epoch (UTC), times as seconds since midnight, decimals as numbers; toJsRows gives Dates.
 */
export { run, collect, applyTransforms, toReadable, toDuplex, type RunOptions, type RunResult } from './core/pipeline.js';
export type { Batch, Source, Transform, Sink, StageContext } from './core/stage.js';
export { DatagenError, type ErrorCode } from './core/errors.js';
export { memoryLedger, fileLedger, nullLedger, type Ledger, type LedgerEntry } from './anomaly/ledger.js';
export { defineTable, types, kindOf, tableName, keyColumns, type Row, type Value, type Kind, type FieldSpec } from './core/schema.js';
export { defineScenario, defineTransform, defineSink, type ScenarioDefinition, type TransformFactory, type SinkFactory, type RowGenerator } from './core/units.js';
export { cellStage, nonKeyColumns, stageOptions, type CellContext, type CellChange } from './anomaly/cell-stage.js';
export { parseCondition } from './anomaly/condition.js';
export { Rng } from './random/rng.js';
export { normal, truncatedNormal, logNormal, exponential, poisson, Zipf, Weighted } from './random/distributions.js';
export { Pattern } from './random/pattern.js';
export { loadYamlScenario, parseYamlScenario } from './yaml/yaml-scenario.js';
export { loadYamlUnit, parseYamlUnit } from './yaml/yaml-dataset.js';
export { findScenario, findTransform, findSink, findDataset, listScenarios, listTransforms, listSinks, listDatasets } from './registry.js';
// Datasets: several related tables written together into a folder (docs/retail.md).
//   await run(dataset('retail', { scale: 0.01, seed: 42 }), { out: 'data_raw' })
export { dataset, isDatasetValue, datasetRunOptions, type DatasetValue, type DatasetOptions, type DatasetTarget } from './datasets/api.js';
export { defineDataset, dropKeys, type DatasetDefinition, type DatasetInfo, type DatasetContext, type TableContext, type TableDefinition, type TableOutput } from './core/dataset.js';
export { runDataset, finishShards, MANIFEST, LEDGER, SUMMARY, SHARDS, type DatasetRunOptions, type DatasetResult, type ManifestFile } from './datasets/run.js';
export { parseShard, shardFileName, type Shard } from './core/shard.js';
export { formatDate, formatTime, formatTimestamp, parseDate, parseTime, parseTimestamp } from './core/temporal.js';

export { scenario, CHUNK_ROWS, type ScenarioOptions } from '../sources/scenario.js';
export { ndjsonSource, type NdjsonSourceOptions } from '../sources/ndjson.js';
export { arrowIpcSource, type ArrowIpcSourceOptions } from '../sources/arrow-ipc.js';
export { toRecordBatch, fromRecordBatch, IpcEncoder } from './codecs/arrow-batch.js';
export { writeParquet, readParquet, type ParquetWriteOptions } from './codecs/parquet-io.js';
export { toJsRows, type JsRow, type JsValue } from './core/js-values.js';
export type { Options, OptionsInput, OptionSpec, OptionsSpec } from './core/options.js';

// Every transform and sink (the lists in transforms/index.ts and sinks/index.ts); each factory's
// options are typed by its option spec: a misspelled option or a wrong type does not compile.
export { noise } from '../transforms/noise.js';
export { missing } from '../transforms/missing.js';
export { duplicate, type DuplicateKind } from '../transforms/duplicate.js';
export { malform } from '../transforms/malform.js';
export { outliers } from '../transforms/outliers.js';
export { corruptFk, type FkKind } from '../transforms/corrupt-fk.js';
export { truncateLines } from '../transforms/truncate-lines.js';
export { csv } from '../sinks/csv.js';
export { jsonl } from '../sinks/jsonl.js';
export { log } from '../sinks/log.js';
export { parquet } from '../sinks/parquet.js';
export { arrow } from '../sinks/arrow.js';
export { xlsx } from '../sinks/xlsx.js';
export * from './delta/index.js'; // Delta Lake tables: deltaTable(path).append/merge/delete/history/snapshot
export { delta } from '../sinks/delta.js'; // the delta sink
export { postgres } from '../sinks/postgres.js'; // a PostgreSQL table, loaded with COPY in one transaction
export { duckdb } from '../sinks/duckdb.js'; // a table of a DuckDB database file (appender, exact types, one transaction)
