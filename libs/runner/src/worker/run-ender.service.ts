import { Injectable } from '@nestjs/common';
import { CommandContext } from '@lib/common';
import { UnitOfWork } from '@lib/database';
import { ClaimedRun, Ending, ExecutionRunRow, ExecutionStepService, RunLifecycleService, RunStatus, StepStatus } from '@lib/execution';
import { ApprovalClosureService } from '@lib/approval';

/** A run whose attempt is over: its last step's end (if it has one to write), and how the run ends. */
export interface RunEnd {
  readonly run: ClaimedRun;
  readonly ctx: CommandContext;
  readonly step: Parameters<ExecutionStepService['finish']>[1] | null;
  readonly ending: Ending;
  readonly workerId: string;
  readonly backoffBaseMs: number;
}

type UsualEnding = Extract<Ending, { kind: 'succeeded' | 'failed' | 'timed_out' }>;
const USUAL: ReadonlySet<Ending['kind']> = new Set(['succeeded', 'failed', 'timed_out']);

interface Waiting {
  readonly end: RunEnd;
  readonly resolve: (run: ExecutionRunRow) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Writes the end of runs: the last step's end, the run's end and its approval's closing, in one
 * transaction. Ends that arrive in the same turn of the event loop (runs claimed together finish
 * together) share one transaction, as graphile-worker batches its completions; if that
 * transaction fails (one run's lease was lost, a conflict), each end is written again on its own,
 * so one run never takes another's end down with it.
 */
@Injectable()
export class RunEnderService {
  private waiting: Waiting[] = [];
  private scheduled = false;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly steps: ExecutionStepService,
    private readonly lifecycle: RunLifecycleService,
    private readonly closure: ApprovalClosureService,
  ) {}

  end(end: RunEnd): Promise<ExecutionRunRow> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ end, resolve, reject });
      if (this.scheduled) return;
      this.scheduled = true;
      setImmediate(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    // The same order in every transaction, so two that lock several runs never deadlock.
    const batch = this.waiting.splice(0).sort((a, b) => (a.end.run.id < b.end.run.id ? -1 : 1));
    this.scheduled = false;
    if (batch.length > 1) {
      try {
        const ended = await this.uow.run(() => this.writeMany(batch.map((waiting) => waiting.end)));
        batch.forEach((waiting) => waiting.resolve(ended.get(waiting.end.run.id) as ExecutionRunRow));
        return;
      } catch {
        // Written again one by one below: the error that matters is the failing run's own.
      }
    }
    for (const waiting of batch) {
      try {
        waiting.resolve(await this.uow.run(() => this.write(waiting.end)));
      } catch (error) {
        waiting.reject(error);
      }
    }
  }

  /**
   * Several ends in the caller's transaction: the usual ones (succeeded, failed, timed out) one
   * statement per table and kind, the others (a retry, a cancel) one by one.
   */
  private async writeMany(ends: readonly RunEnd[]): Promise<Map<string, ExecutionRunRow>> {
    const ended = new Map<string, ExecutionRunRow>();
    const usual = ends.filter((end): end is RunEnd & { ending: UsualEnding } => USUAL.has(end.ending.kind));
    for (const workerId of new Set(usual.map((end) => end.workerId))) {
      const group = usual.filter((end) => end.workerId === workerId);
      await this.steps.finishMany(group.flatMap(({ run, step, ctx }) => (step ? [{ run, step, ctx }] : [])));
      const rows = await this.lifecycle.endMany(group, { workerId });
      await this.closure.closeManyForEndedRuns(
        rows.map((run, index) => ({ run, approvedLaneId: group[index].run.approval_id, ctx: group[index].ctx })),
      );
      rows.forEach((run) => ended.set(run.id, run));
    }
    for (const end of ends) if (!USUAL.has(end.ending.kind)) ended.set(end.run.id, await this.write(end));
    return ended;
  }

  private async write(end: RunEnd): Promise<ExecutionRunRow> {
    const { run, ctx } = end;
    if (end.step) await this.steps.finish(run, end.step, ctx, { readCancel: false });
    // The attempt failed before its step's end was written (a database error between steps): the
    // step is closed as abandoned here, else the run would wait in the queue with a step open.
    else if (end.ending.kind === 'retry') await this.steps.closeRunning(run, { to: StepStatus.Abandoned, error: end.ending.error }, ctx);
    const ended = await this.lifecycle.end(
      run,
      { workerId: end.workerId, from: RunStatus.Running, ending: end.ending, backoffBaseMs: end.backoffBaseMs },
      ctx,
    );
    await this.closure.closeForEndedRun(ended, ctx, { approvedLaneId: run.approval_id });
    return ended;
  }
}
