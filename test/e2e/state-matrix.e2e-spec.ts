import { expireLaneNow } from '../support/db';
import { uniqueProject, useTestApi } from '../support/api-client';

type Key = { id: string; key: string };
type State = 'pending' | 'deferred' | 'approved' | 'rejected' | 'expired';
type Action = 'approve' | 'reject' | 'defer' | 'reopen' | 'plan';

const STATES: State[] = ['pending', 'deferred', 'approved', 'rejected', 'expired'];

/** Which action may act on a run in which state (HTTP status, and the error code when refused). */
const MATRIX: Record<Action, Record<State, 200 | string>> = {
  approve: {
    pending: 200,
    deferred: 'approval_already_decided',
    approved: 'approval_already_decided',
    rejected: 'approval_already_decided',
    expired: 'approval_expired',
  },
  reject: {
    pending: 200,
    deferred: 'approval_already_decided',
    approved: 'approval_already_decided',
    rejected: 'approval_already_decided',
    expired: 'approval_expired',
  },
  defer: {
    pending: 200,
    deferred: 'approval_already_decided',
    approved: 'approval_already_decided',
    rejected: 'approval_already_decided',
    expired: 'approval_expired',
  },
  reopen: {
    pending: 'approval_not_deferred',
    deferred: 200,
    approved: 'approval_not_deferred',
    rejected: 'approval_not_deferred',
    expired: 'approval_not_deferred',
  },
  plan: { pending: 200, deferred: 200, approved: 200, rejected: 'plan_locked', expired: 'plan_locked' },
};

describe('state matrix: one run in each state, each action, only the target changes', () => {
  const { api, pool } = useTestApi();
  let requester: Key;
  let approver: Key;

  beforeAll(async () => {
    requester = await api.mintKey({ roles: ['requester'] });
    approver = await api.mintKey({ roles: ['approver'] });
  });

  const post = (path: string, body: Record<string, unknown> = {}) =>
    api.http.post(path).set('Authorization', `Bearer ${approver.key}`).send(body);

  async function fixture(project: string, state: State): Promise<string> {
    const created = await api.createRun(requester.key, {
      project_id: project,
      idempotency_key: state,
      action: 'deploy',
      params: { v: 1 },
      targets: ['web-1'],
    });
    const id: string = created.body.execution_id;
    if (state === 'deferred') await api.decide(approver.key, id, 'defer', { reason: 'later' });
    if (state === 'approved') await api.decide(approver.key, id, 'approve');
    if (state === 'rejected') await api.decide(approver.key, id, 'reject', { reason: 'no' });
    if (state === 'expired') {
      await expireLaneNow(pool, id);
      await api.get(requester.key, `/api/v1/execution/run/${id}`);
    }
    return id;
  }

  function act(action: Action, id: string) {
    if (action === 'plan')
      return api.http
        .put(`/api/v1/execution/run/${id}/plan`)
        .set('Authorization', `Bearer ${requester.key}`)
        .send({ params: { v: 2 }, targets: ['web-1'] });
    const body = action === 'reject' || action === 'defer' ? { reason: 'matrix' } : {};
    return action === 'reopen' ? post(`/approvals/${id}/${action}`, body) : api.decide(approver.key, id, action, body);
  }

  const snapshot = async (project: string) =>
    (
      await pool.query(
        `SELECT r.id, r.status, r.blocked_reason, r.version, r.plan_hash,
                coalesce(json_agg(json_build_object('id', a.id, 'status', a.status, 'version', a.version) ORDER BY a.lane), '[]') AS lanes
         FROM execution_runs r LEFT JOIN approvals a ON a.execution_run_id = r.id WHERE r.project_id = $1 GROUP BY r.id ORDER BY r.id`,
        [project],
      )
    ).rows;

  it.each(Object.keys(MATRIX) as Action[])('%s', async (action) => {
    const project = uniqueProject('matrix');
    const ids = Object.fromEntries(
      await Promise.all(STATES.map(async (state) => [state, await fixture(project, state)] as const)),
    ) as Record<State, string>;
    for (const state of STATES) {
      const before = await snapshot(project);
      const response = await act(action, ids[state]);
      const expected = MATRIX[action][state];
      if (expected === 200) expect({ state, status: response.status }).toEqual({ state, status: 200 });
      else expect({ state, status: response.status, code: response.body.error?.code }).toEqual({ state, status: 409, code: expected });
      const after = await snapshot(project);
      const others = (rows: typeof before) => rows.filter((row) => row.id !== ids[state]);
      expect(others(after)).toEqual(others(before));
      const target = (rows: typeof before) => rows.find((row) => row.id === ids[state]);
      if (expected === 200) expect(target(after)).not.toEqual(target(before));
      else expect(target(after)).toEqual(target(before));
    }
  });
});
