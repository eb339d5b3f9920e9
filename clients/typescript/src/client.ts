import createClient, { type Client, type Middleware } from 'openapi-fetch';
import type { paths } from './schema';

/** An API key (`cpk_…`) or an SSO access token; a function is asked before every request (a token that refreshes). */
export type Credential = string | (() => string | Promise<string>);

export interface ControlPlaneOptions {
  /** Where the API is, e.g. `http://localhost:3000`. */
  readonly baseUrl: string;
  readonly credential: Credential;
  /** How many times a 503 (the database or the identity provider is restarting) is tried again, after its Retry-After. 3 by default. */
  readonly retries?: number | undefined;
  /** The longest wait for one retry, whatever Retry-After says. 30 s by default. */
  readonly maxRetryDelayMs?: number | undefined;
  /** A fetch of your own (tests, proxies). */
  readonly fetch?: typeof fetch | undefined;
}

/**
 * The body of a failure the API did not write: Node's own 408 for a request that trickled in (the
 * spec declares it without a body), or a proxy's page. The client puts it in `error`, so that
 * every failure sets `error` to an object: `if (error) throw …` leaves `data` defined.
 */
export interface UndeclaredErrorBody {
  readonly error: { readonly code: `http_${number}`; readonly message: string };
  readonly request_id: string | null;
}

/** A failure response the spec declares without a body, given the one the client makes for it. */
type WithErrorBody<Answer, Status> = `${Status & (string | number)}` extends `4${string}` | `5${string}` | 'default'
  ? Answer extends { content: object }
    ? Answer
    : Omit<Answer, 'content'> & { content: { 'application/json': UndeclaredErrorBody } }
  : Answer;

type WithErrorBodies<Operation> = {
  [K in keyof Operation]: K extends 'responses' ? { [S in keyof Operation[K]]: WithErrorBody<Operation[K][S], S> } : Operation[K];
};

/** The spec's paths as the client answers them: each failure with a body (see UndeclaredErrorBody). */
export type ClientPaths = {
  [P in keyof paths]: { [M in keyof paths[P]]: paths[P][M] extends { responses: object } ? WithErrorBodies<paths[P][M]> : paths[P][M] };
};

/** The options a client was made with, each default filled in. */
export interface ControlPlaneSettings {
  readonly baseUrl: string;
  readonly credential: Credential;
  readonly retries: number;
  readonly maxRetryDelayMs: number;
  readonly fetch: typeof fetch;
}

/** The typed client: openapi-fetch's GET/POST/PUT over the spec's paths, with the settings it was made with. */
export type ControlPlaneClient = Client<ClientPaths> & { readonly settings: ControlPlaneSettings };

/**
 * A client of the control plane. Every request carries the credential; an answer 503 is tried
 * again after its Retry-After (the same request, so a create keeps its Idempotency-Key and can
 * never be made twice); anything else is returned as the server sent it, with `error` typed by
 * the operation's declared error codes.
 */
export function createControlPlaneClient(options: ControlPlaneOptions): ControlPlaneClient {
  const settings: ControlPlaneSettings = {
    baseUrl: options.baseUrl.replace(/\/$/, ''),
    credential: options.credential,
    retries: options.retries ?? 3,
    maxRetryDelayMs: options.maxRetryDelayMs ?? 30_000,
    // Called as a function of its own: a browser refuses a fetch called on another object (Illegal invocation).
    fetch: options.fetch ?? ((input: Parameters<typeof fetch>[0], init?: RequestInit) => globalThis.fetch(input, init)),
  };
  const client = createClient<ClientPaths>({ baseUrl: settings.baseUrl, fetch: retrying(settings) });
  client.use(
    {
      async onRequest({ request }) {
        request.headers.set('authorization', `Bearer ${await credentialOf(settings.credential)}`);
        return request;
      },
    },
    errorBodies,
  );
  return Object.assign(client, { settings });
}

/**
 * A failure whose body is not JSON (none, or a proxy's page) is given an UndeclaredErrorBody:
 * openapi-fetch would otherwise leave `error` undefined or an empty string, which `if (error)` lets through.
 */
const errorBodies: Middleware = {
  async onResponse({ response }) {
    if (response.ok || /[/+]json\b/i.test(response.headers.get('content-type') ?? '')) return undefined;
    const text = (await response.text()).trim().slice(0, 500);
    const body: UndeclaredErrorBody = {
      error: {
        code: `http_${response.status}`,
        message: [`${response.status} ${response.statusText}`.trim(), text || 'the answer had no body'].join(': '),
      },
      request_id: response.headers.get('x-request-id'),
    };
    const headers = new Headers(response.headers);
    headers.delete('content-length');
    headers.set('content-type', 'application/json');
    return new Response(JSON.stringify(body), { status: response.status, statusText: response.statusText, headers });
  },
};

export async function credentialOf(credential: Credential): Promise<string> {
  return typeof credential === 'function' ? credential() : credential;
}

/** fetch, with a 503 tried again after its Retry-After (bounded), the request cloned for each attempt. */
function retrying(settings: ControlPlaneSettings): (request: Request) => Promise<Response> {
  return async (request: Request) => {
    for (let attempt = 0; ; attempt++) {
      const response = await settings.fetch(request.clone());
      if (response.status !== 503 || attempt >= settings.retries) return response;
      const seconds = Number(response.headers.get('retry-after'));
      await response.body?.cancel();
      await new Promise((resolve) =>
        setTimeout(resolve, Math.min(settings.maxRetryDelayMs, (Number.isFinite(seconds) ? seconds : 1) * 1000)),
      );
    }
  };
}
