import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { EventEmitter } from 'node:events';
import { Client } from 'pg';
import { AppConfig } from '@lib/config';

/**
 * Announcements of appended audit events, per chain, from PostgreSQL LISTEN/NOTIFY (sent by
 * audit_append, delivered at commit), so any API instance can follow a run live. One LISTEN
 * connection per process, opened on first use; subscribers are told "something new on this
 * chain" and read the events themselves, so a missed or merged notification loses nothing.
 */
@Injectable()
export class AuditFeedService implements OnApplicationShutdown {
  private readonly logger = new Logger(AuditFeedService.name);
  private readonly emitter = new EventEmitter();
  private listener: Promise<Client> | undefined;

  constructor(private readonly config: AppConfig) {
    this.emitter.setMaxListeners(0);
  }

  /** Calls `onEvent` whenever an event is appended to the chain; returns the unsubscribe. */
  async subscribe(chainKey: string, onEvent: () => void): Promise<() => void> {
    await this.connect();
    this.emitter.on(chainKey, onEvent);
    return () => this.emitter.off(chainKey, onEvent);
  }

  /** Resolves when the chain gets an event, or after `ms`; true if it got one. */
  async waitForEvent(chainKey: string, ms: number): Promise<boolean> {
    let unsubscribe: () => void = () => undefined;
    try {
      return await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), ms);
        void this.subscribe(chainKey, () => {
          clearTimeout(timer);
          resolve(true);
        }).then((off) => (unsubscribe = off));
      });
    } finally {
      unsubscribe();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    const client = await this.listener?.catch(() => undefined);
    await client?.end().catch(() => undefined);
  }

  private connect(): Promise<Client> {
    this.listener ??= (async () => {
      const client = new Client({ connectionString: this.config.databaseUrl, application_name: 'control-plane-audit-feed' });
      client.on('notification', (message) => {
        const chainKey = message.payload?.split(' ')[0];
        if (chainKey) this.emitter.emit(chainKey);
      });
      client.on('error', (error) => {
        this.logger.error({ err: error }, 'the audit LISTEN connection failed; reconnecting on next use');
        this.listener = undefined;
      });
      await client.connect();
      await client.query('LISTEN audit_events');
      return client;
    })();
    return this.listener;
  }
}
