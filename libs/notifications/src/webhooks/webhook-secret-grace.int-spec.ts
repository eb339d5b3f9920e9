import { INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Client, Pool } from 'pg';
import { randomBytes, randomUUID } from 'node:crypto';
import { SCHEMA } from '@migrations';
import { ConfigModule } from '@lib/config';
import { DatabaseModule, dropDatabase, ensureDatabase, runMigrations, withDatabase } from '@lib/database';
import { openTestPool } from '../../../../test/support/db';
import { WebhookSubscriptionRepository } from './webhook-subscription.repository';

@Module({ imports: [ConfigModule.forRoot(), DatabaseModule.forRoot()], providers: [WebhookSubscriptionRepository] })
class SecretTestModule {}

const secret = (n: number) => `whsec_${String(n).padStart(40, '0')}`;

/** Retired secrets on PostgreSQL: which slot a rotation takes, and the migration of the one previous_secret a subscription had. */
describe('webhook secret grace on PostgreSQL', () => {
  let app: INestApplicationContext;
  let pool: Pool;
  let subscriptions: WebhookSubscriptionRepository;

  beforeAll(async () => {
    app = await NestFactory.createApplicationContext(SecretTestModule, { logger: false });
    pool = openTestPool();
    subscriptions = app.get(WebhookSubscriptionRepository);
  });
  afterAll(async () => {
    await pool?.end();
    await app?.close();
  });

  const retired = async (id: string) =>
    (
      await pool.query(
        `SELECT slot, secret, valid_until > now() AS live FROM webhook_retired_secrets WHERE subscription_id = $1 ORDER BY slot`,
        [id],
      )
    ).rows;

  it('a rotation takes a free slot, else the one whose grace ended, else the one whose grace ends first; a grace of 0 retires nothing', async () => {
    const id = (
      await pool.query(
        `INSERT INTO webhook_subscriptions (project_id, url, event_types, secret, created_by)
         VALUES ($1, 'http://127.0.0.1:9/hook', '{run.succeeded}', $2, 'spec') RETURNING id`,
        [`grace-${randomUUID()}`, secret(0)],
      )
    ).rows[0].id;
    // Secrets 0..4 retired with graces of an hour, except secret 1 (a minute).
    for (let n = 1; n <= 5; n++) await subscriptions.rotateSecret({ id, secret: secret(n), graceSeconds: n === 2 ? 60 : 3600 });
    expect((await retired(id)).map((row) => [row.slot, row.secret])).toEqual([1, 2, 3, 4, 5].map((n) => [n, secret(n - 1)]));

    // Full: secret 1's slot (its grace ends first) takes secret 5, and the cut is reported.
    const full = await subscriptions.rotateSecret({ id, secret: secret(6), graceSeconds: 3600 });
    expect(full.cutShortUntil).not.toBeNull();
    expect((await retired(id)).map((row) => row.secret)).toEqual([0, 5, 2, 3, 4].map(secret));
    expect(full.row.previous_secrets_valid_until).toHaveLength(5);

    // A grace of 0 retires nothing and cuts nothing; the others keep theirs.
    const none = await subscriptions.rotateSecret({ id, secret: secret(7), graceSeconds: 0 });
    expect([none.retiredUntil, none.cutShortUntil, none.row.secret]).toEqual([null, null, secret(7)]);
    expect((await retired(id)).map((row) => row.secret)).toEqual([0, 5, 2, 3, 4].map(secret));

    // One whose grace has ended is replaced before any live one, and nothing is reported cut.
    await pool.query(
      `UPDATE webhook_retired_secrets SET valid_until = now() - interval '1 second' WHERE subscription_id = $1 AND slot = 4`,
      [id],
    );
    const reused = await subscriptions.rotateSecret({ id, secret: secret(8), graceSeconds: 3600 });
    expect(reused.cutShortUntil).toBeNull();
    expect((await retired(id)).map((row) => [row.secret, row.live])).toEqual([
      [secret(0), true],
      [secret(5), true],
      [secret(2), true],
      [secret(7), true],
      [secret(4), true],
    ]);
  });

  it('the database bounds the slots, and a retired secret names a subscription that exists', async () => {
    const id = (await pool.query(`SELECT id FROM webhook_subscriptions LIMIT 1`)).rows[0].id;
    await expect(
      pool.query(`INSERT INTO webhook_retired_secrets (subscription_id, slot, secret, valid_until) VALUES ($1, 6, $2, now())`, [
        id,
        secret(1),
      ]),
    ).rejects.toThrow(/webhook_retired_secrets_slot_check/);
    await expect(
      pool.query(`INSERT INTO webhook_retired_secrets (subscription_id, slot, secret, valid_until) VALUES ($1, 1, $2, now())`, [
        randomUUID(),
        secret(1),
      ]),
    ).rejects.toThrow(/foreign key/);
  });

  it('the migration keeps a previous secret still inside its grace, drops one whose grace ended, and the columns', async () => {
    const serverUrl = withDatabase(process.env.DATABASE_URL as string, 'postgres');
    const name = `cp_grace_${randomBytes(4).toString('hex')}`;
    await ensureDatabase(serverUrl, name);
    const url = withDatabase(serverUrl, name);
    const client = new Client({ connectionString: url });
    try {
      const index = SCHEMA.migrations.findIndex((entry) => entry.file === '1795530000000-webhook-secret-grace.ts');
      // The database as the migrations before this one left it (today's routines belong to the whole plan).
      await runMigrations(url, { migrations: SCHEMA.migrations.slice(0, index), routines: [] });
      await client.connect();
      const { rows } = await client.query(
        `INSERT INTO webhook_subscriptions (project_id, url, event_types, secret, previous_secret, previous_secret_until, created_by)
         VALUES ('p', 'http://127.0.0.1:9/a', '{run.succeeded}', $1, $2, now() + interval '1 hour', 'spec'),
                ('p', 'http://127.0.0.1:9/b', '{run.succeeded}', $1, $3, now() - interval '1 second', 'spec'),
                ('p', 'http://127.0.0.1:9/c', '{run.succeeded}', $1, NULL, NULL, 'spec')
         RETURNING id, previous_secret_until`,
        [secret(0), secret(1), secret(2)],
      );
      expect((await runMigrations(url, SCHEMA)).applied[0]).toBe('WebhookSecretGrace1795530000000');
      const moved = await client.query(`SELECT subscription_id, slot, secret, valid_until FROM webhook_retired_secrets`);
      expect(moved.rows).toEqual([{ subscription_id: rows[0].id, slot: 1, secret: secret(1), valid_until: rows[0].previous_secret_until }]);
      const columns = await client.query(
        `SELECT column_name FROM information_schema.columns WHERE table_name = 'webhook_subscriptions' AND column_name LIKE 'previous%'`,
      );
      expect(columns.rows).toEqual([]);
    } finally {
      await client.end().catch(() => undefined);
      await dropDatabase(serverUrl, name);
    }
  });
});
