import { createHash, randomBytes } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { canonicalJson, CommandContext, SECRET_MASKER } from '@lib/common';
import { AppConfig, WorkerSettings } from '@lib/config';
import { UnitOfWork } from '@lib/database';
import { AuditEventType, runEvent } from '@lib/audit';
import { ApiKeyService, Permission, Principal } from '@lib/identity';
import { ActionType, PolicyErrorCode, PolicyException, PolicyService } from '@lib/policy';
import {
  AbortReason,
  capResult,
  ClaimedRun,
  ExecutionErrorCode,
  ExecutionException,
  ExecutionRunRow,
  ExecutionStepService,
  outcomeKind,
  PlannedStep,
  ReaperService,
  RunStatus,
  StepStatus,
} from '@lib/execution';
import { ApprovalClosureService } from '@lib/approval';
import { SecretResolverService } from '../secrets/secret-resolver.service';
import { LeaseView, RunExecutorService, StartedRun, StepFinish } from '../worker/run-executor.service';
import { Outcome, StepEnd } from '../worker/step-runner.service';
import { RunnerErrorCode, RunnerException } from '../runner.exception';
import { RunReadySignal } from './run-ready-signal';

/** A step handed to a remote worker: what to do, with the secrets it references resolved (in this answer only). */
export interface HandedStep {
  readonly index: number;
  readonly name: string;
  readonly input: Record<string, unknown>;
}

/** A run handed to a remote worker, under the lease of its claim. */
export interface HandedRun {
  readonly run: ExecutionRunRow;
  readonly planned: readonly PlannedStep[];
  readonly step: HandedStep;
}

/** What a claim came to: the lease token its runs are held under (shown once), and the runs. */
export interface ClaimAnswer {
  readonly leaseToken: string;
  readonly leaseMs: number;
  readonly heartbeatMs: number;
  readonly runs: HandedRun[];
}

/** A heartbeat's answer: until when the lease holds, and whether the worker is to stop. */
export interface HeartbeatAnswer {
  readonly leaseExpiresAt: Date;
  readonly deadlineAt: Date | null;
  /** Set when the run ended under the worker: it must stop the step (the result would be refused). */
  readonly stop: 'cancelled' | 'timed_out' | null;
}

/** What a step's report came to: the run's status, and the next step when the run goes on. */
export interface ReportAnswer {
  readonly run: ExecutionRunRow;
  readonly next: HandedStep | null;
}

/** A step's result as a worker reports it: an outcome (OK, SKIP:…, FAIL:…) with a result, or a retryable error. */
export type StepReport = { kind: 'outcome'; outcome: string; result: unknown } | { kind: 'error'; error: string };

const TOKEN_BYTES = 32;
/** The fallback look at the queue of a waiting claim (due retries and target waits are not announced). */
const FALLBACK_LOOK_MS = 1000;
/** How often, at most, a claim also reaps runs whose remote worker stopped answering. */
const REAP_EVERY_MS = 1000;

/** The worker id a lease token stands for: the principal's, and a hash of the token (the token is never stored). */
export function leaseWorkerId(principalId: string, leaseToken: string): string {
  return `remote:${principalId}:${createHash('sha256').update(leaseToken).digest('hex').slice(0, 32)}`;
}

/**
 * The worker protocol's server side. A remote worker claims runs of the remote actions it
 * serves, in the projects it holds the worker role on, through the same claim as the in-process
 * worker (the gate, worker-side RBAC, modes, target locks and level-3 step lanes are the
 * queue's); each answer carries one lease token, whose hash (with the principal) is the
 * worker_id every compare-and-set of the run expects. A step's report is written exactly as the
 * in-process worker writes it: the step's end with the next step's start, or with the run's end.
 * A report sent again after a lost answer is answered from what was written, never twice.
 */
@Injectable()
export class RemoteExecutorService {
  private readonly logger = new Logger(RemoteExecutorService.name);
  private lastReap = 0;

  constructor(
    private readonly config: AppConfig,
    private readonly uow: UnitOfWork,
    private readonly policy: PolicyService,
    private readonly executor: RunExecutorService,
    private readonly steps: ExecutionStepService,
    private readonly secrets: SecretResolverService,
    private readonly reaper: ReaperService,
    private readonly closure: ApprovalClosureService,
    private readonly ready: RunReadySignal,
    private readonly apiKeys: ApiKeyService,
  ) {}

  private get settings(): WorkerSettings {
    return this.config.worker;
  }

