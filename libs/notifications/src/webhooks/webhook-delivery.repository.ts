import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@lib/database';
import { WEBHOOK_DELIVERIES_TABLE, WEBHOOK_SUBSCRIPTIONS_TABLE, WebhookDeliveryRow, WebhookDeliveryStatus } from '../webhook.tables';
import { signingRetiredSecrets } from './webhook-subscription.repository';

const D = WEBHOOK_DELIVERIES_TABLE.name;
const S = WEBHOOK_SUBSCRIPTIONS_TABLE.name;

/**
 * The order rule, said once: an unfinished delivery of the same subscription and order key
 * before delivery `d` (so `d` is not sent yet).
 */
const EARLIER_UNFINISHED = (d: string) =>
  `EXISTS (SELECT 1 FROM ${D} e
            WHERE e.subscription_id = ${d}.subscription_id AND e.order_key = ${d}.order_key
              AND e.status IN ('pending', 'delivering') AND e.id < ${d}.id)`;

/**
 * A delivery as it is read back: its columns, but `available_at` null while it is parked
 * ('infinity', which node-postgres reads as the number Infinity, not a Date), and whether it
 * waits for an earlier one of its run.
 */
const VIEW = (d: string) =>
  [
    ...Object.keys(WEBHOOK_DELIVERIES_TABLE.columns).map((column) =>
      column === 'available_at' ? `nullif(${d}.available_at, 'infinity') AS available_at` : `${d}.${column}`,
    ),
    `(${d}.status = 'pending' AND ${EARLIER_UNFINISHED(d)}) AS waiting_for_earlier`,
  ].join(', ');

export type WebhookDeliveryView = Omit<WebhookDeliveryRow, 'available_at'> & {
  /** Null while the delivery is parked behind an earlier one of its run. */
  available_at: Date | null;
  waiting_for_earlier: boolean;
};

/** A delivery a sender holds: what to send, where, and the secrets to sign it with. */
export interface ClaimedDelivery {
  readonly id: string;
  readonly subscription_id: string;
  readonly delivery_id: string;
  readonly attempts: number;
  readonly event_type: string;
  readonly payload: Record<string, unknown>;
  readonly url: string;
  readonly secret: string;
  /** The rotated-out secrets still inside their grace, the latest-ending first. */
  readonly previous_secrets: string[];
}

export type AttemptOutcome =
  | { readonly kind: 'delivered'; readonly statusCode: number }
  | { readonly kind: 'failed'; readonly statusCode: number | null; readonly error: string; readonly retryInMs: number | null };

/**
 * The notifications lib's SQL for webhook_deliveries (the outbox, filled by a trigger on
 * audit_events). All times are the database's.
 */
@Injectable()
export class WebhookDeliveryRepository {
  constructor(private readonly uow: UnitOfWork) {}

  /**
   * Takes up to `limit` deliveries that are due, each the oldest unfinished one of its order
   * key (so a run's deliveries go out one after another), of active subscriptions of the
   * projects this worker serves. A taken delivery is leased: if its sender dies, it is due again
   * when the lease ends and is sent again with the same delivery id (at least once). Fair
   * between receivers: at most `perSubscription` of one subscription per claim, none of the
   * subscriptions in `exclude` (those this sender already has enough of in flight), so one
   * receiver that hangs cannot take every slot.
   */
  claim(input: {
    workerId: string;
    limit: number;
    candidates: number;
    perSubscription: number;
    exclude: readonly string[];
    leaseMs: number;
    projectPattern: string;
  }): Promise<ClaimedDelivery[]> {
    return this.uow.query<ClaimedDelivery>(
      `WITH candidates AS (
         -- Per active subscription (not paused, not excluded, in this worker's projects), its
         -- oldest due deliveries, at most perSubscription: the cost follows the subscriptions,
         -- not what is parked or queued for disabled ones.
         SELECT d.id, d.available_at
           FROM ${S} s
           CROSS JOIN LATERAL (
             SELECT d.id, d.available_at FROM ${D} d
              WHERE d.subscription_id = s.id AND d.status IN ('pending', 'delivering') AND d.available_at <= now()
                AND NOT ${EARLIER_UNFINISHED('d')}
              ORDER BY d.available_at, d.id
              LIMIT $7) d
          WHERE s.status = 'active' AND s.project_id LIKE $4 AND s.id <> ALL ($6::uuid[])
            AND (s.paused_until IS NULL OR s.paused_until <= now())
          ORDER BY d.available_at, d.id
          LIMIT $5),
       picked AS (
         -- Locked here; a row another sender claimed since this statement's snapshot fails the re-check.
         SELECT d.id FROM ${D} d
          WHERE d.id IN (SELECT id FROM candidates ORDER BY available_at, id LIMIT $2)
            AND d.status IN ('pending', 'delivering') AND d.available_at <= now()
          FOR UPDATE SKIP LOCKED)
       UPDATE ${D} d
          SET status = 'delivering', worker_id = $1, attempts = d.attempts + 1, last_attempt_at = now(),
              lease_expires_at = now() + make_interval(secs => $3::int / 1000.0),
              available_at = now() + make_interval(secs => $3::int / 1000.0)
         FROM picked, ${S} s
        WHERE d.id = picked.id AND s.id = d.subscription_id
       RETURNING d.id, d.subscription_id, d.delivery_id, d.attempts, d.event_type, d.payload, s.url, s.secret,
                 ${signingRetiredSecrets('s', 'secret')} AS previous_secrets`,
      [input.workerId, input.limit, input.leaseMs, input.projectPattern, input.candidates, input.exclude, input.perSubscription],
    );
  }

