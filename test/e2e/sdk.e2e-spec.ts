import { randomUUID } from 'node:crypto';
import {
  approveRun,
  cancelRun,
  createControlPlaneClient,
  createRun,
  followRun,
  getRun,
  getRunByKey,
  rejectRun,
  RunEvent,
} from '@control-plane/client';
import { runConsole } from '../../examples/console/pending-approvals';
import { checkedFetch, uniqueProject, useTestApi } from '../support/api-client';

/**
 * The TypeScript SDK (clients/typescript, generated from openapi.json) as a client developer uses
 * it: named functions, typed answers and error codes, an Idempotency-Key set on create, 503s
 * tried again after Retry-After, a run's events followed; and the console example built on it.
 */
describe('the TypeScript SDK', () => {
  const { api } = useTestApi();
  let requester: { id: string; key: string };
  let approver: { id: string; key: string };

  beforeAll(async () => {
    requester = await api.mintKey({ roles: ['requester'] });
    approver = await api.mintKey({ roles: ['approver'] });
  });

  it('createRun sets an Idempotency-Key when the body names none, and answers with it; the error of a refused call is typed by its code', async () => {
    const client = await api.client(requester.key);
    const project = uniqueProject();
    const created = await createRun(client, { body: { project_id: project, action: 'deploy', targets: ['web-1'] } });
    expect(created.response.status).toBe(201);
    const key = created.data?.idempotency_key as string;
    expect(key).toMatch(/^[0-9a-f-]{36}$/);
    const found = await getRunByKey(client, { params: { query: { project_id: project, idempotency_key: key } } });
    expect(found.data?.execution_id).toBe(created.data?.execution_id);
    const missing = await getRun(client, { params: { path: { execution_id: randomUUID() } } });
    expect([missing.response.status, missing.error?.error.code]).toEqual([404, 'execution_not_found']);
  });

  it('a 503 is tried again after its Retry-After, with the same Idempotency-Key: one run, however often it is sent', async () => {
    let sent = 0;
    const keys: string[] = [];
    // The first two attempts meet a database that is restarting; the third reaches the API.
    const flaky = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
      const request = new Request(input, init);
      keys.push(request.headers.get('idempotency-key') ?? '');
      if (++sent <= 2) {
        return new Response(JSON.stringify({ error: { code: 'database_unavailable', message: 'restarting' }, request_id: 'r' }), {
          status: 503,
          headers: { 'content-type': 'application/json', 'retry-after': '1' },
        });
      }
      return checkedFetch(request);
    };
    const client = createControlPlaneClient({ baseUrl: await api.baseUrl(), credential: requester.key, fetch: flaky, maxRetryDelayMs: 20 });
    const created = await createRun(client, { body: { project_id: uniqueProject(), action: 'deploy', targets: ['web-1'] } });
    expect(created.response.status).toBe(201);
    expect(sent).toBe(3);
    expect(new Set(keys).size).toBe(1);
    expect(keys[0]).toBe(created.data?.idempotency_key);
  });

  it('followRun yields a run’s events as they are committed, from where the caller stopped', async () => {
    const client = await api.client(requester.key);
    const created = await createRun(client, { body: { project_id: uniqueProject(), action: 'deploy', targets: ['web-1'] } });
    const id = created.data?.execution_id as string;
    const controller = new AbortController();
    const seen: RunEvent[] = [];
    const following = (async () => {
      for await (const event of followRun(client, id, { signal: controller.signal })) {
        seen.push(event);
        if (event.type === 'run.status_changed') controller.abort();
      }
    })();
    const approverClient = await api.client(approver.key);
    const approved = await approveRun(approverClient, {
      params: { path: { execution_id: id } },
      body: { plan_hash: created.data?.plan_hash, reason: 'looks right' },
    });
    expect(approved.data?.status).toBe('RUN');
    await following;
    expect(seen.map((event) => event.type)).toEqual(expect.arrayContaining(['run.created', 'approval.requested', 'approval.approved']));
    expect(seen.at(-1)?.event.data).toMatchObject({ from: 'BLOCKED', to: 'RUN' });
    // Resuming after the second event gives the rest, none twice.
    const resumed: string[] = [];
    const again = new AbortController();
    for await (const event of followRun(client, id, { lastEventId: seen[1].id, signal: again.signal })) {
      resumed.push(event.id);
      if (event.id === seen.at(-1)?.id) again.abort();
    }
    expect(resumed).toEqual(seen.slice(2).map((event) => event.id));
  });

  it('followRun ends by itself after the last event of a run that has ended (no reconnecting)', async () => {
    const client = await api.client(requester.key);
    const created = await createRun(client, { body: { project_id: uniqueProject(), action: 'deploy', targets: ['web-1'] } });
    const id = created.data?.execution_id as string;
    const rejected = await rejectRun(await api.client(approver.key), {
      params: { path: { execution_id: id } },
      body: { plan_hash: created.data?.plan_hash, reason: 'not now' },
    });
    expect(rejected.data?.status).toBe('REJECTED');
    // Without a signal: the loop ends only because the server said `end`.
    const seen: RunEvent[] = [];
    let fetches = 0;
    const counting = {
      ...client,
      settings: { ...client.settings, fetch: ((...args) => (fetches++, client.settings.fetch(...args))) as typeof fetch },
    };
    for await (const event of followRun(counting, id)) seen.push(event);
    expect(seen.at(-1)?.event.data).toMatchObject({ from: 'BLOCKED', to: 'REJECTED' });
    expect(fetches).toBe(1);
  });

  it('every failure sets error, a body-less 408 or a proxy page too, so `if (error) throw` leaves data defined', async () => {
    // Node answers a request that trickled in with a bare 408; a proxy in front may answer with a page.
    const answers = [
      new Response(null, { status: 408, statusText: 'Request Timeout', headers: { connection: 'close' } }),
      new Response('<html>bad gateway</html>', { status: 502, headers: { 'content-type': 'text/html', 'x-request-id': 'px-1' } }),
    ];
    const fetchAnswering = async (): Promise<Response> => answers.shift() as Response;
    const client = createControlPlaneClient({ baseUrl: await api.baseUrl(), credential: requester.key, fetch: fetchAnswering });
    const timedOut = await getRun(client, { params: { path: { execution_id: randomUUID() } } });
    expect([timedOut.data, timedOut.error]).toEqual([
      undefined,
      { error: { code: 'http_408', message: '408 Request Timeout: the answer had no body' }, request_id: null },
    ]);
    const proxied = await getRun(client, { params: { path: { execution_id: randomUUID() } } });
    expect(proxied.error).toEqual({ error: { code: 'http_502', message: '502: <html>bad gateway</html>' }, request_id: 'px-1' });
    // And the success of a real call: typed without a cast once the error is ruled out (npm run typecheck checks it).
    const real = await api.client(requester.key);
    const { data, error } = await createRun(real, { body: { project_id: uniqueProject(), action: 'deploy', targets: ['web-1'] } });
    if (error) throw new Error(error.error.message);
    expect(data.status).toBe('BLOCKED');
  });

  it('followRun ends after the event that ends the run; a stream the server ends before then is opened again', async () => {
    const client = await api.client(requester.key);
    const created = await createRun(client, { body: { project_id: uniqueProject(), action: 'deploy', targets: ['web-1'] } });
    if (created.error) throw new Error(created.error.error.message);
    const id = created.data.execution_id;
    // The first stream is ended by "the server" right after it connects, while the run still waits.
    let streams = 0;
    const endingFirst = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
      const response = await checkedFetch(input, init);
      if (!response.headers.get('content-type')?.startsWith('text/event-stream') || ++streams > 1) return response;
      return endedAfterConnect(response);
    };
    const follower = createControlPlaneClient({ baseUrl: await api.baseUrl(), credential: requester.key, fetch: endingFirst });
    // Only a safety net, so that a follower that never ends fails the test instead of hanging it.
    const safety = new AbortController();
    const net = setTimeout(() => safety.abort(), 30_000);
    const seen: RunEvent[] = [];
    for await (const event of followRun(follower, id, { signal: safety.signal, reconnectDelayMs: 10 })) {
      seen.push(event);
      if (event.type === 'run.created') await cancelRun(client, { params: { path: { execution_id: id } }, body: { reason: 'not needed' } });
    }
    clearTimeout(net);
    expect(safety.signal.aborted).toBe(false);
    expect(streams).toBe(2);
    // Read to the stream's end: the events the cancel's transaction wrote after the status change too.
    expect(seen.filter((event) => event.type === 'run.status_changed').map((event) => event.event.data)).toEqual([
      expect.objectContaining({ from: 'BLOCKED', to: 'CANCELLED' }),
    ]);
    expect(seen.at(-1)?.type).toBe('approval.invalidated');
  });

  it('followRun waits out a proxy that answers 502 or 504 while the service restarts, then follows the run to its end', async () => {
    const client = await api.client(requester.key);
    const created = await createRun(client, { body: { project_id: uniqueProject(), action: 'deploy', targets: ['web-1'] } });
    if (created.error) throw new Error(created.error.error.message);
    const id = created.data.execution_id;
    await cancelRun(client, { params: { path: { execution_id: id } }, body: { reason: 'not needed' } });
    const proxy = [
      new Response('<html>bad gateway</html>', { status: 502, headers: { 'content-type': 'text/html', 'retry-after': '0' } }),
      new Response('<html>gateway timeout</html>', { status: 504, headers: { 'content-type': 'text/html' } }),
    ];
    let asked = 0;
    const restarting = async (input: string | URL | Request, init?: RequestInit): Promise<Response> =>
      asked++ < proxy.length ? proxy[asked - 1] : checkedFetch(input, init);
    const follower = createControlPlaneClient({ baseUrl: await api.baseUrl(), credential: requester.key, fetch: restarting });
    const seen: RunEvent[] = [];
    for await (const event of followRun(follower, id, { signal: AbortSignal.timeout(30_000) })) seen.push(event);
    expect(asked).toBe(3);
    expect(seen.find((event) => event.type === 'run.status_changed')?.event.data).toMatchObject({ to: 'CANCELLED' });
  });

  it('followRun ends when the server ends the stream of an ended run, with the events it had not received', async () => {
    const client = await api.client(requester.key);
    const created = await createRun(client, { body: { project_id: uniqueProject(), action: 'deploy', targets: ['web-1'] } });
    if (created.error) throw new Error(created.error.error.message);
    const id = created.data.execution_id;
    await cancelRun(client, { params: { path: { execution_id: id } }, body: { reason: 'not needed' } });
    const trail: RunEvent[] = [];
    for await (const event of followRun(client, id)) trail.push(event);
    const requests: string[] = [];
    const endingEvery = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
      const response = await checkedFetch(input, init);
      const stream = response.headers.get('content-type')?.startsWith('text/event-stream');
      requests.push(stream ? 'stream' : 'read');
      return stream ? endedAfterConnect(response) : response;
    };
    const follower = createControlPlaneClient({ baseUrl: await api.baseUrl(), credential: requester.key, fetch: endingEvery });
    const safety = new AbortController();
    const net = setTimeout(() => safety.abort(), 30_000);
    const after: RunEvent[] = [];
    for await (const event of followRun(follower, id, { lastEventId: trail[0].id, signal: safety.signal, reconnectDelayMs: 10 })) {
      after.push(event);
    }
    clearTimeout(net);
    expect(safety.signal.aborted).toBe(false);
    // The stream, ended before any event; the run (CANCELLED); its events after the first.
    expect(trail.find((event) => event.type === 'run.status_changed')?.event.data).toMatchObject({ to: 'CANCELLED' });
    expect([after.map((event) => event.id), requests]).toEqual([trail.slice(1).map((event) => event.id), ['stream', 'read', 'read']]);
  });

  it('the console example lists what waits for a decision with its plan hash, and approves with a reason', async () => {
    const project = uniqueProject();
    const client = await api.client(requester.key);
    const created = await createRun(client, { body: { project_id: project, action: 'service.restart', targets: ['svc-9'] } });
    const id = created.data?.execution_id as string;
    const lines: string[] = [];
    const baseUrl = await api.baseUrl();
    // An approver of this project only: its inbox holds this project's runs, whatever else waits.
    const approverHere = await api.mintKey({ roles: ['approver'], projectIds: [project] });
    expect(await runConsole({ baseUrl, credential: approverHere.key, args: [], print: (line) => lines.push(line) })).toBe(0);
    const listed = lines.join('\n');
    expect(listed).toContain(id);
    expect(listed).toContain(created.data?.plan_hash as string);
    lines.length = 0;
    expect(
      await runConsole({ baseUrl, credential: approver.key, args: ['approve', id, 'change CHG-7'], print: (line) => lines.push(line) }),
    ).toBe(0);
    expect(lines.at(-1)).toBe('approved: the run is RUN, approval approved');
    // The requester may not approve its own run: the example says why.
    const own = await createRun(client, { body: { project_id: project, action: 'service.restart', targets: ['svc-8'] } });
    lines.length = 0;
    expect(
      await runConsole({
        baseUrl,
        credential: requester.key,
        args: ['approve', own.data?.execution_id as string, 'mine'],
        print: (line) => lines.push(line),
      }),
    ).toBe(1);
    expect(lines.at(-1)).toMatch(/^not approved: forbidden/);
  });
});

/** The stream of a response, ended cleanly once the server says it is connected, before any event: a server that closes it. */
function endedAfterConnect(response: Response): Response {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const connected = ': connected\n\n';
  let text = '';
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (!done) text += decoder.decode(value, { stream: true });
      const at = text.indexOf(connected);
      if (!done && at < 0) return;
      if (at >= 0) controller.enqueue(new TextEncoder().encode(text.slice(0, at + connected.length)));
      controller.close();
      await reader.cancel();
    },
  });
  return new Response(body, { status: response.status, headers: response.headers });
}
