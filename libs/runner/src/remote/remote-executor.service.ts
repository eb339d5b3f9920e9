import { Injectable, Logger } from '@nestjs/common';
import { CommandContext, SECRET_MASKER } from '@lib/common';
import { AppConfig, WorkerSettings } from '@lib/config';
import { UnitOfWork } from '@lib/database';
import { AuditEventType, runEvent } from '@lib/audit';
import { Permission, Principal } from '@lib/identity';
import { PolicyService } from '@lib/policy';
import { ClaimedRun, ExecutionRunRow, ExecutionStepService, PlannedStep, RunStatus, StepStatus } from '@lib/execution';
import { SecretResolverService } from '../secrets/secret-resolver.service';
import { RunExecutorService, StepFinish } from '../worker/run-executor.service';
import { Outcome } from '../worker/step-runner.service';
import { RunnerErrorCode, RunnerException } from '../runner.exception';
import { RemoteClaimService } from './remote-claim.service';
import {
  ClaimAnswer,
  HeartbeatAnswer,
  leaseLost,
  leaseWorkerId,
  ReportAnswer,
  ReportLease,
  runNotFound,
  sameReport,
  stepEndOf,
  StepReport,
} from './remote-lease';

/**
 * The worker protocol's step side: heartbeats, progress and step results under a claim's lease.
 * A step's report is written exactly as the in-process worker writes it: the step's end with
 * the next step's start, or with the run's end (and, level 3, the pause before the next step).
 * A report sent again after a lost answer is answered from what was written, never twice; a
 * cancel or a deadline seen at a heartbeat ends the run there.
 */
@Injectable()
export class RemoteExecutorService {
  private readonly logger = new Logger(RemoteExecutorService.name);

  constructor(
    private readonly config: AppConfig,
    private readonly uow: UnitOfWork,
    private readonly policy: PolicyService,
    private readonly executor: RunExecutorService,
    private readonly steps: ExecutionStepService,
    private readonly secrets: SecretResolverService,
    private readonly claims: RemoteClaimService,
  ) {}

  private get settings(): WorkerSettings {
    return this.config.worker;
  }

  /** Registers with the masker the secrets a run's params name, so that whatever a worker reports of them is masked in any API process. */
  private async registerSecretsOf(run: ExecutionRunRow): Promise<void> {
    await this.secrets.resolve(run.params).catch(() => undefined);
  }

  /** Renews the lease; a cancel requested or a deadline passed ends the run here, and the answer tells the worker to stop. */
  async heartbeat(principal: Principal, runId: string, leaseToken: string): Promise<HeartbeatAnswer> {
    const run = await this.visibleRunOrFail(principal, runId);
    const workerId = leaseWorkerId(principal.id, leaseToken);
    const held = await this.steps.renewLease({ runId, workerId, leaseMs: this.settings.leaseMs });
    if (!held) throw leaseLost(runId);
    const stop = held.cancel_requested_at ? 'cancelled' : held.past_deadline ? 'timed_out' : null;
    if (stop) await this.stopUnderWorker(run, workerId, principal.ctx, stop, held.cancel_requested_by);
    return { leaseExpiresAt: held.lease_expires_at, deadlineAt: held.deadline_at, stop };
  }

  /** Progress of the running step, on the run's stream (masked), from the lease holder only. */
  async progress(principal: Principal, runId: string, leaseToken: string, data: Record<string, unknown>): Promise<void> {
    const workerId = leaseWorkerId(principal.id, leaseToken);
    await this.uow.run(async () => {
      const found = await this.steps.withRunningStep(runId);
      if (!found || !principal.can(Permission.RunExecute, found.run.project_id)) throw runNotFound(runId);
      if (found.run.status !== RunStatus.Running || found.run.worker_id !== workerId || !found.running) throw leaseLost(runId);
      await this.registerSecretsOf(found.run);
      // The step is the server's: a worker's own `step` field cannot stand for another.
      await this.steps.recordOnRun(
        found.run,
        runEvent(AuditEventType.StepProgress, found.run, principal.ctx, {
          ...SECRET_MASKER.maskJson(data),
          step: found.running.step_index,
        }),
      );
    });
  }

