import { connect } from 'node:net';
import { uniqueProject, useTestApi } from '../support/api-client';
import { createApiApp } from '../../apps/api/src/bootstrap';
import { loadConfig } from '@lib/config';

type Key = { id: string; key: string };

/** Tried as a hostile caller would: every answer a 4xx with its own code, nothing written, the process still up. */
describe('hostile input', () => {
  const { api, pool } = useTestApi();
  let requester: Key;
  let approver: Key;
  let admin: Key;

  beforeAll(async () => {
    requester = await api.mintKey({ roles: ['requester'] });
    approver = await api.mintKey({ roles: ['approver'] });
    admin = await api.mintKey({ roles: ['admin'] });
  });

  const newRun = async (): Promise<string> =>
    (await api.createRun(requester.key, { project_id: uniqueProject(), idempotency_key: 'k', action: 'deploy', targets: ['web-1'] })).body
      .execution_id;
  const stillServing = async () => expect((await api.get(requester.key, `/api/v1/execution/run/${await newRun()}`)).status).toBe(200);

  it('a stream resumed after a position past bigint is refused (400 invalid_cursor), and the process lives on', async () => {
    const id = await newRun();
    const base = await api.baseUrl();
    const stream = await fetch(`${base}/api/v1/execution/run/${id}/stream`, {
      headers: { authorization: `Bearer ${requester.key}`, 'last-event-id': '9999999999999999999' },
    });
    expect(stream.status).toBe(400);
    expect(((await stream.json()) as { error: { code: string } }).error.code).toBe('invalid_cursor');
    // What used to take the process down: an event on that run.
    expect((await api.decide(approver.key, id, 'approve')).status).toBe(200);
    await stillServing();
  });

  it.each([
    ['/api/v1/execution/run/{id}/events?after=9999999999999999999'],
    ['/api/v1/execution/run/{id}/events?after=-1'],
    ['/api/v1/audit/events?after=9999999999999999999'],
    ['/api/v1/audit/events?after=1e3'],
  ])('an out-of-range cursor: %s → 400 invalid_cursor', async (path) => {
    const response = await api.get(admin.key, path.replace('{id}', await newRun()));
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('invalid_cursor');
  });

  it.each([
    ['/api/v1/execution/run/%ED%A0%80', 400, 'malformed_path'],
    ['/api/v1/grants/%ZZ', 400, 'malformed_path'],
    ['/api/v1/execution/run/%C0%AF', 400, 'malformed_path'],
    [`/api/v1/grants/${'a'.repeat(200)}`, 414, 'path_too_long'],
  ])('a path Fastify refuses before routing (%s) gets the one error body and a request id', async (path, status, code) => {
    // supertest would re-encode the path; a raw request sends it as it is.
    const response = await fetch(`${await api.baseUrl()}${path}`, { headers: { authorization: `Bearer ${admin.key}` } });
    const body = (await response.json()) as { error: { code: string; message: string }; request_id: string };
    expect([response.status, body.error.code]).toEqual([status, code]);
    expect(body.request_id).toEqual(response.headers.get('x-request-id'));
    expect(body.error.message).not.toContain(path.slice(-20));
  });

  it('a stream with a cursor in range opens and resumes after it', async () => {
    const id = await newRun();
    const controller = new AbortController();
    const stream = await fetch(`${await api.baseUrl()}/api/v1/execution/run/${id}/stream`, {
      headers: { authorization: `Bearer ${requester.key}`, 'last-event-id': '9223372036854775807' },
      signal: controller.signal,
    });
    expect(stream.status).toBe(200);
    controller.abort();
  });

  it('a body nested 5,000 deep, on any route, is 400 nesting_too_deep and writes nothing', async () => {
    const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
    const project = uniqueProject();
    // Other spec files share the database: count only what the admin key could have minted.
    const mintedByAdmin = `SELECT count(*)::int AS n FROM api_keys WHERE created_via = 'api_key:' || $1`;
    const keysBefore = (await pool.query(mintedByAdmin, [admin.id])).rows[0].n;
    const requests = [
      api.http.post('/api/v1/execution/run').set('Authorization', `Bearer ${requester.key}`),
      api.http.post('/api/v1/api-keys').set('Authorization', `Bearer ${admin.key}`),
      api.http.post(`/approvals/${await newRun()}/approve`).set('Authorization', `Bearer ${approver.key}`),
    ];
    const bodies = [`{"project_id":"${project}","idempotency_key":"k","action":"deploy","params":{"a":${deep}}}`, `{"name":${deep}}`, deep];
    for (const [index, request] of requests.entries()) {
      const response = await request.set('Content-Type', 'application/json').send(bodies[index]);
      expect([response.status, response.body.error.code]).toEqual([400, 'nesting_too_deep']);
    }
    expect((await pool.query(`SELECT 1 FROM execution_runs WHERE project_id = $1`, [project])).rowCount).toBe(0);
    expect((await pool.query(mintedByAdmin, [admin.id])).rows[0].n).toBe(keysBefore);
  });

  it.each([
    ['NUL', 'bot\u0000'],
    ['a lone surrogate', 'bot\ud800'],
  ])("an API key's name with %s is 400 invalid_value and mints nothing", async (_what, name) => {
    const response = await api.http
      .post('/api/v1/api-keys')
      .set('Authorization', `Bearer ${admin.key}`)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ name, roles: ['requester'], project_ids: ['*'] }));
    expect([response.status, response.body.error.code]).toEqual([400, 'invalid_value']);
  });

  it('actor=%00 and a date PostgreSQL cannot hold, on the audit trail, are 400', async () => {
    const nul = await api.get(admin.key, '/api/v1/audit/events?actor=%00');
    expect([nul.status, nul.body.error.code]).toEqual([400, 'invalid_value']);
    const yearZero = await api.get(admin.key, '/api/v1/audit/events?from=0000-01-01T00:00:00Z');
    expect(yearZero.status).toBe(400);
  });

  it('two Idempotency-Key headers are 400 invalid_idempotency_key (not merged into "a, b")', async () => {
    const project = uniqueProject();
    const response = await api.http
      .post('/api/v1/execution/run')
      .set('Authorization', `Bearer ${requester.key}`)
      .set('Idempotency-Key', ['a', 'b'] as unknown as string)
      .send({ project_id: project, action: 'deploy' });
    expect([response.status, response.body.error.code]).toEqual([400, 'invalid_idempotency_key']);
    expect((await pool.query(`SELECT 1 FROM execution_runs WHERE project_id = $1`, [project])).rowCount).toBe(0);
  });

  it('charset=utf-16 is 415 like any body that is not UTF-8 JSON; `prototype` is an unknown field like any other', async () => {
    const project = uniqueProject();
    const utf16 = await api.http
      .post('/api/v1/execution/run')
      .set('Authorization', `Bearer ${requester.key}`)
      .set('Content-Type', 'application/json; charset=utf-16')
      .send(JSON.stringify({ project_id: project, idempotency_key: 'k', action: 'deploy' }));
    expect([utf16.status, utf16.body.error.code]).toEqual([415, 'unsupported_media_type']);
    for (const key of ['prototype', 'constructor', 'toString', 'hasOwnProperty']) {
      const response = await api.createRun(requester.key, { project_id: project, idempotency_key: 'k', action: 'deploy', [key]: 1 });
      expect([key, response.status, response.body.error.code]).toEqual([key, 400, 'unknown_field']);
    }
    expect((await pool.query(`SELECT 1 FROM execution_runs WHERE project_id = $1`, [project])).rowCount).toBe(0);
  });

  it('consuming a grant that does not exist is 404 grant_not_found (the gate says nothing first)', async () => {
    const response = await api.http
      .post('/api/v1/grants/GBA-00000000-0000-4000-8000-000000000000/consume')
      .set('Authorization', `Bearer ${requester.key}`);
    expect([response.status, response.body.error.code]).toEqual([404, 'grant_not_found']);
  });

  it('consuming a code that is not one is 400 invalid_auth_code, as the spec says and as on the other grant routes', async () => {
    const response = await api.http.post('/api/v1/grants/zzz/consume').set('Authorization', `Bearer ${requester.key}`);
    expect([response.status, response.body.error.code]).toEqual([400, 'invalid_auth_code']);
  });

  it('a request body trickled in a byte at a time is answered 408 and closed, before anyone is authenticated', async () => {
    if (process.env.API_URL) return; // needs a server of its own with a short request timeout
    const app = await createApiApp({ logger: false, config: loadConfig({ ...process.env, HTTP_REQUEST_TIMEOUT_MS: '1000' }) });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const port = Number(new URL(await app.getUrl()).port);
    try {
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1');
        let received = '';
        let timer: NodeJS.Timeout | undefined;
        socket.on('connect', () => {
          socket.write('POST /api/v1/execution/run HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{');
          timer = setInterval(() => socket.write(' '), 200);
        });
        socket.on('data', (chunk) => (received += chunk.toString()));
        socket.on('close', () => {
          clearInterval(timer);
          resolve(received);
        });
        socket.on('error', (error) => {
          clearInterval(timer);
          reject(error);
        });
      });
      expect(answer).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      await app.close();
    }
  }, 20_000);
});
