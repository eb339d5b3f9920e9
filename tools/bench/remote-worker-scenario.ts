import { Pool } from 'pg';
import { mintKey, nodeProgram, RemoteWorkerProcess } from '@tools/harness';
import { claimLatencies, createRuns, drainSeconds, waitDrained } from './worker-scenario';

export interface RemoteDrain {
  readonly processes: number;
  readonly concurrency: number;
  readonly runs: number;
  readonly drainS: number;
  readonly runsPerS: number;
  readonly failed: number;
}

export interface RemoteWorkerScenarioResult {
  /** 2 SDK worker processes x 4 runs at once: the in-process worker's shape. */
  readonly sameShape: RemoteDrain;
  /** 2 SDK worker processes x 16 runs at once: what more slots buy over HTTP. */
  readonly wide: RemoteDrain;
  /** Idle remote workers (long-poll): approval commit to step start, one run at a time. */
  readonly idleClaim: Record<50 | 99, number>;
}

interface Input {
  readonly baseUrl: string;
  readonly adminKey: string;
  readonly requesterKey: string;
  readonly databaseUrl: string;
  readonly tag: string;
  readonly runs: number;
  readonly progress: (message: string) => void;
}

/**
 * The worker protocol under load, beside the in-process worker in the same run: approved
 * ops.remote_noop runs (level 0, one step) queued while no worker runs, then drained by remote
 * workers on the SDK's createWorker in child processes, over HTTP through the API. Then, with
 * the workers idle in their long-poll, runs arrive one at a time.
 */
export async function runRemoteWorkerScenario(input: Input): Promise<RemoteWorkerScenarioResult> {
  const pool = new Pool({ connectionString: input.databaseUrl, max: 2 });
  const projects = ['same', 'wide', 'idle'].map((name) => `${input.tag}-remote-${name}`);
  const worker = await mintKey({
    baseUrl: input.baseUrl,
    adminKey: input.adminKey,
    name: `${input.tag}-remote-worker`,
    roles: ['worker'],
    projectIds: projects,
  });
  try {
    const drain = async (project: string, concurrency: number): Promise<RemoteDrain> => {
      input.progress(`remote: queueing ${input.runs} approved remote no-op runs, then draining them with 2 SDK workers x ${concurrency}`);
      await createRuns({ ...input, project, count: input.runs, concurrency: 32, action: 'ops.remote_noop' });
      const workers = [0, 1].map(() => startRemoteWorker(input, worker.key, concurrency));
      try {
        const failed = await waitDrained(pool, project, input.runs);
        const drainS = await drainSeconds(pool, project);
        input.progress(`remote: ${input.runs} runs drained in ${drainS.toFixed(1)} s = ${(input.runs / drainS).toFixed(1)} runs/s`);
        return { processes: 2, concurrency, runs: input.runs, drainS, runsPerS: input.runs / drainS, failed };
      } finally {
        await Promise.all(workers.map((child) => child.stop()));
      }
    };
    const sameShape = await drain(projects[0], 4);
    const wide = await drain(projects[1], 16);
    input.progress('remote: idle claim latency, 200 runs one at a time');
    const workers = [0, 1].map(() => startRemoteWorker(input, worker.key, 4));
    try {
      // Started and waiting in their long-poll before the first run arrives.
      await new Promise((resolveWait) => setTimeout(resolveWait, 2000));
      const runs = 200;
      for (let index = 0; index < runs; index++) {
        await createRuns({ ...input, project: projects[2], count: 1, concurrency: 1, offset: index, action: 'ops.remote_noop' });
        await new Promise((resolveWait) => setTimeout(resolveWait, 20));
      }
      await waitDrained(pool, projects[2], runs);
      return { sameShape, wide, idleClaim: await claimLatencies(pool, projects[2]) };
    } finally {
      await Promise.all(workers.map((child) => child.stop()));
    }
  } finally {
    await pool.end();
  }
}

function startRemoteWorker(input: Input, key: string, concurrency: number): RemoteWorkerProcess {
  return new RemoteWorkerProcess({
    program: nodeProgram('dist/tools/bench/remote-worker-child.js'),
    baseUrl: input.baseUrl,
    credential: key,
    env: { WORKER_CONCURRENCY: String(concurrency) },
    output: 'stderr',
  });
}
