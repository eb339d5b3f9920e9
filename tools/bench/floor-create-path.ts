import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { PoolClient } from 'pg';
import { computeFingerprint, normalizeTargets } from '@lib/execution';
import { ActionType, DEFAULT_POLICY_FILE, loadPolicyFile } from '@lib/policy';
import { AuditEventType, canonicalEvent, chainKeyOf, ChainedEventFields } from '@lib/audit';
import { BENCH_ACTION, BENCH_PARAMS, BENCH_PROJECT, BENCH_TARGETS } from './run-request';

/*
 * The API's create path, statement for statement, for a level-2 action (`deploy`):
 *   ExecutionRunService.create   -> INSERT execution_runs ... ON CONFLICT DO NOTHING RETURNING *
 *   ApprovalLaneService.openLane -> INSERT approvals (next lane) RETURNING *
 *   AuditService (before commit) -> SELECT audit_append(run.created, approval.requested), each linked into the run's chain
 * all in one transaction. When that path changes, change this file: the parity check in
 * floor-parity.ts reports a floor that no longer writes what the API writes.
 */
const INSERT_RUN = `INSERT INTO execution_runs (project_id, idempotency_key, action, params, targets, fingerprint, plan_hash, approval_level, policy_hash,
                                     status, blocked_reason, requested_by, max_attempts, sla_class, requested_via)
         VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8, 'BLOCKED', 'approval_pending', $9, $10, $11, 'api_key:' || $9)
         ON CONFLICT (project_id, idempotency_key) DO NOTHING
         RETURNING *`;
const APPEND_AUDIT = `SELECT audit_append($1::jsonb)`;
const INSERT_LANE = `INSERT INTO approvals (execution_run_id, lane, status, plan_hash, policy_hash, required_approvals, expires_at)
       SELECT $1, coalesce(max(lane), 0) + 1, 'pending', $2, $3, $4, now() + make_interval(secs => $5)
       FROM approvals WHERE execution_run_id = $1
       RETURNING *`;

interface RunRow {
  id: string;
  project_id: string;
  action: string;
  idempotency_key: string;
  plan_hash: string;
}

interface LaneRow {
  id: string;
  lane: number;
  plan_hash: string;
  policy_hash: string | null;
  required_approvals: number;
  expires_at: Date;
}

/** Everything that is the same for every floor transaction, worked out once. */
export interface FloorPlan {
  readonly actor: string;
  readonly actionType: ActionType;
  readonly policyHash: string;
  readonly fingerprint: string;
  readonly targets: string[];
}

export function makeFloorPlan(input: { repoRoot: string; actor: string }): FloorPlan {
  // The API child runs with the repository as its working directory and reads the same file.
  const policy = loadPolicyFile(resolve(input.repoRoot, process.env.POLICY_FILE ?? DEFAULT_POLICY_FILE));
  const actionType = policy.actionTypes.find((candidate) => candidate.code === BENCH_ACTION);
  if (!actionType) throw new Error(`the policy has no action type "${BENCH_ACTION}"`);
  if (actionType.approvalLevel === 0)
    throw new Error(`"${BENCH_ACTION}" is auto-approved (level 0); the floor mirrors the blocked path only`);
  const targets = normalizeTargets(BENCH_TARGETS);
  // The API computes this per request; the body never changes here, so once is the same value.
  const fingerprint = computeFingerprint({ action: BENCH_ACTION, params: BENCH_PARAMS, targets });
  return { actor: input.actor, actionType, policyHash: policy.hash, fingerprint, targets };
}

/** The statements between BEGIN and COMMIT of one create. */
export async function createRunStatements(client: PoolClient, plan: FloorPlan, idempotencyKey: string): Promise<void> {
  const requestId = randomUUID();
  const inserted = await client.query<RunRow>(INSERT_RUN, [
    BENCH_PROJECT,
    idempotencyKey,
    BENCH_ACTION,
    JSON.stringify(BENCH_PARAMS),
    JSON.stringify(plan.targets),
    plan.fingerprint,
    plan.actionType.approvalLevel,
    plan.policyHash,
    plan.actor,
    plan.actionType.maxAttempts,
    plan.actionType.slaClass,
  ]);
  if (inserted.rows.length !== 1) throw new Error(`idempotency key ${idempotencyKey} was already taken`);
  const run = inserted.rows[0];
  const created = auditEvent({
    type: AuditEventType.RunCreated,
    actor: plan.actor,
    requestId,
    run,
    data: {
      action: run.action,
      fingerprint: plan.fingerprint,
      idempotency_key: run.idempotency_key,
      targets: plan.targets,
      approval_level: plan.actionType.approvalLevel,
      policy_hash: plan.policyHash,
    },
  });
  const {
    rows: [lane],
  } = await client.query<LaneRow>(INSERT_LANE, [
    run.id,
    run.plan_hash,
    plan.policyHash,
    plan.actionType.requiredApprovals,
    plan.actionType.approvalTtlSeconds,
  ]);
  const requested = auditEvent({
    type: AuditEventType.ApprovalRequested,
    actor: plan.actor,
    requestId,
    run,
    data: {
      approval_id: lane.id,
      lane: lane.lane,
      plan_hash: lane.plan_hash,
      policy_hash: lane.policy_hash,
      required_approvals: lane.required_approvals,
      expires_at: lane.expires_at.toISOString(),
    },
  });
  await client.query(APPEND_AUDIT, [JSON.stringify([created, requested])]);
}

function auditEvent(input: {
  type: AuditEventType;
  actor: string;
  requestId: string;
  run: RunRow;
  data: Record<string, unknown>;
}): Record<string, unknown> {
  const fields: ChainedEventFields = {
    event_id: randomUUID(),
    event_type: input.type,
    actor: input.actor,
    // The API's requester is the key's principal, which shares the key's id.
    actor_credential: `api_key:${input.actor}`,
    request_id: input.requestId,
    project_id: input.run.project_id,
    execution_run_id: input.run.id,
    data: input.data,
    occurred_at: new Date().toISOString(),
  };
  return { ...fields, chain_key: chainKeyOf({ executionRunId: input.run.id }), canonical: canonicalEvent(fields) };
}