  /**
   * Records an attempt's outcome if this sender still holds the delivery (same worker, same
   * attempt): delivered, retried after `retryInMs`, or dead when that is null. False: the lease
   * had ended and another sender took it over.
   */
  async complete(input: {
    id: string;
    workerId: string;
    attempts: number;
    outcome: AttemptOutcome;
    /** The receiver's pause after its n-th failure in a row (ms); the first failure pauses nothing. */
    pauseAfterFailure?: { baseMs: number; maxMs: number };
  }): Promise<boolean> {
    const { outcome } = input;
    return this.uow.run(async () => {
      const finished = await this.record(input.id, input.workerId, input.attempts, outcome);
      if (finished === null) return false;
      if (finished.status !== WebhookDeliveryStatus.Pending) await this.promoteNext(finished);
      await this.recordHealth(
        finished.subscription_id,
        outcome.kind === 'delivered',
        input.pauseAfterFailure ?? { baseMs: 1000, maxMs: 3_600_000 },
      );
      return true;
    });
  }

  /**
   * The receiver's health, per subscription: a delivered attempt clears it; a failed one counts,
   * and from the second failure in a row pauses the subscription for base × 2^(n-2) (at most
   * max), so while a receiver is down one delivery probes it now and then and the rest wait.
   */
  private async recordHealth(subscriptionId: string, delivered: boolean, pause: { baseMs: number; maxMs: number }): Promise<void> {
    if (delivered) {
      await this.uow.query(
        `UPDATE ${S} SET consecutive_failures = 0, paused_until = NULL WHERE id = $1 AND (consecutive_failures > 0 OR paused_until IS NOT NULL)`,
        [subscriptionId],
      );
      return;
    }
    await this.uow.query(
      `UPDATE ${S}
          SET consecutive_failures = consecutive_failures + 1,
              paused_until = CASE WHEN consecutive_failures = 0 THEN paused_until
                                  ELSE now() + make_interval(secs => least($3::float8, $2::float8 * power(2, least(consecutive_failures - 1, 30))) / 1000.0)
                             END
        WHERE id = $1`,
      [subscriptionId, pause.baseMs, pause.maxMs],
    );
  }

  /**
   * The next delivery of a finished one's run (and subscription), due now: it waited at
   * 'infinity' while the finished one was unfinished (see webhook_outbox_fill).
   */
  private async promoteNext(finished: { subscription_id: string; order_key: string; id: string }): Promise<void> {
    await this.uow.query(
      `UPDATE ${D} SET available_at = now()
        WHERE id = (SELECT id FROM ${D}
                     WHERE subscription_id = $1 AND order_key = $2 AND status = 'pending' AND id > $3
                     ORDER BY id LIMIT 1)
          AND available_at > now()`,
      [finished.subscription_id, finished.order_key, finished.id],
    );
  }

  private async record(
    id: string,
    workerId: string,
    attempts: number,
    outcome: AttemptOutcome,
  ): Promise<{ id: string; subscription_id: string; order_key: string; status: WebhookDeliveryStatus } | null> {
    const rows = await this.uow.query<{ id: string; subscription_id: string; order_key: string; status: WebhookDeliveryStatus }>(
      `UPDATE ${D}
          SET status = $4, worker_id = NULL, lease_expires_at = NULL, last_status_code = $5,
              last_error = left($6, 1000),
              delivered_at = CASE WHEN $4 = 'delivered' THEN now() END,
              available_at = CASE WHEN $4 = 'pending' THEN now() + make_interval(secs => $7::bigint / 1000.0) ELSE available_at END
        WHERE id = $1 AND worker_id = $2 AND attempts = $3 AND status = 'delivering'
       RETURNING id, subscription_id, order_key, status`,
      [
        id,
        workerId,
        attempts,
        outcome.kind === 'delivered'
          ? WebhookDeliveryStatus.Delivered
          : outcome.retryInMs === null
            ? WebhookDeliveryStatus.Dead
            : WebhookDeliveryStatus.Pending,
        outcome.statusCode,
        outcome.kind === 'failed' ? outcome.error : null,
        outcome.kind === 'failed' ? (outcome.retryInMs ?? 0) : 0,
      ],
    );
    return rows[0] ?? null;
  }

  /** A subscription's deliveries, newest first, optionally of one status, before a position (keyset). */
  list(input: { subscriptionId: string; status?: WebhookDeliveryStatus; before?: string; limit: number }): Promise<WebhookDeliveryView[]> {
    return this.uow.query<WebhookDeliveryView>(
      `SELECT ${VIEW('d')} FROM ${D} d
        WHERE d.subscription_id = $1 AND ($2::text IS NULL OR d.status = $2) AND ($3::bigint IS NULL OR d.id < $3)
        ORDER BY d.id DESC LIMIT $4`,
      [input.subscriptionId, input.status ?? null, input.before ?? null, input.limit],
    );
  }

  async find(subscriptionId: string, deliveryId: string, lock = false): Promise<WebhookDeliveryView | null> {
    const [row] = await this.uow.query<WebhookDeliveryView>(
      `SELECT ${VIEW('d')} FROM ${D} d WHERE d.subscription_id = $1 AND d.delivery_id = $2${lock ? ' FOR UPDATE' : ''}`,
      [subscriptionId, deliveryId],
    );
    return row ?? null;
  }

  /** A dead delivery, due again now with its attempts counted afresh; the senders are woken. */
  async redrive(id: string): Promise<WebhookDeliveryView> {
    const [row] = await this.uow.query<WebhookDeliveryView>(
      `UPDATE ${D} d SET status = 'pending', attempts = 0, available_at = now(), last_error = NULL
        WHERE d.id = $1 AND d.status = 'dead' RETURNING ${VIEW('d')}`,
      [id],
    );
    await this.uow.query(`SELECT pg_notify('webhook_deliveries', '')`);
    return row;
  }
}
