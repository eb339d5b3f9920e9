import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertProductBuilt, CleanupStack } from '@tools/harness';
import { readChaosConfig } from './chaos-config';
import { ChaosOutcome, offendersOf, problemsOf, renderJson, renderSummary } from './chaos-report';
import { runCampaign } from './campaign';
import { errorText, progress } from './progress';

/**
 * `npm run chaos`: the fault campaign. Starts a stack of its own (an embedded PostgreSQL, the
 * API, two workers), puts it under load, kills a worker mid-run, kills the API, restarts
 * PostgreSQL, fuzzes every documented operation, then checks in PostgreSQL that nothing
 * acknowledged was lost and no finished step ran twice. Progress goes to stderr; stdout gets a
 * short summary and, as its last line, one JSON object. Exit 1 when something was found.
 */

async function main(): Promise<number> {
  const config = readChaosConfig(process.env);
  assertProductBuilt('npm run chaos does');
  const cleanup = new CleanupStack();
  const logDir = mkdtempSync(join(tmpdir(), 'cp-chaos-logs-'));
  let keepLogs = config.keepLogs;
  let interrupted = false;
  onInterrupt(cleanup, () => {
    interrupted = true;
    return () => (keepLogs ? undefined : rmSync(logDir, { recursive: true, force: true }));
  });
  progress(`budget ${config.totalS} s, seed ${config.seed}; logs in ${logDir}`);
  try {
    const outcome = await runCampaign({ config, cleanup, logDir, interrupted: () => interrupted });
    const problems = problemsOf({ ...outcome, logDir: null });
    keepLogs ||= problems.length > 0;
    const reported: ChaosOutcome = { ...outcome, logDir: keepLogs ? logDir : null };
    for (const line of offendersOf(reported)) progress(line);
    process.stdout.write(renderSummary(reported, problems));
    process.stdout.write(renderJson(reported, problems));
    return problems.length > 0 ? 1 : 0;
  } catch (error) {
    // A campaign that broke down keeps its logs; one stopped by Ctrl-C breaks down on purpose.
    keepLogs ||= !interrupted;
    throw error;
  } finally {
    progress('cleaning up');
    await cleanup.runAll(progress);
    if (keepLogs) progress(`logs kept in ${logDir}`);
    else rmSync(logDir, { recursive: true, force: true });
  }
}

/**
 * Ctrl-C still stops every process and the database and removes the temp directories.
 * `begin` marks the campaign interrupted (so the processes Ctrl-C also reached are not taken
 * for crashes) and answers what to do once the cleanup is done.
 */
function onInterrupt(cleanup: CleanupStack, begin: () => () => void): void {
  const stop = (signal: NodeJS.Signals): void => {
    const finish = begin();
    progress(`${signal}: cleaning up`);
    void cleanup
      .runAll(progress)
      .then(finish)
      .finally(() => process.exit(130));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`chaos failed: ${error instanceof Error ? (error.stack ?? error.message) : errorText(error)}\n`);
    process.exit(2);
  },
);
