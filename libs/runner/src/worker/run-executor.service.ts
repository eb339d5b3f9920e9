import { Injectable, Logger } from '@nestjs/common';
import { CommandContext, SECRET_MASKER } from '@lib/common';
import { UnitOfWork } from '@lib/database';
import { AuditEventType, AuditService } from '@lib/audit';
import { ActionType, PolicyService } from '@lib/governance';
import {
  ActionHandler,
  ExecutionRunRow,
  outcomeKind,
  PlannedStep,
  RunStatus,
  StatusMachineService,
  StepContext,
  StepOutcome,
  StepStatus,
} from '@lib/execution';
import { ApprovalGateService } from '@lib/approval';
import { HandlerRegistry } from '../handlers/handler-registry';
import { SecretResolverService } from '../secrets/secret-resolver.service';
import { AbortReason, LeaseKeeper } from './lease-keeper';
import { capResult, Ending, mask, RunLifecycleService } from './run-lifecycle.service';
import { WorkerSettings } from './worker-settings';

/** What one step came to. */
type StepEnd =
  | { kind: 'done'; status: StepStatus.Succeeded | StepStatus.Skipped; outcome: StepOutcome }
  | { kind: 'stop'; ending: Ending | null; status: StepStatus; error: string };

class StepAborted extends Error {
  constructor(readonly reason: AbortReason) {
    super(`aborted: ${reason}`);
  }
}

/**
 * Carries out a claimed run: RUNNING with its attempt counted and its deadline set, then each
 * step the handler planned, from the first one not yet succeeded (so a run resumed after a
 * crash never repeats a finished step). Before each step the approval gate is checked again.
 * A step is recorded as it starts and as it ends; the run ends SUCCEEDED, FAILED (FAIL:…),
 * TIMED_OUT, CANCELLED, or goes back to the queue / the dead-letter table on a thrown error.
 */
@Injectable()
export class RunExecutorService {
  private readonly logger = new Logger(RunExecutorService.name);

  constructor(
    private readonly uow: UnitOfWork,
    private readonly audit: AuditService,
    private readonly fsm: StatusMachineService,
    private readonly policy: PolicyService,
    private readonly registry: HandlerRegistry,
    private readonly secrets: SecretResolverService,
    private readonly gate: ApprovalGateService,
    private readonly lifecycle: RunLifecycleService,
  ) {}

  /** `timeoutCapSeconds` bounds the run's timeout further (immediate mode). */
  async execute(
    claimed: ExecutionRunRow,
    settings: WorkerSettings,
    options: { timeoutCapSeconds?: number } = {},
  ): Promise<ExecutionRunRow | null> {
    const ctx: CommandContext = {
      actor: { id: `worker:${settings.workerId}`, kind: 'system' },
      requestId: `run:${claimed.id}:${claimed.attempt + 1}`,
    };
    const actionType = this.policy.getActionTypeOrFail(claimed.action);
    const handler = this.registry.find(actionType.handler);
    const timeoutSeconds = Math.min(await this.timeoutFor(claimed), options.timeoutCapSeconds ?? Number.MAX_SAFE_INTEGER);
    const run = await this.lifecycle.start(claimed, { workerId: settings.workerId, timeoutSeconds }, ctx);
    const lease = new LeaseKeeper(this.uow, {
      runId: run.id,
      workerId: settings.workerId,
      leaseMs: settings.leaseMs,
      heartbeatMs: settings.heartbeatMs,
      deadline: run.deadline_at,
    });
    lease.start();
    let ending: Ending | null;
    try {
      ending = handler
        ? await this.runSteps({ run, actionType, handler, lease, settings, ctx })
        : { kind: 'failed', error: `FAIL:no_handler_${actionType.handler}` };
    } catch (error) {
      ending = { kind: 'retry', error: error instanceof Error ? error.message : String(error) };
    } finally {
      await lease.stop();
    }
    if (ending === null) return null; // the lease was lost: the reaper owns the run now
    return this.lifecycle.end(
      run,
      { workerId: settings.workerId, from: RunStatus.Running, ending, backoffBaseMs: settings.backoffBaseMs },
      ctx,
    );
  }

