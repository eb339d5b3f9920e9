import { AckLedger } from './ack-ledger';
import { ApiCaller, Reply } from './api-caller';
import { pause } from './progress';
import { seededRandom } from './seeded-random';

export const LOAD_PROJECTS = ['chaos-load-a', 'chaos-load-b'] as const;
const RUN_ROUTE = '/api/v1/execution/run';
const RUN_BY_ID_ROUTE = '/api/v1/execution/run/{execution_id}';
/** A write is retried with its idempotency key for this long before the load gives up on it. */
const RETRY_FOR_MS = 30_000;
const RETRY_PAUSE_MS = 300;

export interface LoadKeys {
  readonly requester: string;
  readonly approver: string;
}

/**
 * The background load: a few actors, each creating runs (ops.sleep with several targets, so a
 * run has several steps and needs one approval; ops.noop, approved at once), approving the
 * sleeps with the plan hash read back, repeating some creates (dedup) and reading. Every write
 * that was refused for want of the database, or got no answer, is retried with the same key,
 * as a client should; what the API acknowledged goes into the ledger.
 */
export class LoadGenerator {
  private stopped = false;
  private actors: Promise<void>[] = [];

  constructor(
    private readonly input: {
      readonly api: ApiCaller;
      readonly keys: LoadKeys;
      readonly ledger: AckLedger;
      readonly actors: number;
      readonly seed: number;
      /** Pause between one actor's iterations, which sets the pace. */
      readonly paceMs: number;
    },
  ) {}

  start(): void {
    this.actors = Array.from({ length: this.input.actors }, (_, actor) => this.actorLoop(actor));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.actors);
  }

  private async actorLoop(actor: number): Promise<void> {
    const random = seededRandom(this.input.seed * 31 + actor);
    for (let n = 0; !this.stopped; n++) {
      const projectId = LOAD_PROJECTS[n % LOAD_PROJECTS.length];
      const idempotencyKey = `load-${actor}-${n}`;
      const sleep = random() < 0.6;
      const body = sleep
        ? {
            project_id: projectId,
            action: 'ops.sleep',
            params: { ms: 100 + Math.floor(random() * 200) },
            // Targets of its own: runs never wait on one another's locks, only on the faults.
            targets: Array.from({ length: 3 + Math.floor(random() * 2) }, (_, index) => `t-${actor}-${n}-${index}`),
          }
        : { project_id: projectId, action: 'ops.noop', targets: [`n-${actor}-${n}`] };
      // Half the creates name their key in the header, half in the body.
      const keyInHeader = random() < 0.5;
      const executionId = await this.create({ body, idempotencyKey, keyInHeader });
      if (executionId === null) continue;
      if (sleep) await this.approve(executionId);
      if (random() < 0.2) await this.repeatCreate({ body, idempotencyKey, executionId });
      if (random() < 0.3) await this.read(executionId);
      await pause(this.input.paceMs);
    }
  }

  private async create(input: { body: Record<string, unknown>; idempotencyKey: string; keyInHeader: boolean }): Promise<string | null> {
    const body = input.keyInHeader ? input.body : { ...input.body, idempotency_key: input.idempotencyKey };
    const headers: Record<string, string> = input.keyInHeader ? { 'idempotency-key': input.idempotencyKey } : {};
    const reply = await this.retrying(() =>
      this.input.api.send({ method: 'POST', path: RUN_ROUTE, route: RUN_ROUTE, key: this.input.keys.requester, body, headers }),
    );
    if (reply === null) return null;
    const executionId = reply.body.execution_id;
    if ((reply.status === 201 || reply.status === 200) && typeof executionId === 'string') {
      this.input.ledger.ackCreate({
        executionId,
        projectId: String(input.body.project_id),
        idempotencyKey: input.idempotencyKey,
        action: String(input.body.action),
      });
      return executionId;
    }
    this.unexpected('create', reply);
    return null;
  }

  private async approve(executionId: string): Promise<void> {
    const path = `/api/v1/execution/run/${executionId}`;
    const run = await this.retrying(() =>
      this.input.api.send({ method: 'GET', path, route: RUN_BY_ID_ROUTE, key: this.input.keys.approver }),
    );
    if (run === null) return;
    if (run.status !== 200 || typeof run.body.plan_hash !== 'string') return this.unexpected('read before approve', run);
    let attempts = 0;
    const reply = await this.retrying(() => {
      attempts++;
      return this.input.api.send({
        method: 'POST',
        path: `/approvals/${executionId}/approve`,
        route: '/approvals/{execution_id}/approve',
        key: this.input.keys.approver,
        body: { plan_hash: run.body.plan_hash, reason: 'chaos campaign load' },
      });
    });
    if (reply === null) return;
    if (reply.status === 200) return this.input.ledger.ackApproval(executionId);
    const code = errorCode(reply);
    if (reply.status === 409 && attempts > 1 && (code === 'already_voted' || code === 'approval_already_decided')) {
      this.input.ledger.approvalsLandedUnanswered++;
      return;
    }
    this.unexpected('approve', reply);
  }

  /** The same create again: 200, dedup_hit, and the same run. */
  private async repeatCreate(input: { body: Record<string, unknown>; idempotencyKey: string; executionId: string }): Promise<void> {
    const reply = await this.input.api.send({
      method: 'POST',
      path: RUN_ROUTE,
      route: RUN_ROUTE,
      key: this.input.keys.requester,
      body: { ...input.body, idempotency_key: input.idempotencyKey },
    });
    if (reply === null || reply.status === 503) return;
    if (reply.status !== 200 || reply.body.dedup_hit !== true) return this.unexpected('repeated create', reply);
    if (reply.body.execution_id !== input.executionId) {
      this.input.ledger.dedupMismatches++;
      this.input.ledger.note(
        'dedup answered another run',
        `${input.idempotencyKey}: ${input.executionId} then ${String(reply.body.execution_id)}`,
      );
    }
  }

  private async read(executionId: string): Promise<void> {
    const reply = await this.input.api.send({
      method: 'GET',
      path: `/api/v1/execution/run/${executionId}/events`,
      route: '/api/v1/execution/run/{execution_id}/events',
      key: this.input.keys.requester,
    });
    if (reply !== null && reply.status !== 200 && reply.status !== 503) this.unexpected('read events', reply);
  }

  /** Sends until an answer other than 503 comes, or the load stops and the retry time is spent. */
  private async retrying(send: () => Promise<Reply | null>): Promise<Reply | null> {
    const giveUpAt = Date.now() + RETRY_FOR_MS;
    for (;;) {
      const reply = await send();
      if (reply !== null && reply.status !== 503) return reply;
      if (Date.now() > giveUpAt || this.stopped) return null;
      await pause(RETRY_PAUSE_MS);
    }
  }

  private unexpected(what: string, reply: Reply): void {
    this.input.ledger.unexpected++;
    this.input.ledger.note(`${what} answered ${reply.status}`, JSON.stringify(reply.body).slice(0, 300));
  }
}

function errorCode(reply: Reply): string | undefined {
  const error = reply.body.error as { code?: unknown } | undefined;
  return typeof error?.code === 'string' ? error.code : undefined;
}
