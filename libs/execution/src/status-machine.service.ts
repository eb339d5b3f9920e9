import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@lib/database';
import { AuditRecordInput, AuditService } from '@lib/audit';
import { ExecutionErrorCode, ExecutionException } from './execution.exception';
import { isLegalTransition, RunStatus, StatusAxis } from './run-status';

/** Where each axis lives, and the columns a transition may set beside status (fixed here, never taken from input). */
const AXES: Readonly<Record<StatusAxis, { table: string; key: string; touch: string; settable: ReadonlySet<string> }>> = {
  run: {
    table: 'execution_runs',
    key: 'id',
    touch: ', version = version + 1, updated_at = now()',
    settable: new Set([
      'blocked_reason',
      'worker_id',
      'lease_expires_at',
      'attempt',
      'max_attempts',
      'available_at',
      'started_at',
      'finished_at',
      'timeout_seconds',
      'deadline_at',
      'result',
      'last_error',
      'cancelled_by',
      'cancelled_at',
    ]),
  },
  approval: {
    table: 'approvals',
    key: 'id',
    touch: ', version = version + 1, updated_at = now()',
    settable: new Set(['reason', 'decided_by', 'decided_at', 'deferred_until', 'policy_hash']),
  },
  grant: {
    table: 'governance_grants',
    key: 'auth_code',
    touch: '',
    settable: new Set(['consumed_at', 'consumed_by', 'revoked_at', 'revoked_by', 'revoked_reason']),
  },
  step: {
    table: 'execution_steps',
    key: 'id',
    touch: ', version = version + 1, updated_at = now()',
    settable: new Set(['outcome', 'result', 'error', 'finished_at']),
  },
};

export interface TransitionInput {
  readonly axis: StatusAxis;
  readonly id: string;
  readonly from: string;
  readonly to: string;
  /** Other columns to set in the same statement (e.g. blocked_reason, decided_by). */
  readonly set?: Readonly<Record<string, unknown>>;
  /** Further columns that must still hold these values (e.g. the worker that holds the lease). */
  readonly expect?: Readonly<Record<string, unknown>>;
  /** The audit event committed with the change. */
  readonly audit: AuditRecordInput;
}

/** Columns a transition may require to be unchanged, beside status. */
const EXPECTABLE = new Set(['worker_id']);

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
    const axis = AXES[input.axis];
    return this.uow.run(async () => {
      const assignments = ['status = $3'];
      const values: unknown[] = [input.id, input.from, input.to];
      for (const [column, value] of Object.entries(input.set ?? {})) {
        if (!axis.settable.has(column)) throw new Error(`column ${column} is not settable on ${input.axis}`);
        values.push(value);
        assignments.push(`${column} = $${values.length}`);
      }
      const conditions = [`${axis.key} = $1`, 'status = $2'];
      for (const [column, value] of Object.entries(input.expect ?? {})) {
        if (!EXPECTABLE.has(column)) throw new Error(`column ${column} cannot be expected on ${input.axis}`);
        values.push(value);
        conditions.push(`${column} = $${values.length}`);
      }
      const rows = await this.uow.query<Row>(
        `UPDATE ${axis.table} SET ${assignments.join(', ')}${axis.touch} WHERE ${conditions.join(' AND ')} RETURNING *`,
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

  /**
   * Replaces a waiting run's plan (params, targets, plan hash), compare-and-set on its status and
   * old plan hash; an approved run (RUN) goes back to BLOCKED / approval_pending.
   */
  async replacePlan<Row = Record<string, unknown>>(input: {
    runId: string;
    fromStatus: string;
    fromPlanHash: string;
    params: Record<string, unknown>;
    targets: readonly string[];
    planHash: string;
    blockedReason: string;
    audit: TransitionInput['audit'];
  }): Promise<Row> {
    if (input.fromStatus !== RunStatus.Blocked && !isLegalTransition('run', input.fromStatus, RunStatus.Blocked)) {
      throw new ExecutionException(ExecutionErrorCode.IllegalTransition, `a ${input.fromStatus} run's plan cannot change`, {
        from: input.fromStatus,
      });
    }
    return this.uow.run(async () => {
      const rows = await this.uow.query<Row>(
        `UPDATE execution_runs SET params = $4, targets = $5, plan_hash = $6, status = 'BLOCKED', blocked_reason = $7,
           version = version + 1, updated_at = now()
         WHERE id = $1 AND status = $2 AND plan_hash = $3 RETURNING *`,
        [
          input.runId,
          input.fromStatus,
          input.fromPlanHash,
          JSON.stringify(input.params),
          JSON.stringify(input.targets),
          input.planHash,
          input.blockedReason,
        ],
      );
      if (rows.length === 0) {
        throw new ExecutionException(ExecutionErrorCode.TransitionConflict, `run ${input.runId} changed concurrently`, {
          from: input.fromStatus,
        });
      }
      await this.audit.record(input.audit);
      return rows[0];
    });
  }

  /**
   * A blocked run's reason changes (approval_pending <-> approval_deferred) without a status
   * change; the same compare-and-set, on the reason.
   */
  async changeBlockedReason<Row = Record<string, unknown>>(input: {
    runId: string;
    from: string;
    to: string;
    audit: TransitionInput['audit'];
  }): Promise<Row> {
    return this.uow.run(async () => {
      const rows = await this.uow.query<Row>(
        `UPDATE execution_runs SET blocked_reason = $3, version = version + 1, updated_at = now()
         WHERE id = $1 AND status = 'BLOCKED' AND blocked_reason = $2 RETURNING *`,
        [input.runId, input.from, input.to],
      );
      if (rows.length === 0) {
        throw new ExecutionException(ExecutionErrorCode.TransitionConflict, `run ${input.runId} is no longer blocked with ${input.from}`, {
          from: input.from,
          to: input.to,
        });
      }
      await this.audit.record(input.audit);
      return rows[0];
    });
  }
}
