import { Client } from 'pg';

/**
 * Waits for a run to reach a state, woken by the run's audit events (every change of a run is
 * committed with one, and audit_append announces it on the audit_events channel) instead of
 * sleeping between polls. LISTEN starts before the first look, so no change is missed.
 */
export async function waitForRun<T>(input: {
  /** The database to listen on; DATABASE_URL when absent. */
  url?: string;
  runId: string;
  probe: () => Promise<T | undefined | null | false>;
  what: string;
  timeoutMs?: number;
}): Promise<T> {
  const client = new Client({ connectionString: input.url ?? process.env.DATABASE_URL });
  await client.connect();
  try {
    let wake: () => void = () => undefined;
    client.on('notification', (message) => {
      // audit_append names the chains that grew (or '*': any may have).
      const chains = (message.payload ?? '').split(' ');
      if (chains.includes(`run:${input.runId}`) || chains.includes('*')) wake();
    });
    await client.query('LISTEN audit_events');
    const deadline = Date.now() + (input.timeoutMs ?? 20_000);
    for (;;) {
      const changed = new Promise<void>((resolve) => (wake = resolve));
      const value = await input.probe();
      if (value) return value;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${input.what}`);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([changed, new Promise<void>((resolve) => (timer = setTimeout(resolve, left)))]);
      clearTimeout(timer);
    }
  } finally {
    await client.end();
  }
}