  /** Up to `limit` runs of these remote actions, waiting up to `waitMs` for one (answered at once when one is ready). */
  async claim(
    principal: Principal,
    input: { actions: readonly string[]; limit: number; waitMs: number; signal?: AbortSignal },
  ): Promise<ClaimAnswer> {
    this.assertRemoteActions(input.actions);
    const leaseToken = randomBytes(TOKEN_BYTES).toString('base64url');
    const settings = { ...this.settings, workerId: leaseWorkerId(principal.id, leaseToken) };
    const until = Date.now() + input.waitMs;
    for (let look = 0; ; look++) {
      // A long wait outlives a revoke or a disable: the credential is asked again before every look after the first.
      if (look > 0 && !(await this.mayStillClaim(principal))) {
        return { leaseToken, leaseMs: settings.leaseMs, heartbeatMs: settings.heartbeatMs, runs: [] };
      }
      this.reapNowAndThen();
      const seen = this.ready.current();
      const batch = await this.executor.claimAndStart(settings, {
        limit: input.limit,
        onlyActions: [...new Set(input.actions)],
        projects: principal.projectsWith(Permission.RunExecute),
        actor: principal.actor,
      });
      const runs = await this.handOut(batch.started, settings);
      const left = until - Date.now();
      if (runs.length > 0 || left <= 0 || input.signal?.aborted) {
        return { leaseToken, leaseMs: settings.leaseMs, heartbeatMs: settings.heartbeatMs, runs };
      }
      await this.ready.after(seen, Math.min(left, batch.retryInMs ?? FALLBACK_LOOK_MS, FALLBACK_LOOK_MS), input.signal);
    }
  }

  /** Refuses (422) an action that is not in the policy or not remote. */
  assertRemoteActions(actions: readonly string[]): void {
    for (const code of actions) this.remoteActionOrFail(code);
  }

  /**
   * The next runs a result asked for (claim_next), without waiting. The result is written
   * already: a claim that fails here answers no runs rather than losing the result's answer
   * (what it may have claimed comes back to the queue when its lease runs out).
   */
  async claimAfterReport(principal: Principal, input: { actions: readonly string[]; limit: number }): Promise<ClaimAnswer | null> {
    try {
      return await this.claim(principal, { ...input, waitMs: 0 });
    } catch (error) {
      this.logger.warn({ err: error }, 'the claim that came with a result failed; the result stands');
      return null;
    }
  }

  /** Whether the caller's credential still holds (not revoked, expired or disabled) and still carries runs out. */
  private async mayStillClaim(principal: Principal): Promise<boolean> {
    const standing = await this.apiKeys.standing([{ principalId: principal.id, credential: principal.credential }]);
    const now = standing.get(`${principal.id}|${principal.credential}`);
    return !!now && now.credentialProblem === null && now.principal.can(Permission.RunExecute);
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
      const found = await this.steps.lockedWithRunningStep(runId);
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
      return { run, next: await this.handedStep(planned, advanced.index) };
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
      const found = await this.steps.lockedWithRunningStep(runId, { lock: false });
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
    const next = checked.nextIndex === null ? null : await this.handedStep(checked.planned, checked.nextIndex);
    return { kind: 'answer', answer: { run: checked.answer.run, next } };
  }

  /** Runs just claimed: the ones with a step to do are handed out; the others end (or pause) here. */
  private async handOut(started: readonly StartedRun[], settings: WorkerSettings): Promise<HandedRun[]> {
    const handed: HandedRun[] = [];
    for (const item of started) {
      if (item.next.kind === 'end') {
        await this.executor.carryOut(item, settings).catch((error: unknown) => this.logRunError(error, item.run.id));
        continue;
      }
      try {
        handed.push({ run: item.run, planned: item.planned, step: await this.handedStep(item.planned, item.next.index) });
      } catch (error) {
        // A secret the step names cannot be resolved: the attempt fails (retryable), as it would in-process.
        const message = error instanceof Error ? error.message : String(error);
        const last: StepFinish = {
          stepId: item.next.stepId,
          index: item.next.index,
          end: { kind: 'stop', status: StepStatus.Failed, outcome: { kind: 'retry', error: message }, error: message },
        };
        await this.executor
          .settle({ run: item.run, ctx: item.ctx, outcome: { kind: 'retry', error: message }, last, settings })
          .catch((failure: unknown) => this.logRunError(failure, item.run.id));
      }
    }
    return handed;
  }

