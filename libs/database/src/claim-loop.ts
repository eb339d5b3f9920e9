import { SerialTrigger } from '@lib/common';
import { PgConnection } from './pg-connection';
import { PgListener } from './pg-listener';

/** What one claim did: the work it started (one promise each), and whether to look again. */
export interface ClaimBatch {
  readonly started: ReadonlyArray<Promise<unknown>>;
  /** Whether more may be claimable now (the slots filled before the queue emptied). */
  readonly more: boolean;
  /** When something not claimable yet (a run waiting for its target) is worth looking at again. */
  readonly retryInMs?: number | null;
}

export interface ClaimLoopOptions {
  readonly connection: PgConnection;
  /** The NOTIFY channel that says something became claimable. */
  readonly channel: string;
  /** The listener connection's application_name. */
  readonly name: string;
  readonly pollMs: number;
  readonly concurrency: number;
  /** Claims at most `limit` (the free slots) and starts each. */
  readonly claim: (limit: number) => Promise<ClaimBatch>;
  /** A duty of every poll besides claiming (the reaper); its errors are its own to catch. */
  readonly onPoll?: () => void;
  /** Where an error of a claim goes; it never stops the loop. */
  readonly onError: (error: unknown) => void;
  /** Whether starting waits for the LISTEN connection (else the poll covers until it is back). */
  readonly awaitListener: boolean;
  readonly onListenerNotReady?: (error: unknown) => void;
}

/**
 * Glossary
 * - claim loop: what the execution worker and the webhook sender share: up to `concurrency`
 *   things at once, claimed when a NOTIFY says something is claimable, on every poll, and when a
 *   slot frees; claims coalesce (SerialTrigger), so things that ended together are replaced by
 *   one claim. Nothing stops it but stop(): an error is reported where it happens. stop() lets
 *   what is in flight finish.
 */
export class ClaimLoop {
  private listener: PgListener | undefined;
  private poller: NodeJS.Timeout | undefined;
  private readonly active = new Set<Promise<unknown>>();
  private stopped = false;
  private readonly trigger: SerialTrigger;

  constructor(private readonly options: ClaimLoopOptions) {
    this.trigger = new SerialTrigger(() => this.fill(), options.onError);
  }

  /** How many things are in flight. */
  get inFlight(): number {
    return this.active.size;
  }

  async start(): Promise<void> {
    this.listener = new PgListener({
      connection: this.options.connection,
      channel: this.options.channel,
      name: this.options.name,
      onNotification: () => this.wake(),
      onReconnect: () => this.wake(),
    });
    if (this.options.awaitListener) await this.listener.ready();
    else await this.listener.ready().catch((error: unknown) => this.options.onListenerNotReady?.(error));
    this.poller = setInterval(() => {
      try {
        this.options.onPoll?.();
      } catch (error) {
        // A duty that throws at once must not end the process: reported, and the loop goes on.
        this.options.onError(error);
      }
      this.wake();
    }, this.options.pollMs);
    this.wake();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.trigger.stop();
    clearInterval(this.poller);
    await this.listener?.stop();
    await Promise.allSettled([...this.active]);
  }

  /** Claims on the next turn of the event loop, once however often it is asked meanwhile. */
  wake(): void {
    this.trigger.fire();
  }

  private async fill(): Promise<void> {
    while (!this.stopped && this.active.size < this.options.concurrency) {
      const batch = await this.options.claim(this.options.concurrency - this.active.size);
      for (const work of batch.started) this.track(work);
      if (batch.retryInMs != null) setTimeout(() => this.wake(), batch.retryInMs).unref();
      if (!batch.more) return;
    }
  }

  private track(work: Promise<unknown>): void {
    const settled = work
      .catch(() => undefined)
      .finally(() => {
        this.active.delete(settled);
        this.wake();
      });
    this.active.add(settled);
  }
}
