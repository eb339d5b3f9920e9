import { Injectable } from '@nestjs/common';
import { DbTime, UnitOfWork } from '@lib/database';
import { AuditRecordInput, AuditService } from '@lib/audit';
import { StateMachineErrorCode, StateMachineException } from './state-machine.exception';
import { isLegalTransition, StatusAxis } from './status-axis';

/** One row of a transition made for many rows at once: its key, its own values, its own audit event. */
export interface TransitionRow<Row> {
  readonly id: string;
  /** The same columns for every row of the call; DbTime for database times. */
  readonly set?: Readonly<Partial<Record<keyof Row & string, unknown>>>;
  readonly audit: AuditRecordInput;
}

export interface TransitionInput<S extends string, Row> {
  readonly axis: StatusAxis<S, Row>;
  readonly id: string;
  readonly from: S;
  readonly to: S;
  /** Other columns to set in the same statement (e.g. blocked_reason, decided_by); DbTime for database times. */
  readonly set?: Readonly<Partial<Record<keyof Row & string, unknown>>>;
  /** Further columns that must still hold these values (e.g. the worker that holds the lease). */
  readonly expect?: Readonly<Partial<Record<keyof Row & string, unknown>>>;
  /** The audit event committed with the change. */
  readonly audit: AuditRecordInput;
}

/**
 * The finite-state machine: the only writer of status columns. A transition is checked against
 * its axis's table, applied as one compare-and-set UPDATE (`WHERE key = :id AND status = :from`),
 * and recorded as an audit event in the same transaction. Zero rows updated means a concurrent
 * command won: a conflict, never an overwrite. PostgreSQL holds the same tables
 * (status_transitions, enforced by triggers), and a test keeps them equal.
 */
