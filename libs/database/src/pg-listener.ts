import { Logger } from '@nestjs/common';
import { Client } from 'pg';
import { PgConnection } from './pg-connection';

const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 10_000;

export interface PgListenerOptions {
  readonly connection: PgConnection;
  readonly channel: string;
  /** A name for the connection, in pg_stat_activity and the logs. */
  readonly name: string;
  readonly onNotification: (payload: string) => void;
  /**
   * Called after the connection came back: notifications sent while it was down are lost, so a
   * listener reads again whatever it follows.
   */
  readonly onReconnect: () => void;
}

/**
 * One LISTEN connection that does not give up: when the connection drops (PostgreSQL restarts,
 * the network blips) it reconnects with exponential backoff and says so, and no error of the
 * connection or of a callback escapes to the process. `ready` resolves once it listens.
 */
export class PgListener {
  private readonly logger = new Logger(PgListener.name);
  private client: Client | null = null;
  private stopped = false;
  private retryMs = FIRST_RETRY_MS;
  private timer: NodeJS.Timeout | undefined;
  private listening: Promise<void> | null = null;

  constructor(private readonly options: PgListenerOptions) {}

  /** Connects (or waits for the current attempt); rejects when PostgreSQL cannot be reached now. */
  ready(): Promise<void> {
    if (this.stopped) return Promise.reject(new Error(`the ${this.options.name} listener is stopped`));
    this.listening ??= this.connect().catch((error: unknown) => {
      this.listening = null;
      this.scheduleReconnect();
      throw error;
    });
    return this.listening;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new Client({ ...this.options.connection, application_name: this.options.name });
    client.on('notification', (message) => this.safely(() => this.options.onNotification(message.payload ?? '')));
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, new Error('the connection ended')));
    try {
      await client.connect();
      await client.query(`LISTEN ${this.options.channel}`);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.retryMs = FIRST_RETRY_MS;
  }

  private lost(client: Client, error: Error): void {
    if (this.stopped || this.client !== client) return;
    this.client = null;
    this.listening = null;
    this.logger.warn({ err: error, channel: this.options.channel }, 'the LISTEN connection was lost; reconnecting');
    client.end().catch(() => undefined);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.timer) return;
    const delay = this.retryMs;
    this.retryMs = Math.min(MAX_RETRY_MS, this.retryMs * 2);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.ready().then(
        () => {
          this.logger.log({ channel: this.options.channel }, 'the LISTEN connection is back');
          this.safely(() => this.options.onReconnect());
        },
        () => undefined, // ready() has scheduled the next attempt
      );
    }, delay);
    this.timer.unref();
  }

  private safely(callback: () => void): void {
    try {
      callback();
    } catch (error) {
      this.logger.error({ err: error, channel: this.options.channel }, 'a listener failed');
    }
  }
}
