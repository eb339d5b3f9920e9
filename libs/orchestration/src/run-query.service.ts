import { Injectable } from '@nestjs/common';
import { AuditEventRow, AuditFeedService, AuditService, chainKeyOf } from '@lib/audit';
import { AccessService, Permission, Principal } from '@lib/governance';
import { ExecutionRunRow, ExecutionRunService } from '@lib/execution';
import { RunView, RunViewService } from '@lib/approval';

/** Reading runs: by id or key with their approval, their audit trail, and following it live. */
@Injectable()
export class RunQueryService {
  constructor(
    private readonly access: AccessService,
    private readonly runs: ExecutionRunService,
    private readonly views: RunViewService,
    private readonly audit: AuditService,
    private readonly feed: AuditFeedService,
  ) {}

  async getById(principal: Principal, executionId: string): Promise<RunView> {
    this.access.assertAllowed(principal, Permission.RunRead);
    return this.viewFor(principal, await this.runs.getRunOrFail(executionId));
  }

  async getByKey(principal: Principal, projectId: string, idempotencyKey: string): Promise<RunView> {
    this.access.assertAllowed(principal, Permission.RunRead, projectId);
    return this.viewFor(principal, await this.runs.getRunByKeyOrFail(projectId, idempotencyKey));
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
  ): Promise<{ run: ExecutionRunRow; events: AuditEventRow[] }> {
    const { run } = await this.getById(principal, executionId);
    if (!options.waitMs) return { run, events: await this.audit.listForRun(run.id, options.after) };
    let signal: () => void = () => undefined;
    const arrived = new Promise<void>((resolve) => (signal = resolve));
    const unsubscribe = await this.feed.subscribe(chainKeyOf({ executionRunId: run.id }), () => signal());
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
    input: { after?: string; ready: () => void; send: (event: AuditEventRow) => void },
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
    const unsubscribe = await this.feed.subscribe(chainKeyOf({ executionRunId: run.id }), drain);
    drain();
    await draining;
    return unsubscribe;
  }

  private async viewFor(principal: Principal, run: ExecutionRunRow): Promise<RunView> {
    this.access.assertAllowed(principal, Permission.RunRead, run.project_id);
    return this.views.fresh(run);
  }
}
