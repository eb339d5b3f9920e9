import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@lib/database';
import { AuditRecordInput, AuditService } from '@lib/audit';
import { ExecutionErrorCode, ExecutionException } from './execution.exception';
import { isLegalTransition, StatusAxis } from './run-status';

const AXIS_TABLE: Readonly<Record<StatusAxis, string>> = { run: 'execution_runs', approval: 'approvals' };

/** Columns a transition may set beside status. Names are fixed here, never taken from input. */
const SETTABLE: Readonly<Record<StatusAxis, ReadonlySet<string>>> = {
  run: new Set(['blocked_reason']),
  approval: new Set(['reason', 'decided_by', 'decided_at']),
};

export interface TransitionInput {
  readonly axis: StatusAxis;
  readonly id: string;
  readonly from: string;
  readonly to: string;
  /** Other columns to set in the same statement (e.g. blocked_reason, decided_by). */
  readonly set?: Readonly<Record<string, unknown>>;
  /** The audit event committed with the change. */
  readonly audit: AuditRecordInput;
}

/**
 * The finite-state machine: the only writer of status columns. A transition is validated
 * against TRANSITIONS, applied as one compare-and-set UPDATE (`WHERE status = :from`), and
 * recorded as an audit event in the same transaction. Zero rows updated means a concurrent
 * command won; that is a conflict, never an overwrite.
 */
@Injectable()
export class StatusMachineService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly audit: AuditService,
  ) {}

  async transition<Row = Record<string, unknown>>(input: TransitionInput): Promise<Row> {
    if (!isLegalTransition(input.axis, input.from, input.to)) {
      throw new ExecutionException(ExecutionErrorCode.IllegalTransition, `${input.axis} cannot move from ${input.from} to ${input.to}`, {
        from: input.from,
        to: input.to,
      });
    }
    return this.uow.run(async () => {
      const assignments = ['status = $3', 'version = version + 1', 'updated_at = now()'];
      const values: unknown[] = [input.id, input.from, input.to];
      for (const [column, value] of Object.entries(input.set ?? {})) {
        if (!SETTABLE[input.axis].has(column)) throw new Error(`column ${column} is not settable on ${input.axis}`);
        values.push(value);
        assignments.push(`${column} = $${values.length}`);
      }
      const rows = await this.uow.query<Row>(
        `UPDATE ${AXIS_TABLE[input.axis]} SET ${assignments.join(', ')} WHERE id = $1 AND status = $2 RETURNING *`,
        values,
      );
      if (rows.length === 0) {
        throw new ExecutionException(ExecutionErrorCode.TransitionConflict, `${input.axis} ${input.id} is no longer ${input.from}`, {
          from: input.from,
          to: input.to,
        });
      }
      await this.audit.record(input.audit);
      return rows[0];
    });
  }
}
