import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { uniqueProject, useTestApi } from '../support/api-client';
import { OidcIssuer } from '../support/oidc-issuer';

type Minted = { id: string; key: string; principal_id: string };

/**
 * Separation of duties as a hostile project admin would try it: a key acts only as the
 * principal it was minted for, and only that principal or an admin covering all of it mints one;
 * votes count only from people (or services an admin of every project marked), never from the
 * requester, its maker or what it made; a role on one project is not a role on another.
 * People sign in through a real issuer the test starts.
 */
describe('separation of duties inside one project', () => {
  const { api, pool } = useTestApi();
  let issuer: OidcIssuer;
  let oidc: { app: NestFastifyApplication; close: () => Promise<void> };
  const projectA = uniqueProject('oi-a');
  const projectB = uniqueProject('oi-b');
  let bootstrapId: string;
  let projectAdmin: Minted;

  const as = (credential: string) => ({ Authorization: `Bearer ${credential}` });
  const mint = (credential: string, body: Record<string, unknown>) =>
    api.http
      .post('/api/v1/api-keys')
      .set(as(credential))
      .send({ name: `k-${randomUUID().slice(0, 6)}`, ...body });
  const minted = async (credential: string, body: Record<string, unknown>): Promise<Minted> => {
    const response = await mint(credential, body);
    expect(response.status).toBe(201);
    return response.body as Minted;
  };
  /** Through the API that accepts the issuer's tokens (keys work there too). */
  const viaOidc = () => request(oidc.app.getHttpServer());
  const signIn = async (claims: Record<string, unknown>) => {
    const token = await issuer.token(claims);
    const me = await viaOidc().get('/api/v1/principals/me').set(as(token));
    expect(me.status).toBe(200);
    return { token, id: me.body.id as string, me: me.body };
  };
  const createRun = async (credential: string, project: string, action = 'deploy.production', targets = ['prod-db-1']) => {
    const response = await viaOidc()
      .post('/api/v1/execution/run')
      .set(as(credential))
      .send({ project_id: project, idempotency_key: randomUUID(), action, targets });
    return response;
  };
  const approve = (credential: string, run: { execution_id: string; plan_hash: string }) =>
    viaOidc().post(`/approvals/${run.execution_id}/approve`).set(as(credential)).send({ plan_hash: run.plan_hash, reason: 'looks right' });
  const runStatus = async (id: string) =>
    (await pool.query(`SELECT status FROM execution_runs WHERE id = $1`, [id])).rows[0].status as string;
  const votesOn = async (id: string) =>
    (await pool.query(`SELECT count(*)::int AS n FROM approval_decisions WHERE execution_run_id = $1`, [id])).rows[0].n as number;

  beforeAll(async () => {
    issuer = await OidcIssuer.start();
    oidc = await issuer.api([
      { claim: 'groups', value: 'sod-admins', roles: ['admin'], project_ids: ['*'] },
      { claim: 'groups', value: 'oi-a-admins', roles: ['admin'], project_ids: [projectA] },
      { claim: 'groups', value: 'sod-approvers', roles: ['approver'], project_ids: ['*'] },
      { claim: 'groups', value: 'oi-team', roles: ['requester'], project_ids: [projectA] },
      { claim: 'groups', value: 'oi-b-approvers', roles: ['approver'], project_ids: [projectB] },
    ]);
    bootstrapId = (await api.get(api.adminKey, '/api/v1/principals/me')).body.id as string;
    projectAdmin = await minted(api.adminKey, { roles: ['admin'], project_ids: [projectA] });
  });
  afterAll(async () => {
    await oidc?.close();
    await issuer?.close();
  });

  describe('1. a key acts only as the principal it was minted for', () => {
    it('a project admin cannot mint a key of the bootstrap admin, nor of a person scoped to every project: answered as if they did not exist', async () => {
      const carol = await signIn({ sub: `carol-${randomUUID()}`, name: 'Carol', groups: ['sod-approvers'] });
      for (const principalId of [bootstrapId, carol.id]) {
        const response = await mint(projectAdmin.key, { principal_id: principalId });
        expect([response.status, response.body.error?.code]).toEqual([404, 'principal_not_found']);
      }
      const { rows } = await pool.query(`SELECT count(*)::int AS n FROM api_keys WHERE principal_id = ANY($1::uuid[])`, [[carol.id]]);
      expect(rows[0].n).toBe(0);
    });

    it("the attack as reported: the project admin's level-3 run cannot be approved by keys it minted for approver people", async () => {
      const people = await Promise.all(
        ['dave', 'erin'].map((name) => signIn({ sub: `${name}-${randomUUID()}`, name, groups: ['sod-approvers', 'oi-team'] })),
      );
      const run = (await createRun(projectAdmin.key, projectA)).body as { execution_id: string; plan_hash: string };
      for (const person of people) {
        const response = await mint(projectAdmin.key, { principal_id: person.id });
        // The person holds a role in the admin's project (so it is visible) but also on every project: only an admin of every project covers it.
        expect([response.status, response.body.error?.code]).toEqual([403, 'forbidden']);
      }
      expect(await votesOn(run.execution_id)).toBe(0);
      expect(await runStatus(run.execution_id)).toBe('BLOCKED');
    });

    it('an admin whose grants cover the principal mints it a key; a person of one project still needs an admin of every project', async () => {
      const service = await minted(projectAdmin.key, { roles: ['requester'], project_ids: [projectA] });
      const second = await minted(projectAdmin.key, { principal_id: service.principal_id });
      expect(second.principal_id).toBe(service.principal_id);
      const frank = await signIn({ sub: `frank-${randomUUID()}`, name: 'Frank', groups: ['oi-team'] });
      const refused = await mint(projectAdmin.key, { principal_id: frank.id });
      expect([refused.status, refused.body.error?.code]).toEqual([403, 'forbidden']);
      expect((await mint(api.adminKey, { principal_id: frank.id })).status).toBe(201);
    });

    it('a principal mints its own keys: never wider, nor longer-lived, than the key that mints them; each records who minted it, audited', async () => {
      const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
      const own = await minted(api.adminKey, { roles: ['requester', 'approver'], project_ids: [projectA], expires_at: expiresAt });
      const narrower = await mint(own.key, { principal_id: own.principal_id, roles: ['requester'] });
      expect(narrower.status).toBe(201);
      expect(narrower.body).toMatchObject({
        principal_id: own.principal_id,
        role_grants: [{ role: 'requester', project_id: projectA }],
        created_by: own.principal_id,
        expires_at: expiresAt,
      });
      const wider = await mint(narrower.body.key, { principal_id: own.principal_id, roles: ['approver'] });
      expect([wider.status, wider.body.error?.code]).toEqual([403, 'forbidden']);
      const longer = await mint(own.key, { principal_id: own.principal_id, expires_at: new Date(Date.now() + 7_200_000).toISOString() });
      expect([longer.status, longer.body.error?.code]).toEqual([400, 'invalid_value']);
      const requesterOnly = await minted(api.adminKey, { roles: ['requester'], project_ids: [projectA] });
      const newPrincipal = await mint(requesterOnly.key, { roles: ['requester'], project_ids: [projectA] });
      expect([newPrincipal.status, newPrincipal.body.error?.code]).toEqual([403, 'forbidden']);
      const { rows } = await pool.query(
        `SELECT actor, data FROM audit_events WHERE event_type = 'api_key.created' AND data->>'api_key_id' = $1`,
        [narrower.body.id],
      );
      expect(rows).toEqual([
        {
          actor: own.principal_id,
          data: expect.objectContaining({ minted_by: own.principal_id, minted_as: 'self', role_grants: [`requester@${projectA}`] }),
        },
      ]);
    });
  });

  describe('1. (hostile review) lifetimes and shapes', () => {
    it('a key lives no longer than the key that mints it, whoever it is for', async () => {
      const soon = new Date(Date.now() + 3_600_000).toISOString();
      const admin = await minted(api.adminKey, { roles: ['admin'], project_ids: [projectA], expires_at: soon });
      const child = await minted(admin.key, { roles: ['admin'], project_ids: [projectA] });
      expect(child).toMatchObject({ expires_at: soon });
      const longer = await mint(admin.key, { roles: ['requester'], project_ids: [projectA], expires_at: '2031-01-01T00:00:00Z' });
      expect([longer.status, longer.body.error?.code]).toEqual([400, 'invalid_value']);
    });

    it('role_grants items must be objects, principal_id may not be null: 400, nothing written', async () => {
      for (const body of [
        { role_grants: [[]] },
        { role_grants: [{ role: 'requester', project_id: projectA }, []] },
        { principal_id: null },
      ]) {
        const response = await mint(projectAdmin.key, body);
        expect(response.status).toBe(400);
      }
    });

    it('revoking a key revokes the keys of its principal minted with it (a leaked key leaves no copy behind), not those of others', async () => {
      const holder = await minted(api.adminKey, { roles: ['admin', 'requester'], project_ids: [projectA] });
      const copy = await minted(holder.key, { principal_id: holder.principal_id });
      const copyOfCopy = await minted(copy.key, { principal_id: holder.principal_id });
      const other = await minted(holder.key, { roles: ['requester'], project_ids: [projectA] });
      const revoked = await api.http.post(`/api/v1/api-keys/${holder.id}/revoke`).set(as(api.adminKey)).send({ reason: 'leaked' });
      expect(revoked.status).toBe(200);
      for (const key of [holder, copy, copyOfCopy]) {
        const refused = await api.get(key.key, '/api/v1/principals/me');
        expect([refused.status, refused.body.error?.code]).toEqual([401, 'api_key_revoked']);
      }
      expect((await api.get(other.key, '/api/v1/principals/me')).status).toBe(200);
      const { rows } = await pool.query(`SELECT data FROM audit_events WHERE event_type = 'api_key.revoked' AND data->>'api_key_id' = $1`, [
        holder.id,
      ]);
      expect(rows[0].data.also_revoked).toEqual([copy.id, copyOfCopy.id].sort());
    });

    it("an admin of one project revokes no key of the bootstrap admin's, even one narrowed to its project (404)", async () => {
      const narrowed = await minted(api.adminKey, { principal_id: bootstrapId, roles: ['admin'], project_ids: [projectA] });
      const response = await api.http.post(`/api/v1/api-keys/${narrowed.id}/revoke`).set(as(projectAdmin.key)).send({ reason: 'coup' });
      expect([response.status, response.body.error?.code]).toEqual([404, 'api_key_not_found']);
      expect((await api.get(narrowed.key, '/api/v1/principals/me')).status).toBe(200);
    });
  });

  describe('2. approvals are decisions of people', () => {
    it('a requester cannot assemble its own quorum from service principals it mints', async () => {
      const run = (await createRun(projectAdmin.key, projectA)).body as { execution_id: string; plan_hash: string };
      const bots = await Promise.all([0, 1].map(() => minted(projectAdmin.key, { roles: ['approver'], project_ids: [projectA] })));
      for (const bot of bots) {
        const vote = await approve(bot.key, run);
        expect([vote.status, vote.body.error?.code, vote.body.error?.details]).toEqual([
          403,
          'decider_ineligible',
          { reason: 'not_a_person' },
        ]);
      }
      // Marking them is an admin of every project's call, not the project admin's.
      const mark = await api.http
        .put(`/api/v1/principals/${bots[0].principal_id}/service-approver`)
        .set(as(projectAdmin.key))
        .send({ service_approver: true, reason: 'my bots' });
      expect([mark.status, mark.body.error?.code]).toEqual([403, 'forbidden']);
      expect(await votesOn(run.execution_id)).toBe(0);
      expect(await runStatus(run.execution_id)).toBe('BLOCKED');
      const { rows } = await pool.query(
        `SELECT data->>'reason' AS reason FROM audit_events WHERE event_type = 'approval.decider_ineligible' AND execution_run_id = $1`,
        [run.execution_id],
      );
      expect(rows).toEqual([{ reason: 'not_a_person' }, { reason: 'not_a_person' }]);
    });

    it('the database refuses such a vote too, whatever the code does', async () => {
      const run = (await createRun(projectAdmin.key, projectA)).body as { execution_id: string; approval: { id: string } };
      const bot = await minted(projectAdmin.key, { roles: ['approver'], project_ids: [projectA] });
      await expect(
        pool.query(
          `INSERT INTO approval_decisions (approval_id, execution_run_id, principal_id, decision) VALUES ($1, $2, $3, 'approve')`,
          [run.approval.id, run.execution_id, bot.principal_id],
        ),
      ).rejects.toThrow(/may not decide this run \(not_a_person\)/);
    });

    it('a service approver counts once an admin of every project marks it (audited), but never on a run of the admin that made it', async () => {
      const made = await minted(projectAdmin.key, { roles: ['approver'], project_ids: [projectA] });
      const marked = await api.http
        .put(`/api/v1/principals/${made.principal_id}/service-approver`)
        .set(as(api.adminKey))
        .send({ service_approver: true, reason: 'the release bot approves canaries' });
      expect([marked.status, marked.body.service_approver]).toEqual([200, true]);
      const requester = await minted(api.adminKey, { roles: ['requester'], project_ids: [projectA] });
      const otherRun = (await createRun(requester.key, projectA)).body;
      // The key the project admin minted at creation is the project admin's: it does not vote as the approver.
      const held = await approve(made.key, otherRun);
      expect([held.status, held.body.error?.details]).toEqual([403, { reason: 'key_not_pinned' }]);
      const pinned = await minted(api.adminKey, { principal_id: made.principal_id });
      const ownRun = (await createRun(projectAdmin.key, projectA)).body;
      const vote = await approve(pinned.key, ownRun);
      expect([vote.status, vote.body.error?.details]).toEqual([403, { reason: 'made_by_the_requester' }]);
      expect((await approve(pinned.key, otherRun)).status).toBe(200);
      const { rows } = await pool.query(
        `SELECT data FROM audit_events WHERE event_type = 'principal.service_approver_changed' AND data->>'principal_id' = $1`,
        [made.principal_id],
      );
      expect(rows).toEqual([
        { data: { principal_id: made.principal_id, service_approver: true, reason: 'the release bot approves canaries' } },
      ]);
    });

    it('a project-admin person cannot approve a run it requested through a key it minted for a service it covers', async () => {
      const pat = await signIn({ sub: `pat-${randomUUID()}`, name: 'Pat', groups: ['oi-a-admins'] });
      const service = await minted(api.adminKey, { roles: ['requester'], project_ids: [projectA] });
      const borrowed = (
        await viaOidc().post('/api/v1/api-keys').set(as(pat.token)).send({ name: 'borrowed', principal_id: service.principal_id })
      ).body as Minted;
      expect(borrowed.principal_id).toBe(service.principal_id);
      const run = (await createRun(borrowed.key, projectA, 'deploy', ['web-1'])).body;
      expect(run.requested_by).toBe(service.principal_id);
      // Whoever minted the requesting key holds the request.
      const vote = await approve(pat.token, run);
      expect([vote.status, vote.body.error?.details]).toEqual([403, { reason: 'made_the_requester' }]);
      expect(await runStatus(run.execution_id)).toBe('BLOCKED');
    });

    it('a key minted with a key is held by whoever holds that one: self-minted keys and principals made through a borrowed key stay tied', async () => {
      const pat = await signIn({ sub: `pat2-${randomUUID()}`, name: 'Pat', groups: ['oi-a-admins'] });
      const byPat = (credential: string, body: Record<string, unknown>) =>
        viaOidc()
          .post('/api/v1/api-keys')
          .set(as(credential))
          .send({ name: `k-${randomUUID().slice(0, 6)}`, ...body });
      // The requester's key was minted by a key Pat minted for it.
      const service = await minted(api.adminKey, { roles: ['requester'], project_ids: [projectA] });
      const first = (await byPat(pat.token, { principal_id: service.principal_id })).body as Minted;
      const second = (await byPat(first.key, { principal_id: service.principal_id })).body as Minted;
      expect(second.principal_id).toBe(service.principal_id);
      const run = (await createRun(second.key, projectA, 'deploy', ['web-1'])).body;
      const vote = await approve(pat.token, run);
      expect([vote.status, vote.body.error?.details]).toEqual([403, { reason: 'made_the_requester' }]);
      // A principal made through a key Pat minted for a peer admin is Pat's too, whatever key it then requests with.
      const peer = await minted(api.adminKey, { roles: ['admin'], project_ids: [projectA] });
      const peerKey = (await byPat(pat.token, { principal_id: peer.principal_id })).body as Minted;
      const made = await minted(peerKey.key, { roles: ['requester'], project_ids: [projectA] });
      const rootKey = await minted(api.adminKey, { principal_id: made.principal_id });
      const madeRun = (await createRun(rootKey.key, projectA, 'deploy', ['web-2'])).body;
      const madeVote = await approve(pat.token, madeRun);
      expect([madeVote.status, madeVote.body.error?.details]).toEqual([403, { reason: 'made_the_requester' }]);
    });

    it('a service approver votes only with a key whose whole minting chain is its own or the root’s', async () => {
      const pat = await signIn({ sub: `pat3-${randomUUID()}`, name: 'Pat', groups: ['oi-a-admins'] });
      const approverService = await minted(api.adminKey, { roles: ['approver'], project_ids: [projectA] });
      const lent = (
        await viaOidc().post('/api/v1/api-keys').set(as(pat.token)).send({ name: 'lent', principal_id: approverService.principal_id })
      ).body as Minted;
      await api.http
        .put(`/api/v1/principals/${approverService.principal_id}/service-approver`)
        .set(as(api.adminKey))
        .send({ service_approver: true, reason: 'x' });
      const laundered = await minted(lent.key, { principal_id: approverService.principal_id });
      const requester = await minted(api.adminKey, { roles: ['requester'], project_ids: [projectA] });
      const run = (await createRun(requester.key, projectA, 'deploy', ['web-1'])).body;
      const vote = await approve(laundered.key, run);
      expect([vote.status, vote.body.error?.details]).toEqual([403, { reason: 'key_not_pinned' }]);
      const ownRun = (await createRun(pat.token, projectA, 'deploy', ['web-2'])).body;
      expect((await approve(laundered.key, ownRun)).status).toBe(403);
      const pinned = await minted(api.adminKey, { principal_id: approverService.principal_id });
      const selfMinted = await minted(pinned.key, { principal_id: approverService.principal_id });
      expect((await approve(selfMinted.key, run)).status).toBe(200);
    });

    it('ties are walked to the end: a chain of 20 principals made one by the other is still its first maker’s', async () => {
      const pat = await signIn({ sub: `pat4-${randomUUID()}`, name: 'Pat', groups: ['oi-a-admins'] });
      let holder = (
        await viaOidc()
          .post('/api/v1/api-keys')
          .set(as(pat.token))
          .send({ name: 'chain-0', roles: ['admin', 'requester'], project_ids: [projectA] })
      ).body as Minted;
      for (let link = 1; link < 20; link++) holder = await minted(holder.key, { roles: ['admin', 'requester'], project_ids: [projectA] });
      const run = (await createRun(holder.key, projectA, 'deploy', ['web-1'])).body;
      const vote = await approve(pat.token, run);
      expect([vote.status, vote.body.error?.details]).toEqual([403, { reason: 'made_the_requester' }]);
    });

    it('ties are walked up: a principal made by one the decider made is the decider’s; two services a project admin made approve nothing of each other’s', async () => {
      const grandparent = await signIn({ sub: `gp-${randomUUID()}`, name: 'Gwen', groups: ['sod-admins'] });
      const child = (
        await viaOidc()
          .post('/api/v1/api-keys')
          .set(as(grandparent.token))
          .send({ name: 'child', roles: ['admin'], project_ids: [projectA] })
      ).body as Minted;
      const grandchild = await minted(child.key, { roles: ['requester'], project_ids: [projectA] });
      const run = (await createRun(grandchild.key, projectA, 'deploy', ['web-1'])).body;
      const vote = await approve(grandparent.token, run);
      expect([vote.status, vote.body.error?.details]).toEqual([403, { reason: 'made_the_requester' }]);
      // Siblings: the project admin made both the requester and (pinned by the root afterwards) the approver.
      const sibling = await minted(projectAdmin.key, { roles: ['approver'], project_ids: [projectA] });
      await api.http
        .put(`/api/v1/principals/${sibling.principal_id}/service-approver`)
        .set(as(api.adminKey))
        .send({ service_approver: true, reason: 'x' });
      const pinned = await minted(api.adminKey, { principal_id: sibling.principal_id });
      const requester = await minted(projectAdmin.key, { roles: ['requester'], project_ids: [projectA] });
      const siblingRun = (await createRun(requester.key, projectA, 'deploy', ['web-1'])).body;
      const siblingVote = await approve(pinned.key, siblingRun);
      expect([siblingVote.status, siblingVote.body.error?.details]).toEqual([403, { reason: 'same_maker' }]);
      expect(await votesOn(siblingRun.execution_id)).toBe(0);
    });

    it('a vote of a principal disabled since it voted no longer counts toward the quorum', async () => {
      const requester = await minted(api.adminKey, { roles: ['requester'], project_ids: [projectA] });
      const run = (await createRun(requester.key, projectA)).body;
      const [first, second] = await Promise.all(
        ['q1', 'q2'].map((name) => signIn({ sub: `${name}-${randomUUID()}`, name, groups: ['sod-approvers'] })),
      );
      expect((await approve(first.token, run)).status).toBe(200);
      expect((await api.http.post(`/api/v1/principals/${first.id}/disable`).set(as(api.adminKey)).send({ reason: 'left' })).status).toBe(
        200,
      );
      const afterSecond = await approve(second.token, run);
      expect([afterSecond.status, afterSecond.body.status]).toEqual([200, 'BLOCKED']);
      expect(await runStatus(run.execution_id)).toBe('BLOCKED');
      const third = await signIn({ sub: `q3-${randomUUID()}`, name: 'q3', groups: ['sod-approvers'] });
      expect((await approve(third.token, run)).body.status).toBe('RUN');
    });

    it('a vote racing the disable of an earlier voter is answered (never a 500): the quorum is met before the disable, or not at all', async () => {
      const requester = await minted(api.adminKey, { roles: ['requester'], project_ids: [projectA] });
      for (let round = 0; round < 6; round++) {
        const run = (await createRun(requester.key, projectA)).body;
        const [first, second] = await Promise.all(
          ['r1', 'r2'].map((name) => signIn({ sub: `${name}-${randomUUID()}`, name, groups: ['sod-approvers'] })),
        );
        expect((await approve(first.token, run)).status).toBe(200);
        const [vote, disable] = await Promise.all([
          approve(second.token, run),
          api.http.post(`/api/v1/principals/${first.id}/disable`).set(as(api.adminKey)).send({ reason: 'race' }),
        ]);
        expect([vote.status, disable.status]).toEqual([200, 200]);
        expect(['RUN', 'BLOCKED']).toContain(vote.body.status);
        const lane = await pool.query(`SELECT status FROM approvals WHERE execution_run_id = $1 AND lane = 1`, [run.execution_id]);
        expect(lane.rows[0].status).toBe(vote.body.status === 'RUN' ? 'approved' : 'pending');
      }
    });

    it("a person who made the requester's principal does not decide its runs", async () => {
      const admin = await signIn({ sub: `grace-${randomUUID()}`, name: 'Grace', groups: ['sod-admins'] });
      const bot = (
        await viaOidc()
          .post('/api/v1/api-keys')
          .set(as(admin.token))
          .send({ name: 'grace-bot', roles: ['requester'], project_ids: [projectA] })
      ).body as Minted;
      const run = (await createRun(bot.key, projectA, 'deploy', ['web-1'])).body;
      const vote = await approve(admin.token, run);
      expect([vote.status, vote.body.error?.details]).toEqual([403, { reason: 'made_the_requester' }]);
    });
  });

  describe('3. a role on one project is not a role on another', () => {
    it('a person in oi-team (requester on oi-a) and oi-b-approvers (approver on oi-b) holds exactly those two pairs', async () => {
      const heidi = await signIn({ sub: `heidi-${randomUUID()}`, name: 'Heidi', groups: ['oi-team', 'oi-b-approvers'] });
      expect(heidi.me.role_grants).toEqual([
        { role: 'approver', project_id: projectB },
        { role: 'requester', project_id: projectA },
      ]);
      const requester = await minted(api.adminKey, { roles: ['requester'], project_ids: [projectA, projectB] });
      const runA = (await createRun(requester.key, projectA)).body;
      const runB = (await createRun(requester.key, projectB)).body;
      const onA = await approve(heidi.token, runA);
      expect([onA.status, onA.body.error?.code]).toEqual([403, 'forbidden']);
      expect((await createRun(heidi.token, projectB)).status).toBe(403);
      expect((await createRun(heidi.token, projectA)).status).toBe(201);
      expect((await approve(heidi.token, runB)).status).toBe(200);
      expect(await votesOn(runA.execution_id)).toBe(0);
    });

    it('the same model serves API keys: a key of grants on two projects is each role only on its own', async () => {
      const key = await minted(api.adminKey, {
        role_grants: [
          { role: 'requester', project_id: projectA },
          { role: 'approver', project_id: projectB },
        ],
      });
      expect((await api.get(key.key, '/api/v1/principals/me')).body.role_grants).toEqual([
        { role: 'approver', project_id: projectB },
        { role: 'requester', project_id: projectA },
      ]);
      expect((await createRun(key.key, projectB)).status).toBe(403);
      expect((await createRun(key.key, projectA)).status).toBe(201);
      const both = await mint(api.adminKey, { role_grants: [{ role: 'requester', project_id: projectA }], roles: ['requester'] });
      expect([both.status, both.body.error?.code]).toEqual([400, 'invalid_value']);
    });
  });

  describe('5. an agent never decides, nor does the person it acts for', () => {
    it('an agent holding the approver role cannot vote, through the API or in the database; it is never a worker nor a service approver', async () => {
      const agent = await minted(api.adminKey, { kind: 'agent', roles: ['requester', 'approver'], project_ids: [projectA] });
      const requester = await minted(api.adminKey, { roles: ['requester'], project_ids: [projectA] });
      const run = (await createRun(requester.key, projectA, 'deploy', ['web-1'])).body;
      const vote = await approve(agent.key, run);
      expect([vote.status, vote.body.error?.code, vote.body.error?.details]).toEqual([403, 'decider_ineligible', { reason: 'agent' }]);
      await expect(
        pool.query(
          `INSERT INTO approval_decisions (approval_id, execution_run_id, principal_id, decision, credential)
           SELECT id, execution_run_id, $2, 'approve', $3 FROM approvals WHERE execution_run_id = $1`,
          [run.execution_id, agent.principal_id, `api_key:${agent.id}`],
        ),
      ).rejects.toThrow(/\(agent\)/);
      for (const body of [
        { kind: 'agent', roles: ['worker'], project_ids: [projectA] },
        { kind: 'agent', roles: ['approver'], project_ids: [projectA], service_approver: true },
        { kind: 'robot', roles: ['requester'], project_ids: [projectA] },
        { kind: null, roles: ['requester'], project_ids: [projectA] },
        // An admin mints keys, and so could make itself deciders: never an agent.
        { kind: 'agent', roles: ['admin'], project_ids: ['*'] },
        { kind: 'agent', roles: ['requester', 'admin'], project_ids: [projectA] },
      ]) {
        const refused = await mint(api.adminKey, body);
        expect([refused.status, refused.body.error.code]).toEqual([400, expect.stringMatching(/invalid_value|validation_failed/)]);
      }
      // The database says so too, whatever the code does.
      await expect(pool.query(`UPDATE principals SET service_approver = true WHERE id = $1`, [agent.principal_id])).rejects.toThrow(
        /principals_service_approvers_are_services/,
      );
      await expect(
        pool.query(`UPDATE principals SET role_grants = array_append(role_grants, 'admin@*') WHERE id = $1`, [agent.principal_id]),
      ).rejects.toThrow(/principals_agents_never_admin/);
      const me = (await api.get(agent.key, '/api/v1/principals/me')).body;
      expect([me.kind, me.acts_for]).toEqual(['agent', null]);
    });

    it("the person an agent acts for does not decide the agent's runs; another approver does, and the run names the person", async () => {
      const pat = await signIn({ sub: `pat-${randomUUID()}`, name: 'Pat', groups: ['sod-approvers'] });
      const sam = await signIn({ sub: `sam-${randomUUID()}`, name: 'Sam', groups: ['sod-approvers'] });
      // An admin of every project mints an agent acting for Pat (Pat's keys are minted only by such an admin); to a project admin Pat is out of sight.
      const byProjectAdmin = await mint(projectAdmin.key, {
        kind: 'agent',
        acts_for: pat.id,
        roles: ['requester'],
        project_ids: [projectA],
      });
      expect([byProjectAdmin.status, byProjectAdmin.body.error.code]).toEqual([404, 'principal_not_found']);
      const agent = await minted(api.adminKey, { kind: 'agent', acts_for: pat.id, roles: ['requester'], project_ids: [projectA] });
      const detail = await api.get(api.adminKey, `/api/v1/principals/${agent.principal_id}`);
      expect([detail.body.kind, detail.body.acts_for]).toEqual(['agent', pat.id]);
      const run = (await createRun(agent.key, projectA, 'deploy', ['web-2'])).body;
      const created = await pool.query(`SELECT data FROM audit_events WHERE execution_run_id = $1 AND event_type = 'run.created'`, [
        run.execution_id,
      ]);
      expect(created.rows[0].data.on_behalf_of).toBe(pat.id);
      const byPat = await approve(pat.token, run);
      expect([byPat.status, byPat.body.error?.details]).toEqual([403, { reason: 'accountable_for_the_requester' }]);
      const bySam = await approve(sam.token, run);
      expect(bySam.status).toBe(200);
      // Pat is disabled: nobody answers for the agent any more, and its key stops working.
      const disabled = await api.http
        .post(`/api/v1/principals/${pat.id}/disable`)
        .set(as(api.adminKey))
        .send({ reason: 'left the company' });
      expect(disabled.status).toBe(200);
      const after = await createRun(agent.key, projectA, 'deploy', ['web-3']);
      expect([after.status, after.body.error.code]).toEqual([401, 'principal_disabled']);
    });

    it('acts_for names a person the minter may answer for: not a service, not without kind agent, not a principal out of sight', async () => {
      const service = await minted(api.adminKey, { roles: ['requester'], project_ids: [projectA] });
      const cases: Array<[Record<string, unknown>, number, string]> = [
        [{ kind: 'agent', acts_for: service.principal_id }, 400, 'invalid_value'],
        [{ acts_for: bootstrapId }, 400, 'invalid_value'],
        [{ kind: 'agent', acts_for: randomUUID() }, 404, 'principal_not_found'],
        [{ kind: 'agent', acts_for: 'not-a-uuid' }, 400, 'invalid_value'],
      ];
      // Who answers for an agent works where it does: a person of oi-b only does not answer for an agent on oi-a.
      const elsewhere = await signIn({ sub: `kim-${randomUUID()}`, name: 'Kim', groups: ['oi-b-approvers'] });
      cases.push([{ kind: 'agent', acts_for: elsewhere.id }, 400, 'invalid_value']);
      for (const [body, status, code] of cases) {
        const answer = await mint(api.adminKey, { roles: ['requester'], project_ids: [projectA], ...body });
        expect([JSON.stringify(body), answer.status, answer.body.error.code]).toEqual([JSON.stringify(body), status, code]);
      }
      // The database says so too: only an agent acts for anyone, and only for a person.
      const person = await signIn({ sub: `lee-${randomUUID()}`, name: 'Lee', groups: ['oi-team'] });
      const agent = await minted(api.adminKey, { kind: 'agent', roles: ['requester'], project_ids: [projectA] });
      await expect(pool.query(`UPDATE principals SET acts_for = $2 WHERE id = $1`, [service.principal_id, person.id])).rejects.toThrow(
        /principals_acts_for_agents/,
      );
      await expect(
        pool.query(`UPDATE principals SET acts_for = $2 WHERE id = $1`, [agent.principal_id, service.principal_id]),
      ).rejects.toThrow(/an agent acts for a person/);
    });
  });

  describe('8. lifecycle', () => {
    it('a disabled principal is refused at the very next request, on another instance too; enabled again, its keys work; both audited', async () => {
      const victim = await minted(api.adminKey, { roles: ['requester'], project_ids: [projectA] });
      const viaOther = () => viaOidc().get('/api/v1/principals/me').set(as(victim.key));
      expect((await viaOther()).status).toBe(200);
      const disabled = await api.http
        .post(`/api/v1/principals/${victim.principal_id}/disable`)
        .set(as(projectAdmin.key))
        .send({ reason: 'credential leaked' });
      expect(disabled.status).toBe(200);
      expect(disabled.body).toMatchObject({
        id: victim.principal_id,
        disabled_by: projectAdmin.principal_id,
        disabled_reason: 'credential leaked',
      });
      const refused = await viaOther();
      expect([refused.status, refused.body.error.code]).toEqual([401, 'principal_disabled']);
      const again = await api.http
        .post(`/api/v1/principals/${victim.principal_id}/disable`)
        .set(as(projectAdmin.key))
        .send({ reason: 'x' });
      expect([again.status, again.body.error.code]).toEqual([409, 'principal_already_disabled']);
      const noKey = await mint(projectAdmin.key, { principal_id: victim.principal_id });
      expect([noKey.status, noKey.body.error.code]).toEqual([409, 'principal_inactive']);
      const enabled = await api.http
        .post(`/api/v1/principals/${victim.principal_id}/enable`)
        .set(as(projectAdmin.key))
        .send({ reason: 'rotated' });
      expect([enabled.status, enabled.body.disabled_at]).toEqual([200, null]);
      expect((await viaOther()).status).toBe(200);
      const { rows } = await pool.query(
        `SELECT event_type, data->>'reason' AS reason FROM audit_events WHERE event_type IN ('principal.disabled', 'principal.enabled') AND data->>'principal_id' = $1 ORDER BY id`,
        [victim.principal_id],
      );
      expect(rows).toEqual([
        { event_type: 'principal.disabled', reason: 'credential leaked' },
        { event_type: 'principal.enabled', reason: 'rotated' },
      ]);
    });

    it('a disable by an admin of every project is lifted only by one too', async () => {
      const suspect = await minted(api.adminKey, { roles: ['requester'], project_ids: [projectA] });
      expect(
        (await api.http.post(`/api/v1/principals/${suspect.principal_id}/disable`).set(as(api.adminKey)).send({ reason: 'compromised' }))
          .status,
      ).toBe(200);
      const byProjectAdmin = await api.http
        .post(`/api/v1/principals/${suspect.principal_id}/enable`)
        .set(as(projectAdmin.key))
        .send({ reason: 'mine' });
      expect([byProjectAdmin.status, byProjectAdmin.body.error?.code]).toEqual([403, 'forbidden']);
      expect(
        (await api.http.post(`/api/v1/principals/${suspect.principal_id}/enable`).set(as(api.adminKey)).send({ reason: 'cleared' })).status,
      ).toBe(200);
    });

    it('a project admin cannot disable the bootstrap admin (404), nor itself (403); a body without a reason is 400', async () => {
      const bootstrap = await api.http.post(`/api/v1/principals/${bootstrapId}/disable`).set(as(projectAdmin.key)).send({ reason: 'coup' });
      expect([bootstrap.status, bootstrap.body.error.code]).toEqual([404, 'principal_not_found']);
      const self = await api.http
        .post(`/api/v1/principals/${projectAdmin.principal_id}/disable`)
        .set(as(projectAdmin.key))
        .send({ reason: 'x' });
      expect([self.status, self.body.error.code]).toEqual([403, 'forbidden']);
      const reasonless = await api.http.post(`/api/v1/principals/${projectAdmin.principal_id}/disable`).set(as(api.adminKey)).send({});
      expect(reasonless.status).toBe(400);
      expect((await api.http.post(`/api/v1/principals/not-a-uuid/disable`).set(as(api.adminKey)).send({ reason: 'x' })).status).toBe(404);
      expect((await api.get(projectAdmin.key, `/api/v1/principals/${bootstrapId}`)).status).toBe(404);
      expect((await api.get(projectAdmin.key, `/api/v1/principals/${projectAdmin.principal_id}`)).body.role_grants).toEqual([
        { role: 'admin', project_id: projectA },
      ]);
    });

    it("a person's key carries at most the roles the identity provider last granted, and is suspended once the person has not signed in for too long", async () => {
      const subject = `ivan-${randomUUID()}`;
      const ivan = await signIn({ sub: subject, name: 'Ivan', groups: ['oi-team', 'oi-b-approvers'] });
      const key = (await viaOidc().post('/api/v1/api-keys').set(as(ivan.token)).send({ name: 'ivan-cli', principal_id: ivan.id }))
        .body as Minted;
      expect((await api.get(key.key, '/api/v1/principals/me')).body.role_grants).toHaveLength(2);
      // The identity provider drops a group: the key loses it at the next sign-in.
      await signIn({ sub: subject, name: 'Ivan', groups: ['oi-team'] });
      expect((await api.get(key.key, '/api/v1/principals/me')).body.role_grants).toEqual([{ role: 'requester', project_id: projectA }]);
      await pool.query(`UPDATE principals SET last_seen_at = now() - interval '31 days' WHERE id = $1`, [ivan.id]);
      const suspended = await api.get(key.key, '/api/v1/principals/me');
      expect([suspended.status, suspended.body.error.code]).toEqual([401, 'api_key_suspended']);
      await signIn({ sub: subject, name: 'Ivan', groups: ['oi-team'] });
      expect((await api.get(key.key, '/api/v1/principals/me')).status).toBe(200);
    });
  });
});
