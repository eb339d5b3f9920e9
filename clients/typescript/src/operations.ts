// Made by `npm run sdk` from openapi.json (scripts/sdk/generate-operations.ts). Do not edit.
import type { FetchResponse, MaybeOptionalInit } from 'openapi-fetch';
import type { ClientPaths, ControlPlaneClient } from './client';

/** The options of one operation (path, query, header parameters and body), as openapi-fetch takes them. */
export type OperationInit<P extends keyof ClientPaths, M extends keyof ClientPaths[P] & string> = MaybeOptionalInit<ClientPaths[P], M>;

/**
 * What one operation answers: `data` for a declared success, or `error` for a failure (its declared
 * body, or an UndeclaredErrorBody), and the response. `if (error) throw …` leaves `data` defined.
 */
export type OperationResult<P extends keyof ClientPaths, M extends keyof ClientPaths[P] & string> = FetchResponse<
  ClientPaths[P][M] & Record<string | number, unknown>,
  OperationInit<P, M>,
  `${string}/${string}`
>;

/** GET /health/live: The process is up */
export function getLiveness(
  client: ControlPlaneClient,
  init: OperationInit<'/health/live', 'get'>,
): Promise<OperationResult<'/health/live', 'get'>> {
  return client.GET('/health/live', init as never) as Promise<OperationResult<'/health/live', 'get'>>;
}

/** GET /health/ready: The database answers */
export function getReadiness(
  client: ControlPlaneClient,
  init: OperationInit<'/health/ready', 'get'>,
): Promise<OperationResult<'/health/ready', 'get'>> {
  return client.GET('/health/ready', init as never) as Promise<OperationResult<'/health/ready', 'get'>>;
}

/** GET /api/v1/api-keys: API keys in the caller's scope (an admin's), or the caller's own; newest first, never with their secret */
export function listApiKeys(
  client: ControlPlaneClient,
  init: OperationInit<'/api/v1/api-keys', 'get'>,
): Promise<OperationResult<'/api/v1/api-keys', 'get'>> {
  return client.GET('/api/v1/api-keys', init as never) as Promise<OperationResult<'/api/v1/api-keys', 'get'>>;
}

/** POST /api/v1/api-keys: Mint an API key. The key is returned once. */
export function mintApiKey(
  client: ControlPlaneClient,
  init: OperationInit<'/api/v1/api-keys', 'post'>,
): Promise<OperationResult<'/api/v1/api-keys', 'post'>> {
  return client.POST('/api/v1/api-keys', init as never) as Promise<OperationResult<'/api/v1/api-keys', 'post'>>;
}

/** POST /api/v1/api-keys/{id}/revoke: Revoke an API key, with a reason: refused at once by every instance and worker */
export function revokeApiKey(
  client: ControlPlaneClient,
  init: OperationInit<'/api/v1/api-keys/{id}/revoke', 'post'>,
): Promise<OperationResult<'/api/v1/api-keys/{id}/revoke', 'post'>> {
  return client.POST('/api/v1/api-keys/{id}/revoke', init as never) as Promise<OperationResult<'/api/v1/api-keys/{id}/revoke', 'post'>>;
}

/** GET /api/v1/principals/me: Who the caller is: its principal, roles and scopes as this credential allows them */
export function getCurrentPrincipal(
  client: ControlPlaneClient,
  init: OperationInit<'/api/v1/principals/me', 'get'>,
): Promise<OperationResult<'/api/v1/principals/me', 'get'>> {
  return client.GET('/api/v1/principals/me', init as never) as Promise<OperationResult<'/api/v1/principals/me', 'get'>>;
}

/** GET /api/v1/principals/{id}: A principal: its role grants, whether its votes count, whether it is disabled */
export function getPrincipal(
  client: ControlPlaneClient,
  init: OperationInit<'/api/v1/principals/{id}', 'get'>,
): Promise<OperationResult<'/api/v1/principals/{id}', 'get'>> {
  return client.GET('/api/v1/principals/{id}', init as never) as Promise<OperationResult<'/api/v1/principals/{id}', 'get'>>;
}

