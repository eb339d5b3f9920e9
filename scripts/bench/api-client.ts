import { createRunBody, jsonHeaders } from './run-request';

/** The few calls the bench makes before loading the API: mint a requester key, create one run. */
export async function mintRequesterKey(baseUrl: string, adminKey: string): Promise<{ id: string; key: string }> {
  const body = await postJson({
    url: `${baseUrl}/api/v1/api-keys`,
    key: adminKey,
    body: JSON.stringify({ name: 'bench', roles: ['requester'], project_ids: ['*'] }),
    expectStatus: 201,
  });
  return { id: stringField(body, 'id'), key: stringField(body, 'key') };
}

/** Mints a key with the given roles, for every project unless `projectIds` narrows it. */
/** Mints a key of a new service principal with the bootstrap admin's key; an approver is marked a service approver, so its votes count. */
export async function mintKey(
  baseUrl: string,
  adminKey: string,
  input: { name: string; roles: string[]; projectIds?: string[] },
): Promise<{ id: string; key: string }> {
  const body = await postJson({
    url: `${baseUrl}/api/v1/api-keys`,
    key: adminKey,
    body: JSON.stringify({
      name: input.name,
      roles: input.roles,
      project_ids: input.projectIds ?? ['*'],
      ...(input.roles.includes('approver') ? { service_approver: true } : {}),
    }),
    expectStatus: 201,
  });
  return { id: stringField(body, 'id'), key: stringField(body, 'key') };
}

/** Subscribes a URL to every event type of a project's webhooks; returns the subscription id. */
export async function subscribeWebhook(input: {
  baseUrl: string;
  adminKey: string;
  projectId: string;
  url: string;
  eventTypes: string[];
}): Promise<string> {
  const body = await postJson({
    url: `${input.baseUrl}/api/v1/projects/${input.projectId}/webhooks`,
    key: input.adminKey,
    body: JSON.stringify({ url: input.url, event_types: input.eventTypes }),
    expectStatus: 201,
  });
  return stringField(body, 'id');
}

/** Creates a run and returns its id. */
export async function createRun(input: { baseUrl: string; key: string; idempotencyKey: string }): Promise<string> {
  const body = await postJson({
    url: `${input.baseUrl}/api/v1/execution/run`,
    key: input.key,
    body: createRunBody(input.idempotencyKey),
    expectStatus: 201,
  });
  return stringField(body, 'execution_id');
}

async function postJson(input: { url: string; key: string; body: string; expectStatus: number }): Promise<unknown> {
  const response = await fetch(input.url, {
    method: 'POST',
    headers: jsonHeaders(input.key),
    body: input.body,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (response.status !== input.expectStatus) {
    throw new Error(
      `POST ${new URL(input.url).pathname} answered ${response.status} (expected ${input.expectStatus}): ${text.slice(0, 500)}`,
    );
  }
  return JSON.parse(text) as unknown;
}

function stringField(body: unknown, field: string): string {
  const value = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[field] : undefined;
  if (typeof value !== 'string') throw new Error(`the response has no string "${field}"`);
  return value;
}
