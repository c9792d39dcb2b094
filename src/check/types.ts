import type { Schema } from 'apache-arrow';

/**
 * What `datagen check` reads and what it reports. The result is plain JSON (`--json` prints
 * it as it is; the HTML report draws it), so every field here is part of a stable output.
 */

/** One table found under the checked path, as DuckDB reads it. */
export interface CheckTable {
  name: string;
  /** csv, jsonl, parquet, delta, xlsx, arrow, duckdb (a table of a DuckDB file). */
  format: string;
  /** Data files (relative to the checked path when it is a folder). */
  files: string[];
  /**
   * A DuckDB FROM-expression that yields the table's rows, one column per declared field
   * (text formats read every column as VARCHAR, so malformed values survive the read).
   */
  relation: string;
  /** The declared schema (from the manifest's dataset, the file's own metadata or --schema). */
  schema?: Schema;
  /** Where the schema came from, in words ("dataset retail", "scenario loans", "shop.yml", "file metadata"). */
  schemaSource?: string;
  /** Foreign keys: column -> 'table.column' (datasets). */
  references?: Record<string, string>;
}

/** What `openCheckInput` finds under a path. */
export interface CheckInput {
  /** The path as the user gave it. */
  path: string;
  tables: CheckTable[];
  /** The anomaly ledger to score against (a dataset's _ledger.jsonl, or --ledger). */
  ledger?: string;
  /** How the ledger is named to the user when `ledger` is a temporary copy (a DuckDB file's _ledger table). */
  ledgerShown?: string;
  /** From a dataset's _manifest.json. */
  dataset?: string;
  seed?: number;
  scale?: number;
  /** Rows per table the manifest recorded (a check that they are all there). */
  manifestRows?: Record<string, number>;
  /** Remove temporary files made while reading (xlsx, arrow). */
  cleanup(): void;
}

export type CheckKind = 'rows' | 'null' | 'type' | 'values' | 'pattern' | 'range' | 'unique' | 'fk' | 'order';

/**
 * ok       nothing found, nothing injected
 * match    found exactly what the ledger says was injected
 * missed   the ledger injected more than is found (the data does not match its answer key)
 * extra    found violations the ledger does not explain (or, without a ledger, any violation)
 * allowed  found, and the declaration permits it (nulls in a nullable column)
 */
export type FindingStatus = 'ok' | 'match' | 'missed' | 'extra' | 'allowed';

export interface Finding {
  table: string;
  /** null for table-wide checks (rows, unique over a composite key). */
  column: string | null;
  check: CheckKind;
  /** The rule in words: "in {LOW, MEDIUM, HIGH}", "matches ^LN\\d{4,}$", "-> customers.customer_id". */
  rule: string;
  /** Values examined (rows of the table, or non-null values). */
  checked: number;
  /** Violations found in the data. */
  found: number;
  /** What the ledger says was injected that this check should see (absent without a ledger). */
  injected?: number;
  /** The configured rate of the stage(s) that injected them, when the ledger's open events say. */
  rate?: number;
  status: FindingStatus;
  /** Up to 3 offending values, as text. */
  examples?: string[];
}

/** How many children find their parent, per declared relation. */
export interface RelationCoverage {
  table: string;
  column: string;
  /** 'table.column' of the parent. */
  parent: string;
  /** Non-null child values. */
  rows: number;
  matched: number;
  orphans: number;
  injected?: number;
}

/** Ledger entries per stage, table, column and kind. */
export interface AnomalySummary {
  stage: string;
  table: string;
  column: string;
  kind: string;
  count: number;
  /** The stage's configured rate for this column, when known. */
  rate?: number;
}

/** A column's distribution, for the HTML report. */
export interface ColumnProfile {
  table: string;
  column: string;
  /** The declared type label (int32, decimal(10,2), timestamp[us, UTC], string, ...). */
  type: string;
  shape: 'numeric' | 'temporal' | 'text' | 'bool';
  rows: number;
  nulls: number;
  /** Values not castable to the declared type. */
  invalid: number;
  /** Ledger entries on this column. */
  anomalies: number;
  /** numeric/temporal: equal-width bins over the castable values (temporal bounds as ISO text). */
  histogram?: Array<{ start: number | string; end: number | string; count: number }>;
  /** text/bool: the most frequent values (at most 12). */
  top?: Array<{ value: string; count: number }>;
}

export interface CheckResult {
  path: string;
  dataset?: string;
  seed?: number;
  scale?: number;
  ledger?: string;
  tables: Array<{ name: string; format: string; files: number; rows: number; schemaSource?: string }>;
  findings: Finding[];
  relations: RelationCoverage[];
  anomalies: AnomalySummary[];
  /** Present when a report was asked for. */
  profiles?: ColumnProfile[];
  /** True when every finding is ok, match or allowed: exit code 0. */
  ok: boolean;
  seconds: number;
}
