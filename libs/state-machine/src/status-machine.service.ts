import { Injectable } from '@nestjs/common';
import { DbTime, UnitOfWork } from '@lib/database';
import { AuditRecordInput, AuditService } from '@lib/audit';
import { StateMachineErrorCode, StateMachineException } from './state-machine.exception';
import { isLegalTransition, StatusAxis } from './status-axis';

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
}
