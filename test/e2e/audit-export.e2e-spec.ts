import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import request from 'supertest';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { GENESIS_HASH } from '@lib/audit';
import { loadConfig } from '@lib/config';
import { dropDatabase, ensureDatabase, runMigrations, withDatabase } from '@lib/database';
import { SCHEMA } from '@migrations';
import { runCompiledScript } from '@tools/harness';
import { createApiApp } from '../../apps/api/src/bootstrap';

interface ExportedEvent {
  readonly id: string;
  readonly event_id: string;
  readonly chain_key: string;
  readonly prev_hash: string;
  readonly hash: string;
}

/** `npm run audit:export` (the compiled script), on a database of this spec's own, so its whole trail is known. */
describe('audit:export (JSON Lines for a SIEM)', () => {
  const adminKey = `export-admin-${randomBytes(12).toString('hex')}`;
  const database = `cp_export_${randomBytes(4).toString('hex')}`;
  let serverUrl = '';
  let url = '';
  let app: NestFastifyApplication | undefined;

  const exportAfter = (...args: string[]) =>
    runCompiledScript({ script: 'dist/scripts/audit-export.js', args, env: { ...process.env, DATABASE_URL: url } });
  const exported = (...args: string[]) => {
    const result = exportAfter(...args);
    expect([result.status, result.stderr.split('\n').length]).toEqual([0, 2]);
    const summary = JSON.parse(result.stderr) as { events: number; next_after: string };
    const events = result.stdout
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as ExportedEvent);
    expect(summary.events).toBe(events.length);
    return { events, next: summary.next_after };
  };
  const stored = async (): Promise<Array<Pick<ExportedEvent, 'id' | 'event_id' | 'hash'>>> => {
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query(`SELECT id::text AS id, event_id, hash FROM audit_events ORDER BY audit_events.id`)).rows;
    } finally {
      await client.end();
    }
  };
  const mintKeys = async (count: number) => {
    for (let i = 0; i < count; i++) {
      const response = await request((app as NestFastifyApplication).getHttpServer())
        .post('/api/v1/api-keys')
        .set('Authorization', `Bearer ${adminKey}`)
        .send({ name: `export-${i}-${randomBytes(3).toString('hex')}`, roles: ['requester'], project_ids: ['*'] });
      expect(response.status).toBe(201);
    }
  };

  beforeAll(async () => {
    if (process.env.API_URL) return;
    serverUrl = withDatabase(process.env.DATABASE_URL as string, 'postgres');
    await ensureDatabase(serverUrl, database);
    url = withDatabase(serverUrl, database);
    await runMigrations(url, SCHEMA);
    const config = loadConfig({ ...process.env, DATABASE_URL: url, BOOTSTRAP_ADMIN_KEY: adminKey, WORKER_IN_PROCESS: 'false' });
    app = await createApiApp({ logger: false, config });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    await mintKeys(3);
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    if (serverUrl) await dropDatabase(serverUrl, database);
  }, 60_000);

  it('writes every event once, in order, with its hash and prev_hash; each chain links from the genesis', async () => {
    if (!app) return;
    const { events, next } = exported();
    const rows = await stored();
    expect(rows.length).toBeGreaterThan(3);
    expect(events.map((event) => [event.id, event.event_id, event.hash])).toEqual(rows.map((row) => [row.id, row.event_id, row.hash]));
    expect(next).toBe(rows[rows.length - 1].id);
    const heads = new Map<string, string>();
    for (const event of events) {
      expect([event.id, event.prev_hash]).toEqual([event.id, heads.get(event.chain_key) ?? GENESIS_HASH]);
      heads.set(event.chain_key, event.hash);
    }
  });

  it('resumes from a cursor without a gap or a repeat, and writes nothing when nothing is new', async () => {
    if (!app) return;
    const first = exported();
    const middle = first.events[Math.floor(first.events.length / 2)].id;
    expect(exported('--after', middle).events).toEqual(first.events.filter((event) => BigInt(event.id) > BigInt(middle)));
    expect(exported('--after', first.next)).toEqual({ events: [], next: first.next });

    await mintKeys(2);
    const second = exported('--after', first.next);
    expect(second.events.length).toBeGreaterThan(0);
    const all = [...first.events, ...second.events].map((event) => event.id);
    expect(all).toEqual((await stored()).map((row) => row.id));
  });

  it('refuses a bad cursor with a usage message (exit 2), writing no event', () => {
    if (!app) return;
    for (const args of [['--after', 'abc'], ['--after'], ['--since', '1'], ['--after', '9999999999999999999']]) {
      const result = exportAfter(...args);
      expect([args, result.status, result.stdout]).toEqual([args, 2, '']);
      expect(result.stderr).toMatch(/^usage: npm run audit:export -- \[--after <cursor>\]/);
    }
  });

  it('refuses a cursor past the newest event (mistyped, or of another database) instead of answering it back', async () => {
    if (!app) return;
    const newest = (await stored()).at(-1)?.id ?? '0';
    const ahead = (BigInt(newest) + 1000n).toString();
    const result = exportAfter('--after', ahead);
    expect([result.status, result.stdout]).toEqual([2, '']);
    expect(result.stderr).toContain(`the cursor ${ahead} is past the newest event (`);
    // The newest event itself is a cursor an export answers: nothing after it, and no refusal.
    expect(exportAfter('--after', newest).status).toBe(0);
  });
});
