import { Injectable, Logger } from '@nestjs/common';
import { Actor, CommandContext } from '@lib/common';
import { WorkerSettings } from '@lib/config';
import { UnitOfWork } from '@lib/database';
import { ActionType, PolicyService } from '@lib/policy';
import {
  ActionHandler,
  capResult,
  ClaimedRun,
  ClaimInput,
  ExecutionRunRow,
  ExecutionStepService,
  LeaseKeeper,
  PlannedStep,
  RunLifecycleService,
  RunQueueService,
  RunStatus,
} from '@lib/execution';
import { ApprovalGateService, ApprovalLaneService } from '@lib/approval';
import { MetricsService } from '@lib/telemetry';
import { HandlerRegistry } from '../handlers/handler-registry';
import { endingFor, Outcome, StepEnd, StepRunnerService } from './step-runner.service';
import { RunEnderService } from './run-ender.service';

/** A run this worker claimed and started: the steps its handler planned, and the one started with the claim (or why none was). */
export interface StartedRun {
  /** As claimed: RUNNING, with the approval it runs under. */
  readonly run: ClaimedRun;
  readonly ctx: CommandContext;
  readonly actionType: ActionType;
  readonly handler: ActionHandler | null;
  readonly planned: readonly PlannedStep[];
  /** The results of the steps an earlier attempt finished, in order. */
  readonly results: readonly unknown[];
  readonly next: { kind: 'step'; index: number; stepId: string } | { kind: 'end'; outcome: Outcome };
}

export interface StartedBatch {
  readonly started: StartedRun[];
  /** When a run that waits for a target is offered again (null: none waits). */
  readonly retryInMs: number | null;
  readonly more: boolean;
}

/** Which runs a claim takes, and who takes them. */
export interface ClaimOptions extends Partial<Pick<ClaimInput, 'onlyActions' | 'exceptActions' | 'projects' | 'actor'>> {
  readonly limit: number;
  readonly runId?: string;
  readonly timeoutCapSeconds?: number;
}

/** What a step's end needs to know of the lease it ran under: a cancel seen, or why it stopped. */
export type LeaseView = Pick<LeaseKeeper, 'cancelled' | 'reason' | 'cancelRequestedBy'>;

/** A claimed run planned, before its first step is recorded. */
type Prepared = Omit<StartedRun, 'next'> & { readonly next: StartedRun['next'] | { kind: 'start'; index: number } };

/** A step's end as it is written. */
export interface StepFinish {
  readonly stepId: string;
  readonly index: number;
  readonly end: StepEnd;
}

