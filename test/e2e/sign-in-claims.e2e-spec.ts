import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { useTestApi } from '../support/api-client';
import { OidcIssuer, signingKey } from '../support/oidc-issuer';

/**
 * Whatever a correctly signed token carries, the answer is a 401 with its own code or a sign-in
 * with the claim made storable, never a 500; a broken issuer is a 503; a token from the future,
 * or one that claims to live too long, is refused.
 */
describe('sign-in with tokens whose claims are unusual', () => {
  const { pool } = useTestApi();
  let issuer: OidcIssuer;
  let oidc: { app: NestFastifyApplication; close: () => Promise<void> };
  const me = async (claims: Record<string, unknown>, options: Parameters<OidcIssuer['token']>[1] = {}) =>
    request(oidc.app.getHttpServer())
      .get('/api/v1/principals/me')
      .set('Authorization', `Bearer ${await issuer.token({ groups: ['claims-approvers'], ...claims }, options)}`);

  beforeAll(async () => {
    issuer = await OidcIssuer.start();
    oidc = await issuer.api([{ claim: 'groups', value: 'claims-approvers', roles: ['approver'], project_ids: ['*'] }], {
      OIDC_MAX_TOKEN_LIFETIME_S: '3600',
    });
  });
  afterAll(async () => {
    await oidc?.close();
    await issuer?.close();
  });

  it.each([
    ['a numeric sub', { sub: 12345 }, 'sub'],
    ['an empty sub', { sub: '' }, 'sub'],
    ['a sub of 5,000 characters', { sub: 'x'.repeat(5000) }, 'sub'],
    ['a sub with NUL', { sub: 'a\u0000b' }, 'sub'],
    ['a sub with a lone surrogate', { sub: 'a\ud800b' }, 'sub'],
    ['a jti with NUL', { jti: 'j\u0000' }, 'jti'],
    ['a numeric jti', { jti: 7 }, 'jti'],
  ])('%s is 401 token_claim_invalid naming the claim, and writes no principal', async (_what, claims, claim) => {
    // This file's issuer is its own, and its tests run one at a time: its count of people is this test's to read.
    const people = async () =>
      (await pool.query(`SELECT count(*)::int AS n FROM principals WHERE issuer = $1`, [issuer.url])).rows[0].n as number;
    const before = await people();
    const response = await me({ groups: ['claims-approvers'], ...claims });
    expect([response.status, response.body.error?.code, response.body.error?.details]).toEqual([401, 'token_claim_invalid', { claim }]);
    expect(await people()).toBe(before);
  });

  it.each([
    ['NUL', 'Ali\u0000ce', 'Ali ce'],
    ['a lone surrogate', 'Ali\ud800ce', 'Ali\ufffdce'],
    ['only spaces and controls', ' \u0007 ', null],
    ['1,000 characters', 'n'.repeat(1000), 'n'.repeat(200)],
  ])('a name with %s signs in, the name made storable', async (_what, name, stored) => {
    const sub = `claims-${randomUUID()}`;
    const response = await me({ sub, name, groups: ['claims-approvers'] });
    expect(response.status).toBe(200);
    expect(response.body.name).toBe(stored ?? sub);
  });

  it('a token issued in the future (beyond a minute of skew) is refused; one a few seconds ahead is not', async () => {
    const now = Math.floor(Date.now() / 1000);
    const ahead = await me({ sub: `f-${randomUUID()}` }, { iat: now + 3600, exp: now + 3900 });
    expect([ahead.status, ahead.body.error?.code, ahead.body.error?.details]).toEqual([401, 'token_claim_invalid', { claim: 'iat' }]);
    expect((await me({ sub: `f-${randomUUID()}` }, { iat: now + 5, exp: now + 300 })).status).toBe(200);
  });

  it('a token that claims a lifetime beyond OIDC_MAX_TOKEN_LIFETIME_S is refused, with or without iat', async () => {
    const now = Math.floor(Date.now() / 1000);
    const long = await me({ sub: `l-${randomUUID()}` }, { iat: now, exp: now + 30 * 86_400 });
    expect([long.status, long.body.error?.details]).toEqual([401, { claim: 'exp' }]);
    const noIat = await me({ sub: `l-${randomUUID()}` }, { iat: null, exp: now + 7200 });
    expect([noIat.status, noIat.body.error?.details]).toEqual([401, { claim: 'exp' }]);
    expect((await me({ sub: `l-${randomUUID()}` }, { iat: now, exp: now + 3000 })).status).toBe(200);
  });

  it('an issuer whose key set is not JSON is unavailable (503 with Retry-After), not a bad token', async () => {
    const unseen = await signingKey();
    issuer.mode = 'not-json';
    try {
      await new Promise((resolve) => setTimeout(resolve, 1100)); // past the key set's refetch cooldown
      const response = await me({ sub: `j-${randomUUID()}` }, { key: unseen });
      expect([response.status, response.body.error?.code, response.headers['retry-after']]).toEqual([
        503,
        'identity_provider_unavailable',
        '2',
      ]);
    } finally {
      issuer.mode = 'up';
    }
  });
});
