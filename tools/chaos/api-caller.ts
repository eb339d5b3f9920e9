import { bearer } from '@tools/harness';
import { HttpRecorder, preview, RequestSource } from './http-recorder';

export interface Reply {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly retryAfter: string | null;
}

const REQUEST_TIMEOUT_MS = 10_000;

/**
 * Well-formed requests to the API (the load and the probe), each recorded. The base URL stays
 * the same across API restarts: the API comes back on its port. Answers null when no HTTP
 * answer came (the API was down, the connection was cut, the request timed out).
 */
export class ApiCaller {
  constructor(
    private readonly baseUrl: string,
    private readonly recorder: HttpRecorder,
    private readonly source: RequestSource,
  ) {}

  async send(input: {
    method: 'GET' | 'POST' | 'PUT';
    path: string;
    route: string;
    key: string;
    body?: unknown;
    headers?: Record<string, string>;
  }): Promise<Reply | null> {
    const sentAt = Date.now();
    const text = input.body === undefined ? undefined : JSON.stringify(input.body);
    const base = { source: this.source, method: input.method, route: input.route, path: input.path, sentAt };
    const request = text === undefined ? undefined : preview(text, 200);
    try {
      const response = await fetch(`${this.baseUrl}${input.path}`, {
        method: input.method,
        headers: {
          ...bearer(input.key),
          ...(text === undefined ? {} : { 'content-type': 'application/json' }),
          ...input.headers,
        },
        body: text,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const raw = await response.text();
      const body = parseObject(raw);
      const error = body.error as { code?: unknown } | undefined;
      const retryAfter = response.headers.get('retry-after');
      this.recorder.record({
        ...base,
        status: response.status,
        answeredAt: Date.now(),
        errorCode: typeof error?.code === 'string' ? error.code : undefined,
        retryAfter,
        requestId: response.headers.get('x-request-id') ?? undefined,
        request,
        response: preview(raw),
      });
      return { status: response.status, body, retryAfter };
    } catch (error) {
      this.recorder.record({ ...base, status: null, answeredAt: Date.now(), request, transportError: String(error) });
      return null;
    }
  }
}

function parseObject(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
