import { createWorker, type StepHandler } from '@control-plane/client';

/**
 * A remote worker in a few lines: it carries out the steps of `deploy.remote` runs (see the
 * policy) once they are approved. Each step "deploys" for `params.ms` milliseconds, sending
 * progress and stopping when its signal fires (a cancel, the run's timeout, a lost lease).
 * `params.fail` makes a step fail, for drills: "fail" answers FAIL:requested (the run ends
 * FAILED), "throw" throws (a retryable failure), "ignore_abort" never looks at the signal.
 *
 *   CONTROL_PLANE_URL=http://localhost:3000 CONTROL_PLANE_CREDENTIAL=<worker key> npm run example:worker
 */
const deploy: StepHandler = async (step, ctx) => {
  const ms = typeof step.input.ms === 'number' ? step.input.ms : 100;
  if (step.input.fail === 'fail') return { outcome: 'FAIL:requested' };
  if (step.input.fail === 'throw') throw new Error(`step ${step.name} failed on purpose`);
  const until = Date.now() + ms;
  while (Date.now() < until && (step.input.fail === 'ignore_abort' || !ctx.signal.aborted)) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(50, until - Date.now())));
  }
  if (ctx.signal.aborted && step.input.fail !== 'ignore_abort') throw new Error(`stopped: ${String(ctx.signal.reason)}`);
  await ctx.progress({ deployed: step.name });
  return { outcome: 'OK', result: { step: step.name, pid: process.pid } };
};

const worker = createWorker({
  baseUrl: process.env.CONTROL_PLANE_URL ?? 'http://localhost:3000',
  credential: process.env.CONTROL_PLANE_CREDENTIAL ?? '',
  actions: Object.fromEntries((process.env.WORKER_ACTIONS ?? 'deploy.remote').split(',').map((action) => [action, deploy])),
  concurrency: Number(process.env.WORKER_CONCURRENCY ?? 4),
  waitSeconds: Number(process.env.WORKER_WAIT_SECONDS ?? 20),
  onError: (error) => process.stderr.write(`worker: ${error instanceof Error ? error.message : String(error)}\n`),
});
process.stdout.write(`worker ${process.pid} started\n`);
void worker.done.then(() => process.stdout.write(`worker ${process.pid} stopped\n`));
