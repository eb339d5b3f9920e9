import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '@lib/config';
import { PgListener, pgConnectionOf } from '@lib/database';

type ChainListener = () => void;

/**
 * Announcements of appended audit events, per chain, from PostgreSQL LISTEN/NOTIFY (sent by
 * audit_append, delivered at commit), so any API instance can follow a run live. One LISTEN
 * connection per process, opened on first use and re-opened when it drops; subscribers are told
 * "something new on this chain" and read the events themselves from their own position, so a
 * missed or merged notification loses nothing: when the connection comes back, every subscriber
 * is told once, and reads what was committed while it was down.
 */
@Injectable()
export class AuditFeedService implements OnApplicationShutdown {
  private readonly logger = new Logger(AuditFeedService.name);
  private readonly chains = new Map<string, Set<ChainListener>>();
  private listener: PgListener | undefined;

  constructor(private readonly config: AppConfig) {}

  /** Calls `onEvent` whenever an event is appended to the chain; returns the unsubscribe. Rejects when PostgreSQL cannot be reached. */
  async subscribe(chainKey: string, onEvent: ChainListener): Promise<() => void> {
    const listeners = this.chains.get(chainKey) ?? new Set<ChainListener>();
    listeners.add(onEvent);
    this.chains.set(chainKey, listeners);
    const unsubscribe = () => {
      listeners.delete(onEvent);
      if (listeners.size === 0 && this.chains.get(chainKey) === listeners) this.chains.delete(chainKey);
    };
    try {
      await this.connection().ready();
    } catch (error) {
      unsubscribe();
      throw error;
    }
    return unsubscribe;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.listener?.stop();
  }

  private connection(): PgListener {
    this.listener ??= new PgListener({
      connection: pgConnectionOf(this.config),
      channel: 'audit_events',
      name: 'control-plane-audit-feed',
      onNotification: (payload) => this.announced(payload),
      onReconnect: () => {
        for (const listeners of this.chains.values()) this.notify(listeners);
      },
    });
    return this.listener;
  }

  /** A notification names the chains that grew, space-separated, or says '*': any chain may have. */
  private announced(payload: string): void {
    if (payload === '*') {
      for (const listeners of this.chains.values()) this.notify(listeners);
      return;
    }
    for (const chainKey of new Set(payload.split(' '))) this.notify(this.chains.get(chainKey));
  }

  private notify(listeners: Set<ChainListener> | undefined): void {
    for (const listener of [...(listeners ?? [])]) {
      try {
        listener();
      } catch (error) {
        this.logger.error({ err: error }, 'an audit feed subscriber failed');
      }
    }
  }
}
