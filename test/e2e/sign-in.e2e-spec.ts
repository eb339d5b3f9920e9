import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, JWK, KeyLike, SignJWT } from 'jose';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { loadConfig } from '@lib/config';
import { createApiApp } from '../../apps/api/src/bootstrap';
import { uniqueProject, useTestApi } from '../support/api-client';

const AUDIENCE = 'control-plane-e2e';

interface SigningKey {
  readonly kid: string;
  readonly privateKey: KeyLike;
  readonly jwk: JWK;
}

async function signingKey(): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const kid = randomUUID();
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

/**
 * Sign-in from the organisation's identity provider: a real issuer started by the test (its
 * discovery document and its key set over HTTP), tokens signed with its keys, and an API
 * configured to accept them. Each refusal is a 401 with its own code, audited.
 */
describe('sign-in with access tokens from the identity provider', () => {
  const { api, pool } = useTestApi();
  let issuerServer: Server;
  let issuer: string;
  let published: SigningKey[] = [];
  let issuerUp = true;
  let app: NestFastifyApplication;
  let dir: string;
  let current: SigningKey;

  const token = async (
    claims: Record<string, unknown>,
    options: { key?: SigningKey; iss?: string; aud?: string; exp?: string | number } = {},
  ) => {
    const key = options.key ?? current;
    return new SignJWT({ groups: ['control-plane-approvers'], name: 'Alice Approver', ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: key.kid })
      .setIssuer(options.iss ?? issuer)
      .setAudience(options.aud ?? AUDIENCE)
      .setSubject((claims.sub as string | undefined) ?? 'alice')
      .setJti(randomUUID())
      .setIssuedAt()
      .setExpirationTime(options.exp ?? '5m')
      .sign(key.privateKey);
  };
  const as = (bearer: string) => ({ Authorization: `Bearer ${bearer}` });
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    current = await signingKey();
    published = [current];
    issuerServer = createServer((req, res) => {
      if (!issuerUp) {
        res.writeHead(503).end();
        return;
      }
      if (req.url === '/.well-known/openid-configuration') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks` }));
      } else if (req.url === '/jwks') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: published.map((key) => key.jwk) }));
      } else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => issuerServer.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(issuerServer.address() as AddressInfo).port}`;
    dir = mkdtempSync(join(tmpdir(), 'oidc-rules-'));
    const rulesFile = join(dir, 'rules.json');
    writeFileSync(
      rulesFile,
      JSON.stringify({
        rules: [
          { claim: 'groups', value: 'control-plane-approvers', roles: ['approver'], project_ids: ['*'] },
          { claim: 'groups', value: 'payments-team', roles: ['requester'], project_ids: ['*'] },
        ],
      }),
    );
    const config = loadConfig({ ...process.env, OIDC_ISSUER: issuer, OIDC_AUDIENCE: AUDIENCE, OIDC_RULES_FILE: rulesFile });
    app = await createApiApp({ logger: false, config });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });
  afterAll(async () => {
    await app?.close();
    await new Promise((resolve) => issuerServer?.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('a valid token signs a person in: the principal is made the first time (audited), with the roles the rules give its claims', async () => {
    const subject = `alice-${randomUUID().slice(0, 8)}`;
    const me = await http()
      .get('/api/v1/principals/me')
      .set(as(await token({ sub: subject })));
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ kind: 'person', name: 'Alice Approver', roles: ['approver'], project_ids: ['*'] });
    expect(me.body.credential).toMatch(/^oidc:/);
    const again = await http()
      .get('/api/v1/principals/me')
      .set(as(await token({ sub: subject })));
    expect(again.body.id).toBe(me.body.id);
    const { rows } = await pool.query(
      `SELECT actor, data FROM audit_events WHERE event_type = 'principal.first_seen' AND data->>'subject' = $1`,
      [subject],
    );
    expect(rows).toEqual([{ actor: me.body.id, data: expect.objectContaining({ issuer, subject, role_grants: ['approver@*'] }) }]);
  });

  it.each([
    ['the wrong audience', () => token({}, { aud: 'someone-else' }), 'token_wrong_audience'],
    ['an expired token', () => token({}, { exp: Math.floor(Date.now() / 1000) - 120 }), 'token_expired'],
    ['the wrong issuer', () => token({}, { iss: 'https://login.elsewhere.example' }), 'token_wrong_issuer'],
    ['a key the issuer does not publish', async () => token({}, { key: await signingKey() }), 'token_unknown_signing_key'],
    ['a token whose signature was tampered with', async () => `${(await token({})).slice(0, -4)}AAAA`, 'token_invalid'],
  ])('%s is a 401 with its own code, audited without the token', async (_label, make, code) => {
    const bearer = await make();
    const response = await http().get('/api/v1/principals/me').set(as(bearer));
    expect([response.status, response.body.error.code]).toEqual([401, code]);
    const { rows } = await pool.query(`SELECT data FROM audit_events WHERE event_type = 'auth.sign_in_failed' AND request_id = $1`, [
      response.headers['x-request-id'],
    ]);
    expect(rows).toEqual([{ data: { method: 'oidc', reason: code } }]);
    const { rows: leaked } = await pool.query(`SELECT count(*)::int AS n FROM audit_events WHERE data::text LIKE $1`, [
      `%${bearer.slice(-40)}%`,
    ]);
    expect(leaked[0].n).toBe(0);
  });

  it.each([
    ['an opaque access token', () => Promise.resolve(`opaque-${randomUUID()}${randomUUID()}`)],
    ['an encrypted token (JWE, five parts)', async () => `${await token({})}.${'A'.repeat(22)}.${'B'.repeat(22)}`],
    ['a JWT in padded base64', async () => (await token({})).replace(/\./g, '=.')],
  ])('%s is 401 token_invalid saying it is neither a key nor a JWT, audited as a sign-in without the token', async (_label, make) => {
    const bearer = await make();
    const response = await http().get('/api/v1/principals/me').set(as(bearer));
    expect([response.status, response.body.error.code]).toEqual([401, 'token_invalid']);
    expect(response.body.error.message).toMatch(/neither a known API key .* nor an access token in JWT form/);
    expect(JSON.stringify(response.body)).not.toContain(bearer.slice(-20));
    const { rows } = await pool.query(`SELECT data FROM audit_events WHERE event_type = 'auth.sign_in_failed' AND request_id = $1`, [
      response.headers['x-request-id'],
    ]);
    expect(rows).toEqual([{ data: { method: 'oidc', reason: 'token_invalid' } }]);
  });

  it('beside sign-in, an unknown cpk_ key is still an unknown API key, and a known key of any form still works', async () => {
    const unknown = await http()
      .get('/api/v1/principals/me')
      .set(as(`cpk_${randomUUID()}`));
    expect([unknown.status, unknown.body.error.code, unknown.body.error.message]).toEqual([401, 'unauthenticated', 'unknown API key']);
    // The bootstrap admin key is not in a minted key's form.
    expect(api.adminKey.startsWith('cpk_')).toBe(false);
    expect((await http().get('/api/v1/principals/me').set(as(api.adminKey))).status).toBe(200);
  });

  it('a key rotated at the issuer is picked up: a token signed with the new key is accepted', async () => {
    expect(
      (
        await http()
          .get('/api/v1/principals/me')
          .set(as(await token({})))
      ).status,
    ).toBe(200);
    const rotated = await signingKey();
    published = [rotated];
    current = rotated;
    // The key set is fetched again at most once a second when a token names a key not seen yet.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(
      (
        await http()
          .get('/api/v1/principals/me')
          .set(as(await token({})))
      ).status,
    ).toBe(200);
  });

  it('an identity provider that is down is a 503 with Retry-After, never a 401', async () => {
    const unseen = await signingKey();
    issuerUp = false;
    try {
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const response = await http()
        .get('/api/v1/principals/me')
        .set(as(await token({}, { key: unseen })));
      expect([response.status, response.body.error.code, response.headers['retry-after']]).toEqual([
        503,
        'identity_provider_unavailable',
        '2',
      ]);
      // Said to a caller not yet signed in: nothing of the network (an address, a port, a status).
      expect(response.body.error.details).toBeUndefined();
      expect(JSON.stringify(response.body)).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|answered/);
    } finally {
      issuerUp = true;
    }
  });

  it('separation of duties holds per person: a key minted for the signed-in person cannot approve what the person requested', async () => {
    const subject = `bob-${randomUUID().slice(0, 8)}`;
    const bob = await token({ sub: subject, name: 'Bob', groups: ['control-plane-approvers', 'payments-team'] });
    const me = (await http().get('/api/v1/principals/me').set(as(bob))).body as { id: string; roles: string[] };
    expect(me.roles).toEqual(['approver', 'requester']);
    const created = await http()
      .post('/api/v1/execution/run')
      .set(as(bob))
      .send({ project_id: uniqueProject(), idempotency_key: 'k', action: 'service.restart', targets: ['svc-1'] });
    expect(created.status).toBe(201);
    expect(created.body.requested_by).toBe(me.id);
    const key = await api.http
      .post('/api/v1/api-keys')
      .set('Authorization', `Bearer ${api.adminKey}`)
      .send({ name: 'bob-cli', principal_id: me.id });
    expect(key.status).toBe(201);
    const vote = await http()
      .post(`/approvals/${created.body.execution_id}/approve`)
      .set(as(key.body.key))
      .send({ plan_hash: created.body.plan_hash });
    expect([vote.status, vote.body.error.code]).toEqual([403, 'self_approval_forbidden']);
  });
});
