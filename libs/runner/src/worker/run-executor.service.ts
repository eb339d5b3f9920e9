import { Injectable, Logger } from '@nestjs/common';
import { CommandContext, SECRET_MASKER } from '@lib/common';
import { WorkerSettings } from '@lib/config';
import { UnitOfWork } from '@lib/database';
import { AuditEventType, runEvent } from '@lib/audit';
import { ActionType, PolicyService } from '@lib/governance';
import {
  AbortReason,
  ActionHandler,
  capResult,
  Ending,
  ExecutionRunRow,
  ExecutionStepService,
  LeaseKeeper,
  mask,
  outcomeKind,
  PlannedStep,
  RunLifecycleService,
  RunStatus,
  StepContext,
  StepOutcome,
  StepStatus,
} from '@lib/execution';
import { ApprovalClosureService, ApprovalGateService, ApprovalLaneService } from '@lib/approval';
import { HandlerRegistry } from '../handlers/handler-registry';
import { SecretResolverService } from '../secrets/secret-resolver.service';

/** How a run's attempt ends: an ending for the lifecycle, a pause before a level-3 step, or nothing (the lease was lost). */
type Outcome = Ending | { kind: 'paused'; stepIndex: number } | null;

/** What carrying out one run needs at hand. */
interface RunInput {
  readonly run: ExecutionRunRow;
  readonly actionType: ActionType;
  readonly handler: ActionHandler;
  readonly lease: LeaseKeeper;
  readonly settings: WorkerSettings;
  readonly ctx: CommandContext;
}

/** What one step came to. */
type StepEnd =
  | { kind: 'done'; status: StepStatus.Succeeded | StepStatus.Skipped; outcome: StepOutcome }
  | { kind: 'stop'; outcome: Outcome; status: StepStatus; error: string };

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
 * TIMED_OUT, CANCELLED, pauses for a level-3 step approval, or goes back to the queue / the
 * dead-letter table on a thrown error.
 */
@Injectable()
export class RunExecutorService {
  private readonly logger = new Logger(RunExecutorService.name);

  constructor(
    private readonly uow: UnitOfWork,
    private readonly policy: PolicyService,
    private readonly registry: HandlerRegistry,
    private readonly secrets: SecretResolverService,
    private readonly gate: ApprovalGateService,
    private readonly lanes: ApprovalLaneService,
    private readonly closure: ApprovalClosureService,
    private readonly lifecycle: RunLifecycleService,
    private readonly steps: ExecutionStepService,
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
    const run = await this.lifecycle.start(claimed, { workerId: settings.workerId, timeoutCapSeconds: options.timeoutCapSeconds }, ctx);
    const lease = this.steps.keepLease(run, settings);
    lease.start();
    let outcome: Outcome;
    try {
      outcome = handler
        ? await this.runSteps({ run, actionType, handler, lease, settings, ctx })
        : { kind: 'failed', error: `FAIL:no_handler_${actionType.handler}` };
    } catch (error) {
      outcome = { kind: 'retry', error: error instanceof Error ? error.message : String(error) };
    } finally {
      await lease.stop();
    }
    if (outcome === null) return null; // the lease was lost: the reaper owns the run now
    if (outcome.kind === 'paused') return this.pause(run, outcome.stepIndex, settings.workerId, ctx);
    // The run's approval ends with it, in the same transaction.
    return this.uow.run(async () => {
      const ending = { workerId: settings.workerId, from: RunStatus.Running, ending: outcome, backoffBaseMs: settings.backoffBaseMs };
      const ended = await this.lifecycle.end(run, ending, ctx);
      await this.closure.closeForEndedRun(ended, ctx);
      return ended;
    });
  }

  /** Level 3: the approval this step ran under is closed as executed, the run waits BLOCKED, and the next step's lane opens. */
  private pause(run: ExecutionRunRow, stepIndex: number, workerId: string, ctx: CommandContext): Promise<ExecutionRunRow> {
    return this.uow.run(async () => {
      await this.lanes.markExecuted(run, stepIndex, ctx);
      const paused = await this.lifecycle.pauseForStepApproval(run, { workerId, stepIndex }, ctx);
      if (paused.status !== RunStatus.Blocked) return paused; // cancelled instead: no next lane
      await this.lanes.openLane({
        run: paused,
        actionType: this.policy.getActionTypeOrFail(run.action),
        policyHash: this.policy.hash,
        ctx,
        stepIndex,
      });
      return paused;
    });
  }

