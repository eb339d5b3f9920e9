import { ColumnSpec, TableDefinition } from '@lib/database';

/**
 * Glossary
 * - status axis: one status column of one table (a run's status, a step's, an approval's, a
 *   grant's) with its legal transitions. Each lib defines the axes of its own tables and hands
 *   them to the state machine, which is the only writer of status columns.
 * - transition: a status change, legal only if the axis lists it; applied by compare-and-set.
 * - stay: from === to, a guarded update of the axis's settable columns with no status change
 *   (a blocked run's reason, a waiting run's plan).
 */
export interface StatusAxis<S extends string = string, Row = Record<string, unknown>> {
  /** The axis name in the status_transitions table. */
  readonly name: string;
  readonly table: TableDefinition;
  /** The primary-key column a transition names its row by. */
  readonly key: keyof Row & string;
  readonly transitions: ReadonlyArray<readonly [S, S]>;
  /** Columns a transition may set beside status (fixed here, never taken from input). */
  readonly settable: ReadonlySet<string>;
  /** Columns a transition may require to still hold a value, beside status. */
  readonly expectable: ReadonlySet<string>;
  /** Phantom: the row type the table holds. */
  readonly row?: Row;
}

export function defineStatusAxis<S extends string, Row>(input: {
  name: string;
  table: TableDefinition<Record<string, ColumnSpec>>;
  key: keyof Row & string;
  transitions: ReadonlyArray<readonly [S, S]>;
  settable: ReadonlyArray<keyof Row & string>;
  expectable?: ReadonlyArray<keyof Row & string>;
}): StatusAxis<S, Row> {
  for (const column of [input.key, ...input.settable, ...(input.expectable ?? [])]) {
    if (!(column in input.table.columns)) throw new Error(`status axis ${input.name}: ${input.table.name} has no column ${column}`);
  }
  return {
    name: input.name,
    table: input.table,
    key: input.key,
    transitions: input.transitions,
    settable: new Set(input.settable),
    expectable: new Set(input.expectable ?? []),
  };
}

export function isLegalTransition<S extends string, Row>(axis: StatusAxis<S, Row>, from: S, to: S): boolean {
  return from === to || axis.transitions.some(([f, t]) => f === from && t === to);
}
