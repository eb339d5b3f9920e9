import { Pool } from 'pg';
import { CleanupStack, mintKey, REPO_ROOT } from '@tools/harness';
import { AckLedger } from './ack-ledger';
import { apiLogFor } from './api-log';
import { ApiCaller } from './api-caller';
import { verifyAuditChains } from './audit-chains';
import { CampaignContext, PROBE_PROJECT } from './campaign-context';
import { ChaosConfig } from './chaos-config';
import { ChaosOutcome } from './chaos-report';
import { startChaosStack } from './chaos-stack';
import { killApi } from './faults/api-kill';
import { restartPostgres } from './faults/postgres-restart';
import { killWorkerMidRun } from './faults/worker-kill';
import { runFuzz } from './fuzz/fuzz-campaign';
import { prepareFuzzFixtures } from './fuzz/fuzz-fixtures';
import { readOperations } from './fuzz/openapi-operations';
import { HttpRecorder } from './http-recorder';
import { checkInvariants } from './invariant-checks';
import { LOAD_PROJECTS, LoadGenerator } from './load-generator';
import { OutageClock } from './outage-clock';
import { pause, progress } from './progress';
import { waitUntilSettled } from './settle';

/** Every project the campaign writes to starts with this. */
const CAMPAIGN_PROJECTS = 'chaos-%';
/** However short the budget, the stack gets this long to come back after PostgreSQL does. */
const MIN_RECOVERY_MS = 30_000;

/** The campaign, phase after phase, with the load running from the first fault to the end of the fuzz. */
export async function runCampaign(input: {
  config: ChaosConfig;
  cleanup: CleanupStack;
  logDir: string;
  interrupted: () => boolean;
}): Promise<Omit<ChaosOutcome, 'logDir'>> {
  const { config, cleanup } = input;
  const started = Date.now();
  const { phases } = config;
  const stack = await startChaosStack({
    cleanup,
    logDir: input.logDir,
    workerCount: config.workers,
    interrupted: input.interrupted,
  });
  const pool = new Pool({ connectionString: stack.databaseUrl, max: 3 });
  // Idle connections die with the PostgreSQL restart; the pool replaces them, nothing to report.
  pool.on('error', () => undefined);
  cleanup.defer('close the campaign pool', () => pool.end());

  const outage = new OutageClock();
  const recorder = new HttpRecorder(outage);
  const loadProjects = [...LOAD_PROJECTS, PROBE_PROJECT];
  const requester = await mintKey({
    baseUrl: stack.baseUrl,
    adminKey: stack.adminKey,
    name: 'chaos-requester',
    roles: ['requester'],
    projectIds: loadProjects,
  });
  const approver = await mintKey({
    baseUrl: stack.baseUrl,
    adminKey: stack.adminKey,
    name: 'chaos-approver',
    roles: ['approver'],
    projectIds: loadProjects,
  });
  const keys = { requester: requester.key, approver: approver.key };
  const context: CampaignContext = {
    config,
    stack,
    pool,
    recorder,
    outage,
    keys,
    probeApi: new ApiCaller(stack.baseUrl, recorder, 'probe'),
  };

  const ledger = new AckLedger();
  const load = new LoadGenerator({
    api: new ApiCaller(stack.baseUrl, recorder, 'load'),
    keys,
    ledger,
    actors: config.loadActors,
    seed: config.seed,
    paceMs: config.loadPaceMs,
  });
  progress(`load: ${config.loadActors} actors; ${phases.warmupS} s before the first fault`);
  load.start();
  cleanup.defer('stop the load', () => load.stop());
  await pause(phases.warmupS * 1000);

  const phase = async <T>(fault: () => Promise<T>): Promise<T> => {
    const phaseEnd = Date.now() + phases.faultS * 1000;
    const result = await fault();
    await pause(Math.max(2_000, phaseEnd - Date.now()));
    return result;
  };
  const workerKill = await phase(() => killWorkerMidRun(context, (phases.faultS * 1000) / 2));
  const apiKill = await phase(() => killApi(context));
  const postgres = await phase(() => restartPostgres(context, Math.max(MIN_RECOVERY_MS, phases.faultS * 1000)));

  const { operations, schemas } = readOperations(REPO_ROOT);
  const foreignRun = [...ledger.creates.values()].find((create) => create.action === 'ops.noop');
  if (!foreignRun) throw new Error('the load acknowledged no ops.noop run to aim the fuzzer at');
  const fixtures = await prepareFuzzFixtures({
    baseUrl: stack.baseUrl,
    adminKey: stack.adminKey,
    api: new ApiCaller(stack.baseUrl, recorder, 'fuzz'),
    foreignKey: keys.requester,
    foreignRunId: foreignRun.executionId,
  });
  const fuzz = await runFuzz({
    baseUrl: stack.baseUrl,
    operations,
    schemas,
    fixtures,
    perOperation: config.fuzzPerOperation,
    seed: config.seed,
    deadline: Date.now() + phases.fuzzS * 1000,
    recorder,
  });
  progress(
    `fuzz: ${fuzz.fuzz_requests} sent, ${fuzz.fuzz_5xx} 5xx, ${fuzz.fuzz_no_answer} without answer, ${fuzz.fuzz_skipped} skipped for time`,
  );

  progress('stopping the load; waiting for every approved run to end');
  await load.stop();
  await Promise.all([stack.api, ...stack.workers].map((role) => role.settled()));
  const unsettled = await waitUntilSettled(pool, CAMPAIGN_PROJECTS, phases.settleS * 1000);
  progress(`checking: ${ledger.creates.size} acknowledged creates, ${ledger.approvals.size} acknowledged approvals`);
  const invariants = await checkInvariants(pool, ledger, CAMPAIGN_PROJECTS);
  const { rows } = await pool.query<{ count: number }>(
    `SELECT count(*)::int AS count FROM execution_runs WHERE id = ANY($1::uuid[]) AND status <> 'SUCCEEDED'`,
    [workerKill.runs_interrupted],
  );
  progress('verifying the audit hash chains');
  const audit = await verifyAuditChains(stack.databaseUrl);
  const samples5xx = recorder.samples5xx.map((sample) =>
    sample.request_id ? { ...sample, api_log: apiLogFor(stack.apiLogFile, sample.request_id) } : sample,
  );
  return {
    seed: config.seed,
    durationS: (Date.now() - started) / 1000,
    recorder,
    ledger,
    crashes: stack.crashes.crashes,
    workerKill,
    interruptedNotSucceeded: rows[0].count,
    apiKill,
    postgres,
    fuzz,
    unsettled,
    invariants,
    audit,
    samples5xx,
  };
}
