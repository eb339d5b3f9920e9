import { ApprovalScenarioResult } from './approval-scenario';
import { WorkerScenarioResult } from './worker-scenario';
import { StreamScenarioResult } from './stream-scenario';
import { FloorResult } from './floor';
import { ScenarioResult } from './load-scenario';

export interface BenchReport {
  readonly scenarios: readonly ScenarioResult[];
  /** Create, then a quorum of two votes, per flow. */
  readonly approval: ApprovalScenarioResult;
  /** Commit to server-sent event latency. */
  readonly stream: StreamScenarioResult;
  /** Approved noop runs drained by two worker processes. */
  readonly worker: WorkerScenarioResult;
  readonly floor: FloorResult;
  /** Where the floor's writes differ from the API's create path; empty when they match. */
  readonly floorDrift: readonly string[];
  readonly peakRssMb: number;
  readonly connections: number;
  readonly durationS: number;
}

const TARGET_CREATE_SHARE_OF_FLOOR = 0.5;
const TARGET_P99_MS = 50;
const TARGET_PEAK_RSS_MB = 200;

/** The human-readable part: the table, anything that went wrong, and the targets. */
export function renderReport(report: BenchReport): string {
  const lines = [
    `API scenarios: ${report.connections} connections, ${report.durationS} s each`,
    '',
    ...renderTable(report.scenarios),
    '',
    `floor_create_tps   ${fmt(report.floor.tps)}   (pg, ${report.connections} loops, ${report.floor.committed} committed, ${report.floor.failed} failed;` +
      ` p50/p95/p99 ${fmt(report.floor.p50Ms)}/${fmt(report.floor.p95Ms)}/${fmt(report.floor.p99Ms)} ms)`,
    `create_vs_floor    ${fmt(createVsFloor(report))}`,
    `peak_rss_mb        ${fmt(report.peakRssMb)}`,
    '',
    `approval (create + 2 votes, quorum 2): ${fmt(report.approval.flowsPerS)} flows/s (${report.approval.flows} flows, ${report.approval.failures} failed)`,
    `  create p50/p95/p99 ${fmt(report.approval.create[50])}/${fmt(report.approval.create[95])}/${fmt(report.approval.create[99])} ms;` +
      ` vote p50/p95/p99 ${fmt(report.approval.vote[50])}/${fmt(report.approval.vote[95])}/${fmt(report.approval.vote[99])} ms`,
    ...(report.approval.firstFailure ? [`  first failure: ${report.approval.firstFailure}`] : []),
    '',
    `stream (approve request sent -> SSE event at the client, an upper bound on commit -> client, ${report.stream.samples} samples):` +
      ` p50/p99 ${fmt(report.stream.latency[50])}/${fmt(report.stream.latency[99])} ms (target < 100 ms)`,
    '',
    `worker (${report.worker.runs} approved noop runs, 2 worker processes):` +
      ` drained in ${fmt(report.worker.drainS)} s = ${fmt(report.worker.runsPerS)} runs/s, ${report.worker.failed} not succeeded`,
    `  claim latency (approval commit -> step start): backlog p50/p99 ${fmt(report.worker.backlogClaim[50])}/${fmt(report.worker.backlogClaim[99])} ms;` +
      ` idle workers p50/p99 ${fmt(report.worker.idleClaim[50])}/${fmt(report.worker.idleClaim[99])} ms`,
    '',
    ...renderProblems(report),
    'targets',
    ...renderTargets(report),
  ];
  return `${lines.join('\n')}\n`;
}

/** The machine-readable part: one JSON object, meant to be the last line of stdout. */
export function renderJson(report: BenchReport): string {
  const scenario = (name: string): Record<string, number> => {
    const found = report.scenarios.find((result) => result.name === name);
    if (!found) return {};
    return { rps: round2(found.rps), p50_ms: round2(found.p50Ms), p95_ms: round2(found.p95Ms), p99_ms: round2(found.p99Ms) };
  };
  return `${JSON.stringify({
    create: scenario('create'),
    dedup: scenario('dedup'),
    get: scenario('get'),
    floor_create_tps: round2(report.floor.tps),
    create_vs_floor: round2(createVsFloor(report)),
    peak_rss_mb: round2(report.peakRssMb),
    stream: { p50_ms: round2(report.stream.latency[50]), p99_ms: round2(report.stream.latency[99]) },
    worker: {
      runs: report.worker.runs,
      runs_per_s: round2(report.worker.runsPerS),
      backlog_claim_p50_ms: round2(report.worker.backlogClaim[50]),
      backlog_claim_p99_ms: round2(report.worker.backlogClaim[99]),
      idle_claim_p50_ms: round2(report.worker.idleClaim[50]),
      idle_claim_p99_ms: round2(report.worker.idleClaim[99]),
    },
    approval: {
      flows_per_s: round2(report.approval.flowsPerS),
      create_p99_ms: round2(report.approval.create[99]),
      vote_p50_ms: round2(report.approval.vote[50]),
      vote_p95_ms: round2(report.approval.vote[95]),
      vote_p99_ms: round2(report.approval.vote[99]),
    },
  })}\n`;
}

/** True when some response or transaction was not the expected one: the numbers then measure something else. */
export function hasProblems(report: BenchReport): boolean {
  return (
    report.floor.failed > 0 ||
    report.floorDrift.length > 0 ||
    report.approval.failures > 0 ||
    report.worker.failed > 0 ||
    report.scenarios.some((result) => problemsOf(result).length > 0)
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
  const lines = report.scenarios.flatMap((result) => problemsOf(result).map((problem) => `!! ${result.name}: ${problem}`));
  if (report.floor.failed > 0)
    lines.push(`!! floor: ${report.floor.failed} transactions failed (first: ${report.floor.firstError ?? 'unknown'})`);
  for (const drift of report.floorDrift)
    lines.push(`!! floor does not mirror the API's create path (update scripts/bench/floor-create-path.ts): ${drift}`);
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
  const ratio = createVsFloor(report);
  const targets: [string, boolean, string][] = [
    [`create >= ${TARGET_CREATE_SHARE_OF_FLOOR * 100}% of floor`, ratio >= TARGET_CREATE_SHARE_OF_FLOOR, `${fmt(ratio * 100)}%`],
    ...report.scenarios.map((result): [string, boolean, string] => [
      `p99 < ${TARGET_P99_MS} ms (${result.name})`,
      result.p99Ms < TARGET_P99_MS,
      `${fmt(result.p99Ms)} ms`,
    ]),
    [`peak RSS < ${TARGET_PEAK_RSS_MB} MB`, report.peakRssMb < TARGET_PEAK_RSS_MB, `${fmt(report.peakRssMb)} MB`],
  ];
  const width = Math.max(...targets.map(([label]) => label.length));
  return targets.map(([label, met, value]) => `  ${label.padEnd(width)}  ${(met ? 'met' : 'NOT MET').padEnd(7)}  ${value}`);
}

function createVsFloor(report: BenchReport): number {
  const create = report.scenarios.find((result) => result.name === 'create');
  return create && report.floor.tps > 0 ? create.rps / report.floor.tps : Number.NaN;
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

function fmt(value: number): string {
  return Number.isFinite(value) ? value.toFixed(2) : 'n/a';
}