/** POST /api/v1/principals/{id}/disable: Disable a principal, with a reason: every credential of it is refused at the next request, on every instance */
export function disablePrincipal(
  client: ControlPlaneClient,
  init: OperationInit<'/api/v1/principals/{id}/disable', 'post'>,
): Promise<OperationResult<'/api/v1/principals/{id}/disable', 'post'>> {
  return client.POST('/api/v1/principals/{id}/disable', init as never) as Promise<OperationResult<'/api/v1/principals/{id}/disable', 'post'>>;
}

/** POST /api/v1/principals/{id}/enable: Enable a disabled principal again, with a reason */
export function enablePrincipal(
  client: ControlPlaneClient,
  init: OperationInit<'/api/v1/principals/{id}/enable', 'post'>,
): Promise<OperationResult<'/api/v1/principals/{id}/enable', 'post'>> {
  return client.POST('/api/v1/principals/{id}/enable', init as never) as Promise<OperationResult<'/api/v1/principals/{id}/enable', 'post'>>;
}

/** PUT /api/v1/principals/{id}/service-approver: Mark a service principal as an approver whose votes count, or unmark it (an admin of every project), with a reason */
export function setServiceApprover(
  client: ControlPlaneClient,
  init: OperationInit<'/api/v1/principals/{id}/service-approver', 'put'>,
): Promise<OperationResult<'/api/v1/principals/{id}/service-approver', 'put'>> {
  return client.PUT('/api/v1/principals/{id}/service-approver', init as never) as Promise<OperationResult<'/api/v1/principals/{id}/service-approver', 'put'>>;
}

/** GET /api/v1/governance/action-types: The action types of the loaded policy */
export function listActionTypes(
  client: ControlPlaneClient,
  init: OperationInit<'/api/v1/governance/action-types', 'get'>,
): Promise<OperationResult<'/api/v1/governance/action-types', 'get'>> {
  return client.GET('/api/v1/governance/action-types', init as never) as Promise<OperationResult<'/api/v1/governance/action-types', 'get'>>;
}

/** GET /api/v1/audit/events: Audit events filtered by project, run, type, actor and time; keyset pages, oldest first */
export function listAuditEvents(
  client: ControlPlaneClient,
  init: OperationInit<'/api/v1/audit/events', 'get'>,
): Promise<OperationResult<'/api/v1/audit/events', 'get'>> {
  return client.GET('/api/v1/audit/events', init as never) as Promise<OperationResult<'/api/v1/audit/events', 'get'>>;
}

/** GET /api/v1/audit/verify: Recompute a run's audit hash chain and report the first broken link */
export function verifyAuditChain(
  client: ControlPlaneClient,
  init: OperationInit<'/api/v1/audit/verify', 'get'>,
): Promise<OperationResult<'/api/v1/audit/verify', 'get'>> {
  return client.GET('/api/v1/audit/verify', init as never) as Promise<OperationResult<'/api/v1/audit/verify', 'get'>>;
}

/** GET /api/v1/governance/metrics: Approval lifecycle counters (requested, approved, rejected, deferred, expired, invalidated), from the audit trail */
export function getApprovalCounters(
  client: ControlPlaneClient,
  init: OperationInit<'/api/v1/governance/metrics', 'get'>,
): Promise<OperationResult<'/api/v1/governance/metrics', 'get'>> {
  return client.GET('/api/v1/governance/metrics', init as never) as Promise<OperationResult<'/api/v1/governance/metrics', 'get'>>;
}

/** GET /api/v1/governance/execution-modes: Execution modes: the switches made, and the mode each action type runs in now */
export function listExecutionModes(
  client: ControlPlaneClient,
  init: OperationInit<'/api/v1/governance/execution-modes', 'get'>,
): Promise<OperationResult<'/api/v1/governance/execution-modes', 'get'>> {
  return client.GET('/api/v1/governance/execution-modes', init as never) as Promise<OperationResult<'/api/v1/governance/execution-modes', 'get'>>;
}

