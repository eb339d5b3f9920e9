import type { components } from './schema';

/** A run's status, as the API names it. */
export type RunStatus = components['schemas']['ExecutionRunResponseDto']['status'];

/**
 * Whether a run in each status has ended for good. Every status the spec names is here, so a
 * status added to the API does not compile until it is placed. A dead-lettered run has not
 * ended: it may be re-driven. The server's list is the same (a test compares them).
 */
const ENDED = {
  BLOCKED: false,
  RUN: false,
  CLAIMED: false,
  RUNNING: false,
  DEAD_LETTERED: false,
  SUCCEEDED: true,
  FAILED: true,
  TIMED_OUT: true,
  CANCELLED: true,
  REJECTED: true,
  EXPIRED: true,
  RECORDED: true,
} as const satisfies { readonly [S in RunStatus]: boolean };

/** A status a run never leaves. */
export type TerminalRunStatus = { [S in RunStatus]: (typeof ENDED)[S] extends true ? S : never }[RunStatus];

export function isTerminalRunStatus(status: unknown): status is TerminalRunStatus {
  return typeof status === 'string' && Object.prototype.hasOwnProperty.call(ENDED, status) && ENDED[status as RunStatus];
}

/** The statuses a run never leaves: SUCCEEDED, FAILED, TIMED_OUT, CANCELLED, REJECTED, EXPIRED, RECORDED. */
export const TERMINAL_RUN_STATUSES: readonly TerminalRunStatus[] = Object.keys(ENDED).filter(isTerminalRunStatus);
