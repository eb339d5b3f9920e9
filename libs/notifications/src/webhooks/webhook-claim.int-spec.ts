import { INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Pool } from 'pg';
import { randomUUID } from 'node:crypto';
import { ConfigModule } from '@lib/config';
import { DatabaseModule } from '@lib/database';
import { openTestPool } from '../../../../test/support/db';
import { ClaimedDelivery, WebhookDeliveryRepository } from './webhook-delivery.repository';

@Module({ imports: [ConfigModule.forRoot(), DatabaseModule.forRoot()], providers: [WebhookDeliveryRepository] })
class ClaimTestModule {}

/**
 * The sender's claim and completion on PostgreSQL, with several senders at once: one head per
 * run and subscription at a time, fair between subscriptions, a lease that another sender takes
 * over when it ends, and a completion that only the holder of the attempt can record.
 */
describe('webhook delivery claims on PostgreSQL', () => {
  let app: INestApplicationContext;
  let pool: Pool;
  let deliveries: WebhookDeliveryRepository;
  let project: string;

  beforeAll(async () => {
    app = await NestFactory.createApplicationContext(ClaimTestModule, { logger: false });
    pool = openTestPool();
    deliveries = app.get(WebhookDeliveryRepository);
  });
  afterAll(async () => {
    await pool?.end();
    await app?.close();
  });
  beforeEach(() => {
    project = `claim-${randomUUID()}`;
  });

  let eventId = 1_000_000_000 + Math.floor(Math.random() * 1_000_000_000);
  const subscription = async (): Promise<string> =>
    (
      await pool.query(
        `INSERT INTO webhook_subscriptions (project_id, url, event_types, secret, created_by)
         VALUES ($1, 'http://127.0.0.1:9/hook', '{run.succeeded}', repeat('s', 40), 'spec') RETURNING id`,
        [project],
      )
    ).rows[0].id;
  const queue = async (subscriptionId: string, orderKey: string, count: number): Promise<void> => {
    for (let i = 0; i < count; i++) {
      await pool.query(
        `INSERT INTO webhook_deliveries (subscription_id, audit_event_id, event_type, order_key, payload)
         VALUES ($1, $2, 'run.succeeded', $3, '{}')`,
        [subscriptionId, eventId++, orderKey],
      );
    }
  };
  const claim = (input: Partial<Parameters<WebhookDeliveryRepository['claim']>[0]> = {}): Promise<ClaimedDelivery[]> =>
    deliveries.claim({
      workerId: 'w-1',
      limit: 10,
      candidates: 40,
      perSubscription: 10,
      exclude: [],
      leaseMs: 60_000,
      projectPattern: project,
      ...input,
    });
  const delivered = (delivery: ClaimedDelivery, workerId = 'w-1') =>
    deliveries.complete({ id: delivery.id, workerId, attempts: delivery.attempts, outcome: { kind: 'delivered', statusCode: 200 } });

  it('takes only the oldest unfinished delivery of each run, and the next one once it is delivered', async () => {
    const sub = await subscription();
    await queue(sub, 'run-a', 3);
    await queue(sub, 'run-b', 2);
    const first = await claim();
    expect(first.map((d) => d.id)).toHaveLength(2);
    expect(await claim({ workerId: 'w-2' })).toEqual([]);
    await delivered(first[0]);
    const second = await claim({ workerId: 'w-2' });
    expect(second).toHaveLength(1);
    expect(BigInt(second[0].id)).toBeGreaterThan(BigInt(first[0].id));
  });

  it('eight senders claiming at once never hold two deliveries of one run', async () => {
    const sub = await subscription();
    for (const run of ['r1', 'r2', 'r3', 'r4', 'r5']) await queue(sub, run, 4);
    const claims = await Promise.all(Array.from({ length: 8 }, (_, n) => claim({ workerId: `w-${n}`, limit: 3 })));
    const held = claims.flat();
    expect(held).toHaveLength(5);
    const rows = await pool.query(
      `SELECT order_key, count(*)::int AS n FROM webhook_deliveries WHERE subscription_id = $1 AND status = 'delivering' GROUP BY order_key`,
      [sub],
    );
    expect(rows.rows.every((row) => row.n === 1)).toBe(true);
    expect(rows.rows).toHaveLength(5);
  });

  it('is fair: at most perSubscription of one subscription per claim, none of the excluded ones', async () => {
    const [busy, quiet] = [await subscription(), await subscription()];
    for (let run = 0; run < 6; run++) await queue(busy, `busy-${run}`, 1);
    await queue(quiet, 'quiet-0', 1);
    const first = await claim({ perSubscription: 2 });
    expect(first.filter((d) => d.subscription_id === busy)).toHaveLength(2);
    expect(first.filter((d) => d.subscription_id === quiet)).toHaveLength(1);
    const second = await claim({ perSubscription: 2, exclude: [busy] });
    expect(second).toEqual([]);
  });

  it('a lease that ended is taken over; the first holder can no longer record its outcome', async () => {
    const sub = await subscription();
    await queue(sub, 'run-a', 1);
    const [held] = await claim({ leaseMs: 1 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const [taken] = await claim({ workerId: 'w-2' });
    expect(taken.delivery_id).toBe(held.delivery_id);
    expect(taken.attempts).toBe(2);
    expect(await delivered(held)).toBe(false);
    expect(await delivered(taken, 'w-2')).toBe(true);
    const row = (await pool.query(`SELECT status, attempts, worker_id FROM webhook_deliveries WHERE id = $1`, [held.id])).rows[0];
    expect(row).toEqual({ status: 'delivered', attempts: 2, worker_id: null });
  });

  it('a failed attempt is due again after its backoff, or dead without one; dead does not hold the run up', async () => {
    const sub = await subscription();
    await queue(sub, 'run-a', 2);
    const [first] = await claim();
    await deliveries.complete({
      id: first.id,
      workerId: 'w-1',
      attempts: 1,
      outcome: { kind: 'failed', statusCode: 500, error: 'the receiver answered 500', retryInMs: 60_000 },
    });
    expect(await claim()).toEqual([]);
    await pool.query(`UPDATE webhook_deliveries SET available_at = now() WHERE id = $1`, [first.id]);
    const [again] = await claim();
    expect([again.id, again.attempts]).toEqual([first.id, 2]);
    await deliveries.complete({
      id: again.id,
      workerId: 'w-1',
      attempts: 2,
      outcome: { kind: 'failed', statusCode: null, error: 'no answer', retryInMs: null },
    });
    // Two failures in a row paused the receiver (the next spec); over that, the run's next delivery is due.
    await pool.query(`UPDATE webhook_subscriptions SET paused_until = now() WHERE id = $1`, [sub]);
    const [next] = await claim();
    expect(BigInt(next.id)).toBeGreaterThan(BigInt(first.id));
    const dead = (await pool.query(`SELECT status, last_status_code, last_error FROM webhook_deliveries WHERE id = $1`, [first.id]))
      .rows[0];
    expect(dead).toEqual({ status: 'dead', last_status_code: null, last_error: 'no answer' });
  });

  it('the outbox queues only the head of a run as due; finishing it makes the next one due', async () => {
    const sub = (
      await pool.query(
        `INSERT INTO webhook_subscriptions (project_id, url, event_types, secret, created_by)
         VALUES ($1, 'http://127.0.0.1:9/hook', '{approval.requested}', repeat('s', 40), 'spec') RETURNING id`,
        [project],
      )
    ).rows[0].id;
    const event = () => ({
      event_id: randomUUID(),
      event_type: 'approval.requested',
      actor: 'spec',
      project_id: project,
      data: { required_approvals: 1 },
      occurred_at: new Date().toISOString(),
      chain_key: `project:${project}`,
      canonical: '{}',
    });
    const append = (count: number) => pool.query(`SELECT audit_append($1::jsonb)`, [JSON.stringify(Array.from({ length: count }, event))]);
    await append(2);
    await append(1);
    const due = async () =>
      (
        await pool.query(`SELECT available_at = 'infinity' AS parked FROM webhook_deliveries WHERE subscription_id = $1 ORDER BY id`, [sub])
      ).rows.map((row) => row.parked);
    expect(await due()).toEqual([false, true, true]);
    const [first] = await claim();
    expect(await claim()).toEqual([]);
    await delivered(first);
    expect(await due()).toEqual([false, false, true]);
    const [second] = await claim();
    await deliveries.complete({
      id: second.id,
      workerId: 'w-1',
      attempts: 1,
      outcome: { kind: 'failed', statusCode: 500, error: 'x', retryInMs: null },
    });
    expect(await due()).toEqual([false, false, false]);
    expect(await claim()).toHaveLength(1);
  });

  it('a receiver that failed twice in a row is paused for the subscription, not per delivery; a delivered attempt clears it', async () => {
    const sub = await subscription();
    for (const run of ['a', 'b', 'c', 'd']) await queue(sub, run, 1);
    const fail = (delivery: ClaimedDelivery) =>
      deliveries.complete({
        id: delivery.id,
        workerId: 'w-1',
        attempts: delivery.attempts,
        outcome: { kind: 'failed', statusCode: 503, error: 'x', retryInMs: 0 },
        pauseAfterFailure: { baseMs: 60_000, maxMs: 3_600_000 },
      });
    const [first] = await claim({ limit: 1 });
    await fail(first);
    const [second] = await claim({ limit: 1 });
    expect(second).toBeDefined();
    await fail(second);
    const health = async () =>
      (await pool.query(`SELECT consecutive_failures, paused_until > now() AS paused FROM webhook_subscriptions WHERE id = $1`, [sub]))
        .rows[0];
    expect(await health()).toEqual({ consecutive_failures: 2, paused: true });
    // Four deliveries are due, none is taken while the receiver is paused.
    expect(await claim()).toEqual([]);
    await pool.query(`UPDATE webhook_subscriptions SET paused_until = now() WHERE id = $1`, [sub]);
    const probes = await claim({ limit: 1 });
    expect(probes).toHaveLength(1);
    await delivered(probes[0]);
    expect(await health()).toEqual({ consecutive_failures: 0, paused: null });
    expect(await claim()).toHaveLength(3);
  });

  it('a subscription is never deleted, and a delivery can name only one that exists', async () => {
    const sub = await subscription();
    await expect(pool.query(`DELETE FROM webhook_subscriptions WHERE id = $1`, [sub])).rejects.toThrow(/never deleted/);
    await expect(pool.query(`TRUNCATE webhook_subscriptions CASCADE`)).rejects.toThrow(/never deleted/);
    await expect(
      pool.query(
        `INSERT INTO webhook_deliveries (subscription_id, audit_event_id, event_type, order_key, payload) VALUES ($1, 1, 'x', 'k', '{}')`,
        [randomUUID()],
      ),
    ).rejects.toThrow(/does not exist/);
    await queue(sub, 'run-a', 1);
    await expect(
      pool.query(`UPDATE webhook_deliveries SET subscription_id = $1 WHERE subscription_id = $2`, [randomUUID(), sub]),
    ).rejects.toThrow(/does not exist/);
  });

  it('a disabled subscription is not sent, and its deliveries wait', async () => {
    const sub = await subscription();
    await queue(sub, 'run-a', 1);
    await pool.query(`UPDATE webhook_subscriptions SET status = 'disabled' WHERE id = $1`, [sub]);
    expect(await claim()).toEqual([]);
    await pool.query(`UPDATE webhook_subscriptions SET status = 'active' WHERE id = $1`, [sub]);
    expect(await claim()).toHaveLength(1);
  });
});
