import { Inject, Injectable } from '@nestjs/common';
import { CommandContext } from '@lib/common';
import { UnitOfWork } from '@lib/database';
import { AuditEventEntity, AuditEventType, AuditService } from '@lib/audit';
import { AccessService, Permission, Principal } from '@lib/governance';
import { ExecutionRunRow } from './execution-run.entity';
import { ExecutionErrorCode, ExecutionException } from './execution.exception';
import { computeFingerprint, normalizeTargets } from './fingerprint';
import { ApprovalSummary, RUN_APPROVAL_GATE, RunApprovalGate } from './run-approval-gate';

export interface CreateRunInput {
  readonly projectId: string;
  readonly idempotencyKey: string;
  readonly action: string;
  readonly params: Record<string, unknown>;
  readonly targets: readonly string[];
}

export interface RunView {
  readonly run: ExecutionRunRow;
  readonly approval: ApprovalSummary | null;
}

export interface CreateRunResult extends RunView {
  readonly dedupHit: boolean;
}

type CreateOutcome = { kind: 'created' | 'dedup'; view: RunView } | { kind: 'conflict'; existing: ExecutionRunRow };

@Injectable()
export class ExecutionRunService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly audit: AuditService,
    private readonly access: AccessService,
    @Inject(RUN_APPROVAL_GATE) private readonly gate: RunApprovalGate,
  ) {}

  /**
   * Creates the run once per (project, idempotency key). The same key with the same fingerprint
   * returns the existing run (dedup); with another fingerprint it is refused, and the refusal is
   * audited and committed before the error is raised.
   */
  async create(principal: Principal, input: CreateRunInput, ctx: CommandContext): Promise<CreateRunResult> {
    this.access.assertAllowed(principal, Permission.RunCreate, input.projectId);
    const targets = normalizeTargets(input.targets);
    const fingerprint = computeFingerprint({ action: input.action, params: input.params, targets });

    const outcome = await this.uow.run(async (): Promise<CreateOutcome> => {
      const inserted = await this.uow.query<ExecutionRunRow>(
        `INSERT INTO execution_runs (project_id, idempotency_key, action, params, targets, fingerprint, status, blocked_reason, requested_by)
         VALUES ($1, $2, $3, $4, $5, $6, 'BLOCKED', 'approval_pending', $7)
         ON CONFLICT (project_id, idempotency_key) DO NOTHING
         RETURNING *`,
        [input.projectId, input.idempotencyKey, input.action, JSON.stringify(input.params), JSON.stringify(targets), fingerprint, ctx.actor.id],
      );
      if (inserted.length === 1) {
        const run = inserted[0];
        const approval = await this.gate.open({ executionRunId: run.id, projectId: run.project_id }, ctx);
        await this.audit.record({
          type: AuditEventType.RunCreated,
          ctx,
          projectId: run.project_id,
          executionRunId: run.id,
          data: { action: run.action, fingerprint, idempotency_key: run.idempotency_key, targets, approval_id: approval.id },
        });
        return { kind: 'created', view: { run, approval } };
      }
      // The key is taken. ON CONFLICT waited for the other writer to commit, so this read sees it.
      const existing = await this.findByKeyOrFail(input.projectId, input.idempotencyKey);
      if (existing.fingerprint === fingerprint) {
        await this.audit.record({
          type: AuditEventType.RunDedupHit,
          ctx,
          projectId: existing.project_id,
          executionRunId: existing.id,
          data: { fingerprint },
        });
        return { kind: 'dedup', view: { run: existing, approval: await this.gate.currentFor(existing.id) } };
      }
      await this.audit.record({
        type: AuditEventType.RunIdempotencyConflict,
        ctx,
        projectId: existing.project_id,
        executionRunId: existing.id,
        data: { existing_fingerprint: existing.fingerprint, requested_fingerprint: fingerprint, requested_action: input.action },
      });
      return { kind: 'conflict', existing };
    });

    if (outcome.kind === 'conflict') {
      throw new ExecutionException(
        ExecutionErrorCode.IdempotencyConflict,
        'this idempotency key was already used for a different request',
        { execution_id: outcome.existing.id, fingerprint: outcome.existing.fingerprint },
      );
    }
    return { ...outcome.view, dedupHit: outcome.kind === 'dedup' };
  }

  async getById(principal: Principal, executionId: string): Promise<RunView> {
    this.access.assertAllowed(principal, Permission.RunRead);
    const run = await this.getRunOrFail(executionId);
    this.access.assertAllowed(principal, Permission.RunRead, run.project_id);
    return { run, approval: await this.gate.currentFor(run.id) };
  }

  async getByKey(principal: Principal, projectId: string, idempotencyKey: string): Promise<RunView> {
    this.access.assertAllowed(principal, Permission.RunRead, projectId);
    const run = await this.findByKeyOrFail(projectId, idempotencyKey);
    return { run, approval: await this.gate.currentFor(run.id) };
  }

  async listEvents(principal: Principal, executionId: string): Promise<{ run: ExecutionRunRow; events: AuditEventEntity[] }> {
    const { run } = await this.getById(principal, executionId);
    return { run, events: await this.audit.listForRun(run.id) };
  }

  /** The run, locked FOR UPDATE when called inside a transaction that must serialize on it. */
  async getRunOrFail(executionId: string, options: { lock?: boolean } = {}): Promise<ExecutionRunRow> {
    const rows = await this.uow.query<ExecutionRunRow>(
      `SELECT * FROM execution_runs WHERE id = $1${options.lock ? ' FOR UPDATE' : ''}`,
      [executionId],
    );
    if (rows.length === 0) throw notFound();
    return rows[0];
  }

  private async findByKeyOrFail(projectId: string, idempotencyKey: string): Promise<ExecutionRunRow> {
    const rows = await this.uow.query<ExecutionRunRow>(
      `SELECT * FROM execution_runs WHERE project_id = $1 AND idempotency_key = $2`,
      [projectId, idempotencyKey],
    );
    if (rows.length === 0) throw notFound();
    return rows[0];
  }
}

function notFound(): ExecutionException {
  return new ExecutionException(ExecutionErrorCode.ExecutionNotFound, 'no such execution run');
}
