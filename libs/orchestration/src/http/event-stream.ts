import { Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Observable, Subscription } from 'rxjs';
import { AuditEventDto, AuditEventRow } from '@lib/audit';
import { LISTENING } from '../run-query.service';

/** An idle stream sends a comment this often, so proxies keep it open. */
const KEEP_ALIVE_MS = 15_000;

/**
 * Writes a run's followed events to the client as server-sent events. Every way it can end is
 * handled here: the run ends (after its last event the response ends), the client goes away, the
 * socket fails, the feed fails (the client gets an `error` event naming the request, then the
 * stream closes). Nothing it does can throw past it.
 */
export class EventStream {
  private subscription: Subscription | undefined;
  private keepAlive: NodeJS.Timeout | undefined;
  private last: string;

  constructor(
    private readonly input: { request: FastifyRequest; reply: FastifyReply; logger: Logger; executionId: string; after?: string },
  ) {
    this.last = input.after ?? '0';
  }

  run(feed: Observable<AuditEventRow | typeof LISTENING>): void {
    const { request, reply } = this.input;
    reply.hijack();
    const raw = reply.raw;
    raw.on('error', (error) => this.fail(error));
    request.raw.on('close', () => this.close());
    raw.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-request-id': String(request.id),
    });
    this.keepAlive = setInterval(() => this.write(': keep-alive\n\n'), KEEP_ALIVE_MS);
    this.subscription = feed.subscribe({
      next: (item) => {
        if (item === LISTENING) return this.write(': connected\n\n');
        this.last = item.id;
        this.write(`id: ${item.id}\nevent: ${item.event_type}\ndata: ${JSON.stringify(AuditEventDto.from(item))}\n\n`);
      },
      error: (error: unknown) => this.fail(error),
      complete: () => this.end(),
    });
  }

  /** The feed failed: tell the client (with the position to resume from) and close this one stream. */
  private fail(error: unknown): void {
    this.input.logger.error(
      { err: error, request_id: this.input.request.id, execution_id: this.input.executionId },
      'a run stream failed; closing it',
    );
    this.write(
      `id: ${this.last}\nevent: error\ndata: ${JSON.stringify({ code: 'stream_failed', request_id: String(this.input.request.id) })}\n\n`,
    );
    this.close();
  }

  /**
   * The run has ended and every event of it was sent: an `end` event (no id: it is no position of
   * the trail) tells the client that nothing more will come, so it does not reconnect, and the
   * response ends.
   */
  private end(): void {
    this.write(`event: end\ndata: ${JSON.stringify({ execution_id: this.input.executionId, after: this.last })}\n\n`);
    this.close();
  }

  private close(): void {
    clearInterval(this.keepAlive);
    this.subscription?.unsubscribe();
    const raw = this.input.reply.raw;
    if (!raw.writableEnded) raw.end();
  }

  private write(text: string): void {
    const raw = this.input.reply.raw;
    if (!raw.writableEnded && !raw.destroyed) raw.write(text);
  }
}
