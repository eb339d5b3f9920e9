import { join } from 'node:path';

/**
 * Action types only the suite knows (test/support/fixture-action-types.json), added to the
 * shipped policy for a test run. Execution modes are global (every project), and the test files
 * share one database and run side by side: a spec that switches a mode switches it for an action
 * no other spec requests. scripts/write-test-policy.js writes the file; a server the suite
 * reaches over HTTP is started with the same (scripts/e2e-against-server.sh).
 */
export function writeTestPolicy(dir: string): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const script = require(join(__dirname, '..', '..', 'scripts', 'write-test-policy.js')) as { writeTestPolicy(file: string): string };
  return script.writeTestPolicy(join(dir, 'test-policy.json'));
}
