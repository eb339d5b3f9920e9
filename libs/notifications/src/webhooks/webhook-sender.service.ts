import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig, urlAllowed, WebhookSettings } from '@lib/config';
import { ClaimLoop, pgConnectionOf } from '@lib/database';
import { MetricsService } from '@lib/telemetry';
import { AttemptOutcome, ClaimedDelivery, WebhookDeliveryRepository } from './webhook-delivery.repository';
import { signWebhook, WEBHOOK_HEADERS } from './webhook-signature';

/** How long past the receiver's timeout a sender's lease on a delivery lasts. */
const LEASE_MARGIN_MS = 10_000;
/** Candidates read per free slot, so that capping each subscription still fills the slots. */
const CANDIDATES_PER_SLOT = 4;
const MAX_BACKOFF_MS = 3_600_000;

/**
 * Sends the outbox's deliveries: up to `concurrency` at once, on the claim loop it shares with
 * the execution worker, woken by NOTIFY (sent by the statement that queued them), by the
 * fallback poll, or by an attempt ending. It runs in worker processes, apart from
 * the API and from the run executor's slots, so a receiver that is down, slow or failing costs
 * only this loop's own slots, each for at most the timeout. Every error is caught here: a
 * delivery whose attempt failed in an unexpected way is left to its lease and sent again.
 */
