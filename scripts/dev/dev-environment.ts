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
  return { ...parent, DATABASE_URL: options.databaseUrl, WORKER_IN_PROCESS: String(withWorker) };
}
