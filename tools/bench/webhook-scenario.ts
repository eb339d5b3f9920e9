import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { Client } from 'pg';
import { freePort } from '@lib/database';
import { subscribeWebhook } from '@tools/harness';
import { LoadOptions, runScenario, ScenarioResult } from './load-scenario';
import { BENCH_PROJECT } from './run-request';
import { createScenario } from './scenarios';
import { startBenchWorker } from './worker-scenario';

/** The loopback prefix the API and the sender are started with, for the receivers below. */
export const BENCH_WEBHOOK_ALLOWLIST = 'http://127.0.0.1:*/';

export interface WebhookScenarioResult {
  /** Create with no subscription, before and after the phases with subscriptions. */
  readonly noneBefore: ScenarioResult;
  /** 4 subscriptions to a receiver that answers 204 at once: the outbox's own cost. */
  readonly healthy: ScenarioResult;
  readonly dead: ScenarioResult;
  readonly deadAgain: ScenarioResult;
  readonly noneAfter: ScenarioResult;
  /** Mean rps of the two dead phases over the mean of the two phases without subscriptions. */
  readonly deadVsNone: number;
  /** dead rps over healthy rps: what a receiver being down costs, the outbox aside. */
  readonly deadVsHealthy: number;
  readonly subscriptions: number;
  /** Deliveries queued by the creates of the dead phase, and attempts made at them meanwhile. */
  readonly deliveriesQueued: number;
  readonly attempts: number;
}

/**
 * Does a receiver that is down slow the API? The create scenario five times, the same run:
 * without subscriptions and with 4 subscriptions of the bench project (every event type) to
 * receivers that are down (2 on a port nobody listens on, 2 that accept and never answer),
 * alternated twice, while a worker process sends (and retries) their deliveries; then with 4 to
 * a receiver that answers at once. Every create with subscriptions queues 4 deliveries in its
 * transaction: dead vs healthy is what the receivers being down costs, the outbox aside.
 */
export async function runWebhookScenario(input: {
  baseUrl: string;
  adminKey: string;
  requesterKey: string;
  databaseUrl: string;
  tag: string;
  load: LoadOptions;
  progress: (message: string) => void;
}): Promise<WebhookScenarioResult> {
  const hanging = await startReceiver(false);
  const healthyReceiver = await startReceiver(true);
  const refusedPort = await freePort();
  const worker = startBenchWorker({
    databaseUrl: input.databaseUrl,
    id: `${input.tag}-webhooks`,
    projects: BENCH_PROJECT,
    env: { WEBHOOK_ALLOWED_URLS: BENCH_WEBHOOK_ALLOWLIST, WEBHOOK_BACKOFF_BASE_MS: '100' },
  });
  const db = new Client({ connectionString: input.databaseUrl });
  await db.connect();
  try {
    const subscribeAll = async (urls: string[]) => {
      const ids: string[] = [];
      for (const url of urls) {
        ids.push(
          await subscribeWebhook({
            baseUrl: input.baseUrl,
            adminKey: input.adminKey,
            projectId: BENCH_PROJECT,
            url,
            eventTypes: ALL_EVENT_TYPES,
          }),
        );
      }
      return ids;
    };
    const setStatus = (ids: string[], status: 'active' | 'disabled') =>
      db.query(`UPDATE webhook_subscriptions SET status = $2 WHERE id = ANY ($1::uuid[])`, [ids, status]);
    let phase = 0;
    const create = (what: string) => {
      input.progress(`webhooks: create ${what}`);
      return runScenario(createScenario({ key: input.requesterKey, keyPrefix: `${input.tag}-wh-${phase++}` }), input.load);
    };
    // Alternated (none, dead, none, dead), so the drift of a long run (tables growing, vacuum) falls on both.
    const noneBefore = await create('without subscriptions');
    const deadIds = await subscribeAll([
      `http://127.0.0.1:${refusedPort}/a`,
      `http://127.0.0.1:${refusedPort}/b`,
      `${hanging.url}/a`,
      `${hanging.url}/b`,
    ]);
    const dead = await create('with 4 subscriptions to receivers that are down (refused, hanging)');
    await setStatus(deadIds, 'disabled');
    const noneAfter = await create('without subscriptions, again');
    await setStatus(deadIds, 'active');
    const deadAgain = await create('with the 4 dead receivers, again');
    const counts = await db.query<{ queued: number; attempts: number }>(
      `SELECT count(*)::int AS queued, coalesce(sum(attempts), 0)::int AS attempts FROM webhook_deliveries WHERE subscription_id = ANY ($1::uuid[])`,
      [deadIds],
    );
    await setStatus(deadIds, 'disabled');
    const healthyIds = await subscribeAll(['a', 'b', 'c', 'd'].map((path) => `${healthyReceiver.url}/${path}`));
    const healthy = await create('with 4 subscriptions to a receiver that answers at once');
    await setStatus(healthyIds, 'disabled');
    const deadRps = (dead.rps + deadAgain.rps) / 2;
    return {
      noneBefore,
      healthy,
      dead,
      deadAgain,
      noneAfter,
      deadVsNone: deadRps / ((noneBefore.rps + noneAfter.rps) / 2),
      deadVsHealthy: deadRps / healthy.rps,
      subscriptions: deadIds.length,
      deliveriesQueued: counts.rows[0].queued,
      attempts: counts.rows[0].attempts,
    };
  } finally {
    await db.end().catch(() => undefined);
    await worker.stop();
    for (const receiver of [hanging, healthyReceiver]) {
      receiver.server.closeAllConnections();
      await new Promise((resolve) => receiver.server.close(() => resolve(undefined)));
    }
  }
}

const ALL_EVENT_TYPES = [
  'approval.requested',
  'approval.decided',
  'approval.expired',
  'approval.invalidated',
  'run.started',
  'run.succeeded',
  'run.failed',
  'run.dead_lettered',
  'run.cancelled',
  'run.recorded',
  'grant.minted',
  'grant.consumed',
  'grant.revoked',
];

/** Answers 204 at once, or (not `answers`) accepts every request and never answers (the sender's timeout ends each attempt). */
async function startReceiver(answers: boolean): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    if (!answers) return;
    request.resume();
    request.on('end', () => response.writeHead(204).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}
