/** What one campaign does, read once from the environment. */
export interface ChaosConfig {
  /** The whole campaign's budget in seconds (CHAOS_SECONDS); the phases get shares of it. */
  readonly totalS: number;
  /** Seeds the load's choices and the fuzzer (CHAOS_SEED): the same seed sends the same requests. */
  readonly seed: number;
  readonly postgresDownS: number;
  readonly fuzzPerOperation: number;
  readonly loadActors: number;
  readonly loadPaceMs: number;
  readonly workers: number;
  /** Keep the logs directory even when nothing was found (it is always kept when something was). */
  readonly keepLogs: boolean;
  readonly phases: PhaseBudget;
}

/** Seconds per phase, derived from totalS. */
export interface PhaseBudget {
  readonly warmupS: number;
  /** Each of the three faults, with the load running before and after it. */
  readonly faultS: number;
  readonly fuzzS: number;
  readonly settleS: number;
}

const DEFAULT_TOTAL_S = 180;
const MIN_TOTAL_S = 60;
/** Starting the stack, the checks and the teardown take about this long whatever the budget. */
const FIXED_OVERHEAD_S = 25;

export function readChaosConfig(env: NodeJS.ProcessEnv): ChaosConfig {
  const totalS = Math.max(MIN_TOTAL_S, numberFrom(env, 'CHAOS_SECONDS', DEFAULT_TOTAL_S));
  const spread = totalS - FIXED_OVERHEAD_S;
  return {
    totalS,
    seed: Math.floor(numberFrom(env, 'CHAOS_SEED', 424242)),
    postgresDownS: numberFrom(env, 'CHAOS_PG_DOWN_SECONDS', 5),
    fuzzPerOperation: Math.floor(numberFrom(env, 'CHAOS_FUZZ_PER_OPERATION', 100)),
    loadActors: Math.floor(numberFrom(env, 'CHAOS_LOAD_ACTORS', 3)),
    loadPaceMs: numberFrom(env, 'CHAOS_LOAD_PACE_MS', 150),
    workers: 2,
    keepLogs: env.CHAOS_KEEP_LOGS === '1',
    phases: {
      warmupS: round(spread * 0.06),
      faultS: round(spread * 0.16),
      fuzzS: round(spread * 0.2),
      settleS: round(spread * 0.2),
    },
  };
}

function numberFrom(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got "${raw}"`);
  return value;
}

function round(seconds: number): number {
  return Math.max(1, Math.round(seconds));
}
