import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { AddressInfo, createServer } from 'node:net';
import {
  createWebhook,
  getWebhook,
  listWebhookDeliveries,
  listWebhooks,
  redriveWebhookDelivery,
  rotateWebhookSecret,
  updateWebhook,
} from '@control-plane/client';
import { useTestApi } from '../support/api-client';
import { waitForRun } from '../support/run-events';
import { WebhookReceiver, ReceivedWebhook } from '../support/webhook-receiver';
import type { WorkerProcess } from '@tools/harness';
import { testWorker } from '../support/worker-process';

type Key = { id: string; key: string };
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read any field of any body
type Result = { data?: any; error?: any; response: Response };
const answer = (result: Result) => ({ status: result.response.status, body: result.data ?? result.error });

/** Where the test says the console is: payloads link each run's page under it. */
const CONSOLE = 'https://ops.example.test/console';

/**
 * What a Standard Webhooks receiver does, written from the format, not from the sender's code:
 * the key is the base64 after `whsec_`; recompute HMAC-SHA256 over "<webhook-id>.<webhook-timestamp>.<body>",
 * compare it in constant time with each "v1,<base64>" entry of webhook-signature.
 */
function verifies(secret: string, received: ReceivedWebhook): boolean {
  const [id, timestamp] = [String(received.headers['webhook-id']), String(received.headers['webhook-timestamp'])];
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${received.body}`).digest();
  return String(received.headers['webhook-signature'])
    .split(' ')
    .some((entry) => {
      const [version, signature] = entry.split(',');
      if (version !== 'v1' || !signature) return false;
      const given = Buffer.from(signature, 'base64');
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
}

/**
 * Webhooks end to end: the API manages subscriptions, a real worker process sends the outbox's
 * deliveries to real HTTP receivers started here. The worker serves only this spec's projects.
 */
describe('webhooks', () => {
  const { api, pool } = useTestApi();
  const prefix = `hooks${randomBytes(3).toString('hex')}`;
  let requester: Key;
  let approver: Key;
  let worker: WorkerProcess;
  const receivers: WebhookReceiver[] = [];

  beforeAll(async () => {
    requester = await api.mintKey({ roles: ['requester'], name: 'Webhook Requester' });
    approver = await api.mintKey({ roles: ['approver'] });
    worker = testWorker({
      id: `${prefix}-w`,
      projects: `${prefix}-%`,
      env: { WEBHOOK_TIMEOUT_MS: '400', WEBHOOK_BACKOFF_BASE_MS: '200', WEBHOOK_MAX_ATTEMPTS: '6', CONSOLE_URL: CONSOLE },
    });
    await worker.ready();
  });
  afterAll(async () => {
    await worker?.stop();
    await Promise.all(receivers.map((receiver) => receiver.stop()));
  });

  const project = () => `${prefix}-${randomUUID().slice(0, 8)}`;
  const receiver = async () => {
    const started = await new WebhookReceiver().start();
    receivers.push(started);
    return started;
  };
  const admin = () => api.client(api.adminKey);
  const subscribe = async (projectId: string, url: string, eventTypes: string[]) => {
    const created = answer(
      await createWebhook(await admin(), { params: { path: { project_id: projectId } }, body: { url, event_types: eventTypes as never } }),
    );
    expect(created.status).toBe(201);
    return created.body as { id: string; secret: string };
  };
  const create = async (projectId: string, action: string, params: Record<string, unknown> = {}, key = randomUUID()) => {
    const created = await api.createRun(requester.key, { project_id: projectId, idempotency_key: key, action, params, targets: ['t-1'] });
    expect([200, 201]).toContain(created.status);
    return created.body.execution_id as string;
  };
  const statusIs = (id: string, status: string) =>
    waitForRun({
      runId: id,
      probe: async () => (await pool.query(`SELECT status FROM execution_runs WHERE id = $1`, [id])).rows[0]?.status === status,
      what: `run ${id} to be ${status}`,
    });
  const deliveriesOf = async (subscriptionId: string) =>
    (
      await pool.query(
        `SELECT delivery_id, event_type, status, attempts, last_status_code, payload FROM webhook_deliveries WHERE subscription_id = $1 ORDER BY id`,
        [subscriptionId],
      )
    ).rows;

  it('an admin of the project subscribes; the secret is shown once, never listed, never audited; hostile and foreign requests change nothing', async () => {
    const p = project();
    const hook = await receiver();
    const created = await subscribe(p, hook.url(), ['approval.requested', 'run.succeeded']);
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);

    const client = await admin();
    const listed = answer(await listWebhooks(client, { params: { path: { project_id: p } } }));
    expect(listed.status).toBe(200);
    expect(listed.body.webhooks.map((w: { id: string }) => w.id)).toEqual([created.id]);
    expect(JSON.stringify(listed.body)).not.toContain(created.secret);
    const one = answer(await getWebhook(client, { params: { path: { project_id: p, webhook_id: created.id } } }));
    expect(one.body).toMatchObject({
      id: created.id,
      url: hook.url(),
      event_types: ['approval.requested', 'run.succeeded'],
      status: 'active',
    });
    expect(one.body.secret).toBeUndefined();
    const audited = await pool.query(`SELECT event_type, data::text AS data FROM audit_events WHERE project_id = $1`, [p]);
    expect(audited.rows.map((row) => row.event_type)).toEqual(['webhook.subscription_created']);
    expect(audited.rows[0].data).not.toContain(created.secret);

    // Another project's id answers as a missing one; a key of another project, or without the right, is refused.
    const other = project();
    expect(answer(await getWebhook(client, { params: { path: { project_id: other, webhook_id: created.id } } })).status).toBe(404);
    const scopedElsewhere = await api.mintKey({ roles: ['admin'], projectIds: [other] });
    const foreign = await api.client(scopedElsewhere.key);
    expect(answer(await getWebhook(foreign, { params: { path: { project_id: p, webhook_id: created.id } } })).status).toBe(404);
    expect(answer(await listWebhooks(foreign, { params: { path: { project_id: p } } })).status).toBe(403);
    const requesterClient = await api.client(requester.key);
    expect(answer(await listWebhooks(requesterClient, { params: { path: { project_id: p } } })).status).toBe(403);

    const refused = async (projectId: string, body: unknown, status: number, code: string) => {
      const result = answer(await createWebhook(client, { params: { path: { project_id: projectId } }, body: body as never }));
      expect([result.status, result.body.error.code]).toEqual([status, code]);
    };
    await refused(p, { url: 'http://169.254.169.254/latest/meta-data/', event_types: ['run.failed'] }, 422, 'webhook_url_not_allowed');
    await refused(p, { url: 'http://127.0.0.1.nip.io:80/x', event_types: ['run.failed'] }, 422, 'webhook_url_not_allowed');
    await refused(p, { url: 'http://user:pw@127.0.0.1:80/x', event_types: ['run.failed'] }, 422, 'webhook_url_not_allowed');
    await refused(p, { url: 'file:///etc/passwd', event_types: ['run.failed'] }, 400, 'invalid_format');
    await refused(p, { url: hook.url(), event_types: ['run.exploded'] }, 400, 'invalid_value');
    await refused(p, { url: hook.url(), event_types: [] }, 400, 'invalid_length');
    await refused(p, { url: hook.url(), event_types: ['run.failed'], description: 'a\u0000b' }, 400, 'invalid_value');
    await refused(p, { url: hook.url(), event_types: ['run.failed'], description: '\ud800' }, 400, 'invalid_value');
    await refused(p, { url: hook.url(), event_types: ['run.failed'], secret: 'mine' }, 400, 'unknown_field');
    await refused('bad project!', { url: hook.url(), event_types: ['run.failed'] }, 400, 'invalid_value');
    const notAUuid = answer(await getWebhook(client, { params: { path: { project_id: p, webhook_id: 'nope' } } }));
    expect(notAUuid.status).toBe(404);
    const count = await pool.query(`SELECT count(*)::int AS n FROM webhook_subscriptions WHERE project_id = $1`, [p]);
    expect(count.rows[0].n).toBe(1);
  });

  it('a project has at most 20 subscriptions, however many are requested at once', async () => {
    const p = project();
    const hook = await receiver();
    const client = await admin();
    const results = await Promise.all(
      Array.from({ length: 24 }, async (_, n) =>
        answer(
          await createWebhook(client, {
            params: { path: { project_id: p } },
            body: { url: hook.url(`/h${n}`), event_types: ['run.failed'] },
          }),
        ),
      ),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(20);
    expect(results.filter((r) => r.status === 409).map((r) => r.body.error.code)).toEqual(Array(4).fill('webhook_limit_reached'));
    const count = await pool.query(`SELECT count(*)::int AS n FROM webhook_subscriptions WHERE project_id = $1`, [p]);
    expect(count.rows[0].n).toBe(20);
  });

  it("PATCH, rotate and the deliveries of a subscription refuse nulls, over-long text, and another project's ids, and change nothing", async () => {
    const p = project();
    const other = project();
    const hook = await receiver();
    const { id } = await subscribe(p, hook.url(), ['run.succeeded']);
    const client = await admin();
    const patch = async (projectId: string, body: unknown) =>
      answer(await updateWebhook(client, { params: { path: { project_id: projectId, webhook_id: id } }, body: body as never }));
    for (const [body, code] of [
      [{ url: null }, 'invalid_type'],
      [{ event_types: null }, 'invalid_type'],
      [{ status: null }, 'invalid_value'],
      [{ status: 'paused' }, 'invalid_value'],
      // 500 characters to a validator that counts a variation selector with its letter, 1000 to PostgreSQL.
      [{ description: 'a\ufe0f'.repeat(500) }, 'invalid_length'],
      [{ url: `${hook.url()}/${'a\ufe0f'.repeat(1000)}` }, 'invalid_length'],
    ] as const) {
      const refused = await patch(p, body);
      expect([refused.status, refused.body.error.code]).toEqual([400, expect.stringMatching(/^invalid_/)]);
      expect(refused.body.error.code).toBe(code);
    }
    const unchanged = await patch(p, {});
    expect([unchanged.status, unchanged.body.version]).toEqual([200, 1]);
    expect((await patch(other, { description: 'x' })).status).toBe(404);
    const rotate = answer(await rotateWebhookSecret(client, { params: { path: { project_id: other, webhook_id: id } }, body: {} }));
    expect(rotate.status).toBe(404);
    const tooLong = answer(
      await rotateWebhookSecret(client, { params: { path: { project_id: p, webhook_id: id } }, body: { grace_seconds: 604_801 } }),
    );
    expect([tooLong.status, tooLong.body.error.code]).toEqual([400, 'invalid_value']);
    const foreignDeliveries = answer(await listWebhookDeliveries(client, { params: { path: { project_id: other, webhook_id: id } } }));
    expect(foreignDeliveries.status).toBe(404);
    const badCursor = answer(
      await listWebhookDeliveries(client, {
        params: { path: { project_id: p, webhook_id: id }, query: { before: '99999999999999999999' } },
      }),
    );
    expect(badCursor.status).toBe(400);
    const row = (await pool.query(`SELECT version, description, secret FROM webhook_subscriptions WHERE id = $1`, [id])).rows[0];
    expect([row.version, row.description]).toEqual([1, null]);
    const audited = await pool.query(
      `SELECT count(*)::int AS n FROM audit_events WHERE project_id = $1 AND event_type <> 'webhook.subscription_created'`,
      [p],
    );
    expect(audited.rows[0].n).toBe(0);
  });

  it("a receiver answering a status outside HTTP's range is a failed attempt, not a stuck delivery", async () => {
    const p = project();
    const server = createServer((socket) => {
      socket.once('data', () => socket.end('HTTP/1.1 999 Odd\r\ncontent-length: 0\r\nconnection: close\r\n\r\n'));
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    try {
      const { id } = await subscribe(p, `http://127.0.0.1:${(server.address() as AddressInfo).port}/odd`, ['run.succeeded']);
      const runId = await create(p, 'ops.noop');
      await statusIs(runId, 'SUCCEEDED');
      const deadline = Date.now() + 10_000;
      while (!((await deliveriesOf(id))[0]?.attempts >= 2) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const [row] = await deliveriesOf(id);
      expect(row.status).toMatch(/^(pending|delivering|dead)$/);
      expect(row.attempts).toBeGreaterThanOrEqual(2);
      expect(row.last_status_code).toBeNull();
    } finally {
      server.close();
    }
  });

  it('a run announces itself in order, each delivery signed, with an id the same on every attempt and no secret in it', async () => {
    const p = project();
    const hook = await receiver();
    const { id: subscriptionId, secret } = await subscribe(p, hook.url(), [
      'approval.requested',
      'approval.decided',
      'run.started',
      'run.succeeded',
    ]);
    // The first attempt of every delivery is cut off mid-request (a receiver killed while reading): each is sent again.
    const seen = new Set<string>();
    hook.behaviour = (received) => {
      const id = String(received.headers['webhook-id']);
      if (seen.has(id)) return { status: 200 };
      seen.add(id);
      return 'drop';
    };
    const runId = await create(p, 'ops.sleep', { ms: 1 });
    expect((await api.decide(approver.key, runId, 'approve')).status).toBe(200);
    await statusIs(runId, 'SUCCEEDED');
    await hook.waitFor((received) => received.filter((r) => r.json?.type === 'run.succeeded').length >= 2, 'run.succeeded twice');

    const answered = hook.received.filter(
      (r, index, all) => all.findIndex((x) => x.headers['webhook-id'] === r.headers['webhook-id']) !== index,
    );
    expect(answered.map((r) => r.json.type)).toEqual(['approval.requested', 'approval.decided', 'run.started', 'run.succeeded']);
    // Each was received exactly twice (at least once delivered, the same id each time), and in order: no delivery before the previous was answered.
    expect(hook.received.map((r) => r.json.type)).toEqual([
      'approval.requested',
      'approval.requested',
      'approval.decided',
      'approval.decided',
      'run.started',
      'run.started',
      'run.succeeded',
      'run.succeeded',
    ]);
    for (const received of hook.received) {
      expect(verifies(secret, received)).toBe(true);
      expect(received.json.id).toBe(received.headers['webhook-id']);
      expect(received.json).toMatchObject({ project_id: p, run_id: runId });
      expect(received.body).not.toContain(secret);
      expect(Math.abs(Number(received.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(60);
      expect(String(received.headers['webhook-timestamp'])).toMatch(/^[0-9]{10}$/);
      expect(String(received.headers['webhook-signature'])).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
      // Only the standard headers: the ones of the format before it are gone.
      expect(Object.keys(received.headers).filter((name) => name.startsWith('x-webhook'))).toEqual([]);
    }
    expect(verifies(`whsec_${'x'.repeat(43)}`, hook.received[0])).toBe(false);
    // What a receiver shows a person: the run's action, targets, level, requester by name, when its approval
    // expires (while one is open), and a link to its page in the console.
    const [requested, decided] = [answered[0].json, answered[1].json];
    expect(requested.run).toMatchObject({
      action: 'ops.sleep',
      targets: ['t-1'],
      approval_level: 1,
      status: 'BLOCKED',
      requested_by: { id: expect.any(String), name: 'Webhook Requester', kind: 'service', acts_for: null },
    });
    expect(requested.run.approval_expires_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(requested.run.approval_expires_at).toBe(requested.data.expires_at);
    expect(Date.parse(requested.run.approval_expires_at)).toBeGreaterThan(Date.now());
    expect(requested.links).toEqual({ console: `${CONSOLE}/#/runs/${runId}` });
    expect(decided.run.approval_expires_at).toBeNull();
    // The receiver has answered the last one; the sender records that a moment later.
    const recorded = Date.now() + 10_000;
    while ((await deliveriesOf(subscriptionId)).some((row) => row.status !== 'delivered') && Date.now() < recorded)
      await new Promise((r) => setTimeout(r, 50));
    const rows = await deliveriesOf(subscriptionId);
    expect(rows.map((row) => [row.event_type, row.status, row.attempts, row.last_status_code])).toEqual([
      ['approval.requested', 'delivered', 2, 200],
      ['approval.decided', 'delivered', 2, 200],
      ['run.started', 'delivered', 2, 200],
      ['run.succeeded', 'delivered', 2, 200],
    ]);
    const listed = answer(
      await listWebhookDeliveries(await admin(), { params: { path: { project_id: p, webhook_id: subscriptionId }, query: { limit: 2 } } }),
    );
    expect(listed.body.deliveries.map((d: { event_type: string; attempts: number }) => [d.event_type, d.attempts])).toEqual([
      ['run.succeeded', 2],
      ['run.started', 2],
    ]);
  });

  it('exactly the committed changes: a change rolled back queues nothing; racing creates of one key announce one approval request', async () => {
    const p = project();
    const hook = await receiver();
    const { id: subscriptionId } = await subscribe(p, hook.url(), ['approval.requested']);

    // An announced event appended inside a transaction that is rolled back: its delivery existed only inside it.
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const event = {
        event_id: randomUUID(),
        event_type: 'approval.requested',
        actor: 'spec',
        project_id: p,
        data: { required_approvals: 1 },
        occurred_at: new Date().toISOString(),
        chain_key: `project:${p}`,
        canonical: '{}',
      };
      await client.query(`SELECT audit_append($1::jsonb)`, [JSON.stringify([event])]);
      const inside = await client.query(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE subscription_id = $1`, [subscriptionId]);
      expect(inside.rows[0].n).toBe(1);
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }

    // Ten racing creates of one idempotency key: one run, one approval requested, one delivery.
    const key = randomUUID();
    const ids = await Promise.all(Array.from({ length: 10 }, () => create(p, 'ops.sleep', { ms: 1 }, key)));
    expect(new Set(ids).size).toBe(1);
    await hook.waitFor((received) => received.length >= 1, 'the approval request');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    // One delivery (at least once: an attempt that outlived the 400 ms timeout on a loaded machine
    // is sent again, with the same id, which is what a receiver dedupes on).
    expect([...new Set(hook.received.map((r) => JSON.stringify([r.headers['webhook-id'], r.json.type, r.json.run_id])))]).toEqual([
      JSON.stringify([hook.received[0].headers['webhook-id'], 'approval.requested', ids[0]]),
    ]);
    const rows = await deliveriesOf(subscriptionId);
    expect(rows.map((row) => [row.event_type, row.status])).toEqual([['approval.requested', 'delivered']]);
  });

  it('a receiver that answers 500 gets its attempts, then the delivery is dead; an admin re-drives it and it arrives', async () => {
    const p = project();
    const hook = await receiver();
    hook.behaviour = () => ({ status: 500 });
    const { id: subscriptionId } = await subscribe(p, hook.url(), ['run.succeeded']);
    const runId = await create(p, 'ops.noop');
    await statusIs(runId, 'SUCCEEDED');
    const deadline = Date.now() + 30_000;
    while ((await deliveriesOf(subscriptionId))[0]?.status !== 'dead' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const [dead] = await deliveriesOf(subscriptionId);
    expect([dead.status, dead.attempts, dead.last_status_code]).toEqual(['dead', 6, 500]);
    expect(hook.received).toHaveLength(6);

    const client = await admin();
    const path = { project_id: p, webhook_id: subscriptionId, delivery_id: dead.delivery_id };
    const withoutReason = answer(await redriveWebhookDelivery(client, { params: { path }, body: {} as never }));
    expect(withoutReason.status).toBe(400);
    hook.behaviour = () => ({ status: 200 });
    const redriven = answer(await redriveWebhookDelivery(client, { params: { path }, body: { reason: 'receiver fixed' } }));
    expect(redriven.status).toBe(200);
    expect(redriven.body).toMatchObject({ id: dead.delivery_id, status: 'pending', attempts: 0 });
    await hook.waitFor((received) => received.length === 7, 'the re-driven delivery');
    expect(hook.received[6].headers['webhook-id']).toBe(dead.delivery_id);
    const delivered = Date.now() + 10_000;
    while ((await deliveriesOf(subscriptionId))[0].status !== 'delivered' && Date.now() < delivered)
      await new Promise((r) => setTimeout(r, 50));
    const again = answer(await redriveWebhookDelivery(client, { params: { path }, body: { reason: 'twice' } }));
    expect([again.status, again.body.error.code]).toEqual([409, 'webhook_delivery_not_dead']);
    const missing = answer(
      await redriveWebhookDelivery(client, { params: { path: { ...path, delivery_id: randomUUID() } }, body: { reason: 'x' } }),
    );
    expect([missing.status, missing.body.error.code]).toEqual([404, 'webhook_delivery_not_found']);
    const audited = await pool.query(`SELECT data FROM audit_events WHERE project_id = $1 AND event_type = 'webhook.delivery_redriven'`, [
      p,
    ]);
    expect(audited.rows.map((row) => row.data.reason)).toEqual(['receiver fixed']);
  });

  it("while a receiver fails, the listing shows a run's later deliveries waiting behind its head, not a 500", async () => {
    const p = project();
    const hook = await receiver();
    hook.behaviour = () => ({ status: 500 });
    const { id: subscriptionId } = await subscribe(p, hook.url(), [
      'approval.requested',
      'approval.decided',
      'run.started',
      'run.succeeded',
    ]);
    const runId = await create(p, 'ops.sleep', { ms: 1 });
    expect((await api.decide(approver.key, runId, 'approve')).status).toBe(200);
    await statusIs(runId, 'SUCCEEDED');
    await hook.waitFor((received) => received.length >= 1, 'the first attempt of the head');
    const parked = await pool.query(
      `SELECT count(*)::int AS n FROM webhook_deliveries WHERE subscription_id = $1 AND available_at = 'infinity'`,
      [subscriptionId],
    );
    expect(parked.rows[0].n).toBe(3);

    const client = await admin();
    for (const query of [{}, { status: 'pending' as const }]) {
      const listed = answer(
        await listWebhookDeliveries(client, { params: { path: { project_id: p, webhook_id: subscriptionId }, query } }),
      );
      expect(listed.status).toBe(200);
      const behind = listed.body.deliveries.filter((d: { event_type: string }) => d.event_type !== 'approval.requested');
      expect(behind.map((d: { event_type: string }) => d.event_type)).toEqual(['run.succeeded', 'run.started', 'approval.decided']);
      for (const delivery of behind) {
        expect(delivery).toMatchObject({ run_id: runId, status: 'pending', attempts: 0, waiting_for_earlier: true, next_attempt_at: null });
      }
    }
    const all = answer(await listWebhookDeliveries(client, { params: { path: { project_id: p, webhook_id: subscriptionId } } }));
    const head = all.body.deliveries.find((d: { event_type: string }) => d.event_type === 'approval.requested');
    expect(head).toMatchObject({ run_id: runId, waiting_for_earlier: false });
    expect(head.status).toMatch(/^(pending|delivering)$/);
    if (head.status === 'pending') expect(new Date(head.next_attempt_at).toISOString()).toBe(head.next_attempt_at);
  });

  it('a receiver that never answers, or is down, does not hold up the runs; what waited is sent once it is back', async () => {
    const p = project();
    const hanging = await receiver();
    hanging.behaviour = () => 'hang';
    const down = await receiver();
    const downUrl = down.url();
    await down.stop();
    await subscribe(p, hanging.url(), ['run.started', 'run.succeeded']);
    await subscribe(p, downUrl, ['run.succeeded']);
    const runIds = await Promise.all(Array.from({ length: 5 }, () => create(p, 'ops.noop')));
    for (const id of runIds) await statusIs(id, 'SUCCEEDED');
    // The down receiver comes back on its port: every run's success reaches it.
    await down.start();
    await down.waitFor(
      (received) => new Set(received.map((r) => r.json.run_id)).size === 5,
      'five run.succeeded after the receiver came back',
    );
    expect(new Set(down.received.map((r) => r.json.type))).toEqual(new Set(['run.succeeded']));
  });

  const rotate = async (projectId: string, webhookId: string, body: Record<string, unknown>) =>
    answer(await rotateWebhookSecret(await admin(), { params: { path: { project_id: projectId, webhook_id: webhookId } }, body }));
  /** The delivery of a new run's success: what the receiver got. */
  const nextDelivery = async (projectId: string, hook: WebhookReceiver): Promise<ReceivedWebhook> => {
    const runId = await create(projectId, 'ops.noop');
    await hook.waitFor((received) => received.some((r) => r.json?.run_id === runId), `the delivery of run ${runId}`);
    return hook.received.find((r) => r.json.run_id === runId) as ReceivedWebhook;
  };
  const signatures = (received: ReceivedWebhook) => String(received.headers['webhook-signature']).split(' ');

  it('every rotated-out secret signs until its own grace ends, however many rotations came after (at most five)', async () => {
    const p = project();
    const hook = await receiver();
    const { id, secret: first } = await subscribe(p, hook.url(), ['run.succeeded']);
    const secrets = [first];
    for (let n = 0; n < 2; n++) {
      const rotated = await rotate(p, id, { grace_seconds: 3600 });
      expect(rotated.status).toBe(200);
      secrets.push(rotated.body.secret);
      expect(rotated.body.previous_secrets_valid_until).toHaveLength(n + 1);
      expect(rotated.body.previous_secret_valid_until).toBe(rotated.body.previous_secrets_valid_until[0]);
    }
    expect(new Set(secrets).size).toBe(3);
    const afterTwo = await nextDelivery(p, hook);
    expect(signatures(afterTwo)).toHaveLength(3);
    expect(secrets.map((secret) => verifies(secret, afterTwo))).toEqual([true, true, true]);

    // Four more: seven secrets, of which the current one and the five retired last sign; the first, whose grace ends first, is dropped.
    for (let n = 0; n < 4; n++) secrets.push((await rotate(p, id, { grace_seconds: 3600 })).body.secret);
    const one = answer(await getWebhook(await admin(), { params: { path: { project_id: p, webhook_id: id } } }));
    expect(one.body.previous_secrets_valid_until).toHaveLength(5);
    const afterSix = await nextDelivery(p, hook);
    expect(signatures(afterSix)).toHaveLength(6);
    expect(secrets.map((secret) => verifies(secret, afterSix))).toEqual([false, true, true, true, true, true, true]);

    const audited = await pool.query(
      `SELECT data FROM audit_events WHERE project_id = $1 AND event_type = 'webhook.secret_rotated' ORDER BY id`,
      [p],
    );
    expect(audited.rows.map((row) => row.data.cut_short_secret_valid_until !== null)).toEqual([false, false, false, false, false, true]);
    const leaked = [JSON.stringify(audited.rows), worker.output.join(''), JSON.stringify(one.body)];
    for (const text of leaked) for (const secret of secrets) expect(text).not.toContain(secret);
  });

  it('a grace of 0, or one that has elapsed, stops that secret from signing; the others keep theirs', async () => {
    const p = project();
    const hook = await receiver();
    const { id, secret: first } = await subscribe(p, hook.url(), ['run.succeeded']);
    const second = (await rotate(p, id, { grace_seconds: 3600 })).body.secret;
    const cut = await rotate(p, id, { grace_seconds: 0 });
    expect(cut.status).toBe(200);
    expect(cut.body.previous_secrets_valid_until).toHaveLength(1);
    const third = cut.body.secret;
    const afterCut = await nextDelivery(p, hook);
    expect(signatures(afterCut)).toHaveLength(2);
    expect([first, second, third].map((secret) => verifies(secret, afterCut))).toEqual([true, false, true]);

    const fourth = (await rotate(p, id, { grace_seconds: 1 })).body.secret;
    const deadline = Date.now() + 10_000;
    let shown: string[] = [];
    do {
      await new Promise((resolve) => setTimeout(resolve, 100));
      shown = answer(await getWebhook(await admin(), { params: { path: { project_id: p, webhook_id: id } } })).body
        .previous_secrets_valid_until;
    } while (shown.length > 1 && Date.now() < deadline);
    expect(shown).toHaveLength(1);
    const afterElapsed = await nextDelivery(p, hook);
    expect(signatures(afterElapsed)).toHaveLength(2);
    expect([first, second, third, fourth].map((secret) => verifies(secret, afterElapsed))).toEqual([true, false, false, true]);
  });

  it('racing rotations each keep the grace of the secret they retire; out-of-range graces are refused and change nothing', async () => {
    const p = project();
    const hook = await receiver();
    const { id, secret: first } = await subscribe(p, hook.url(), ['run.succeeded']);
    for (const grace of [-1, 604_801, 1.5, null, '60', 2 ** 31]) {
      const refused = await rotate(p, id, { grace_seconds: grace });
      expect([grace, refused.status, refused.body.error.code]).toEqual([grace, 400, expect.stringMatching(/^invalid_/)]);
    }
    const unchanged = answer(await getWebhook(await admin(), { params: { path: { project_id: p, webhook_id: id } } }));
    expect([unchanged.body.version, unchanged.body.previous_secrets_valid_until]).toEqual([1, []]);

    const raced = await Promise.all(Array.from({ length: 4 }, () => rotate(p, id, { grace_seconds: 3600 })));
    expect(raced.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    const secrets = [first, ...raced.map((r) => r.body.secret as string)];
    expect(new Set(secrets).size).toBe(5);
    const after = answer(await getWebhook(await admin(), { params: { path: { project_id: p, webhook_id: id } } }));
    expect([after.body.version, after.body.previous_secrets_valid_until.length]).toEqual([5, 4]);
    const received = await nextDelivery(p, hook);
    expect(signatures(received)).toHaveLength(5);
    expect(secrets.map((secret) => verifies(secret, received))).toEqual([true, true, true, true, true]);
  });

  it('a secret minted before the standard format (URL-safe base64) keeps signing with its 32 bytes: its standard spelling verifies', async () => {
    const p = project();
    const hook = await receiver();
    const { id } = await subscribe(p, hook.url(), ['run.succeeded']);
    // What newWebhookSecret made before: whsec_ and 32 bytes in base64url, stored as it was shown.
    const bytes = randomBytes(32);
    bytes[0] = 0xfb; // base64 "+"/"-" in the first character: the two alphabets differ here
    const old = `whsec_${bytes.toString('base64url')}`;
    await pool.query(`UPDATE webhook_subscriptions SET secret = $2 WHERE id = $1`, [id, old]);
    const runId = await create(p, 'ops.noop');
    await hook.waitFor((received) => received.some((r) => r.json.run_id === runId), 'the delivery signed with the old secret');
    const [received] = hook.received;
    const standard = `whsec_${bytes.toString('base64')}`;
    expect(standard).not.toBe(old);
    expect(verifies(standard, received)).toBe(true);
    // The receiver's own conversion, as the README gives it, yields the same spelling.
    expect(`whsec_${old.slice('whsec_'.length).replace(/-/g, '+').replace(/_/g, '/')}=`).toBe(standard);
  });

  it('rotating the secret: both secrets sign during the grace period; disabling stops new deliveries', async () => {
    const p = project();
    const hook = await receiver();
    const { id, secret: first } = await subscribe(p, hook.url(), ['run.succeeded']);
    const client = await admin();
    const rotated = answer(
      await rotateWebhookSecret(client, { params: { path: { project_id: p, webhook_id: id } }, body: { grace_seconds: 600 } }),
    );
    expect(rotated.status).toBe(200);
    const second: string = rotated.body.secret;
    expect(second).not.toBe(first);
    expect(rotated.body.previous_secret_valid_until).not.toBeNull();
    const runId = await create(p, 'ops.noop');
    await hook.waitFor((received) => received.some((r) => r.json.run_id === runId), 'the delivery after rotation');
    const [received] = hook.received;
    expect(String(received.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect([verifies(first, received), verifies(second, received)]).toEqual([true, true]);

    const disabled = answer(
      await updateWebhook(client, { params: { path: { project_id: p, webhook_id: id } }, body: { status: 'disabled' } }),
    );
    expect(disabled.body).toMatchObject({ status: 'disabled', version: 3 });
    const quietRun = await create(p, 'ops.noop');
    await statusIs(quietRun, 'SUCCEEDED');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(hook.received).toHaveLength(1);
    const audited = await pool.query(
      `SELECT event_type, data::text AS data FROM audit_events WHERE project_id = $1 AND event_type LIKE 'webhook.%' ORDER BY id`,
      [p],
    );
    expect(audited.rows.map((row) => row.event_type)).toEqual([
      'webhook.subscription_created',
      'webhook.secret_rotated',
      'webhook.subscription_updated',
    ]);
    for (const row of audited.rows) expect([row.data.includes(first), row.data.includes(second)]).toEqual([false, false]);
  });
});
