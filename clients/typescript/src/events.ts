import type { ControlPlaneClient } from './client';
import { credentialOf } from './client';
import { pause } from './pause';
import type { components } from './schema';

/** One event of a run's audit trail, as the stream sends it. */
export interface RunEvent {
  /** Its position: resume after it with `lastEventId`. */
  readonly id: string;
  readonly type: string;
  readonly event: components['schemas']['AuditEventDto'];
}

/**
 * Follows a run's events as they are committed (GET …/run/{id}/stream, server-sent events),
 * oldest first, from after `lastEventId` (the start when absent). When the connection drops it
 * is opened again after a pause, from the last event received, so nothing is missed or seen
 * twice; it ends after the run's last event (the server says `end` once the run has ended for
 * good), or when `signal` aborts. A refusal (401, 403, 404) ends it with an error.
 */
export async function* followRun(
  client: ControlPlaneClient,
  executionId: string,
  options: { lastEventId?: string; signal?: AbortSignal; reconnectDelayMs?: number } = {},
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
        signal: options.signal,
      });
    } catch {
      if (options.signal?.aborted) return;
      await pause(options.reconnectDelayMs ?? 1000, options.signal);
      continue;
    }
    if (response.status === 503) {
      await response.body?.cancel();
      await pause((Number(response.headers.get('retry-after')) || 1) * 1000, options.signal);
      continue;
    }
    if (!response.ok || !response.body) throw new Error(`the run stream was refused: ${response.status} ${await response.text()}`);
    const stream = { ended: false };
    try {
      for await (const event of parse(response.body, stream)) {
        last = event.id;
        yield event;
      }
      if (stream.ended) return;
    } catch {
      // The connection dropped (or the signal aborted): opened again below, from the last event received.
      if (options.signal?.aborted) return;
    }
    await pause(options.reconnectDelayMs ?? 1000, options.signal);
  }
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
