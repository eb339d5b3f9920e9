import request from 'supertest';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { createApiApp } from '../../apps/api/src/bootstrap';
import { openTestPool } from './db';

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
    return (await this.target.getUrl()).replace('[::1]', '127.0.0.1');
  }

  private listening = false;

  get http(): ReturnType<typeof request> {
    return typeof this.target === 'string' ? request(this.target) : request(this.target.getHttpServer());
  }

  async close(): Promise<void> {
    if (typeof this.target !== 'string') await this.target.close();
  }

  /** Mints a key through the API with the admin key. */
  async mintKey(input: { roles: string[]; projectIds?: string[]; name?: string }): Promise<{ id: string; key: string }> {
    const response = await this.http
      .post('/api/v1/api-keys')
      .set('Authorization', `Bearer ${this.adminKey}`)
      .send({ name: input.name ?? `test-${randomUUID().slice(0, 8)}`, roles: input.roles, project_ids: input.projectIds ?? ['*'] });
    if (response.status !== 201) throw new Error(`minting a key failed: ${response.status} ${JSON.stringify(response.body)}`);
    return { id: response.body.id, key: response.body.key };
  }

  createRun(key: string, body: Record<string, unknown>): request.Test {
    return this.http.post('/api/v1/execution/run').set('Authorization', `Bearer ${key}`).send(body);
  }

  /**
   * A decision as an approver makes it: on the plan it was shown. Unless the body names a
   * plan_hash (or says `plan_hash: undefined`), the run is read first and its plan_hash sent.
   */
  async decide(
    key: string,
    executionId: string,
    decision: 'approve' | 'reject' | 'defer',
    body: Record<string, unknown> = {},
  ): Promise<request.Response> {
    const seen =
      'plan_hash' in body
        ? body
        : { ...body, plan_hash: (await this.get(this.adminKey, `/api/v1/execution/run/${executionId}`)).body.plan_hash };
    return this.http
      .post(`/approvals/${executionId}/${decision}`)
      .set('Authorization', `Bearer ${key}`)
      .send(JSON.parse(JSON.stringify(seen)));
  }

  get(key: string, path: string): request.Test {
    return this.http.get(path).set('Authorization', `Bearer ${key}`);
  }
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
  afterAll(async () => {
    await pool?.end();
    await api?.close();
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
