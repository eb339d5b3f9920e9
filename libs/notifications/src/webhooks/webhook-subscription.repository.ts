import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@lib/database';
import {
  MAX_RETIRED_SECRETS,
  WEBHOOK_RETIRED_SECRETS_TABLE,
  WEBHOOK_SUBSCRIPTIONS_TABLE,
  WebhookEventType,
  WebhookSubscriptionRow,
  WebhookSubscriptionStatus,
} from '../webhook.tables';

const T = WEBHOOK_SUBSCRIPTIONS_TABLE.name;
const R = WEBHOOK_RETIRED_SECRETS_TABLE.name;

/**
 * What of subscription `s`'s retired secrets still signs, said once: each inside its own grace
 * (by the database's clock), the latest-ending first. `column` is the secret (for the sender)
 * or its valid_until (for what an admin sees).
 */
export function signingRetiredSecrets(s: string, column: 'secret' | 'valid_until'): string {
  return `ARRAY(SELECT r.${column} FROM ${R} r WHERE r.subscription_id = ${s}.id AND r.valid_until > now()
                 ORDER BY r.valid_until DESC, r.slot)`;
}

/** A subscription as it is read back: its columns (the secret is never shown) and the ends of its retired secrets' graces. */
export type WebhookSubscriptionView = WebhookSubscriptionRow & { previous_secrets_valid_until: Date[] };

const VIEW = `s.*, ${signingRetiredSecrets('s', 'valid_until')} AS previous_secrets_valid_until`;

export interface SubscriptionPatch {
  readonly url?: string;
  readonly eventTypes?: readonly WebhookEventType[];
  readonly description?: string | null;
  readonly status?: WebhookSubscriptionStatus;
}

/** What a rotation did: the subscription after it, and the graces it started and cut short. */
export interface Rotation {
  readonly row: WebhookSubscriptionView;
  /** Until when the replaced secret signs (null: a grace of 0). */
  readonly retiredUntil: Date | null;
  /** A retired secret that stopped signing to free its slot, though its grace ran until then. */
  readonly cutShortUntil: Date | null;
}

/** The notifications lib's SQL for webhook_subscriptions and their retired secrets. */
@Injectable()
export class WebhookSubscriptionRepository {
  constructor(private readonly uow: UnitOfWork) {}

  async insert(input: {
    projectId: string;
    url: string;
    eventTypes: readonly WebhookEventType[];
    description: string | null;
    secret: string;
    createdBy: string;
  }): Promise<WebhookSubscriptionView> {
    const [row] = await this.uow.query<WebhookSubscriptionView>(
      `INSERT INTO ${T} AS s (project_id, url, event_types, description, secret, created_by)
       VALUES ($1, $2, $3::text[], $4, $5, $6) RETURNING ${VIEW}`,
      [input.projectId, input.url, input.eventTypes, input.description, input.secret, input.createdBy],
    );
    return row;
  }

  /**
   * The subscription, locked for the caller's transaction when `lock` (FOR NO KEY UPDATE: the
   * outbox's inserts, which only reference it, do not wait); null when it is not in that project.
   */
  async find(projectId: string, id: string, lock = false): Promise<WebhookSubscriptionView | null> {
    const [row] = await this.uow.query<WebhookSubscriptionView>(
      `SELECT ${VIEW} FROM ${T} s WHERE s.id = $1 AND s.project_id = $2${lock ? ' FOR NO KEY UPDATE OF s' : ''}`,
      [id, projectId],
    );
    return row ?? null;
  }

