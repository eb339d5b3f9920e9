import { request } from 'node:http';

export interface RawAnswer {
  /** null when no HTTP answer came. */
  readonly status: number | null;
  readonly contentType: string;
  readonly requestId: string | undefined;
  readonly body: string;
  readonly error?: string;
}

const BODY_CAP = 64 * 1024;

/**
 * Sends a request exactly as given, which fetch cannot: repeated headers as separate lines,
 * raw bytes as the body, a path with broken percent-encoding. One connection per request, so a
 * request the server drops does not take others with it. An event stream is closed as soon as
 * its headers arrive.
 */
export function sendRaw(input: {
  baseUrl: string;
  method: string;
  path: string;
  headers: readonly (readonly [string, string])[];
  body: Buffer | null;
  timeoutMs: number;
}): Promise<RawAnswer> {
  const url = new URL(input.baseUrl);
  return new Promise((resolveAnswer) => {
    let settled = false;
    const finish = (answer: RawAnswer) => {
      if (settled) return;
      settled = true;
      resolveAnswer(answer);
    };
    const failed = (error: unknown): RawAnswer => ({ status: null, contentType: '', requestId: undefined, body: '', error: String(error) });
    try {
      const outgoing = request({ host: url.hostname, port: url.port, method: input.method, path: input.path, agent: false });
      for (const [name, values] of groupHeaders(input.headers)) outgoing.setHeader(name, values.length === 1 ? values[0] : values);
      if (input.body) outgoing.setHeader('Content-Length', input.body.length);
      outgoing.setTimeout(input.timeoutMs, () => outgoing.destroy(new Error(`no answer within ${input.timeoutMs} ms`)));
      outgoing.on('error', (error) => finish(failed(error)));
      outgoing.on('response', (response) => {
        const contentType = String(response.headers['content-type'] ?? '');
        const requestId = response.headers['x-request-id'] as string | undefined;
        const answer = (body: string) => finish({ status: response.statusCode ?? null, contentType, requestId, body });
        if (contentType.startsWith('text/event-stream')) {
          answer('');
          response.destroy();
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size <= BODY_CAP) chunks.push(chunk);
          else response.destroy();
        });
        response.on('close', () => answer(Buffer.concat(chunks).toString('utf8')));
        response.on('error', () => answer(Buffer.concat(chunks).toString('utf8')));
      });
      outgoing.end(input.body ?? undefined);
    } catch (error) {
      // Node refused to send it (a character it will not put in a path or header).
      finish(failed(error));
    }
  });
}

function groupHeaders(headers: readonly (readonly [string, string])[]): Map<string, string[]> {
  const grouped = new Map<string, string[]>();
  for (const [name, value] of headers) {
    const key = name.toLowerCase();
    grouped.set(key, [...(grouped.get(key) ?? []), value]);
  }
  return grouped;
}
