import { answersReady } from '@tools/harness';
import { ApiCaller } from './api-caller';
import { pause } from './progress';

const POLL_MS = 100;
const RUN_ROUTE = '/api/v1/execution/run';

/**
 * How long after a fault the stack does its job again: /health/ready answers 200, and a run
 * created and approved after the fault is carried out by a worker. Resolves with the moment
 * both held, or null when they did not within `timeoutMs`.
 */
export async function probeRecovery(input: {
  baseUrl: string;
  api: ApiCaller;
  requesterKey: string;
  approverKey: string;
  projectId: string;
  probeName: string;
  timeoutMs: number;
}): Promise<{ readyAt: number; executedAt: number } | null> {
  const deadline = Date.now() + input.timeoutMs;
  let readyAt: number | null = null;
  while (readyAt === null) {
    if (Date.now() > deadline) return null;
    if (await answersReady(input.baseUrl)) readyAt = Date.now();
    else await pause(POLL_MS);
  }
  const executionId = await untilDeadline(deadline, () => createProbeRun(input));
  if (executionId === null) return null;
  const approved = await untilDeadline(deadline, () => approveProbeRun(input, executionId));
  if (approved === null) return null;
  const executed = await untilDeadline(deadline, () => probeRunSucceeded(input, executionId));
  return executed === null ? null : { readyAt, executedAt: Date.now() };
}

async function createProbeRun(input: {
  api: ApiCaller;
  requesterKey: string;
  projectId: string;
  probeName: string;
}): Promise<string | null> {
  const reply = await input.api.send({
    method: 'POST',
    path: RUN_ROUTE,
    route: RUN_ROUTE,
    key: input.requesterKey,
    body: {
      project_id: input.projectId,
      idempotency_key: input.probeName,
      action: 'ops.sleep',
      params: { ms: 1 },
      targets: [input.probeName],
    },
  });
  const id = reply?.body.execution_id;
  return (reply?.status === 201 || reply?.status === 200) && typeof id === 'string' ? id : null;
}

async function approveProbeRun(input: { api: ApiCaller; approverKey: string }, executionId: string): Promise<true | null> {
  const reply = await input.api.send({
    method: 'POST',
    path: `/approvals/${executionId}/approve`,
    route: '/approvals/{execution_id}/approve',
    key: input.approverKey,
    body: { reason: 'chaos recovery probe' },
  });
  if (reply?.status === 200) return true;
  // An earlier attempt landed but its answer was lost.
  const code = (reply?.body.error as { code?: unknown } | undefined)?.code;
  return reply?.status === 409 && (code === 'already_voted' || code === 'approval_already_decided') ? true : null;
}

async function probeRunSucceeded(input: { api: ApiCaller; requesterKey: string }, executionId: string): Promise<true | null> {
  const reply = await input.api.send({
    method: 'GET',
    path: `${RUN_ROUTE}/${executionId}`,
    route: `${RUN_ROUTE}/{execution_id}`,
    key: input.requesterKey,
  });
  return reply?.status === 200 && reply.body.status === 'SUCCEEDED' ? true : null;
}

async function untilDeadline<T>(deadline: number, attempt: () => Promise<T | null>): Promise<T | null> {
  while (Date.now() <= deadline) {
    const value = await attempt();
    if (value !== null) return value;
    await pause(POLL_MS);
  }
  return null;
}
