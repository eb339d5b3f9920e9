import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each rotated-out webhook secret keeps its own grace. A subscription had one previous_secret
 * (and its until), so a second rotation cut the first one's grace short. Now the secrets a
 * rotation retires are rows of webhook_retired_secrets, each with its own valid_until, in one of
 * five slots per subscription (the primary key and the slot's CHECK bound how many there can
 * be); a rotation fills a free slot, else the one whose grace ends first. The previous secret
 * still inside its grace moves to slot 1; one whose grace has ended is dropped, as it no longer
 * signs. A real foreign key (unlike the outbox's, see notifications.references-guard): only a
 * rotation writes a row, so the share lock it takes on the subscription contends with nothing.
 */
export class WebhookSecretGrace1795530000000 implements MigrationInterface {
  name = 'WebhookSecretGrace1795530000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const q = (sql: string) => queryRunner.query(sql);
    await q(`
      CREATE TABLE webhook_retired_secrets (
        subscription_id uuid NOT NULL REFERENCES webhook_subscriptions (id),
        slot int2 NOT NULL CHECK (slot BETWEEN 1 AND 5),
        secret text NOT NULL CHECK (char_length(secret) >= 32),
        valid_until timestamptz NOT NULL,
        PRIMARY KEY (subscription_id, slot)
      )`);
    await q(`
      INSERT INTO webhook_retired_secrets (subscription_id, slot, secret, valid_until)
      SELECT id, 1, previous_secret, previous_secret_until FROM webhook_subscriptions
       WHERE previous_secret IS NOT NULL AND previous_secret_until > now()`);
    await q(`
      ALTER TABLE webhook_subscriptions
        DROP CONSTRAINT webhook_subscriptions_previous_pair,
        DROP COLUMN previous_secret,
        DROP COLUMN previous_secret_until`);
  }

  async down(): Promise<void> {
    throw new Error('forward only: undo with a new migration');
  }
}
