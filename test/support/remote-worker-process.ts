import { commandAvailable, nodeProgram, Program, RemoteWorkerProcess } from '@tools/harness';

/** Whether python3 can be run here (the Python worker's tests are skipped, and say so, where it cannot). */
export const PYTHON3 = commandAvailable('python3');

/**
 * A user's remote worker, as a real process: the TypeScript example (examples/workers, on the
 * SDK's createWorker) or the Python one (standard library only). Its output is kept, so tests can
 * look for leaked secrets in it.
 */
export function exampleWorker(input: {
  language: 'typescript' | 'python';
  baseUrl: string;
  key: string;
  actions: string[];
  env?: Record<string, string>;
}): RemoteWorkerProcess {
  const program: Program =
    input.language === 'python'
      ? { command: 'python3', args: ['examples/workers/deploy_worker.py'] }
      : nodeProgram('dist/examples/workers/deploy-worker.js');
  return new RemoteWorkerProcess({
    program,
    baseUrl: input.baseUrl,
    credential: input.key,
    env: { WORKER_ACTIONS: input.actions.join(','), WORKER_WAIT_SECONDS: '5', ...input.env },
  });
}
