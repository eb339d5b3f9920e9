import autocannon from 'autocannon';
import { LatencyRecorder } from './latency-recorder';
import { cpuSecondsOf } from './rss-sampler';

export interface ScenarioSpec {
  readonly name: string;
  readonly expectedStatus: number;
  readonly request: autocannon.RequestSpec;
  /** A false answer counts the response as a mismatch. */
  readonly verifyBody?: (body: string) => boolean;
}

export interface LoadOptions {
  readonly baseUrl: string;
  readonly connections: number;
  readonly durationS: number;
  readonly warmupS: number;
  readonly apiPid: number;
}

export interface ScenarioResult {
  readonly name: string;
  readonly expectedStatus: number;
  /** Mean of autocannon's per-second samples of completed requests. */
  readonly rps: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly responses: number;
  readonly non2xx: number;
  /** Connection errors, timeouts included. */
  readonly errors: number;
  readonly timeouts: number;
  /** Responses with any status but the expected one (a 2xx can be unexpected too). */
  readonly unexpectedStatus: number;
  readonly mismatches: number;
  readonly statusCounts: Readonly<Record<string, number>>;
  /** API CPU time over wall time: 1.0 is one core busy for the whole run. */
  readonly apiCpuCores: number | null;
}

/** A warm-up run (discarded, so the first scenario does not pay for JIT compilation), then the measured run. */
export async function runScenario(spec: ScenarioSpec, options: LoadOptions): Promise<ScenarioResult> {
  if (options.warmupS > 0) await fire(spec, options, options.warmupS, null);
  const latencies = new LatencyRecorder();
  const cpuBefore = cpuSecondsOf(options.apiPid);
  const startedAt = performance.now();
  const result = await fire(spec, options, options.durationS, latencies);
  const wallS = (performance.now() - startedAt) / 1000;
  const cpuAfter = cpuSecondsOf(options.apiPid);
  const { 50: p50Ms, 95: p95Ms, 99: p99Ms } = latencies.percentiles([50, 95, 99] as const);
  const statusCounts = Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, { count }]) => [code, count]));
  const responses = Object.values(statusCounts).reduce((sum, count) => sum + count, 0);
  return {
    name: spec.name,
    expectedStatus: spec.expectedStatus,
    rps: result.requests.average,
    p50Ms,
    p95Ms,
    p99Ms,
    responses,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    unexpectedStatus: responses - (statusCounts[String(spec.expectedStatus)] ?? 0),
    mismatches: result.mismatches,
    statusCounts,
    apiCpuCores: cpuBefore === null || cpuAfter === null ? null : (cpuAfter - cpuBefore) / wallS,
  };
}

function fire(
  spec: ScenarioSpec,
  options: LoadOptions,
  durationS: number,
  latencies: LatencyRecorder | null,
): PromiseLike<autocannon.Result> {
  const instance = autocannon({
    url: options.baseUrl,
    connections: options.connections,
    duration: durationS,
    timeout: 10,
    requests: [spec.request],
    verifyBody: spec.verifyBody,
  });
  // Every response counts, as in autocannon's own latency summary (it includes non-2xx too).
  if (latencies) instance.on('response', (_client, _status, _bytes, responseTimeMs) => latencies.record(responseTimeMs));
  return instance;
}
