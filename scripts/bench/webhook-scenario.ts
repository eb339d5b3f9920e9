import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { ChildProcess } from 'node:child_process';
import { Client } from 'pg';
import { freePort } from '@lib/database';
import { subscribeWebhook } from './api-client';
import { LoadOptions, runScenario, ScenarioResult } from './load-scenario';
import { BENCH_PROJECT } from './run-request';
import { createScenario } from './scenarios';
import { spawnWorker } from './worker-process';

/** The loopback prefix the API and the sender are started with, for the receivers below. */
export const BENCH_WEBHOOK_ALLOWLIST = 'http://127.0.0.1:*/';

export interface WebhookScenarioResult {
  /** Create with no subscription, before and after the dead receivers' phase. */
  readonly noneBefore: ScenarioResult;
  readonly dead: ScenarioResult;
  readonly noneAfter: ScenarioResult;
  /** dead rps over the mean of the two phases without subscriptions. */
  readonly deadVsNone: number;
  readonly subscriptions: number;
  /** Deliveries queued by the creates of the dead phase, and attempts made at them meanwhile. */
  readonly deliveriesQueued: number;
  readonly attempts: number;
}

/**
 * Does a receiver that is down slow the API? The create scenario three times, the same run:
 * without subscriptions; with 4 subscriptions of the bench project to receivers that are down (2
 * on a port nobody listens on, 2 that accept and never answer), each wanting every event type,
 * while a worker process sends (and retries) their deliveries; then without again (after
 * disabling them). Every create of the middle phase queues 4 deliveries in its transaction.
 */
export async function runWebhookScenario(input: {
  repoRoot: string;
  baseUrl: string;
  adminKey: string;
  requesterKey: string;
  databaseUrl: string;
  tag: string;
  load: LoadOptions;
  progress: (message: string) => void;
}): Promise<WebhookScenarioResult> {
  const hanging = await startHangingReceiver();
  const refusedPort = await freePort();
  const worker: ChildProcess = spawnWorker({
    repoRoot: input.repoRoot,
    databaseUrl: input.databaseUrl,
    id: `${input.tag}-webhooks`,
    projects: BENCH_PROJECT,
    env: { WEBHOOK_ALLOWED_URLS: BENCH_WEBHOOK_ALLOWLIST, WEBHOOK_BACKOFF_BASE_MS: '100' },
  });
  const db = new Client({ connectionString: input.databaseUrl });
  await db.connect();
  try {
    input.progress('webhooks: create without subscriptions');
    const noneBefore = await runScenario(createScenario({ key: input.requesterKey, keyPrefix: `${input.tag}-wh-none1` }), input.load);
    const urls = [`http://127.0.0.1:${refusedPort}/a`, `http://127.0.0.1:${refusedPort}/b`, `${hanging.url}/a`, `${hanging.url}/b`];
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
    input.progress('webhooks: create with 4 subscriptions to receivers that are down (refused, hanging)');
    const dead = await runScenario(createScenario({ key: input.requesterKey, keyPrefix: `${input.tag}-wh-dead` }), input.load);
    const counts = await db.query<{ queued: number; attempts: number }>(
      `SELECT count(*)::int AS queued, coalesce(sum(attempts), 0)::int AS attempts FROM webhook_deliveries WHERE subscription_id = ANY ($1::uuid[])`,
      [ids],
    );
    await db.query(`UPDATE webhook_subscriptions SET status = 'disabled' WHERE id = ANY ($1::uuid[])`, [ids]);
    input.progress('webhooks: create without subscriptions, again');
    const noneAfter = await runScenario(createScenario({ key: input.requesterKey, keyPrefix: `${input.tag}-wh-none2` }), input.load);
    return {
      noneBefore,
      dead,
      noneAfter,
      deadVsNone: dead.rps / ((noneBefore.rps + noneAfter.rps) / 2),
      subscriptions: ids.length,
      deliveriesQueued: counts.rows[0].queued,
      attempts: counts.rows[0].attempts,
    };
  } finally {
    await db.end().catch(() => undefined);
    worker.kill('SIGTERM');
    await new Promise((resolve) => hanging.server.close(() => resolve(undefined)));
    hanging.server.closeAllConnections();
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

/** Accepts every request and never answers (the sender's timeout ends each attempt). */
async function startHangingReceiver(): Promise<{ server: Server; url: string }> {
  const server = createServer(() => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}