  private async handedStep(planned: readonly PlannedStep[], index: number): Promise<HandedStep> {
    const step = planned[index];
    return { index, name: step.name, input: await this.secrets.resolve(step.input) };
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
    const running = await this.uow.run(async () => (await this.steps.lockedWithRunningStep(run.id))?.running ?? null);
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
    const finished = await this.uow.run(() => this.steps.finished(runId));
    finished.set(index, result);
    return [...finished.keys()].sort((a, b) => a - b).map((key) => finished.get(key) ?? null);
  }

  /** A run the caller may work on: in a project it holds the worker role on (any other answers as one that does not exist). */
  private async visibleRunOrFail(principal: Principal, runId: string): Promise<ExecutionRunRow> {
    const found = await this.uow.run(async () => (await this.steps.lockedWithRunningStep(runId))?.run ?? null);
    if (!found || !principal.can(Permission.RunExecute, found.project_id)) throw runNotFound(runId);
    return found;
  }

  private remoteActionOrFail(code: string): ActionType {
    const actionType = this.policy.find(code);
    if (!actionType) throw new PolicyException(PolicyErrorCode.UnknownAction, `no action type "${code}" in the policy`, { action: code });
    if (actionType.executor !== 'remote') {
      throw new RunnerException(RunnerErrorCode.ActionNotRemote, `"${code}" is carried out by a built-in handler, not by remote workers`, {
        action: code,
      });
    }
    return actionType;
  }

  /** Remote workers' runs whose lease ran out are reaped here too: a deployment may have no worker process of its own. */
  private reapNowAndThen(): void {
    if (Date.now() - this.lastReap < REAP_EVERY_MS) return;
    this.lastReap = Date.now();
    this.reaper
      .reap(
        {
          limit: 50,
          graceMs: this.settings.abortGraceMs,
          backoffBaseMs: this.settings.backoffBaseMs,
          reaperId: 'api',
        },
        (run, ctx) => this.closure.closeForEndedRun(run, ctx),
      )
      .catch((error: unknown) => this.logger.error({ err: error }, 'reaping failed'));
  }

  private logRunError(error: unknown, runId: string): void {
    this.logger.error({ err: error, execution_id: runId }, 'a remote run could not be settled; the reaper will recover it');
  }
}

/** The lease a report is written under, as the step's end sees it: a cancel committed before the result stops the run. */
class ReportLease implements LeaseView {
  reason: AbortReason | undefined = undefined;
  cancelRequestedBy: string | null = null;

  cancelled(by: string | null): void {
    this.cancelRequestedBy ??= by;
    this.reason = 'cancelled';
  }
}

/** A run that does not exist, or is in a project the caller holds no worker role on: the same answer. */
function runNotFound(runId: string): ExecutionException {
  return new ExecutionException(ExecutionErrorCode.ExecutionNotFound, 'no such run', { execution_id: runId });
}

function leaseLost(runId: string): RunnerException {
  return new RunnerException(
    RunnerErrorCode.LeaseLost,
    'this lease no longer holds the run (expired, taken over or ended): nothing was written',
    {
      execution_id: runId,
    },
  );
}

/** How a reported result ends the step, as the in-process step runner would end it. */
function stepEndOf(report: StepReport): StepEnd {
  if (report.kind === 'error') {
    const error = SECRET_MASKER.mask(report.error).slice(0, 2000);
    return { kind: 'stop', status: StepStatus.Failed, outcome: { kind: 'retry', error }, error };
  }
  const kind = outcomeKind(report.outcome as never);
  const result = SECRET_MASKER.maskJson(report.result ?? null);
  if (kind === 'ok') return { kind: 'done', status: StepStatus.Succeeded, outcome: { outcome: report.outcome as never, result } };
  if (kind === 'skip') return { kind: 'done', status: StepStatus.Skipped, outcome: { outcome: report.outcome as never, result } };
  const error = SECRET_MASKER.mask(report.outcome).slice(0, 2000);
  return { kind: 'stop', status: StepStatus.Failed, outcome: { kind: 'failed', error }, error };
}

/** Whether a step as written is what this report would have written (a report sent again). */
function sameReport(
  written: { outcome: string | null; error: string | null; status: string; result: unknown },
  report: StepReport,
): boolean {
  const end = stepEndOf(report);
  if (end.kind === 'stop') return written.outcome === null && written.error === end.error;
  // The same outcome with another result is another report, not the same one sent again.
  return (
    written.outcome === (report as Extract<StepReport, { kind: 'outcome' }>).outcome &&
    canonicalJson(written.result ?? null) === canonicalJson(capResult(end.outcome.result ?? null))
  );
}
