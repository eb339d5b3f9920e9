import { Injectable, Logger } from '@nestjs/common';
import { CommandContext, SECRET_MASKER } from '@lib/common';
import { WorkerSettings } from '@lib/config';
import { AuditEventType, runEvent } from '@lib/audit';
import { ActionType } from '@lib/policy';
import {
  AbortReason,
  ActionHandler,
  Ending,
  ExecutionRunRow,
  ExecutionStepService,
  LeaseKeeper,
  mask,
  outcomeKind,
  PlannedStep,
  StepContext,
  StepOutcome,
  StepStatus,
} from '@lib/execution';
import { SecretResolverService } from '../secrets/secret-resolver.service';

/** How a run's attempt ends: an ending for the lifecycle, a pause before a level-3 step, or nothing (the lease was lost). */
export type Outcome = Ending | { kind: 'paused'; stepIndex: number } | null;

/** What one step came to. */
export type StepEnd =
  | { kind: 'done'; status: StepStatus.Succeeded | StepStatus.Skipped; outcome: StepOutcome }
  | { kind: 'stop'; outcome: Outcome; status: StepStatus; error: string };

/** What carrying out one step of a run needs at hand. */
export interface StepInput {
  readonly run: ExecutionRunRow;
  readonly actionType: ActionType;
  readonly handler: ActionHandler;
  readonly lease: LeaseKeeper;
  readonly settings: WorkerSettings;
  readonly ctx: CommandContext;
  readonly index: number;
  readonly step: PlannedStep;
}

class StepAborted extends Error {
  constructor(readonly reason: AbortReason) {
    super(`aborted: ${reason}`);
  }
}

/**
 * Runs one step's handler: secrets resolved just in time, the lease's AbortSignal passed in, a
 * handler that ignores its abort abandoned after the grace period, and what it answered (OK,
 * SKIP:…, FAIL:…, a thrown error, an abort) turned into the step's end and, when it stops the
 * run, the run's ending. It records nothing: the executor writes the step's end together with
 * what comes next.
 */
@Injectable()
export class StepRunnerService {
  private readonly logger = new Logger(StepRunnerService.name);

  constructor(
    private readonly secrets: SecretResolverService,
    private readonly steps: ExecutionStepService,
  ) {}

  async run(input: StepInput): Promise<StepEnd> {
    const { run, actionType, handler, lease, settings, ctx, index, step } = input;
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
    try {
      const resolved: PlannedStep = { name: step.name, input: await this.secrets.resolve(step.input) };
      const outcome = await withAbandon(handler.execute(resolved, stepCtx), lease.signal, settings.abortGraceMs);
      return this.endFor(outcome, lease, run);
    } catch (error) {
      return this.endForError(error, lease, run);
    }
  }

  private endFor(outcome: StepOutcome | 'abandoned', lease: LeaseKeeper, run: ExecutionRunRow): StepEnd {
    if (outcome === 'abandoned')
      return abortedEnd(lease.reason ?? 'lease_lost', run, 'the step did not stop after its abort; abandoned', lease);
    const kind = outcomeKind(outcome.outcome);
    if (kind === 'ok') return { kind: 'done', status: StepStatus.Succeeded, outcome };
    if (kind === 'skip') return { kind: 'done', status: StepStatus.Skipped, outcome };
    return { kind: 'stop', status: StepStatus.Failed, outcome: { kind: 'failed', error: outcome.outcome }, error: outcome.outcome };
  }

  private endForError(error: unknown, lease: LeaseKeeper, run: ExecutionRunRow): StepEnd {
    if (error instanceof StepAborted || (lease.reason && isAbortError(error))) {
      return abortedEnd(lease.reason ?? (error as StepAborted).reason, run, 'aborted', lease);
    }
    const message = mask(error instanceof Error ? error.message : String(error));
    return { kind: 'stop', status: StepStatus.Failed, outcome: { kind: 'retry', error: message }, error: message };
  }
}

/** The run's ending when its lease's signal fired: timed out, cancelled, or nothing (the lease was lost: the reaper owns the run). */
export function endingFor(reason: AbortReason, run: ExecutionRunRow, lease: Pick<LeaseKeeper, 'cancelRequestedBy'>): Ending | null {
  if (reason === 'timeout') return { kind: 'timed_out', error: `timed out after ${run.timeout_seconds} s` };
  if (reason === 'cancelled') return { kind: 'cancelled', by: lease.cancelRequestedBy ?? 'system' };
  return null;
}

function abortedEnd(reason: AbortReason, run: ExecutionRunRow, detail: string, lease: LeaseKeeper): StepEnd {
  if (reason === 'timeout') return { kind: 'stop', status: StepStatus.TimedOut, outcome: endingFor('timeout', run, lease), error: detail };
  if (reason === 'cancelled')
    return { kind: 'stop', status: StepStatus.Cancelled, outcome: endingFor('cancelled', run, lease), error: detail };
  return { kind: 'stop', status: StepStatus.Abandoned, outcome: null, error: 'lease lost' };
}

/** Waits for the handler; once aborted, gives it the grace period and then abandons it. */
function withAbandon<T>(work: Promise<T>, signal: AbortSignal, graceMs: number): Promise<T | 'abandoned'> {
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

function isAbortError(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');
}