/** PUT /api/v1/governance/execution-modes/actions/{action}: Switch an action type's execution mode (admin scoped to all projects), audited */
export function setActionExecutionMode(
  client: ControlPlaneClient,
  init: OperationInit<'/api/v1/governance/execution-modes/actions/{action}', 'put'>,
): Promise<OperationResult<'/api/v1/governance/execution-modes/actions/{action}', 'put'>> {
  return client.PUT('/api/v1/governance/execution-modes/actions/{action}', init as never) as Promise<OperationResult<'/api/v1/governance/execution-modes/actions/{action}', 'put'>>;
}

/** PUT /api/v1/governance/execution-modes/levels/{level}: Switch an approval level's execution mode (admin scoped to all projects), audited */
export function setLevelExecutionMode(
  client: ControlPlaneClient,
  init: OperationInit<'/api/v1/governance/execution-modes/levels/{level}', 'put'>,
): Promise<OperationResult<'/api/v1/governance/execution-modes/levels/{level}', 'put'>> {
  return client.PUT('/api/v1/governance/execution-modes/levels/{level}', init as never) as Promise<OperationResult<'/api/v1/governance/execution-modes/levels/{level}', 'put'>>;
}

/** GET /api/v1/grants/{auth_code}: Read a build authorization */
export function getGrant(
  client: ControlPlaneClient,
  init: OperationInit<'/api/v1/grants/{auth_code}', 'get'>,
): Promise<OperationResult<'/api/v1/grants/{auth_code}', 'get'>> {
  return client.GET('/api/v1/grants/{auth_code}', init as never) as Promise<OperationResult<'/api/v1/grants/{auth_code}', 'get'>>;
}

/** POST /api/v1/grants/{auth_code}/consume: Use the grant, once. Guarded by the approval gate: the run's approval must still be approved, unexpired and for its plan. */
export function consumeGrant(
  client: ControlPlaneClient,
  init: OperationInit<'/api/v1/grants/{auth_code}/consume', 'post'>,
): Promise<OperationResult<'/api/v1/grants/{auth_code}/consume', 'post'>> {
  return client.POST('/api/v1/grants/{auth_code}/consume', init as never) as Promise<OperationResult<'/api/v1/grants/{auth_code}/consume', 'post'>>;
}

/** POST /api/v1/grants/{auth_code}/revoke: Revoke an active grant, with a reason */
export function revokeGrant(
  client: ControlPlaneClient,
  init: OperationInit<'/api/v1/grants/{auth_code}/revoke', 'post'>,
): Promise<OperationResult<'/api/v1/grants/{auth_code}/revoke', 'post'>> {
  return client.POST('/api/v1/grants/{auth_code}/revoke', init as never) as Promise<OperationResult<'/api/v1/grants/{auth_code}/revoke', 'post'>>;
}

/** POST /api/v1/execution/run: Create a run once per (project_id, idempotency_key). It starts BLOCKED / approval_pending. */
export function createRun(
  client: ControlPlaneClient,
  init: OperationInit<'/api/v1/execution/run', 'post'>,
): Promise<OperationResult<'/api/v1/execution/run', 'post'>> {
  return client.POST('/api/v1/execution/run', init as never) as Promise<OperationResult<'/api/v1/execution/run', 'post'>>;
}

/** GET /api/v1/execution/run/by_key: Find a run by its idempotency key */
export function getRunByKey(
  client: ControlPlaneClient,
  init: OperationInit<'/api/v1/execution/run/by_key', 'get'>,
): Promise<OperationResult<'/api/v1/execution/run/by_key', 'get'>> {
  return client.GET('/api/v1/execution/run/by_key', init as never) as Promise<OperationResult<'/api/v1/execution/run/by_key', 'get'>>;
}

