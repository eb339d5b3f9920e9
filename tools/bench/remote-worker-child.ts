import { createWorker } from '@control-plane/client';

/** A remote worker for the bench: the SDK's createWorker, answering every step of ops.remote_noop OK at once. */
const worker = createWorker({
  baseUrl: process.env.CONTROL_PLANE_URL as string,
  credential: process.env.CONTROL_PLANE_CREDENTIAL as string,
  concurrency: Number(process.env.WORKER_CONCURRENCY ?? 4),
  waitSeconds: 20,
  actions: { 'ops.remote_noop': () => Promise.resolve({ outcome: 'OK' }) },
  onError: (error) => process.stderr.write(`remote worker: ${error instanceof Error ? error.message : String(error)}\n`),
});
void worker.done.then(() => process.exit(0));
