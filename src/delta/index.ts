/** Delta Lake tables written per the Delta transaction protocol; see docs/delta.md. */
export { deltaTable, DeltaTable, parseCommitTime, type DeltaTableOptions, type WriteOptions, type MergeOptions, type RowInput, type CommitResult, type DeltaSnapshot, type HistoryEntry } from './table.js';
export { replayLog, listVersions, readCommit, type Action, type AddAction, type RemoveAction, type MetadataAction, type ProtocolAction, type CommitInfo, type LogSnapshot } from './log.js';
export { toDeltaSchema, type DeltaSchema, type DeltaField } from './schema.js';
