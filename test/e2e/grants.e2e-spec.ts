import { asOwnerWithoutTriggers } from '../support/db';
import { uniqueProject, useTestApi } from '../support/api-client';

type Key = { id: string; key: string };
const TARGET = 'DOT_C1_VOCAB_BUILD';

/**
 * Seed 004's build authorization. One target may have one active grant, so every test here
 * leaves none active behind it (the tests of this file run one after another).
 */
describe('single-use build authorizations', () => {
  const { api, pool } = useTestApi();
  let requester: Key;
  let approvers: Key[];

  beforeAll(async () => {
    requester = await api.mintKey({ roles: ['requester'] });
    approvers = await Promise.all([0, 1].map(() => api.mintKey({ roles: ['approver'] })));
  });

  const buildParams = (extra: Record<string, unknown> = {}) => ({
    namespace: 'DRYRUN-NS',
    rollback_plan_ref: 'DOT_C1_ROLLBACK_CHECK',
    plan_ref: 'staged-c1-plan',
    step_name: 'vocab-build',
    ...extra,
  });
  /** Creates a build run and approves it with the quorum of two; returns the run id. */
  const approvedBuild = async (extra: Record<string, unknown> = {}): Promise<string> => {
    const created = await api.createRun(requester.key, {
      project_id: uniqueProject(),
      idempotency_key: 'k',
      action: 'governance.authorize_build_step',
      params: buildParams(extra),
      targets: [TARGET],
    });
    expect(created.status).toBe(201);
    for (const approver of approvers) expect((await api.decide(approver.key, created.body.execution_id, 'approve')).status).toBe(200);
    return created.body.execution_id;
  };
  const outcomes = async (id: string): Promise<string[]> =>
    (
      await pool.query(
        `SELECT data->>'outcome' AS outcome FROM audit_events WHERE execution_run_id = $1 AND event_type LIKE 'grant.%' AND data ? 'outcome' ORDER BY id`,
        [id],
      )
    ).rows.map((row) => row.outcome);
  const consume = (code: string, key = requester.key) =>
    api.http.post(`/api/v1/grants/${code}/consume`).set('Authorization', `Bearer ${key}`);
  const revoke = (code: string, body: Record<string, unknown>, key = approvers[0].key) =>
    api.http.post(`/api/v1/grants/${code}/revoke`).set('Authorization', `Bearer ${key}`).send(body);

  it('approval mints one active grant with the approval and the plan recorded (OK, audited)', async () => {
    const id = await approvedBuild();
    expect(await outcomes(id)).toEqual(['OK']);
    const grant = await api.get(requester.key, `/api/v1/grants/GBA-${id}`);
    expect(grant.status).toBe(200);
    expect(grant.body).toMatchObject({
      auth_code: `GBA-${id}`,
      execution_id: id,
      status: 'active',
      scope: { namespace: 'DRYRUN-NS', target: TARGET },
      approval_ref: { quorum: 'passed', approvals: 2, required_approvals: 2 },
      evidence: { plan_ref: 'staged-c1-plan', step_name: 'vocab-build', mode: 'dry-run' },
      rollback_plan_ref: 'DOT_C1_ROLLBACK_CHECK',
      commit_allowed: false,
      ttl_seconds: 7200,
    });
    expect(Date.parse(grant.body.expires_at) - Date.parse(grant.body.granted_at)).toBe(7200 * 1000);
    const consumed = await consume(`GBA-${id}`);
    expect(consumed.status).toBe(200);
    expect(consumed.body).toMatchObject({ status: 'consumed', consumed_by: requester.id });
    const second = await consume(`GBA-${id}`);
    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe('grant_already_consumed');
  });

  it('concurrent consumes: exactly one wins', async () => {
    const id = await approvedBuild({ ttl_seconds: 30 });
    const grant = (await api.get(requester.key, `/api/v1/grants/GBA-${id}`)).body;
    expect(grant.ttl_seconds).toBe(60);
    const responses = await Promise.all(Array.from({ length: 8 }, () => consume(`GBA-${id}`)));
    expect(responses.filter((response) => response.status === 200)).toHaveLength(1);
    expect(responses.filter((response) => response.status === 409).map((response) => response.body.error.code)).toEqual(
      Array(7).fill('grant_already_consumed'),
    );
    const events = await pool.query(
      `SELECT count(*)::int AS n FROM audit_events WHERE execution_run_id = $1 AND event_type = 'grant.consumed'`,
      [id],
    );
    expect(events.rows[0].n).toBe(1);
  });

  it('one active grant per target: a second approval is SKIP:active_grant_exists until the first is used', async () => {
    const first = await approvedBuild();
    const second = await approvedBuild();
    expect(await outcomes(second)).toEqual(['SKIP:active_grant_exists']);
    expect((await api.get(requester.key, `/api/v1/grants/GBA-${second}`)).status).toBe(404);
    const revoked = await revoke(`GBA-${first}`, { reason: 'superseded' });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ status: 'revoked', revoked_by: approvers[0].id, revoked_reason: 'superseded' });
    const afterRevoke = await consume(`GBA-${first}`);
    expect(afterRevoke.status).toBe(409);
    expect(afterRevoke.body.error.code).toBe('grant_revoked');
    expect((await revoke(`GBA-${first}`, {})).status).toBe(400);
  });

  it('refuses a real commit (FAIL:reject_real_run_commit_not_allowed) and mints nothing', async () => {
    const id = await approvedBuild({ commit: true });
    expect(await outcomes(id)).toEqual(['FAIL:reject_real_run_commit_not_allowed']);
    expect((await pool.query(`SELECT 1 FROM governance_grants WHERE execution_run_id = $1`, [id])).rowCount).toBe(0);
  });

  it('an expired grant is refused with 409 grant_expired', async () => {
    const id = await approvedBuild();
    await asOwnerWithoutTriggers(pool, [
      [`UPDATE governance_grants SET expires_at = granted_at + interval '1 millisecond' WHERE auth_code = $1`, [`GBA-${id}`]],
    ]);
    const response = await consume(`GBA-${id}`);
    expect(response.status).toBe(409);
    expect(response.body.error.code).toBe('grant_expired');
    expect((await api.get(requester.key, `/api/v1/grants/GBA-${id}`)).body.status).toBe('expired');
  });

  it('consumption sits behind the approval gate: after a plan change it is 409 approval_required', async () => {
    const id = await approvedBuild();
    const changed = await api.http
      .put(`/api/v1/execution/run/${id}/plan`)
      .set('Authorization', `Bearer ${requester.key}`)
      .send({ params: buildParams({ step_name: 'other-step' }), targets: [TARGET] });
    expect(changed.body.status).toBe('BLOCKED');
    const refused = await consume(`GBA-${id}`);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'approval_required', details: { reason: 'not_approved' } });
    expect((await api.get(requester.key, `/api/v1/grants/GBA-${id}`)).body.status).toBe('active');
    expect((await revoke(`GBA-${id}`, { reason: 'plan changed' })).status).toBe(200);
  });

  it('the database holds the grant rules: commit never allowed, pairs set together, never deleted', async () => {
    const id = await approvedBuild();
    const code = `GBA-${id}`;
    await expect(pool.query(`UPDATE governance_grants SET commit_allowed = true WHERE auth_code = $1`, [code])).rejects.toThrow(
      /commit_allowed/,
    );
    await expect(
      pool.query(`UPDATE governance_grants SET status = 'consumed', consumed_at = now() WHERE auth_code = $1`, [code]),
    ).rejects.toThrow(/chk_consumed_pair/);
    await expect(
      pool.query(`UPDATE governance_grants SET status = 'revoked', revoked_at = now(), revoked_by = 'x' WHERE auth_code = $1`, [code]),
    ).rejects.toThrow(/chk_revoked_pair/);
    await expect(pool.query(`DELETE FROM governance_grants WHERE auth_code = $1`, [code])).rejects.toThrow(/never deleted/);
    expect((await revoke(code, { reason: 'cleanup' })).status).toBe(200);
    await expect(
      pool.query(
        `UPDATE governance_grants SET status = 'active', revoked_at = NULL, revoked_by = NULL, revoked_reason = NULL WHERE auth_code = $1`,
        [code],
      ),
    ).rejects.toThrow(/illegal grant transition/);
  });

  it('404 for an unknown grant and 400 for a malformed auth code', async () => {
    expect((await api.get(requester.key, '/api/v1/grants/GBA-00000000-0000-4000-8000-000000000000')).status).toBe(404);
    const malformed = await api.get(requester.key, '/api/v1/grants/not-a-code');
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('invalid_auth_code');
  });
});
