import { assertUnreachable, KnownErrorCode, REQUEST_ERROR_STATUS } from '@lib/common';
import { APPROVAL_ERROR_STATUS } from '@lib/approval';
import { EXECUTION_ERROR_STATUS } from '@lib/execution';

import { GRANT_ERROR_STATUS } from '@lib/grants';
import { STATE_MACHINE_ERROR_STATUS } from '@lib/state-machine';
import { DATABASE_ERROR_STATUS } from '@lib/database';
import { NOTIFICATIONS_ERROR_STATUS } from '@lib/notifications';
import { IDENTITY_ERROR_STATUS } from '@lib/identity';
import { POLICY_ERROR_STATUS } from '@lib/policy';
import { RUNNER_ERROR_STATUS } from '@lib/runner';

/**
 * Every error code's HTTP status, as each lib states it beside its codes. KnownErrorCode is the
 * union of every lib's enum (each lib adds its own to ErrorCodeRegistry), so a lib whose table
 * lacks a code, or a lib left out here, fails to compile.
 */
const STATUS: Readonly<Record<KnownErrorCode, number>> = {
  ...REQUEST_ERROR_STATUS,
  ...DATABASE_ERROR_STATUS,
  ...STATE_MACHINE_ERROR_STATUS,
  ...IDENTITY_ERROR_STATUS,
  ...POLICY_ERROR_STATUS,
  ...EXECUTION_ERROR_STATUS,
  ...APPROVAL_ERROR_STATUS,
  ...GRANT_ERROR_STATUS,
  ...NOTIFICATIONS_ERROR_STATUS,
  ...RUNNER_ERROR_STATUS,
};

export function httpStatusOf(code: KnownErrorCode): number {
  return Object.hasOwn(STATUS, code) ? STATUS[code] : assertUnreachable(code as never);
}
