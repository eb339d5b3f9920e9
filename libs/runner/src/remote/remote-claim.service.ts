import { randomBytes } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { AppConfig, WorkerSettings } from '@lib/config';
import { ApiKeyService, Permission, Principal } from '@lib/identity';
import { ActionType, PolicyErrorCode, PolicyException, PolicyService } from '@lib/policy';
import { PlannedStep, ReaperService, StepStatus } from '@lib/execution';
import { ApprovalClosureService } from '@lib/approval';
import { SecretResolverService } from '../secrets/secret-resolver.service';
import { RunExecutorService, StartedRun, StepFinish } from '../worker/run-executor.service';
import { RunnerErrorCode, RunnerException } from '../runner.exception';
import { ClaimAnswer, HandedRun, HandedStep, leaseWorkerId } from './remote-lease';
import { RunReadySignal } from './run-ready-signal';

const TOKEN_BYTES = 32;
/** The fallback look at the queue of a waiting claim (due retries and target waits are not announced). */
const FALLBACK_LOOK_MS = 1000;
/** How often, at most, a claim also reaps runs whose remote worker stopped answering. */
const REAP_EVERY_MS = 1000;

/**
 * The claims of remote workers: runs of the remote actions a worker serves, in the projects it
 * holds the worker role on, through the same claim as the in-process worker (the gate,
 * worker-side RBAC, modes, target locks and level-3 step lanes are the queue's). Each answer
 * carries one lease token, whose hash (with the principal) is the worker_id every
 * compare-and-set of the run expects; a long wait is woken by NOTIFY, asks the credential again
 * before each look after the first, and ends when the worker hangs up.
 */
@Injectable()
export class RemoteClaimService {
  private readonly logger = new Logger(RemoteClaimService.name);
  private lastReap = 0;

  constructor(
    private readonly config: AppConfig,
    private readonly policy: PolicyService,
    private readonly executor: RunExecutorService,
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
      // Nobody reads the answer any more: take nothing (a run handed out now would wait for its lease to expire).
      if (input.signal?.aborted) return { leaseToken, leaseMs: settings.leaseMs, heartbeatMs: settings.heartbeatMs, runs: [] };
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

  async handedStep(planned: readonly PlannedStep[], index: number): Promise<HandedStep> {
    const step = planned[index];
    return { index, name: step.name, input: await this.secrets.resolve(step.input) };
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