  private async runSteps(input: {
    run: ExecutionRunRow;
    actionType: ActionType;
    handler: ActionHandler;
    lease: LeaseKeeper;
    settings: WorkerSettings;
    ctx: CommandContext;
  }): Promise<Ending | null> {
    const { run, actionType, handler, lease } = input;
    const invalid = handler.validate(run.params, actionType);
    if (invalid) return { kind: 'failed', error: `FAIL:invalid_params: ${invalid}` };
    const steps = handler.plan({ params: run.params, targets: run.targets });
    const finished = await this.finishedSteps(run.id);
    const results: unknown[] = [];
    for (const [index, step] of steps.entries()) {
      if (finished.has(index)) {
        results.push(finished.get(index));
        continue;
      }
      const decision = await this.gate.check(run.id);
      if (!decision.allowed) return { kind: 'failed', error: `approval_required: ${decision.reason}` };
      // Level 3: each step after the first needs an approval of its own.
      if (run.approval_level === 3 && index > 0 && decision.approval.step_index !== index) return { kind: 'paused', stepIndex: index };
      if (lease.reason) return this.endingFor(lease.reason, run, lease);
      const end = await this.runStep({ ...input, index, step });
      if (end.kind === 'stop') return end.ending;
      results.push(end.outcome.result ?? null);
    }
    return { kind: 'succeeded', result: { steps: results.length, results } };
  }

  private async runStep(input: {
    run: ExecutionRunRow;
    actionType: ActionType;
    handler: ActionHandler;
    lease: LeaseKeeper;
    settings: WorkerSettings;
    ctx: CommandContext;
    index: number;
    step: PlannedStep;
  }): Promise<StepEnd> {
    const { run, actionType, handler, lease, settings, ctx, index, step } = input;
    const stepId = await this.startStep(run, { index, name: step.name, workerId: settings.workerId }, ctx);
    const stepCtx: StepContext = {
      run,
      actionType,
      attempt: run.attempt,
      signal: lease.signal,
      checkpoint: () => {
        lease.countCheck();
        if (lease.signal.aborted) throw new StepAborted(lease.signal.reason as AbortReason);
      },
      progress: (data) =>
        this.recordOnRun(run, {
          type: AuditEventType.StepProgress,
          ctx,
          projectId: run.project_id,
          executionRunId: run.id,
          data: { step: index, ...SECRET_MASKER.maskJson(data) },
        }),
      log: (message, data) => this.logger.log({ execution_id: run.id, step: index, ...data }, message),
    };
    let end: StepEnd;
    try {
      const resolved: PlannedStep = { name: step.name, input: await this.secrets.resolve(step.input) };
      const outcome = await this.withAbandon(handler.execute(resolved, stepCtx), lease.signal, settings.abortGraceMs);
      end = this.stepEndFor(outcome, lease, run);
    } catch (error) {
      end = this.stepEndForError(error, lease, run);
    }
    await this.finishStep(run, { stepId, index, end, workerId: settings.workerId }, ctx);
    return end;
  }

  private stepEndFor(outcome: StepOutcome | 'abandoned', lease: LeaseKeeper, run: ExecutionRunRow): StepEnd {
    if (outcome === 'abandoned')
      return this.abortedEnd(lease.reason ?? 'lease_lost', run, 'the step did not stop after its abort; abandoned', lease);
    const kind = outcomeKind(outcome.outcome);
    if (kind === 'ok') return { kind: 'done', status: StepStatus.Succeeded, outcome };
    if (kind === 'skip') return { kind: 'done', status: StepStatus.Skipped, outcome };
    return { kind: 'stop', status: StepStatus.Failed, ending: { kind: 'failed', error: outcome.outcome }, error: outcome.outcome };
  }

  private stepEndForError(error: unknown, lease: LeaseKeeper, run: ExecutionRunRow): StepEnd {
    if (error instanceof StepAborted || (lease.reason && isAbortError(error)))
      return this.abortedEnd(lease.reason ?? (error as StepAborted).reason, run, 'aborted', lease);
    const message = mask(error instanceof Error ? error.message : String(error));
    return { kind: 'stop', status: StepStatus.Failed, ending: { kind: 'retry', error: message }, error: message };
  }

  private abortedEnd(reason: AbortReason, run: ExecutionRunRow, detail: string, lease: LeaseKeeper): StepEnd {
    if (reason === 'timeout')
      return {
        kind: 'stop',
        status: StepStatus.TimedOut,
        ending: { kind: 'timed_out', error: `timed out after ${run.timeout_seconds} s` },
        error: detail,
      };
    if (reason === 'cancelled')
      return { kind: 'stop', status: StepStatus.Cancelled, ending: this.endingFor('cancelled', run, lease), error: detail };
    return { kind: 'stop', status: StepStatus.Abandoned, ending: null, error: 'lease lost' };
  }

