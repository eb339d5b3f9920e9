import { createHash } from 'node:crypto';
import { canonicalJson, SECRET_MASKER } from '@lib/common';
import {
  AbortReason,
  capResult,
  ExecutionErrorCode,
  ExecutionException,
  ExecutionRunRow,
  outcomeKind,
  PlannedStep,
  StepStatus,
} from '@lib/execution';
import { LeaseView } from '../worker/run-executor.service';
import { StepEnd } from '../worker/step-runner.service';
import { RunnerErrorCode, RunnerException } from '../runner.exception';

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

/** The worker id a lease token stands for: the principal's, and a hash of the token (the token is never stored). */
export function leaseWorkerId(principalId: string, leaseToken: string): string {
  return `remote:${principalId}:${createHash('sha256').update(leaseToken).digest('hex').slice(0, 32)}`;
}

/** The lease a report is written under, as the step's end sees it: a cancel committed before the result stops the run. */
export class ReportLease implements LeaseView {
  reason: AbortReason | undefined = undefined;
  cancelRequestedBy: string | null = null;

  cancelled(by: string | null): void {
    this.cancelRequestedBy ??= by;
    this.reason = 'cancelled';
  }
}

/** A run that does not exist, or is in a project the caller holds no worker role on: the same answer. */
export function runNotFound(runId: string): ExecutionException {
  return new ExecutionException(ExecutionErrorCode.ExecutionNotFound, 'no such run', { execution_id: runId });
}

export function leaseLost(runId: string): RunnerException {
  return new RunnerException(
    RunnerErrorCode.LeaseLost,
    'this lease no longer holds the run (expired, taken over or ended): nothing was written',
    {
      execution_id: runId,
    },
  );
}

/** How a reported result ends the step, as the in-process step runner would end it. */
export function stepEndOf(report: StepReport): StepEnd {
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
export function sameReport(
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