  /** How many subscriptions the project has, counted under a lock per project (concurrent creates wait for each other). */
  async countLocked(projectId: string): Promise<number> {
    await this.uow.query(`SELECT pg_advisory_xact_lock(hashtextextended('webhook_subscriptions:' || $1, 0))`, [projectId]);
    const [row] = await this.uow.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${T} WHERE project_id = $1`, [projectId]);
    return row.n;
  }

  list(projectId: string): Promise<WebhookSubscriptionView[]> {
    return this.uow.query<WebhookSubscriptionView>(`SELECT ${VIEW} FROM ${T} s WHERE s.project_id = $1 ORDER BY s.created_at, s.id`, [
      projectId,
    ]);
  }

  async update(id: string, patch: SubscriptionPatch): Promise<WebhookSubscriptionView> {
    const [row] = await this.uow.query<WebhookSubscriptionView>(
      `UPDATE ${T} s
          SET url = coalesce($2, url),
              event_types = coalesce($3::text[], event_types),
              description = CASE WHEN $4::boolean THEN $5 ELSE description END,
              status = coalesce($6, status),
              -- A new URL, or enabling it again, starts the receiver's health afresh.
              consecutive_failures = CASE WHEN $2 IS NOT NULL OR $6 = 'active' THEN 0 ELSE consecutive_failures END,
              paused_until = CASE WHEN $2 IS NOT NULL OR $6 = 'active' THEN NULL ELSE paused_until END,
              updated_at = now(),
              version = version + 1
        WHERE s.id = $1 RETURNING ${VIEW}`,
      [id, patch.url ?? null, patch.eventTypes ?? null, patch.description !== undefined, patch.description ?? null, patch.status ?? null],
    );
    return row;
  }

  /** The receiver was fixed (an admin re-drove a delivery): no pause, failures counted afresh. */
  async clearPause(id: string): Promise<void> {
    await this.uow.query(
      `UPDATE ${T} SET consecutive_failures = 0, paused_until = NULL WHERE id = $1 AND (consecutive_failures > 0 OR paused_until IS NOT NULL)`,
      [id],
    );
  }

  /**
   * A new secret. The one it replaces keeps signing beside it for `graceSeconds` (0: not at all)
   * in a slot of its own: a free one, else the one whose grace has ended, else the one whose
   * grace ends first (cut short: a rotation is how a leaked secret is replaced, so it is never
   * refused). Retired secrets keep their own graces. Takes the subscription's row lock first, so
   * rotations of one subscription take turns: each sees the slots the one before it filled.
   */
  rotateSecret(input: { id: string; secret: string; graceSeconds: number }): Promise<Rotation> {
    return this.uow.run(async () => {
      await this.uow.query(`SELECT 1 FROM ${T} WHERE id = $1 FOR NO KEY UPDATE`, [input.id]);
      const [retired] =
        input.graceSeconds > 0
          ? await this.uow.query<{ valid_until: Date; cut_short_until: Date | null }>(
              `WITH slot AS (
                 SELECT n AS slot, r.valid_until AS replaced_until
                   FROM generate_series(1, ${MAX_RETIRED_SECRETS}) n
                   LEFT JOIN ${R} r ON r.subscription_id = $1 AND r.slot = n
                  ORDER BY r.valid_until NULLS FIRST, n
                  LIMIT 1),
               retired AS (
                 INSERT INTO ${R} (subscription_id, slot, secret, valid_until)
                 SELECT s.id, slot.slot, s.secret, now() + make_interval(secs => $2::int)
                   FROM ${T} s, slot WHERE s.id = $1
                 ON CONFLICT (subscription_id, slot) DO UPDATE SET secret = excluded.secret, valid_until = excluded.valid_until
                 RETURNING valid_until)
               SELECT retired.valid_until, CASE WHEN slot.replaced_until > now() THEN slot.replaced_until END AS cut_short_until
                 FROM retired, slot`,
              [input.id, input.graceSeconds],
            )
          : [];
      const [row] = await this.uow.query<WebhookSubscriptionView>(
        `UPDATE ${T} s SET secret = $2, updated_at = now(), version = version + 1 WHERE s.id = $1 RETURNING ${VIEW}`,
        [input.id, input.secret],
      );
      return { row, retiredUntil: retired?.valid_until ?? null, cutShortUntil: retired?.cut_short_until ?? null };
    });
  }
}