/** GET /api/v1/execution/run/{execution_id}: Read a run and its approval */
export function getRun(
  client: ControlPlaneClient,
  init: OperationInit<'/api/v1/execution/run/{execution_id}', 'get'>,
): Promise<OperationResult<'/api/v1/execution/run/{execution_id}', 'get'>> {
  return client.GET('/api/v1/execution/run/{execution_id}', init as never) as Promise<OperationResult<'/api/v1/execution/run/{execution_id}', 'get'>>;
}

/** GET /api/v1/execution/run/{execution_id}/events: The run's audit trail, oldest first; `after` and `wait` make it a long-poll (the fallback for the stream) */
export function listRunEvents(
  client: ControlPlaneClient,
  init: OperationInit<'/api/v1/execution/run/{execution_id}/events', 'get'>,
): Promise<OperationResult<'/api/v1/execution/run/{execution_id}/events', 'get'>> {
  return client.GET('/api/v1/execution/run/{execution_id}/events', init as never) as Promise<OperationResult<'/api/v1/execution/run/{execution_id}/events', 'get'>>;
}

/** POST /api/v1/execution/run/{execution_id}/cancel: Cancel a run; the answer says where the cancel stands */
export function cancelRun(
  client: ControlPlaneClient,
  init: OperationInit<'/api/v1/execution/run/{execution_id}/cancel', 'post'>,
): Promise<OperationResult<'/api/v1/execution/run/{execution_id}/cancel', 'post'>> {
  return client.POST('/api/v1/execution/run/{execution_id}/cancel', init as never) as Promise<OperationResult<'/api/v1/execution/run/{execution_id}/cancel', 'post'>>;
}

/** GET /api/v1/execution/run/{execution_id}/stream: Server-sent events of the run's audit trail as it is committed; resumes after Last-Event-ID */
export function streamRunEvents(
  client: ControlPlaneClient,
  init: OperationInit<'/api/v1/execution/run/{execution_id}/stream', 'get'>,
): Promise<OperationResult<'/api/v1/execution/run/{execution_id}/stream', 'get'>> {
  return client.GET('/api/v1/execution/run/{execution_id}/stream', init as never) as Promise<OperationResult<'/api/v1/execution/run/{execution_id}/stream', 'get'>>;
}

/** GET /api/v1/execution/runs: Search runs in the caller’s projects */
export function searchRuns(
  client: ControlPlaneClient,
  init: OperationInit<'/api/v1/execution/runs', 'get'>,
): Promise<OperationResult<'/api/v1/execution/runs', 'get'>> {
  return client.GET('/api/v1/execution/runs', init as never) as Promise<OperationResult<'/api/v1/execution/runs', 'get'>>;
}

/** GET /api/v1/execution/run/{execution_id}/review: A run as its reviewer sees it: whether the caller may decide it and why not, who else may, who everyone is, what changed */
export function getRunReview(
  client: ControlPlaneClient,
  init: OperationInit<'/api/v1/execution/run/{execution_id}/review', 'get'>,
): Promise<OperationResult<'/api/v1/execution/run/{execution_id}/review', 'get'>> {
  return client.GET('/api/v1/execution/run/{execution_id}/review', init as never) as Promise<OperationResult<'/api/v1/execution/run/{execution_id}/review', 'get'>>;
}

/** PUT /api/v1/execution/run/{execution_id}/plan: Replace a waiting run's params and targets (its requester, or one who may decide it). A different plan invalidates the current approval and opens a new one. */
export function replaceRunPlan(
  client: ControlPlaneClient,
  init: OperationInit<'/api/v1/execution/run/{execution_id}/plan', 'put'>,
): Promise<OperationResult<'/api/v1/execution/run/{execution_id}/plan', 'put'>> {
  return client.PUT('/api/v1/execution/run/{execution_id}/plan', init as never) as Promise<OperationResult<'/api/v1/execution/run/{execution_id}/plan', 'put'>>;
}

