import { ApprovalScenarioResult } from './approval-scenario';
import { DrainResult, WorkerScenarioResult } from './worker-scenario';
import { RemoteDrain, RemoteWorkerScenarioResult } from './remote-worker-scenario';
import { McpScenarioResult } from './mcp-scenario';
import { GraphileResult } from './graphile-peer';
import { StreamScenarioResult } from './stream-scenario';
import { FloorResult } from './floor';
import { ScenarioResult } from './load-scenario';
import { WebhookScenarioResult } from './webhook-scenario';

export interface BenchReport {
  /** The API's own figures; null with `--scenario worker`. */
  readonly api: {
    readonly scenarios: readonly ScenarioResult[];
    /** Create, then a quorum of two votes, per flow. */
    readonly approval: ApprovalScenarioResult;
    /** Commit to server-sent event latency. */
    readonly stream: StreamScenarioResult;
    readonly floor: FloorResult;
    /** Where the floor's writes differ from the API's create path; empty when they match. */
    readonly floorDrift: readonly string[];
  } | null;
  /** Create throughput with webhook receivers down vs none; null with `--scenario worker`. */
  readonly webhooks: WebhookScenarioResult | null;
  /** Approved noop runs drained by two worker processes. */
  readonly worker: WorkerScenarioResult;
  /** Approved remote no-op runs drained by SDK workers over the worker protocol, in the same run. */
  readonly remote: RemoteWorkerScenarioResult;
  /** An agent's tool calls through the MCP gateway, one at a time, beside the same call straight to the upstream. */
  readonly mcp: McpScenarioResult;
  /** graphile-worker 0.17.3 on the same PostgreSQL, unbatched and batched. */
  readonly graphile: GraphileResult;
  readonly graphileBatched: GraphileResult;
  readonly peakRssMb: number;
  readonly connections: number;
  readonly durationS: number;
}

const TARGET_CREATE_SHARE_OF_FLOOR = 0.7;
const TARGET_SHARE_OF_GRAPHILE = 0.25;
const TARGET_LARGE_BACKLOG_SHARE = 0.9;
const TARGET_IDLE_CLAIM_P50_MS = 10;
/** Issue 18: remote workers over HTTP drain at least half the in-process worker's rate; claim-to-start p50 under 20 ms when idle. */
const TARGET_REMOTE_SHARE = 0.5;
const TARGET_REMOTE_IDLE_CLAIM_P50_MS = 20;
const TARGET_P99_MS = 50;
const TARGET_PEAK_RSS_MB = 200;

/** The human-readable part: the table, anything that went wrong, and the targets. */
export function renderReport(report: BenchReport): string {
  const lines = [
    ...(report.api ? renderApi(report.api, report) : []),
    ...(report.webhooks ? renderWebhooks(report.webhooks) : []),
    ...renderWorker(report),
    ...renderProblems(report),
    'targets',
    ...renderTargets(report),
  ];
  return `${lines.join('\n')}\n`;
}

function renderApi(api: NonNullable<BenchReport['api']>, report: BenchReport): string[] {
  return [
    `API scenarios: ${report.connections} connections, ${report.durationS} s each`,
    '',
    ...renderTable(api.scenarios),
    '',
    `floor_create_tps   ${fmt(api.floor.tps)}   (pg, ${report.connections} loops, ${api.floor.committed} committed, ${api.floor.failed} failed;` +
      ` p50/p95/p99 ${fmt(api.floor.p50Ms)}/${fmt(api.floor.p95Ms)}/${fmt(api.floor.p99Ms)} ms)`,
    `create_vs_floor    ${fmt(createVsFloor(report))}`,
    `peak_rss_mb        ${fmt(report.peakRssMb)}`,
    '',
    `approval (create + 2 votes, quorum 2): ${fmt(api.approval.flowsPerS)} flows/s (${api.approval.flows} flows, ${api.approval.failures} failed)`,
    `  create p50/p95/p99 ${fmt(api.approval.create[50])}/${fmt(api.approval.create[95])}/${fmt(api.approval.create[99])} ms;` +
      ` vote p50/p95/p99 ${fmt(api.approval.vote[50])}/${fmt(api.approval.vote[95])}/${fmt(api.approval.vote[99])} ms`,
    ...(api.approval.firstFailure ? [`  first failure: ${api.approval.firstFailure}`] : []),
    '',
    `stream (approve request sent -> SSE event at the client, an upper bound on commit -> client, ${api.stream.samples} samples):` +
      ` p50/p99 ${fmt(api.stream.latency[50])}/${fmt(api.stream.latency[99])} ms (target < 100 ms)`,
    '',
  ];
}

