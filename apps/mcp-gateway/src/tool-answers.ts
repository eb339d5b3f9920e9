import type { components } from '@control-plane/client';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { GatewayConfig } from './gateway-config';

export type Run = components['schemas']['ExecutionRunResponseDto'];

/**
 * What an agent is told, one shape for every answer that is not the tool's own result:
 * `status` says what happened, distinct for each outcome (pending_approval, running, denied,
 * rejected, expired, refused, failed, may_have_run, ...); a run's answers name it.
 */
export interface GatewayAnswer {
  readonly status: string;
  readonly message: string;
  readonly run_id?: string;
  readonly [field: string]: unknown;
}

/** Run statuses after which nothing changes. */
export const FINAL_STATUSES: ReadonlySet<string> = new Set([
  'SUCCEEDED',
  'FAILED',
  'TIMED_OUT',
  'CANCELLED',
  'DEAD_LETTERED',
  'REJECTED',
  'EXPIRED',
  'RECORDED',
]);

/** The outcome a step reports when an earlier attempt was interrupted and the tool is not declared idempotent. */
export const MAY_HAVE_RUN = 'may_have_run';

export function answer(body: GatewayAnswer, isError: boolean): CallToolResult {
  return {
    content: [{ type: 'text', text: JSON.stringify(body) }],
    structuredContent: { ...body },
    isError,
  };
}

export function refused(code: string, message: string, extra: Record<string, unknown> = {}): CallToolResult {
  return answer({ status: 'refused', code, message, ...extra }, true);
}

export function denied(message: string, extra: Record<string, unknown> = {}): CallToolResult {
  return answer({ status: 'denied', message, ...extra }, true);
}

export function unavailable(message: string): CallToolResult {
  return answer({ status: 'unavailable', message: `${message}; nothing was run, try again later` }, true);
}

export function consoleLink(config: Pick<GatewayConfig, 'consoleUrl'>, runId: string): Record<string, string> {
  return config.consoleUrl ? { console_url: config.consoleUrl.replace('{run_id}', encodeURIComponent(runId)) } : {};
}

/** The tool's own result, as the executor stored it in the run (see tool-executor.ts), or null. */
export function storedToolResult(run: Run): CallToolResult | null {
  const result = run.execution?.result as { results?: unknown[] } | null | undefined;
  const first = Array.isArray(result?.results) ? result.results[0] : undefined;
  if (typeof first !== 'object' || first === null || !Array.isArray((first as CallToolResult).content)) return null;
  return first as CallToolResult;
}

/** What a run of a tool call has come to, as the agent is told. */
export function answerForRun(run: Run, config: Pick<GatewayConfig, 'consoleUrl'>): CallToolResult {
  const base = { run_id: run.execution_id, action: run.action, ...consoleLink(config, run.execution_id) };
  const approval = run.approval;
  const quorum = approval ? { approvals_received: approval.approvals_received, approvals_required: approval.required_approvals } : {};
  switch (run.status) {
    case 'BLOCKED':
      return answer(
        {
          status: approval?.status === 'deferred' ? 'deferred' : 'pending_approval',
          message: `Not run: it waits for approval (${approval?.approvals_received ?? 0} of ${approval?.required_approvals ?? '?'}). Call get_approval_status with this run_id to ask again or to wait.`,
          ...base,
          ...quorum,
          expires_at: approval?.expires_at ?? null,
          ...(approval?.deferred_until ? { deferred_until: approval.deferred_until } : {}),
        },
        false,
      );
    case 'RUN':
    case 'CLAIMED':
    case 'RUNNING':
      return answer(
        {
          status: 'running',
          message: 'Approved; the tool is being run. Call get_approval_status with this run_id for its result.',
          ...base,
        },
        false,
      );
    case 'SUCCEEDED': {
      const stored = storedToolResult(run);
      if (!stored) return answer({ status: 'succeeded', message: 'The run succeeded but holds no tool result.', ...base }, false);
      return { ...stored, _meta: { ...(stored._meta ?? {}), 'control-plane/run_id': run.execution_id } };
    }
    case 'REJECTED':
      return answer(
        {
          status: 'rejected',
          message: 'Not run: an approver rejected it.',
          reason: approval?.reason ?? approval?.votes.find((vote) => vote.decision === 'reject')?.reason ?? null,
          ...base,
        },
        true,
      );
    case 'EXPIRED':
      return answer(
        {
          status: 'expired',
          message: 'Not run: nobody approved it before its approval expired.',
          ...base,
          expired_at: approval?.expires_at,
        },
        true,
      );
    case 'FAILED':
      if ((run.execution?.last_error ?? '').includes(MAY_HAVE_RUN)) {
        return answer(
          {
            status: MAY_HAVE_RUN,
            message:
              'The call did not finish (the gateway carrying it out stopped, or the call failed or timed out on its way), and the tool is not declared idempotent: it may have run once. It was not run again; check its effect before asking again.',
            ...base,
          },
          true,
        );
      }
      return answer({ status: 'failed', message: 'The run failed.', error: run.execution?.last_error ?? null, ...base }, true);
    case 'CANCELLED':
    case 'TIMED_OUT': {
      const how = run.status === 'CANCELLED' ? 'cancelled' : 'timed_out';
      // Handed to a gateway: the tool may have been called before the stop reached it.
      if ((run.execution?.attempt ?? 0) > 0) {
        return answer(
          {
            status: MAY_HAVE_RUN,
            ended: how,
            message: `${how === 'cancelled' ? 'Cancelled' : 'Timed out'} while it was being carried out: the tool may have run once. It is not run again; check its effect before asking again.`,
            ...base,
          },
          true,
        );
      }
      return answer({ status: how, message: how === 'cancelled' ? 'Cancelled before it ran.' : 'Timed out before it ran.', ...base }, true);
    }
    case 'DEAD_LETTERED':
      return answer(
        { status: 'dead_lettered', message: 'It failed on every attempt.', error: run.execution?.last_error ?? null, ...base },
        true,
      );
    case 'RECORDED':
      return answer(
        { status: 'recorded', message: 'Recorded only (the action is in record-only mode): the tool was not run.', ...base },
        true,
      );
    default:
      return answer({ status: 'unknown', message: `The run is ${String(run.status)}.`, ...base }, true);
  }
}