  /**
   * A step's result, and (claim_next) when it ends the run, the worker's next runs in the same
   * answer. The actions to claim are checked first: a refusal then writes nothing.
   */
  async reportAndClaim(
    principal: Principal,
    input: {
      runId: string;
      index: number;
      leaseToken: string;
      report: StepReport;
      claimNext?: { actions: readonly string[]; limit: number };
    },
  ): Promise<{ answer: ReportAnswer; claimed: ClaimAnswer | null }> {
    if (input.claimNext) this.claims.assertRemoteActions(input.claimNext.actions);
    const answer = await this.report(principal, input.runId, input.index, input.leaseToken, input.report);
    const claimed = input.claimNext && answer.next === null ? await this.claims.claimAfterReport(principal, input.claimNext) : null;
    return { answer, claimed };
  }

  /** A step's result: written with what follows (the next step, handed back here, or the run's end). */
  async report(principal: Principal, runId: string, index: number, leaseToken: string, report: StepReport): Promise<ReportAnswer> {
    const workerId = leaseWorkerId(principal.id, leaseToken);
    const ctx = principal.ctx;
    const checked = await this.checkReport(principal, runId, index, workerId, report);
    if (checked.kind === 'answer') return checked.answer;
    const { run, stepId, planned } = checked;
    const claimed: ClaimedRun = { ...run, approval_id: null, claimable_seconds: 0 };
    const last: StepFinish = { stepId, index, end: stepEndOf(report) };
    try {
      if (last.end.kind === 'stop') return await this.settled(claimed, ctx, last.end.outcome as NonNullable<Outcome>, last, workerId);
      if (index + 1 === planned.length) {
        const results = await this.resultsWith(run.id, index, last.end.outcome.result ?? null);
        return await this.settled(claimed, ctx, { kind: 'succeeded', result: { steps: results.length, results } }, last, workerId);
      }
      const lease = new ReportLease();
      const advanced = await this.executor.advance({ run: claimed, ctx, planned }, { last, lease, settings: { workerId } });
      if (advanced.kind === 'end') {
        // A cancel committed before this result, or the gate closed: the run ends (or pauses for a level-3 lane) here.
        const outcome = advanced.outcome ?? { kind: 'cancelled' as const, by: 'system' };
        return await this.settled(claimed, ctx, outcome, null, workerId);
      }
      return { run, next: await this.claims.handedStep(planned, advanced.index) };
    } catch (error) {
      // A racing report of the same step won, or the lease went meanwhile: answer from what was written.
      const again = await this.checkReport(principal, runId, index, workerId, report);
      if (again.kind === 'answer') return again.answer;
      throw error;
    }
  }

  /** Whether the report may be written: the run held under this lease with this step running, or the answer it already had. */
  private async checkReport(
    principal: Principal,
    runId: string,
    index: number,
    workerId: string,
    report: StepReport,
  ): Promise<{ kind: 'answer'; answer: ReportAnswer } | { kind: 'write'; run: ExecutionRunRow; stepId: string; planned: PlannedStep[] }> {
    // Read without a lock, in no transaction: every write that follows is a compare-and-set (the
    // step from running, the run on its worker_id), so a report that lost a race to another, or
    // to the reaper, writes nothing and is checked again from what was written.
    const checked = await (async () => {
      const found = await this.steps.withRunningStep(runId, { lock: false });
      if (!found || !principal.can(Permission.RunExecute, found.run.project_id)) throw runNotFound(runId);
      const { run, running, pastDeadline } = found;
      await this.registerSecretsOf(run);
      const held = run.status === RunStatus.Running && run.worker_id === workerId;
      const planned = this.executor.planOf(run, this.policy.getActionTypeOrFail(run.action));
      if (held && running?.step_index === index) {
        if (pastDeadline) return { kind: 'timed_out' as const, run, stepId: running.id };
        return { kind: 'write' as const, run, stepId: running.id, planned };
      }
      // Sent again after a lost answer: the step this lease wrote at this index, with the same result.
      const written = await this.steps.ofAttempt(runId, index, run.attempt);
      // Its deadline passed first: the run ended TIMED_OUT (here, at a heartbeat, or by the reaper) with this lease's step.
      if (!held && written?.worker_id === workerId && written.status === StepStatus.TimedOut) {
        throw new RunnerException(RunnerErrorCode.RunTimedOut, 'the run ran out of time before this result: it ended TIMED_OUT', {
          execution_id: runId,
        });
      }
      if (!written || written.worker_id !== workerId) {
        if (!held) throw leaseLost(runId);
        throw new RunnerException(RunnerErrorCode.StepNotCurrent, `step ${index} is not the step running under this lease`, {
          step_index: index,
          running_step_index: running?.step_index ?? null,
        });
      }
      if (written.status === StepStatus.Running || !sameReport(written, report)) {
        if (!held) throw leaseLost(runId);
        throw new RunnerException(RunnerErrorCode.StepAlreadyReported, `step ${index} was reported already, with another result`, {
          step_index: index,
        });
      }
      if (held && running) return { kind: 'answer' as const, answer: { run, next: null }, nextIndex: running.step_index, planned };
      if (run.worker_id !== null && !held) throw leaseLost(runId);
      return { kind: 'answer' as const, answer: { run, next: null }, nextIndex: null, planned };
    })();
    if (checked.kind === 'timed_out') {
      await this.stopUnderWorker(checked.run, workerId, principal.ctx, 'timed_out', null);
      throw new RunnerException(RunnerErrorCode.RunTimedOut, 'the run ran out of time before this result: it ended TIMED_OUT', {
        execution_id: runId,
      });
    }
    if (checked.kind === 'write') return checked;
    const next = checked.nextIndex === null ? null : await this.claims.handedStep(checked.planned, checked.nextIndex);
    return { kind: 'answer', answer: { run: checked.answer.run, next } };
  }