function renderWorker(report: BenchReport): string[] {
  const { worker, graphile, graphileBatched } = report;
  const drain = (label: string, result: DrainResult | null): string =>
    result
      ? `  ${label.padEnd(8)} ${String(result.runs).padStart(6)} runs in ${fmt(result.drainS)} s = ${fmt(result.runsPerS)} runs/s,` +
        ` ${fmt(result.commitsPerRun)} commits/run, ${result.failed} not succeeded`
      : `  ${label.padEnd(8)} skipped`;
  return [
    'worker: approved no-op runs drained by 2 worker processes x 4',
    drain('small', worker.small),
    drain('main', worker.main),
    drain('large', worker.large),
    `  claim latency (approval commit -> step start): backlog p50/p99 ${fmt(worker.backlogClaim[50])}/${fmt(worker.backlogClaim[99])} ms;` +
      ` idle workers p50/p99 ${fmt(worker.idleClaim[50])}/${fmt(worker.idleClaim[99])} ms`,
    'remote: approved no-op runs drained by SDK workers (createWorker) over the worker protocol, through the API',
    remoteDrain(report.remote.sameShape, worker.main.runsPerS),
    remoteDrain(report.remote.wide, worker.main.runsPerS),
    `  claim latency, idle remote workers (approval commit -> step start) p50/p99 ${fmt(report.remote.idleClaim[50])}/${fmt(report.remote.idleClaim[99])} ms`,
    `mcp: an agent's tool calls through the MCP gateway (stdio), ${report.mcp.calls} one at a time`,
    `  straight to the upstream p50/p99 ${fmt(report.mcp.directMs[50])}/${fmt(report.mcp.directMs[99])} ms;` +
      ` through the gateway at level 0 (a run made, carried out, read back) ${fmt(report.mcp.allowedMs[50])}/${fmt(report.mcp.allowedMs[99])} ms`,
    `  a gated call's pending answer p50/p99 ${fmt(report.mcp.pendingMs[50])}/${fmt(report.mcp.pendingMs[99])} ms;` +
      ` approval -> the agent reads the result ${fmt(report.mcp.approvalToResultMs[50])}/${fmt(report.mcp.approvalToResultMs[99])} ms`,
    `graphile-worker 0.17.3, same PostgreSQL, ${graphile.jobs} no-op jobs, 2 processes x 4:`,
    `  unbatched ${fmt(graphile.jobsPerS)} jobs/s (${fmt(graphile.commitsPerJob)} commits/job); batched ${fmt(graphileBatched.jobsPerS)} jobs/s` +
      ` (${fmt(graphileBatched.commitsPerJob)} commits/job)`,
    `  worker_vs_graphile ${fmt(worker.main.runsPerS / graphile.jobsPerS)}`,
    ...(worker.largeBacklogClaimPlan
      ? [`the claim (4 runs) with the large backlog queued, EXPLAIN (ANALYZE, BUFFERS), rolled back:`, worker.largeBacklogClaimPlan.text]
      : []),
    '',
  ];
}

function remoteDrain(result: RemoteDrain, inProcessRunsPerS: number): string {
  return (
    `  ${result.processes} x ${String(result.concurrency).padEnd(3)} ${String(result.runs).padStart(6)} runs in ${fmt(result.drainS)} s = ${fmt(result.runsPerS)} runs/s,` +
    ` ${fmt((result.runsPerS / inProcessRunsPerS) * 100)}% of the in-process worker, ${result.failed} not succeeded`
  );
}

