import { arrow } from './arrow.js';
import { csv } from './csv.js';
import { jsonl } from './jsonl.js';
import { log } from './log.js';
import { parquet } from './parquet.js';
import { xlsx } from './xlsx.js';
import { delta } from './delta.js';
import { postgres } from './postgres.js';
import { duckdb } from './duckdb.js';

/** Every sink, by registry name. Adding a sink: one file in this folder plus one line here. */
export const sinks = [csv, jsonl, log, parquet, arrow, xlsx, delta, duckdb, postgres] as const;
