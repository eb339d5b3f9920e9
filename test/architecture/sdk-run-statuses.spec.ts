import { isTerminalRunStatus, TERMINAL_RUN_STATUSES } from '@control-plane/client';
import { PURGEABLE_RUN_STATUSES, RunStatus } from '@lib/execution';

/**
 * The SDK's terminal statuses (where followRun stops) are the server's: the statuses a run never
 * leaves, those retention may purge. The SDK's table names every status of the spec (it does not
 * compile otherwise); this compares the choice with the server's.
 */
describe('the SDK’s terminal run statuses', () => {
  it('are the server’s ended statuses, each status of the server classified the same', () => {
    expect([...TERMINAL_RUN_STATUSES].sort()).toEqual([...PURGEABLE_RUN_STATUSES].sort());
    for (const status of Object.values(RunStatus))
      expect([status, isTerminalRunStatus(status)]).toEqual([status, PURGEABLE_RUN_STATUSES.includes(status)]);
    expect(isTerminalRunStatus('NOT_A_STATUS')).toBe(false);
    expect(isTerminalRunStatus(undefined)).toBe(false);
  });
});