/** The machine-readable part: one JSON object, meant to be the last line of stdout. */
export function renderJson(report: BenchReport): string {
  const { api, worker, graphile, graphileBatched } = report;
  const scenario = (name: string): Record<string, number> => {
    const found = api?.scenarios.find((result) => result.name === name);
    if (!found) return {};
    return { rps: round2(found.rps), p50_ms: round2(found.p50Ms), p95_ms: round2(found.p95Ms), p99_ms: round2(found.p99Ms) };
  };
  return `${JSON.stringify({
    worker_runs_per_s: round2(worker.main.runsPerS),
    graphile_jobs_per_s: round2(graphile.jobsPerS),
    graphile_batched_jobs_per_s: round2(graphileBatched.jobsPerS),
    worker_vs_graphile: round2(worker.main.runsPerS / graphile.jobsPerS),
    drain_1k_per_s: round2(worker.small.runsPerS),
    drain_50k_per_s: worker.large ? round2(worker.large.runsPerS) : null,
    drain_50k_vs_1k: worker.large ? round2(worker.large.runsPerS / worker.small.runsPerS) : null,
    commits_per_run: round2(worker.main.commitsPerRun),
    graphile_commits_per_job: round2(graphile.commitsPerJob),
    claim_p50_ms: round2(worker.idleClaim[50]),
    claim_p99_ms: round2(worker.idleClaim[99]),
    backlog_claim_p50_ms: round2(worker.backlogClaim[50]),
    claim_explain_50k_ms: worker.largeBacklogClaimPlan ? round2(worker.largeBacklogClaimPlan.executionMs) : null,
    remote_runs_per_s: round2(report.remote.sameShape.runsPerS),
    remote_vs_in_process: round2(report.remote.sameShape.runsPerS / worker.main.runsPerS),
    remote_wide_runs_per_s: round2(report.remote.wide.runsPerS),
    remote_wide_vs_in_process: round2(report.remote.wide.runsPerS / worker.main.runsPerS),
    remote_claim_p50_ms: round2(report.remote.idleClaim[50]),
    remote_claim_p99_ms: round2(report.remote.idleClaim[99]),
    mcp_direct_p50_ms: round2(report.mcp.directMs[50]),
    mcp_allowed_p50_ms: round2(report.mcp.allowedMs[50]),
    mcp_allowed_p99_ms: round2(report.mcp.allowedMs[99]),
    mcp_pending_p50_ms: round2(report.mcp.pendingMs[50]),
    mcp_approval_to_result_p50_ms: round2(report.mcp.approvalToResultMs[50]),
    mcp_approval_to_result_p99_ms: round2(report.mcp.approvalToResultMs[99]),
    ...(api
      ? {
          create: scenario('create'),
          dedup: scenario('dedup'),
          get: scenario('get'),
          floor_create_tps: round2(api.floor.tps),
          create_vs_floor: round2(createVsFloor(report)),
          peak_rss_mb: round2(report.peakRssMb),
          stream: { p50_ms: round2(api.stream.latency[50]), p99_ms: round2(api.stream.latency[99]) },
          ...(report.webhooks ? { webhooks: webhooksJson(report.webhooks) } : {}),
          approval: {
            flows_per_s: round2(api.approval.flowsPerS),
            create_p99_ms: round2(api.approval.create[99]),
            vote_p50_ms: round2(api.approval.vote[50]),
            vote_p95_ms: round2(api.approval.vote[95]),
            vote_p99_ms: round2(api.approval.vote[99]),
          },
        }
      : {}),
  })}\n`;
}

