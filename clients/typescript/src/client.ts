import createClient, { type Client } from 'openapi-fetch';
import type { paths } from './schema';

/** An API key (`cpk_…`) or an SSO access token; a function is asked before every request (a token that refreshes). */
export type Credential = string | (() => string | Promise<string>);

export interface ControlPlaneOptions {
  /** Where the API is, e.g. `http://localhost:3000`. */
  readonly baseUrl: string;
  readonly credential: Credential;
  /** How many times a 503 (the database or the identity provider is restarting) is tried again, after its Retry-After. 3 by default. */
  readonly retries?: number;
  /** The longest wait for one retry, whatever Retry-After says. 30 s by default. */
  readonly maxRetryDelayMs?: number;
  /** A fetch of your own (tests, proxies). */
  readonly fetch?: typeof fetch;
}

/** The typed client: openapi-fetch's GET/POST/PUT over the spec's paths, with the settings it was made with. */
export type ControlPlaneClient = Client<paths> & {
  readonly settings: Readonly<Required<Omit<ControlPlaneOptions, 'maxRetryDelayMs'>>> & { maxRetryDelayMs: number };
};

/**
 * A client of the control plane. Every request carries the credential; an answer 503 is tried
 * again after its Retry-After (the same request, so a create keeps its Idempotency-Key and can
 * never be made twice); anything else is returned as the server sent it, with `error` typed by
 * the operation's declared error codes.
 */
export function createControlPlaneClient(options: ControlPlaneOptions): ControlPlaneClient {
  const settings = {
    baseUrl: options.baseUrl.replace(/\/$/, ''),
    credential: options.credential,
    retries: options.retries ?? 3,
    maxRetryDelayMs: options.maxRetryDelayMs ?? 30_000,
    // Called as a function of its own: a browser refuses a fetch called on another object (Illegal invocation).
    fetch: options.fetch ?? ((input: Parameters<typeof fetch>[0], init?: RequestInit) => globalThis.fetch(input, init)),
  };
  const client = createClient<paths>({ baseUrl: settings.baseUrl, fetch: retrying(settings) });
  client.use({
    async onRequest({ request }) {
      request.headers.set('authorization', `Bearer ${await credentialOf(settings.credential)}`);
      return request;
    },
  });
  return Object.assign(client, { settings });
}

export async function credentialOf(credential: Credential): Promise<string> {
  return typeof credential === 'function' ? credential() : credential;
}

/** fetch, with a 503 tried again after its Retry-After (bounded), the request cloned for each attempt. */
function retrying(settings: { fetch: typeof fetch; retries: number; maxRetryDelayMs: number }): (request: Request) => Promise<Response> {
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