@Injectable()
export class WebhookSenderService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WebhookSenderService.name);
  private readonly settings: WebhookSettings;
  private readonly workerId: string;
  /** Attempts in flight per subscription: one receiver that hangs holds at most `perSubscription` slots. */
  private readonly inFlight = new Map<string, number>();
  private readonly perSubscription: number;
  private readonly loop: ClaimLoop;

  constructor(
    private readonly config: AppConfig,
    private readonly deliveries: WebhookDeliveryRepository,
    private readonly metrics: MetricsService,
  ) {
    this.settings = config.values.webhooks;
    this.workerId = `webhooks:${config.worker.workerId}`;
    this.perSubscription = Math.max(1, Math.floor(this.settings.concurrency / 4));
    this.loop = new ClaimLoop({
      connection: pgConnectionOf(config),
      channel: 'webhook_deliveries',
      name: 'control-plane-webhooks-listen',
      pollMs: config.worker.pollMs,
      concurrency: this.settings.concurrency,
      // Without the connection now, the poll sends until the listener is back (it retries by itself).
      awaitListener: false,
      onListenerNotReady: (error) => this.logger.warn({ err: error }, 'webhook listener not connected yet'),
      claim: (limit) => this.claim(limit),
      onError: (error) => this.logger.error({ err: error }, 'claiming webhook deliveries failed'),
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.settings.allowedUrls.length === 0) {
      this.logger.warn('WEBHOOK_ALLOWED_URLS is unset: every webhook delivery this worker takes is dead at once (url_not_allowed)');
    }
    await this.loop.start();
  }

  /** Stops claiming and lets the attempts in flight finish (each within the timeout), so a restart costs no attempt. */
  async onApplicationShutdown(): Promise<void> {
    await this.loop.stop();
  }

  /** Claims into the free slots, passing over subscriptions that hold their share of them. */
  private async claim(limit: number): Promise<{ started: Array<Promise<unknown>>; more: boolean }> {
    const saturated = [...this.inFlight].filter(([, count]) => count >= this.perSubscription).map(([id]) => id);
    const claimed = await this.deliveries.claim({
      workerId: this.workerId,
      limit,
      candidates: limit * CANDIDATES_PER_SLOT,
      perSubscription: this.perSubscription,
      exclude: saturated,
      leaseMs: this.settings.timeoutMs + LEASE_MARGIN_MS,
      projectPattern: this.config.worker.projectPattern,
    });
    return { started: claimed.map((delivery) => this.start(delivery)), more: claimed.length === limit };
  }

  private start(delivery: ClaimedDelivery): Promise<unknown> {
    this.inFlight.set(delivery.subscription_id, (this.inFlight.get(delivery.subscription_id) ?? 0) + 1);
    return this.attempt(delivery)
      .then((outcome) =>
        this.deliveries.complete({
          id: delivery.id,
          workerId: this.workerId,
          attempts: delivery.attempts,
          outcome,
          pauseAfterFailure: { baseMs: this.settings.backoffBaseMs, maxMs: MAX_BACKOFF_MS },
        }),
      )
      .then((recorded) => {
        if (!recorded) this.logger.warn({ delivery_id: delivery.delivery_id }, 'a webhook delivery was taken over after its lease ended');
      })
      .catch((error: unknown) =>
        this.logger.error(
          { err: error, delivery_id: delivery.delivery_id },
          'a webhook delivery failed unexpectedly; sent again after its lease',
        ),
      )
      .finally(() => {
        const left = (this.inFlight.get(delivery.subscription_id) ?? 1) - 1;
        if (left > 0) this.inFlight.set(delivery.subscription_id, left);
        else this.inFlight.delete(delivery.subscription_id);
      });
  }

  /** Where a person opens the event's run: its page in the operator console, when CONSOLE_URL says where that is. */
  private linksOf(payload: Record<string, unknown>): { links?: { console: string } } {
    const base = this.config.values.console.publicUrl;
    const runId = payload.run_id;
    if (!base || typeof runId !== 'string') return {};
    return { links: { console: `${base}#/runs/${runId}` } };
  }

  /** One HTTP attempt; never throws. */
  private async attempt(delivery: ClaimedDelivery): Promise<AttemptOutcome> {
    if (!urlAllowed(this.settings.allowedUrls, delivery.url)) {
      this.report('dead');
      return { kind: 'failed', statusCode: null, error: 'url_not_allowed: the URL is not in WEBHOOK_ALLOWED_URLS', retryInMs: null };
    }
    const body = JSON.stringify({ id: delivery.delivery_id, ...delivery.payload, ...this.linksOf(delivery.payload) });
    const timestamp = Math.floor(Date.now() / 1000);
    const secrets = [delivery.secret, ...delivery.previous_secrets];
    let statusCode: number | null = null;
    let error: string;
    try {
      const response = await fetch(delivery.url, {
        method: 'POST',
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.settings.timeoutMs),
        headers: {
          'content-type': 'application/json',
          'user-agent': 'control-plane-webhooks/1',
          [WEBHOOK_HEADERS.id]: delivery.delivery_id,
          [WEBHOOK_HEADERS.timestamp]: String(timestamp),
          [WEBHOOK_HEADERS.signature]: signWebhook({ secrets, id: delivery.delivery_id, timestamp, body }),
        },
      });
      // A status outside HTTP's range (a broken receiver may send 999) is an answer, not a status.
      statusCode = response.status >= 100 && response.status <= 599 ? response.status : null;
      await response.body?.cancel().catch(() => undefined);
      if (response.status >= 200 && response.status < 300) {
        this.report('delivered');
        return { kind: 'delivered', statusCode: response.status };
      }
      error = `the receiver answered ${response.status}`;
    } catch (caught) {
      error = describe(caught, this.settings.timeoutMs);
    }
    const retryInMs = delivery.attempts >= this.settings.maxAttempts ? null : backoff(this.settings.backoffBaseMs, delivery.attempts);
    this.report(retryInMs === null ? 'dead' : 'retry');
    return { kind: 'failed', statusCode, error, retryInMs };
  }

  /** Counted in control_plane_webhook_deliveries_total{outcome}. */
  private report(outcome: 'delivered' | 'retry' | 'dead'): void {
    this.metrics.recordWebhookDelivery(outcome);
  }
}

/** base × 2^(attempt-1), at most an hour, with ±25 % jitter. */
export function backoff(baseMs: number, attempt: number): number {
  const delay = Math.min(MAX_BACKOFF_MS, baseMs * 2 ** Math.min(attempt - 1, 30));
  return Math.round(delay * (0.75 + Math.random() * 0.5));
}

/** Why an attempt failed, without the URL (it may carry a token) or anything the receiver sent. */
function describe(error: unknown, timeoutMs: number): string {
  if (error instanceof Error) {
    if (error.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
    const cause = (error as Error & { cause?: { code?: unknown } }).cause;
    if (cause && typeof cause.code === 'string') return `could not reach the receiver (${cause.code})`;
    return `could not reach the receiver (${error.name})`;
  }
  return 'could not reach the receiver';
}