export function webhooksJson(result: WebhookScenarioResult): Record<string, number> {
  return {
    create_rps_none: round2((result.noneBefore.rps + result.noneAfter.rps) / 2),
    create_rps_dead_receivers: round2((result.dead.rps + result.deadAgain.rps) / 2),
    create_rps_healthy_receiver: round2(result.healthy.rps),
    dead_vs_none: round2(result.deadVsNone),
    dead_vs_healthy: round2(result.deadVsHealthy),
    create_p99_none_ms: round2(Math.max(result.noneBefore.p99Ms, result.noneAfter.p99Ms)),
    create_p99_healthy_receiver_ms: round2(result.healthy.p99Ms),
    create_p99_dead_receivers_ms: round2(Math.max(result.dead.p99Ms, result.deadAgain.p99Ms)),
    subscriptions: result.subscriptions,
    deliveries_queued: result.deliveriesQueued,
    delivery_attempts: result.attempts,
  };
}

/** The webhook comparison's lines of the report. */
export function renderWebhooks(result: WebhookScenarioResult): string[] {
  const row = (name: string, scenario: ScenarioResult) =>
    `  ${name.padEnd(34)} ${scenario.rps.toFixed(1).padStart(8)} req/s  p99 ${scenario.p99Ms.toFixed(1).padStart(7)} ms  unexpected ${scenario.unexpectedStatus + scenario.errors}`;
  return [
    'Webhooks: create with receivers down vs none (same run)',
    row('no subscription', result.noneBefore),
    row(`${result.subscriptions} subscriptions, receivers down`, result.dead),
    row('no subscription, again', result.noneAfter),
    row(`${result.subscriptions} subscriptions, receivers down, again`, result.deadAgain),
    row(`${result.subscriptions} subscriptions, receiver answering`, result.healthy),
    `  dead/none ${result.deadVsNone.toFixed(2)}, dead/healthy ${result.deadVsHealthy.toFixed(2)}; ${result.deliveriesQueued} deliveries queued to the dead ones, ${result.attempts} attempts made meanwhile`,
    '',
  ];
}

/** True when some response or transaction was not the expected one: the numbers then measure something else. */
export function hasProblems(report: BenchReport): boolean {
  const { api, worker } = report;
  const drainFailed = [worker.small, worker.main, worker.large, report.remote.sameShape, report.remote.wide].some(
    (result) => (result?.failed ?? 0) > 0,
  );
  const webhookProblems =
    report.webhooks !== null &&
    [report.webhooks.noneBefore, report.webhooks.healthy, report.webhooks.dead, report.webhooks.deadAgain, report.webhooks.noneAfter].some(
      (result) => problemsOf(result).length > 0,
    );
  return (
    drainFailed ||
    webhookProblems ||
    (api !== null &&
      (api.floor.failed > 0 ||
        api.floorDrift.length > 0 ||
        api.approval.failures > 0 ||
        api.scenarios.some((result) => problemsOf(result).length > 0)))
  );
}

function renderTable(scenarios: readonly ScenarioResult[]): string[] {
  const header = ['scenario', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'non-2xx', 'errors', 'API CPU'];
  const rows = scenarios.map((result) => [
    result.name,
    fmt(result.rps),
    fmt(result.p50Ms),
    fmt(result.p95Ms),
    fmt(result.p99Ms),
    String(result.non2xx),
    String(result.errors),
    result.apiCpuCores === null ? 'n/a' : `${fmt(result.apiCpuCores)} cores`,
  ]);
  const widths = header.map((_, column) => Math.max(...[header, ...rows].map((row) => row[column].length)));
  const line = (cells: string[]): string =>
    cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  ');
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)];
}

function renderProblems(report: BenchReport): string[] {
  const { api, worker } = report;
  const lines = (api?.scenarios ?? []).flatMap((result) => problemsOf(result).map((problem) => `!! ${result.name}: ${problem}`));
  if (api && api.floor.failed > 0)
    lines.push(`!! floor: ${api.floor.failed} transactions failed (first: ${api.floor.firstError ?? 'unknown'})`);
  for (const drift of api?.floorDrift ?? [])
    lines.push(`!! floor does not mirror the API's create path (update tools/bench/floor-create-path.ts): ${drift}`);
  for (const result of [worker.small, worker.main, worker.large, report.remote.sameShape, report.remote.wide])
    if (result && result.failed > 0) lines.push(`!! worker: ${result.failed} of ${result.runs} runs did not succeed`);
  return lines.length === 0 ? [] : ['PROBLEMS (these results are not a clean measurement)', ...lines, ''];
}

