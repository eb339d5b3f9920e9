import type { ControlPlaneClient } from './client';
import { credentialOf } from './client';
import { getRun, listRunEvents } from './operations';
import { pause } from './pause';
import { isTerminalRunStatus } from './run-status';
import type { components } from './schema';

/** One event of a run's audit trail, as the stream sends it. */
export interface RunEvent {
  /** Its position: resume after it with `lastEventId`. */
  readonly id: string;
  readonly type: string;
  readonly event: components['schemas']['AuditEventDto'];
}

export interface FollowRunOptions {
  /** Resume after this event (a RunEvent's `id`); from the run's first event when absent. */
  readonly lastEventId?: string | undefined;
  /** Stops following (the generator returns). */
  readonly signal?: AbortSignal | undefined;
  /** The pause before a dropped connection is opened again. 1 s by default. */
  readonly reconnectDelayMs?: number | undefined;
}

/**
 * Follows a run's events as they are committed (GET …/run/{id}/stream, server-sent events),
 * oldest first, from after `lastEventId` (the start when absent). It ends after the run's last
 * event: the server says `end` once the run has ended for good and every event was sent (a
 * server that ends the stream without it, shutting down, is asked whether the run has ended, and
 * the events not yet received are read then), or when `signal` aborts. When the connection drops
 * (or the server ends the stream of a run still going) it is opened again after a pause, from the
 * last event received, so nothing is missed or seen twice. A refusal (401, 403, 404) ends it with
 * an error. (The run's terminal status comes with `run.status_changed`; events of the same
 * transaction, such as `approval.executed`, follow it, so the stream is read to its end.)
 */
export async function* followRun(
  client: ControlPlaneClient,
  executionId: string,
  options: FollowRunOptions = {},
): AsyncGenerator<RunEvent> {
  const { settings } = client;
  let last = options.lastEventId;
  while (!options.signal?.aborted) {
    let response: Response;
    try {
      response = await settings.fetch(`${settings.baseUrl}/api/v1/execution/run/${encodeURIComponent(executionId)}/stream`, {
        headers: {
          accept: 'text/event-stream',
          authorization: `Bearer ${await credentialOf(settings.credential)}`,
          ...(last ? { 'last-event-id': last } : {}),
        },
        signal: options.signal ?? null,
      });
    } catch {
      if (options.signal?.aborted) return;
      await pause(options.reconnectDelayMs ?? 1000, options.signal);
      continue;
    }
    // Unavailable for now: this service (503), or a proxy in front of it during a restart (502, 504).
    if (response.status === 503 || response.status === 502 || response.status === 504) {
      await response.body?.cancel();
      await pause((Number(response.headers.get('retry-after')) || 1) * 1000, options.signal);
      continue;
    }
    if (!response.ok || !response.body) throw new Error(`the run stream was refused: ${response.status} ${await response.text()}`);
    const stream = { ended: false };
    let closed = false;
    try {
      for await (const event of parse(response.body, stream)) {
        last = event.id;
        yield event;
      }
      if (stream.ended) return;
      closed = true;
    } catch {
      // The connection dropped (or the signal aborted): opened again below, from the last event received.
      if (options.signal?.aborted) return;
    }
    // The server closed the stream without `end`: it is shutting down, or it ends a stream without
    // saying so. An ended run's events after the last one received are read once, and that is the end.
    if (closed && (await hasEnded(client, executionId, options.signal))) {
      try {
        for await (const event of eventsAfter(client, executionId, last, options.signal)) yield event;
      } catch (error) {
        if (!options.signal?.aborted) throw error;
      }
      return;
    }
    await pause(options.reconnectDelayMs ?? 1000, options.signal);
  }
}

/** Whether the run is in a terminal status now; false when that cannot be read (the stream is opened again, and tells). */
async function hasEnded(client: ControlPlaneClient, executionId: string, signal: AbortSignal | undefined): Promise<boolean> {
  try {
    const { data } = await getRun(client, { params: { path: { execution_id: executionId } }, ...(signal ? { signal } : {}) });
    return isTerminalRunStatus(data?.status);
  } catch {
    return false;
  }
}

/** The run's events after `after`, all of them (GET …/run/{id}/events). */
async function* eventsAfter(
  client: ControlPlaneClient,
  executionId: string,
  after: string | undefined,
  signal: AbortSignal | undefined,
): AsyncGenerator<RunEvent> {
  const { data, error } = await listRunEvents(client, {
    params: { path: { execution_id: executionId }, query: after ? { after } : {} },
    ...(signal ? { signal } : {}),
  });
  if (error) throw new Error(`the run's events could not be read: ${error.error.code}`);
  for (const event of data.events) yield { id: event.id, type: event.type, event };
}

/**
 * Server-sent events, block by block; comments (`: connected`, keep-alives) and the error event's
 * own fields are skipped. The `end` event (the run has ended, every event was sent) stops it.
 */
async function* parse(body: ReadableStream<Uint8Array>, stream: { ended: boolean }): AsyncGenerator<RunEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const fields = new Map<string, string>();
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1).replace(/^ /, ''));
      }
      const id = fields.get('id');
      const type = fields.get('event');
      const data = fields.get('data');
      if (type === 'error') throw new Error(`the run stream failed: ${data ?? ''}`);
      if (type === 'end') {
        stream.ended = true;
        return;
      }
      if (id && type && data) yield { id, type, event: JSON.parse(data) as RunEvent['event'] };
    }
  }
}
