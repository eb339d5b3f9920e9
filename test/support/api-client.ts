import request from 'supertest';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomUUID } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import type { Pool } from 'pg';
import { createApiApp } from '../../apps/api/src/bootstrap';
import { openTestPool } from './db';
import { SPEC } from './openapi-validator';
import {
  approveRun,
  ControlPlaneClient,
  createControlPlaneClient,
  createRunAsGiven,
  deferRun,
  mintApiKey,
  rejectRun,
} from '@control-plane/client';
import type { Role } from '@lib/identity';
import { bearer, loopbackUrl, mintKeyBody } from '@tools/harness';

/**
 * The e2e suite's one way to reach the API: in-process (default) or a running server named by
 * API_URL, so the same specs run against `docker compose --profile e2e`.
 */
export class TestApi {
  private constructor(
    private readonly target: string | NestFastifyApplication,
    readonly adminKey: string,
  ) {}

  static async open(): Promise<TestApi> {
    const adminKey = process.env.BOOTSTRAP_ADMIN_KEY;
    if (!adminKey) throw new Error('BOOTSTRAP_ADMIN_KEY must be set for the e2e suite');
    if (process.env.API_URL) return new TestApi(process.env.API_URL, adminKey);
    const app = await createApiApp({ logger: false });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    return new TestApi(app, adminKey);
  }

  /** A URL for clients that need a real socket (server-sent events): in-process, the app listens on a free port. */
  async baseUrl(): Promise<string> {
    if (typeof this.target === 'string') return this.target;
    if (!this.listening) {
      await this.target.listen({ port: 0, host: '127.0.0.1' });
      this.listening = true;
    }
    return loopbackUrl(Number(new URL(await this.target.getUrl()).port));
  }

  private listening = false;

  /** Raw HTTP (supertest), for what a typed client cannot send: every answer is still checked against the spec. */
  get http(): ReturnType<typeof request> {
    const agent = typeof this.target === 'string' ? request(this.target) : request(this.target.getHttpServer());
    return watched(agent);
  }

  async close(): Promise<void> {
    if (typeof this.target !== 'string') await this.target.close();
  }

  /** The generated SDK (clients/typescript) for a credential, on a real socket; its answers are checked against the spec too. */
  async client(credential: string): Promise<ControlPlaneClient> {
    return createControlPlaneClient({ baseUrl: await this.baseUrl(), credential, retries: 0, fetch: checkedFetch });
  }

  /**
   * Mints a key of a new service principal through the SDK with the admin key (an admin of every
   * project). One with the approver role is marked a service approver, so that its votes count
   * (votes count only from people and marked services), unless `serviceApprover: false`.
   */
  async mintKey(input: { roles: string[]; projectIds?: string[]; name?: string; serviceApprover?: boolean }): Promise<{
    id: string;
    key: string;
  }> {
    const body = mintKeyBody({ ...input, name: input.name ?? `test-${randomUUID().slice(0, 8)}` });
    const { data, response } = await mintApiKey(await this.client(this.adminKey), { body: { ...body, roles: body.roles as Role[] } });
    if (!data) throw new Error(`minting a key failed: ${response.status}`);
    return { id: data.id, key: data.key };
  }

  /** POST /api/v1/execution/run through the SDK, as given (no key added: some tests leave it out on purpose). */
  async createRun(key: string, body: Record<string, unknown>): Promise<Answer> {
    return answerOf(await createRunAsGiven(await this.client(key), { body: body as never }));
  }

  /**
   * A decision as an approver makes it, through the SDK: on the plan it was shown. Unless the
   * body names a plan_hash (or says `plan_hash: undefined`), the run is read first and its
   * plan_hash sent.
   */
  async decide(
    key: string,
    executionId: string,
    decision: 'approve' | 'reject' | 'defer',
    body: Record<string, unknown> = {},
  ): Promise<Answer> {
    const seen =
      'plan_hash' in body
        ? body
        : { ...body, plan_hash: (await this.get(this.adminKey, `/api/v1/execution/run/${executionId}`)).body.plan_hash };
    const init = { params: { path: { execution_id: executionId } }, body: JSON.parse(JSON.stringify(seen)) as never };
    const client = await this.client(key);
    const operation = decision === 'approve' ? approveRun : decision === 'reject' ? rejectRun : deferRun;
    return answerOf(await operation(client, init));
  }

  get(key: string, path: string): request.Test {
    return this.http.get(path).set(bearer(key));
  }
}

/** What a test reads of an answer, whichever way it was sent. */
export interface Answer {
  readonly status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read any field of any body
  readonly body: any;
  readonly headers: Record<string, string>;
}

function answerOf(result: { data?: unknown; error?: unknown; response: Response }): Answer {
  return {
    status: result.response.status,
    body: result.data ?? result.error ?? null,
    headers: Object.fromEntries(result.response.headers.entries()),
  };
}

const METHODS = new Set(['get', 'post', 'put', 'delete', 'patch']);

/** A supertest agent whose every answer is checked against the spec. */
function watched(agent: ReturnType<typeof request>): ReturnType<typeof request> {
  return new Proxy(agent, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof property !== 'string' || !METHODS.has(property) || typeof value !== 'function') return value;
      return (url: string) => {
        const test = (value as (url: string) => request.Test).call(target, url);
        test.on('response', (response: request.Response) =>
          SPEC.check({
            method: property,
            url,
            status: response.status,
            contentType: response.headers['content-type'],
            body: response.body,
            text: response.text,
          }),
        );
        return test;
      };
    },
  });
}

/** fetch, with every answer checked against the spec (a stream's events are not read here). */
export async function checkedFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const request = new Request(input, init);
  const response = await fetch(request);
  const contentType = response.headers.get('content-type') ?? undefined;
  if (contentType?.startsWith('text/event-stream')) {
    SPEC.check({ method: request.method, url: request.url, status: response.status, contentType, body: undefined });
    return response;
  }
  const text = await response.clone().text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = text;
  }
  SPEC.check({ method: request.method, url: request.url, status: response.status, contentType, body, text });
  return response;
}

/** A project id no other test uses, so tests share one database without seeing each other. */
export function uniqueProject(prefix = 'p'): string {
  return `${prefix}-${randomUUID()}`;
}

/**
 * The set-up every e2e spec shares: the API (in-process or API_URL) and a pool for direct
 * checks, opened before the suite and closed after it. The returned objects stand for them once
 * the suite's beforeAll has run, so specs keep plain names.
 */
export function useTestApi(): { api: TestApi; pool: Pool } {
  let api: TestApi | undefined;
  let pool: Pool | undefined;
  beforeAll(async () => {
    api = await TestApi.open();
    pool = openTestPool();
  });
  // Every answer this file received must be one the spec allows.
  afterEach(() => {
    expect(SPEC.violations.splice(0)).toEqual([]);
  });
  afterAll(async () => {
    await pool?.end();
    await api?.close();
    if (process.env.SPEC_TALLY_FILE) appendFileSync(process.env.SPEC_TALLY_FILE, `${SPEC.checked}\n`);
  });
  return { api: lateBound(() => api, 'api'), pool: lateBound(() => pool, 'pool') };
}

function lateBound<T extends object>(current: () => T | undefined, what: string): T {
  return new Proxy({} as T, {
    get(_target, property) {
      const target = current();
      if (!target) throw new Error(`the test ${what} is used before the suite's beforeAll ran`);
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
