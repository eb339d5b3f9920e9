export interface ServerSentEvent {
  readonly id: string;
  readonly event: string;
  readonly data: unknown;
}

/**
 * Reads a server-sent-events response until `until` holds or the time runs out. `connected`
 * resolves when the server says the stream listens (its `: connected` comment): an event
 * committed from then on will be sent.
 */
export function readServerSentEvents(
  url: string,
  headers: Record<string, string>,
  until: (events: ServerSentEvent[]) => boolean,
  timeoutMs = 10_000,
): { connected: Promise<void>; events: Promise<ServerSentEvent[]>; status: Promise<number> } {
  let connected: () => void = () => undefined;
  let status: (code: number) => void = () => undefined;
  const open = new Promise<void>((resolve) => (connected = resolve));
  const statusCode = new Promise<number>((resolve) => (status = resolve));
  const events = (async () => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    const seen: ServerSentEvent[] = [];
    try {
      const response = await fetch(url, { headers, signal: controller.signal });
      status(response.status);
      if (!response.ok || !(response.headers.get('content-type') ?? '').includes('text/event-stream')) return seen;
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      while (!until(seen)) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (block === ': connected') connected();
          const fields = Object.fromEntries(
            block
              .split('\n')
              .filter((line) => !line.startsWith(':'))
              .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]),
          );
          if (fields.id) seen.push({ id: fields.id, event: fields.event, data: JSON.parse(fields.data) });
        }
      }
    } catch (error) {
      if (!controller.signal.aborted) throw error;
    } finally {
      clearTimeout(timer);
      controller.abort();
    }
    return seen;
  })();
  return { connected: open, events, status: statusCode };
}
