import { uniqueProject, useTestApi } from '../support/api-client';
import { readServerSentEvents } from '../support/server-sent-events';

type Key = { id: string; key: string };

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
    const reading = readServerSentEvents(url, auth, (events) => events.some((event) => event.event === 'run.status_changed'));
    // The decision comes once the stream is open: an event committed from then on is sent.
    await reading.connected;
    expect(await reading.status).toBe(200);
    await api.decide(approver.key, id, 'approve');
    const events = await reading.events;
    expect(events.map((event) => event.event)).toEqual([
      'run.created',
      'approval.requested',
      'approval.vote_cast',
      'approval.approved',
      'run.status_changed',
    ]);
    const ids = events.map((event) => BigInt(event.id));
    expect([...ids].sort((a, b) => (a < b ? -1 : 1))).toEqual(ids);

    const resumed = await readServerSentEvents(url, { ...auth, 'last-event-id': events[2].id }, (seen) => seen.length >= 2, 5000).events;
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
