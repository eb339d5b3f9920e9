import { run } from 'graphile-worker';

/**
 * One graphile-worker process for the peer measurement: a no-op task, the given concurrency, and
 * (when GRAPHILE_BATCHED=1) its batched mode: a local queue that fetches many jobs at once and
 * completions written in batches. Runs until SIGTERM.
 */
async function main(): Promise<void> {
  const connectionString = process.env.DATABASE_URL;
  if (!connectionString) throw new Error('DATABASE_URL must be set');
  const concurrency = Number(process.env.GRAPHILE_CONCURRENCY ?? 4);
  const batched = process.env.GRAPHILE_BATCHED === '1';
  const runner = await run({
    connectionString,
    concurrency,
    noHandleSignals: true,
    pollInterval: 1000,
    taskList: { noop: async () => undefined },
    logger: undefined,
    ...(batched ? { preset: { worker: { localQueue: { size: 100 }, completeJobBatchDelay: 0, failJobBatchDelay: 0 } } } : {}),
  });
  process.once('SIGTERM', () => {
    runner.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
  await runner.promise;
}

main().catch((error: unknown) => {
  process.stderr.write(`graphile-worker child failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