  private endingFor(reason: AbortReason, run: ExecutionRunRow, lease: LeaseKeeper): Ending | null {
    if (reason === 'timeout') return { kind: 'timed_out', error: `timed out after ${run.timeout_seconds} s` };
    if (reason === 'cancelled') return { kind: 'cancelled', by: lease.cancelRequestedBy ?? 'system' };
    return null;
  }

  /** Waits for the handler; once aborted, gives it the grace period and then abandons it. */
  private withAbandon<T>(work: Promise<T>, signal: AbortSignal, graceMs: number): Promise<T | 'abandoned'> {
    return new Promise<T | 'abandoned'>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const onAbort = () => {
        timer = setTimeout(() => resolve('abandoned'), graceMs);
      };
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
      work.then(
        (value) => {
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      );
    });
  }

  private async startStep(
    run: ExecutionRunRow,
    input: { index: number; name: string; workerId: string },
    ctx: CommandContext,
  ): Promise<string> {
    return this.uow.run(async () => {
      await this.lockRun(run.id);
      const [row] = await this.uow.query<{ id: string }>(
        `INSERT INTO execution_steps (execution_run_id, step_index, name, attempt, worker_id) VALUES ($1, $2, $3, $4, $5) RETURNING id::text AS id`,
        [run.id, input.index, input.name, run.attempt, input.workerId],
      );
      await this.audit.record({
        type: AuditEventType.StepStarted,
        ctx,
        projectId: run.project_id,
        executionRunId: run.id,
        data: { step: input.index, name: input.name, attempt: run.attempt, worker_id: input.workerId },
      });
      return row.id;
    });
  }

  private async finishStep(
    run: ExecutionRunRow,
    input: { stepId: string; index: number; end: StepEnd; workerId: string },
    ctx: CommandContext,
  ): Promise<void> {
    const { end } = input;
    const outcome = end.kind === 'done' ? end.outcome.outcome : null;
    const result = end.kind === 'done' ? capResult(end.outcome.result ?? null) : null;
    try {
      await this.uow.run(async () => {
        await this.lockRun(run.id);
        await this.fsm.transition({
          axis: 'step',
          id: input.stepId,
          from: StepStatus.Running,
          to: end.status,
          set: {
            outcome,
            result: result === null ? null : JSON.stringify(result),
            error: end.kind === 'stop' ? end.error.slice(0, 2000) : null,
            finished_at: new Date(),
          },
          audit: {
            type: AuditEventType.StepFinished,
            ctx,
            projectId: run.project_id,
            executionRunId: run.id,
            data: { step: input.index, status: end.status, outcome },
          },
        });
      });
    } catch (error) {
      // The reaper may already have abandoned the step of a run whose lease this worker lost.
      this.logger.warn({ err: error, execution_id: run.id, step: input.index }, 'could not record the end of a step');
    }
  }

  private async finishedSteps(executionRunId: string): Promise<Map<number, unknown>> {
    const rows = await this.uow.query<{ step_index: number; result: unknown }>(
      `SELECT step_index, result FROM execution_steps WHERE execution_run_id = $1 AND status IN ('succeeded', 'skipped')`,
      [executionRunId],
    );
    return new Map(rows.map((row) => [row.step_index, row.result]));
  }

  /** SLA class x action class; the action's own row wins over the class default ('*'). */
  private async timeoutFor(run: ExecutionRunRow): Promise<number> {
    const [row] = await this.uow.query<{ timeout_seconds: number }>(
      `SELECT timeout_seconds FROM timeout_policies WHERE sla_class = $1 AND action_class IN ($2, '*') ORDER BY (action_class = '*') LIMIT 1`,
      [run.sla_class, run.action],
    );
    return row?.timeout_seconds ?? 300;
  }

  private async recordOnRun(run: ExecutionRunRow, event: Parameters<AuditService['record']>[0]): Promise<void> {
    await this.uow.run(async () => {
      await this.lockRun(run.id);
      await this.audit.record(event);
    });
  }

  /** Events of a run's chain are written under its row lock. */
  private lockRun(executionRunId: string): Promise<unknown> {
    return this.uow.query(`SELECT 1 FROM execution_runs WHERE id = $1 FOR UPDATE`, [executionRunId]);
  }
}

function isAbortError(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');
}
