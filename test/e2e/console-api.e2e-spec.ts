import { uniqueProject, useTestApi } from '../support/api-client';

type Key = { id: string; key: string };

/**
 * What the operator console asks of the API beyond the Phase-1 routes: the caller's own inbox,
 * a review of a run (may I decide, why not, who else may, who everyone is, what changed) and a
 * search of runs. Every answer is checked against the spec by the test client.
 */
describe('console API: inbox, review, search', () => {
  const { api, pool } = useTestApi();
  const project = uniqueProject('console');
  const other = uniqueProject('console-other');
  let requester: Key;
  let approvers: Key[];
  let elsewhere: Key;
  let bothRoles: Key;

  beforeAll(async () => {
    requester = await api.mintKey({ roles: ['requester'], projectIds: [project], name: 'Rita Requester' });
    approvers = await Promise.all(['Ann', 'Ben', 'Cy'].map((name) => api.mintKey({ roles: ['approver'], projectIds: [project], name })));
    elsewhere = await api.mintKey({ roles: ['approver', 'requester'], projectIds: [other] });
    bothRoles = await api.mintKey({ roles: ['approver', 'requester'], projectIds: [project], name: 'Both' });
  });

  const create = async (key: string, action: string, targets: string[], params: Record<string, unknown> = {}, p = project) => {
    const answer = await api.createRun(key, { project_id: p, idempotency_key: `k-${Math.random()}`, action, targets, params });
    expect(answer.status).toBe(201);
    return answer.body as { execution_id: string; plan_hash: string };
  };
  const inbox = async (key: string, query = '') => {
    const answer = await api.get(key, `/api/v1/approvals/inbox?project_id=${project}${query}`);
    expect(answer.status).toBe(200);
    return answer.body as {
      runs: Array<{ execution_id: string }>;
      principals: Array<{ id: string; name: string }>;
      next_after: string | null;
    };
  };
  const review = async (key: string, id: string) => {
    const answer = await api.get(key, `/api/v1/execution/run/${id}/review`);
    return answer;
  };

  it('the inbox holds only runs the caller may decide: not its own, not voted on, not another project, soonest-expiring or newest first', async () => {
    const production = await create(requester.key, 'deploy.production', ['prod-web-1'], { version: '1.2.3' });
    const restart = await create(requester.key, 'service.restart', ['web-2']);
    const own = await create(bothRoles.key, 'service.restart', ['web-3']);
    const away = await create(elsewhere.key, 'service.restart', ['web-4'], {}, other);

    const ann = await inbox(approvers[0].key);
    const annIds = ann.runs.map((run) => run.execution_id);
    // Newest first by default.
    expect(annIds).toEqual([own.execution_id, restart.execution_id, production.execution_id]);
    expect(ann.principals.find((card) => card.id === requester.id)?.name).toBe('Rita Requester');
    // Soonest to expire first: service.restart lives 1 day, deploy.production 4 hours.
    const expiring = (await inbox(approvers[0].key, '&order=expiring')).runs.map((run) => run.execution_id);
    expect(expiring[0]).toBe(production.execution_id);

    // The requester that is also an approver does not see its own run.
    const both = (await inbox(bothRoles.key)).runs.map((run) => run.execution_id);
    expect(both).toContain(restart.execution_id);
    expect(both).not.toContain(own.execution_id);
    // Another project's approver sees none of these, and its own run is not in ours.
    const away1 = await api.get(elsewhere.key, `/api/v1/approvals/inbox`);
    expect(away1.body.runs.map((run: { execution_id: string }) => run.execution_id)).not.toContain(restart.execution_id);
    expect(annIds).not.toContain(away.execution_id);
    // A requester without an approver role has nothing to decide.
    expect((await inbox(requester.key)).runs).toEqual([]);

    // Once Ann voted on the quorum-of-two run it leaves her inbox and stays in Ben's.
    expect((await api.decide(approvers[0].key, production.execution_id, 'approve', { reason: 'checked' })).status).toBe(200);
    expect((await inbox(approvers[0].key)).runs.map((run) => run.execution_id)).not.toContain(production.execution_id);
    expect((await inbox(approvers[1].key)).runs.map((run) => run.execution_id)).toContain(production.execution_id);

    // Paging with the cursor visits each run once.
    const first = await inbox(approvers[1].key, '&limit=1');
    expect(first.runs).toHaveLength(1);
    expect(first.next_after).toMatch(/^\d{4}-.*Z_[0-9a-f-]{36}$/);
    const second = await inbox(approvers[1].key, `&limit=1&after=${encodeURIComponent(first.next_after!)}`);
    expect(second.runs).toHaveLength(1);
    expect(second.runs[0].execution_id).not.toBe(first.runs[0].execution_id);
  });

  it('paging the inbox visits each run once in either order, runs made in the same millisecond too', async () => {
    const p = uniqueProject('console-paging');
    const maker = await api.mintKey({ roles: ['requester'], projectIds: [p] });
    const decider = await api.mintKey({ roles: ['approver'], projectIds: [p] });
    const made = await Promise.all(Array.from({ length: 14 }, (_, i) => create(maker.key, 'service.restart', [`web-page-${i}`], {}, p)));
    const expected = made.map((run) => run.execution_id).sort();
    for (const order of ['newest', 'expiring']) {
      for (const limit of [1, 4]) {
        const seen: string[] = [];
        let after: string | null = null;
        for (let page = 0; page < 20; page++) {
          const answer = await api.get(
            decider.key,
            `/api/v1/approvals/inbox?project_id=${p}&order=${order}&limit=${limit}${after ? `&after=${encodeURIComponent(after)}` : ''}`,
          );
          expect(answer.status).toBe(200);
          seen.push(...answer.body.runs.map((run: { execution_id: string }) => run.execution_id));
          after = answer.body.next_after;
          if (after === null) break;
        }
        expect(after).toBeNull();
        expect([order, limit, [...seen].sort()]).toEqual([order, limit, expected]);
      }
    }
  });

  it('the inbox refuses a bad cursor, order or another project with a code, and changes nothing', async () => {
    const id = '00000000-0000-4000-8000-000000000000';
    for (const query of [
      '&after=yesterday',
      '&order=random',
      '&limit=0',
      '&limit=501',
      '&after=%00',
      `&after=2026-13-45T99:99:99.999999Z_${id}`,
      `&after=2026-02-30T10:00:00.000000Z_${id}`,
      `&after=0000-01-01T00:00:00.000000Z_${id}`,
      `&after=2026-12-01T10:00:00.000Z_${id}`,
    ]) {
      const answer = await api.get(approvers[0].key, `/api/v1/approvals/inbox?project_id=${project}${query}`);
      expect(answer.status).toBe(400);
      expect(answer.body.error.code).toEqual(expect.any(String));
    }
    const forbidden = await api.get(approvers[0].key, `/api/v1/approvals/inbox?project_id=${other}`);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error.code).toBe('forbidden');
  });

  it('a review says whether the caller may decide and why not, who else may, and names everyone', async () => {
    const run = await create(requester.key, 'deploy.production', ['prod-db-1'], { version: '9', token: { $secret: 'DEPLOY_TOKEN' } });
    const ann = await review(approvers[0].key, run.execution_id);
    expect(ann.status).toBe(200);
    expect(ann.body).toMatchObject({ may_decide: true, decision_bar: null, approver_roles: ['approver'], replaced_plan: null });
    expect(ann.body.run.params).toEqual({ version: '9', token: { $secret: 'DEPLOY_TOKEN' } });
    const deciderIds = ann.body.deciders.map((card: { id: string }) => card.id);
    expect(deciderIds).toEqual(expect.arrayContaining([approvers[1].id, approvers[2].id, bothRoles.id]));
    expect(deciderIds).not.toContain(approvers[0].id);
    expect(deciderIds).not.toContain(requester.id);
    expect(ann.body.principals).toEqual(expect.arrayContaining([expect.objectContaining({ id: requester.id, name: 'Rita Requester' })]));

    // The requester: not offered, with the reason.
    const own = await review(requester.key, run.execution_id);
    expect(own.body).toMatchObject({ may_decide: false, decision_bar: { code: 'self' } });
    // A principal of another project: not found, exactly as an id that does not exist.
    const away = await review(elsewhere.key, run.execution_id);
    expect(away.status).toBe(404);
    expect(away.body.error.code).toBe('execution_not_found');
    expect((await review(elsewhere.key, '00000000-0000-4000-8000-000000000000')).body.error.code).toBe('execution_not_found');
    expect((await review(elsewhere.key, 'not-a-uuid')).status).toBe(400);

    // After a vote: already voted, and the voter is named with the vote.
    expect((await api.decide(approvers[0].key, run.execution_id, 'approve', { reason: 'ok' })).status).toBe(200);
    const voted = await review(approvers[0].key, run.execution_id);
    expect(voted.body).toMatchObject({ may_decide: false, decision_bar: { code: 'already_voted' } });
    expect(voted.body.principals).toEqual(expect.arrayContaining([expect.objectContaining({ id: approvers[0].id, name: 'Ann' })]));
    expect(voted.body.deciders.map((card: { id: string }) => card.id)).not.toContain(approvers[0].id);
    // Once decided: nothing pending, nobody offered.
    expect((await api.decide(approvers[1].key, run.execution_id, 'reject', { reason: 'not today' })).status).toBe(200);
    const closed = await review(approvers[2].key, run.execution_id);
    expect(closed.body).toMatchObject({ may_decide: false, decision_bar: { code: 'not_pending' }, deciders: [] });
  });

  it('after a plan change the review carries the plan it replaced; the editor may not decide its edit', async () => {
    const run = await create(requester.key, 'service.restart', ['web-1', 'web-2'], { mode: 'rolling' });
    const edit = await api.http
      .put(`/api/v1/execution/run/${run.execution_id}/plan`)
      .set({ authorization: `Bearer ${approvers[0].key}` })
      .send({ params: { mode: 'all-at-once' }, targets: ['web-1'] });
    expect(edit.status).toBe(200);
    const seen = await review(approvers[1].key, run.execution_id);
    expect(seen.body.may_decide).toBe(true);
    expect(seen.body.replaced_plan).toEqual({ plan_hash: run.plan_hash, params: { mode: 'rolling' }, targets: ['web-1', 'web-2'] });
    expect(seen.body.run.plan_hash).not.toBe(run.plan_hash);
    const editor = await review(approvers[0].key, run.execution_id);
    expect(editor.body).toMatchObject({ may_decide: false, decision_bar: { code: 'edited_the_plan' } });
    // The editor's inbox leaves it out too.
    expect((await inbox(approvers[0].key)).runs.map((r) => r.execution_id)).not.toContain(run.execution_id);
    // The old plan is kept beside the run, append-only; the trail records the hashes, never the params.
    const { rows } = await pool.query(`SELECT * FROM run_plan_changes WHERE execution_run_id = $1`, [run.execution_id]);
    expect(rows).toMatchObject([{ old_plan_hash: run.plan_hash, old_params: { mode: 'rolling' }, changed_by: approvers[0].id }]);
    const trail = await pool.query(
      `SELECT data::text AS data FROM audit_events WHERE execution_run_id = $1 AND event_type = 'run.plan_changed'`,
      [run.execution_id],
    );
    expect(trail.rows[0].data).toContain(run.plan_hash);
    expect(trail.rows[0].data).not.toContain('rolling');
    await expect(
      pool.query(`UPDATE run_plan_changes SET old_params = '{}' WHERE execution_run_id = $1`, [run.execution_id]),
    ).rejects.toThrow(/append-only/);
    await expect(pool.query(`DELETE FROM run_plan_changes WHERE execution_run_id = $1`, [run.execution_id])).rejects.toThrow(/append-only/);
    // Purged with its run: a retention purge leaves no params behind.
    expect((await api.decide(approvers[1].key, run.execution_id, 'reject', { reason: 'not this week' })).status).toBe(200);
    const purge = await api.http
      .post('/api/v1/execution/retention/purge')
      .set({ authorization: `Bearer ${api.adminKey}` })
      .send({ older_than_seconds: 0, project_id: project, reason: 'console test', limit: 500 });
    expect(purge.status).toBe(200);
    expect(
      (await pool.query(`SELECT count(*)::int AS n FROM run_plan_changes WHERE execution_run_id = $1`, [run.execution_id])).rows[0].n,
    ).toBe(0);
  });

  it('the review compares with the plan approvers were last asked about, names the plan as first requested, and a plan changes at most 50 times', async () => {
    const put = (key: string, id: string, params: Record<string, unknown>, targets = ['web-1']) =>
      api.http
        .put(`/api/v1/execution/run/${id}/plan`)
        .set({ authorization: `Bearer ${key}` })
        .send({ params, targets });
    // Deferred on plan A; the requester changes A → B → B' while it is deferred (no lane is opened for B), then it is reopened.
    const run = await create(requester.key, 'service.restart', ['web-1'], { step: 'A' });
    expect((await api.decide(approvers[0].key, run.execution_id, 'defer', { reason: 'freeze' })).status).toBe(200);
    expect((await put(requester.key, run.execution_id, { step: 'B', harmful: true })).status).toBe(200);
    expect((await put(requester.key, run.execution_id, { step: "B'", harmful: true })).status).toBe(200);
    const reopened = await api.http
      .post(`/approvals/${run.execution_id}/reopen`)
      .set({ authorization: `Bearer ${approvers[0].key}` })
      .send({ reason: 'freeze over' });
    expect(reopened.status).toBe(200);
    const seen = (await review(approvers[1].key, run.execution_id)).body;
    // Against A (what the deferred lane was for), not B (which no approver was asked about).
    expect(seen.replaced_plan).toMatchObject({ plan_hash: run.plan_hash, params: { step: 'A' } });
    expect(seen.original_plan).toBeNull();
    expect(seen.plan_changes).toBe(2);

    // Pending on C: each change opens a lane; the previous lane's plan is the one before, the first request is named too.
    const second = await create(requester.key, 'service.restart', ['web-2'], { step: 'C' });
    expect((await put(requester.key, second.execution_id, { step: 'D' }, ['web-2'])).status).toBe(200);
    expect((await put(requester.key, second.execution_id, { step: 'E' }, ['web-2'])).status).toBe(200);
    const twice = (await review(approvers[1].key, second.execution_id)).body;
    expect(twice.replaced_plan.params).toEqual({ step: 'D' });
    expect(twice.original_plan).toMatchObject({ plan_hash: second.plan_hash, params: { step: 'C' } });

    // The 51st change is refused, and the database holds the same bound.
    for (let i = 0; i < 48; i++) expect((await put(requester.key, second.execution_id, { step: `F${i}` }, ['web-2'])).status).toBe(200);
    const refused = await put(requester.key, second.execution_id, { step: 'too many' }, ['web-2']);
    expect([refused.status, refused.body.error.code]).toEqual([409, 'plan_change_limit']);
    expect(
      (await pool.query(`SELECT count(*)::int AS n FROM run_plan_changes WHERE execution_run_id = $1`, [second.execution_id])).rows[0].n,
    ).toBe(50);
    await expect(
      pool.query(
        `INSERT INTO run_plan_changes (execution_run_id, old_plan_hash, new_plan_hash, old_params, old_targets, changed_by)
         VALUES ($1, repeat('a', 64), repeat('b', 64), '{}', '[]', 'x')`,
        [second.execution_id],
      ),
    ).rejects.toThrow(/at most 50 times/);
  });

  it('search finds runs by project, status, action, requester and time, newest first, with a cursor', async () => {
    const since = new Date(Date.now() - 1000).toISOString();
    const made = [];
    const p = uniqueProject('console-search');
    const searcher = await api.mintKey({ roles: ['requester'], projectIds: [p] });
    const admin = await api.mintKey({ roles: ['admin'], projectIds: [p] });
    for (const target of ['web-s1', 'web-s2', 'web-s3']) made.push(await create(searcher.key, 'service.restart', [target], {}, p));
    const inventory = await create(searcher.key, 'inventory.read', ['s-4'], {}, p);
    const search = async (key: string, query: string) => {
      const answer = await api.get(key, `/api/v1/execution/runs?${query}`);
      expect(answer.status).toBe(200);
      return answer.body as { runs: Array<{ execution_id: string; status: string }>; next_before: string | null };
    };
    const restarts = await search(admin.key, `project_id=${p}&action=service.restart&created_from=${since}`);
    expect(restarts.runs.map((run) => run.execution_id)).toEqual(made.map((run) => run.execution_id).reverse());
    const byStatus = await search(admin.key, `project_id=${p}&status=BLOCKED&created_from=${since}`);
    expect(byStatus.runs.map((run) => run.execution_id)).not.toContain(inventory.execution_id);
    expect(byStatus.runs.every((run) => run.status === 'BLOCKED')).toBe(true);
    const byRequester = await search(admin.key, `requested_by=${searcher.id}&created_from=${since}`);
    expect(byRequester.runs).toHaveLength(4);
    expect((await search(admin.key, `requested_by=${searcher.id}&created_before=${since}&created_from=${since}`)).runs).toEqual([]);

    const page1 = await search(admin.key, `project_id=${p}&created_from=${since}&limit=2`);
    expect(page1.runs).toHaveLength(2);
    const page2 = await search(admin.key, `project_id=${p}&created_from=${since}&limit=2&before=${page1.next_before}`);
    expect(page2.runs).toHaveLength(2);
    expect([...page1.runs, ...page2.runs].map((run) => run.execution_id)).toEqual(
      [...made.map((run) => run.execution_id), inventory.execution_id].reverse(),
    );

    // A cursor naming a run of a project the caller cannot see answers as an id that does not exist.
    const foreign = await search(elsewhere.key, `before=${inventory.execution_id}`);
    const random = await search(elsewhere.key, `before=00000000-0000-4000-8000-000000000000`);
    expect(foreign.runs).toEqual(random.runs);
    expect(foreign.runs).toEqual([]);
    // Only the caller's projects: another project's principal finds none of these, and cannot name this project.
    expect((await search(elsewhere.key, `requested_by=${searcher.id}`)).runs).toEqual([]);
    const forbidden = await api.get(elsewhere.key, `/api/v1/execution/runs?project_id=${p}`);
    expect(forbidden.status).toBe(403);
    for (const query of [
      'status=DONE',
      'created_from=0000-01-01T00:00:00Z',
      'before=nope',
      'limit=-1',
      'requested_by=%00',
      'action=a%20b',
    ]) {
      const bad = await api.get(admin.key, `/api/v1/execution/runs?${query}`);
      expect(bad.status).toBe(400);
    }
    // Bytes that are not UTF-8 arrive as U+FFFD: a name nobody has, so nothing is found.
    const notUtf8 = await api.http.get(`/api/v1/execution/runs?requested_by=%ED%A0%80`).set({ authorization: `Bearer ${admin.key}` });
    expect(notUtf8.status).toBe(200);
    expect(notUtf8.body.runs).toEqual([]);
  });
});
