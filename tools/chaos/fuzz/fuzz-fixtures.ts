import { mintKey } from '@tools/harness';
import { ApiCaller } from '../api-caller';

export const FUZZ_PROJECT = 'chaos-fuzz';

/** The fuzzer's own keys and rows, in a project of its own so it cannot disturb the load's runs. */
export interface FuzzFixtures {
  readonly keys: { readonly admin: string; readonly requester: string; readonly approver: string };
  /** A key of the load's projects: with the fuzzer's ids, a request across projects. */
  readonly foreignKey: string;
  /** A run of the fuzz project waiting for approval, with its plan hash. */
  readonly blockedRunId: string;
  readonly planHash: string;
  /** A run of the load's projects: the fuzzer's keys must not reach it. */
  readonly foreignRunId: string;
  /** A build grant minted in the fuzz project (GBA-…), or a well-formed code that names none. */
  readonly grantCode: string;
}

/**
 * Mints the fuzzer's keys (an admin narrowed to the fuzz project, so a fuzzed purge or key
 * mint cannot reach the load's runs) and makes a few rows to aim at.
 */
export async function prepareFuzzFixtures(input: {
  baseUrl: string;
  adminKey: string;
  api: ApiCaller;
  foreignKey: string;
  foreignRunId: string;
}): Promise<FuzzFixtures> {
  const scoped = (name: string, roles: string[]) =>
    mintKey({ baseUrl: input.baseUrl, adminKey: input.adminKey, name, roles, projectIds: [FUZZ_PROJECT] });
  const admin = await scoped('chaos-fuzz-admin', ['admin']);
  const requester = await scoped('chaos-fuzz-requester', ['requester']);
  const approver = await scoped('chaos-fuzz-approver', ['approver']);
  const secondApprover = await scoped('chaos-fuzz-approver-2', ['approver']);
  const blocked = await createRun(input.api, requester.key, {
    project_id: FUZZ_PROJECT,
    idempotency_key: 'fuzz-fixture-blocked',
    action: 'ops.sleep',
    params: { ms: 1 },
    targets: ['fuzz-a', 'fuzz-b'],
  });
  const grantRun = await createRun(input.api, requester.key, {
    project_id: FUZZ_PROJECT,
    idempotency_key: 'fuzz-fixture-grant',
    action: 'governance.authorize_build_step',
    params: { namespace: 'DRYRUN-NS', rollback_plan_ref: 'DOT_C1_ROLLBACK_CHECK', plan_ref: 'chaos-fuzz-plan', step_name: 'vocab-build' },
    targets: ['DOT_C1_VOCAB_BUILD'],
  });
  for (const key of [approver.key, secondApprover.key]) {
    await input.api.send({
      method: 'POST',
      path: `/approvals/${grantRun.id}/approve`,
      route: '/approvals/{execution_id}/approve',
      key,
      body: { plan_hash: grantRun.planHash, reason: 'fuzz fixture' },
    });
  }
  return {
    keys: { admin: admin.key, requester: requester.key, approver: approver.key },
    foreignKey: input.foreignKey,
    blockedRunId: blocked.id,
    planHash: blocked.planHash,
    foreignRunId: input.foreignRunId,
    grantCode: `GBA-${grantRun.id}`,
  };
}

async function createRun(api: ApiCaller, key: string, body: Record<string, unknown>): Promise<{ id: string; planHash: string }> {
  const reply = await api.send({ method: 'POST', path: '/api/v1/execution/run', route: '/api/v1/execution/run', key, body });
  const id = reply?.body.execution_id;
  const planHash = reply?.body.plan_hash;
  if (typeof id !== 'string' || typeof planHash !== 'string') {
    throw new Error(`creating a fuzz fixture answered ${reply?.status ?? 'nothing'}: ${JSON.stringify(reply?.body).slice(0, 300)}`);
  }
  return { id, planHash };
}