  private async runSteps(input: RunInput): Promise<Outcome> {
    const { run, actionType, handler, lease } = input;
    const invalid = handler.validate(run.params, actionType);
    if (invalid) return { kind: 'failed', error: `FAIL:invalid_params: ${invalid}` };
    const planned = handler.plan({ params: run.params, targets: run.targets });
    const finished = await this.steps.finished(run.id);
    const results: unknown[] = [];
    for (const [index, step] of planned.entries()) {
      if (finished.has(index)) {
        results.push(finished.get(index));
        continue;
      }
      if (lease.reason) return this.endingFor(lease.reason, run, lease);
      const decision = await this.gate.check(run.id);
      if (!decision.allowed) return { kind: 'failed', error: `approval_required: ${decision.reason}` };
      // Level 3: each step after the first needs an approval of its own.
      if (run.approval_level === 3 && index > 0 && decision.approval.step_index !== index) return { kind: 'paused', stepIndex: index };
      const end = await this.runStep({ ...input, index, step });
      if (end.kind === 'stop') return end.outcome;
      results.push(end.outcome.result ?? null);
    }
    return { kind: 'succeeded', result: { steps: results.length, results } };
  }

  private async runStep(input: RunInput & { index: number; step: PlannedStep }): Promise<StepEnd> {
    const { run, actionType, handler, lease, settings, ctx, index, step } = input;
    const stepId = await this.steps.start(run, { index, name: step.name, workerId: settings.workerId }, ctx);
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
        this.steps.recordOnRun(run, runEvent(AuditEventType.StepProgress, run, ctx, { step: index, ...SECRET_MASKER.maskJson(data) })),
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
    try {
      const outcome = end.kind === 'done' ? end.outcome.outcome : null;
      const result = end.kind === 'done' ? capResult(end.outcome.result ?? null) : null;
      const cancel = await this.steps.finish(
        run,
        { stepId, index, status: end.status, outcome, result, error: end.kind === 'stop' ? end.error : null },
        ctx,
      );
      // A cancel committed before this step's result: no further step runs, and the run ends CANCELLED.
      if (cancel) lease.cancelled(cancel.cancelRequestedBy);
    } catch (error) {
      // The reaper may already have abandoned the step of a run whose lease this worker lost.
      this.logger.warn({ err: error, execution_id: run.id, step: index }, 'could not record the end of a step');
    }
    return end;
  }

  private stepEndFor(outcome: StepOutcome | 'abandoned', lease: LeaseKeeper, run: ExecutionRunRow): StepEnd {
    if (outcome === 'abandoned')
      return this.abortedEnd(lease.reason ?? 'lease_lost', run, 'the step did not stop after its abort; abandoned', lease);
    const kind = outcomeKind(outcome.outcome);
    if (kind === 'ok') return { kind: 'done', status: StepStatus.Succeeded, outcome };
    if (kind === 'skip') return { kind: 'done', status: StepStatus.Skipped, outcome };
    return { kind: 'stop', status: StepStatus.Failed, outcome: { kind: 'failed', error: outcome.outcome }, error: outcome.outcome };
  }

  private stepEndForError(error: unknown, lease: LeaseKeeper, run: ExecutionRunRow): StepEnd {
    if (error instanceof StepAborted || (lease.reason && isAbortError(error))) {
      return this.abortedEnd(lease.reason ?? (error as StepAborted).reason, run, 'aborted', lease);
    }
    const message = mask(error instanceof Error ? error.message : String(error));
    return { kind: 'stop', status: StepStatus.Failed, outcome: { kind: 'retry', error: message }, error: message };
  }

  private abortedEnd(reason: AbortReason, run: ExecutionRunRow, detail: string, lease: LeaseKeeper): StepEnd {
    if (reason === 'timeout')
      return { kind: 'stop', status: StepStatus.TimedOut, outcome: this.endingFor('timeout', run, lease), error: detail };
    if (reason === 'cancelled')
      return { kind: 'stop', status: StepStatus.Cancelled, outcome: this.endingFor('cancelled', run, lease), error: detail };
    return { kind: 'stop', status: StepStatus.Abandoned, outcome: null, error: 'lease lost' };
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
}

function isAbortError(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');
}
