import { CampaignContext, PROBE_PROJECT } from '../campaign-context';
import { pause, progress } from '../progress';
import { probeRecovery } from '../recovery-probe';

export interface PostgresRestartResult {
  readonly postgres_down_seconds: number;
  /** From PostgreSQL being back up until the API was ready and a freshly approved run had been executed; null if it never was. */
  readonly seconds_to_recover: number | null;
  readonly seconds_to_ready: number | null;
}

/**
 * Stops the embedded PostgreSQL under load (a fast shutdown: every connection is cut), keeps
 * it down for a few seconds, starts it again, and measures how long the stack takes to work
 * again. The outage clock marks the windows in which 503s are expected.
 */
export async function restartPostgres(context: CampaignContext, recoveryTimeoutMs: number): Promise<PostgresRestartResult> {
  const { stack, outage, config } = context;
  progress(`fault: stop PostgreSQL for ${config.postgresDownS} s`);
  outage.stopRequested();
  stack.database.markDown();
  await stack.postgres.stop();
  const stoppedAt = Date.now();
  outage.stopped(stoppedAt);
  await pause(config.postgresDownS * 1000);
  outage.startRequested();
  await stack.postgres.start();
  const upAt = Date.now();
  stack.database.markUp();
  progress(`  PostgreSQL is back after ${((upAt - stoppedAt) / 1000).toFixed(1)} s down; waiting for the stack to recover`);
  const recovery = await probeRecovery({
    baseUrl: stack.baseUrl,
    api: context.probeApi,
    requesterKey: context.keys.requester,
    approverKey: context.keys.approver,
    projectId: PROBE_PROJECT,
    probeName: `probe-${upAt}`,
    timeoutMs: recoveryTimeoutMs,
  });
  outage.recovered(recovery?.executedAt ?? Date.now());
  const result = {
    postgres_down_seconds: (upAt - stoppedAt) / 1000,
    seconds_to_recover: recovery ? (recovery.executedAt - upAt) / 1000 : null,
    seconds_to_ready: recovery ? (recovery.readyAt - upAt) / 1000 : null,
  };
  progress(
    recovery
      ? `  recovered ${result.seconds_to_recover?.toFixed(2)} s after PostgreSQL came back (ready after ${result.seconds_to_ready?.toFixed(2)} s)`
      : `  NOT recovered within ${recoveryTimeoutMs / 1000} s`,
  );
  return result;
}
