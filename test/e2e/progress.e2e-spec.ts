import { uniqueProject, useTestApi } from '../support/api-client';
import { readServerSentEvents } from '../support/server-sent-events';

type Key = { id: string; key: string };

/**
 * A stream read to its end: `text` resolves only when the server ends the response (a stream
 * left open fails the test when the reader gives up, after `giveUpMs`).
 */
function openStream(url: string, headers: Record<string, string>, giveUpMs = 15_000): { connected: Promise<void>; text: Promise<string> } {
  let connected: () => void = () => undefined;
  const open = new Promise<void>((resolve) => (connected = resolve));
  const text = (async () => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), giveUpMs);
    try {
      const response = await fetch(url, { headers, signal: controller.signal });
      expect([response.status, response.headers.get('content-type')]).toEqual([200, 'text/event-stream']);
      const decoder = new TextDecoder();
      let body = '';
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        body += decoder.decode(chunk, { stream: true });
        if (body.includes(': connected\n\n')) connected();
      }
      return body;
    } catch (error) {
      throw controller.signal.aborted ? new Error(`the stream was still open after ${giveUpMs} ms`) : error;
    } finally {
      clearTimeout(timer);
    }
  })();
  return { connected: open, text };
}

const blocksOf = (text: string) =>
  text
    .split('\n\n')
    .filter((block) => block !== '' && !block.startsWith(':'))
    .map((block) =>
      Object.fromEntries(block.split('\n').map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)])),
    );
const eventsOf = (text: string) => blocksOf(text).map((fields) => ({ id: fields.id, event: fields.event }));
const endOf = (text: string) => JSON.parse(blocksOf(text).find((fields) => fields.event === 'end')?.data ?? 'null');

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

  it('a run that ended before the stream opens: every event is sent, then `end`, and the response ends', async () => {
    const id = await newRun();
    expect((await api.decide(approver.key, id, 'reject', { reason: 'not now' })).status).toBe(200);
    const stream = openStream(`${await api.baseUrl()}/api/v1/execution/run/${id}/stream`, { authorization: `Bearer ${requester.key}` });
    const text = await stream.text;
    const trail = (await api.get(requester.key, `/api/v1/execution/run/${id}/events`)).body.events as Array<{ id: string; type: string }>;
    expect(trail.at(-1)).toMatchObject({ type: 'run.status_changed', data: { to: 'REJECTED' } });
    expect(eventsOf(text)).toEqual([...trail.map((event) => ({ id: event.id, event: event.type })), { id: undefined, event: 'end' }]);
    expect(endOf(text)).toEqual({ execution_id: id, after: trail.at(-1)?.id });
    // Resumed after its last event: nothing more, and it ends at once.
    const resumed = openStream(`${await api.baseUrl()}/api/v1/execution/run/${id}/stream`, {
      authorization: `Bearer ${requester.key}`,
      'last-event-id': trail.at(-1)?.id as string,
    });
    expect(eventsOf(await resumed.text)).toEqual([{ id: undefined, event: 'end' }]);
  });

  it('a run that ends while the stream is open: the stream sends its last events, then `end`, and the response ends', async () => {
    const id = await newRun();
    const stream = openStream(`${await api.baseUrl()}/api/v1/execution/run/${id}/stream`, { authorization: `Bearer ${requester.key}` });
    await stream.connected;
    const cancelled = await api.http
      .post(`/api/v1/execution/run/${id}/cancel`)
      .set('Authorization', `Bearer ${requester.key}`)
      .send({ reason: 'spec: ends while followed' });
    expect(cancelled.status).toBe(200);
    const text = await stream.text;
    const events = eventsOf(text);
    expect(events.at(-1)).toEqual({ id: undefined, event: 'end' });
    // Every event of the trail, those the cancel's transaction appended with the status last.
    const trail = (await api.get(requester.key, `/api/v1/execution/run/${id}/events`)).body.events as Array<{
      id: string;
      type: string;
      data: Record<string, unknown>;
    }>;
    expect(events.slice(0, -1)).toEqual(trail.map((event) => ({ id: event.id, event: event.type })));
    expect(trail.filter((event) => event.type === 'run.status_changed').at(-1)?.data).toMatchObject({ to: 'CANCELLED' });
  });

  it('the long-poll of a run that has ended answers at once, saying it ended; one that has not says so too', async () => {
    const id = await newRun();
    const open = await api.get(requester.key, `/api/v1/execution/run/${id}/events?wait=0`);
    expect(open.body.ended).toBe(false);
    expect((await api.decide(approver.key, id, 'reject', { reason: 'not now' })).status).toBe(200);
    const all = await api.get(requester.key, `/api/v1/execution/run/${id}/events`);
    expect(all.body.ended).toBe(true);
    // Nothing after its last event: without the run's end, this would wait its 30 s and the test give up at 20.
    const poll = await api.get(requester.key, `/api/v1/execution/run/${id}/events?after=${all.body.events.at(-1).id}&wait=30`);
    expect([poll.status, poll.body.events, poll.body.ended]).toEqual([200, [], true]);
  }, 20_000);

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