/** POST /approvals/{execution_id}/approve: Vote to approve. At the quorum the approval becomes approved and the run moves to RUN. */
export function approveRun(
  client: ControlPlaneClient,
  init: OperationInit<'/approvals/{execution_id}/approve', 'post'>,
): Promise<OperationResult<'/approvals/{execution_id}/approve', 'post'>> {
  return client.POST('/approvals/{execution_id}/approve', init as never) as Promise<OperationResult<'/approvals/{execution_id}/approve', 'post'>>;
}

/** POST /approvals/{execution_id}/reject: Reject with a reason (a veto): the approval is rejected and the run moves to REJECTED */
export function rejectRun(
  client: ControlPlaneClient,
  init: OperationInit<'/approvals/{execution_id}/reject', 'post'>,
): Promise<OperationResult<'/approvals/{execution_id}/reject', 'post'>> {
  return client.POST('/approvals/{execution_id}/reject', init as never) as Promise<OperationResult<'/approvals/{execution_id}/reject', 'post'>>;
}

/** POST /approvals/{execution_id}/defer: Defer with a reason: the approval is deferred, the run stays BLOCKED / approval_deferred */
export function deferRun(
  client: ControlPlaneClient,
  init: OperationInit<'/approvals/{execution_id}/defer', 'post'>,
): Promise<OperationResult<'/approvals/{execution_id}/defer', 'post'>> {
  return client.POST('/approvals/{execution_id}/defer', init as never) as Promise<OperationResult<'/approvals/{execution_id}/defer', 'post'>>;
}

/** POST /approvals/{execution_id}/reopen: Reopen a deferred approval: a new pending lane, with a fresh expiry and no votes */
export function reopenRun(
  client: ControlPlaneClient,
  init: OperationInit<'/approvals/{execution_id}/reopen', 'post'>,
): Promise<OperationResult<'/approvals/{execution_id}/reopen', 'post'>> {
  return client.POST('/approvals/{execution_id}/reopen', init as never) as Promise<OperationResult<'/approvals/{execution_id}/reopen', 'post'>>;
}

/** GET /api/v1/approvals/inbox: Runs waiting for the caller’s decision */
export function listMyInbox(
  client: ControlPlaneClient,
  init: OperationInit<'/api/v1/approvals/inbox', 'get'>,
): Promise<OperationResult<'/api/v1/approvals/inbox', 'get'>> {
  return client.GET('/api/v1/approvals/inbox', init as never) as Promise<OperationResult<'/api/v1/approvals/inbox', 'get'>>;
}

/** GET /api/v1/approvals/pending: Runs waiting for a decision, in the caller’s projects */
export function listPendingApprovals(
  client: ControlPlaneClient,
  init: OperationInit<'/api/v1/approvals/pending', 'get'>,
): Promise<OperationResult<'/api/v1/approvals/pending', 'get'>> {
  return client.GET('/api/v1/approvals/pending', init as never) as Promise<OperationResult<'/api/v1/approvals/pending', 'get'>>;
}

/** GET /api/v1/execution/dlq: Runs that spent max_attempts, with their last error */
export function listDeadLetters(
  client: ControlPlaneClient,
  init: OperationInit<'/api/v1/execution/dlq', 'get'>,
): Promise<OperationResult<'/api/v1/execution/dlq', 'get'>> {
  return client.GET('/api/v1/execution/dlq', init as never) as Promise<OperationResult<'/api/v1/execution/dlq', 'get'>>;
}

/** POST /api/v1/execution/dlq/{id}/retry: Re-drive a dead-lettered run (admin): back to the queue with a fresh budget of attempts */
export function redriveDeadLetter(
  client: ControlPlaneClient,
  init: OperationInit<'/api/v1/execution/dlq/{id}/retry', 'post'>,
): Promise<OperationResult<'/api/v1/execution/dlq/{id}/retry', 'post'>> {
  return client.POST('/api/v1/execution/dlq/{id}/retry', init as never) as Promise<OperationResult<'/api/v1/execution/dlq/{id}/retry', 'post'>>;
}

