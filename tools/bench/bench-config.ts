/** What one bench run uses, read once from the command line and the environment. */
export interface BenchConfig {
  /** `all` (the default); `worker`: the queue drains and the graphile-worker peer alone; `webhooks`: create with receivers down vs none. */
  readonly scenario: 'all' | 'worker' | 'webhooks';
  readonly connections: number;
  /** Seconds per API scenario and for the floor. */
  readonly durationS: number;
  /** Seconds of unmeasured load before each scenario. */
  readonly warmupS: number;
  /** Runs in the main drain, and jobs for graphile-worker (BENCH_WORKER_RUNS). */
  readonly workerRuns: number;
  /** Runs each remote-worker drain queues (BENCH_REMOTE_RUNS, 2,000 by default). */
  readonly remoteRuns: number;
  /** Tool calls the MCP gateway's latency is measured over (BENCH_MCP_CALLS, 200 by default). */
  readonly mcpCalls: number;
  readonly smallBacklog: number;
  /** The large drain (BENCH_LARGE_BACKLOG; 0 skips it). */
  readonly largeBacklog: number;
}

const CONNECTIONS = 32;
const DEFAULT_DURATION_S = 10;
const SCENARIOS = ['all', 'worker', 'webhooks'] as const;

export function readBenchConfig(env: NodeJS.ProcessEnv, argv: readonly string[]): BenchConfig {
  const durationS = positiveNumber(env.BENCH_DURATION_S, DEFAULT_DURATION_S, 'BENCH_DURATION_S');
  // Long enough for the JIT to settle on the hot paths, short next to the measured run.
  const warmupS = Math.min(2, Math.max(1, Math.round(durationS / 5)));
  return {
    scenario: scenarioOf(argv),
    connections: CONNECTIONS,
    durationS,
    warmupS,
    workerRuns: count(env.BENCH_WORKER_RUNS, 10_000, 'BENCH_WORKER_RUNS'),
    remoteRuns: count(env.BENCH_REMOTE_RUNS, 2_000, 'BENCH_REMOTE_RUNS'),
    mcpCalls: count(env.BENCH_MCP_CALLS, 200, 'BENCH_MCP_CALLS'),
    smallBacklog: 1_000,
    largeBacklog: count(env.BENCH_LARGE_BACKLOG, 50_000, 'BENCH_LARGE_BACKLOG', true),
  };
}

/** `--scenario worker` or `--scenario=worker`. */
function scenarioOf(argv: readonly string[]): BenchConfig['scenario'] {
  const index = argv.findIndex((arg) => arg === '--scenario' || arg.startsWith('--scenario='));
  if (index < 0) return 'all';
  const value = argv[index].includes('=') ? argv[index].split('=')[1] : argv[index + 1];
  const found = SCENARIOS.find((scenario) => scenario === value);
  if (!found) throw new Error(`--scenario must be one of ${SCENARIOS.join(', ')}, got "${value ?? ''}"`);
  return found;
}

function positiveNumber(raw: string | undefined, fallback: number, name: string): number {
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number of seconds, got "${raw}"`);
  return value;
}

function count(raw: string | undefined, fallback: number, name: string, zeroAllowed = false): number {
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < (zeroAllowed ? 0 : 1) || value > 1_000_000)
    throw new Error(`${name} must be a whole number from ${zeroAllowed ? 0 : 1} to 1000000, got "${raw}"`);
  return value;
}
