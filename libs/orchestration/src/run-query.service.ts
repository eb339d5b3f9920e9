import { Injectable } from '@nestjs/common';
import { Observable } from 'rxjs';
import { isDatabaseUnavailable } from '@lib/database';
import { AuditEventRow, AuditFeedService, AuditService, chainKeyOf } from '@lib/audit';
import { AccessService, Permission, Principal } from '@lib/identity';
import { ExecutionRunRow, ExecutionRunService, hasEnded, notFound, RunSearch } from '@lib/execution';
import { RunView, RunViewService } from '@lib/approval';

const FIRST_READ_RETRY_MS = 100;
const MAX_READ_RETRY_MS = 5_000;

/** Emitted once by a followed run's stream, when it listens: from then on no event is missed. */
export const LISTENING = 'listening';

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
   * The run's events after `after` (all when absent), oldest first, and whether the run had ended
   * for good before they were read (then they include its last one). With `waitMs`, an empty
   * answer waits that long for the next event (long-poll), unless the run has ended: nothing is
   * coming then. The subscription is made before the read, so an event committed in between is
   * not missed.
   */
  async listEvents(
    principal: Principal,
    executionId: string,
    options: { after?: string; waitMs?: number } = {},
  ): Promise<{ run: ExecutionRunRow; events: AuditEventRow[]; ended: boolean }> {
    const { run } = await this.getById(principal, executionId);
    // Read before the events: the transaction that ended the run appended its events with it.
    const endedBefore = hasEnded(run.status);
    if (!options.waitMs || endedBefore) return { run, events: await this.audit.listForRun(run.id, options.after), ended: endedBefore };
    let signal: () => void = () => undefined;
    const arrived = new Promise<void>((resolve) => (signal = resolve));
    const unsubscribe = await this.feed.subscribe(chainKeyOf({ executionRunId: run.id }), () => signal());
    try {
      const events = await this.audit.listForRun(run.id, options.after);
      if (events.length > 0) return { run, events, ended: false };
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([arrived, new Promise((resolve) => (timer = setTimeout(resolve, options.waitMs)))]);
      // An answer that came early must not leave its timer behind for the rest of the wait.
      clearTimeout(timer);
      const ended = await this.runs.hasEndedNow(run.id);
      return { run, events: await this.audit.listForRun(run.id, options.after), ended };
    } finally {
      unsubscribe();
    }
  }

  /**
   * The run's events from `after` on, as they are committed: first the ones already there, then
   * each new one. Access is checked before the stream exists (errors keep their JSON body). The
   * subscription is made before the first read, so nothing committed in between is missed; every
   * read starts at the last event sent, so a notification lost while the database was away costs
   * nothing. While PostgreSQL is away a read is tried again (backoff, from the last event sent);
   * any other error ends this one stream, never the process. A run that has ended for good (or
   * was purged) completes the stream after its remaining events: each read asks first whether
   * the run had ended, and the transaction that ended it appended its last events with it.
   */
  async follow(principal: Principal, executionId: string, after?: string): Promise<Observable<AuditEventRow | typeof LISTENING>> {
    const { run } = await this.getById(principal, executionId);
    return new Observable<AuditEventRow | typeof LISTENING>((subscriber) => {
      let last = after;
      let closed = false;
      let draining: Promise<void> = Promise.resolve();
      let unsubscribe: () => void = () => undefined;
      let retryMs = FIRST_READ_RETRY_MS;
      let retry: NodeJS.Timeout | undefined;
      const drain = () => {
        draining = draining
          .then(async () => {
            if (closed) return;
            const ended = await this.runs.hasEndedNow(run.id);
            for (const event of await this.audit.listForRun(run.id, last)) {
              if (closed) return;
              subscriber.next(event);
              last = event.id;
            }
            retryMs = FIRST_READ_RETRY_MS;
            if (ended) subscriber.complete();
          })
          .catch((error: unknown) => {
            // PostgreSQL is away (restarting, a connection cut): read again shortly, from the
            // last event sent; anything else ends this stream.
            if (!isDatabaseUnavailable(error)) return subscriber.error(error);
            clearTimeout(retry);
            retry = setTimeout(drain, retryMs);
            retryMs = Math.min(retryMs * 2, MAX_READ_RETRY_MS);
          });
      };
      this.feed.subscribe(chainKeyOf({ executionRunId: run.id }), drain).then(
        (off) => {
          if (closed) return off();
          unsubscribe = off;
          subscriber.next(LISTENING);
          drain();
        },
        (error: unknown) => subscriber.error(error),
      );
      return () => {
        closed = true;
        clearTimeout(retry);
        unsubscribe();
      };
    });
  }

  /** Runs matching the filters in the caller's projects (a named project must be one of them), newest first. */
  async search(principal: Principal, filter: Omit<RunSearch, 'projectIds'>): Promise<RunView[]> {
    this.access.assertAllowed(principal, Permission.RunRead, filter.projectId ?? undefined);
    const runs = await this.runs.search({ ...filter, projectIds: principal.projectsWith(Permission.RunRead) });
    const views: RunView[] = [];
    for (const run of runs) views.push(await this.views.of(run));
    return views;
  }

  private async viewFor(principal: Principal, run: ExecutionRunRow): Promise<RunView> {
    this.access.assertVisible(principal, Permission.RunRead, run.project_id, notFound);
    return this.views.fresh(run);
  }
}
