import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '@lib/config';
import { PgListener, pgConnectionOf } from '@lib/database';

/**
 * Wakes the claims of remote workers that wait for work (long-poll) when a run becomes
 * claimable: one LISTEN on execution_runs_ready per API process, opened at the first wait. Each
 * notification moves a generation counter; a claim notes the generation before it looks at the
 * queue and waits only if nothing moved since, so a run that became ready in between is never
 * missed. While the LISTEN connection is down, waits end at their fallback time instead.
 */
@Injectable()
export class RunReadySignal implements OnApplicationShutdown {
  private readonly logger = new Logger(RunReadySignal.name);
  private listener: PgListener | null = null;
  private generation = 0;
  private readonly waiting = new Set<() => void>();

  constructor(private readonly config: AppConfig) {}

  /** The generation now: note it before looking at the queue. */
  current(): number {
    this.listen();
    return this.generation;
  }

  /** Resolves when a run became ready after `seen`, or after `ms`, or when the signal is aborted. */
  after(seen: number, ms: number, signal?: AbortSignal): Promise<void> {
    if (this.generation !== seen || ms <= 0 || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.waiting.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
      this.waiting.add(done);
    });
  }

  async onApplicationShutdown(): Promise<void> {
    for (const done of [...this.waiting]) done();
    await this.listener?.stop();
  }

  private listen(): void {
    if (this.listener || !this.config.databaseUrl) return;
    this.listener = new PgListener({
      connection: pgConnectionOf(this.config),
      channel: 'execution_runs_ready',
      name: 'control-plane-remote-claims',
      onNotification: () => this.wake(),
      // Notifications sent while it was down are lost: every waiting claim looks again.
      onReconnect: () => this.wake(),
    });
    this.listener
      .ready()
      .catch((error: unknown) => this.logger.warn({ err: error }, 'cannot listen for ready runs yet; claims poll meanwhile'));
  }

  private wake(): void {
    this.generation++;
    for (const done of [...this.waiting]) done();
  }
}
