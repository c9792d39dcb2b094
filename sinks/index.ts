import { arrow } from './arrow.js';
import { csv } from './csv.js';
import { jsonl } from './jsonl.js';
import { log } from './log.js';
import { xlsx } from './xlsx.js';
import { parquet } from './parquet.js';

/** Every sink, by registry name. Adding a sink: one file in this folder plus one line here. */
