import { AppConfig } from '@lib/config';

/**
 * The environment of the watched API: the database this loop resolved (its own embedded server
 * when DATABASE_URL is unset, kept across restarts), and the worker in-process exactly when
 * `npm start` would run it there (on the embedded database, unless WORKER_IN_PROCESS says).
 */
export function devEnvironment(
  parent: NodeJS.ProcessEnv,
  options: { readonly config: AppConfig; readonly databaseUrl: string; readonly embedded: boolean },
): NodeJS.ProcessEnv {
  const withWorker = options.config.values.workerInProcess ?? options.embedded;
  // The API resolves the @lib/* aliases as `npm start` runs it (scripts/register-paths.js), so it
  // runs whether or not the compiler rewrote them (an incremental build keeps what tsc emitted).
  // Relative to the API's working directory, the repository's root.
  const register = '--require ./scripts/register-paths.js';
  return {
    ...parent,
    DATABASE_URL: options.databaseUrl,
    WORKER_IN_PROCESS: String(withWorker),
    NODE_OPTIONS: parent.NODE_OPTIONS ? `${parent.NODE_OPTIONS} ${register}` : register,
  };
}
