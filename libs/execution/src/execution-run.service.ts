import { Inject, Injectable, Optional } from '@nestjs/common';
import { CommandContext } from '@lib/common';
import { UnitOfWork } from '@lib/database';
import { AuditEventEntity, AuditEventType, AuditFeedService, AuditService } from '@lib/audit';
import { AccessService, GovernanceException, Permission, PolicyService, Principal } from '@lib/governance';
import { ExecutionRunRow } from './execution-run.entity';
import { ExecutionErrorCode, ExecutionException } from './execution.exception';
import { computeFingerprint, normalizeTargets } from './fingerprint';
import { ApprovalSummary, RUN_APPROVAL_GATE, RunApprovalGate } from './run-approval-gate';
import { IMMEDIATE_RUNNER, ImmediateRunner } from './immediate-runner';
import { RunStatus } from './run-status';

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
    private readonly policy: PolicyService,
    private readonly feed: AuditFeedService,
    @Inject(RUN_APPROVAL_GATE) private readonly gate: RunApprovalGate,
    @Optional() @Inject(IMMEDIATE_RUNNER) private readonly immediate?: ImmediateRunner,
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
    await this.assertPolicyAllows({ ...input, targets }, fingerprint, ctx);
    const actionType = this.policy.getActionTypeOrFail(input.action);
    const policyHash = this.policy.hash;

    const outcome = await this.uow.run(async (): Promise<CreateOutcome> => {
      const inserted = await this.uow.query<ExecutionRunRow>(
        `INSERT INTO execution_runs (project_id, idempotency_key, action, params, targets, fingerprint, plan_hash, approval_level, policy_hash,
                                     status, blocked_reason, requested_by, max_attempts, sla_class)
         VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8, 'BLOCKED', 'approval_pending', $9, $10, $11)
         ON CONFLICT (project_id, idempotency_key) DO NOTHING
         RETURNING *`,
        [
          input.projectId,
          input.idempotencyKey,
          input.action,
          JSON.stringify(input.params),
          JSON.stringify(targets),
          fingerprint,
          actionType.approvalLevel,
          policyHash,
          ctx.actor.id,
          actionType.maxAttempts,
          actionType.slaClass,
        ],
      );
      if (inserted.length === 1) {
        const created = inserted[0];
        await this.audit.record({
          type: AuditEventType.RunCreated,
          ctx,
          projectId: created.project_id,
          executionRunId: created.id,
          data: {
            action: created.action,
            fingerprint,
            idempotency_key: created.idempotency_key,
            targets,
            approval_level: actionType.approvalLevel,
            policy_hash: policyHash,
          },
        });
        const opened = await this.gate.open({ run: created, actionType, policyHash }, ctx);
        return { kind: 'created', view: opened };
      }
      // The key is taken. ON CONFLICT waited for the other writer to commit, so this read sees
      // it; the row lock serializes this request's audit event into the run's chain.
      const existing = await this.findByKeyOrFail(input.projectId, input.idempotencyKey, { lock: true });
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
    // Immediate mode: a read-only action approved at once runs inside this request.
    if (outcome.kind === 'created' && actionType.immediate && this.immediate && outcome.view.run.status === RunStatus.Run) {
      return { run: await this.immediate.run(outcome.view.run), approval: outcome.view.approval, dedupHit: false };
    }
    return { ...outcome.view, dedupHit: outcome.kind === 'dedup' };
  }

  /**
   * Fail closed: an action the policy does not know, or a target or namespace outside its
   * allowed scope, is refused with 422. The refusal is audited (and committed) first.
   */
  private async assertPolicyAllows(input: CreateRunInput, fingerprint: string, ctx: CommandContext): Promise<void> {
    try {
      const actionType = this.policy.getActionTypeOrFail(input.action);
      this.policy.assertScopeAllowed(actionType, { targets: input.targets, params: input.params });
    } catch (error) {
      if (!(error instanceof GovernanceException)) throw error;
      await this.uow.run(() =>
        this.audit.record({
          type: AuditEventType.RunRefusedByPolicy,
          ctx,
          projectId: input.projectId,
          data: { code: error.code, action: input.action, idempotency_key: input.idempotencyKey, fingerprint, ...error.details },
        }),
      );
      throw error;
    }
  }

  async getById(principal: Principal, executionId: string): Promise<RunView> {
    this.access.assertAllowed(principal, Permission.RunRead);
    return this.readFresh(principal, { id: executionId });
  }

  async getByKey(principal: Principal, projectId: string, idempotencyKey: string): Promise<RunView> {
    this.access.assertAllowed(principal, Permission.RunRead, projectId);
    return this.readFresh(principal, { projectId, idempotencyKey });
  }

  /** One read; a read that meets an overdue approval expires it first (lazy guard), then reads again. */
  private async readFresh(principal: Principal, where: { id: string } | { projectId: string; idempotencyKey: string }): Promise<RunView> {
    const view = await this.gate.readView(where);
    if (!view) throw notFound();
    this.access.assertAllowed(principal, Permission.RunRead, view.run.project_id);
    if (!view.overdue) return view;
    await this.gate.expireIfOverdue(view.run.id);
    return (await this.gate.readView({ id: view.run.id })) ?? view;
  }

  /**
   * The run's events after `after` (all when absent), oldest first. With `waitMs`, an empty answer
   * waits that long for the next event (long-poll): the subscription is made before the read, so
   * an event committed in between is not missed.
   */
  async listEvents(
    principal: Principal,
    executionId: string,
    options: { after?: string; waitMs?: number } = {},
  ): Promise<{ run: ExecutionRunRow; events: AuditEventEntity[] }> {
    const { run } = await this.getById(principal, executionId);
    if (!options.waitMs) return { run, events: await this.audit.listForRun(run.id, options.after) };
    let signal: () => void = () => undefined;
    const arrived = new Promise<void>((resolve) => (signal = resolve));
    const unsubscribe = await this.feed.subscribe(`run:${run.id}`, () => signal());
    try {
      const events = await this.audit.listForRun(run.id, options.after);
      if (events.length > 0) return { run, events };
      await Promise.race([arrived, new Promise((resolve) => setTimeout(resolve, options.waitMs))]);
      return { run, events: await this.audit.listForRun(run.id, options.after) };
    } finally {
      unsubscribe();
    }
  }

  /**
   * Follows a run's events as they are committed, from `after` on; returns the function that
   * stops it. `ready` is called once access is granted, before the first event is sent.
   */
  async follow(
    principal: Principal,
    executionId: string,
    input: { after?: string; ready: () => void; send: (event: AuditEventEntity) => void },
  ): Promise<() => void> {
    const { run } = await this.getById(principal, executionId);
    input.ready();
    let last = input.after;
    let draining: Promise<void> = Promise.resolve();
    const drain = () => {
      draining = draining.then(async () => {
        for (const event of await this.audit.listForRun(run.id, last)) {
          input.send(event);
          last = event.id;
        }
      });
    };
    const unsubscribe = await this.feed.subscribe(`run:${run.id}`, drain);
    drain();
    await draining;
    return unsubscribe;
  }

  /** The run, locked FOR UPDATE when called inside a transaction that must serialize on it. */
  async getRunOrFail(executionId: string, options: { lock?: boolean } = {}): Promise<ExecutionRunRow> {
    const rows = await this.uow.query<ExecutionRunRow>(`SELECT * FROM execution_runs WHERE id = $1${options.lock ? ' FOR UPDATE' : ''}`, [
      executionId,
    ]);
    if (rows.length === 0) throw notFound();
    return rows[0];
  }

  private async findByKeyOrFail(projectId: string, idempotencyKey: string, options: { lock?: boolean } = {}): Promise<ExecutionRunRow> {
    const rows = await this.uow.query<ExecutionRunRow>(
      `SELECT * FROM execution_runs WHERE project_id = $1 AND idempotency_key = $2${options.lock ? ' FOR UPDATE' : ''}`,
      [projectId, idempotencyKey],
    );
    if (rows.length === 0) throw notFound();
    return rows[0];
  }
}

function notFound(): ExecutionException {
  return new ExecutionException(ExecutionErrorCode.ExecutionNotFound, 'no such execution run');
}
