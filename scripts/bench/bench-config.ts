/** What one bench run uses, read once from the environment. */
export interface BenchConfig {
  readonly connections: number;
  /** Seconds per API scenario and for the floor. */
  readonly durationS: number;
  /** Seconds of unmeasured load before each scenario. */
  readonly warmupS: number;
}

const CONNECTIONS = 32;
const DEFAULT_DURATION_S = 10;

export function readBenchConfig(env: NodeJS.ProcessEnv): BenchConfig {
  const durationS = positiveNumber(env.BENCH_DURATION_S, DEFAULT_DURATION_S, 'BENCH_DURATION_S');
  // Long enough for the JIT to settle on the hot paths, short next to the measured run.
  const warmupS = Math.min(2, Math.max(1, Math.round(durationS / 5)));
  return { connections: CONNECTIONS, durationS, warmupS };
}

function positiveNumber(raw: string | undefined, fallback: number, name: string): number {
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number of seconds, got "${raw}"`);
  return value;
}
