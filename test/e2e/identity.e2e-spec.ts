import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { loadConfig } from '@lib/config';
import { createApiApp } from '../../apps/api/src/bootstrap';
import { uniqueProject, useTestApi } from '../support/api-client';

type Minted = { id: string; key: string; principal_id: string };

/**
 * Identity per principal, not per key: an admin's second key is the admin, a revoked key is
 * refused at the next request on any instance, keys expire, and every key event is audited
 * without the key.
 */
describe('principals and their API keys', () => {
  const { api, pool } = useTestApi();
  let admin: Minted;
  let requester: Minted;
  let approver: Minted;

  const mint = async (key: string, body: Record<string, unknown>) =>
    api.http
      .post('/api/v1/api-keys')
      .set('Authorization', `Bearer ${key}`)
      .send({ name: `k-${randomUUID().slice(0, 6)}`, ...body });
  const minted = async (key: string, body: Record<string, unknown>): Promise<Minted> => {
    const response = await mint(key, body);
    expect(response.status).toBe(201);
    return response.body as Minted;
  };
  const revoke = (key: string, id: string, reason = 'rotated') =>
    api.http.post(`/api/v1/api-keys/${id}/revoke`).set('Authorization', `Bearer ${key}`).send({ reason });
  const createRun = async (key: string) => {
    const response = await api.createRun(key, {
      project_id: uniqueProject(),
      idempotency_key: 'k',
      action: 'service.restart',
      targets: ['svc-1'],
    });
    expect(response.status).toBe(201);
    return response.body as { execution_id: string; requested_by: string; requested_via: string };
  };

  beforeAll(async () => {
    admin = await minted(api.adminKey, { roles: ['admin'], project_ids: ['*'] });
    requester = await minted(api.adminKey, { roles: ['requester'], project_ids: ['*'] });
    approver = await minted(api.adminKey, { roles: ['approver'], project_ids: ['*'], service_approver: true });
  });

  it("an admin's second key is the admin: it cannot approve the run the admin requested with the first", async () => {
    const second = await minted(admin.key, { principal_id: admin.principal_id });
    expect(second.principal_id).toBe(admin.principal_id);
    expect(second.id).not.toBe(admin.id);
    const run = await createRun(admin.key);
    expect([run.requested_by, run.requested_via]).toEqual([admin.principal_id, `api_key:${admin.id}`]);
    const vote = await api.decide(second.key, run.execution_id, 'approve');
    expect([vote.status, vote.body.error?.code]).toEqual([403, 'self_approval_forbidden']);
    // Another principal may, and the vote names it and the key it used.
    const approved = await api.decide(approver.key, run.execution_id, 'approve');
    expect(approved.status).toBe(200);
    expect(approved.body.approval.votes).toEqual([
      expect.objectContaining({ principal_id: approver.principal_id, credential: `api_key:${approver.id}`, decision: 'approve' }),
    ]);
  });

  it('a key of a principal holds no more than the principal, and no more than the minter', async () => {
    const narrow = await mint(admin.key, { principal_id: requester.principal_id, roles: ['approver'] });
    expect([narrow.status, narrow.body.error.code]).toEqual([403, 'forbidden']);
    const scoped = await minted(api.adminKey, { roles: ['admin'], project_ids: ['payments'] });
    const wider = await mint(scoped.key, { roles: ['requester'], project_ids: ['*'] });
    expect([wider.status, wider.body.error.code]).toEqual([403, 'forbidden']);
    const unknown = await mint(admin.key, { principal_id: randomUUID() });
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'principal_not_found']);
    const incomplete = await mint(admin.key, { roles: ['requester'] });
    expect([incomplete.status, incomplete.body.error.code]).toEqual([400, 'missing_field']);
  });

  it('keys are listed without their secret; a scoped admin sees only keys within its scope', async () => {
    const list = await api.get(admin.key, `/api/v1/api-keys?principal_id=${requester.principal_id}`);
    expect(list.status).toBe(200);
    expect(list.body.keys).toEqual([
      expect.objectContaining({ id: requester.id, principal_id: requester.principal_id, roles: ['requester'] }),
    ]);
    expect(JSON.stringify(list.body)).not.toContain(requester.key);
    expect(list.body.keys[0]).not.toHaveProperty('key');
    expect(list.body.keys[0]).not.toHaveProperty('key_hash');
    const project = uniqueProject();
    const scoped = await minted(api.adminKey, { roles: ['admin'], project_ids: [project] });
    const own = await minted(scoped.key, { roles: ['requester'], project_ids: [project] });
    const seen = (await api.get(scoped.key, '/api/v1/api-keys?limit=500')).body.keys.map((key: { id: string }) => key.id);
    expect(seen).toContain(own.id);
    expect(seen).not.toContain(requester.id);
    // Anyone else lists its own keys, and no one else's.
    const mine = (await api.get(requester.key, '/api/v1/api-keys')).body.keys.map((key: { principal_id: string }) => key.principal_id);
    expect(new Set(mine)).toEqual(new Set([requester.principal_id]));
    expect((await api.get(requester.key, `/api/v1/api-keys?principal_id=${admin.principal_id}`)).status).toBe(403);
  });

  it('a revoked key is refused at the very next request, on another API instance too; the revocation is audited with its reason, never the key', async () => {
    const victim = await minted(api.adminKey, { roles: ['requester'], project_ids: ['*'] });
    expect((await api.get(victim.key, '/api/v1/principals/me')).status).toBe(200);
    // A second instance that has already served the key.
    const other: NestFastifyApplication = await createApiApp({ logger: false, config: loadConfig(process.env) });
    await other.init();
    await other.getHttpAdapter().getInstance().ready();
    try {
      const viaOther = () => request(other.getHttpServer()).get('/api/v1/principals/me').set('Authorization', `Bearer ${victim.key}`);
      expect((await viaOther()).status).toBe(200);
      const revoked = await revoke(admin.key, victim.id, 'left the team');
      expect(revoked.status).toBe(200);
      expect(revoked.body).toMatchObject({ id: victim.id, revoked_by: admin.principal_id, revoked_reason: 'left the team' });
      const refused = await viaOther();
      expect([refused.status, refused.body.error.code]).toEqual([401, 'api_key_revoked']);
      const again = await revoke(admin.key, victim.id);
      expect([again.status, again.body.error.code]).toEqual([409, 'api_key_already_revoked']);
    } finally {
      await other.close();
    }
    const { rows } = await pool.query(
      `SELECT event_type, data FROM audit_events WHERE event_type IN ('api_key.revoked', 'auth.sign_in_failed') AND data->>'api_key_id' = $1 ORDER BY id`,
      [victim.id],
    );
    expect(rows).toEqual([
      { event_type: 'api_key.revoked', data: { api_key_id: victim.id, principal_id: victim.principal_id, reason: 'left the team' } },
      { event_type: 'auth.sign_in_failed', data: { method: 'api_key', reason: 'api_key_revoked', api_key_id: victim.id } },
    ]);
    const { rows: leaked } = await pool.query(`SELECT count(*)::int AS n FROM audit_events WHERE data::text LIKE $1`, [`%${victim.key}%`]);
    expect(leaked[0].n).toBe(0);
  });

  it('anyone may revoke its own keys; another principal’s key answers like an unknown one', async () => {
    const mine = await minted(admin.key, { principal_id: requester.principal_id });
    const others = await revoke(requester.key, approver.id);
    expect([others.status, others.body.error.code]).toEqual([404, 'api_key_not_found']);
    expect((await revoke(requester.key, mine.id, 'not needed')).status).toBe(200);
    expect((await api.get(mine.key, '/api/v1/principals/me')).status).toBe(401);
    expect((await revoke(admin.key, randomUUID())).status).toBe(404);
    expect((await revoke(admin.key, 'not-a-uuid')).status).toBe(404);
  });

  it('a key with an expiry works until then and is refused after it (401 api_key_expired); an expiry in the past is refused at minting', async () => {
    const past = await mint(admin.key, { roles: ['requester'], project_ids: ['*'], expires_at: '2020-01-01T00:00:00Z' });
    expect([past.status, past.body.error.code]).toEqual([400, 'invalid_value']);
    const soon = await minted(admin.key, {
      roles: ['requester'],
      project_ids: ['*'],
      expires_at: new Date(Date.now() + 1500).toISOString(),
    });
    expect((await api.get(soon.key, '/api/v1/principals/me')).status).toBe(200);
    await pool.query(`SELECT pg_sleep(1.6)`);
    const expired = await api.get(soon.key, '/api/v1/principals/me');
    expect([expired.status, expired.body.error.code]).toEqual([401, 'api_key_expired']);
  });

  it('who am I: the principal, its roles and scopes as the key allows them, and the credential', async () => {
    const me = await api.get(requester.key, '/api/v1/principals/me');
    expect(me.body).toEqual({
      id: requester.principal_id,
      kind: 'service',
      acts_for: null,
      name: expect.any(String),
      role_grants: [{ role: 'requester', project_id: '*' }],
      roles: ['requester'],
      project_ids: ['*'],
      credential: `api_key:${requester.id}`,
    });
    // Written beside the request, never holding it up: looked for until it is there.
    let lastUsed: string | null = null;
    for (let tries = 0; tries < 50 && lastUsed === null; tries++) {
      const keys = (await api.get(admin.key, `/api/v1/api-keys?principal_id=${requester.principal_id}`)).body.keys as Array<{
        id: string;
        last_used_at: string | null;
      }>;
      lastUsed = keys.find((key) => key.id === requester.id)?.last_used_at ?? null;
      if (lastUsed === null) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(lastUsed).not.toBeNull();
  });

  it('a name another principal holds is 409 principal_name_taken naming it, and makes nothing; its key is minted with principal_id', async () => {
    const name = `deploy-bot-${randomUUID().slice(0, 8)}`;
    const project = uniqueProject();
    const first = await minted(api.adminKey, { name, roles: ['requester'], project_ids: [project] });
    const counts = async () =>
      (
        await pool.query(
          `SELECT (SELECT count(*)::int FROM principals WHERE name = $1) AS principals,
                  (SELECT count(*)::int FROM api_keys WHERE name = $1) AS keys,
                  (SELECT count(*)::int FROM audit_events WHERE data ->> 'name' = $1) AS events`,
          [name],
        )
      ).rows[0];
    const before = await counts();
    expect(before).toEqual({ principals: 1, keys: 1, events: 2 });
    for (const body of [
      { name, roles: ['requester'], project_ids: [project] },
      { name, roles: ['approver'], project_ids: [uniqueProject()] },
      { name, kind: 'agent', roles: ['requester'], project_ids: [project] },
    ]) {
      const again = await mint(api.adminKey, body);
      expect(again.status).toBe(409);
      expect(again.body.error).toMatchObject({ code: 'principal_name_taken', details: { name, principal_id: first.principal_id } });
      expect(again.body.error.message).toContain('principal_id');
    }
    expect(await counts()).toEqual(before);
    // What the answer points to: another key of the same principal (rotation), under the same name.
    const second = await minted(api.adminKey, { name, principal_id: first.principal_id });
    expect(second.principal_id).toBe(first.principal_id);
    expect(await counts()).toMatchObject({ principals: 1, keys: 2 });
  });

  it('names that look alike are one name: another case is 409; a space at an end, an invisible character or another Unicode form is 400', async () => {
    const name = `deploy-bot-${randomUUID().slice(0, 8)}`;
    const project = uniqueProject();
    const first = await minted(api.adminKey, { name, roles: ['requester'], project_ids: [project] });
    const upper = await mint(api.adminKey, { name: name.toUpperCase(), roles: ['requester'], project_ids: [project] });
    expect([upper.status, upper.body.error.code, upper.body.error.details.principal_id]).toEqual([
      409,
      'principal_name_taken',
      first.principal_id,
    ]);
    for (const lookalike of [`${name} `, ` ${name}`, '   ', name.replace('-', '\u200b-'), `${name}\u202e`, 'cafe\u0301']) {
      const refused = await mint(api.adminKey, { name: lookalike, roles: ['requester'], project_ids: [project] });
      expect([JSON.stringify(lookalike), refused.status, refused.body.error?.code]).toEqual([
        JSON.stringify(lookalike),
        400,
        'invalid_value',
      ]);
      expect(refused.body.error.message).toMatch(/name must be a readable name/);
    }
    // The same name in NFC is a name like any other.
    expect(
      (await mint(api.adminKey, { name: `caf\u00e9-${randomUUID().slice(0, 8)}`, roles: ['requester'], project_ids: [project] })).status,
    ).toBe(201);
    const made = await pool.query(`SELECT count(*)::int AS n FROM principals WHERE lower(name) = lower($1)`, [name]);
    expect(made.rows[0].n).toBe(1);
  });

  it('racing mints of one new name make one principal; the others are 409 naming it', async () => {
    const name = `racer-${randomUUID().slice(0, 8)}`;
    const project = uniqueProject();
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => mint(api.adminKey, { name, roles: ['requester'], project_ids: [project] })),
    );
    const won = answers.filter((answer) => answer.status === 201);
    expect(won).toHaveLength(1);
    const lost = answers.filter((answer) => answer.status !== 201);
    expect(lost.map((answer) => [answer.status, answer.body.error.code, answer.body.error.details.principal_id])).toEqual(
      lost.map(() => [409, 'principal_name_taken', won[0].body.principal_id]),
    );
    const made = await pool.query(`SELECT id FROM principals WHERE name = $1`, [name]);
    expect(made.rows.map((row) => row.id)).toEqual([won[0].body.principal_id]);
  });

  it("an admin outside the holder's scope learns that the name is taken, not which principal holds it", async () => {
    const name = `hidden-${randomUUID().slice(0, 8)}`;
    await minted(api.adminKey, { name, roles: ['requester'], project_ids: [uniqueProject()] });
    const mine = uniqueProject();
    const scopedAdmin = await minted(api.adminKey, { roles: ['admin'], project_ids: [mine] });
    const taken = await mint(scopedAdmin.key, { name, roles: ['requester'], project_ids: [mine] });
    expect([taken.status, taken.body.error.code, taken.body.error.details]).toEqual([409, 'principal_name_taken', { name }]);
  });

  it('a run records the principal that requested it and the key it used', async () => {
    const second = await minted(admin.key, { principal_id: requester.principal_id });
    const run = await createRun(second.key);
    expect(run.requested_via).toBe(`api_key:${second.id}`);
    const { rows } = await pool.query(`SELECT requested_by, requested_via FROM execution_runs WHERE id = $1`, [run.execution_id]);
    expect(rows[0]).toEqual({ requested_by: requester.principal_id, requested_via: `api_key:${second.id}` });
  });
});
