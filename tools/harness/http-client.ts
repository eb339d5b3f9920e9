/**
 * The few HTTP pieces every caller of a running API shares: its address on loopback, how a key
 * is sent, and the calls that set a run up (minting keys, subscribing webhooks). The bench and
 * the fault campaign send with fetch; the e2e suite goes through the SDK and uses the same body.
 */

const REQUEST_TIMEOUT_MS = 10_000;

/** The API on this machine's loopback (127.0.0.1: a name could resolve to ::1, where nothing listens). */
export function loopbackUrl(port: number): string {
  return `http://127.0.0.1:${port}`;
}

/** The header that carries a key (an API key or a sign-in token). */
export function bearer(key: string): { authorization: string } {
  return { authorization: `Bearer ${key}` };
}

export function jsonHeaders(key: string): Record<string, string> {
  return { 'content-type': 'application/json', ...bearer(key) };
}

export interface MintKeyInput {
  readonly name: string;
  readonly roles: readonly string[];
  /** Every project unless narrowed. */
  readonly projectIds?: readonly string[];
  /** Votes count only from people and marked services: an approver is marked unless this says false. */
  readonly serviceApprover?: boolean;
}

/** The body of POST /api/v1/api-keys for a new service principal. */
export function mintKeyBody(input: MintKeyInput): {
  name: string;
  roles: string[];
  project_ids: string[];
  service_approver?: true;
} {
  return {
    name: input.name,
    roles: [...input.roles],
    project_ids: [...(input.projectIds ?? ['*'])],
    ...((input.serviceApprover ?? input.roles.includes('approver')) ? { service_approver: true as const } : {}),
  };
}

/** POST of a JSON body (an object, or text already serialised) that must answer `expectStatus`; answers the parsed body. */
export async function postJson(input: {
  baseUrl: string;
  path: string;
  key: string;
  body: unknown;
  expectStatus: number;
}): Promise<Record<string, unknown>> {
  const response = await fetch(`${input.baseUrl}${input.path}`, {
    method: 'POST',
    headers: jsonHeaders(input.key),
    body: typeof input.body === 'string' ? input.body : JSON.stringify(input.body),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await response.text();
  if (response.status !== input.expectStatus) {
    throw new Error(`POST ${input.path} answered ${response.status} (expected ${input.expectStatus}): ${text.slice(0, 500)}`);
  }
  return JSON.parse(text) as Record<string, unknown>;
}

/** Mints a key of a new service principal with an admin's key. */
export async function mintKey(input: { baseUrl: string; adminKey: string } & MintKeyInput): Promise<{ id: string; key: string }> {
  const body = await postJson({
    baseUrl: input.baseUrl,
    path: '/api/v1/api-keys',
    key: input.adminKey,
    body: mintKeyBody(input),
    expectStatus: 201,
  });
  return { id: stringField(body, 'id'), key: stringField(body, 'key') };
}

/** Subscribes a URL to the given event types of a project's webhooks; answers the subscription id. */
export async function subscribeWebhook(input: {
  baseUrl: string;
  adminKey: string;
  projectId: string;
  url: string;
  eventTypes: readonly string[];
}): Promise<string> {
  const body = await postJson({
    baseUrl: input.baseUrl,
    path: `/api/v1/projects/${input.projectId}/webhooks`,
    key: input.adminKey,
    body: { url: input.url, event_types: input.eventTypes },
    expectStatus: 201,
  });
  return stringField(body, 'id');
}

export function stringField(body: Record<string, unknown>, field: string): string {
  const value = body[field];
  if (typeof value !== 'string') throw new Error(`the response has no string "${field}"`);
  return value;
}
