import { Injectable } from '@nestjs/common';
import { CommandContext } from '@lib/common';
import { UnitOfWork } from '@lib/database';
import { AuditEventType, AuditService, runEvent } from '@lib/audit';
import { ActionType } from '@lib/policy';
import { ExecutionRunRow } from './execution.tables';
import { ExecutionErrorCode, ExecutionException } from './execution.exception';
import { hasEnded } from './run-status';
import { ExecutionRunRepository, NewRun, RunSearch } from './repositories/execution-run.repository';

/** A run to create: what the caller asked for (targets normalized), and the action type that governs it. */
export type CreateRunInput = Omit<NewRun, 'approvalLevel' | 'requestedBy' | 'requestedVia' | 'maxAttempts' | 'slaClass'> & {
  readonly actionType: ActionType;
};

export type CreateRunOutcome = { kind: 'created' | 'dedup'; run: ExecutionRunRow } | { kind: 'conflict'; existing: ExecutionRunRow };

/** Runs as records: created once per (project, idempotency key), read by id or key. No access checks here: callers make them. */
@Injectable()
export class ExecutionRunService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly audit: AuditService,
    private readonly runs: ExecutionRunRepository,
  ) {}

  /**
   * Inserts the run unless the key is taken; the same key with the same fingerprint is a dedup
   * hit, with another fingerprint a conflict. Each outcome is audited in the caller's
   * transaction (a conflict's event commits with it before the caller raises the error).
   */
  createOrFind(input: CreateRunInput, ctx: CommandContext): Promise<CreateRunOutcome> {
    return this.uow.run(async (): Promise<CreateRunOutcome> => {
      const created = await this.runs.insertIfAbsent({
        ...input,
        approvalLevel: input.actionType.approvalLevel,
        requestedBy: ctx.actor.id,
        requestedVia: ctx.actor.credential ?? null,
        maxAttempts: input.actionType.maxAttempts,
        slaClass: input.actionType.slaClass,
      });
      if (created) {
        await this.audit.record(
          runEvent(AuditEventType.RunCreated, created, ctx, {
            action: created.action,
            fingerprint: input.fingerprint,
            idempotency_key: created.idempotency_key,
            targets: input.targets,
            approval_level: input.actionType.approvalLevel,
            policy_hash: input.policyHash,
            // An agent's run names the person who answers for it.
            ...(ctx.actor.actsFor ? { on_behalf_of: ctx.actor.actsFor } : {}),
          }),
        );
        return { kind: 'created', run: created };
      }
      // The key is taken. ON CONFLICT waited for the other writer to commit, so this read sees
      // it; the row lock serializes this request's audit event into the run's chain.
      const existing = await this.runs.findByKey(input.projectId, input.idempotencyKey, { lock: true });
      if (!existing) throw notFound();
      if (existing.fingerprint === input.fingerprint) {
        await this.audit.record(runEvent(AuditEventType.RunDedupHit, existing, ctx, { fingerprint: input.fingerprint }));
        return { kind: 'dedup', run: existing };
      }
      await this.audit.record(
        runEvent(AuditEventType.RunIdempotencyConflict, existing, ctx, {
          existing_fingerprint: existing.fingerprint,
          requested_fingerprint: input.fingerprint,
          requested_action: input.action,
        }),
      );
      return { kind: 'conflict', existing };
    });
  }

  /** The run, locked FOR UPDATE when called inside a transaction that must serialize on it. */
  async getRunOrFail(executionId: string, options: { lock?: boolean } = {}): Promise<ExecutionRunRow> {
    const run = await this.runs.findById(executionId, options);
    if (!run) throw notFound();
    return run;
  }

  /** Whether the run has ended for good (or is gone: purged), as committed now. */
  async hasEndedNow(executionId: string): Promise<boolean> {
    const run = await this.runs.findById(executionId);
    return !run || hasEnded(run.status);
  }

  async getRunByKeyOrFail(projectId: string, idempotencyKey: string): Promise<ExecutionRunRow> {
    const run = await this.runs.findByKey(projectId, idempotencyKey);
    if (!run) throw notFound();
    return run;
  }

  /** Runs matching a search, newest first (the caller has checked access and narrowed the projects). */
  search(filter: RunSearch): Promise<ExecutionRunRow[]> {
    return this.runs.search(filter);
  }

  /** Locks the given runs (only those still in one of `statuses`, when given), optionally skipping runs another transaction holds (sweeps). */
  lockRuns(ids: readonly string[], options: { statuses?: readonly string[]; skipLocked?: boolean } = {}): Promise<ExecutionRunRow[]> {
    return this.runs.lockMany(ids, options);
  }
}

export function notFound(): ExecutionException {
  return new ExecutionException(ExecutionErrorCode.ExecutionNotFound, 'no such execution run');
}