/** POST /api/v1/execution/retention/purge: Purge runs that ended long enough ago (admin) */
export function purgeRuns(
  client: ControlPlaneClient,
  init: OperationInit<'/api/v1/execution/retention/purge', 'post'>,
): Promise<OperationResult<'/api/v1/execution/retention/purge', 'post'>> {
  return client.POST('/api/v1/execution/retention/purge', init as never) as Promise<OperationResult<'/api/v1/execution/retention/purge', 'post'>>;
}

/** GET /metrics: Prometheus metrics of this API process, and the gauges read from PostgreSQL */
export function getMetrics(
  client: ControlPlaneClient,
  init: OperationInit<'/metrics', 'get'>,
): Promise<OperationResult<'/metrics', 'get'>> {
  return client.GET('/metrics', init as never) as Promise<OperationResult<'/metrics', 'get'>>;
}

/** GET /api/v1/projects/{project_id}/webhooks: The project's webhook subscriptions (admin of the project), never with their secret */
export function listWebhooks(
  client: ControlPlaneClient,
  init: OperationInit<'/api/v1/projects/{project_id}/webhooks', 'get'>,
): Promise<OperationResult<'/api/v1/projects/{project_id}/webhooks', 'get'>> {
  return client.GET('/api/v1/projects/{project_id}/webhooks', init as never) as Promise<OperationResult<'/api/v1/projects/{project_id}/webhooks', 'get'>>;
}

/** POST /api/v1/projects/{project_id}/webhooks: Subscribe a URL to a project's events (admin of the project); the signing secret is returned once */
export function createWebhook(
  client: ControlPlaneClient,
  init: OperationInit<'/api/v1/projects/{project_id}/webhooks', 'post'>,
): Promise<OperationResult<'/api/v1/projects/{project_id}/webhooks', 'post'>> {
  return client.POST('/api/v1/projects/{project_id}/webhooks', init as never) as Promise<OperationResult<'/api/v1/projects/{project_id}/webhooks', 'post'>>;
}

/** GET /api/v1/projects/{project_id}/webhooks/{webhook_id}: One webhook subscription, without its secret */
export function getWebhook(
  client: ControlPlaneClient,
  init: OperationInit<'/api/v1/projects/{project_id}/webhooks/{webhook_id}', 'get'>,
): Promise<OperationResult<'/api/v1/projects/{project_id}/webhooks/{webhook_id}', 'get'>> {
  return client.GET('/api/v1/projects/{project_id}/webhooks/{webhook_id}', init as never) as Promise<OperationResult<'/api/v1/projects/{project_id}/webhooks/{webhook_id}', 'get'>>;
}

/** PATCH /api/v1/projects/{project_id}/webhooks/{webhook_id}: Change the URL, the event types, the description, or disable / enable (audited) */
export function updateWebhook(
  client: ControlPlaneClient,
  init: OperationInit<'/api/v1/projects/{project_id}/webhooks/{webhook_id}', 'patch'>,
): Promise<OperationResult<'/api/v1/projects/{project_id}/webhooks/{webhook_id}', 'patch'>> {
  return client.PATCH('/api/v1/projects/{project_id}/webhooks/{webhook_id}', init as never) as Promise<OperationResult<'/api/v1/projects/{project_id}/webhooks/{webhook_id}', 'patch'>>;
}

/** POST /api/v1/projects/{project_id}/webhooks/{webhook_id}/rotate-secret: A new signing secret, returned once; the one it replaces keeps signing beside it for grace_seconds */
export function rotateWebhookSecret(
  client: ControlPlaneClient,
  init: OperationInit<'/api/v1/projects/{project_id}/webhooks/{webhook_id}/rotate-secret', 'post'>,
): Promise<OperationResult<'/api/v1/projects/{project_id}/webhooks/{webhook_id}/rotate-secret', 'post'>> {
  return client.POST('/api/v1/projects/{project_id}/webhooks/{webhook_id}/rotate-secret', init as never) as Promise<OperationResult<'/api/v1/projects/{project_id}/webhooks/{webhook_id}/rotate-secret', 'post'>>;
}