function problemsOf(result: ScenarioResult): string[] {
  const problems: string[] = [];
  if (result.non2xx > 0 || result.unexpectedStatus > 0) {
    const byStatus = Object.entries(result.statusCounts)
      .filter(([code]) => code !== String(result.expectedStatus))
      .map(([code, count]) => `${code}: ${count}`);
    problems.push(
      `${result.unexpectedStatus} of ${result.responses} responses were not ${result.expectedStatus} (${byStatus.join(', ')}); non-2xx: ${result.non2xx}`,
    );
  }
  if (result.errors > 0) problems.push(`${result.errors} request errors, ${result.timeouts} of them timeouts`);
  if (result.mismatches > 0) problems.push(`${result.mismatches} response bodies were not the expected ones`);
  if (result.responses === 0) problems.push('no responses at all');
  return problems;
}

function renderTargets(report: BenchReport): string[] {
  const { api, worker, graphile } = report;
  const share = worker.main.runsPerS / graphile.jobsPerS;
  const largeShare = worker.large ? worker.large.runsPerS / worker.small.runsPerS : Number.NaN;
  const targets: [string, boolean, string][] = [
    [`drain >= ${TARGET_SHARE_OF_GRAPHILE * 100}% of graphile-worker unbatched`, share >= TARGET_SHARE_OF_GRAPHILE, `${fmt(share * 100)}%`],
    [
      `drain at the large backlog >= ${TARGET_LARGE_BACKLOG_SHARE * 100}% of the small`,
      largeShare >= TARGET_LARGE_BACKLOG_SHARE,
      `${fmt(largeShare * 100)}%`,
    ],
    [`idle claim p50 < ${TARGET_IDLE_CLAIM_P50_MS} ms`, worker.idleClaim[50] < TARGET_IDLE_CLAIM_P50_MS, `${fmt(worker.idleClaim[50])} ms`],
    [
      `remote drain (2 x 4) >= ${TARGET_REMOTE_SHARE * 100}% of in-process`,
      report.remote.sameShape.runsPerS / worker.main.runsPerS >= TARGET_REMOTE_SHARE,
      `${fmt((report.remote.sameShape.runsPerS / worker.main.runsPerS) * 100)}%`,
    ],
    [
      `remote idle claim p50 < ${TARGET_REMOTE_IDLE_CLAIM_P50_MS} ms`,
      report.remote.idleClaim[50] < TARGET_REMOTE_IDLE_CLAIM_P50_MS,
      `${fmt(report.remote.idleClaim[50])} ms`,
    ],
  ];
  if (api) {
    const ratio = createVsFloor(report);
    targets.push(
      [`create >= ${TARGET_CREATE_SHARE_OF_FLOOR * 100}% of floor`, ratio >= TARGET_CREATE_SHARE_OF_FLOOR, `${fmt(ratio * 100)}%`],
      ...api.scenarios.map((result): [string, boolean, string] => [
        `p99 < ${TARGET_P99_MS} ms (${result.name})`,
        result.p99Ms < TARGET_P99_MS,
        `${fmt(result.p99Ms)} ms`,
      ]),
      [`peak RSS < ${TARGET_PEAK_RSS_MB} MB`, report.peakRssMb < TARGET_PEAK_RSS_MB, `${fmt(report.peakRssMb)} MB`],
    );
  }
  const width = Math.max(...targets.map(([label]) => label.length));
  return targets.map(([label, met, value]) => `  ${label.padEnd(width)}  ${(met ? 'met' : 'NOT MET').padEnd(7)}  ${value}`);
}

function createVsFloor(report: BenchReport): number {
  const create = report.api?.scenarios.find((result) => result.name === 'create');
  return create && report.api && report.api.floor.tps > 0 ? create.rps / report.api.floor.tps : Number.NaN;
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

function fmt(value: number): string {
  return Number.isFinite(value) ? value.toFixed(2) : 'n/a';
}
