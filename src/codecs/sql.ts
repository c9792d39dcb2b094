import { Decimal, type DataType, type Int } from 'apache-arrow';
import { kindOf } from '../core/schema.js';

/**
 * SQL text shared by the database sinks and `datagen check`: quoted names and literals, and
 * the DuckDB type of an Arrow type (one mapping for the tables the duckdb sink creates and the
 * casts the check makes, so a checked DuckDB file is read with the types it was written with).
 */
export const sqlString = (text: string): string => `'${text.replaceAll("'", "''")}'`;
export const sqlIdent = (name: string): string => `"${name.replaceAll('"', '""')}"`;
export const sqlList = (items: readonly string[]): string => `[${items.map(sqlString).join(', ')}]`;

/** The DuckDB type of an Arrow type, spelled as DuckDB's information_schema spells it. */
export function duckdbType(type: DataType): string {
  switch (kindOf(type)) {
    case 'int': {
      const bits = (type as Int).bitWidth;
      return bits === 64 ? 'BIGINT' : bits === 32 ? 'INTEGER' : bits === 16 ? 'SMALLINT' : 'TINYINT';
    }
    case 'float':
      return 'DOUBLE';
    case 'decimal': {
      const { precision, scale } = type as Decimal;
      return `DECIMAL(${precision},${scale})`;
    }
    case 'bool':
      return 'BOOLEAN';
    case 'date':
      return 'DATE';
    case 'time':
      return 'TIME';
    case 'timestamp':
      return 'TIMESTAMP WITH TIME ZONE';
    default:
      return 'VARCHAR';
  }
}
