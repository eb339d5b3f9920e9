/**
 * The row types of the tables, stated once. A table is declared by the lib that owns it, with
 * each column's PostgreSQL type (as information_schema.columns.udt_name names it) and whether it
 * may be null (`?`); the TypeScript row type is derived from that, in the tables' own
 * snake_case. A test compares every declaration with the live schema, so a row type cannot
 * drift from its table, and every table must be declared by exactly one lib.
 */
export type ColumnType = 'uuid' | 'text' | 'varchar' | 'int2' | 'int4' | 'int8' | 'float8' | 'bool' | 'jsonb' | 'timestamptz' | '_text';
export type ColumnSpec = ColumnType | `${ColumnType}?`;

/** What node-postgres returns for each type (int8 stays text: it can exceed 2^53). */
type ValueOf<T extends ColumnType> = T extends 'uuid' | 'text' | 'varchar' | 'int8'
  ? string
  : T extends 'int2' | 'int4' | 'float8'
    ? number
    : T extends 'bool'
      ? boolean
      : T extends 'timestamptz'
        ? Date
        : T extends '_text'
          ? string[]
          : unknown;

export type RowOf<C extends Record<string, ColumnSpec>> = {
  -readonly [K in keyof C]: C[K] extends `${infer T extends ColumnType}?`
    ? ValueOf<T> | null
    : C[K] extends ColumnType
      ? ValueOf<C[K]>
      : never;
};

export interface TableDefinition<C extends Record<string, ColumnSpec> = Record<string, ColumnSpec>> {
  readonly name: string;
  /** The lib whose repositories alone read and write this table (libs/<owner>). */
  readonly owner: string;
  readonly columns: C;
}

export function defineTable<const C extends Record<string, ColumnSpec>>(name: string, owner: string, columns: C): TableDefinition<C> {
  return { name, owner, columns };
}