/** GET /api/v1/projects/{project_id}/webhooks/{webhook_id}/deliveries: A subscription's deliveries, newest first: status, attempts, the last answer */
export function listWebhookDeliveries(
  client: ControlPlaneClient,
  init: OperationInit<'/api/v1/projects/{project_id}/webhooks/{webhook_id}/deliveries', 'get'>,
): Promise<OperationResult<'/api/v1/projects/{project_id}/webhooks/{webhook_id}/deliveries', 'get'>> {
  return client.GET('/api/v1/projects/{project_id}/webhooks/{webhook_id}/deliveries', init as never) as Promise<OperationResult<'/api/v1/projects/{project_id}/webhooks/{webhook_id}/deliveries', 'get'>>;
}

/** POST /api/v1/projects/{project_id}/webhooks/{webhook_id}/deliveries/{delivery_id}/redrive: Send a dead delivery again (audited), with its attempts counted afresh and the same delivery id */
export function redriveWebhookDelivery(
  client: ControlPlaneClient,
  init: OperationInit<'/api/v1/projects/{project_id}/webhooks/{webhook_id}/deliveries/{delivery_id}/redrive', 'post'>,
): Promise<OperationResult<'/api/v1/projects/{project_id}/webhooks/{webhook_id}/deliveries/{delivery_id}/redrive', 'post'>> {
  return client.POST('/api/v1/projects/{project_id}/webhooks/{webhook_id}/deliveries/{delivery_id}/redrive', init as never) as Promise<OperationResult<'/api/v1/projects/{project_id}/webhooks/{webhook_id}/deliveries/{delivery_id}/redrive', 'post'>>;
}

/** POST /api/v1/workers/claims: Claim approved runs of the remote actions this worker carries out (long-poll) */
export function claimRuns(
  client: ControlPlaneClient,
  init: OperationInit<'/api/v1/workers/claims', 'post'>,
): Promise<OperationResult<'/api/v1/workers/claims', 'post'>> {
  return client.POST('/api/v1/workers/claims', init as never) as Promise<OperationResult<'/api/v1/workers/claims', 'post'>>;
}

/** POST /api/v1/workers/runs/{id}/heartbeat: Renew a run's lease; told to stop when it was cancelled or timed out */
export function heartbeatRun(
  client: ControlPlaneClient,
  init: OperationInit<'/api/v1/workers/runs/{id}/heartbeat', 'post'>,
): Promise<OperationResult<'/api/v1/workers/runs/{id}/heartbeat', 'post'>> {
  return client.POST('/api/v1/workers/runs/{id}/heartbeat', init as never) as Promise<OperationResult<'/api/v1/workers/runs/{id}/heartbeat', 'post'>>;
}

/** POST /api/v1/workers/runs/{id}/progress: Progress of the running step, on the run's event stream */
export function reportRunProgress(
  client: ControlPlaneClient,
  init: OperationInit<'/api/v1/workers/runs/{id}/progress', 'post'>,
): Promise<OperationResult<'/api/v1/workers/runs/{id}/progress', 'post'>> {
  return client.POST('/api/v1/workers/runs/{id}/progress', init as never) as Promise<OperationResult<'/api/v1/workers/runs/{id}/progress', 'post'>>;
}

/** POST /api/v1/workers/runs/{id}/steps/{index}/result: A step's result: OK, SKIP:<reason> or FAIL:<detail> with a result, or a retryable error */
export function reportStepResult(
  client: ControlPlaneClient,
  init: OperationInit<'/api/v1/workers/runs/{id}/steps/{index}/result', 'post'>,
): Promise<OperationResult<'/api/v1/workers/runs/{id}/steps/{index}/result', 'post'>> {
  return client.POST('/api/v1/workers/runs/{id}/steps/{index}/result', init as never) as Promise<OperationResult<'/api/v1/workers/runs/{id}/steps/{index}/result', 'post'>>;
}