/**
 * Carries out runs, each in as few transactions as its steps allow: the claim moves a batch of
 * runs to RUNNING and records each one's first step (one transaction); a step's end is written
 * together with the next step's start, after the cancel request, the lease and the approval gate
 * are checked again; the last step's end is written together with the run's end and its
 * approval's closing. A single-step run takes two transactions from queue to SUCCEEDED. Steps
 * an earlier attempt finished are never run again. The run ends SUCCEEDED, FAILED (FAIL:…),
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
    private readonly queue: RunQueueService,
    private readonly gate: ApprovalGateService,
    private readonly lanes: ApprovalLaneService,
    private readonly lifecycle: RunLifecycleService,
    private readonly steps: ExecutionStepService,
    private readonly stepRunner: StepRunnerService,
    private readonly ender: RunEnderService,
    private readonly metrics: MetricsService,
  ) {}

  /** Claims up to `limit` runs (or the one named) and starts each one's first step, in one transaction. */
  async claimAndStart(settings: WorkerSettings, options: ClaimOptions): Promise<StartedBatch> {
    const batch = await this.claimAndStartInTransaction(settings, options);
    // Claim latency: from the run becoming claimable to its step starting (the claim's commit).
    for (const started of batch.started) if (started.next.kind === 'step') this.metrics.observeClaimLatency(started.run.claimable_seconds);
    return batch;
  }

  private claimAndStartInTransaction(settings: WorkerSettings, options: ClaimOptions): Promise<StartedBatch> {
    return this.uow.run(async () => {
      const batch = await this.queue.claim({ ...settings, ...options });
      const prepared: Prepared[] = [];
      for (const run of batch.claimed) prepared.push(await this.prepare(run, settings, options.actor));
      // Every first step to do starts in one statement.
      const starting = prepared.flatMap((item) => (item.next.kind === 'start' ? [{ item, index: item.next.index }] : []));
      const stepIds = await this.steps.startMany(
        starting.map(({ item, index }) => ({
          run: item.run,
          index,
          name: item.planned[index].name,
          workerId: settings.workerId,
          ctx: item.ctx,
        })),
      );
      const stepIdOf = new Map(starting.map(({ item }, position) => [item, stepIds[position]]));
      const started = prepared.map((item): StartedRun =>
        item.next.kind === 'start'
          ? { ...item, next: { kind: 'step', index: item.next.index, stepId: stepIdOf.get(item) as string } }
          : { ...item, next: item.next },
      );
      return { started, retryInMs: batch.retryInMs, more: batch.more };
    });
  }

  /** Carries a started run out to its end (or its pause); null when the lease was lost and the reaper owns it. */
  async carryOut(started: StartedRun, settings: WorkerSettings): Promise<ExecutionRunRow | null> {
    const { run, ctx } = started;
    const lease = this.steps.keepLease(run, settings);
    lease.start();
    let outcome: Outcome;
    let last: StepFinish | null = null;
    try {
      ({ outcome, last } = await this.runSteps(started, lease, settings));
    } catch (error) {
      outcome = { kind: 'retry', error: error instanceof Error ? error.message : String(error) };
    } finally {
      await lease.stop();
    }
    if (outcome === null) {
      if (last) await this.recordStepEnd(run, last, ctx);
      return null; // the lease was lost: the reaper owns the run now
    }
    return this.settle({ run, ctx, outcome, last, settings });
  }

  /**
   * The attempt is over: it pauses before a level-3 step (the last step's end written first), or
   * the last step's end, the run's end and its approval's closing commit together.
   */
  async settle(input: {
    run: ClaimedRun;
    ctx: CommandContext;
    outcome: NonNullable<Outcome>;
    last: StepFinish | null;
    settings: Pick<WorkerSettings, 'workerId' | 'backoffBaseMs'>;
  }): Promise<ExecutionRunRow> {
    const { run, ctx, outcome, last, settings } = input;
    if (outcome.kind === 'paused') {
      if (last) await this.recordStepEnd(run, last, ctx);
      return this.pause(run, outcome.stepIndex, settings.workerId, ctx);
    }
    return this.ender.end({
      run,
      ctx,
      step: last ? finishOf(last) : null,
      ending: outcome,
      workerId: settings.workerId,
      backoffBaseMs: settings.backoffBaseMs,
    });
  }

  /** The plan of a run of this action type (the same at every call: a remote worker's result is checked against it). */
  planOf(run: ExecutionRunRow, actionType: ActionType): PlannedStep[] {
    const handler = this.registry.find(actionType.handler);
    if (!handler) throw new Error(`no handler ${actionType.handler}`);
    return handler.plan({ params: run.params, targets: run.targets, actionType });
  }

  /** In the claim's transaction: the run's plan, the steps already done, and the first step to do (or why none). */
  private async prepare(run: ClaimedRun, settings: WorkerSettings, actor?: Actor): Promise<Prepared> {
    const ctx: CommandContext = {
      actor: actor ?? { id: `worker:${settings.workerId}`, kind: 'system' },
      requestId: `run:${run.id}:${run.attempt}`,
    };
    const actionType = this.policy.getActionTypeOrFail(run.action);
    const handler = this.registry.find(actionType.handler) ?? null;
    const base = { run, ctx, actionType, handler, planned: [] as PlannedStep[], results: [] as unknown[] };
    if (!handler) return { ...base, next: end({ kind: 'failed', error: `FAIL:no_handler_${actionType.handler}` }) };
    const invalid = handler.validate(run.params, actionType);
    if (invalid) return { ...base, next: end({ kind: 'failed', error: `FAIL:invalid_params: ${invalid}` }) };
    let planned: PlannedStep[];
    try {
      planned = handler.plan({ params: run.params, targets: run.targets, actionType });
    } catch (error) {
      return { ...base, handler, next: end({ kind: 'retry', error: error instanceof Error ? error.message : String(error) }) };
    }
    // Only an attempt after the first can find steps done (a resumed run, a re-driven one, a level-3 step).
    const finished = run.attempt > 1 ? await this.steps.finished(run.id) : new Map<number, unknown>();
    let index = 0;
    while (index < planned.length && finished.has(index)) index++;
    const results = planned.slice(0, index).map((_, done) => finished.get(done) ?? null);
    const prepared = { ...base, handler, planned, results };
    if (index === planned.length) return { ...prepared, next: end({ kind: 'succeeded', result: { steps: results.length, results } }) };
    // The claim checked the gate; level 3 also needs the lane to be this step's own.
    if (run.approval_level === 3 && index > 0) {
      const decision = await this.gate.check(run.id);
      if (!decision.allowed) return { ...prepared, next: end({ kind: 'failed', error: `approval_required: ${decision.reason}` }) };
      if (decision.approval.step_index !== index) return { ...prepared, next: end({ kind: 'paused', stepIndex: index }) };
    }
    return { ...prepared, next: { kind: 'start', index } };
  }

  /** The steps from the one started, each next one started in the transaction that ends the one before. */
  private async runSteps(
    started: StartedRun,
    lease: LeaseKeeper,
    settings: WorkerSettings,
  ): Promise<{ outcome: Outcome; last: StepFinish | null }> {
    const { run, ctx, actionType, handler, planned } = started;
    if (started.next.kind === 'end' || !handler) return { outcome: started.next.kind === 'end' ? started.next.outcome : null, last: null };
    let { index, stepId } = started.next;
    const results = [...started.results];
    for (;;) {
      const end = await this.stepRunner.run({ run, actionType, handler, lease, settings, ctx, index, step: planned[index] });
      const last: StepFinish = { stepId, index, end };
      if (end.kind === 'stop') return { outcome: end.outcome, last };
      results.push(end.outcome.result ?? null);
      if (index + 1 === planned.length) return { outcome: { kind: 'succeeded', result: { steps: results.length, results } }, last };
      const advanced = await this.advance(started, { last, lease, settings });
      if (advanced.kind === 'end') return { outcome: advanced.outcome, last: null };
      ({ index, stepId } = advanced);
    }
  }

  /**
   * One transaction: the step's end, then (unless a cancel was committed before it, the lease is
   * gone, or the approval gate is closed) the next step's start. Level 3: a step after the first
   * needs a lane of its own, else the run pauses.
   */
  advance(
    started: Pick<StartedRun, 'run' | 'ctx' | 'planned'>,
    input: { last: StepFinish; lease: LeaseView; settings: Pick<WorkerSettings, 'workerId'> },
  ): Promise<{ kind: 'step'; index: number; stepId: string } | { kind: 'end'; outcome: Outcome }> {
    const { run, ctx, planned } = started;
    const { last, lease } = input;
    const index = last.index + 1;
    return this.uow.run(async () => {
      const { cancelRequestedBy } = await this.steps.finish(run, finishOf(last), ctx, { readCancel: true });
      // A cancel committed before this step's result: no further step runs, and the run ends CANCELLED.
      if (cancelRequestedBy) lease.cancelled(cancelRequestedBy);
      if (lease.reason) return end(endingFor(lease.reason, run, lease));
      const decision = await this.gate.check(run.id);
      if (!decision.allowed) return end({ kind: 'failed', error: `approval_required: ${decision.reason}` });
      if (run.approval_level === 3 && decision.approval.step_index !== index) return end({ kind: 'paused', stepIndex: index });
      const stepId = await this.steps.start(run, { index, name: planned[index].name, workerId: input.settings.workerId }, ctx);
      return { kind: 'step' as const, index, stepId };
    });
  }

  /** A step's end alone (the run pauses, or its lease was lost): the reaper may already have closed it. */
  private async recordStepEnd(run: ExecutionRunRow, last: StepFinish, ctx: CommandContext): Promise<void> {
    try {
      await this.steps.finish(run, finishOf(last), ctx, { readCancel: true });
    } catch (error) {
      this.logger.warn({ err: error, execution_id: run.id, step: last.index }, 'could not record the end of a step');
    }
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
}

function end(outcome: Outcome): { kind: 'end'; outcome: Outcome } {
  return { kind: 'end', outcome };
}

export function finishOf(last: StepFinish): Parameters<ExecutionStepService['finish']>[1] {
  const { end: stepEnd } = last;
  return {
    stepId: last.stepId,
    index: last.index,
    status: stepEnd.status,
    outcome: stepEnd.kind === 'done' ? stepEnd.outcome.outcome : null,
    result: stepEnd.kind === 'done' ? capResult(stepEnd.outcome.result ?? null) : null,
    error: stepEnd.kind === 'stop' ? stepEnd.error : null,
  };
}
