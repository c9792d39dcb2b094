import { csv } from './csv.js';
import { jsonl } from './jsonl.js';
import { log } from './log.js';

/** Every sink, by registry name. Adding a sink: one file in this folder plus one line here. */
export const sinks = [csv, jsonl, log] as const;