  private settled(
    run: ClaimedRun,
    ctx: CommandContext,
    outcome: NonNullable<Outcome>,
    last: StepFinish | null,
    workerId: string,
  ): Promise<ReportAnswer> {
    return this.executor
      .settle({ run, ctx, outcome, last, settings: { workerId, backoffBaseMs: this.settings.backoffBaseMs } })
      .then((ended) => ({ run: ended, next: null }));
  }

  /** The run ends under its worker: CANCELLED (a cancel was asked for) or TIMED_OUT, its running step with it. */
  private async stopUnderWorker(
    run: ExecutionRunRow,
    workerId: string,
    ctx: CommandContext,
    why: 'cancelled' | 'timed_out',
    by: string | null,
  ): Promise<void> {
    const running = (await this.steps.withRunningStep(run.id, { lock: false }))?.running ?? null;
    const last: StepFinish | null = running
      ? {
          stepId: running.id,
          index: running.step_index,
          end: {
            kind: 'stop',
            status: why === 'cancelled' ? StepStatus.Cancelled : StepStatus.TimedOut,
            outcome: null,
            error: why === 'cancelled' ? 'cancelled: the worker was told at its heartbeat' : 'timed out: the worker was told',
          },
        }
      : null;
    const outcome: NonNullable<Outcome> =
      why === 'cancelled'
        ? { kind: 'cancelled', by: by ?? 'system' }
        : { kind: 'timed_out', error: `timed out after ${run.timeout_seconds} s` };
    try {
      await this.executor.settle({
        run: { ...run, approval_id: null, claimable_seconds: 0 },
        ctx,
        outcome,
        last,
        settings: { workerId, backoffBaseMs: this.settings.backoffBaseMs },
      });
    } catch (error) {
      // Ended meanwhile (the reaper, a racing heartbeat): the worker is told to stop either way.
      this.logger.warn({ err: error, execution_id: run.id }, 'a remote run could not be ended at its heartbeat');
    }
  }

  private async resultsWith(runId: string, index: number, result: unknown): Promise<unknown[]> {
    if (index === 0) return [result]; // a one-step plan: nothing before it
    const finished = await this.steps.finished(runId);
    finished.set(index, result);
    return [...finished.keys()].sort((a, b) => a - b).map((key) => finished.get(key) ?? null);
  }

  /** A run the caller may work on: in a project it holds the worker role on (any other answers as one that does not exist). */
  private async visibleRunOrFail(principal: Principal, runId: string): Promise<ExecutionRunRow> {
    // A read, not a lock: what follows is a compare-and-set on the lease.
    const found = (await this.steps.withRunningStep(runId, { lock: false }))?.run ?? null;
    if (!found || !principal.can(Permission.RunExecute, found.project_id)) throw runNotFound(runId);
    return found;
  }
}