@Injectable()
export class StatusMachineService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly audit: AuditService,
  ) {}

  async transition<S extends string, Row>(input: TransitionInput<S, Row>): Promise<Row> {
    const { axis } = input;
    if (!isLegalTransition(axis, input.from, input.to)) {
      throw new StateMachineException(
        StateMachineErrorCode.IllegalTransition,
        `${axis.name} cannot move from ${input.from} to ${input.to}`,
        {
          from: input.from,
          to: input.to,
        },
      );
    }
    return this.uow.run(async () => {
      const values: unknown[] = [input.id, input.from, input.to];
      const bind = (value: unknown): string => {
        values.push(value);
        return `$${values.length}`;
      };
      const param = (value: unknown): string => (value instanceof DbTime ? value.toSql(bind) : bind(value));
      const assignments = ['status = $3'];
      for (const [column, value] of Object.entries(input.set ?? {})) {
        if (!axis.settable.has(column)) throw new Error(`column ${column} is not settable on the ${axis.name} axis`);
        assignments.push(`${column} = ${param(value)}`);
      }
      if ('version' in axis.table.columns) assignments.push('version = version + 1');
      if ('updated_at' in axis.table.columns) assignments.push('updated_at = now()');
      const conditions = [`${axis.key} = $1`, 'status = $2'];
      for (const [column, value] of Object.entries(input.expect ?? {})) {
        if (!axis.expectable.has(column)) throw new Error(`column ${column} cannot be expected on the ${axis.name} axis`);
        conditions.push(value === null ? `${column} IS NULL` : `${column} = ${param(value)}`);
      }
      const rows = await this.uow.query<Row>(
        `UPDATE ${axis.table.name} SET ${assignments.join(', ')} WHERE ${conditions.join(' AND ')} RETURNING *`,
        values,
      );
      if (rows.length === 0) {
        throw new StateMachineException(StateMachineErrorCode.TransitionConflict, `${axis.name} ${input.id} is no longer ${input.from}`, {
          from: input.from,
          to: input.to,
        });
      }
      await this.audit.record(input.audit);
      return rows[0];
    });
  }

  /**
   * The same transition for many rows, in one compare-and-set UPDATE: each row with its own
   * values and its own audit event (written for the rows that moved). A row that is no longer
   * `from` (or no longer holds `expect`) is not moved, and is answered in `missed` rather than
   * raised: the caller decides what a conflict means for it.
   */
  async transitionMany<S extends string, Row>(input: {
    readonly axis: StatusAxis<S, Row>;
    readonly from: S;
    readonly to: S;
    readonly rows: ReadonlyArray<TransitionRow<Row>>;
    /** Columns every row must still hold. */
    readonly expect?: Readonly<Partial<Record<keyof Row & string, unknown>>>;
  }): Promise<{ moved: Row[]; missed: string[] }> {
    const { axis, rows } = input;
    if (!isLegalTransition(axis, input.from, input.to)) {
      throw new StateMachineException(
        StateMachineErrorCode.IllegalTransition,
        `${axis.name} cannot move from ${input.from} to ${input.to}`,
        {
          from: input.from,
          to: input.to,
        },
      );
    }
    if (rows.length === 0) return { moved: [], missed: [] };
    const columns = Object.keys(rows[0].set ?? {});
    for (const column of columns)
      if (!axis.settable.has(column)) throw new Error(`column ${column} is not settable on the ${axis.name} axis`);
    for (const row of rows) {
      const keys = Object.keys(row.set ?? {});
      if (keys.length !== columns.length || keys.some((key) => !columns.includes(key))) {
        throw new Error(`transitionMany on ${axis.name}: every row must set the same columns`);
      }
    }
    return this.uow.run(async () => {
      const values: unknown[] = [input.from, input.to];
      const bind = (value: unknown, type: string): string => {
        values.push(value);
        return `$${values.length}::${type}`;
      };
      const sources = [
        `${bind(
          rows.map((row) => row.id),
          `${columnType(axis, axis.key)}[]`,
        )}`,
      ];
      const names = ['k'];
      const assignments = ['status = $2'];
      for (const [index, column] of columns.entries()) {
        const cells = rows.map((row) => (row.set as Record<string, unknown>)[column]);
        const type = columnType(axis, column);
        if (cells.some((cell) => cell instanceof DbTime)) {
          // A database time (now() plus an offset) where the row gives one, the row's own value otherwise.
          sources.push(
            bind(
              cells.map((cell) => (cell instanceof DbTime ? cell.offsetMs : null)),
              'float8[]',
            ),
            bind(
              cells.map((cell) => (cell instanceof DbTime ? null : cell)),
              `${type}[]`,
            ),
          );
          names.push(`o${index}`, `c${index}`);
          assignments.push(
            `${column} = CASE WHEN v.o${index} IS NULL THEN v.c${index} ELSE now() + make_interval(secs => v.o${index} / 1000) END`,
          );
        } else {
          sources.push(bind(cells, `${type}[]`));
          names.push(`c${index}`);
          assignments.push(`${column} = v.c${index}`);
        }
      }
      if ('version' in axis.table.columns) assignments.push('version = t.version + 1');
      if ('updated_at' in axis.table.columns) assignments.push('updated_at = now()');
      const conditions = [`t.${axis.key} = v.k`, 't.status = $1'];
      for (const [column, value] of Object.entries(input.expect ?? {})) {
        if (!axis.expectable.has(column)) throw new Error(`column ${column} cannot be expected on the ${axis.name} axis`);
        conditions.push(value === null ? `t.${column} IS NULL` : `t.${column} = ${bind(value, columnType(axis, column))}`);
      }
      const moved = await this.uow.query<Row>(
        `UPDATE ${axis.table.name} t SET ${assignments.join(', ')}
         FROM unnest(${sources.join(', ')}) AS v(${names.join(', ')})
         WHERE ${conditions.join(' AND ')} RETURNING t.*`,
        values,
      );
      const byKey = new Map(moved.map((row) => [String((row as Record<string, unknown>)[axis.key]), row]));
      const ordered: Row[] = [];
      const missed: string[] = [];
      for (const row of rows) {
        const found = byKey.get(String(row.id));
        if (!found) missed.push(row.id);
        else {
          ordered.push(found);
          await this.audit.record(row.audit);
        }
      }
      return { moved: ordered, missed };
    });
  }
}

/** A column's PostgreSQL type, as its table declares it. */
function columnType<S extends string, Row>(axis: StatusAxis<S, Row>, column: string): string {
  const spec = axis.table.columns[column];
  if (!spec) throw new Error(`${axis.table.name} has no column ${column}`);
  const type = spec.replace('?', '');
  if (type.startsWith('_')) throw new Error(`transitionMany cannot set the array column ${column}`);
  return type;
}
