import { uniqueProject, useTestApi } from '../support/api-client';

type Key = { id: string; key: string };

/** Reads server-sent events until `until` is satisfied or the time runs out; `onConnected` once the server says the stream is open. */
async function readEvents(
  url: string,
  headers: Record<string, string>,
  until: (events: Array<{ id: string; event: string }>) => boolean,
  timeoutMs = 10_000,
  onConnected: () => void = () => undefined,
) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const events: Array<{ id: string; event: string; data: unknown }> = [];
  try {
    const response = await fetch(url, { headers, signal: controller.signal });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    while (!until(events)) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (block === ': connected') onConnected();
        const fields = Object.fromEntries(
          block
            .split('\n')
            .filter((line) => !line.startsWith(':'))
            .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]),
        );
        if (fields.id) events.push({ id: fields.id, event: fields.event, data: JSON.parse(fields.data) });
      }
    }
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  return events;
}

describe('progress: server-sent events and the long-poll fallback', () => {
  const { api } = useTestApi();
  let requester: Key;
  let approver: Key;

  beforeAll(async () => {
    requester = await api.mintKey({ roles: ['requester'] });
    approver = await api.mintKey({ roles: ['approver'] });
  });

  const newRun = async (): Promise<string> =>
    (await api.createRun(requester.key, { project_id: uniqueProject(), idempotency_key: 'k', action: 'deploy', targets: ['web-1'] })).body
      .execution_id;

  // The poll waits up to 30 s; the test gives up after 20 s, so only an answer on the event passes.
  it('the long-poll answers as soon as a new event is committed', async () => {
    const id = await newRun();
    const before = await api.get(requester.key, `/api/v1/execution/run/${id}/events`);
    const last = before.body.events.at(-1).id;
    const [poll] = await Promise.all([
      api.get(requester.key, `/api/v1/execution/run/${id}/events?after=${last}&wait=30`),
      // A waiting long-poll shows nothing a client could await, so the decision comes a moment
      // later; if it came first, the poll would answer at once with the same events.
      new Promise((resolve) => setTimeout(resolve, 300)).then(() => api.decide(approver.key, id, 'approve')),
    ]);
    expect(poll.status).toBe(200);
    expect(poll.body.events.length).toBeGreaterThan(0);
    expect(poll.body.events.every((event: { id: string }) => BigInt(event.id) > BigInt(last))).toBe(true);
    expect(poll.body.events[0].type).toBe('approval.vote_cast');
    const empty = await api.get(requester.key, `/api/v1/execution/run/${id}/events?after=999999999999&wait=0`);
    expect(empty.body.events).toEqual([]);
  }, 20_000);

  it('streams the trail and then each new event; Last-Event-ID resumes after it', async () => {
    const id = await newRun();
    const url = `${await api.baseUrl()}/api/v1/execution/run/${id}/stream`;
    const auth = { authorization: `Bearer ${requester.key}` };
    let connected: () => void = () => undefined;
    const open = new Promise<void>((resolve) => (connected = resolve));
    const reading = readEvents(
      url,
      auth,
      (events) => events.some((event) => event.event === 'run.status_changed'),
      10_000,
      () => connected(),
    );
    // The decision comes once the stream is open: an event committed from then on is sent.
    await open;
    await api.decide(approver.key, id, 'approve');
    const events = await reading;
    expect(events.map((event) => event.event)).toEqual([
      'run.created',
      'approval.requested',
      'approval.vote_cast',
      'approval.approved',
      'run.status_changed',
    ]);
    const ids = events.map((event) => BigInt(event.id));
    expect([...ids].sort((a, b) => (a < b ? -1 : 1))).toEqual(ids);

    const resumed = await readEvents(url, { ...auth, 'last-event-id': events[2].id }, (seen) => seen.length >= 2, 5000);
    expect(resumed.map((event) => event.event)).toEqual(['approval.approved', 'run.status_changed']);
  });

  it('the stream refuses like any route: 401 without a key, 404 for an unknown run', async () => {
    const base = await api.baseUrl();
    expect((await fetch(`${base}/api/v1/execution/run/00000000-0000-4000-8000-000000000000/stream`)).status).toBe(401);
    const unknown = await fetch(`${base}/api/v1/execution/run/00000000-0000-4000-8000-000000000000/stream`, {
      headers: { authorization: `Bearer ${requester.key}` },
    });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe('execution_not_found');
  });
});
