import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Action types only the suite knows, added to the shipped policy for a test run. Execution modes
 * are global (every project), and the test files share one database and run side by side: a
 * spec that switches a mode switches it for an action no other spec requests.
 */
export const FIXTURE_ACTION_TYPES = [
  {
    code: 'fixture.record_only',
    description: 'Switched to record_only by the execution-modes spec. Level 1.',
    approval_level: 1,
    required_approvals: 1,
    approver_roles: ['approver', 'admin'],
    approval_ttl_seconds: 3600,
    allowed_scopes: { targets: ['*'] },
    mints_grant: false,
    handler: 'sleep',
  },
  {
    code: 'fixture.disabled',
    description: 'Switched to disabled by the execution-modes spec. Level 0.',
    approval_level: 0,
    required_approvals: 0,
    approver_roles: [],
    approval_ttl_seconds: 3600,
    allowed_scopes: { targets: ['*'] },
    mints_grant: false,
    handler: 'noop',
  },
];

/** Writes the shipped policy plus the fixtures into `dir`; returns the file. */
export function writeTestPolicy(repoRoot: string, dir: string): string {
  const shipped = JSON.parse(readFileSync(join(repoRoot, 'policies', 'action-types.json'), 'utf8')) as { action_types: unknown[] };
  const file = join(dir, 'test-policy.json');
  writeFileSync(file, JSON.stringify({ ...shipped, action_types: [...shipped.action_types, ...FIXTURE_ACTION_TYPES] }, null, 2));
  return file;
}
