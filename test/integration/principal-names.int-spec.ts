import { Client } from 'pg';
import { randomBytes, randomUUID } from 'node:crypto';
import { SCHEMA } from '@migrations';
import { dropDatabase, ensureDatabase, runMigrations, withDatabase } from '@lib/database';

/**
 * Unique service names on PostgreSQL (migration 1795580000000): principals that shared a name
 * before keep it, the oldest of each group holding it; from then on the index refuses a second
 * holder, and no row may take the mark that would let it past.
 */
describe('principal names on PostgreSQL', () => {
  const serverUrl = withDatabase(process.env.DATABASE_URL as string, 'postgres');
  let name: string;
  let url: string;
  let client: Client;

  beforeAll(async () => {
    name = `cp_names_${randomBytes(4).toString('hex')}`;
    await ensureDatabase(serverUrl, name);
    url = withDatabase(serverUrl, name);
    const index = SCHEMA.migrations.findIndex((entry) => entry.file === '1795580000000-principal-names.ts');
    // The database as the migrations before this one left it, with names shared as they could be then.
    await runMigrations(url, { migrations: SCHEMA.migrations.slice(0, index), routines: [] });
    client = new Client({ connectionString: url });
    await client.connect();
  });
  afterAll(async () => {
    await client?.end().catch(() => undefined);
    await dropDatabase(serverUrl, name);
  });

  const insert = (row: { name: string; createdAt?: string; createdBy?: string; issuer?: string }) =>
    client.query(
      `INSERT INTO principals (id, kind, name, role_grants, created_by, created_at, issuer, subject)
       VALUES ($1, $2, $3, ARRAY['requester@p'], $4, coalesce($5::timestamptz, now()), $6, $7) RETURNING id`,
      [
        randomUUID(),
        row.issuer ? 'person' : 'service',
        row.name,
        row.createdBy ?? 'spec',
        row.createdAt ?? null,
        row.issuer ?? null,
        row.issuer ? randomUUID() : null,
      ],
    );

  it('keeps every name as it was, marks all but the oldest of each shared one, and refuses a new holder', async () => {
    const oldest = (await insert({ name: 'deploy-bot', createdAt: '2026-01-01T00:00:00Z' })).rows[0].id;
    const later = [
      (await insert({ name: 'deploy-bot', createdAt: '2026-02-01T00:00:00Z' })).rows[0].id,
      (await insert({ name: 'deploy-bot', createdAt: '2026-03-01T00:00:00Z' })).rows[0].id,
    ];
    const alone = (await insert({ name: 'lone-bot' })).rows[0].id;
    const people = [
      (await insert({ name: 'Alex', issuer: 'https://idp' })).rows[0].id,
      (await insert({ name: 'Alex', issuer: 'https://idp' })).rows[0].id,
    ];
    await insert({ name: 'bootstrap-admin', createdBy: 'system' });
    await insert({ name: 'bootstrap-admin', createdBy: 'system' });

    expect((await runMigrations(url, SCHEMA)).applied).toContain('PrincipalNames1795580000000');
    const marked = await client.query(`SELECT id, name, name_shared_before FROM principals ORDER BY created_at, id`);
    const markOf = new Map(marked.rows.map((row) => [row.id, row.name_shared_before]));
    expect([oldest, ...later, alone, ...people].map((id) => markOf.get(id))).toEqual([false, true, true, false, false, false]);
    expect(marked.rows.filter((row) => row.name === 'deploy-bot')).toHaveLength(3);

    await expect(insert({ name: 'deploy-bot' })).rejects.toThrow(/principals_name/);
    await expect(insert({ name: 'lone-bot' })).rejects.toThrow(/principals_name/);
    // People, and the principals the system makes, may still share a name.
    await insert({ name: 'Alex', issuer: 'https://idp' });
    await insert({ name: 'bootstrap-admin', createdBy: 'system' });
  });

  it('no row takes the mark afterwards: not a new one, not one that holds its name', async () => {
    await expect(
      client.query(
        `INSERT INTO principals (id, kind, name, role_grants, created_by, name_shared_before) VALUES ($1, 'service', 'deploy-bot', '{}', 'spec', true)`,
        [randomUUID()],
      ),
    ).rejects.toThrow(/principals_name_shared_before|only principals that shared a name/);
    await expect(client.query(`UPDATE principals SET name_shared_before = true WHERE name = 'lone-bot'`)).rejects.toThrow(
      /only principals that shared a name/,
    );
    // A marked one may lose its mark only while the name is free: the index still decides.
    await expect(
      client.query(`UPDATE principals SET name_shared_before = false WHERE name = 'deploy-bot' AND name_shared_before`),
    ).rejects.toThrow(/principals_name/);
  });
});
